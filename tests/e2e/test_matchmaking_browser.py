"""B2B matchmaking in a real browser: the facilitator sets the slots on the dashboard, a participant finds another in
the catalogue and asks for a meeting with a note, the other accepts on their phone, the facilitator schedules and
publishes, and both phones (and the projector) show the meeting without a reload."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import Server
from tests.e2e.test_browser import TIMEOUT_MS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PEOPLE = [
    ("Ana Ferreira", "Proplast", "IT", "Energy"),
    ("Jan Kowalski", "Silesia Automotive", "PL", "Agrifood"),
]
NOTE = "Recycled polymers for car interiors?"


def _context(browser: Any, width: int, height: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": height}, timezone_id="UTC", locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _phone(browser: Any, server: Server, wid: str, token: str) -> Any:
    """A participant's phone that already joined (its token in localStorage)."""
    context = _context(browser, 390, 844)
    context.add_init_script(f"localStorage.setItem({json.dumps('tavolo:me:' + wid)}, {json.dumps(token)});")
    page = context.new_page()
    page.goto(f"{server.url}/w/{wid}/me")
    return page


def test_two_phones_request_accept_and_see_the_published_meeting(browser: Any, server: Server) -> None:
    from playwright.sync_api import expect

    now = datetime.now(UTC)
    workshop = {"title": "B2B day", "date": now.date().isoformat(), "language": "en", "sectors": ["Agrifood", "Energy"]}
    created = server.request("POST", "/api/workshops", workshop)
    joined = [
        server.request("POST", "/api/join", {"code": created["code"], "name": n, "organisation": o, "country": c,
                                             "sector": s})
        for n, o, c, s in PEOPLE
    ]  # fmt: skip
    wid = created["workshop_id"]
    facilitator = _context(browser, 1440, 900)
    dashboard = facilitator.new_page()
    dashboard.goto(f"{server.url}/w/{wid}/dashboard#k={created['facilitator_token']}&p={created['projector_token']}")
    expect(dashboard.locator("#conn-status")).to_have_attribute("data-state", "connected")
    ana, jan = (_phone(browser, server, wid, p["participant_token"]) for p in joined)
    expect(ana.locator("#my-match")).to_be_hidden()  # nothing before the facilitator sets the slots

    # One 10-minute slot under way now (UTC on every screen here), 2 tables; requests need acceptance.
    start = now - timedelta(minutes=2)
    end = start + timedelta(minutes=12)
    same_day = end.date() == start.date()
    session = dashboard.locator("#mm-session-list li").first
    session.locator("[name=date]").fill(start.date().isoformat())
    session.locator("[name=start]").fill(start.strftime("%H:%M") if same_day else "10:00")
    session.locator("[name=end]").fill(end.strftime("%H:%M") if same_day else "10:12")
    dashboard.fill("#mm-slot-minutes", "10")
    dashboard.fill("#mm-tables", "2")
    expect(dashboard.locator("#mm-preview")).to_have_attribute("data-slots", "1")
    expect(dashboard.locator("#mm-preview")).to_contain_text("1 meeting slot")
    dashboard.click("#mm-save")
    expect(dashboard.locator("#mm-body")).to_be_visible()
    expect(dashboard.locator("#mm-form")).to_be_hidden()

    # Jan has saved a matchmaking profile (the catalogue lists only those who did); Ana finds him and asks for a
    # meeting with a note.
    server.request("POST", f"/api/workshops/{wid}/commands", {"id": "jan-profile", "name": "save_match_profile",
                   "args": {"offers": "Plastic parts for cars"}}, token=joined[1]["participant_token"])  # fmt: skip
    expect(ana.locator("#my-match")).to_be_visible()
    ana.fill("#mp-q", "silesia")
    card = ana.locator(f"#mp-catalogue li[data-id='{joined[1]['participant_id']}']")
    expect(card).to_contain_text("Jan Kowalski")
    expect(ana.locator("#mp-catalogue li")).to_have_count(1)
    card.get_by_role("button", name="Request a meeting with Jan Kowalski").click()
    card.locator("textarea").fill(NOTE)
    card.get_by_role("button", name="Send the request").click()
    expect(card).to_contain_text("Request sent")
    expect(ana.locator("#mp-requests li[data-status=pending]")).to_contain_text("You asked Jan Kowalski")

    # Jan sees the request with its note and accepts it.
    request = jan.locator("#mp-requests li[data-status=pending]")
    expect(request).to_contain_text("Ana Ferreira (Proplast) asks to meet you")
    expect(request).to_contain_text(NOTE)
    request.get_by_role("button", name="Accept").click()
    expect(jan.locator("#mp-requests li[data-status=accepted]")).to_be_visible()

    # The facilitator schedules and publishes.
    expect(dashboard.locator("#mm-counts [data-figure=accepted] dd")).to_have_text("1")
    expect(dashboard.locator("#mm-meetings tr[data-status=accepted]")).to_contain_text(NOTE)
    dashboard.click("#mm-schedule")
    expect(dashboard.locator("#mm-status")).to_have_attribute("data-count", "1")
    expect(dashboard.locator("#mm-status")).to_contain_text("1 of 1 accepted meetings scheduled")
    expect(dashboard.locator("#mm-plan")).to_contain_text("Ana Ferreira (Proplast) meets Jan Kowalski (Silesia")
    expect(ana.locator("#mp-agenda-box")).to_be_hidden()  # not before publication
    dashboard.click("#mm-publish")
    dashboard.locator("#confirm-dialog button[value=ok]").click()
    expect(dashboard.locator("#mm-publish")).to_have_text("Agendas published")

    # Both phones show the meeting: time, table, the other person, the note — without a reload.
    # The page's own time format (12- or 24-hour): the slot's start and end minutes, an en dash between.
    ends = start + timedelta(minutes=10)
    slot_time = re.compile(rf"\d+:{start:%M}( [AP]M)?\u2013\d+:{ends:%M}( [AP]M)?$") if same_day else None
    for phone, other in ((ana, "Jan Kowalski"), (jan, "Ana Ferreira")):
        meeting = phone.locator("#mp-agenda li.mp-meeting")
        expect(meeting).to_have_count(1)
        expect(meeting.locator(".mp-with")).to_contain_text(other)
        expect(meeting.locator(".mp-note")).to_have_text(NOTE)
        expect(meeting.locator(".mp-table")).to_have_text(f"Table {meeting.get_attribute('data-table')}")
        assert meeting.get_attribute("data-table") in ("1", "2")
        if slot_time:
            expect(meeting.locator(".mp-time")).to_have_text(slot_time)
        expect(phone.locator("#mp-ics")).to_be_visible()

    # The projector shows the slot under way and its table.
    if same_day:
        screen = _context(browser, 1280, 720)
        projector = screen.new_page()
        projector.goto(f"{server.url}/w/{wid}/projector#k={created['projector_token']}")
        expect(projector.locator("#proj-match")).to_be_visible()
        expect(projector.locator("#pm-slot")).to_have_text(re.compile("^Slot 1 · " + slot_time.pattern))
        expect(projector.locator("#pm-tables")).to_contain_text("Ana Ferreira (Proplast) meets Jan Kowalski")
        screen.close()
    for context in (facilitator, ana.context, jan.context):
        context.close()
