"""The acceptance layer covers the README: one module per "In the room" bullet, and one for the "Command line".

A bullet ``- **Speed dating and World Café**: …`` needs ``test_speed_dating_and_world_cafe.py`` here, with at least
one test in it. A new bullet without its module, or a module left empty, fails this test. Nothing here starts a
server: it reads files.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
README = HERE.parents[1] / "README.md"


def slug(name: str) -> str:
    """``Phones on the venue Wi-Fi`` → ``phones_on_the_venue_wifi``: lower-case words joined by ``_``, accents
    dropped (é → e), other punctuation removed."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "_".join(re.sub(r"[^a-z0-9\s]", "", plain.lower()).split())


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


def bullets() -> list[str]:
    return re.findall(r"^- \*\*(.+?)\*\*:", section("In the room"), re.M)


def functions_named_test(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            and n.name.startswith("test_")]  # fmt: skip


def test_the_slug_rule() -> None:
    assert slug("Speed dating and World Café") == "speed_dating_and_world_cafe"
    assert slug("Phones on the venue Wi-Fi") == "phones_on_the_venue_wifi"
    assert slug("B2B matchmaking") == "b2b_matchmaking"


def test_the_readme_still_has_its_bullets() -> None:
    assert len(bullets()) >= 10, bullets()
    assert "tavolo serve" in section("Command line")


@pytest.mark.parametrize("bullet", [*bullets(), "Command line"])
def test_every_readme_bullet_has_an_acceptance_module_with_tests(bullet: str) -> None:
    module = HERE / f"test_{slug(bullet)}.py"
    assert module.exists(), f"README bullet {bullet!r} has no acceptance module {module.name}"
    assert functions_named_test(module), f"{module.name} (README bullet {bullet!r}) has no test function"
