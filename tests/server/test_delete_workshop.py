"""Deleting a workshop entirely: confirmed by its join code, gone from views, sockets, the store's files and the key
stores, the other workshops untouched, and finished at the next start if a crash interrupted it."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

import anyio
import pytest
from starlette.testclient import TestClient

from domain.application import Command
from domain.commands import FACILITATOR, Actor
from domain.poll_commands import PollContext, run_poll_command
from domain.secret import MemoryPollKeys
from domain.workshop import Workshop
from server import purge as purge_module
from server.app import create_app
from server.archive import ArchiveError, workshop_events
from tests.server import support
from tests.server.support import Room

TITLE = "Zanzibar Cluster Summit"
ANSWER = "Quokka pilot lines in Ravenna"
NOTE = "Minutes note about Xylophone GmbH"
SESSIONS = {"sessions": [{"start": "2026-11-23T09:00:00+01:00", "end": "2026-11-23T10:00:00+01:00"}],
            "slot_minutes": 20, "tables": 2}  # fmt: skip
SECRET_POLL = {"title": "Secret?", "kind": "single", "questions": [{"options": ["Yes", "No"]}], "secret": True}


@contextmanager
def serving(db: Path) -> Iterator[TestClient]:
    app = create_app(f"sqlite:///{db}", support.settings())
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _populate(room: Room) -> dict[str, Any]:
    """A workshop that used every kind of aggregate: groups and answers, a secret poll, matchmaking, a timer,
    a rotation, notes; returns the participants."""
    ann = room.join(name="Annabelle Quist", organisation="Quist Holdings")
    bob = room.join(name="Bob Ekwueme", country="FR")
    where = room.one_group_sheet()
    room.ok("add_contribution", {**where, "text": ANSWER}, ann["participant_token"])
    poll = room.ok("create_poll", SECRET_POLL)["result"]["poll_id"]
    room.ok("open_poll", {"poll_id": poll})
    room.ok("cast_ballot", {"poll_id": poll, "answer": "o1"}, bob["participant_token"])
    room.ok("configure_matchmaking", SESSIONS)
    room.ok("request_meeting", {"participant_id": bob["participant_id"], "note": "Meet?"}, ann["participant_token"])
    room.ok("start_timer", {"seconds": 300, "label": "Coffee"})
    room.ok("create_rotation", {"table_size": 2, "rounds": 1, "round_seconds": 60})
    room.ok("annotate", {"text": NOTE})
    return {"ann": ann, "bob": bob, "poll": poll}


def _rows(db: Path) -> dict[str, list[tuple[str, int, str]]]:
    """Every stored event's (originator, version, topic), by originator."""
    with sqlite3.connect(db) as c:
        found: dict[str, list[tuple[str, int, str]]] = {}
        query = "SELECT originator_id, originator_version, topic FROM stored_events"
        for originator, version, topic in c.execute(query):
            found.setdefault(str(UUID(originator)), []).append((originator, version, topic))
        return found


def _purged(db: Path, client: TestClient) -> dict[str, list[tuple[str, int, str]]]:
    """The rows once the purges (which run after the deletion's ack) are done. Waits on the purge tasks rather than
    polling the file: a reader polling it could hold back the purge's WAL checkpoint."""

    async def purges_done() -> None:
        services = client.app.state.services  # type: ignore[attr-defined]
        with anyio.fail_after(support.DEADLINE):
            while running := [t for t in services._background if t.get_name().startswith("tavolo-purge-")]:
                await asyncio.wait(running)

    client.portal.call(purges_done)  # type: ignore[attr-defined]
    return _rows(db)


def _file_bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*") if p.is_file())


def _keys(db: Path) -> set[str]:
    with sqlite3.connect(f"{db}.personal-keys") as c:
        return {owner for (owner,) in c.execute("SELECT owner FROM personal_keys")}


def test_deleting_needs_the_join_code_and_the_facilitator(room: Room) -> None:
    ann = room.join(name="Ann")
    refused = support.command(room.client, room.id, room.facilitator, "delete_workshop", {})
    support.assert_error(refused, "not_confirmed")
    wrong = support.command(room.client, room.id, room.facilitator, "delete_workshop", {"confirm": "ZZZZZZ"})
    support.assert_error(wrong, "not_confirmed")
    for token in (ann["participant_token"], room.projector, None):
        r = support.command(room.client, room.id, token, "delete_workshop", {"confirm": room.code})
        assert r.status_code in (401, 403), r.text
    assert room.view()["data"]["counts"]["joined"] == 1  # nothing happened


def test_a_deleted_workshop_leaves_nothing_in_the_store_files_or_key_stores_and_others_stay(tmp_path: Path) -> None:
    db = tmp_path / "tavolo.db"
    with serving(db) as client:
        gone, kept = Room(client, title=TITLE), Room(client, title="Kept workshop")
        people = _populate(gone)
        carol = kept.join(name="Carol Kept")
        kept.ok("add_agenda_item", {"title": "Opening", "kind": "plenary"})
        before = _rows(db)
        assert TITLE.encode() in _file_bytes(db) and ANSWER.encode() in _file_bytes(db)
        assert {people["ann"]["participant_id"], people["bob"]["participant_id"]} <= _keys(db)
        with gone.peer(people["ann"]["participant_token"], "participant") as phone, \
                gone.peer(gone.facilitator, "dashboard") as dash:  # fmt: skip
            assert "participant" in phone.views and "dashboard" in dash.views
            dash.send({"type": "command", "id": "delete-1", "name": "delete_workshop",
                       "args": {"confirm": gone.code.lower()}})  # fmt: skip
            ack = dash.wait(lambda m: m["type"] in ("ack", "error") and m.get("id") == "delete-1", "the ack")
            assert ack["type"] == "ack", ack
            for peer in (dash, phone):
                closed = peer.wait_closed()
                assert closed.code == 4404, closed
                assert any(m.get("code") == "not_found" for m in peer.messages if m["type"] == "error")
        support.assert_error(client.get(f"/api/workshops/{gone.id}/views/dashboard",
                                        headers=support.bearer(gone.facilitator)), "not_found")  # fmt: skip
        support.assert_error(support.command(client, gone.id, gone.facilitator, "start_timer", {"seconds": 60}),
                             "not_found")  # fmt: skip
        r = support.post_json(client, "/api/join", {"code": gone.code, **support.PROFILE})
        support.assert_error(r, "unknown_code")
        after = _purged(db, client)
        # Of the deleted workshop's aggregates only the deletion itself stays, naming nobody.
        removed = set(before) - set(after)
        assert len(removed) >= 10, removed  # workshop history, join code, poll, groups, sheet, matchmaking, …
        (marker,) = after[gone.id]
        assert marker[2].endswith("Workshop.Deleted")
        for originator, rows in before.items():
            if originator not in removed and originator != gone.id:
                assert after[originator] == rows  # the other workshop's events are all there
        files = _file_bytes(db)
        assert TITLE.encode() not in files and ANSWER.encode() not in files and NOTE.encode() not in files
        services = client.app.state.services  # type: ignore[attr-defined]
        assert not [slot for slot in services.hub.memo.polls if people["poll"] in repr(slot)]  # nothing rendered kept
        with pytest.raises(ArchiveError, match="deleted"):  # minutes, exports and replays of it: not found
            workshop_events(services.app, UUID(gone.id))
        keys = _keys(db)
        assert people["ann"]["participant_id"] not in keys and people["bob"]["participant_id"] not in keys
        assert carol["participant_id"] in keys
        assert kept.view()["data"]["participants"][carol["participant_id"]]["name"] == "Carol Kept"
    with serving(db) as client:  # a restart: still gone, the other one still there
        support.assert_error(client.get(f"/api/workshops/{gone.id}/views/dashboard",
                                        headers=support.bearer(gone.facilitator)), "not_found")  # fmt: skip
        with support.Peer(client, gone.id) as peer:  # a phone that reconnects after the restart: told it is final
            assert peer.wait(lambda m: m["type"] == "error", "the error")["code"] == "not_found"
            assert peer.wait_closed().code == 4404
        assert support.view(client, kept.id, kept.facilitator, "dashboard")["data"]["counts"]["joined"] == 1
        again = Room(client)  # the join code index works as before
        assert again.join(name="New")["participant_id"]


def test_a_purge_interrupted_by_a_crash_is_finished_at_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "tavolo.db"
    real = purge_module.purge_store

    def crash(*args: Any) -> None:
        raise OSError("the process died here")

    monkeypatch.setattr("server.services.purge_store", crash)
    with serving(db) as client:
        room = Room(client, title=TITLE)
        ann = room.join(name="Annabelle Quist")
        room.ok("annotate", {"text": NOTE})
        room.ok("delete_workshop", {"confirm": room.code})
        support.assert_error(client.get(f"/api/workshops/{room.id}/views/dashboard",
                                        headers=support.bearer(room.facilitator)), "not_found")  # fmt: skip
    assert len(_rows(db)[room.id]) > 1 and ann["participant_id"] in _keys(db)  # the purge did not happen
    monkeypatch.setattr("server.services.purge_store", real)
    with serving(db) as client:
        support.assert_error(support.command(client, room.id, room.facilitator, "annotate", {"text": "x"}),
                             "not_found")  # fmt: skip
    assert [r[2].rsplit(".", 1)[1] for r in _rows(db)[room.id]] == ["Deleted"]
    assert ann["participant_id"] not in _keys(db) and NOTE.encode() not in _file_bytes(db)


def test_deleting_on_the_memory_store_and_retries_of_its_delete_and_create(client: TestClient) -> None:
    created = support.post_json(client, "/api/workshops", {**support.DETAILS, "id": "create-once"}).json()
    room = Room.__new__(Room)
    room.client, room.id, room.code = client, created["workshop_id"], created["code"]
    room.facilitator = created["facilitator_token"]
    ann = room.join(name="Ann")
    room.ok("delete_workshop", {"confirm": room.code}, command_id="del-1")
    r = support.command(room.client, room.id, room.facilitator, "delete_workshop", {"confirm": room.code}, "del-1")
    support.assert_error(r, "not_found")  # gone: the retry changes nothing
    support.assert_error(support.command(room.client, room.id, ann["participant_token"], "leave"), "not_found")
    services = room.client.app.state.services  # type: ignore[attr-defined]
    assert services.app.personal_keys.get(ann["participant_id"]) is None
    topics = {n.topic for n in services.app.recorder.select_notifications(1, 1000)}
    assert not any("ParticipantJoined" in t or "Workshop.Created" in t for t in topics), topics
    # A retry of the create that made it (its answer lost, say) does not bring it back.
    again = support.post_json(client, "/api/workshops", {**support.DETAILS, "id": "create-once"})
    support.assert_error(again, "not_found")


def _services(client: TestClient) -> Any:
    return client.app.state.services  # type: ignore[attr-defined]


def test_what_the_same_batch_created_for_the_workshop_is_purged_with_it(tmp_path: Path) -> None:
    db = tmp_path / "tavolo.db"
    with serving(db) as client:
        room = Room(client, title=TITLE)
        room.join(name="Ann")
        services = _services(client)
        wid, boss = UUID(room.id), Actor(FACILITATOR)
        commands = [
            Command("b-poll", "create_poll", SECRET_POLL, wid, boss),
            Command("b-timer", "start_timer", {"seconds": 60}, wid, boss),
            Command("b-note", "annotate", {"text": NOTE}, wid, boss),
            Command("b-split", "split_groups", {"strategy": "random", "groups": 1}, wid, boss),
            Command("b-delete", "delete_workshop", {"confirm": room.code}, wid, boss),
            Command("b-late", "annotate", {"text": "after"}, wid, boss),
        ]
        gate = threading.Event()

        async def one_batch() -> list[Any]:
            # Hold the writer so that all six queue up, then let them go as one batch.
            held = asyncio.ensure_future(services.writer.call(gate.wait))
            await asyncio.sleep(0)
            runs = [asyncio.ensure_future(services.run(c)) for c in commands]
            await asyncio.sleep(0.05)
            gate.set()
            await held
            return list(await asyncio.gather(*runs))

        outcomes = client.portal.call(one_batch)  # type: ignore[attr-defined]
        assert [o.error.code if o.error else "ok" for o in outcomes] == ["ok"] * 5 + ["not_found"]
        assert outcomes[-2].position == max(o.position for o in outcomes[:-1])  # the marker went last
        rows = _purged(db, client)
        assert NOTE.encode() not in _file_bytes(db) and sum(map(len, rows.values())) == 1
        hub = services.hub
        assert not [t for t in hub.tallies.values() if t.workshop_id == wid]
        assert wid not in hub.groups.models and wid not in hub.timers.rows and wid not in hub.notes.models


def test_an_aggregate_a_stale_process_creates_after_the_deletion_is_purged_too(tmp_path: Path) -> None:
    db = tmp_path / "tavolo.db"
    with serving(db) as client:
        room = Room(client, title=TITLE)
        services = _services(client)
        wid = UUID(room.id)
        stale: Workshop = services.app.repository.get(wid)  # another process's copy, loaded just before
        room.ok("delete_workshop", {"confirm": room.code})
        _purged(db, client)
        late = run_poll_command("create_poll", stale, None, PollContext(Actor(FACILITATOR), "late", MemoryPollKeys()),
                                {**SECRET_POLL, "title": TITLE})  # fmt: skip
        recordings = services.app.save(late.poll)  # committed after the purge, as that process would

        async def fold() -> None:  # as the follower folds another process's commit
            services.hub.apply([(r.notification.id, r.domain_event) for r in recordings])

        client.portal.call(fold)  # type: ignore[attr-defined]
        deadline = time.monotonic() + support.DEADLINE
        while str(late.poll.id) in _rows(db):
            assert time.monotonic() < deadline, "the late poll was not purged"
            time.sleep(0.02)
        assert late.poll.id not in services.hub.tallies
        with room.peer() as peer:  # and a socket to it is told it was deleted
            assert peer.wait_closed().code == 4404
