"""Replay over HTTP: the state at any moment equals a fold of the events up to it; timeline, minutes downloads,
the event export, the replay page, and who may read a workshop's history."""

from __future__ import annotations

import io
import random
import zipfile
from typing import Any
from uuid import UUID

import pytest

from projections.minutes import minutes
from projections.minutes_md import render
from server import replay as replay_module
from server.archive import fold, read_export, read_model_at, workshop_events
from server.replay import views
from tests.server.support import Room, bearer

SINGLE = {"title": "Which area first?", "kind": "single", "questions": [{"options": ["Skills", "Export"]}]}


def _history(room: Room) -> dict[str, Any]:
    item = room.add_item("Vote")
    people = [room.join(name=n) for n in ("Ann", "Bob", "Cy")]
    room.ok("start_agenda_item", {"item_id": item})
    poll_id = room.ok("create_poll", SINGLE)["result"]["poll_id"]
    room.ok("open_poll", {"poll_id": poll_id})
    for p, choice in zip(people, ("o1", "o2", "o1"), strict=True):
        room.ok("cast_ballot", {"poll_id": poll_id, "answer": choice}, p["participant_token"])
    room.ok("close_poll", {"poll_id": poll_id})
    room.ok("split_groups", {"strategy": "random", "groups": 2, "seed": 3})
    room.ok("annotate", {"text": "Good turnout.", "item_id": item})
    room.ok("finish_agenda_item", {"item_id": item})
    return {"poll_id": poll_id, "people": people}


def _get(room: Room, path: str, token: str | None = None) -> Any:
    return room.client.get(f"/api/workshops/{room.id}{path}", headers=bearer(token or room.facilitator))


def test_the_view_at_any_position_equals_a_fold_of_the_events_up_to_it(
    room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replay_module, "CHECKPOINT", 4)  # scrubbing crosses several checkpoints
    _history(room)
    app = room.client.app.state.services.app  # type: ignore[attr-defined]
    log = workshop_events(app, UUID(room.id))
    positions = [p for p, _ in log.events]
    for position in [positions[0], positions[-1], *random.Random(7).sample(positions, 12)]:
        r = _get(room, f"/replay?position={position}")
        assert r.status_code == 200, r.text
        state = r.json()
        expected = views(fold([(p, e) for p, e in log.events if p <= position]), UUID(room.id))
        assert state["position"] == position
        assert state["dashboard"] == expected["dashboard"] and state["projector"] == expected["projector"]


def test_a_moment_by_time_shows_the_tally_before_the_poll_closed(room: Room) -> None:
    h = _history(room)
    timeline = _get(room, "/timeline").json()
    kinds = [m["kind"] for m in timeline["markers"]]
    assert {"item_started", "poll_opened", "poll_closed", "split", "note", "item_finished"} <= set(kinds)
    closed = next(m for m in timeline["markers"] if m["kind"] == "poll_closed")
    before = _get(room, f"/replay?position={closed['position'] - 1}").json()
    poll = before["dashboard"]["polls"][h["poll_id"]]
    assert poll["poll"]["state"] == "open" and poll["turnout"]["voted"] == 3
    at = _get(room, "/replay", room.facilitator).json()
    assert at["position"] == timeline["end"]["position"]
    by_time = room.client.get(
        f"/api/workshops/{room.id}/replay", params={"at": closed["at"]}, headers=bearer(room.facilitator)
    ).json()
    assert by_time["dashboard"]["polls"][h["poll_id"]]["poll"]["state"] == "closed"
    early = room.client.get(
        f"/api/workshops/{room.id}/replay", params={"at": "2000-01-01T00:00"}, headers=bearer(room.facilitator)
    )
    assert early.status_code == 404


def test_minutes_and_data_downloads(room: Room) -> None:
    _history(room)
    app = room.client.app.state.services.app  # type: ignore[attr-defined]
    expected = render(minutes(read_model_at(workshop_events(app, UUID(room.id)))))
    md = _get(room, "/minutes.md")
    assert md.status_code == 200 and md.text == expected
    assert "Good turnout." in md.text and 'filename="tavolo-minutes-' in md.headers["content-disposition"]
    html = _get(room, "/minutes.html")
    assert "<svg" in html.text and "script-src" not in html.headers["content-security-policy"]
    assert _get(room, "/minutes.pdf").content.startswith(b"%PDF")
    assert _get(room, "/minutes.json").json()["attendance"]["joined"] == 3
    data = _get(room, "/minutes.data").json()
    assert {"participants", "agenda", "polls", "groups", "answers", "notes"} <= set(data["tables"])
    assert "token_hash" not in str(data)
    names = zipfile.ZipFile(io.BytesIO(_get(room, "/minutes.csv").content)).namelist()
    assert "participants.csv" in names and "poll_results.csv" in names
    assert _get(room, "/minutes.doc").status_code == 404


def test_the_event_export_is_the_workshop_stream(room: Room) -> None:
    _history(room)
    r = _get(room, "/events.tavolo")
    header, rows = read_export(io.BytesIO(r.content))
    assert header["workshop_id"] == room.id and len(list(rows)) == header["events"] > 10


def test_only_the_facilitator_reads_the_history(room: Room) -> None:
    h = _history(room)
    for path in ("/timeline", "/replay", "/minutes.md", "/events.tavolo"):
        assert _get(room, path, room.projector).status_code == 403
        assert _get(room, path, h["people"][0]["participant_token"]).status_code == 403
        assert room.client.get(f"/api/workshops/{room.id}{path}").status_code == 401
    assert _get(room, "/replay?position=x").status_code == 422


def test_the_replay_page(room: Room) -> None:
    r = room.client.get(f"/w/{room.id}/replay")
    assert r.status_code == 200 and 'id="rp-scrubber"' in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert room.client.get("/w/00000000-0000-0000-0000-000000000000/replay").status_code == 404
