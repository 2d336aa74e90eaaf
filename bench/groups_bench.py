"""Group-split planner benchmark: balanced (anticlustering) against a random split of the same room, same run.

.venv/bin/python bench/groups_bench.py [--people 200 --groups 8 --countries 15 --sectors 6 --orgs 40] [--markdown]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from domain.planning.groups import Person, Plan, plan_split


def room(people: int, countries: int, sectors: int, orgs: int, seed: int) -> list[Person]:
    rng = random.Random(seed)

    # Skewed, as real rooms are: a few countries and organisations bring many people.
    def skewed(n: int) -> str:
        return str(min(int(rng.expovariate(3 / n)), n - 1))

    return [Person(i, organisation=f"org{skewed(orgs)}", country=f"c{skewed(countries)}", sector=f"s{skewed(sectors)}")
            for i in range(people)]  # fmt: skip


def timed(people: list[Person], groups: int, strategy: str, runs: int) -> tuple[Plan, float]:
    times, plan = [], None
    for seed in range(runs):
        started = time.perf_counter()
        plan = plan_split(people, groups=groups, strategy=strategy, seed=seed)
        times.append(time.perf_counter() - started)
    assert plan is not None
    return plan, statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--groups", type=int, default=8)
    parser.add_argument("--countries", type=int, default=15)
    parser.add_argument("--sectors", type=int, default=6)
    parser.add_argument("--orgs", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    people = room(args.people, args.countries, args.sectors, args.orgs, args.seed)
    results = {s: timed(people, args.groups, s, args.runs) for s in ("random", "balanced")}
    rows = [
        ("objective", lambda p, t: f"{p.quality.objective:,.0f}"),
        ("worst deviation: country", lambda p, t: f"{p.quality.deviation['country']:.1%}"),
        ("worst deviation: sector", lambda p, t: f"{p.quality.deviation['sector']:.1%}"),
        ("worst deviation: organisation", lambda p, t: f"{p.quality.deviation['organisation']:.1%}"),
        ("same-organisation pairs (unavoidable)",
         lambda p, t: f"{p.quality.same_organisation_pairs} ({p.quality.unavoidable_pairs})"),
        ("group sizes", lambda p, t: f"{min(p.quality.sizes)}-{max(p.quality.sizes)}"),
        ("time (median of runs)", lambda p, t: f"{t * 1000:.1f} ms"),
    ]  # fmt: skip
    print(f"groups benchmark: {args.people} people, {args.countries} countries, {args.sectors} sectors, "
          f"{args.orgs} organisations -> {args.groups} groups; {args.runs} seeds")  # fmt: skip
    print("|  | random (baseline) | balanced |\n| --- | ---: | ---: |" if args.markdown else "")
    for name, cell in rows:
        r, b = (cell(*results[s]) for s in ("random", "balanced"))
        print(f"| {name} | {r} | {b} |" if args.markdown else f"{name:40} {r:>14} {b:>14}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
