"""README, "B2B matchmaking": meeting requests, a schedule of slots and tables, personal agendas with iCalendar
download."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.acceptance.support import Room


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
