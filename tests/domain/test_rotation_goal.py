"""Rotations planned to a goal: everyone meets at least M others, in the fewest rounds the planner's own plan
shows (never a formula alone)."""

from __future__ import annotations

import pytest

from domain.planning.rotation_goal import least_met, lower_bound, plan_to_meet_at_least
from domain.planning.rotations import Person, RotationError, plan_rotation


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
    assert rounds >= lower_bound(n, size, goal)
    if rounds > 1:
        assert least_met(plan_rotation(_people(n), size, rounds - 1)) < goal


def test_constraints_that_cost_a_round_add_one() -> None:
    """Two organisations of four: avoiding colleagues, everyone still meets the four of the other one."""
    plan = plan_to_meet_at_least(_people(8, 2), 2, 4)
    assert least_met(plan) >= 4


def test_impossible_goals_are_refused() -> None:
    with pytest.raises(RotationError, match="at most 14"):
        plan_to_meet_at_least(_people(15), 2, 15)
    with pytest.raises(RotationError):
        plan_to_meet_at_least(_people(15), 2, 0)
    with pytest.raises(RotationError, match="at most 3 rounds"):
        plan_to_meet_at_least(_people(15), 2, 10, max_rounds=3)
