"""Rotation planner benchmark: standard Social Golfer instances (g tables of s for w rounds) against the best known
schedules, and speed dating for a room with colleagues, each beside random tables drawn in the same run.

.venv/bin/python bench/rotation_bench.py [--budget 20000] [--time-limit S] [--seeds 1] [--markdown]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from domain.planning.rotations import (
    BEST_KNOWN,
    DEFAULT_BUDGET,
    Person,
    Quality,
    Round,
    measure,
    plan_rotation,
    table_sizes,
)

GOLFERS = [(5, 3, 7), (4, 4, 5), (5, 5, 6), (6, 3, 8), (6, 4, 7), (7, 4, 9), (8, 4, 9), (8, 4, 10), (10, 4, 13)]


def random_rounds(people: list[Person], size: int, rounds: int, seed: int) -> list[Round]:
    """The baseline: each round, shuffle the room and deal it onto the same tables."""
    rng = random.Random(seed)
    sizes, sitting = table_sizes(len(people), size)
    plan = []
    for _ in range(rounds):
        order = [p.index for p in people]
        rng.shuffle(order)
        tables, at = [], sitting
        for s in sizes:
            tables.append(sorted(order[at : at + s]))
            at += s
        plan.append(Round(tables, sorted(order[:sitting])))
    return plan


def run(people: list[Person], size: int, rounds: int, args: argparse.Namespace) -> tuple[Quality, Quality, float, str]:
    """(planner's quality, random's, median seconds, method) over the seeds; qualities of the last seed."""
    times, plan = [], None
    for seed in range(args.seeds):
        started = time.perf_counter()
        plan = plan_rotation(people, size, rounds, seed=seed, budget=args.budget, time_limit=args.time_limit)
        times.append(time.perf_counter() - started)
    assert plan is not None
    baseline = measure(random_rounds(people, size, rounds, args.seeds), people)
    return plan.quality, baseline, statistics.median(times), plan.method


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=DEFAULT_BUDGET, help="search steps per plan")
    parser.add_argument("--time-limit", type=float, help="seconds per plan")
    parser.add_argument("--seeds", type=int, default=1, help="plans per instance (median time; last seed's figures)")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    limit = f", time limit {args.time_limit:g} s" if args.time_limit else ""
    print(f"rotation benchmark: budget {args.budget:,} steps{limit}, {args.seeds} seed(s)")
    head = ["instance g-s-w", "people", "best known", "random: repeats", "planner: repeats", "method", "seconds"]
    rows = []
    solved = 0
    for g, s, w in GOLFERS:
        people = [Person(i) for i in range(g * s)]
        quality, baseline, seconds, method = run(people, s, w, args)
        solved += quality.repeated_pairs == 0
        rows.append([f"{g}-{s}-{w}", str(g * s), str(BEST_KNOWN.get((g, s), "")), str(baseline.repeated_pairs),
                     str(quality.repeated_pairs), method, f"{seconds:.2f}"])  # fmt: skip
    _table(head, rows, args.markdown)
    print(f"solved to zero repeats: {solved} of {len(GOLFERS)}")

    # Speed dating: 100 people from 25 organisations of 4 (and 8 countries, 5 sectors), 30 rounds in pairs.
    people = [Person(i, organisation=f"org{i // 4}", country=f"c{i % 8}", sector=f"s{i % 5}") for i in range(100)]
    print()
    head = ["pairs: 100 people, 25 organisations of 4, 30 rounds", "repeats", "same-organisation pairs",
            "same-sector pairs", "seconds"]  # fmt: skip
    rows = []
    quality, baseline, seconds, method = run(people, 2, 30, args)
    for name, q, t in (("random pairs (baseline)", baseline, ""), (f"planner ({method})", quality, f"{seconds:.2f}")):
        rows.append([name, str(q.repeated_pairs), str(q.violations["organisation"]),
                     str(q.same_value_meetings["sector"]), t])  # fmt: skip
    _table(head, rows, args.markdown)
    return 0


def _table(head: list[str], rows: list[list[str]], markdown: bool) -> None:
    if markdown:
        print("| " + " | ".join(head) + " |")
        print("| --- |" + " ---: |" * (len(head) - 1))
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(r[c]) for r in [head, *rows]) for c in range(len(head))]
    for row in [head, *rows]:
        print(
            "  ".join(
                cell.rjust(width) if c else cell.ljust(width)
                for c, (cell, width) in enumerate(zip(row, widths, strict=True))
            )
        )


if __name__ == "__main__":
    raise SystemExit(main())
