"""B2B meetings: give each accepted meeting a slot and a table. Plain values in (``Instance``), a ``Schedule`` out.

Two methods with one result type: ``schedule_greedy`` (deterministic, milliseconds; within a few per cent of the
optimum on event-sized instances) and ``schedule`` (the greedy, then OR-Tools CP-SAT within a time limit, proving
optimality when it can; the greedy's answer if the solver fails). Objective, in this order: the most meetings
held; when re-scheduling, the most announced meetings kept in their slot (and then at their table); the least idle
time (empty slots between a person's first and last meeting). docs/matchmaking.md explains the choices.

The values live in meetings_model.py, the methods in meetings_greedy.py and meetings_cpsat.py; import from here.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from domain.planning.meetings_cpsat import WORKERS, solve
from domain.planning.meetings_greedy import greedy, polish
from domain.planning.meetings_model import (
    Instance,
    MeetingPlanError,
    Move,
    Participant,
    Placement,
    Problem,
    Schedule,
    finish,
    instant_bound,
)

__all__ = [
    "WORKERS",
    "Instance",
    "MeetingPlanError",
    "Move",
    "Participant",
    "Placement",
    "Problem",
    "Schedule",
    "schedule",
    "schedule_greedy",
    "upper_bound",
]


def upper_bound(instance: Instance) -> int:
    """An upper bound on the meetings any schedule of ``instance`` holds, in milliseconds and without a solver."""
    return instant_bound(Problem.of_instance(instance))


def schedule_greedy(instance: Instance) -> Schedule:
    """The greedy schedule: announced meetings that still fit stay; the rest most-constrained first; then short
    ejection chains for meetings left over and single moves that shorten idle time. Same input, same schedule.
    ``optimal`` is True only when the instant upper bound shows it."""
    began = time.perf_counter()
    p = Problem.of_instance(instance)
    slot_of = greedy(p)
    bound = instant_bound(p)
    return finish(p, slot_of, upper_bound=bound, optimal=len(slot_of) == bound, method="greedy",
                  seconds=time.perf_counter() - began)  # fmt: skip


def schedule(
    instance: Instance,
    time_limit: float = 10.0,
    seed: int = 0,
    on_improvement: Callable[[Schedule], None] | None = None,
    *,
    workers: int = WORKERS,
    polish_idle: bool = True,
) -> Schedule:
    """The best schedule CP-SAT finds within ``time_limit`` seconds (wall clock, all phases), starting from the
    greedy's. ``on_improvement`` receives the greedy schedule first, then each better one the solver finds while
    maximising meetings (called on the solver's thread; an exception there stops the search and propagates).
    ``seed`` and ``workers`` fix the solver's search; a run that ends by proof gives the same number of meetings
    every time, though which of several equally good schedules can differ between runs with several workers.
    ``polish_idle=False`` stops once the number of meetings (and kept meetings) is settled. If ortools fails the
    greedy schedule is returned (``method`` "greedy")."""
    began = time.perf_counter()
    p = Problem.of_instance(instance)
    start = greedy(p)
    instant = instant_bound(p)

    def report(slot_of: dict[int, int], method: str) -> Schedule:
        return finish(p, slot_of, upper_bound=instant, optimal=len(slot_of) == instant, method=method,
                      seconds=time.perf_counter() - began)  # fmt: skip

    if on_improvement is not None:
        on_improvement(report(start, "greedy"))
    if len(start) == instant and not p.previous and not polish_idle:
        return report(start, "greedy")
    try:
        outcome = solve(
            p,
            start,
            time_limit=max(0.0, time_limit - (time.perf_counter() - began)),
            seed=seed,
            workers=workers,
            polish_idle=polish_idle,
            on_solution=None if on_improvement is None else lambda found: on_improvement(report(found, "cp-sat")),
        )
    except (RuntimeError, MemoryError, OSError):  # the solver's own failures; the greedy schedule still stands
        return report(start, "greedy")
    bound = instant if outcome.bound is None else min(instant, outcome.bound)
    method = "cp-sat" if outcome.slot_of != start or outcome.bound is not None else "greedy"
    # A solution the time limit cut short of phase 3 has idle time the greedy's moves can still shorten.
    final = polish(p, outcome.slot_of) if polish_idle else outcome.slot_of
    return finish(
        p,
        final,
        upper_bound=bound,
        optimal=outcome.optimal or len(final) == bound,
        method=method,
        seconds=time.perf_counter() - began,
        proven_after=outcome.proven_at,
    )
