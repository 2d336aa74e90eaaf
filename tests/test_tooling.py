"""House style is enforced, not hoped for: ruff on everything, mypy --strict on domain/ and projections/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_finds_nothing() -> None:
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_finds_nothing_in_domain_and_projections() -> None:
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_lock_file_pins_every_dependency_the_project_declares() -> None:
    import re
    import tomllib

    root = Path(__file__).resolve().parent.parent
    pinned = {
        re.split(r"==", line)[0].strip().lower().replace("_", "-")
        for line in (root / "requirements.lock").read_text().splitlines()
        if line and not line.startswith("#")
    }
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    names = {re.split(r"[<>=!\[ ;]", d, maxsplit=1)[0].strip().lower().replace("_", "-") for d in declared}
    assert names <= pinned, names - pinned
