"""Rotations planned to a goal: everyone meets at least M others, in the fewest rounds the planner's own plan
shows (never a formula alone)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import combinations
from types import SimpleNamespace
from typing import Any

import pytest

from domain.planning import rotation_goal
from domain.planning.rotation_goal import least_met, lower_bound, plan_to_meet_at_least
from domain.planning.rotations import Person, RotationError, plan_rotation, table_sizes


def _people(n: int, organisations: int = 0) -> list[Person]:
    return [Person(i, f"Org {i % organisations}" if organisations else "") for i in range(n)]


def test_fifteen_in_pairs_need_eleven_rounds_for_everyone_to_meet_ten() -> None:
    plan = plan_to_meet_at_least(_people(15), 2, 10)
    assert len(plan.rounds) == 11 and least_met(plan) >= 10
    # In ten rounds the sit-outs leave ten of them at nine: that is the goal ten rounds reach.
    assert len(plan_to_meet_at_least(_people(15), 2, 9).rounds) == 10


def test_a_table_of_three_instead_of_sitting_out_needs_ten() -> None:
    plan = plan_to_meet_at_least(_people(15), 2, 10, odd="trio")
    assert len(plan.rounds) == 10 and least_met(plan) >= 10


@pytest.mark.parametrize(("n", "size", "goal"), [(16, 2, 10), (17, 2, 16), (20, 4, 12), (12, 3, 11), (9, 2, 3)])
def test_the_plan_meets_the_goal_and_one_round_fewer_would_not(n: int, size: int, goal: int) -> None:
    plan = plan_to_meet_at_least(_people(n), size, goal)
    rounds = len(plan.rounds)
    assert least_met(plan) >= goal
    if rounds > 1:
        assert least_met(plan_rotation(_people(n), size, rounds - 1)) < goal


def test_avoiding_colleagues_everyone_meets_the_other_organisation_in_four_rounds() -> None:
    """Two organisations of four in pairs, avoiding colleagues: everyone meets the four of the other one, one a
    round, so four rounds, and no pair of colleagues."""
    plan = plan_to_meet_at_least(_people(8, 2), 2, 4)
    assert len(plan.rounds) == 4 and least_met(plan) == 4
    assert plan.quality.violations["organisation"] == 0


def test_impossible_goals_are_refused() -> None:
    with pytest.raises(RotationError, match="at most 14"):
        plan_to_meet_at_least(_people(15), 2, 15)
    with pytest.raises(RotationError):
        plan_to_meet_at_least(_people(15), 2, 0)
    with pytest.raises(RotationError, match="at most 3 rounds"):
        plan_to_meet_at_least(_people(15), 2, 10, max_rounds=3)


def _layouts(people: list[int], sizes: list[int]) -> Iterator[list[tuple[int, ...]]]:
    """Every way to seat ``people`` at tables of ``sizes`` (tables of one size in no particular order)."""
    if not sizes:
        yield []
        return
    first, rest = people[0], people[1:]
    for others in combinations(rest, sizes[0] - 1):
        left = [p for p in rest if p not in others]
        for tail in _layouts(left, sizes[1:]):
            yield [(first, *others), *tail]


def _fewest_rounds_by_brute_force(n: int, size: int, goal: int, odd: str) -> int:
    sizes, out = table_sizes(n, size, odd)
    seatings = [[p for p in range(n) if p != o] for o in range(n)] if out else [list(range(n))]
    every = [layout for seated in seatings for layout in _layouts(seated, sizes)]

    def reaches(plan: list[list[tuple[int, ...]]], more: int) -> bool:
        if more == 0:
            met: list[set[int]] = [set() for _ in range(n)]
            for layout in plan:
                for table in layout:
                    for p in table:
                        met[p].update(q for q in table if q != p)
            return min(map(len, met)) >= goal
        return any(reaches([*plan, layout], more - 1) for layout in every)

    rounds = 1
    while not reaches([every[0]], rounds - 1):  # the first round is any one, by symmetry
        rounds += 1
    return rounds


@pytest.mark.parametrize(
    ("n", "size", "goal", "odd"),
    [(8, 3, 3, "sit_out"), (7, 2, 4, "trio"), (10, 4, 5, "sit_out"), (9, 3, 4, "sit_out"), (5, 2, 3, "trio")],
)
def test_uneven_tables_get_the_fewest_rounds_brute_force_finds(n: int, size: int, goal: int, odd: str) -> None:
    """8 at tables of 3 (3, 3, 2) meet 3 others in 2 rounds; 7 in pairs with a trio meet 4 in 3: the lower bound
    counts the largest table, so it never starts above the true minimum."""
    fewest = _fewest_rounds_by_brute_force(n, size, goal, odd)
    assert lower_bound(n, size, goal, odd) <= fewest
    assert len(plan_to_meet_at_least(_people(n), size, goal, odd=odd).rounds) == fewest


class _FakePlanner:
    """Stands in for plan_rotation: a plan of the rounds asked for, in which the fewest met is ``met(rounds)``;
    counts the calls and, with ``clock``, moves it on by ``seconds`` a call."""

    def __init__(self, met: Callable[[int], int], clock: list[float] | None = None, seconds: float = 0.0) -> None:
        self.met, self.calls, self.clock, self.seconds = met, 0, clock, seconds
        self.asked: list[int] = []

    def __call__(self, people: Any, table_size: int, rounds: int, **options: Any) -> Any:
        self.calls += 1
        self.asked.append(rounds)
        if self.clock is not None:
            self.clock[0] += self.seconds
        return SimpleNamespace(rounds=[None] * rounds, least=self.met(rounds))


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Callable[..., _FakePlanner]:
    def install(met: Callable[[int], int], clock: list[float] | None = None, seconds: float = 0.0) -> _FakePlanner:
        planner = _FakePlanner(met, clock, seconds)
        monkeypatch.setattr(rotation_goal, "plan_rotation", planner)
        monkeypatch.setattr(rotation_goal, "least_met", lambda plan: plan.least)
        return planner

    return install


@pytest.mark.parametrize(
    ("n", "size", "goal", "hosts", "message"),
    [
        (20, 4, 16, 5, "5 hosts, a host meets at most 15"),
        (12, 2, 11, 2, "2 hosts, a host meets at most 10"),
        (5, 2, 3, 2, "the others meet only the hosts: at most 2"),
    ],
)
def test_goals_hosts_make_impossible_are_refused_without_planning(
    n: int, size: int, goal: int, hosts: int, message: str, fake: Callable[..., _FakePlanner]
) -> None:
    """Hosts stay at their tables, so they never meet each other: these once tried every round count to 100."""
    planner = fake(lambda rounds: rounds)
    seated = {i: i for i in range(hosts)}
    with pytest.raises(RotationError, match=message):
        plan_to_meet_at_least(_people(n), size, goal, hosts=seated)
    assert planner.calls == 0
    plan_to_meet_at_least(_people(n), size, goal - 1, hosts=seated)  # one fewer: the planner is asked
    assert planner.calls >= 1


def test_the_search_jumps_ahead_and_bisects_instead_of_one_round_a_call(fake: Callable[..., _FakePlanner]) -> None:
    """40 at tables of 4 meeting 39 others, two more a round: from the lower bound of 13 rounds (26 met) it jumps
    to 20 at that rate, and 19 falls short; a call per round count (13 to 20) before."""
    planner = fake(lambda rounds: min(39, 2 * rounds))
    plan = plan_to_meet_at_least(_people(40), 4, 39)
    assert len(plan.rounds) == 20
    assert planner.asked == [13, 20, 16, 18, 19]


def test_the_deadline_covers_the_whole_search(fake: Callable[..., _FakePlanner]) -> None:
    """Each plan takes 1 s of the injected clock: a 2 s deadline allows two, however many rounds are left."""
    clock = [0.0]
    planner = fake(lambda rounds: rounds // 4, clock, 1.0)
    with pytest.raises(RotationError, match="in the time allowed"):
        plan_to_meet_at_least(_people(40), 2, 39, deadline=2.0, clock=lambda: clock[0])
    assert planner.calls == 2
    # a plan found before the deadline is kept though the bisection back down is cut short
    clock[0], planner.calls = 0.0, 0
    planner.met = lambda rounds: min(39, 2 * rounds)
    plan = plan_to_meet_at_least(_people(40), 4, 39, deadline=2.0, clock=lambda: clock[0])
    assert len(plan.rounds) == 20 and planner.calls == 2


def test_a_goal_the_planner_stops_approaching_is_given_up(fake: Callable[..., _FakePlanner]) -> None:
    """When more rounds stop raising the fewest met, the search stops instead of trying every count to 100."""
    planner = fake(lambda rounds: min(rounds, 4))
    with pytest.raises(RotationError, match="the fewest met is still 4"):
        plan_to_meet_at_least(_people(8), 2, 5)
    assert planner.asked == [5, 7, 9]
