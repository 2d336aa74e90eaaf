"""Every benchmark in sequence (join, then vote), each against its same-run echo baseline; one table.

    .venv/bin/python bench/run_all.py [--runs 3] [--markdown] [--join-participants 1000] [--vote-participants 2000]

Runs `bench/join_bench.py` and `bench/vote_bench.py` with their defaults (see docs/benchmarks.md), one after the
other in this process, with the same pinning (server on one CPU, load generator on another). Exit status 0 only if
every participant joined in every run and, in the vote benchmark, every voter was counted once without errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import join_bench
import vote_bench


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--join-participants", type=int, default=1000, help="join benchmark (default 1000)")
    parser.add_argument("--vote-participants", type=int, default=2000, help="vote benchmark (default 2000)")
    parser.add_argument("--runs", type=int, default=1, help="runs per server and benchmark (medians; default 1)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--markdown", action="store_true", help="Markdown rows, for the docs")
    parser.add_argument("--json", action="store_true", help="also print every run's summary as JSON lines")
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and load generator to CPUs")
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
    return 0 if joined and vote_bench.everyone_counted(votes, args.vote_participants) else 1


if __name__ == "__main__":
    raise SystemExit(main())
