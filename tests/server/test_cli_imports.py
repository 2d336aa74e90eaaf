"""``tavolo --help`` and the offline planners import only what they use (docs/benchmarks.md, "Command start-up").

Checked by the modules a fresh interpreter holds after the command, not by timing it: a heavy import that creeps
back (OR-Tools and pandas, the PDF writer, the web server, the event store, the crypto library) fails here on any
machine, however fast.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# What the server, the minutes and the solver need; none of it is needed to print help or plan groups.
SERVER_STACK = ("starlette", "uvicorn", "eventsourcing", "cryptography", "websockets", "jinja2", "msgpack", "fpdf")
SOLVER = ("ortools", "numpy", "pandas")

# Runs the command in-process (as the `tavolo` script does), then prints every module it left loaded.
SCRIPT = """
import contextlib, io, json, sys
from server.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    with contextlib.suppress(SystemExit):
        main(sys.argv[1:])
print(json.dumps(sorted(sys.modules)))
"""


def loaded_after(*argv: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", SCRIPT, *argv], cwd=ROOT, check=True, capture_output=True,
                         text=True, timeout=120).stdout  # fmt: skip
    return {name.split(".")[0] for name in json.loads(out.splitlines()[-1])}


@pytest.fixture
def people(tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    rows = [f"P{i},org{i % 5},c{i % 4},s{i % 3}" for i in range(24)]
    path.write_text("name,organisation,country,sector\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_help_imports_neither_the_server_nor_the_solver() -> None:
    loaded = loaded_after("--help")
    assert "server" in loaded  # the probe itself ran
    assert loaded.isdisjoint(SERVER_STACK + SOLVER), sorted(loaded & set(SERVER_STACK + SOLVER))


def test_plan_groups_imports_neither_the_server_nor_the_solver(people: Path) -> None:
    loaded = loaded_after("plan", "groups", "--participants", str(people), "--groups", "4", "--json")
    assert "domain" in loaded  # the planner ran
    assert loaded.isdisjoint(SERVER_STACK + SOLVER), sorted(loaded & set(SERVER_STACK + SOLVER))


def test_plan_rotation_imports_neither_the_server_nor_the_solver(people: Path) -> None:
    loaded = loaded_after("plan", "rotation", "--participants", str(people), "--table-size", "4", "--rounds", "2",
                          "--time-limit", "0.5", "--json")  # fmt: skip
    assert loaded.isdisjoint(SERVER_STACK + SOLVER), sorted(loaded & set(SERVER_STACK + SOLVER))


def test_plan_meetings_loads_the_solver_but_not_the_server(tmp_path: Path) -> None:
    instance = {"slots": 2, "tables": 1, "participants": [{"id": "a"}, {"id": "b"}], "meetings": [["a", "b"]]}
    (tmp_path / "m.json").write_text(json.dumps(instance), encoding="utf-8")
    loaded = loaded_after("plan", "meetings", "--input", str(tmp_path / "m.json"), "--time-limit", "1", "--json")
    assert "ortools" in loaded
    assert loaded.isdisjoint(SERVER_STACK), sorted(loaded & set(SERVER_STACK))


@pytest.mark.parametrize("command", ["serve", "simulate", "plan", "replay", "minutes", "export", "import"])
def test_every_subcommand_still_has_its_options_in_its_help(command: str) -> None:
    out = subprocess.run([sys.executable, "-m", "server.cli", command, "--help"], cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=120).stdout  # fmt: skip
    assert f"usage: tavolo {command}" in out and "--" in out.split("options:")[-1]
