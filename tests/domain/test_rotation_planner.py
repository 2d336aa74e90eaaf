"""The rotation planner alone (domain/planning/rotations.py, golfer.py): the circle method's optimality, fair
sit-outs, trios, constraints, must-meet pairs, hosts, re-planning against a history, known designs, determinism,
and properties over random small rooms."""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.planning import golfer
from domain.planning.rotations import (
    Person,
    RotationError,
    RotationPlan,
    Round,
    measure,
    plan_rotation,
    rounds_that_fit,
    table_sizes,
)


def room(n: int, organisations: int = 0, countries: int = 0, sectors: int = 0) -> list[Person]:
    return [
        Person(
            i,
            organisation=f"Org {i % organisations}" if organisations else "",
            country=f"C{i % countries}" if countries else "",
            sector=f"S{i % sectors}" if sectors else "",
        )
        for i in range(n)
    ]


def pair_counts(rounds: list[Round] | list[list[list[int]]]) -> Counter[tuple[int, int]]:
    met: Counter[tuple[int, int]] = Counter()
    for r in rounds:
        for table in r.tables if isinstance(r, Round) else r:
            met.update(combinations(sorted(table), 2))
    return met


def assert_seated_once(plan: RotationPlan, present: list[int]) -> None:
    for r in plan.rounds:
        everyone = [i for t in r.tables for i in t] + r.sitting_out
        assert sorted(everyone) == sorted(present)


# ---- pairs --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 4, 10, 16, 50])
def test_even_n_meets_everyone_exactly_once_in_n_minus_one_rounds(n: int) -> None:
    plan = plan_rotation(room(n), 2, n - 1)
    met = pair_counts(plan.rounds)
    assert set(met) == set(combinations(range(n), 2)) and set(met.values()) == {1}
    assert plan.method.startswith("circle") and plan.quality.repeated_pairs == 0
    assert plan.quality.round_bound == n - 1 and plan.quality.maximal
    assert all(not r.sitting_out and all(len(t) == 2 for t in r.tables) for r in plan.rounds)


def test_more_rounds_than_the_bound_repeat_as_little_as_possible() -> None:
    plan = plan_rotation(room(6), 2, 7)
    assert plan.quality.repeated_pairs == 7 * 3 - 15
    assert plan.quality.most_meetings_of_a_pair == 2


@pytest.mark.parametrize(("n", "rounds"), [(7, 7), (9, 5), (15, 10), (11, 23)])
def test_odd_n_sits_one_out_per_round_fairly(n: int, rounds: int) -> None:
    plan = plan_rotation(room(n), 2, rounds)
    assert all(len(r.sitting_out) == 1 for r in plan.rounds)
    assert plan.quality.sit_out_spread <= 1
    assert plan.quality.repeated_pairs == max(0, rounds * (n - 1) // 2 - n * (n - 1) // 2)


def test_fifteen_people_in_ten_rounds_five_meet_ten_and_ten_meet_nine() -> None:
    met = plan_rotation(room(15), 2, 10).quality.met
    assert sorted(Counter(met.values()).items()) == [(9, 10), (10, 5)]


def test_trio_option_puts_the_odd_one_at_a_table_of_three() -> None:
    plan = plan_rotation(room(9), 2, 4, odd="trio")
    for r in plan.rounds:
        assert not r.sitting_out
        assert sorted(len(t) for t in r.tables) == [2, 2, 2, 3]
    assert plan.quality.repeated_pairs == 0
    assert_seated_once(plan, list(range(9)))


def test_table_sizes_are_as_even_as_possible() -> None:
    assert table_sizes(10, 4) == ([4, 3, 3], 0)
    assert table_sizes(32, 4) == ([4] * 8, 0)
    assert table_sizes(7, 2) == ([2, 2, 2], 1)
    assert table_sizes(7, 2, "trio") == ([3, 2, 2], 0)
    assert table_sizes(3, 5) == ([3], 0)


# ---- constraints --------------------------------------------------------------------------------------------


def test_same_organisation_never_meets_when_avoidable() -> None:
    people = room(40, organisations=10, countries=4)
    plan = plan_rotation(people, 2, 15, avoid=("organisation", "country"))
    assert plan.quality.violations["organisation"] == 0 and plan.quality.violations["country"] == 0
    assert plan.quality.repeated_pairs == 0
    by = {p.index: p for p in people}
    for r in plan.rounds:
        for a, b in r.tables:
            assert by[a].organisation != by[b].organisation and by[a].country != by[b].country


def test_tables_of_k_avoid_colleagues_too() -> None:
    plan = plan_rotation(room(40, organisations=10, sectors=5), 5, 4)
    assert plan.quality.constraint_violations == 0 and plan.quality.repeated_pairs == 0


def test_unavoidable_colleague_meetings_are_counted() -> None:
    people = [Person(i, organisation="ACME" if i < 4 else f"O{i}") for i in range(6)]  # 4 of 6 from ACME
    plan = plan_rotation(people, 2, 1)
    assert plan.quality.violations["organisation"] == 1  # three pairs: at least two ACME people sit together
    assert plan.quality.constraint_violations == 1


def test_prefer_cross_lowers_same_sector_meetings_below_a_plain_plan() -> None:
    people = room(20, sectors=2)
    plain = plan_rotation(people, 2, 5, prefer_cross=())
    preferred = plan_rotation(people, 2, 5)
    same = measure(plain.rounds, people).same_value_meetings["sector"]
    assert preferred.quality.same_value_meetings["sector"] < same
    assert preferred.quality.same_value_meetings["sector"] == 0


def test_must_meet_pairs_are_seated_together_even_colleagues() -> None:
    people = room(24, organisations=6)
    must = [(0, 6), (1, 13), (2, 3)]  # 0 and 6 are colleagues
    for size, rounds in ((2, 2), (4, 2)):
        plan = plan_rotation(people, size, rounds, must_meet=must)
        met = pair_counts(plan.rounds)
        assert all(met[tuple(sorted(p))] >= 1 for p in must), size
        assert plan.quality.violations == {"organisation": 0, "must_meet": 0}


def test_hosts_stay_at_their_tables() -> None:
    hosts = {3: 0, 10: 2, 17: 4}
    plan = plan_rotation(room(30, organisations=10), 5, 3, hosts=hosts)
    for r in plan.rounds:
        for person, table in hosts.items():
            assert person in r.tables[table]
    assert plan.quality.repeated_pairs == 0 and plan.quality.constraint_violations == 0


def test_hosts_in_pairs_never_sit_out() -> None:
    plan = plan_rotation(room(9), 2, 9, hosts={0: 0, 1: 1})
    for r in plan.rounds:
        assert 0 in r.tables[0] and 1 in r.tables[1] and not {0, 1} & set(r.sitting_out)


# ---- re-planning -----------------------------------------------------------------------------------------------


def test_replanning_after_a_departure_and_a_late_arrival_repeats_nobody() -> None:
    people = room(20, organisations=5)
    first = plan_rotation(people, 2, 6)
    held = first.rounds[:3]
    now = [p for p in people if p.index != 7] + [Person(20, organisation="Late Org")]
    rest = plan_rotation(now, 2, 4, history=held)
    assert len(rest.rounds) == 4
    assert_seated_once(rest, [p.index for p in now])
    before = pair_counts(held)
    assert not set(pair_counts(rest.rounds)) & set(before)
    assert rest.quality.repeated_pairs == 0 and rest.quality.constraint_violations == 0
    assert rest.quality.sit_out_spread <= 1
    assert all(7 not in t for r in rest.rounds for t in r.tables)


def test_replanning_tables_takes_plain_lists_as_history() -> None:
    people = room(24)
    held = [[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15], [16, 17, 18, 19], [20, 21, 22, 23]]]
    rest = plan_rotation(people, 4, 3, history=held)
    assert not set(pair_counts(rest.rounds)) & set(pair_counts([held[0]]))
    assert rest.quality.repeated_pairs == 0


# ---- tables of k: known designs and search ---------------------------------------------------------------------


@pytest.mark.parametrize(("g", "s", "w"), [(5, 3, 7), (4, 4, 5), (5, 5, 6), (3, 3, 4), (9, 3, 13)])
def test_known_designs_reach_the_bound_with_zero_repeats(g: int, s: int, w: int) -> None:
    plan = plan_rotation(room(g * s), s, w)
    assert plan.method == "design"
    assert plan.quality.repeated_pairs == 0 and plan.quality.round_bound == w and plan.quality.maximal
    assert set(pair_counts(plan.rounds).values()) == {1}


def test_designs_are_verified_before_use() -> None:
    rounds = golfer.design(5, 3, 7)
    assert rounds is not None and golfer.verified(rounds, 15, 3)
    assert not golfer.verified([rounds[0], rounds[0]], 15, 3)
    assert golfer.design(7, 3, 10) is None  # nothing known here for 21 people: the search takes over


def test_eight_four_takes_nine_rounds_from_a_design_and_searches_a_tenth() -> None:
    nine = plan_rotation(room(32), 4, 9)
    assert nine.method == "design" and nine.quality.repeated_pairs == 0
    ten = plan_rotation(room(32), 4, 10, budget=300)
    assert ten.method.startswith("design") and 0 < ten.quality.repeated_pairs <= 32


def test_search_finds_zero_repeats_below_the_bound() -> None:
    plan = plan_rotation(room(30, organisations=10), 3, 6, seed=2)
    assert plan.quality.repeated_pairs == 0 and plan.quality.constraint_violations == 0
    assert plan.method.startswith("greedy")


def test_same_inputs_and_seed_give_the_same_plan() -> None:
    people = room(21, organisations=4, sectors=3)
    a = plan_rotation(people, 3, 6, seed=5, must_meet=[(0, 4)], budget=2000)
    b = plan_rotation(people, 3, 6, seed=5, must_meet=[(0, 4)], budget=2000)
    c = plan_rotation(people, 3, 6, seed=6, must_meet=[(0, 4)], budget=2000)
    assert a.to_dict() == b.to_dict()
    assert a.to_dict()["rounds"] != c.to_dict()["rounds"]


def test_budget_and_time_limit_stop_the_search() -> None:
    plan = plan_rotation(room(32), 4, 10, budget=50)
    assert plan.steps <= 51 and not plan.converged
    timed = plan_rotation(room(40), 4, 13, time_limit=0.2)
    assert not timed.converged


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"table_size": 1}, "table_size"),
        ({"rounds": 0}, "rounds"),
        ({"odd": "triple"}, "odd"),
        ({"hosts": {0: 9}}, "table"),
        ({"hosts": {0: 1, 1: 1}}, "two hosts"),
        ({"hosts": {99: 0}}, "not among"),
        ({"must_meet": [(2, 2)]}, "themselves"),
    ],
)
def test_bad_requests_raise_a_rotation_error(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"table_size": 2, "rounds": 3, **kwargs}
    with pytest.raises(RotationError, match=message):
        plan_rotation(room(6), **args)  # type: ignore[arg-type]
    with pytest.raises(RotationError, match="two people"):
        plan_rotation(room(1), 2, 1)


def test_rounds_that_fit() -> None:
    assert rounds_that_fit(60, 8, 2) == 6  # 6 x 8 + 5 x 2 = 58
    assert rounds_that_fit(60, 10) == 6
    assert rounds_that_fit(5, 10) == 0


# ---- properties -------------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 23),
    size=st.integers(2, 6),
    rounds=st.integers(1, 6),
    odd=st.sampled_from(["sit_out", "trio"]),
    organisations=st.integers(0, 5),
    seed=st.integers(0, 3),
    held=st.integers(0, 2),
)
def test_everyone_present_is_seated_once_per_round_at_tables_within_bounds(
    n: int, size: int, rounds: int, odd: str, organisations: int, seed: int, held: int
) -> None:
    people = room(n, organisations=organisations)
    history = plan_rotation(people, size, held, seed=seed, budget=200).rounds if held else []
    present = [*people[1:], Person(n)] if held else people
    plan = plan_rotation(present, size, rounds, odd=odd, seed=seed, history=history, budget=300)
    assert len(plan.rounds) == rounds
    assert_seated_once(plan, [p.index for p in present])
    sizes, sitting = table_sizes(len(present), size, odd)
    for r in plan.rounds:
        assert sorted(len(t) for t in r.tables) == sorted(sizes) and len(r.sitting_out) == sitting
        assert max(len(t) for t in r.tables) <= max(size, 3 if odd == "trio" else size)
        assert max(map(len, r.tables)) - min(map(len, r.tables)) <= 1
    assert plan.quality.sit_out_spread <= 1
    assert plan.quality.meetings == plan.quality.distinct_pairs + plan.quality.repeated_pairs
