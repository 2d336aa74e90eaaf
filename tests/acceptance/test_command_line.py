"""The ``tavolo`` command line as an organiser runs it: plans read a registration list as the join form does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.acceptance.support import Room

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
