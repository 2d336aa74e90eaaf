"""The exact meeting scheduler: OR-Tools CP-SAT on x[meeting, slot] (only where both sides are available),
solved lexicographically in up to three phases within one time limit:

1. the most meetings held (the solver's bound is the ``upper_bound`` a schedule reports);
2. when re-scheduling: with that many meetings, the most announced meetings kept in their slot;
3. with both fixed, the least idle time (summed over people: empty slots between their first and last meeting).

Each phase starts from the previous one's solution (the greedy's, for phase 1) as a hint, so a phase stopped by
the time limit still returns a schedule at least as good as its start.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ortools.sat.python import cp_model

from domain.planning.meetings_model import Problem, idle_of

WORKERS = 2  # measured on 2 cores: 8 workers reach no proof sooner (docs/benchmarks.md)


@dataclass(frozen=True)
class Outcome:
    """The best slot assignment found; ``bound``: the solver's proven upper bound on meetings (None: no proof);
    ``proven_at``: seconds after the start when the meeting count was proven maximal."""

    slot_of: dict[int, int]
    bound: int | None
    optimal: bool
    proven_at: float | None


class _Reporter(cp_model.CpSolverSolutionCallback):
    """Hands each better phase-1 solution to ``on_solution``; an exception there stops the search and is re-raised
    by ``solve`` afterwards (an exception cannot cross the solver's C++ frames)."""

    def __init__(self, x: dict[tuple[int, int], Any], on_solution: Callable[[dict[int, int]], None]) -> None:
        super().__init__()
        self.x, self.on_solution = x, on_solution
        self.error: BaseException | None = None

    def on_solution_callback(self) -> None:
        try:
            self.on_solution({m: s for (m, s), v in self.x.items() if self.boolean_value(v)})
        except BaseException as e:  # re-raised by solve(): the solver would only log it
            self.error = e
            self.stop_search()


def solve(
    p: Problem,
    start: dict[int, int],
    *,
    time_limit: float,
    seed: int = 0,
    workers: int = WORKERS,
    polish_idle: bool = True,
    on_solution: Callable[[dict[int, int]], None] | None = None,
) -> Outcome:
    """Solve ``p`` from the feasible assignment ``start`` (meeting -> slot). Returns ``start`` itself if the solver
    finds nothing better in time."""
    began = time.perf_counter()
    model = cp_model.CpModel()
    x = {(m, s): model.new_bool_var(f"x{m}_{s}") for m in range(len(p.pairs)) for s in p.cand[m]}
    for m in range(len(p.pairs)):
        if len(p.cand[m]) > 1:
            model.add_at_most_one(x[m, s] for s in p.cand[m])
    for who in range(p.people):
        for s in range(p.slots):
            mine = [x[m, s] for m in p.of[who] if (m, s) in x]
            if len(mine) > 1:
                model.add_at_most_one(mine)
    for s in range(p.slots):
        here = [v for (_, slot), v in x.items() if slot == s]
        if len(here) > p.tables:
            model.add(sum(here) <= p.tables)
    held = sum(x.values())
    model.maximize(held)
    _hint(model, x, start)
    reporter = _Reporter(x, on_solution) if on_solution is not None else None
    status, solver = _run(model, time_limit - (time.perf_counter() - began), seed, workers, reporter)
    if reporter is not None and reporter.error is not None:
        raise reporter.error
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Outcome(dict(start), _bound(solver, status), False, None)
    best = _values(solver, x)
    if _rank(p, start) >= _rank(p, best):  # as many meetings: the greedy's is the better start for phases 2 and 3
        best = dict(start)
    optimal = status == cp_model.OPTIMAL
    proven_at = time.perf_counter() - began if optimal else None
    bound: int | None = len(best) if optimal else _bound(solver, status)
    phases: list[tuple[Any, bool]] = []  # (objective to optimise, maximise?)
    stay = {m: at for m in sorted(p.previous) if (at := p.stays(m)) is not None}
    if stay:  # a meeting that keeps its table counts for more than all that only keep their slot (the room shrank)
        weight = 1 + sum(1 for m in stay if p.previous[m][1] >= p.tables)
        phases.append((sum(x[m, at] * (weight if p.previous[m][1] < p.tables else 1) for m, at in stay.items()), True))
    if polish_idle:
        phases.append((_idle(model, p, x), False))
    model.add(held >= len(best))
    for objective, maximise in phases:
        left = time_limit - (time.perf_counter() - began)
        if left < 0.05:
            break
        if maximise:
            model.maximize(objective)
        else:
            model.minimize(objective)
        model.clear_hints()  # type: ignore[no-untyped-call]  # unannotated in ortools
        _hint(model, x, best)
        status, solver = _run(model, left, seed, workers, None)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        best = _values(solver, x)
        value = round(solver.objective_value)
        model.add(objective >= value if maximise else objective <= value)
    return Outcome(best, bound, optimal, proven_at)


def _run(
    model: cp_model.CpModel, limit: float, seed: int, workers: int, reporter: _Reporter | None
) -> tuple[Any, cp_model.CpSolver]:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, limit)
    solver.parameters.random_seed = seed
    solver.parameters.num_workers = workers
    solver.parameters.log_search_progress = False
    status = solver.solve(model, reporter) if reporter is not None else solver.solve(model)
    return status, solver


def _rank(p: Problem, slot_of: dict[int, int]) -> tuple[int, int, int]:
    """Meetings held, announced meetings in their slot, minus idle time: larger is better."""
    slots: list[list[int]] = [[] for _ in range(p.people)]
    for m, s in slot_of.items():
        for who in p.pairs[m]:
            slots[who].append(s)
    kept = sum(1 for m, s in slot_of.items() if s == p.stays(m))
    return len(slot_of), kept, -sum(idle_of(v) for v in slots)


def _hint(model: Any, x: dict[tuple[int, int], Any], slot_of: dict[int, int]) -> None:
    for (m, s), v in x.items():
        model.add_hint(v, slot_of.get(m) == s)


def _values(solver: cp_model.CpSolver, x: dict[tuple[int, int], Any]) -> dict[int, int]:
    return {m: s for (m, s), v in x.items() if solver.boolean_value(v)}


def _bound(solver: cp_model.CpSolver, status: Any) -> int | None:
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return int(solver.best_objective_bound + 1e-6)
    return None


def _idle(model: Any, p: Problem, x: dict[tuple[int, int], Any]) -> Any:
    """Sum over people of (last slot - first slot + 1 - meetings), as a linear expression over new variables."""
    total = []
    for who in range(p.people):
        mine = {s: [x[m, s] for m in p.of[who] if (m, s) in x] for s in range(p.slots)}
        used = {s: sum(vs) for s, vs in mine.items() if vs}  # 0/1: the person meets in slot s
        if len(used) < 2:
            continue
        lo, hi = min(used), max(used)
        first = model.new_int_var(lo, hi, f"first{who}")
        last = model.new_int_var(lo, hi, f"last{who}")
        idle = model.new_int_var(0, hi - lo, f"idle{who}")
        for s, meets in used.items():
            model.add(first <= s + (hi - s) * (1 - meets))
            model.add(last >= s - (s - lo) * (1 - meets))
        model.add(idle >= last - first + 1 - sum(used.values()))
        total.append(idle)
    return sum(total)
