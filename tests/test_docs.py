"""The documentation must not drift from the code."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from domain import errors, group_errors, match_errors, poll_errors, rotation_errors
from domain.commands import COMMAND_ROLES

ROOT = Path(__file__).parents[1]
PROTOCOL = (ROOT / "docs" / "protocol.md").read_text()


def _shell_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```sh\n(.*?)```", text, re.S)]


def test_readme_gives_exactly_two_commands_and_ci_runs_the_test_one() -> None:
    blocks = _shell_blocks((ROOT / "README.md").read_text())
    assert len(blocks) == 2
    serve, test = blocks
    assert "tavolo serve" in serve and "pytest" in test
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == test


def test_every_command_is_documented() -> None:
    for name in COMMAND_ROLES:
        assert f"| `{name}` |" in PROTOCOL, name


def test_every_error_code_is_documented() -> None:
    codes = {
        cls.code
        for module in (errors, poll_errors, group_errors, rotation_errors, match_errors)
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, errors.DomainError)
    }
    codes |= {"bad_frame", "bad_message", "too_large", "rate_limited", "internal_error"}
    for code in sorted(codes):
        assert f"| `{code}` |" in PROTOCOL, code


def test_the_poll_timers_command_id_in_the_docs_is_the_one_the_server_uses() -> None:
    """docs/polls.md once said ``close:<poll_id>`` while the server sent ``timer/…``."""
    source = (ROOT / "server" / "services.py").read_text()
    assert 'command_id = f"timer/{poll_id}/{closes_at}{reopened}"' in source
    assert (
        "`timer/<poll_id>/<closes_at>`, plus `/<n>` once reopened n times" in (ROOT / "docs" / "polls.md").read_text()
    )


def test_every_archive_error_code_is_documented() -> None:
    from server.archive import ArchiveError

    assert ArchiveError.__doc__ is not None
    listed = re.findall(r"[a-z_]+", ArchiveError.__doc__.split(":", 1)[1])
    for code in listed:
        assert f"| `{code}` |" in PROTOCOL, code
