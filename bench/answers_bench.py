"""Answer-stream benchmark: 60 groups of 5 write on their sheets at once; Tavolo against the echo baseline.

    .venv/bin/python bench/answers_bench.py [--participants 300] [--groups 60] [--write-seconds 20]
        [--edit-interval 2] [--runs 3] [--markdown] [--profile DIR]

Starts `bench/echo_server.py` (the same uvicorn + Starlette stack, no storage) and `tavolo serve` on a fresh SQLite
file in a temporary directory as subprocesses, one after the other, and runs `tavolo simulate --scenario groups`
against each in this process (`server/simulate_groups.py`): everyone joins and stays connected on the participant
view, the facilitator splits the room into `--groups` balanced groups and poses two questions, and every member
writes once every `--edit-interval` seconds for `--write-seconds` seconds (a contribution first, then edits; 10 %
of the writes edit another member's contribution from a stale version, are refused `edit_conflict` and re-sent).
The facilitator's dashboard is followed throughout: the latency measured is from an edit sent to the first
dashboard message showing that contribution at that version or later. With two or more CPUs the server is pinned
to one CPU and the load generator to another. CPU figures cover the writing phase (the questions posed to the
dashboard showing every last write). Prints a table and the ratio Tavolo / baseline; writes no file but the
profile. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import join_bench  # noqa: E402
import vote_bench  # noqa: E402

from server import simulate  # noqa: E402

ROWS: list[join_bench.Row] = [
    ("participants joined", ("joined",), None),
    ("groups", ("groups",), None),
    ("writes acked (adds + edits)", ("contributions_acked",), None),
    ("edit_conflict answers (all re-sent and acked)", ("conflicts",), None),
    ("of which stale edits on purpose", ("conflicts_provoked",), None),
    ("conflicts left unresolved", ("conflicts_unresolved",), None),
    ("texts lost", ("lost_texts",), None),
    ("errors", ("errors",), None),
    ("edits acked/s", ("edits_per_s",), "higher"),
    ("ack latency p50 (ms)", ("edit_ack_ms", "p50"), "lower"),
    ("ack latency p99 (ms)", ("edit_ack_ms", "p99"), "lower"),
    ("edit → facilitator's dashboard p50 (ms)", ("edit_dashboard_ms", "p50"), "lower"),
    ("edit → facilitator's dashboard p99 (ms)", ("edit_dashboard_ms", "p99"), "lower"),
    ("questions posed → seen by members p99 (ms)", ("group_visible_ms", "p99"), "lower"),
    ("server CPU per write (ms)", ("bench", "server_cpu_ms_per_ballot"), "lower"),
    ("server CPU busy while writing (%)", ("bench", "server_busy_pct"), None),
    ("load generator CPU busy while writing (%)", ("bench", "client_busy_pct"), None),
    ("load generator event-loop lag p99 (ms)", ("client_loop_lag_ms", "p99"), None),
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    join_bench.add_arguments(parser, participants=300)
    parser.add_argument("--groups", type=int, default=60, help="groups (default 60: groups of 5)")
    parser.add_argument("--write-seconds", type=float, default=20.0, help="members write for this long (20)")
    parser.add_argument("--edit-interval", type=float, default=2.0, help="one write per member every ... s (2)")
    parser.add_argument("--conflict-share", type=float, default=0.1, help="share of stale edits (0.1)")
    parser.add_argument("--profile", metavar="DIR", help="sample the Tavolo server with py-spy while writing")
    parser.add_argument("--py-spy-args", default="--nonblocking", help="extra py-spy options")


def _measured(name: str, url: str, pid: int, args: argparse.Namespace) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    simulate.add_arguments(parser)
    argv = ["--url", url, "--scenario", "groups", "--participants", str(args.participants),
            "--groups", str(args.groups), "--write-seconds", str(args.write_seconds),
            "--edit-interval", str(args.edit_interval), "--conflict-share", str(args.conflict_share),
            "--concurrency", str(args.concurrency), "--seed", str(args.seed), "--timeout", str(args.timeout),
            "--encoding", args.encoding, "--quiet"]  # fmt: skip
    sim_args = parser.parse_args(argv)
    profile = None
    if args.profile and name == "tavolo":
        profile = Path(args.profile).resolve() / f"tavolo-answers-{time.strftime('%Y%m%d-%H%M%S')}.txt"
    phase = sim_args.phase_hook = vote_bench._Phase(pid, profile, args.py_spy_args)
    try:
        summary = simulate.run_sync(simulate.simulate(sim_args))
    finally:
        phase.stop()
    summary["bench"] = phase.figures(summary.get("contributions_acked") or 0)
    if profile is not None and profile.exists():
        summary["bench"]["profile"] = str(profile)
        print(f"answers_bench: py-spy profile, {profile}\n{vote_bench.hot_spots(profile)}", file=sys.stderr)
    return summary


def nothing_lost(results: dict[str, list[dict[str, Any]]], participants: int) -> bool:
    return all(s.get("joined") == participants and s.get("errors") == 0 and s.get("lost_texts") == 0
               for runs in results.values() for s in runs)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    results = join_bench.compare(args, _measured, "answers_bench")
    print(
        f"answers benchmark: {args.participants} participants in {args.groups} groups, one write per member every "
        f"{args.edit_interval:g} s for {args.write_seconds:g} s, seed {args.seed}, {args.encoding} frames, "
        f"{args.runs} run(s) per server (medians), {join_bench.describe_placement(args)}"
    )
    print(join_bench.render(join_bench.HEADER, join_bench.table_lines(results, ROWS), args.markdown))
    return 0 if nothing_lost(results, args.participants) else 1


if __name__ == "__main__":
    raise SystemExit(main())
