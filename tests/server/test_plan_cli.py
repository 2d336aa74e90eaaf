"""``tavolo plan groups`` plans offline with the live planner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.cli import main


def _csv(tmp_path: Path, rows: int) -> Path:
    path = tmp_path / "people.csv"
    lines = ["name,organisation,country,sector,language"]
    for i in range(rows):
        lines.append(f"P{i},Org {i % 7},{['IT', 'FR', 'DE', 'PL'][i % 4]},{['Agrifood', 'Energy', 'ICT'][i % 3]},it")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_json_gives_every_row_once_in_groups_of_near_equal_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", "groups", "--participants", str(_csv(tmp_path, 50)), "--groups", "6", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    rows = sorted(i for group in plan["groups"] for i in group)
    assert rows == list(range(50))
    sizes = [len(g) for g in plan["groups"]]
    assert max(sizes) - min(sizes) <= 1
    assert {"objective", "deviation", "same_organisation_pairs"} <= set(plan["quality"])


def test_balanced_beats_random_and_by_field_keeps_groups_pure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = str(_csv(tmp_path, 60))
    objective = {}
    for strategy in ("random", "balanced"):
        main(["plan", "groups", "--participants", people, "--groups", "5", "--strategy", strategy, "--json"])
        objective[strategy] = json.loads(capsys.readouterr().out)["quality"]["objective"]
    assert objective["balanced"] < objective["random"]
    main(["plan", "groups", "--participants", people, "--strategy", "by:sector", "--max-size", "8", "--json"])
    plan = json.loads(capsys.readouterr().out)
    sectors = ["Agrifood", "Energy", "ICT"]
    for group in plan["groups"]:
        assert len({sectors[i % 3] for i in group}) == 1 and len(group) <= 8


def test_bad_input_is_a_clear_error_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "groups", "--participants", str(tmp_path / "missing.csv"), "--groups", "2"]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["plan", "groups", "--participants", str(_csv(tmp_path, 5)), "--strategy", "balanced"]) == 2
    assert "--groups or --size" in capsys.readouterr().err


def test_plan_reads_countries_as_join_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The EU's UK and EL, and names, are the same countries as GB and GR: grouped by country, they fall together.
    path = tmp_path / "eu.csv"
    path.write_text("name,organisation,country,sector\nA,O1,UK,S\nB,O2,GB,S\nC,O3,EL,S\nD,O4,Grèce,S\nE,O5,gr,S\n",
                    encoding="utf-8")  # fmt: skip
    assert main(["plan", "groups", "--participants", str(path), "--strategy", "by:country", "--json"]) == 0
    assert sorted(sorted(g) for g in json.loads(capsys.readouterr().out)["groups"]) == [[0, 1], [2, 3, 4]]
    path.write_text("name,organisation,country,sector\nA,O1,Narnia,S\nB,O2,GB,S\n", encoding="utf-8")
    assert main(["plan", "groups", "--participants", str(path), "--groups", "1"]) == 2
    assert "row 2: 'Narnia' is not a country" in capsys.readouterr().err


def test_by_column_is_case_insensitive_and_an_unknown_column_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = str(_csv(tmp_path, 30))
    assert main(["plan", "groups", "--participants", people, "--strategy", "by:Sector", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["groups"]) == 3
    assert main(["plan", "groups", "--participants", people, "--strategy", "by:nonexistent"]) == 2
    err = capsys.readouterr().err
    assert "'nonexistent'" in err and "name, organisation, country, sector, language" in err


def test_by_column_names_a_group_by_its_commonest_spelling(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "spellings.csv"
    path.write_text("name,organisation,country,sector\nA,O1,IT,ict\nB,O2,IT,ICT\nC,O3,IT,ICT\nD,O4,IT,Energy\n",
                    encoding="utf-8")  # fmt: skip
    assert main(["plan", "groups", "--participants", str(path), "--strategy", "by:sector", "--json"]) == 0
    assert sorted(json.loads(capsys.readouterr().out)["labels"]) == ["Energy", "ICT"]


def test_plan_piped_into_head_exits_quietly(tmp_path: Path) -> None:
    import subprocess
    import sys

    people = str(_csv(tmp_path, 400))
    command = f"{sys.executable} -m server.cli plan groups --participants {people} --groups 4 | head -1"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    assert done.stdout.startswith("Group 1")
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr
