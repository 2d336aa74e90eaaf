"""Times in the workshop's zone and the minutes' opening, tags, ranking percent and chart labels (unit level)."""

from __future__ import annotations

from typing import Any

import icalendar
import pytest

from domain import errors, values
from projections.clock import format_time, hour_cycle, local_iso, zone_label
from server.match_api import agenda_ics
from server.minutes_render import svg_bars


def test_a_workshop_zone_is_validated_against_the_zone_database() -> None:
    assert values.timezone({"timezone": "Europe/Rome"}) == "Europe/Rome"
    assert values.timezone({}) == "UTC"
    for bad in ("UTC+02:00", "../../etc/passwd", "Mars/Olympus", 3):
        with pytest.raises(errors.UnknownTimezone):
            values.timezone({"timezone": bad})


def test_a_planned_start_may_carry_its_day() -> None:
    assert values.planned_start({"planned_start": "2026-05-13T09:30"}) == "2026-05-13T09:30"
    assert values.planned_start({"planned_start": "09:30"}) == "09:30"
    with pytest.raises(errors.InvalidArgs):
        values.planned_start({"planned_start": "2026-02-30T09:30"})


def test_times_are_the_rooms_wall_time_in_its_languages_hour_cycle() -> None:
    utc = "2026-05-12T01:38:00+00:00"  # 03:38 in Bologna, not "01:38"
    assert local_iso(utc, "Europe/Rome") == "2026-05-12T03:38:00+02:00"
    assert format_time(utc, "en", "Europe/Rome") == "03:38"  # English in Italy: 24-hour
    assert hour_cycle("en", "Europe/Rome") == "h23" and hour_cycle("en", "America/New_York") == "h12"
    assert zone_label("Europe/Rome") == "Europe/Rome (CET/CEST)"


def test_the_ics_names_a_real_zone_with_its_vtimezone() -> None:
    item: dict[str, Any] = {"slot": 0, "with": {"name": "Bob", "organisation": ""}, "table": 1, "id": "m1"}
    slots = [{"start": "2026-05-12T11:00:00+02:00", "end": "2026-05-12T11:20:00+02:00"}]
    body = agenda_ics("T", "Rome", [item], slots, "u", "Europe/Rome")
    assert b'TZID="UTC' not in body
    cal = icalendar.Calendar.from_ical(body)
    assert {str(z["TZID"]) for z in cal.walk("VTIMEZONE")} == {"Europe/Rome"}
    start = cal.walk("VEVENT")[0].decoded("DTSTART")
    assert start.tzinfo is not None and start.isoformat() == "2026-05-12T11:00:00+02:00"


def test_chart_labels_are_never_cut_on_the_left() -> None:
    label = "Cluster Agrifood Emilia-Romagna and partners from five regions"
    svg = str(svg_bars([(label, 3), ("B", 1)]))
    assert 'text-anchor="end"' not in svg and f"<title>{label}</title>" in svg
    assert "Cluster Agrifood Emilia-Rom" in svg.split("</title>")[1]  # cut on the right, if at all


def test_the_csv_tables_write_times_in_the_workshops_zone() -> None:
    from dataclasses import replace

    from server.minutes_render import tables
    from tests.projections.scripted import contribution_with_tags

    read, _ = contribution_with_tags()
    read = replace(read, workshop=replace(read.workshop, timezone="Europe/Rome"))
    joined = tables(read)["participants"][0]["joined_at"]
    assert joined.endswith("+01:00") or joined.endswith("+02:00"), joined
