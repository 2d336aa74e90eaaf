"""Vote benchmark: 2,000 connected participants vote within about 2 seconds; Tavolo against the echo baseline.

    .venv/bin/python bench/vote_bench.py --participants 2000 [--runs 3] [--markdown] [--profile DIR]

Starts `bench/echo_server.py` (the same uvicorn + Starlette stack, no storage) and `tavolo serve` on a fresh SQLite
file as subprocesses, one after the other, and runs `tavolo simulate --scenario poll` against each in this process
(`server/simulate_poll.py`): everyone joins and stays connected on the participant view, the facilitator opens a
single-choice poll, each participant sends its ballot at a moment drawn uniformly over `--vote-window` seconds
(10 % change their vote, 10 % retry a ballot with the same command id), the dashboard's tally is followed until it
counts everyone, and the poll is closed. With two or more CPUs the server is pinned to one CPU and the load
generator to another. Server and load-generator CPU are measured over the vote phase only (the opening to the
dashboard counting everyone). `--profile DIR` samples the Tavolo server with py-spy during the vote phase and
prints its hot spots. Prints a table and the ratio Tavolo / baseline; writes no file but the profile. See
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import join_bench  # noqa: E402

from server import simulate  # noqa: E402

TARGET_BALLOTS_PER_S = 1000
TARGET_TALLY_P99_MS = 250

ROWS: list[join_bench.Row] = [
    ("participants joined", ("joined",), None),
    ("ballots sent (distinct; retries excluded)", ("ballots_sent",), None),
    ("ballots acked", ("ballots_acked",), None),
    ("ballots lost", ("ballots_lost",), None),
    ("tally total (closed poll's turnout)", ("tally_total",), None),
    ("errors", ("errors",), None),
    ("ballots acked/s", ("ballots_per_s",), "higher"),
    ("ack latency p50 (ms)", ("ballot_latency_ms", "p50"), "lower"),
    ("ack latency p99 (ms)", ("ballot_latency_ms", "p99"), "lower"),
    ("ballot → dashboard tally p50 (ms)", ("tally_latency_ms", "p50"), "lower"),
    ("ballot → dashboard tally p99 (ms)", ("tally_latency_ms", "p99"), "lower"),
    ("poll open → seen by participants p99 (ms)", ("poll_visible_ms", "p99"), "lower"),
    ("vote phase (s)", ("vote_phase_s",), "lower"),
    ("server CPU per ballot (ms)", ("bench", "server_cpu_ms_per_ballot"), "lower"),
    ("server CPU busy in the vote (%)", ("bench", "server_busy_pct"), None),
    ("load generator CPU busy in the vote (%)", ("bench", "client_busy_pct"), None),
    ("load generator event-loop lag p99 (ms)", ("client_loop_lag_ms", "p99"), None),
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    join_bench.add_arguments(parser, participants=2000)
    parser.add_argument("--poll-kind", default="single", choices=["single", "multiple"],
                        help="the echo baseline counts single and multiple choice only (default single)")  # fmt: skip
    parser.add_argument("--secret", action="store_true", help="a secret ballot")
    parser.add_argument("--vote-window", type=float, default=2.0, help="ballots spread over this many seconds (2)")
    parser.add_argument("--profile", metavar="DIR", help="sample the Tavolo server with py-spy during the vote")
    parser.add_argument("--py-spy-args", default="--nonblocking",
                        help="extra py-spy options (default --nonblocking; '--native' shows C frames such as the "
                             "garbage collector, pausing the server at each sample)")  # fmt: skip


class _Phase:
    """CPU and wall time of the server and of this process between the simulator's `vote_start` and `vote_end`,
    and the py-spy sampler when profiling."""

    def __init__(self, pid: int, profile: Path | None, spy_args: str = "") -> None:
        self.pid, self.profile, self.spy_args = pid, profile, spy_args
        self.marks: dict[str, tuple[float, float, float | None]] = {}
        self.spy: subprocess.Popen[bytes] | None = None

    def __call__(self, name: str) -> None:
        if self.profile is not None and name == "vote_start":
            self.spy = _start_py_spy(self.pid, self.profile, self.spy_args.split())
        self.marks[name] = (time.monotonic(), time.process_time(), join_bench._cpu_seconds(self.pid))
        if name == "vote_end" and self.spy is not None:
            with contextlib.suppress(ProcessLookupError):
                self.spy.send_signal(signal.SIGINT)  # py-spy writes its file; waited for in stop()

    def stop(self) -> None:
        if self.spy is not None:
            _stop(self.spy)
            self.spy = None

    def figures(self, ballots: int) -> dict[str, Any]:
        if "vote_start" not in self.marks or "vote_end" not in self.marks:
            return {}
        (w0, c0, s0), (w1, c1, s1) = self.marks["vote_start"], self.marks["vote_end"]
        wall, client = w1 - w0, c1 - c0
        server = None if s0 is None or s1 is None else round(s1 - s0, 3)
        return {
            "vote_wall_s": round(wall, 3), "server_cpu_s": server, "client_cpu_s": round(client, 3),
            "server_cpu_ms_per_ballot": server and ballots and round(server / ballots * 1000, 3),
            "server_busy_pct": server and round(server / wall * 100),
            "client_busy_pct": round(client / wall * 100),
        }  # fmt: skip


def _py_spy() -> str | None:
    local = ROOT / ".venv" / "bin" / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


def _start_py_spy(pid: int, out: Path, extra: list[str]) -> subprocess.Popen[bytes] | None:
    exe = _py_spy()
    if exe is None:
        print("vote_bench: py-spy not found (.venv/bin/pip install py-spy); not profiling", file=sys.stderr)
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [exe, "record", "--pid", str(pid), "--rate", "250", "--format", "raw", "--output", str(out),
               "--threads", *extra]  # fmt: skip
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.3)  # let it attach before the first ballots (bounded, and the ballots wait for the poll anyway)
    return spy


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGINT (py-spy writes its file on it), then escalate; every wait bounded."""
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


PROJECT = ("server/", "domain/", "projections/")


def hot_spots(raw: Path, top: int = 15) -> str:
    """Where the samples were, from py-spy's raw (collapsed-stack) output, `thread;frame;frame... count` with
    frames as `function (file:line)`: by line running when sampled (self), by function (self), and the project's
    functions by the samples they were on the stack for (total; a frame counted once per sample)."""
    own: collections.Counter[str] = collections.Counter()
    own_function: collections.Counter[str] = collections.Counter()
    under: collections.Counter[str] = collections.Counter()
    threads: collections.Counter[str] = collections.Counter()
    total = 0
    root = str(ROOT) + "/"
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n, frames = int(count), [f.replace(root, "") for f in stack.split(";")]
        total += n
        threads[frames[0]] += n
        own[frames[-1]] += n
        own_function[frames[-1].rsplit(":", 1)[0] + ")" if ":" in frames[-1] else frames[-1]] += n
        functions = {f.rsplit(":", 1)[0] + ")" for f in frames[1:] if f.partition("(")[2].startswith(PROJECT)}
        for function in functions:
            under[function] += n
    if not total:
        return "no samples"

    def rows(counter: collections.Counter[str]) -> list[str]:
        return [f"  {n / total * 100:5.1f} %  {frame}" for frame, n in counter.most_common(top)]

    return "\n".join([
        f"{total} samples; by thread: " + ", ".join(f"{t} {n / total * 100:.0f} %" for t, n in threads.most_common()),
        "self, by line (running when sampled; 'Runner.run' is time in the event loop's C code: I/O, callbacks):",
        *rows(own), "self, by function:", *rows(own_function),
        "total, project functions (samples with the function anywhere on the stack):", *rows(under),
    ])  # fmt: skip


def _measured(name: str, url: str, pid: int, args: argparse.Namespace) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    simulate.add_arguments(parser)
    argv = ["--url", url, "--scenario", "poll", "--participants", str(args.participants),
            "--concurrency", str(args.concurrency), "--seed", str(args.seed), "--timeout", str(args.timeout),
            "--encoding", args.encoding, "--poll-kind", args.poll_kind, "--vote-window", str(args.vote_window),
            "--quiet"]  # fmt: skip
    sim_args = parser.parse_args([*argv, *(["--secret"] if args.secret else [])])
    profile = None
    if args.profile and name == "tavolo":
        profile = Path(args.profile).resolve() / f"tavolo-vote-{time.strftime('%Y%m%d-%H%M%S')}.txt"
    phase = sim_args.phase_hook = _Phase(pid, profile, args.py_spy_args)
    try:
        summary = simulate.run_sync(simulate.simulate(sim_args))
    finally:
        phase.stop()
    summary["bench"] = phase.figures(summary.get("ballots_acked") or 0)
    if profile is not None and profile.exists():
        summary["bench"]["profile"] = str(profile)
        print(f"vote_bench: py-spy profile of the vote phase, {profile}\n{hot_spots(profile)}", file=sys.stderr)
    return summary


def verdict(results: dict[str, list[dict[str, Any]]]) -> str:
    """Whether Tavolo's medians meet the targets of issue 4."""
    rate = join_bench._median(results["tavolo"], ("ballots_per_s",))
    p99 = join_bench._median(results["tavolo"], ("tally_latency_ms", "p99"))
    lost = max((s.get("ballots_lost", 0) for s in results["tavolo"]), default=None)

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    return (
        f"targets: >= {TARGET_BALLOTS_PER_S:,} ballots/s {met(rate is not None and rate >= TARGET_BALLOTS_PER_S)} "
        f"({join_bench._fmt(rate)}); dashboard p99 < {TARGET_TALLY_P99_MS} ms "
        f"{met(p99 is not None and p99 < TARGET_TALLY_P99_MS)} ({join_bench._fmt(p99)}); "
        f"0 ballots lost {met(lost == 0)} ({lost})"
    )


def everyone_counted(results: dict[str, list[dict[str, Any]]], participants: int) -> bool:
    return all(s.get("tally_total") == participants and s.get("errors") == 0 for runs in results.values() for s in runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    results = join_bench.compare(args, _measured, "vote_bench")
    print(
        f"vote benchmark: {args.participants} participants, {args.poll_kind} poll"
        f"{' (secret)' if args.secret else ''}, ballots spread over {args.vote_window:g} s, seed {args.seed}, "
        f"{args.encoding} frames, {args.runs} run(s) per server (medians), {join_bench.describe_placement(args)}"
    )
    print(join_bench.render(join_bench.HEADER, join_bench.table_lines(results, ROWS), args.markdown))
    print(verdict(results))
    return 0 if everyone_counted(results, args.participants) else 1


if __name__ == "__main__":
    raise SystemExit(main())
