"""``tavolo plan meetings`` schedules a JSON instance offline with the live planner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from server.cli import main

INSTANCE: dict[str, Any] = {
    "slots": 3,
    "tables": 1,
    "participants": [{"id": "ann", "unavailable": [0]}, {"id": "bob"}, {"id": "cy", "unavailable": [2]}, {"id": "di"}],
    "meetings": [["ann", "bob"], ["bob", "cy"], ["ann", "cy"], ["di", "ann"]],
}


def _write(tmp_path: Path, data: object) -> str:
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return str(path)


def test_json_gives_one_object_with_every_meeting_placed_or_unscheduled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", "meetings", "--input", _write(tmp_path, INSTANCE), "--time-limit", "2", "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    plan = json.loads(out[0])
    assert {"scheduled", "upper_bound", "optimal", "seconds", "method", "unscheduled", "moved"} <= set(plan)
    # One table: three slots hold at most three of the four meetings.
    assert plan["upper_bound"] == 3 and plan["optimal"] is True and len(plan["unscheduled"]) == 1
    assert sorted([*(r["meeting"] for r in plan["scheduled"]), *plan["unscheduled"]]) == [0, 1, 2, 3]
    assert sorted(r["slot"] for r in plan["scheduled"]) == [0, 1, 2] and {r["table"] for r in plan["scheduled"]} == {0}


def test_previous_schedule_reports_what_moved(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    previous = [{"meeting": 3, "slot": 0, "table": 0}, {"meeting": 1, "slot": 2, "table": 1}]
    late = {**INSTANCE, "slots": 4, "tables": 2, "previous": previous}
    assert main(["plan", "meetings", "--input", _write(tmp_path, late), "--time-limit", "2", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    # di-ann cannot stay in slot 0 (ann is away then); bob-cy cannot stay in slot 2 (cy is away then).
    assert {m["meeting"]: (m["old_slot"], m["new_slot"]) for m in plan["moved"]}.keys() == {1, 3}
    assert all(not m["dropped"] for m in plan["moved"]) and plan["unscheduled"] == []


def test_without_json_a_plan_per_slot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "meetings", "--input", _write(tmp_path, INSTANCE), "--time-limit", "1"]) == 0
    out = capsys.readouterr().out
    assert "Slot 1: 1 of 1 tables" in out and "bob — cy" in out
    assert "3 of 4 meetings scheduled (optimal" in out and out.count("not scheduled: ") == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ([1, 2], "one JSON object"),
        ({"slots": 2}, "missing tables, participants, meetings"),
        ({**INSTANCE, "slots": 0}, "slots must be"),
        ({**INSTANCE, "meetings": [["ann", "zed"]]}, "unknown participant 'zed'"),
        ({**INSTANCE, "meetings": [["ann", "ann"]]}, "cannot meet themselves"),
        ({**INSTANCE, "meetings": [["ann", "bob"], ["bob", "ann"]]}, "repeats meeting 0"),
        ({**INSTANCE, "participants": [{"id": "ann", "unavailable": [7]}]}, "not in 0..2"),
        ({**INSTANCE, "participants": [{"id": "ann", "unavailable": [[0]]}]}, "wrong type"),
        ({**INSTANCE, "participants": [{"id": "ann"}, {"id": "ann"}]}, "listed twice"),
        ({**INSTANCE, "meetings": [["ann"]]}, "pairs of participant ids"),
        ({**INSTANCE, "previous": [{"meeting": 9, "slot": 0, "table": 0}]}, "not a meeting index"),
    ],
)
def test_bad_input_is_a_clear_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: object, message: str
) -> None:
    assert main(["plan", "meetings", "--input", _write(tmp_path, content)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_missing_file_and_a_bad_time_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "meetings", "--input", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["plan", "meetings", "--input", _write(tmp_path, INSTANCE), "--time-limit", "-1"]) == 2
    assert "--time-limit" in capsys.readouterr().err
