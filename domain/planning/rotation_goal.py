"""Rotations planned to a goal: "everyone meets at least M others" instead of a number of rounds.

With n people in pairs each seated person meets at most one new person a round; with n odd someone sits out each
round, so some people meet fewer others than there are rounds (15 people over 10 rounds: 5 meet 10, 10 meet 9).
``plan_to_meet_at_least`` starts from that lower bound and asks the ordinary planner (rotations.plan_rotation) for
plans of one more round at a time until the plan itself shows everyone meeting at least M different people: the
count is read from the plan, never from a formula (constraints can cost a round).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.planning.rotations import Person, RotationError, RotationPlan, plan_rotation, table_sizes


def least_met(plan: RotationPlan) -> int:
    """The fewest different people anyone meets in ``plan`` (met for the first time, over its rounds)."""
    return min(plan.quality.met.values(), default=0)


def lower_bound(people: int, table_size: int, meet_at_least: int, odd: str = "sit_out") -> int:
    """The fewest rounds in which everyone could meet ``meet_at_least`` others: at a table of s one meets at most
    s - 1 new people a round; sitting out, nobody. Sit-outs go round in turn, so over r rounds someone sits out
    ceil(r * out / n) of them."""
    sizes, out = table_sizes(people, table_size, odd)
    # Pairs with a trio: only three people sit at the trio each round, so count a round as one new person.
    per_round = 1 if table_size == 2 else max(1, min(sizes) - 1)
    rounds = max(1, -(-meet_at_least // per_round))
    while out and rounds - -(-rounds * out // people) < meet_at_least:
        rounds += 1
    return rounds


def plan_to_meet_at_least(
    people: Sequence[Person], table_size: int, meet_at_least: int, *, max_rounds: int = 100, **options: Any
) -> RotationPlan:
    """The plan with the fewest rounds (from ``lower_bound`` up, at most ``max_rounds``) in which every person of
    ``people`` meets at least ``meet_at_least`` different others. ``options`` go to ``plan_rotation`` as they are
    (avoid, prefer_cross, must_meet, hosts, odd, seed, budget, time_limit). Raises RotationError when nobody can
    meet that many (more than n - 1) or no plan of at most ``max_rounds`` rounds does it."""
    n = len(people)
    if isinstance(meet_at_least, bool) or not isinstance(meet_at_least, int) or meet_at_least < 1:
        raise RotationError("meet_at_least must be a whole number of at least 1")
    if n >= 2 and meet_at_least > n - 1:
        raise RotationError(f"with {n} people, each can meet at most {n - 1} others")
    if n < 2:
        raise RotationError("a rotation needs at least two people")
    rounds = lower_bound(n, table_size, meet_at_least, str(options.get("odd", "sit_out")))
    while rounds <= max_rounds:
        plan = plan_rotation(people, table_size, rounds, **options)
        if least_met(plan) >= meet_at_least:
            return plan
        rounds += 1
    raise RotationError(f"no plan of at most {max_rounds} rounds gets everyone to meet {meet_at_least} others")


def hours_minutes(seconds: float) -> str:
    """A duration as facilitators plan it: "0 h 44 min", "2 h 05 min" (seconds rounded up to the minute)."""
    minutes = -(-int(seconds) // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"
