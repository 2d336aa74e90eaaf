"""Polls through the server: live tallies, hidden results that never leave it, secret ballots, the timer, CSV."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.server.support import Room

SINGLE = {"title": "Which area first?", "kind": "single", "questions": [{"options": ["Skills", "Export"]}]}


def _poll(room: Room, **settings: Any) -> str:
    poll_id = str(room.ok("create_poll", {**SINGLE, **settings})["result"]["poll_id"])
    room.ok("open_poll", {"poll_id": poll_id})
    return poll_id


def test_the_dashboard_tally_follows_ballots_live_and_a_new_ballot_replaces_the_old(room: Room) -> None:
    ann, bob = room.join(name="Ann"), room.join(name="Bob")
    poll_id = _poll(room)
    with room.peer(room.facilitator, "dashboard") as dash:
        room.ok("cast_ballot", {"poll_id": poll_id, "answer": "o1"}, ann["participant_token"])
        room.ok("cast_ballot", {"poll_id": poll_id, "answer": "o1"}, bob["participant_token"])
        room.ok("cast_ballot", {"poll_id": poll_id, "answer": "o2"}, bob["participant_token"])  # changed mind

        def counted(d: dict[str, Any]) -> bool:
            results = d["polls"][poll_id]["results"]
            return [o["count"] for o in results[0]["options"]] == [1, 1]

        state = dash.wait_view("dashboard", counted, "one vote each")
        assert state["data"]["polls"][poll_id]["turnout"] == {"voted": 2, "present": 2, "percent": 100.0}


def test_hidden_results_never_reach_participants_or_the_projector(room: Room) -> None:
    ann = room.join(name="Ann")
    poll_id = _poll(room)
    with room.peer(ann["participant_token"], "participant") as me, room.peer(room.projector, "projector") as pr:
        room.ok("cast_ballot", {"poll_id": poll_id, "answer": "o2"}, ann["participant_token"])
        mine = me.wait_view("participant", lambda d: poll_id in d["me"]["ballots"], "own ballot")
        assert mine["data"]["me"]["ballots"][poll_id] == {"q1": "o2"}
        assert mine["data"]["polls"][poll_id]["results"] is None
        seen = {id(peer): len(peer.messages) for peer in (me, pr)}
        room.ok("set_results_visibility", {"poll_id": poll_id, "visibility": "shown"})
        shown = pr.wait_view("projector", lambda d: d["polls"][poll_id]["revealed"], "results shown")
        assert shown["data"]["polls"][poll_id]["results"][0]["options"][1]["count"] == 1
        # Before the facilitator showed them, no frame to either carried a single count.
        for peer in (me, pr):
            assert peer.messages[: seen[id(peer)]], "frames were received"
            assert not any('"count"' in json.dumps(m) for m in peer.messages[: seen[id(peer)]])


def test_a_secret_ballot_stores_no_link_to_the_voter(room: Room) -> None:
    ann = room.join(name="Ann")
    poll_id = _poll(room, secret=True)
    room.ok("cast_ballot", {"poll_id": poll_id, "answer": "o1"}, ann["participant_token"], command_id="ballot-1")
    retry = room.ok("cast_ballot", {"poll_id": poll_id, "answer": "o1"}, ann["participant_token"], "ballot-1")
    assert retry["duplicate"] is True
    room.ok("close_poll", {"poll_id": poll_id})
    app = room.client.app.state.services.app  # type: ignore[attr-defined]
    stored = b"".join(n.state for n in app.recorder.select_notifications(1, 10_000) if "Poll" in n.topic)
    assert b"SecretBallotCast" not in stored  # topics are not in the state; the ballot events are:
    ballots = [n for n in app.recorder.select_notifications(1, 10_000) if n.topic.endswith("SecretBallotCast")]
    assert len(ballots) == 1
    for secret in (ann["participant_id"], ann["participant_token"], "ballot-1"):
        assert secret.encode() not in ballots[0].state
    assert room.view()["data"]["polls"][poll_id]["turnout"]["voted"] == 1
    assert app.keys.get(__import__("uuid").UUID(poll_id)) is None  # the key is gone with the closing


def test_the_server_clock_closes_a_poll_at_its_deadline(room: Room) -> None:
    poll_id = _poll(room)
    room.ok("set_poll_deadline", {"poll_id": poll_id, "closes_at": "2020-01-01T00:00:00+00:00"})
    deadline = time.monotonic() + 5
    while room.view()["data"]["polls"][poll_id]["poll"]["state"] != "closed":
        assert time.monotonic() < deadline, "the timer did not close the poll"
        time.sleep(0.05)


def test_the_server_clock_closes_a_reopened_poll_again_at_the_same_deadline(room: Room) -> None:
    poll_id = _poll(room)
    past = "2020-01-01T00:00:00+00:00"

    def closed() -> None:
        deadline = time.monotonic() + 5
        while room.view()["data"]["polls"][poll_id]["poll"]["state"] != "closed":
            assert time.monotonic() < deadline, "the timer did not close the poll"
            time.sleep(0.05)

    room.ok("set_poll_deadline", {"poll_id": poll_id, "closes_at": past})
    closed()
    # The timer's command id once named only the poll and the deadline: the second close was taken for a retry of
    # the first, and the reopened poll stayed open past its deadline.
    room.ok("reopen_poll", {"poll_id": poll_id, "closes_at": past})
    closed()


def test_results_export_as_csv_for_the_facilitator_only(room: Room) -> None:
    ann = room.join(name="Ann")
    poll_id = _poll(room, title="=HYPERLINK(1)")
    room.ok("cast_ballot", {"poll_id": poll_id, "answer": "o1"}, ann["participant_token"])
    path = f"/api/workshops/{room.id}/polls/{poll_id}/results.csv"
    r = room.client.get(path, headers={"Authorization": f"Bearer {room.facilitator}"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "'=HYPERLINK(1)" in r.text and ",Skills," in r.text
    denied = room.client.get(path, headers={"Authorization": f"Bearer {ann['participant_token']}"})
    assert denied.status_code == 403


def test_a_timer_that_read_an_old_deadline_does_not_close_a_poll_whose_deadline_moved(room: Room) -> None:
    poll_id = _poll(room)
    room.ok("set_poll_deadline", {"poll_id": poll_id, "closes_at": "2099-01-01T00:00:00+00:00"})
    stale = {"poll_id": poll_id, "if_closes_at": "2020-01-01T00:00:00+00:00"}
    assert room.ok("close_poll", stale)["duplicate"] is False
    assert room.view()["data"]["polls"][poll_id]["poll"]["state"] == "open"
    room.ok("close_poll", {"poll_id": poll_id, "if_closes_at": "2099-01-01T00:00:00+00:00"})
    assert room.view()["data"]["polls"][poll_id]["poll"]["state"] == "closed"


def test_secret_ballot_keys_live_in_one_folder_per_store(tmp_path: Any, monkeypatch: Any) -> None:
    from domain.secret import FilePollKeys
    from server.app import poll_keys

    monkeypatch.chdir(tmp_path)
    # PostgreSQL keeps them in a table shared by the processes (tests/server/test_keystore.py).
    a, b = poll_keys(f"sqlite:///{tmp_path}/a.db", None), poll_keys(f"sqlite:///{tmp_path}/a.sqlite", None)
    assert all(isinstance(k, FilePollKeys) for k in (a, b))
    folders = {k.directory for k in (a, b)}  # type: ignore[union-attr]
    assert len(folders) == 2


def test_the_minutes_of_a_closed_ranking_render_in_every_format_and_language(room: Room) -> None:
    """A ranking's "share of first choices" line once held a bare "%" that the HTML template's gettext formatted
    (a TypeError in every language): the minutes of a ranking must render as md, html and pdf, in English and
    another language."""
    ann, bob = room.join(name="Ann"), room.join(name="Bob")
    ranking = {"title": "Priorities", "kind": "ranking", "questions": [{"options": ["Skills", "Export", "Data"]}]}
    poll_id = str(room.ok("create_poll", ranking)["result"]["poll_id"])
    room.ok("open_poll", {"poll_id": poll_id})
    room.ok("cast_ballot", {"poll_id": poll_id, "answer": ["o2", "o1"]}, ann["participant_token"])
    room.ok("cast_ballot", {"poll_id": poll_id, "answer": ["o2", "o3", "o1"]}, bob["participant_token"])
    room.ok("close_poll", {"poll_id": poll_id})
    headers = {"Authorization": f"Bearer {room.facilitator}"}
    for lang in ("en", "de"):
        for fmt in ("md", "html", "pdf"):
            r = room.client.get(f"/api/workshops/{room.id}/minutes.{fmt}?lang={lang}", headers=headers)
            assert r.status_code == 200, (lang, fmt, r.text[:300])
        html = room.client.get(f"/api/workshops/{room.id}/minutes.html?lang={lang}", headers=headers).text
        assert "Export" in html and "100" in html  # both ranked Export first: its share of first choices
