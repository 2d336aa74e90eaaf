"""README, "Command line": every sub-command listed there answers ``--help`` and knows each option the README gives
it; the planners plan small inputs; ``export``, ``import``, ``minutes`` and ``replay`` read a store that a real
``tavolo serve`` wrote."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.acceptance.support import Room, open_single_choice_poll, run_tavolo_command
from tests.acceptance.test_readme_bullets import section
from tests.e2e.conftest import start_server


def documented_commands() -> dict[str, set[str]]:
    """``"plan groups"`` → the options its README line shows (continuation lines belong to the line above)."""
    block = re.search(r"```\n(.*?)```", section("Command line"), re.S)
    assert block, "README's Command line section has no code block"
    commands: dict[str, set[str]] = {}
    current = ""
    for line in block.group(1).splitlines():
        if line.startswith("tavolo "):
            words = re.match(r"tavolo ((?:[a-z]+ ?)+)", line)
            current = words.group(1).strip() if words else ""
            commands.setdefault(current, set())
        commands[current] |= set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", line)) - {"--help"}
    return commands


def test_the_readme_lists_the_commands() -> None:
    assert {"serve", "simulate", "plan groups", "plan meetings", "plan rotation", "replay", "minutes", "export",
            "import"} <= set(documented_commands())  # fmt: skip


@pytest.mark.parametrize("command", sorted(documented_commands()))
def test_each_readme_command_answers_help_with_every_documented_option(command: str) -> None:
    words = command.split() if command else []
    out = run_tavolo_command(*words, "--help", timeout=60).stdout
    assert out.startswith(f"usage: tavolo{' ' + command if command else ''}"), out[:200]
    missing = sorted(o for o in documented_commands()[command] if not re.search(rf"{o}(?![\w-])", out))
    assert not missing, f"tavolo {command} --help does not know {missing}"


def _people(tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    rows = [("Ana", "Proplast", "IT", "Energy"), ("Jan", "Silesia", "PL", "Agrifood"), ("Eva", "Proplast", "IT",
            "Agrifood"), ("Tom", "Baltic", "LT", "Energy"), ("Ida", "Silesia", "PL", "Energy"),
            ("Leo", "Baltic", "LT", "Agrifood")]  # fmt: skip
    path.write_text("name,organisation,country,sector\n" + "\n".join(",".join(r) for r in rows) + "\n", "utf-8")
    return path


def test_plan_groups_rotation_and_meetings_on_small_inputs(tmp_path: Path) -> None:
    people = _people(tmp_path)
    groups = json.loads(run_tavolo_command("plan", "groups", "--participants", str(people), "--groups", "2",
                                           "--strategy", "balanced", "--json").stdout)  # fmt: skip
    assert sorted(i for g in groups["groups"] for i in g) == list(range(6))
    by_sector = json.loads(run_tavolo_command("plan", "groups", "--participants", str(people),
                                              "--strategy", "by:sector", "--json").stdout)  # fmt: skip
    assert len(by_sector["groups"]) == 2
    rotation = json.loads(run_tavolo_command("plan", "rotation", "--participants", str(people), "--table-size", "2",
                                             "--rounds", "3", "--avoid", "organisation,country", "--seed", "1",
                                             "--time-limit", "2", "--json").stdout)  # fmt: skip
    assert len(rotation["rounds"]) == 3
    met = [frozenset(t) for r in rotation["rounds"] for t in r["tables"]]
    assert len(met) == len(set(met)), "someone met twice"
    instance = {"slots": 2, "tables": 1, "participants": [{"id": "a"}, {"id": "b"}, {"id": "c", "unavailable": [0]}],
                "meetings": [["a", "b"], ["a", "c"]]}  # fmt: skip
    (tmp_path / "m.json").write_text(json.dumps(instance), encoding="utf-8")
    meetings = json.loads(run_tavolo_command("plan", "meetings", "--input", str(tmp_path / "m.json"),
                                             "--time-limit", "2", "--seed", "1", "--json").stdout)  # fmt: skip
    assert meetings["count"] == 2 and {"meeting": 1, "slot": 1, "table": 0} in meetings["scheduled"], meetings


def test_export_import_minutes_and_replay_read_a_store_a_real_server_wrote(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path}/tavolo.db"
    server = start_server(store, tmp_path / "server.log")
    try:
        room = Room.create(server, "Cluster roadshow")
        room.join("Ana Ferreira")
        open_single_choice_poll(room, "Next venue?", ["Bologna", "Graz"])
        room.close()
    finally:
        server.stop()
    state = json.loads(run_tavolo_command("replay", "--store", store, room.code, "--json").stdout)
    assert "Cluster roadshow" in json.dumps(state) and "Next venue?" in json.dumps(state)
    minutes = tmp_path / "minutes.md"
    run_tavolo_command("minutes", "--store", store, room.workshop_id, "--format", "md", "--output", str(minutes))
    assert "Cluster roadshow" in minutes.read_text(encoding="utf-8")
    pdf = tmp_path / "minutes.pdf"
    run_tavolo_command("minutes", "--store", store, room.code, "--format", "pdf", "--output", str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")
    exported = tmp_path / "roadshow.tavolo"
    key = "a-key-both-servers-hold"
    run_tavolo_command("export", "--store", store, room.workshop_id, "--output", str(exported), "--export-key", key)
    other = f"sqlite:///{tmp_path}/other.db"
    run_tavolo_command("import", "--store", other, str(exported), "--export-key", key)
    again = json.loads(run_tavolo_command("replay", "--store", other, room.workshop_id, "--json").stdout)
    assert again == state


EU_LIST = "name,organisation,country,sector\nAnn,O1,UK,Energy\nBob,O2,GB,Energy\nCy,O3,EL,Energy\nDee,O4,Grèce,Energy\n"


def test_plan_groups_accepts_the_eu_codes_a_join_accepts(tmp_path: Path, room: Room) -> None:
    csv_path = tmp_path / "registrations.csv"
    csv_path.write_text(EU_LIST, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "plan", "groups", "--participants", str(csv_path),
         "--strategy", "by:country", "--json"],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[2], check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    groups = sorted(sorted(g) for g in json.loads(done.stdout)["groups"])
    assert groups == [[0, 1], [2, 3]]  # UK is GB, EL and "Grèce" are GR
    # The same list joins a live workshop, stored with the same codes.
    for line in EU_LIST.splitlines()[1:]:
        name, organisation, country, _ = line.split(",")
        room.join(name, organisation=organisation, country=country)
    stored = {p["name"]: p["country"] for p in room.view()["participants"].values()}
    assert stored == {"Ann": "GB", "Bob": "GB", "Cy": "GR", "Dee": "GR"}
    csv_path.write_text("name,organisation,country,sector\nEve,O5,Narnia,Energy\n", encoding="utf-8")
    refused = subprocess.run(
        [sys.executable, "-m", "server.cli", "plan", "groups", "--participants", str(csv_path), "--groups", "1"],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[2], check=False,
    )  # fmt: skip
    assert refused.returncode == 2 and "'Narnia' is not a country" in refused.stderr


def test_plan_groups_by_a_column_in_any_case_refuses_an_unknown_one(tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text("name,organisation,country,sector\n" + "".join(
        f"P{i},Org {i},IT,{['ICT', 'ict', 'Energy'][i % 3]}\n" for i in range(12)), encoding="utf-8")  # fmt: skip
    done = run_tavolo_command("plan", "groups", "--participants", str(people), "--strategy", "by:Sector")
    assert "Group 1 (Energy)" in done.stdout and "Group 2 (ICT)" in done.stdout and "Group 3" not in done.stdout
    refused = run_tavolo_command("plan", "groups", "--participants", str(people), "--strategy", "by:nonexistent",
                                 check=False)  # fmt: skip
    assert refused.returncode == 2 and "name, organisation, country, sector" in refused.stderr
