"""The group planner alone (domain/planning/groups.py): each strategy's guarantees, the balanced objective against
random's, determinism by seed, late joiners, and properties over random rooms."""

from __future__ import annotations

import itertools
import random
import time
from collections import Counter
from typing import ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.planning.groups import (
    ORG_PAIR_PENALTY,
    Person,
    Plan,
    PlanError,
    key,
    measure,
    place_late_joiner,
    plan_split,
)


def conference(n: int, countries: int, sectors: int, organisations: int, seed: int = 1) -> list[Person]:
    """A registration list like the issue's: organisations of uneven size, each from one country, mostly of one
    sector."""
    r = random.Random(seed)
    orgs = [(f"C{r.randrange(countries)}", f"S{r.randrange(sectors)}") for _ in range(organisations)]
    weights = [1 / (i + 1) ** 0.5 for i in range(organisations)]
    people = []
    for i in range(n):
        o = r.choices(range(organisations), weights)[0]
        country, sector = orgs[o]
        if r.random() < 0.2:
            sector = f"S{r.randrange(sectors)}"
        people.append(Person(i, f"Org {o}", country, sector))
    return people


def assert_partition(plan: Plan, people: list[Person]) -> None:
    assert sorted(i for g in plan.groups for i in g) == sorted(p.index for p in people)
    assert all(g == sorted(g) for g in plan.groups)


def assert_even(plan: Plan) -> None:
    sizes = [len(g) for g in plan.groups]
    assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 1


def counts(plan: Plan, people: list[Person], attribute: str) -> list[Counter[str]]:
    by_index = {p.index: p for p in people}
    return [Counter(key(by_index[i].value(attribute)) for i in g) for g in plan.groups]


# ------------------------------------------------------------------------------------------------------------


class TestRandom:
    @pytest.mark.parametrize(("n", "groups", "size"), [(200, 8, None), (201, 8, None), (10, None, 3), (7, 7, None)])
    def test_every_one_once_sizes_within_one(self, n: int, groups: int | None, size: int | None) -> None:
        people = conference(n, 5, 3, 10)
        plan = plan_split(people, groups=groups, size=size, strategy="random", seed=3)
        assert_partition(plan, people)
        assert_even(plan)
        if size:
            assert len(plan.groups) == -(-n // size) and max(map(len, plan.groups)) <= size

    def test_the_seed_decides(self) -> None:
        people = conference(60, 5, 3, 10)
        one = plan_split(people, groups=6, strategy="random", seed=1)
        assert one == plan_split(people, groups=6, strategy="random", seed=1)
        assert one.groups != plan_split(people, groups=6, strategy="random", seed=2).groups


class TestBalanced:
    def test_better_than_random_on_the_issues_room(self) -> None:
        people = conference(200, 15, 6, 40)
        for seed in range(3):
            balanced = plan_split(people, groups=8, strategy="balanced", seed=seed)
            rand = plan_split(people, groups=8, strategy="random", seed=seed)
            assert_partition(balanced, people)
            assert_even(balanced)
            q, qr = balanced.quality, rand.quality
            assert q.same_organisation_pairs == q.unavoidable_pairs < qr.same_organisation_pairs
            assert q.balance < qr.balance / 3 and q.objective < qr.objective
            assert all(spread <= 1 for spread in q.spread.values()), q.spread  # each value within one everywhere
            assert all(q.deviation[a] < qr.deviation[a] for a in q.deviation)
            assert balanced.converged

    def test_same_organisation_is_avoided_when_feasible(self) -> None:
        # 12 organisations of 4 into 4 groups: feasible, so no pair at all.
        people = [Person(i, f"Org {i // 4}", "IT", "Energy") for i in range(48)]
        plan = plan_split(people, groups=4, strategy="balanced", seed=5)
        assert plan.quality.same_organisation_pairs == plan.quality.unavoidable_pairs == 0
        assert all(max(c.values()) == 1 for c in counts(plan, people, "organisation"))

    def test_when_unavoidable_an_organisation_is_spread_evenly(self) -> None:
        people = [Person(i, "Big" if i < 10 else f"Small {i}") for i in range(16)]
        plan = plan_split(people, groups=4, strategy="balanced", seed=0)
        assert sorted(c["big"] for c in counts(plan, people, "organisation")) == [2, 2, 3, 3]
        assert plan.quality.same_organisation_pairs == plan.quality.unavoidable_pairs == 1 + 1 + 3 + 3

    def test_people_without_a_value_share_nothing(self) -> None:
        people = [Person(i) for i in range(9)]
        plan = plan_split(people, groups=3, strategy="balanced", seed=0)
        assert plan.quality.same_organisation_pairs == 0 and plan.quality.objective == 0

    def test_values_compare_ignoring_case_and_spaces(self) -> None:
        people = [Person(0, "ACME "), Person(1, "acme"), Person(2, "Bolt"), Person(3, "bolt")]
        plan = plan_split(people, groups=2, strategy="balanced", seed=0)
        assert plan.quality.same_organisation_pairs == 0

    def test_no_single_swap_improves_a_plan(self) -> None:
        """A local optimum over every swap, checked by brute force with the public measure."""
        people = [*conference(41, 4, 3, 9, seed=7), Person(100), Person(101, country="C1")]
        for k in (2, 3, 5):
            plan = plan_split(people, groups=k, strategy="balanced", seed=k)
            best = (plan.quality.same_organisation_pairs, plan.quality.balance - 1e-6)
            for a, b in itertools.combinations(range(k), 2):
                for i, j in itertools.product(plan.groups[a], plan.groups[b]):
                    groups = [list(g) for g in plan.groups]
                    groups[a][groups[a].index(i)], groups[b][groups[b].index(j)] = j, i
                    q = measure(groups, people)
                    assert (q.same_organisation_pairs, q.balance) >= best, (k, i, j)

    def test_deterministic_by_seed(self) -> None:
        people = conference(120, 8, 5, 30)
        assert plan_split(people, groups=10, seed=4) == plan_split(people, groups=10, seed=4)

    def test_fast_enough(self) -> None:
        for n, k, organisations, limit in ((200, 8, 40, 1.0), (2000, 100, 400, 4.0)):
            people = conference(n, 15, 6, organisations)
            started = time.perf_counter()
            plan = plan_split(people, groups=k, strategy="balanced", seed=1)
            assert time.perf_counter() - started < limit and plan.converged

    def test_a_budget_stops_the_search_and_says_so(self) -> None:
        plan = plan_split(conference(200, 15, 6, 40), groups=8, seed=1, max_evaluations=10)
        assert not plan.converged and plan.quality.same_organisation_pairs == plan.quality.unavoidable_pairs

    def test_group_size_and_maximum(self) -> None:
        people = conference(50, 4, 3, 10)
        sizes = [len(g) for g in plan_split(people, size=6, seed=0).groups]
        assert len(sizes) == 9 and sorted(sizes) == [5] * 4 + [6] * 5  # ceil(50 / 6) groups, none above 6
        assert len(plan_split(people, groups=3, max_size=10, seed=0).groups) == 5
        assert len(plan_split(people[:3], groups=8, seed=0).groups) == 3  # never an empty group


class TestByAttribute:
    def test_one_pure_group_per_value(self) -> None:
        people = conference(60, 4, 3, 12)
        plan = plan_split(people, strategy="by:sector", seed=0)
        assert_partition(plan, people)
        assert plan.labels == sorted({p.sector for p in people})
        for label, c in zip(plan.labels, counts(plan, people, "sector"), strict=True):
            assert set(c) == {key(label)}

    def test_large_values_split_evenly_below_the_maximum_and_balanced_inside(self) -> None:
        people = conference(120, 6, 3, 25)
        plan = plan_split(people, strategy="by:sector", max_size=7, seed=0)
        assert_partition(plan, people)
        assert max(map(len, plan.groups)) <= 7
        for label in set(plan.labels):
            sizes = [len(g) for g, lab in zip(plan.groups, plan.labels, strict=True) if lab == label]
            assert max(sizes) - min(sizes) <= 1
        assert plan.quality.same_organisation_pairs == plan.quality.unavoidable_pairs

    def test_any_field_and_people_without_a_value_last(self) -> None:
        people = [Person(i, attributes={"language": ["en", "it", ""][i % 3]}) for i in range(9)]
        plan = plan_split(people, strategy="by:language", size=2, seed=0)
        assert plan.labels == ["en", "en", "it", "it", "", ""]
        assert sorted(plan.groups[-2] + plan.groups[-1]) == [2, 5, 8]
        assert sorted(map(len, plan.groups[-2:])) == [1, 2]

    def test_by_attribute_takes_no_number_of_groups(self) -> None:
        with pytest.raises(PlanError):
            plan_split(conference(10, 2, 2, 3), groups=2, strategy="by:sector")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"groups": 2, "size": 3},
        {},
        {"groups": 0},
        {"size": -1},
        {"groups": True},
        {"groups": 2, "strategy": "shuffle"},
        {"strategy": "by:"},
        {"groups": 2, "max_size": 0},
    ],
)
def test_refuses_bad_requests(kwargs: dict[str, object]) -> None:
    with pytest.raises(PlanError):
        plan_split(conference(10, 2, 2, 3), **kwargs)  # type: ignore[arg-type]


def test_refuses_nobody_and_repeated_indexes() -> None:
    with pytest.raises(PlanError):
        plan_split([], groups=2)
    with pytest.raises(PlanError):
        plan_split([Person(1), Person(1)], groups=2)


def test_quality_figures_by_hand() -> None:
    people = [
        Person(0, "A", "IT", "x"),
        Person(1, "A", "IT", "x"),
        Person(2, "B", "DE", "y"),
        Person(3, "C", "DE", "y"),
    ]
    q = measure([[0, 1], [2, 3]], people)
    assert q.sizes == [2, 2] and q.same_organisation_pairs == 1 and q.unavoidable_pairs == 0
    assert q.deviation == {"country": 0.5, "sector": 0.5, "organisation": 0.5}  # 100 % IT against 50 %
    assert q.spread == {"country": 2, "sector": 2, "organisation": 2}
    # (2-1)^2 + (0-1)^2 per value and group: 4 per attribute for country and sector; A: 1+1, B and C: .25 each x2
    assert q.balance == 4 + 4 + 3 and q.objective == 11 + ORG_PAIR_PENALTY
    # Mixed: countries and sectors exact; B and C are half a person off in each group (4 x .25).
    assert measure([[0, 2], [1, 3]], people).objective == 1.0


class TestLateJoiners:
    people: ClassVar[list[Person]] = [
        Person(0, "A", "IT", "x"),
        Person(1, "B", "DE", "y"),
        Person(2, "C", "IT", "y"),
        Person(3, "D", "DE", "x"),
    ]

    def test_random_takes_the_first_smallest_group(self) -> None:
        assert place_late_joiner([[0, 1], [2], [3]], self.people, Person(9), "random") == 1

    def test_balanced_avoids_the_organisation_then_shared_values(self) -> None:
        groups = [[0, 3], [1, 2]]  # IT x + DE x | DE y + IT y
        assert place_late_joiner(groups, self.people, Person(9, "C", "DE", "x"), "balanced") == 0
        assert place_late_joiner(groups, self.people, Person(9, "E", "IT", "x"), "balanced") == 1  # fewer x
        assert place_late_joiner(groups, self.people, Person(9, "A", "IT", "x"), "balanced") == 1
        assert place_late_joiner([[0], [1, 2]], self.people, Person(9, "A"), "balanced") == 0  # sizes first
        assert place_late_joiner([], self.people, Person(9), "balanced") == 0  # no group yet: a new one

    def test_by_attribute_goes_to_its_values_smallest_group_with_room(self) -> None:
        groups, labels = [[0, 3], [1, 2], [4]], ["x", "y", "x"]
        people = [*self.people, Person(4, "E", "FR", "x")]
        assert place_late_joiner(groups, people, Person(9, sector="x"), "by:sector") == 2
        assert place_late_joiner(groups, people, Person(9, sector="X "), "by:sector", labels=labels) == 2
        assert place_late_joiner(groups, people, Person(9, sector="y"), "by:sector", max_size=2) == 3  # full
        assert place_late_joiner(groups, people, Person(9, sector="z"), "by:sector") == 3  # a new group


# ------------------------------------------------------------------------------------------------------------
# Properties over random rooms.

values = st.sampled_from(["", "a", "b", "c", "d"])
rooms = st.lists(st.tuples(values, values, values), min_size=1, max_size=40).map(
    lambda rows: [Person(i * 3 + 1, org, country, sector) for i, (org, country, sector) in enumerate(rows)]
)


@settings(max_examples=150, deadline=None)
@given(rooms, st.integers(1, 12), st.integers(0, 2**32 - 1))
def test_random_and_balanced_keep_their_guarantees(people: list[Person], k: int, seed: int) -> None:
    rand = plan_split(people, groups=k, strategy="random", seed=seed)
    balanced = plan_split(people, groups=k, strategy="balanced", seed=seed)
    for plan in (rand, balanced):
        assert_partition(plan, people)
        assert_even(plan)
        assert len(plan.groups) == min(k, len(people))
    q = balanced.quality
    assert q.same_organisation_pairs == q.unavoidable_pairs <= rand.quality.same_organisation_pairs
    orgs = Counter(key(p.organisation) for p in people if key(p.organisation))
    if not orgs or max(orgs.values()) <= len(balanced.groups):
        assert q.same_organisation_pairs == 0  # feasible, so avoided
    assert balanced == plan_split(people, groups=k, strategy="balanced", seed=seed)


@settings(max_examples=100, deadline=None)
@given(rooms, st.sampled_from(["country", "sector", "organisation"]), st.integers(1, 6), st.integers(0, 99))
def test_attribute_groups_are_pure_and_capped(people: list[Person], field: str, cap: int, seed: int) -> None:
    plan = plan_split(people, strategy=f"by:{field}", max_size=cap, seed=seed)
    assert_partition(plan, people)
    assert max(map(len, plan.groups)) <= cap
    for label, c in zip(plan.labels, counts(plan, people, field), strict=True):
        assert set(c) == {key(label)}
    assert len(set(plan.labels)) == len({key(p.value(field)) for p in people})
