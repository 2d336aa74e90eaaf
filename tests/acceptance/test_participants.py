"""Participants through a live server and a real browser: what a phone shows."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def test_a_code_typed_loosely_finds_the_workshop_and_a_reconnect_keeps_the_same_participant(room: Room) -> None:
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{6}", room.code), room.code  # no 0/O, 1/I/L
    typed = f"{room.code[:3].lower()} {room.code[3:].lower()}"
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(f"{room.server.url}/join?code={urllib.parse.quote(typed)}", timeout=30)
        raise AssertionError("no redirect")
    except urllib.error.HTTPError as e:
        assert e.code in (302, 303, 307) and e.headers["Location"].endswith(f"/j/{room.code}")
    ana = room.join("Ana Ferreira")
    seen = []
    for _ in range(2):  # the phone connects, drops, connects again with the token it kept
        phone = room.watch("participant", ana.token)
        phone.wait(lambda d: d["me"]["id"], what="Ana's view")
        seen.append(phone.data["me"]["id"])
        phone.close()
    assert seen == [ana.participant_id] * 2
    assert len(room.view("dashboard")["participants"]) == 1
