"""Matchmaking through the server: profiles, requests, the schedule, agendas, the catalogue, and who sees what."""

from __future__ import annotations

import time
from typing import Any

import icalendar
import pytest

from projections import matchmaking as mm
from tests.server import support
from tests.server.support import Room

SESSIONS = {"sessions": [{"start": "2026-11-23T09:00:00+01:00", "end": "2026-11-23T10:00:00+01:00"}],
            "slot_minutes": 20, "tables": 2}  # fmt: skip


def _me(room: Room, token: str) -> dict[str, Any]:
    return dict(support.view(room.client, room.id, token, "participant")["data"]["me"]["matchmaking"] or {})


def _get(room: Room, path: str, token: str) -> Any:
    return room.client.get(f"/api/workshops/{room.id}/matchmaking/{path}", headers=support.bearer(token))


def _setup(room: Room, people: int = 3) -> list[dict[str, Any]]:
    joined = [
        room.join(name=f"P{i}", organisation=f"Org {i}", country=["IT", "FR", "DE"][i % 3]) for i in range(people)
    ]
    room.ok("configure_matchmaking", SESSIONS)
    return joined


def test_request_accept_schedule_publish_and_both_see_the_meeting_on_their_agenda(room: Room) -> None:
    ann, bob, cy = _setup(room)
    a, b = ann["participant_token"], bob["participant_token"]
    asked = room.ok("request_meeting", {"participant_id": bob["participant_id"], "note": "Shared pilot lines?"}, a)
    meeting = asked["result"]["meeting_id"]
    assert _me(room, b)["requests"][0]["status"] == "pending"
    # Cy cannot accept on Bob's behalf, nor does Cy's view show their note.
    refused = support.command(room.client, room.id, cy["participant_token"], "accept_meeting", {"meeting_id": meeting})
    support.assert_error(refused, "not_your_meeting")
    assert "Shared pilot" not in repr(_me(room, cy["participant_token"]))
    support.assert_error(support.command(room.client, room.id, a, "accept_meeting", {"meeting_id": meeting}),
                         "not_your_meeting")  # fmt: skip
    room.ok("accept_meeting", {"meeting_id": meeting}, b)
    scheduled = room.ok("schedule_meetings")["result"]
    assert scheduled["scheduled"] == 1
    assert _me(room, a)["agenda"] == []  # not announced yet
    room.ok("publish_schedule")
    for token, other in ((a, "P1"), (b, "P0")):
        (item,) = _me(room, token)["agenda"]
        assert item["with"]["name"] == other and item["table"] in (1, 2) and item["slot"] in (0, 1, 2)
        assert item["note"] == "Shared pilot lines?"
    ics = _get(room, "agenda.ics", a)
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    (event,) = icalendar.Calendar.from_ical(ics.content).walk("VEVENT")
    assert "P1" in str(event["summary"]) and str(event["description"]) == "Shared pilot lines?"
    dash = room.view()["data"]["matchmaking"]
    assert dash["counts"]["scheduled"] == 1 and dash["schedule"]["upper_bound"] >= 1
    csv_text = room.client.get(f"/api/workshops/{room.id}/matchmaking/meetings.csv",
                               headers=support.bearer(room.facilitator)).text  # fmt: skip
    assert "Shared pilot lines?" in csv_text and "P0" in csv_text


def test_the_schedule_respects_availability_and_the_tables(room: Room) -> None:
    people = _setup(room, 4)
    tokens = [p["participant_token"] for p in people]
    ids = [p["participant_id"] for p in people]
    room.ok("set_availability", {"unavailable": [0, 1]}, tokens[0])  # P0 only in the last slot
    for i, j in ((0, 1), (0, 2), (2, 3), (1, 3)):
        room.ok("add_meeting", {"participant_ids": [ids[i], ids[j]]})
    room.ok("schedule_meetings")
    dash = room.view()["data"]["matchmaking"]
    placed = {m["id"]: m for m in dash["meetings"] if m["slot"] is not None}
    assert dash["schedule"]["count"] == len(placed) == 3  # P0 can hold only one of their two meetings
    for m in placed.values():
        if ids[0] in (m["a"]["id"], m["b"]["id"]):
            assert m["slot"] == 2
    busy = [(p, m["slot"]) for m in placed.values() for p in (m["a"]["id"], m["b"]["id"])]
    assert len(busy) == len(set(busy))


def test_the_solver_improves_or_confirms_the_schedule_off_the_write_path(room: Room) -> None:
    people = _setup(room, 6)
    ids = [p["participant_id"] for p in people]
    for i in range(6):
        for j in range(i + 1, 6):
            room.ok("add_meeting", {"participant_ids": [ids[i], ids[j]]})
    room.ok("schedule_meetings")
    deadline = time.monotonic() + 20
    while True:
        schedule = room.view()["data"]["matchmaking"]["schedule"]
        if schedule["optimal"] or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert schedule["optimal"] and schedule["count"] == schedule["upper_bound"] == 6  # 3 slots of 2 tables


def test_catalogue_search_and_suggestions_with_reasons(room: Room) -> None:
    ann, bob, _ = _setup(room)
    ann_profile = {"offers": "Robotic welding lines", "seeks": "Distributors in Germany", "markets": ["DE"],
                   "value_chain": "production"}  # fmt: skip
    room.ok("save_match_profile", ann_profile, ann["participant_token"])
    bob_profile = {"offers": "Distributors network", "seeks": "Welding robots", "value_chain": "distribution"}
    room.ok("save_match_profile", bob_profile, bob["participant_token"])
    found = _get(room, "catalogue?q=robotic", bob["participant_token"]).json()
    assert [p["name"] for p in found["people"]] == ["P0"]
    suggested = _get(room, "suggestions", ann["participant_token"]).json()["suggestions"]
    assert suggested[0]["name"] == "P1"
    kinds = {r["kind"] for r in suggested[0]["reasons"]}
    assert {"offers_what_you_seek", "seeks_what_you_offer", "value_chain"} <= kinds
    assert _get(room, "catalogue", room.projector).status_code == 403


def test_a_retried_request_applies_once_and_a_second_request_is_refused(room: Room) -> None:
    ann, bob, _ = _setup(room)
    args = {"participant_id": bob["participant_id"]}
    first = room.ok("request_meeting", args, ann["participant_token"], command_id="req-1")
    again = room.ok("request_meeting", args, ann["participant_token"], command_id="req-1")
    assert again["duplicate"] and again["result"] == first["result"]
    other = support.command(room.client, room.id, bob["participant_token"], "request_meeting",
                            {"participant_id": ann["participant_id"]})  # fmt: skip
    support.assert_error(other, "already_requested")


# Who may act on a meeting: a facilitator, or the right side of it; never a third participant or the projector.
SIDES = {
    "accept_meeting": ("recipient", {}),
    "decline_meeting": ("recipient", {}),
    "withdraw_meeting": ("requester", {}),
    "mark_attendance": ("either", {"attendance": "held"}),
    "record_outcome": ("either", {"outcome": "follow_up_visit", "text": "Visit the lab"}),
}
ACTORS = ("facilitator", "requester", "recipient", "third", "projector")


@pytest.mark.parametrize(("name", "actor"), [(n, a) for n in SIDES for a in ACTORS])
def test_a_meeting_is_acted_on_only_by_its_sides_or_a_facilitator(room: Room, name: str, actor: str) -> None:
    ann, bob, cy = _setup(room)
    status = "pending" if name in ("accept_meeting", "decline_meeting", "withdraw_meeting") else "accepted"
    meeting = room.ok("request_meeting", {"participant_id": bob["participant_id"]}, ann["participant_token"])
    meeting_id = meeting["result"]["meeting_id"]
    if status == "accepted":
        room.ok("accept_meeting", {"meeting_id": meeting_id}, bob["participant_token"])
    side, extra = SIDES[name]
    token = {
        "facilitator": room.facilitator,
        "requester": ann["participant_token"],
        "recipient": bob["participant_token"],
        "third": cy["participant_token"],
        "projector": room.projector,
    }[actor]
    before = room.view()["data"]["matchmaking"]["meetings"]
    r = support.command(room.client, room.id, token, name, {"meeting_id": meeting_id, **extra})
    allowed = actor == "facilitator" or actor == side or (side == "either" and actor in ("requester", "recipient"))
    if allowed:
        assert r.status_code == 200, r.text
    else:
        support.assert_error(r, "forbidden" if actor == "projector" else "not_your_meeting")
        assert room.view()["data"]["matchmaking"]["meetings"] == before


def test_availability_is_ones_own_unless_a_facilitator_sets_it(room: Room) -> None:
    ann, bob, _ = _setup(room)
    room.ok("set_availability", {"unavailable": [1]}, ann["participant_token"])
    assert _me(room, ann["participant_token"])["unavailable"] == [1]
    other = support.command(room.client, room.id, ann["participant_token"], "set_availability",
                            {"unavailable": [0], "participant_id": bob["participant_id"]})  # fmt: skip
    support.assert_error(other, "invalid_args")  # a participant has no participant_id argument
    room.ok("set_availability", {"unavailable": [0, 2], "participant_id": bob["participant_id"]})
    assert _me(room, bob["participant_token"])["unavailable"] == [0, 2]
    support.assert_error(support.command(room.client, room.id, ann["participant_token"], "set_availability",
                                         {"unavailable": [7]}), "invalid_args")  # fmt: skip


def test_a_participant_with_several_meetings_sees_their_view_before_and_after_publication(room: Room) -> None:
    ann, bob, cy = _setup(room)
    for other in (bob, cy):
        room.ok("add_meeting", {"participant_ids": [ann["participant_id"], other["participant_id"]]})
    room.ok("schedule_meetings")
    assert _me(room, ann["participant_token"])["agenda"] == []  # scheduled, not yet announced
    room.ok("publish_schedule")
    agenda = _me(room, ann["participant_token"])["agenda"]
    assert [item["with"]["name"] for item in agenda] and len(agenda) == 2
    assert agenda == sorted(agenda, key=lambda item: item["slot"])


def test_catalogue_search_matches_word_beginnings_ignoring_accents_and_ranks_by_relevance(room: Room) -> None:
    people = [
        ("Zoe", "Robotics integrators", "Welding cells", "DE"),
        ("Ann", "Agri Coop", "Robot lawn mowers", "IT"),
        ("Bob", "Bottle Co", "Packaging for Caffè and wine", "UK"),
        ("Cy", "Robot Union", "Robot arms", "FR"),
    ]
    room.ok("configure_matchmaking", SESSIONS)
    tokens = {}
    for name, organisation, offers, country in people:
        joined = room.join(name=name, organisation=organisation, country=country)
        tokens[name] = joined["participant_token"]
        room.ok("save_match_profile", {"offers": offers}, joined["participant_token"])

    def names(query: str) -> list[str]:
        found = _get(room, f"catalogue?{query}", tokens["Ann"]).json()
        return [p["name"] for p in found["people"]]

    # Exact word in the organisation (Cy) > prefix in the organisation (Zoe) > exact word only in the offers (Ann).
    assert names("q=robot") == ["Cy", "Zoe", "Ann"]
    assert names("q=ROBOTIC") == ["Zoe"]
    assert names("q=packag") == ["Bob"]
    assert names("q=caffe") == names("q=Caff%C3%A8") == ["Bob"]
    assert names("q=robot+weld") == ["Zoe"]  # every word must match
    assert names("q=obot") == []  # word beginnings only
    assert names("country=UK") == names("country=GB") == ["Bob"]


def test_the_catalogue_needs_matchmaking_lists_only_profiles_and_hides_the_anonymous(room: Room) -> None:
    ann = room.join(name="Ann Visible", organisation="Open Org")
    bob = room.join(name="Bob Hidden", organisation="Secret Org", anonymous=True)
    cy = room.join(name="Cy Bystander", organisation="Bystander Org")
    a = ann["participant_token"]
    # No matchmaking in this workshop: no catalogue, no suggestions, for anyone.
    for who in (a, room.facilitator):
        support.assert_error(_get(room, "catalogue", who), "matchmaking_not_configured")
    support.assert_error(_get(room, "suggestions", a), "matchmaking_not_configured")
    room.ok("configure_matchmaking", SESSIONS)
    assert _get(room, "catalogue", a).json() == {"people": [], "count": 0}  # nobody made a profile yet
    for person in (ann, bob):
        room.ok(
            "save_match_profile", {"offers": "Welding robots", "seeks": "Distributors"}, person["participant_token"]
        )
    listed = _get(room, "catalogue", a).json()["people"]
    assert {p["id"] for p in listed} == {ann["participant_id"], bob["participant_id"]}  # not Cy: no profile
    text = repr(listed)
    assert "Bob Hidden" not in text and "Secret Org" not in text and "Bystander" not in text
    assert _get(room, "catalogue?q=secret", a).json()["count"] == 0  # nor found by the hidden words
    hidden = next(p for p in listed if p["id"] == bob["participant_id"])
    assert hidden["anonymous"] and hidden["offers"] == "Welding robots"
    suggested = repr(_get(room, "suggestions", a).json())
    assert "Bob Hidden" not in suggested and "Secret Org" not in suggested and "Bystander" not in suggested
    # Bob sees himself, and the facilitator sees everyone by name, as elsewhere during the workshop.
    assert "Bob Hidden" in repr(_get(room, "catalogue", bob["participant_token"]).json())
    assert "Bob Hidden" in repr(_get(room, "catalogue", room.facilitator).json())
    assert cy  # joined, present, and never listed


def test_catalogue_search_reads_each_query_word_once_and_at_most_eight() -> None:
    """A query's words are de-duplicated and only the first eight searched (a hundred one-letter words cost a
    hundred comparisons with every word of every profile, on each request)."""
    assert mm.query_words("a " * 100 + "b A á c") == ["a", "b", "c"]
    assert mm.query_words(" ".join(f"w{i}" for i in range(20))) == [f"w{i}" for i in range(8)]


def test_a_catalogue_query_past_eight_words_searches_only_the_first_eight(room: Room) -> None:
    room.ok("configure_matchmaking", SESSIONS)
    zoe = room.join(name="Zoe", organisation="Robotics integrators", country="DE")
    room.ok("save_match_profile", {"offers": "Welding cells for steel frames and pipes"}, zoe["participant_token"])
    eight = "robotics integrators welding cells for steel frames and"
    assert eight.split() == mm.query_words(eight)

    def names(query: str) -> list[str]:
        found = _get(room, f"catalogue?q={query.replace(' ', '+')}", zoe["participant_token"]).json()
        return [p["name"] for p in found["people"]]

    assert names(eight) == ["Zoe"] and names("robot nothing") == []
    assert names(eight + " nothing") == ["Zoe"]  # the ninth word is not searched
    assert names("robot " * 100) == ["Zoe"]
