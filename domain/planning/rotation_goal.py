"""Rotations planned to a goal: "everyone meets at least M others" instead of a number of rounds.

With n people in pairs each seated person meets at most one new person a round; with n odd someone sits out each
round, so some people meet fewer others than there are rounds (15 people over 10 rounds: 5 meet 10, 10 meet 9).
``plan_to_meet_at_least`` refuses a goal someone could never reach (``most_met``), then asks the ordinary planner
(rotations.plan_rotation) for plans from ``lower_bound`` up: from a plan that falls short it jumps ahead by the
rate its people actually met others, then bisects back down to the fewest rounds that did it. The count is read
from the plans, never from a formula (constraints can cost a round), and the whole search has one deadline, so a
goal the planner cannot reach costs at most that, never a planner call per round count.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from domain.planning.rotations import Person, RotationError, RotationPlan, plan_rotation, table_sizes

# Rounds a search may add without the fewest met going up before it gives up: the planner is not getting there.
STALL_ROUNDS = 3


def least_met(plan: RotationPlan) -> int:
    """The fewest different people anyone meets in ``plan`` (met for the first time, over its rounds)."""
    return min(plan.quality.met.values(), default=0)


def most_met(people: int, table_size: int, hosts: int = 0, odd: str = "sit_out") -> tuple[int, str]:
    """The most different others everyone can meet, however many rounds, and why: n - 1; with two or more hosts,
    who stay at their own tables and so never meet each other, a host meets only the n - hosts who are not hosts;
    and in pairs with a host at every table, the others only ever meet hosts."""
    most, why = people - 1, f"with {people} people, each can meet at most {people - 1} others"
    if hosts > 1 and people - hosts < most:
        most = people - hosts
        why = f"hosts never meet each other: with {people} people and {hosts} hosts, a host meets at most {most} others"
    sizes, _ = table_sizes(people, table_size, odd)
    if table_size == 2 and hosts and hosts >= len(sizes) and max(sizes) == 2 and hosts < most:
        most = hosts
        why = f"in pairs with a host at each of the {hosts} tables, the others meet only the hosts: at most {most}"
    return most, why


def lower_bound(people: int, table_size: int, meet_at_least: int, odd: str = "sit_out") -> int:
    """The fewest rounds in which everyone could meet ``meet_at_least`` others: a seated person meets at most
    (the largest table - 1) new people a round (two at the trio of pairs with a trio); sitting out, nobody. Sit-outs
    go round in turn, so over r rounds someone sits out ceil(r * out / n) of them."""
    sizes, out = table_sizes(people, table_size, odd)
    per_round = max(1, max(sizes, default=2) - 1)
    rounds = max(1, -(-meet_at_least // per_round))
    while out and rounds - -(-rounds * out // people) < meet_at_least:
        rounds += 1
    return rounds


def plan_to_meet_at_least(
    people: Sequence[Person],
    table_size: int,
    meet_at_least: int,
    *,
    max_rounds: int = 100,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    **options: Any,
) -> RotationPlan:
    """The plan with the fewest rounds found (from ``lower_bound`` up, at most ``max_rounds``) in which every person
    of ``people`` meets at least ``meet_at_least`` different others. ``options`` go to ``plan_rotation`` as they are
    (avoid, prefer_cross, must_meet, hosts, odd, seed, budget, time_limit: the limit of each planner call).
    ``deadline``: seconds for the whole search by ``clock``; when it passes, the fewest rounds found so far, if any.
    Raises RotationError when someone could not meet that many (``most_met``), when the fewest met stops growing for
    STALL_ROUNDS more rounds, or when no plan was found in time or within ``max_rounds``."""
    n = len(people)
    if isinstance(meet_at_least, bool) or not isinstance(meet_at_least, int) or meet_at_least < 1:
        raise RotationError("meet_at_least must be a whole number of at least 1")
    if n < 2:
        raise RotationError("a rotation needs at least two people")
    odd = str(options.get("odd", "sit_out"))
    most, why = most_met(n, table_size, len(options.get("hosts") or {}), odd)
    if meet_at_least > most:
        refusal = RotationError(why)
        refusal.details = {"people": n, "most": most}  # the dashboard words the limit in its own language
        raise refusal
    ends = None if deadline is None else clock() + deadline
    per_call = options.pop("time_limit", None)

    def plan(rounds: int) -> RotationPlan:
        limit = per_call
        if ends is not None:
            left = max(0.0, ends - clock())
            limit = left if limit is None else min(limit, left)
        return plan_rotation(people, table_size, rounds, time_limit=limit, **options)

    def out_of_time() -> bool:
        return ends is not None and clock() >= ends

    rounds = min(lower_bound(n, table_size, meet_at_least, odd), max_rounds)
    # the most rounds known to fall short (fewer than the lower bound do); (fewest met, rounds) at best; a plan
    short, best, found = rounds - 1, None, None
    while found is None:
        tried = plan(rounds)
        met = least_met(tried)
        if met >= meet_at_least:
            found = tried
            break
        short = rounds
        if best is None or met > best[0]:
            best = (met, rounds)
        elif rounds - best[1] >= STALL_ROUNDS:
            raise RotationError(
                f"no plan gets everyone to meet {meet_at_least} others: with {rounds} rounds the fewest met is "
                f"still {met}"
            )
        if rounds >= max_rounds or out_of_time():
            break
        # jump ahead at the rate the fewest met grew so far (at least one round); bisect back down once one did it
        ahead = -(-rounds * meet_at_least // met) if met else 2 * rounds
        rounds = min(max_rounds, max(rounds + 1, ahead))
    if found is None:
        why = "in the time allowed" if out_of_time() else f"of at most {max_rounds} rounds"
        raise RotationError(f"no plan {why} gets everyone to meet {meet_at_least} others")
    low, high = short, len(found.rounds)  # low fell short, high did it: bisect between them
    while high - low > 1 and not out_of_time():
        middle = (low + high) // 2
        tried = plan(middle)
        if least_met(tried) >= meet_at_least:
            found, high = tried, middle
        else:
            low = middle
    return found


def hours_minutes(seconds: float) -> str:
    """A duration as facilitators plan it: "0 h 44 min", "2 h 05 min" (seconds rounded up to the minute)."""
    minutes = -(-int(seconds) // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"
