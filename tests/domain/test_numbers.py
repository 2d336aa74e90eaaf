"""Numbers in command arguments: NaN and +-Infinity are refused as ``invalid_args`` by every command, before any
handler runs (they used to reach ``int()`` in domain/clock.py and fail with an internal error)."""

from __future__ import annotations

import math

import pytest

from domain.clock import seconds
from domain.errors import InvalidArgs
from domain.values import finite_numbers
from tests.domain.builders import Scenario, then_error

NON_FINITE = [math.nan, math.inf, -math.inf]


@pytest.mark.parametrize("value", NON_FINITE)
def test_seconds_refuses_non_finite_numbers(value: float) -> None:
    with pytest.raises(InvalidArgs):
        seconds(value, "seconds")


@pytest.mark.parametrize("value", [*NON_FINITE, 1e308, 10**30])
@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("start_timer", {"seconds": "$"}),
        ("extend_timer", {"seconds": "$"}),
        ("create_rotation", {"table_size": 2, "rounds": 2, "round_seconds": "$"}),
        ("add_agenda_item", {"title": "T", "kind": "plenary", "duration_min": "$"}),
    ],
)
def test_non_finite_and_huge_numbers_are_invalid_args(name: str, args: dict[str, object], value: float) -> None:
    s = Scenario()
    s.given(s.join("ada"), s.join("bo"))
    if name == "extend_timer":
        s.given(s.command("start_timer", {"seconds": 60}))
    when = s.when(s.command(name, {k: value if v == "$" else v for k, v in args.items()}))
    then_error(when, "invalid_args")


@pytest.mark.parametrize(
    "args",
    [{"a": math.nan}, {"a": [1, {"b": math.inf}]}, [-math.inf], {"deep": [[[[[[math.nan]]]]]]}],
)
def test_finite_numbers_finds_a_non_finite_number_at_any_depth(args: object) -> None:
    with pytest.raises(InvalidArgs):
        finite_numbers(args)


def test_finite_numbers_takes_deeply_nested_arguments_without_recursion() -> None:
    deep: object = 1.5
    for _ in range(100_000):
        deep = [deep]
    finite_numbers({"x": deep})
