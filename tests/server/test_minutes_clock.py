"""Every time in the minutes (Markdown, HTML, PDF) in the hour cycle the phones use, and the day shown on a
programme of several days, whether its items were typed with a date or as HH:MM of the workshop's date."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from uuid import UUID

from pypdf import PdfReader

from domain.application import CREATE, Tavolo
from domain.commands import Actor
from projections.minutes import Minutes, minutes
from projections.minutes_md import render
from server.archive import read_model_at, workshop_events
from server.minutes_pdf import pdf
from server.minutes_render import html
from tests.projections.scripted import DETAILS, Script, fake_clock
from tests.projections.test_minutes import scripted

TWENTY_FOUR_HOUR = re.compile(r"\b(?:0\d|1[3-9]|2[0-3]):[0-5]\d\b")  # 04:26, 14:30: never in a 12-hour clock


def _in(zone: str) -> Minutes:
    app, workshop_id = scripted()  # 09:25 to 10:36 UTC on 22 November
    read = read_model_at(workshop_events(app, workshop_id))
    return minutes(replace(read, workshop=replace(read.workshop, timezone=zone)))


def _pdf_text(m: Minutes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf(m))).pages)


def test_an_english_workshop_in_new_york_has_12_hour_minutes_in_every_format() -> None:
    m = _in("America/New_York")  # 04:25 to 05:36 there
    for text in (render(m), html(m), _pdf_text(m)):
        assert re.search(r"\b5:36\sAM\b", text), "the 'as of' time, as the phones show it"
        assert re.search(r"\b4:\d\d\sAM\b", text), "started, opened, notes: 12-hour too"
        assert not TWENTY_FOUR_HOUR.search(text.replace("2026-11-22", "")), TWENTY_FOUR_HOUR.findall(text)
    # Planned starts typed as wall time (09:30) are shown in the same cycle.
    assert "| 9:30\u202fAM (30 min) |" in render(m) or "| 9:30 AM (30 min) |" in render(m)


def test_an_english_workshop_in_rome_keeps_24_hour_minutes() -> None:
    m = _in("Europe/Rome")  # 10:25 to 11:36 there; English in Italy is 24-hour
    for text in (render(m), html(m), _pdf_text(m)):
        assert "11:36" in text and "AM" not in text


def _two_days() -> Minutes:
    """Day one's items typed as HH:MM (the workshop's date), day two's with its date; matchmaking on both days."""
    with fake_clock() as clock:
        app = Tavolo({"PERSISTENCE_MODULE": "eventsourcing.popo"})
        s = Script(app, "days")
        s.workshop_id = UUID(s.run(CREATE, {**DETAILS, "date": "2026-11-22"}, Actor("anonymous"))["workshop_id"])
        for title, start in (("Welcome", "09:30"), ("Visits", "2026-11-23T10:00")):
            s.run("add_agenda_item", {"title": title, "kind": "plenary", "planned_start": start, "duration_min": 30})
        slots = [
            {"start": "2026-11-22T15:00:00+00:00", "end": "2026-11-22T15:15:00+00:00"},
            {"start": "2026-11-23T09:00:00+00:00", "end": "2026-11-23T09:15:00+00:00"},
        ]
        s.run("configure_matchmaking", {"slots": slots, "tables": 2, "requires_acceptance": True})
        clock.advance(1)
        return minutes(read_model_at(workshop_events(app, s.workshop_id)))


def test_a_programme_of_two_days_shows_the_day_of_an_item_typed_as_hh_mm() -> None:
    text = render(_two_days())
    assert "| 1 | Welcome | plenary | Sun, Nov 22 09:30 (30 min) |" in text, text
    assert "| 2 | Visits | plenary | Mon, Nov 23 10:00 (30 min) |" in text


def test_matchmaking_slots_over_two_days_show_their_days() -> None:
    m = _two_days()
    for text in (render(m), html(m), _pdf_text(m)):
        assert "Sun, Nov 22 15:00 to Mon, Nov 23 09:15" in text
    one_day = replace(m, items=m.items[:1])  # the slots alone span two days: their day still shows
    assert "Sun, Nov 22 15:00 to Mon, Nov 23 09:15" in render(one_day)
