"""Replay and minutes as a facilitator uses them after the event: the replay page, through a real server and browser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.acceptance.support import Room, http

REPLAY_COUNTRIES = ["IT", "FR", "DE", "ES", "PT", "NL", "BE", "AT", "PL", "SI", "HR", "SE", "DK", "FI"]


def _replay_page(browser: Any, room: Room) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, timezone_id="UTC", locale="en-GB")
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(f"{room.server.url}/w/{room.workshop_id}/replay#k={room.facilitator_token}")
    page.wait_for_selector("#rp-position:has-text('/')")
    return context, page


def test_replay_answers_the_workshops_first_moment_and_home_on_the_scrubber_shows_it(room: Room, browser: Any) -> None:
    room.join("Ana")
    first = room.get("/timeline")["start"]
    start = datetime.fromisoformat(first["at"])
    for at in (first["at"], start.replace(microsecond=start.microsecond // 1000 * 1000).isoformat()):
        state = http(room.server, "GET", f"/api/workshops/{room.workshop_id}/replay?at={at.replace('+', '%2B')}",
                     token=room.facilitator_token)  # fmt: skip
        assert (state["index"], state["position"]) == (1, first["position"])
        assert state["dashboard"]["counts"]["joined"] == 0  # the workshop as created: nobody yet
    context, page = _replay_page(browser, room)
    page.focus("#rp-scrubber")
    page.keyboard.press("Home")
    # The workshop as created (its creation may record two events in one millisecond): nobody joined yet.
    page.wait_for_function("document.getElementById('rp-joined').textContent === '0'")
    assert page.text_content("#rp-time") != "Could not load the replay."
    context.close()


def test_replay_lists_countries_beyond_the_top_twelve_as_and_n_more(room: Room, browser: Any) -> None:
    for i, country in enumerate(REPLAY_COUNTRIES):
        room.join(f"Person {i}", country=country)
    context, page = _replay_page(browser, room)
    page.wait_for_selector("#rp-by-country li.more")
    assert page.locator("#rp-by-country li:not(.more)").count() == 12
    assert page.text_content("#rp-by-country li.more") == "and 2 more countries"
    context.close()


def test_the_replayed_projector_shows_what_the_live_projector_showed_with_a_published_meeting_slot(
    room: Room, browser: Any
) -> None:
    ana, jan = room.join("Ana Ferreira", "Proplast", "IT"), room.join("Jan Kowalski", "Silesia Automotive", "PL")
    now = datetime.now(UTC)
    slot = {"start": (now - timedelta(minutes=2)).isoformat(), "end": (now + timedelta(minutes=30)).isoformat()}
    room.command("configure_matchmaking", {"slots": [slot], "tables": 2})
    room.command("add_meeting", {"participant_ids": [ana.participant_id, jan.participant_id]})
    room.command("schedule_meetings")
    room.command("publish_schedule")
    live_context = browser.new_context(viewport={"width": 1280, "height": 720}, timezone_id="UTC", locale="en-GB")
    live_context.set_default_timeout(20_000)
    live = live_context.new_page()
    live.goto(f"{room.server.url}/w/{room.workshop_id}/projector#k={room.projector_token}")
    live.wait_for_selector("#proj-match:not([hidden]) .pm-table")
    shown = {sel: live.text_content(sel) for sel in ("#pm-label", "#pm-slot", "#pm-tables")}
    assert "Ana Ferreira" in str(shown["#pm-tables"]) and "Jan Kowalski" in str(shown["#pm-tables"])

    context, page = _replay_page(browser, room)  # at the end of the log: the schedule just published
    frame = page.frame_locator("#rp-projector-frame")
    frame.locator("#proj-match:not([hidden]) .pm-table").first.wait_for()
    assert {sel: frame.locator(sel).text_content() for sel in shown} == shown
    assert page.locator("#rp-projector").text_content() != "Nothing on the projector but the join code."
    live_context.close()
    context.close()
