"""B2B matchmaking through a live server: requests, the schedule and each person's agenda."""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.planning import meetings as planner
from tests.acceptance.support import HttpError, Room
from tests.e2e.conftest import Server


def test_the_ics_agenda_of_a_workshop_in_rome_names_its_zone_and_carries_its_vtimezone(server: Server) -> None:
    import icalendar

    room = Room.create(server, title="B2B in Rome", timezone="Europe/Rome")
    try:
        ann, bob = room.join("Ann", country="IT"), room.join("Bob", country="SI")
        # Slots typed in a browser elsewhere (UTC+02:00): the file must still speak Europe/Rome.
        room.command("configure_matchmaking", {"sessions": [{"start": "2026-05-12T11:00:00+02:00",
                     "end": "2026-05-12T12:00:00+02:00"}], "slot_minutes": 20, "tables": 2})  # fmt: skip
        room.command("add_meeting", {"participant_ids": [ann.participant_id, bob.participant_id]})
        room.command("schedule_meetings")
        room.command("publish_schedule")
        body = room.get("/matchmaking/agenda.ics", token=ann.token)
        assert b'TZID="UTC' not in body and b"DTSTART;TZID=Europe/Rome:" in body
        cal = icalendar.Calendar.from_ical(body)
        zones = {str(z["TZID"]) for z in cal.walk("VTIMEZONE")}
        used = {str(e["DTSTART"].params["TZID"]) for e in cal.walk("VEVENT")}
        assert used == {"Europe/Rome"} and used <= zones  # every TZID referenced has its VTIMEZONE
        (event,) = cal.walk("VEVENT")
        start = event.decoded("DTSTART")
        assert start.tzinfo is not None and start.utcoffset() is not None
        slots = [datetime.fromisoformat(s) for s in ("2026-05-12T11:00:00+02:00", "2026-05-12T11:20:00+02:00",
                                                     "2026-05-12T11:40:00+02:00")]  # fmt: skip
        assert start in slots and start.astimezone(ZoneInfo("Europe/Rome")).hour == 11
    finally:
        room.close()


# Eight people, three 20-minute slots, four tables: the greedy places 7 of these 15 meetings, the optimum is 9
# (found by trying small random instances against CP-SAT; the greedy falls short on every ordering of the ids).
B2B_SLOTS = 3
B2B_TABLES = 4
B2B_MEETINGS = [(1, 5), (1, 2), (0, 7), (2, 5), (3, 6), (4, 7), (0, 6), (4, 5), (1, 4), (2, 4), (1, 3), (5, 6),
                (2, 7), (3, 4), (1, 6)]  # fmt: skip
B2B_UNAVAILABLE = [[], [], [0, 1], [0], [], [], [1], [1]]


def test_b2b_the_solvers_proven_optimal_schedule_replaces_the_greedy_one_on_the_dashboard(room: Room) -> None:
    people = [room.join(f"Person {i}", organisation=f"Org {i}") for i in range(8)]
    at = datetime(2026, 11, 23, 9, tzinfo=UTC)
    slots = [{"start": (at + timedelta(minutes=20 * s)).isoformat(),
              "end": (at + timedelta(minutes=20 * s + 20)).isoformat()} for s in range(B2B_SLOTS)]  # fmt: skip
    room.command("configure_matchmaking", {"slots": slots, "tables": B2B_TABLES, "requires_acceptance": False})
    for person, unavailable in zip(people, B2B_UNAVAILABLE, strict=True):
        room.command("set_availability", {"unavailable": unavailable}, token=person.token)
    for a, b in B2B_MEETINGS:
        room.command("request_meeting", {"participant_id": people[b].participant_id}, token=people[a].token)
    dashboard = room.watch("dashboard")

    ack = room.command("schedule_meetings")

    # The greedy schedule is recorded at once, short of the bound; the solver then improves it on the server.
    first = ack["result"]["scheduled"]
    final = dashboard.wait(
        lambda d: (s := d["matchmaking"]["schedule"]) and s["optimal"] and s["method"] != "greedy" and s,
        timeout=60, what="the solver's proven-optimal schedule on the dashboard",
    )  # fmt: skip
    assert final["count"] == final["upper_bound"] > first
    assert final["version"] > ack["result"]["schedule_version"]
    assert dashboard.data["matchmaking"]["counts"]["scheduled"] == final["count"]
    # The same instance solved offline, here, gives the same number of meetings.
    ids = [p.participant_id for p in people]
    offline = planner.schedule(planner.Instance(
        slots=B2B_SLOTS, tables=B2B_TABLES,
        participants=[planner.Participant(i, frozenset(u)) for i, u in sorted(zip(ids, B2B_UNAVAILABLE, strict=True))],
        meetings=[(ids[a], ids[b]) for a, b in B2B_MEETINGS], previous=None,
    ), 10)  # fmt: skip
    assert offline.optimal and final["count"] == offline.count == 9 and first < 9


def test_a_requested_and_accepted_meeting_lands_in_both_agendas_and_the_ics_file(room: Room) -> None:
    ana, jan = room.join("Ana Ferreira", organisation="Proplast"), room.join("Jan Kowalski", organisation="Silesia")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    room.command("configure_matchmaking", {"sessions": [{"start": start.isoformat(),
                                                         "end": (start + timedelta(hours=1)).isoformat()}],
                                           "slot_minutes": 20, "tables": 2})  # fmt: skip
    meeting = room.command("request_meeting", {"participant_id": jan.participant_id, "note": "Polymers?"},
                           token=ana.token)["result"]["meeting_id"]  # fmt: skip
    room.command("accept_meeting", {"meeting_id": meeting}, token=jan.token)
    assert room.command("schedule_meetings")["result"]["scheduled"] == 1
    room.command("publish_schedule")
    for person, other in ((ana, "Jan Kowalski"), (jan, "Ana Ferreira")):
        ics = room.get("/matchmaking/agenda.ics", token=person.token).decode()
        assert ics.startswith("BEGIN:VCALENDAR") and f"Meeting: {other}" in ics and "LOCATION:Table" in ics


def test_catalogue_search_matches_word_beginnings_and_ranks_by_relevance(room: Room) -> None:
    sessions = [{"start": "2026-11-23T09:00:00+01:00", "end": "2026-11-23T10:00:00+01:00"}]
    room.command("configure_matchmaking", {"sessions": sessions, "slot_minutes": 20, "tables": 2})
    people = [
        ("Zoe", "Robotics integrators", "Welding cells"),
        ("Ann", "Agri Coop", "Robot lawn mowers"),
        ("Bob", "Bottle Co", "Packaging for caffè and wine"),
        ("Cy", "Robot Union", "Robot arms"),
    ]
    tokens = {}
    for name, organisation, offers in people:
        person = room.join(name, organisation=organisation)
        tokens[name] = person.token
        room.command("save_match_profile", {"offers": offers}, token=person.token)

    def search(q: str) -> list[str]:
        found = room.get("/matchmaking/catalogue?q=" + urllib.parse.quote(q), token=tokens["Ann"])
        return [p["name"] for p in found["people"]]

    assert search("robot") == ["Cy", "Zoe", "Ann"]  # whole word in the organisation, then a prefix, then offers
    assert search("Robotic") == ["Zoe"]
    assert search("packag") == ["Bob"]
    assert search("CAFFE") == search("caffè") == ["Bob"]
    assert search("robot weld") == ["Zoe"]


MATCH_SESSIONS = {"sessions": [{"start": "2026-11-23T09:00:00+01:00", "end": "2026-11-23T10:00:00+01:00"}],
                  "slot_minutes": 20, "tables": 2}  # fmt: skip


def test_catalogue_only_with_matchmaking_only_profiles_and_never_names_the_anonymous(room: Room) -> None:
    seeker = room.join("Sara Seeker", organisation="Seeker Srl")
    hidden = room.join("Henrik Hidden", organisation="Hidden GmbH", anonymous=True)
    room.join("Ben Bystander", organisation="Bystander BV")
    with pytest.raises(HttpError) as refused:
        room.get("/matchmaking/catalogue", token=seeker.token)
    assert refused.value.status == 409 and refused.value.body["error"]["code"] == "matchmaking_not_configured"
    room.command("configure_matchmaking", MATCH_SESSIONS)
    for person in (seeker, hidden):
        room.command("save_match_profile", {"offers": "Robotic welding", "seeks": "Distributors"}, token=person.token)
    listed = room.get("/matchmaking/catalogue", token=seeker.token)
    assert {p["id"] for p in listed["people"]} == {seeker.participant_id, hidden.participant_id}
    shown = repr(listed) + repr(room.get("/matchmaking/suggestions", token=seeker.token))
    for secret in ("Henrik", "Hidden GmbH", "Bystander"):
        assert secret not in shown
    assert "Henrik Hidden" in repr(room.get("/matchmaking/catalogue"))  # the facilitator still sees the name


def test_a_catalogue_query_of_many_repeated_words_searches_each_once_and_only_the_first_eight(room: Room) -> None:
    sessions = [{"start": "2026-11-23T09:00:00+01:00", "end": "2026-11-23T10:00:00+01:00"}]
    room.command("configure_matchmaking", {"sessions": sessions, "slot_minutes": 20, "tables": 2})
    zoe = room.join("Zoe", organisation="Robotics integrators", country="XK")
    room.command("save_match_profile", {"offers": "Welding cells for steel frames and pipes"}, token=zoe.token)

    def search(q: str) -> list[str]:
        found = room.get("/matchmaking/catalogue?q=" + urllib.parse.quote(q), token=zoe.token)
        return [p["name"] for p in found["people"]]

    assert search("a " * 100) == search("r w " * 50) == ["Zoe"]
    assert search("robot nothing") == []
    assert search("robotics integrators welding cells for steel frames and nothing") == ["Zoe"]  # 9th not searched
    found = room.get("/matchmaking/catalogue?country=Kosovo", token=zoe.token)["people"]
    assert [(p["name"], p["country"]) for p in found] == [("Zoe", "XK")]


def test_on_a_phone_a_meetings_held_no_show_and_outcome_buttons_are_at_least_44_px(room: Room, browser: Any) -> None:
    import json

    from tests.acceptance.test_polls import TAP_MIN

    ana, jan = room.join("Ana Ferreira", organisation="Proplast"), room.join("Jan Kowalski", organisation="Silesia")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    room.command("configure_matchmaking", {"sessions": [{"start": start.isoformat(),
                 "end": (start + timedelta(hours=1)).isoformat()}], "slot_minutes": 20, "tables": 2,
                 "requires_acceptance": False})  # fmt: skip
    room.command("request_meeting", {"participant_id": jan.participant_id}, token=ana.token)
    room.command("schedule_meetings")
    room.command("publish_schedule")
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="en-GB")  # fmt: skip
    context.set_default_timeout(20_000)
    try:
        key, token = json.dumps(f"tavolo:me:{room.workshop_id}"), json.dumps(ana.token)
        context.add_init_script(f"localStorage.setItem({key}, {token});")
        page = context.new_page()
        page.goto(f"{room.server.url}/w/{room.workshop_id}/me")
        buttons = page.locator(".mp-meeting-actions button")
        buttons.nth(2).wait_for()
        sizes = {buttons.nth(i).inner_text(): buttons.nth(i).bounding_box() for i in range(buttons.count())}
        small = {n: (round(b["width"]), round(b["height"])) for n, b in sizes.items()
                 if b["width"] < TAP_MIN or b["height"] < TAP_MIN}  # fmt: skip
        assert len(sizes) == 3 and small == {}, f"tap targets under {TAP_MIN}x{TAP_MIN} px: {small}"
    finally:
        context.close()


def test_a_two_day_programme_shows_each_days_range_on_the_dashboard(server: Server, browser: Any) -> None:
    room = Room.create(server, title="Two days in Rome", timezone="Europe/Rome", language="it")
    context = browser.new_context(viewport={"width": 1440, "height": 900}, timezone_id="UTC", locale="en-GB")
    context.set_default_timeout(20_000)
    try:
        room.command("configure_matchmaking", {"sessions": [
            {"start": "2026-03-30T09:00:00+02:00", "end": "2026-03-30T13:00:00+02:00"},
            {"start": "2026-03-31T14:00:00+02:00", "end": "2026-03-31T17:00:00+02:00"}], "slot_minutes": 20,
            "tables": 4})  # fmt: skip
        page = context.new_page()
        page.goto(f"{room.server.url}/w/{room.workshop_id}/dashboard?lang=it#k={room.facilitator_token}")
        line = page.locator("#mm-settings-line")
        line.filter(has_text="14:00").wait_for()
        text = line.inner_text()
        # Italian page, Rome's wall clock (the browser is in UTC): one range per day, nothing spanning the night.
        assert "lun 30 mar 09:00\u201313:00 \u00b7 mar 31 mar 14:00\u201317:00" in text, text
    finally:
        context.close()
        room.close()


def test_the_ics_agenda_of_an_italian_participant_is_worded_in_italian(server: Server) -> None:
    import icalendar

    room = Room.create(server, title="Incontri B2B", language="it")
    try:
        ana, jan = room.join("Ana Ferreira", organisation="Proplast"), room.join("Jan Kowalski", organisation="Silesia")
        room.command("configure_matchmaking", {"sessions": [{"start": "2026-05-12T09:00:00+00:00",
                     "end": "2026-05-12T10:00:00+00:00"}], "slot_minutes": 20, "tables": 2})  # fmt: skip
        room.command("add_meeting", {"participant_ids": [ana.participant_id, jan.participant_id]})
        room.command("schedule_meetings")
        room.command("publish_schedule")
        cal = icalendar.Calendar.from_ical(room.get("/matchmaking/agenda.ics", token=ana.token))
        (event,) = cal.walk("VEVENT")
        assert str(cal["X-WR-CALNAME"]) == "Incontri B2B \u2014 incontri"
        assert str(event["SUMMARY"]) == "Incontro: Jan Kowalski, Silesia"
        assert str(event["LOCATION"]).startswith("Tavolo ")
    finally:
        room.close()
