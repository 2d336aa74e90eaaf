"""B2B matchmaking through a live server: requests, the schedule and each person's agenda."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.acceptance.support import Room
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
