"""B2B meeting scheduler benchmark: the greedy (the same-run baseline) against CP-SAT, on seeded generated events.

.venv/bin/python bench/meetings_bench.py [--seeds 4] [--time-limit 15] [--workers 2] [--skew 0.3]
    [--large --large-time-limit 30] [--markdown]

Default instance: 80 participants, 300 accepted requests, 16 slots, 20 tables, each person unavailable in a
quarter of the slots. --large adds 200 participants, 1,500 requests, 24 slots, 70 tables.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from domain.planning.meetings import Instance, Participant, Schedule, schedule, schedule_greedy, upper_bound

SKEW = 0.3  # how much more some people are asked than others


def event(people: int, requests: int, slots: int, tables: int, away: float, seed: int, skew: float = SKEW) -> Instance:
    """``people`` participants, each unavailable in ``away`` of the slots (chosen at random), and ``requests``
    distinct random pairs; with ``skew`` > 0 some people draw more requests than others, as at real events."""
    rng = random.Random(seed)
    ids = [f"p{i}" for i in range(people)]
    participants = [Participant(i, frozenset(rng.sample(range(slots), round(away * slots)))) for i in ids]
    weights = [1 / (k + 1) ** skew for k in range(people)]
    pairs: set[frozenset[str]] = set()
    while len(pairs) < requests:
        a, b = rng.choices(ids, weights, k=2)
        if a != b:
            pairs.add(frozenset((a, b)))
    meetings = [tuple(sorted(p)) for p in sorted(pairs, key=sorted)]
    return Instance(slots, tables, participants, [(a, b) for a, b in meetings])


def greedy_timed(instance: Instance, runs: int = 5) -> tuple[Schedule, float]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = schedule_greedy(instance)
        times.append(time.perf_counter() - started)
    assert result is not None
    return result, statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4, help="generated instances per size (default 4)")
    parser.add_argument("--time-limit", type=float, default=15.0, help="CP-SAT seconds, 80 people (default 15)")
    parser.add_argument("--workers", type=int, default=None, help="CP-SAT workers (default: the planner's)")
    parser.add_argument("--large", action="store_true", help="also the 200-person instance")
    parser.add_argument("--large-time-limit", type=float, default=30.0)
    parser.add_argument("--only-large", action="store_true")
    parser.add_argument("--skew", type=float, default=SKEW, help=f"request skew, 0 = uniform (default {SKEW})")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    sizes = [] if args.only_large else [("80 p, 300 req, 16x20", (80, 300, 16, 20), args.time_limit)]
    if args.large or args.only_large:
        sizes.append(("200 p, 1,500 req, 24x70", (200, 1500, 24, 70), args.large_time_limit))
    extra = {} if args.workers is None else {"workers": args.workers}
    head = ("instance", "seed", "instant bound", "greedy (baseline)", "greedy ms", "CP-SAT", "proven bound",
            "optimal", "proof s", "CP-SAT s", "greedy / CP-SAT", "idle greedy → CP-SAT")  # fmt: skip
    print("| " + " | ".join(head) + " |\n|" + " --- |" * len(head) if args.markdown else "  ".join(head))
    worst = 1.0
    for name, (people, requests, slots, tables), limit in sizes:
        for seed in range(1, args.seeds + 1):
            instance = event(people, requests, slots, tables, 0.25, seed, args.skew)
            fast, fast_s = greedy_timed(instance)
            best = schedule(instance, time_limit=limit, seed=0, **extra)
            ratio = fast.count / best.count
            worst = min(worst, ratio) if best.optimal else worst
            proof = f"{best.proven_after:.1f}" if best.proven_after is not None else "—"
            cells = (name, str(seed), str(upper_bound(instance)), str(fast.count), f"{fast_s * 1000:.1f}",
                     str(best.count), str(best.upper_bound), "yes" if best.optimal else "no", proof,
                     f"{best.seconds:.1f}", f"{ratio:.3f}", f"{fast.idle} → {best.idle}")  # fmt: skip
            print("| " + " | ".join(cells) + " |" if args.markdown else "  ".join(cells), flush=True)
    print(f"worst greedy / proven optimum: {worst:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
