"""Participants through a live server and a real browser: what a phone shows."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.acceptance.support import Room, wait_for
from tests.e2e.conftest import Server


def test_a_phone_in_new_york_with_us_english_shows_24_hour_times_in_the_workshops_zone(
    server: Server, browser: Any
) -> None:
    room = Room.create(server, title="Rome", timezone="Europe/Rome")
    try:
        ana = room.join("Ana", country="IT")
        item = room.command("add_agenda_item", {"title": "Afternoon pitches", "kind": "plenary",
                                                "planned_start": "2026-05-13T15:30", "duration_min": 30})  # fmt: skip
        room.command("start_agenda_item", {"item_id": item["result"]["item_id"]})
        started = datetime.fromisoformat(room.view()["agenda"][0]["started_at"])
        rome, new_york = started.astimezone(ZoneInfo("Europe/Rome")), started.astimezone(ZoneInfo("America/New_York"))
        context = browser.new_context(locale="en-US", timezone_id="America/New_York",
                                      viewport={"width": 390, "height": 844})  # fmt: skip
        key, token = json.dumps(f"tavolo:me:{room.workshop_id}"), json.dumps(ana.token)
        context.add_init_script(f"localStorage.setItem({key}, {token});")
        page = context.new_page()
        page.goto(f"{server.url}/w/{room.workshop_id}/me?lang=en")
        meta = wait_for(lambda: page.text_content("#now-meta") or "", what="the running item's times")
        assert f"started at {rome:%H:%M}" in meta, meta  # the room's clock, 24-hour
        assert f"{new_york:%H:%M}" not in meta and "AM" not in meta and "PM" not in meta, meta
        agenda = wait_for(lambda: page.text_content("#agenda") or "", what="the agenda")
        assert "May 13 15:30" in agenda, agenda  # the day of a programme over several days, in the planned wall time
        assert "Europe/Rome (CET/CEST)" in (page.text_content("#agenda-zone") or "")
        context.close()
    finally:
        room.close()
