"""ui.js's wallISO (a wall time typed on the dashboard -> an instant) follows the same rule as Python's zoneinfo
with fold=0 where the clocks change: a skipped time moves forward by the gap, a repeated time is the earlier one."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).parents[2]
CASES = [
    ("Europe/Rome", "2026-03-29", "02:30"),  # skipped: 02:00 -> 03:00
    ("America/New_York", "2026-03-08", "02:30"),  # skipped: 02:00 -> 03:00
    ("Europe/Rome", "2026-10-25", "02:30"),  # twice: CEST, then CET
    ("America/New_York", "2026-11-01", "01:30"),  # twice: EDT, then EST
    ("Europe/Rome", "2026-05-12", "11:00"),
    ("Asia/Kolkata", "2026-05-12", "11:00"),
    ("Australia/Lord_Howe", "2026-10-04", "02:15"),  # a half-hour gap
    ("UTC", "2026-05-12", "11:00"),
]


def _python(zone: str, day: str, hhmm: str) -> str:
    wall = datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=ZoneInfo(zone))  # fold=0
    return wall.astimezone(UTC).astimezone(ZoneInfo(zone)).isoformat()


def test_wall_iso_at_clock_changes_is_pythons_fold_0() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script, ui = ROOT / "tests" / "web" / "wall_iso.js", ROOT / "web" / "static" / "js" / "ui.js"
    out = subprocess.run([node, str(script), str(ui), json.dumps(CASES)], capture_output=True, text=True, timeout=60,
                         check=True)  # fmt: skip
    got = json.loads(out.stdout)
    assert got == [_python(*case) for case in CASES]
    assert got[0] == "2026-03-29T03:30:00+02:00" and got[1] == "2026-03-08T03:30:00-04:00"
