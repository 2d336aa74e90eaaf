"""The B2B meeting scheduler alone (domain/planning/meetings*.py): feasibility over random instances, optimality
against brute force on tiny ones, the bounds, re-scheduling stability, the time-limit fallback, input checks."""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.planning import meetings_cpsat
from domain.planning.meetings import (
    Instance,
    MeetingPlanError,
    Participant,
    Schedule,
    schedule,
    schedule_greedy,
    upper_bound,
)
from domain.planning.meetings_model import idle_of


def event(people: int, requests: int, slots: int, tables: int, away: float, seed: int) -> Instance:
    """Random people (each away in a share of the slots) and distinct random pairs."""
    rng = random.Random(seed)
    participants = [Participant(f"p{i}", frozenset(rng.sample(range(slots), round(away * slots))))
                    for i in range(people)]  # fmt: skip
    pairs: set[tuple[str, str]] = set()
    while len(pairs) < requests:
        a, b = sorted(rng.sample(range(people), 2))
        pairs.add((f"p{a}", f"p{b}"))
    return Instance(slots, tables, participants, sorted(pairs))


def assert_feasible(inst: Instance, result: Schedule) -> None:
    away = {p.id: p.unavailable for p in inst.participants}
    seen: set[tuple[str, int]] = set()
    tables: set[tuple[int, int]] = set()
    for m, (s, t) in result.placed.items():
        assert 0 <= s < inst.slots and 0 <= t < inst.tables, (m, s, t)
        assert (s, t) not in tables, f"two meetings at slot {s}, table {t}"
        tables.add((s, t))
        for who in inst.meetings[m]:
            assert s not in away[who], f"{who} booked in slot {s}, where they are away"
            assert (who, s) not in seen, f"{who} double-booked in slot {s}"
            seen.add((who, s))
    assert sorted([*result.placed, *result.unscheduled]) == list(range(len(inst.meetings)))
    assert result.count <= result.upper_bound
    assert result.optimal == (result.count == result.upper_bound)


def brute_force(inst: Instance) -> tuple[int, int, int]:
    """Lexicographically best: the most meetings held, the best ``stay_score``, the least idle time."""
    away = {p.id: p.unavailable for p in inst.participants}
    options = [[None, *(s for s in range(inst.slots) if s not in away[a] | away[b])] for a, b in inst.meetings]
    best = (0, 0, 0)
    for choice in itertools.product(*options):
        used = [s for s in choice if s is not None]
        if any(used.count(s) > inst.tables for s in set(used)):
            continue
        slots: dict[str, list[int]] = {}
        for (a, b), s in zip(inst.meetings, choice, strict=True):
            if s is not None:
                slots.setdefault(a, []).append(s)
                slots.setdefault(b, []).append(s)
        if any(len(set(v)) < len(v) for v in slots.values()):
            continue
        found = (len(used), stay_score(inst, dict(enumerate(choice))), -sum(idle_of(v) for v in slots.values()))
        best = max(best, found)
    return best[0], best[1], -best[2]


def stay_score(inst: Instance, slot_of: dict[int, int | None]) -> int:
    """Announced meetings kept in their slot: one that also keeps its table outweighs all that cannot."""
    previous = inst.previous or {}
    weight = 1 + sum(1 for _, t in previous.values() if t >= inst.tables)
    return sum(weight if t < inst.tables else 1 for m, (s, t) in previous.items() if slot_of.get(m) == s)


@st.composite
def instances(draw: st.DrawFn, max_people: int = 8, max_slots: int = 5, max_meetings: int = 14) -> Instance:
    slots = draw(st.integers(1, max_slots))
    tables = draw(st.integers(1, 4))
    n = draw(st.integers(2, max_people))
    away = [draw(st.frozensets(st.integers(0, slots - 1), max_size=slots)) for _ in range(n)]
    all_pairs = list(itertools.combinations(range(n), 2))
    chosen = draw(st.lists(st.sampled_from(all_pairs), unique=True, max_size=min(max_meetings, len(all_pairs))))
    return Instance(slots, tables, [Participant(f"p{i}", a) for i, a in enumerate(away)],
                    [(f"p{a}", f"p{b}") for a, b in chosen])  # fmt: skip


@given(instances(max_people=14, max_slots=8, max_meetings=40))
@settings(max_examples=150, deadline=None)
def test_greedy_schedules_are_feasible_and_within_the_bound(inst: Instance) -> None:
    result = schedule_greedy(inst)
    assert_feasible(inst, result)
    assert result.method == "greedy"
    assert result.upper_bound == upper_bound(inst)
    assert schedule_greedy(inst) == result or schedule_greedy(inst).placed == result.placed  # deterministic


@given(instances(max_people=10, max_slots=6, max_meetings=24))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_solver_schedules_are_feasible_and_never_worse_than_the_greedy(inst: Instance) -> None:
    result = schedule(inst, time_limit=2.0)
    assert_feasible(inst, result)
    assert result.count >= schedule_greedy(inst).count
    assert result.upper_bound <= upper_bound(inst)


@given(instances(max_people=5, max_slots=3, max_meetings=6))
@settings(max_examples=40, deadline=None)
def test_tiny_instances_match_brute_force(inst: Instance) -> None:
    most, _, least_idle = brute_force(inst)
    exact = schedule(inst, time_limit=2.0)
    assert exact.optimal and exact.count == most == exact.upper_bound
    assert exact.idle == least_idle
    fast = schedule_greedy(inst)
    assert fast.count <= most <= upper_bound(inst)


@given(instances(max_people=5, max_slots=3, max_meetings=6), st.data())
@settings(max_examples=40, deadline=None)
def test_tiny_reschedules_match_brute_force(inst: Instance, data: st.DataObject) -> None:
    announced = schedule_greedy(inst).placed
    who = data.draw(st.sampled_from(inst.participants))
    away = data.draw(st.integers(0, inst.slots - 1))
    people = [Participant(p.id, p.unavailable | {away} if p is who else p.unavailable) for p in inst.participants]
    tables = data.draw(st.integers(1, inst.tables))
    late = Instance(inst.slots, tables, people, inst.meetings, dict(announced))
    most, stays, least_idle = brute_force(late)
    exact = schedule(late, time_limit=2.0)
    assert (exact.count, stay_score(late, {m: s for m, (s, _) in exact.placed.items()}), exact.idle) == (
        most, stays, least_idle)  # fmt: skip
    moved = {mv.meeting for mv in exact.moved}
    assert all(exact.placed[m] == place for m, place in announced.items() if m not in moved)
    assert all(exact.placed.get(mv.meeting) == mv.new for mv in exact.moved)


def test_a_known_instance_by_hand() -> None:
    # ann is away in slot 0, cy in slot 2: ann-cy can only be in slot 1, which forces the other two.
    inst = Instance(3, 1, [Participant("ann", frozenset({0})), Participant("bob"), Participant("cy", frozenset({2}))],
                    [("ann", "bob"), ("bob", "cy"), ("ann", "cy")])  # fmt: skip
    for result in (schedule_greedy(inst), schedule(inst, time_limit=2.0)):
        assert result.placed == {0: (2, 0), 1: (0, 0), 2: (1, 0)} and result.optimal and result.idle == 1


def test_tables_limit_a_slot_and_the_bound_says_so() -> None:
    inst = Instance(2, 1, [Participant(f"p{i}") for i in range(6)], [("p0", "p1"), ("p2", "p3"), ("p4", "p5")])
    assert upper_bound(inst) == 2  # S x T
    result = schedule(inst, time_limit=2.0)
    assert result.count == 2 and result.optimal and len(result.unscheduled) == 1


def test_a_meeting_without_a_common_free_slot_is_unscheduled_and_bounded_out() -> None:
    inst = Instance(2, 5, [Participant("a", frozenset({0})), Participant("b", frozenset({1})), Participant("c")],
                    [("a", "b"), ("a", "c")])  # fmt: skip
    assert upper_bound(inst) == 1
    assert schedule_greedy(inst).unscheduled == (0,)


def test_the_greedy_is_fast_and_close_to_the_optimum_on_an_event_sized_instance() -> None:
    inst = event(80, 300, 16, 20, 0.25, seed=3)
    started = time.perf_counter()
    fast = schedule_greedy(inst)
    elapsed = time.perf_counter() - started
    assert_feasible(inst, fast)
    assert elapsed < 0.25  # 10-20 ms measured; generous for a loaded CI machine
    exact = schedule(inst, time_limit=5.0, polish_idle=False)
    assert exact.optimal and exact.count >= fast.count >= 0.95 * exact.count


def test_improvements_are_reported_greedy_first() -> None:
    seen: list[Schedule] = []
    inst = event(30, 80, 8, 6, 0.25, seed=1)
    final = schedule(inst, time_limit=1.0, on_improvement=seen.append)
    assert seen and seen[0].method == "greedy"
    assert [s.count for s in seen] == sorted(s.count for s in seen)
    assert final.count >= seen[-1].count


def test_an_exception_in_the_callback_propagates() -> None:
    def boom(_: Schedule) -> None:
        raise KeyError("boom")

    with pytest.raises(KeyError):
        schedule(event(10, 20, 4, 3, 0.25, seed=1), time_limit=1.0, on_improvement=boom)


def test_a_tiny_time_limit_still_gives_a_feasible_schedule() -> None:
    inst = event(200, 1500, 24, 70, 0.25, seed=1)
    result = schedule(inst, time_limit=0.0)
    assert_feasible(inst, result)
    assert not result.optimal and result.count < result.upper_bound
    assert result.count >= schedule_greedy(inst).count


def test_if_the_solver_fails_the_greedy_schedule_stands(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("solver crashed")

    monkeypatch.setattr("domain.planning.meetings.solve", broken)
    inst = event(20, 40, 6, 5, 0.25, seed=2)
    result = schedule(inst, time_limit=1.0)
    assert result.method == "greedy" and result.placed == schedule_greedy(inst).placed
    assert meetings_cpsat.solve is not broken


def announce(inst: Instance, result: Schedule, meetings: Sequence[tuple[str, str]] | None = None,
             away: dict[str, frozenset[int]] | None = None) -> Instance:  # fmt: skip
    people = [Participant(p.id, (away or {}).get(p.id, p.unavailable)) for p in inst.participants]
    return Instance(inst.slots, inst.tables, people, meetings or inst.meetings, dict(result.placed))


@pytest.mark.parametrize("method", ["greedy", "cp-sat"])
def test_adding_a_meeting_moves_no_announced_one(method: str) -> None:
    inst = event(40, 120, 10, 10, 0.25, seed=4)
    plan = schedule_greedy if method == "greedy" else lambda i: schedule(i, time_limit=1.5, polish_idle=False)
    before = plan(inst)
    extra = next(p for p in itertools.combinations(sorted(p.id for p in inst.participants), 2)
                 if p not in inst.meetings)  # fmt: skip
    after = plan(announce(inst, before, [*inst.meetings, extra]))
    assert_feasible(announce(inst, before, [*inst.meetings, extra]), after)
    assert after.moved == () and after.kept == before.count
    assert after.count >= before.count


@pytest.mark.parametrize("method", ["greedy", "cp-sat"])
def test_someone_away_in_one_slot_moves_only_that_meeting(method: str) -> None:
    inst = event(40, 120, 10, 10, 0.25, seed=5)
    plan = schedule_greedy if method == "greedy" else lambda i: schedule(i, time_limit=1.5, polish_idle=False)
    before = plan(inst)
    m, (slot, table) = next(iter(before.placed.items()))
    who = inst.meetings[m][0]
    changed = announce(inst, before, away={who: next(p.unavailable for p in inst.participants if p.id == who)
                                           | {slot}})  # fmt: skip
    after = plan(changed)
    assert_feasible(changed, after)
    assert [mv.meeting for mv in after.moved] == [m]
    assert after.moved[0].old == (slot, table) and after.moved[0].new != (slot, table)
    assert after.count >= before.count - 1
    assert all(after.placed[x] == before.placed[x] for x in before.placed if x != m)


def test_a_smaller_room_holds_as_many_meetings_and_keeps_at_least_what_the_greedy_keeps() -> None:
    inst = event(30, 60, 10, 8, 0.25, seed=6)
    before = schedule(inst, time_limit=1.0, polish_idle=False)
    smaller = Instance(inst.slots, 6, inst.participants, inst.meetings, dict(before.placed))
    after = schedule(smaller, time_limit=1.5, polish_idle=False)
    assert_feasible(smaller, after)
    assert after.count == before.count and after.kept >= schedule_greedy(smaller).kept
    lost = {m for m, (_, t) in before.placed.items() if t >= 6}
    assert lost <= {mv.meeting for mv in after.moved}
    assert all(mv.new is not None for mv in after.moved)


def test_the_json_shape() -> None:
    inst = Instance(2, 1, [Participant("a"), Participant("b")], [("a", "b")], {0: (1, 0)})
    d = schedule_greedy(inst).to_dict()
    assert d["scheduled"] == [{"meeting": 0, "slot": 1, "table": 0}]
    assert {"upper_bound", "optimal", "seconds", "method", "unscheduled", "moved", "kept", "idle"} <= set(d)
    assert d["kept"] == 1 and d["moved"] == []


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Instance(0, 1, [], []), "slots must be"),
        (lambda: Instance(2, 0, [], []), "tables must be"),
        (lambda: Instance(2, 1, [Participant("a"), Participant("a")], []), "listed twice"),
        (lambda: Instance(2, 1, [Participant("a", frozenset({2}))], []), "not in 0..1"),
        (lambda: Instance(2, 1, [Participant("a")], [("a", "zed")]), "unknown participant 'zed'"),
        (lambda: Instance(2, 1, [Participant("a")], [("a", "a")]), "cannot meet themselves"),
        (lambda: Instance(2, 1, [Participant("a"), Participant("b")], [("a", "b"), ("b", "a")]), "repeats meeting 0"),
        (lambda: Instance(2, 1, [Participant("a"), Participant("b")], [("a", "b")], {3: (0, 0)}), "not a meeting"),
        (
            lambda: Instance(
                2,
                1,
                [Participant("a"), Participant("b"), Participant("c")],
                [("a", "b"), ("a", "c")],
                {0: (0, 0), 1: (0, 0)},
            ),
            "share slot and table",
        ),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(make: Callable[[], object], message: str) -> None:
    with pytest.raises(MeetingPlanError, match=message) as caught:
        make()
    assert caught.value.code == "bad_meeting_instance" and isinstance(caught.value, ValueError)
