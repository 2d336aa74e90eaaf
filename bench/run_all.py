"""Every benchmark in sequence, each against its same-run baseline: join and vote storms (one table), then the group
answer stream, replay rebuild, the three planners and the scale-out storm on PostgreSQL + Redis; a summary table.

    .venv/bin/python bench/run_all.py [--runs 3] [--markdown] [--join-participants 1000] [--vote-participants 2000]
        [--quick] [--skip NAME ...]

`--quick` runs the others smaller (replay 200k events, 1 meeting seed, 5 s flood phases, scale-out 1 and 2
processes, memory at 2,000); `--skip answers replay groups rotation meetings flood scale` leaves some out. The
scale-out benchmark needs PostgreSQL and Redis on 127.0.0.1 (see bench/scale_bench.py).

Runs `bench/join_bench.py` and `bench/vote_bench.py` with their defaults (see docs/benchmarks.md), one after the
other in this process, with the same pinning (server on one CPU, load generator on another). Exit status 0 only if
every participant joined in every run and, in the vote benchmark, every voter was counted once without errors.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import join_bench
import scale_bench
import vote_bench

HERE = Path(__file__).resolve().parent


def others(quick: bool) -> dict[str, list[str]]:
    """The benchmarks run as their own scripts (each prints its table and baseline), with their arguments."""
    return {
        "answers": ["answers_bench.py", *(["--write-seconds", "10"] if quick else [])],
        "replay": ["replay_bench.py", *(["--events", "200000", "--minutes-events", "50000"] if quick else [])],
        "groups": ["groups_bench.py"],
        "rotation": ["rotation_bench.py"],
        "meetings": ["meetings_bench.py", *(["--seeds", "1"] if quick else [])],
        "flood": ["flood_bench.py", *(["--seconds", "5"] if quick else [])],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--join-participants", type=int, default=1000, help="join benchmark (default 1000)")
    parser.add_argument("--vote-participants", type=int, default=2000, help="vote benchmark (default 2000)")
    parser.add_argument("--runs", type=int, default=1, help="runs per server and benchmark (medians; default 1)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--markdown", action="store_true", help="Markdown rows, for the docs")
    parser.add_argument("--json", action="store_true", help="also print every run's summary as JSON lines")
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and load generator to CPUs")
    parser.add_argument("--quick", action="store_true", help="smaller runs of the other benchmarks")
    parser.add_argument("--skip", nargs="*", default=[], help="answers replay groups rotation meetings flood scale")
    args = parser.parse_args(argv)
    common = ["--runs", str(args.runs), "--seed", str(args.seed), *(["--json"] if args.json else []),
              *(["--no-pin"] if args.no_pin else [])]  # fmt: skip

    join_parser = argparse.ArgumentParser()
    join_bench.add_arguments(join_parser)
    join_args = join_parser.parse_args(["--participants", str(args.join_participants), *common])
    vote_parser = argparse.ArgumentParser()
    vote_bench.add_arguments(vote_parser)
    vote_args = vote_parser.parse_args(["--participants", str(args.vote_participants), *common])

    joins = join_bench.compare(join_args, join_bench._measured, "run_all join")
    votes = join_bench.compare(vote_args, vote_bench._measured, "run_all vote")

    header = ["benchmark", "figure", *join_bench.HEADER[1:]]
    lines = [[f"join ({args.join_participants})", *line] for line in join_bench.table_lines(joins, join_bench.ROWS)]
    lines += [[f"vote ({args.vote_participants})", *line] for line in join_bench.table_lines(votes, vote_bench.ROWS)]
    print(
        f"all benchmarks: {args.runs} run(s) per server (medians), seed {args.seed}, msgpack frames, "
        f"{join_bench.describe_placement(join_args)}; join: concurrency {join_args.concurrency}; "
        f"vote: single-choice poll, ballots spread over {vote_args.vote_window:g} s"
    )
    print(join_bench.render(header, lines, args.markdown, labels=2))
    print(vote_bench.verdict(votes))
    joined = all(s["joined"] == args.join_participants for runs in joins.values() for s in runs)
    summary = [["join and vote", "0" if joined and vote_bench.everyone_counted(votes, args.vote_participants) else "1",
                "see the table above"]]  # fmt: skip
    for name, command in others(args.quick).items():
        if name in args.skip:
            continue
        started = time.monotonic()
        print(f"\n## {name}: bench/{' '.join(command)}", flush=True)
        markdown = ["--markdown"] if args.markdown and name != "replay" else []  # replay prints Markdown always
        done = subprocess.run([sys.executable, str(HERE / command[0]), *command[1:], *markdown], check=False)
        summary.append([name, str(done.returncode), f"{time.monotonic() - started:.0f} s"])
    if "scale" not in args.skip:
        started = time.monotonic()
        scale_args = argparse.ArgumentParser()
        scale_bench.add_arguments(scale_args)
        quick = ["--processes", "1", "2", "--memory", "2000"] if args.quick else []
        scaled = scale_bench.run(scale_args.parse_args(["--seed", str(args.seed), *quick]))
        print("\n## scale-out: bench/scale_bench.py (PostgreSQL + Redis; ratio = N processes / 1 process)")
        print(scale_bench.table(scaled, args.markdown))
        print(scale_bench.verdict(scaled))
        ok = scale_bench.everyone_counted(scaled)
        summary.append(["scale", "0" if ok else "1", f"{time.monotonic() - started:.0f} s"])
    print("\n## summary")
    print(join_bench.render(["benchmark", "exit status", "time"], summary, args.markdown, labels=1))
    return 0 if all(row[1] == "0" for row in summary) else 1


if __name__ == "__main__":
    raise SystemExit(main())
