"""``tavolo replay | minutes | export | import`` on a SQLite store: outputs, a join code for WORKSHOP, and refusals
that exit with status 2 and one line (no traceback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.cli import main

FIXTURES = Path(__file__).parents[1] / "fixtures"
STREAM = FIXTURES / "workshop-v1.tavolo"
EXPECTED = (FIXTURES / "workshop-v1.minutes.md").read_text()
WORKSHOP = "ab22c476-99e3-5496-bc3f-f1b1352534b7"


@pytest.fixture
def store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/tavolo.db"
    assert main(["import", "--store", url, "--allow-unsigned", str(STREAM)]) == 0  # a fixture, written unsigned
    return url


def test_minutes_in_every_format(store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["minutes", "--store", store, WORKSHOP]) == 0
    assert capsys.readouterr().out == EXPECTED
    for fmt, check in (
        ("html", lambda b: b.startswith(b"<!DOCTYPE html>") and b"<svg" in b),
        ("pdf", lambda b: b.startswith(b"%PDF")),
        ("json", lambda b: json.loads(b)["title"] == "Clusters meet"),
        ("data", lambda b: len(json.loads(b)["tables"]["participants"]) == 6),
        ("csv", lambda b: b.startswith(b"PK")),
    ):
        out = tmp_path / f"m.{fmt}"
        assert main(["minutes", "--store", store, WORKSHOP, "--format", fmt, "-o", str(out)]) == 0
        assert check(out.read_bytes()), fmt


def test_minutes_at_a_moment_and_by_join_code(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    from domain.application import Tavolo
    from server.stores import store_env

    app = Tavolo(store_env(store))
    code = app.repository.get(__import__("uuid").UUID(WORKSHOP)).code
    app.close()
    capsys.readouterr()
    assert main(["minutes", "--store", store, code.lower(), "--at", "2026-11-22T09:40:00Z"]) == 0
    early = capsys.readouterr().out
    assert "still open" in early and "Group work" in early and "### Groups" not in early


def test_replay_prints_the_state_at_a_moment(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["replay", "--store", store, WORKSHOP, "--at", "2026-11-22T09:40"]) == 0
    out = capsys.readouterr().out
    assert "poll 'Which area first?': open, 4 voted of 6" in out and "running: Opening" in out
    assert main(["replay", "--store", store, WORKSHOP, "--json"]) == 0
    state = json.loads(capsys.readouterr().out)
    assert state["events"] == 50 and state["dashboard"]["counts"]["joined"] == 5


def test_export_then_import_elsewhere_gives_the_same_minutes(
    store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "w.tavolo"
    key = ["--export-key", "k3y"]
    assert main(["export", "--store", store, WORKSHOP, "--output", str(out), "--progress", *key]) == 0
    other = f"sqlite:///{tmp_path}/other.db"
    assert main(["import", "--store", other, *key, str(out)]) == 0
    capsys.readouterr()
    assert main(["minutes", "--store", other, WORKSHOP]) == 0
    assert capsys.readouterr().out == EXPECTED


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["minutes", "--store", "{store}", "NOSUCH"], "not_found"),
        (["minutes", "--store", "{store}", "00000000-0000-0000-0000-000000000000"], "not_found"),
        (["minutes", "--store", "{store}", WORKSHOP, "--at", "yesterday"], "not an ISO time"),
        (["minutes", "--store", "{store}", WORKSHOP, "--at", "2000-01-01"], "did not exist yet"),
        (["minutes", "--store", "nosuch://x", WORKSHOP], "unknown store URL"),
        (["import", "--store", "{store}", "--allow-unsigned", str(STREAM)], "already_exists"),
        (["import", "--store", "{store}", str(STREAM)], "unsigned: the file is not signed"),
        (["import", "--store", "{store}", "--export-key", "k", str(STREAM)], "unsigned: the file is not signed"),
        (["import", "--store", "{store}", "{tmp}/missing.tavolo"], "cannot read"),
        (["import", "--store", "{store}", "{tmp}/v9.tavolo"], "unknown_version"),
        (["import", "--store", "{store}", "{tmp}/junk.tavolo"], "bad_file"),
    ],
)
def test_refusals_exit_2_with_one_line(
    store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    import msgpack

    (tmp_path / "v9.tavolo").write_bytes(msgpack.packb({"format": "tavolo-events", "version": 9}))
    (tmp_path / "junk.tavolo").write_bytes(b"\xc1not msgpack")
    capsys.readouterr()
    assert main([a.format(store=store, tmp=tmp_path) for a in argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1
