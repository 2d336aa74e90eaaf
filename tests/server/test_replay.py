"""Replay over HTTP: the state at any moment equals a fold of the events up to it; timeline, minutes downloads,
the event export, the replay page, and who may read a workshop's history."""

from __future__ import annotations

import io
import random
import zipfile
from datetime import datetime
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
    assert early.status_code == 200 and early.json()["index"] == 1  # before the first event: its first moment


def test_the_first_moment_to_the_millisecond_is_the_workshops_creation(room: Room) -> None:
    # The replay page's Home key asks for the scrubber's start: the first event's time in whole milliseconds, which
    # falls before the event's own microseconds. It used to answer 404 ("Could not load the replay.").
    _history(room)
    first = _get(room, "/timeline").json()["start"]
    start = datetime.fromisoformat(first["at"])
    millis = start.replace(microsecond=start.microsecond // 1000 * 1000).isoformat()  # .123 of .123456
    for at in (millis, first["at"]):
        r = room.client.get(f"/api/workshops/{room.id}/replay", params={"at": at}, headers=bearer(room.facilitator))
        assert r.status_code == 200, r.text
        assert (r.json()["index"], r.json()["position"]) == (1, first["position"])


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
    for path in ("/timeline", "/replay", "/minutes.md", "/events.tavolo", "/notes"):
        assert _get(room, path, room.projector).status_code == 403
        assert _get(room, path, h["people"][0]["participant_token"]).status_code == 403
        assert room.client.get(f"/api/workshops/{room.id}{path}").status_code == 401
    assert _get(room, "/replay?position=x").status_code == 422


def test_the_replay_page(room: Room) -> None:
    r = room.client.get(f"/w/{room.id}/replay")
    assert r.status_code == 200 and 'id="rp-scrubber"' in r.text and 'id="rp-note"' in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert room.client.get("/w/00000000-0000-0000-0000-000000000000/replay").status_code == 404


def test_rotations_timer_and_matchmaking_mark_the_timeline_and_show_in_the_replay() -> None:
    from pathlib import Path

    from domain.application import Tavolo
    from server.archive import import_events
    from server.replay import Replay

    app = Tavolo({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    with (Path(__file__).parents[1] / "fixtures" / "workshop-v2.tavolo").open("rb") as f:
        workshop_id, _ = import_events(app, f, allow_unsigned=True)
    replay = Replay(workshop_events(app, workshop_id), every=7)
    markers = replay.timeline()["markers"]
    rounds = [m["label"] for m in markers if m["kind"] == "round_started"]
    assert rounds == [f"Meet the clusters · {n}" for n in (1, 2, 3, 4)]
    assert [m["label"] for m in markers if m["kind"] == "timer_started"] == ["PechaKucha"]
    assert [m["label"] for m in markers if m["kind"] == "meetings_scheduled"] == ["3"]
    assert [m["kind"] for m in markers if m["kind"] == "schedule_published"] == ["schedule_published"]
    second = next(m for m in markers if m["kind"] == "round_started" and m["label"].endswith("2"))
    state = replay.state(position=second["position"])
    rotation = state["dashboard"]["rotation"]
    assert (rotation["current"], rotation["state"], rotation["meetings_held"]) == (2, "running", 3)
    assert state["dashboard"]["matchmaking"] is None
    published = next(m for m in markers if m["kind"] == "schedule_published")
    counts = replay.state(position=published["position"])["dashboard"]["matchmaking"]["counts"]
    assert (counts["requests"], counts["accepted"], counts["scheduled"], counts["held"]) == (5, 3, 3, 0)
    app.close()


def test_notes_added_later_reach_the_list_the_timeline_and_the_minutes(room: Room) -> None:
    h = _history(room)
    assert "Late remark" not in _get(room, "/minutes.md").text  # the replay of this moment is cached now
    item = _get(room, "/timeline").json()["agenda"][0]
    room.ok("annotate", {"text": "Late remark", "item_id": item["id"], "corrects": "turnout"})
    notes = _get(room, "/notes").json()["notes"]
    assert [(n["text"], n["item"], n["corrects"]) for n in notes] == [
        ("Good turnout.", "Vote", ""), ("Late remark", "Vote", "turnout"),
    ]  # fmt: skip
    # A note changes no live view, but the minutes and the timeline must not be served from the old replay.
    assert "> **Correction (turnout)**" in _get(room, "/minutes.md").text
    assert [m["label"] for m in _get(room, "/timeline").json()["markers"] if m["kind"] == "note"][-1] == "Late remark"
    assert h["poll_id"]


def test_the_dashboard_has_the_notes_card(room: Room) -> None:
    r = room.client.get(f"/w/{room.id}/dashboard")
    assert 'id="notes-form"' in r.text and "notes_dashboard.js" in r.text


def test_the_pdf_minutes_print_markup_in_organisations_answers_and_notes_as_text(room: Room) -> None:
    import pypdf

    org, answer = "<b>Org</b> & Co", "<script>alert('answer')</script> **bold**"
    note = "<img src=x onerror=alert(1)> [link](javascript:x)"
    ann = room.join(name="Ann", organisation=org)
    where = room.one_group_sheet()
    room.ok("add_contribution", {**where, "text": answer}, ann["participant_token"])
    room.ok("annotate", {"text": note})
    pdf = pypdf.PdfReader(io.BytesIO(_get(room, "/minutes.pdf").content))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in pdf.pages)
    # Printed as typed: nothing interpreted (no bold, no link, no image), nothing dropped.
    for typed in (org, answer, note):
        assert typed in text, (typed, text[:2000])
    assert not any("/Annots" in page for page in pdf.pages)  # no link was made of anything


def test_a_moment_before_the_zone_changed_is_shown_in_the_zone_it_had(room: Room) -> None:
    room.ok("update_workshop", {"timezone": "Europe/Rome"})
    item = room.add_item("Welcome")
    room.ok("start_agenda_item", {"item_id": item})
    started = next(m for m in _get(room, "/timeline").json()["markers"] if m["kind"] == "item_started")
    room.ok("update_workshop", {"timezone": "Asia/Tokyo"})
    assert _get(room, "/timeline").json()["timezone"] == "Asia/Tokyo"  # the zone at the end of the log
    then = _get(room, f"/replay?position={started['position']}").json()
    assert (then["timezone"], then["zone_label"]) == ("Europe/Rome", "Europe/Rome (CET/CEST)")
    assert _get(room, "/replay").json()["timezone"] == "Asia/Tokyo"
    # The minutes of that moment say the same zone.
    assert "all times are Europe/Rome" in _get(room, f"/minutes.md?position={started['position']}").text
