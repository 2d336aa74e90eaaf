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

import pytest

from tests.acceptance.support import HttpError, Room, http, wait_for
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


def test_eu_country_codes_and_country_names_join_and_are_stored_as_iso_codes(room: Room) -> None:
    written = {"Ann": "UK", "Bob": "EL", "Cy": "Deutschland", "Dee": "Grèce", "Eve": "ita", "Fay": "Regno Unito"}
    for name, country in written.items():
        room.join(name, country=country)
    people = {p["name"]: p["country"] for p in room.view()["participants"].values()}
    assert people == {"Ann": "GB", "Bob": "GR", "Cy": "DE", "Dee": "GR", "Eve": "IT", "Fay": "GB"}
    with pytest.raises(HttpError) as refused:
        room.join("Gil", country="Narnia")
    assert refused.value.body["error"]["code"] == "unknown_country"


def test_a_sector_typed_in_another_case_joins_as_the_workshops_sector(server: Server) -> None:
    room = Room.create(server, sectors=["CleanTech", "Agroalimentare e Caffè"])
    try:
        room.join("Ann", sector="Cleantech")
        room.join("Bob", sector="agroalimentare e caffe")
        people = {p["name"]: p["sector"] for p in room.view()["participants"].values()}
        assert people == {"Ann": "CleanTech", "Bob": "Agroalimentare e Caffè"}
    finally:
        room.close()


def test_a_join_with_several_problems_reports_every_one_at_once(room: Room) -> None:
    body = {"code": room.code, "name": " ", "organisation": "", "country": "Narnia", "sector": room.sectors()[0]}
    with pytest.raises(HttpError) as refused:
        http(room.server, "POST", "/api/join", body)
    error = refused.value.body["error"]
    assert refused.value.status == 422
    assert {f: v["code"] for f, v in error["details"]["fields"].items()} == {
        "name": "invalid_text", "organisation": "invalid_text", "country": "unknown_country"}  # fmt: skip


def test_the_join_form_shows_every_error_at_once_and_guesses_no_country(browser: object, room: Room) -> None:
    from playwright.sync_api import expect

    # A phone set to US English: the country must not come pre-selected as the United States.
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(f"{room.server.url}/j/{room.code}")
        page.wait_for_function("window.TavoloProfile !== undefined")
        assert page.evaluate("navigator.language") == "en-US"
        assert page.input_value("#p-country") == ""
        page.click("#join-submit")
        for field in ("name", "organisation", "country", "sector"):
            expect(page.locator(f"#err-{field}")).to_be_visible()
            expect(page.locator(f"#p-{field}")).to_have_attribute("aria-invalid", "true")
            assert f"err-{field}" in (page.get_attribute(f"#p-{field}", "aria-describedby") or "")
        summary = page.locator("#join-error")
        expect(summary).to_be_visible()
        expect(summary.locator("a")).to_have_count(4)
        expect(summary).to_be_focused()
        # Fixing one field leaves the other three shown on the next submit.
        page.fill("#p-name", "Ann Example")
        page.click("#join-submit")
        expect(page.locator("#err-name")).to_be_hidden()
        expect(summary.locator("a")).to_have_count(3)
        page.fill("#p-organisation", "Cluster X")
        page.select_option("#p-country", "GR")
        page.select_option("#p-sector", index=1)
        page.click("#join-submit")
        page.wait_for_url(re.compile(r"/w/[0-9a-f-]+/me"))
    finally:
        context.close()
    people = [p for p in room.view()["participants"].values() if p["name"] == "Ann Example"]
    assert [p["country"] for p in people] == ["GR"]


def test_invisible_characters_in_a_name_are_removed_and_a_blank_looking_name_is_refused(room: Room) -> None:
    """A name with zero-width and direction marks slipped in shows (and is stored) as the plain name, so it cannot
    pass for someone else's; a name drawn only with Hangul fillers or Braille blanks is refused."""
    room.join("Ana Novak")
    spoof = room.join("Ana\u200b No\u200dvak\ufeff\u200e", organisation="Org\u2060")
    people = room.view()["participants"]
    assert people[spoof.participant_id]["name"] == "Ana Novak"
    assert people[spoof.participant_id]["organisation"] == "Org"
    for blank in ("\u3164\u3164", "\u2800", "\u200b\u200d"):
        with pytest.raises(HttpError) as refused:
            room.join(blank)
        assert refused.value.body["error"]["code"] == "invalid_text", ascii(blank)
    with pytest.raises(HttpError) as refused:
        room.join("Ana\u2028Novak")
    assert refused.value.body["error"]["code"] == "invalid_text"


def test_kosovo_is_on_the_join_pages_country_list_joins_as_xk_and_congo_alone_is_refused_naming_both(
    room: Room,
) -> None:
    page = urllib.request.urlopen(f"{room.server.url}/j/{room.code}", timeout=30).read().decode()
    assert '<option value="XK">Kosovo</option>' in page
    ada = room.join("Ada Kosovar", country="Kosovo")
    rows = room.view()["participants"]
    assert rows[ada.participant_id]["country"] == "XK"
    assert room.join("Dee Kinshasa", country="DR Congo") and room.join("Ivo Abidjan", country="Ivory Coast")
    with pytest.raises(HttpError) as refused:
        room.join("Cora Congo", country="Congo")
    error = refused.value.body["error"]
    assert error["code"] == "unknown_country" or "unknown_country" in json.dumps(error)
    assert "(CG)" in json.dumps(error) and "(CD)" in json.dumps(error)
    assert "Kosovo" in room.get("/minutes.md").decode()


# Text elements that must never be wider than their box at 390 px (a button or a card pushed past the screen).
_OVERFLOWING_TEXT = """() => {
  const out = [];
  for (const e of document.querySelectorAll("body *")) {
    if (e.matches("input, select, textarea, svg, svg *, script, style, .visually-hidden, .visually-hidden *")) continue;
    const style = getComputedStyle(e);
    if (style.display === "none" || style.display === "inline" || e.getClientRects().length === 0) continue;
    if (style.overflowX === "auto" || style.overflowX === "scroll") continue;  // scrolls by design (a wide table)
    if (style.textOverflow === "ellipsis") continue;  // shortened by design, the whole text in its title
    if (!Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    if (e.scrollWidth > e.clientWidth + 1)
      out.push(`${e.tagName}.${e.className} ${e.scrollWidth}>${e.clientWidth}: ${e.textContent.trim().slice(0, 50)}`);
  }
  return out;
}"""


def _narrow_room(server: Server, language: str) -> tuple[Room, Any]:
    """A workshop in ``language`` with groups, a question sheet, an open poll and a running rotation, and one of
    its people: everything a phone can show at once."""
    room = Room.create(server, "Laboratorio" if language == "it" else "Workshop", language=language)
    people = [room.join(f"Persona {i}", organisation=f"Organizzazione regionale {i % 3}") for i in range(6)]
    split = room.command("split_groups", {"strategy": "balanced", "groups": 2})["result"]["split_id"]
    questions = ["Quali ostacoli incontrate nell'accesso ai finanziamenti europei per l'innovazione?",
                 "Internazionalizzazione: quali partner cercate?"]  # fmt: skip
    room.command("pose_questions", {"split_id": split, "questions": questions})
    poll = {"title": "Priorità", "kind": "single", "questions": [{"prompt": "Quale priorità per il 2027?",
            "options": ["Competenze digitali avanzate", "Finanziamenti"]}]}  # fmt: skip
    room.command("open_poll", {"poll_id": room.command("create_poll", poll)["result"]["poll_id"]})
    rotation = room.command("create_rotation", {"table_size": 2, "rounds": 2, "round_seconds": 600})
    room.command("start_rotation", {"rotation_id": rotation["result"]["rotation_id"]})
    return room, people[0]


@pytest.mark.parametrize("language", ["en", "it"])
def test_at_390_px_neither_the_phone_nor_the_dashboard_scrolls_sideways(
    server: Server, browser: Any, language: str
) -> None:
    room, person = _narrow_room(server, language)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    context.set_default_timeout(20_000)
    try:
        key, token = json.dumps(f"tavolo:me:{room.workshop_id}"), json.dumps(person.token)
        context.add_init_script(f"localStorage.setItem({key}, {token});")
        phone = context.new_page()
        phone.goto(f"{room.server.url}/w/{room.workshop_id}/me")
        for card in ("#my-group", "#my-rotation", "#polls-me"):
            phone.locator(card).wait_for()
        phone.get_by_text("Quali ostacoli").first.wait_for()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        assert phone.evaluate(_OVERFLOWING_TEXT) == []
        dashboard = context.new_page()
        dashboard.goto(f"{room.server.url}/w/{room.workshop_id}/dashboard#k={room.facilitator_token}")
        dashboard.get_by_text("Quali ostacoli").first.wait_for()
        assert dashboard.evaluate("document.documentElement.scrollWidth") <= 390
        assert dashboard.evaluate(_OVERFLOWING_TEXT) == []
    finally:
        context.close()
        room.close()
