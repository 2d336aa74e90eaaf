"""``tavolo plan rotation`` plans offline with the live rotation planner: one JSON object, or a readable plan;
bad input is a message on stderr and exit status 2."""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

import pytest

from server.cli import main


def _csv(tmp_path: Path, rows: int) -> Path:
    path = tmp_path / "people.csv"
    lines = ["name,organisation,country,sector"]
    for i in range(rows):
        lines.append(f"P{i},Org {i % 5},{['IT', 'FR', 'DE', 'PL'][i % 4]},{['Agrifood', 'Energy', 'ICT'][i % 3]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _plan(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(["plan", "rotation", *args, "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1  # one JSON object, nothing else on stdout
    plan: dict[str, object] = json.loads(out[0])
    return plan


def test_json_pairs_for_an_even_count_meet_everyone_once(capsys: pytest.CaptureFixture[str]) -> None:
    plan = _plan(capsys, "--count", "8", "--table-size", "2", "--rounds", "7")
    rounds = plan["rounds"]
    assert isinstance(rounds, list) and len(rounds) == 7
    pairs = [tuple(sorted(t)) for r in rounds for t in r["tables"]]
    assert sorted(pairs) == list(combinations(range(8), 2))
    assert all(r["sitting_out"] == [] for r in rounds)
    quality = plan["quality"]
    assert isinstance(quality, dict)
    assert quality["repeated_pairs"] == 0 and quality["distinct_pairs"] == 28 and quality["constraint_violations"] == 0
    assert quality["round_bound"] == 7


def test_json_from_a_csv_with_hosts_odd_count_and_constraints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = str(_csv(tmp_path, 21))
    plan = _plan(capsys, "--participants", people, "--table-size", "4", "--rounds", "3", "--hosts", "P3,0",
                 "--avoid", "organisation,country", "--seed", "1")  # fmt: skip
    rounds = plan["rounds"]
    assert isinstance(rounds, list)
    for r in rounds:
        assert sorted(i for t in r["tables"] for i in t) == list(range(21))
        assert sorted(len(t) for t in r["tables"]) == [3, 3, 3, 4, 4, 4]  # ceil(21 / 4) = 6 tables, as even as can be
        assert 3 in r["tables"][0] and 0 in r["tables"][1]
    quality = plan["quality"]
    assert isinstance(quality, dict) and set(quality["violations"]) == {"organisation", "country", "must_meet"}

    odd = _plan(capsys, "--participants", people, "--table-size", "2", "--rounds", "5")
    assert all(len(r["sitting_out"]) == 1 for r in odd["rounds"])  # type: ignore[union-attr]
    trio = _plan(capsys, "--participants", people, "--table-size", "2", "--rounds", "2", "--odd", "trio")
    assert all(max(len(t) for t in r["tables"]) == 3 for r in trio["rounds"])  # type: ignore[union-attr]


def test_readable_plan_names_people_and_reports_quality(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    people = str(_csv(tmp_path, 7))
    assert main(["plan", "rotation", "--participants", people, "--table-size", "2", "--rounds", "2"]) == 0
    out = capsys.readouterr().out
    assert "Round 1" in out and "Table 1: P" in out and "Sitting out: P" in out and "repeated" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--count", "6", "--table-size", "1", "--rounds", "2"], "table_size"),
        (["--count", "6", "--table-size", "2", "--rounds", "0"], "rounds"),
        (["--count", "1", "--table-size", "2", "--rounds", "2"], "two people"),
        (["--count", "6", "--table-size", "2", "--rounds", "2", "--hosts", "Zed"], "not a row index or name"),
        (["--count", "6", "--table-size", "2", "--rounds", "2", "--hosts", "0,1,2,3"], "table"),
        (["--count", "6", "--table-size", "2", "--rounds", "2", "--must-meet", "0-1"], "A:B"),
        (["--count", "6", "--table-size", "2", "--rounds", "2", "--time-limit", "0"], "time-limit"),
        (["--count", "6", "--table-size", "2", "--rounds", "2", "--time-limit", "nan"], "time-limit"),
        (["--count", "6", "--table-size", "2", "--meet-at-least", "3", "--round-minutes", "inf"], "round-minutes"),
        (["--count", "6", "--table-size", "2", "--meet-at-least", "3", "--round-minutes", "1e300"], "round-minutes"),
        (["--count", "20", "--table-size", "4", "--meet-at-least", "16", "--hosts", "0,1,2,3,4"], "hosts never meet"),
    ],
)
def test_bad_input_is_a_clear_error_not_a_traceback(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", "rotation", *args]) == 2
    assert message in capsys.readouterr().err


def test_unreadable_csv_is_exit_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "rotation", "--participants", str(tmp_path / "missing.csv"), "--table-size", "2",
                 "--rounds", "2"]) == 2  # fmt: skip
    assert "cannot read" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"name,organisation\n\xff\xfe,x\n")
    assert main(["plan", "rotation", "--participants", str(bad), "--table-size", "2", "--rounds", "2"]) == 2
    assert "cannot read" in capsys.readouterr().err
