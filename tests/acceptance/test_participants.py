"""Participants join from their phones: what a registration list says about them is read as they wrote it."""

from __future__ import annotations

import re

import pytest

from tests.acceptance.support import HttpError, Room, http
from tests.e2e.conftest import Server


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
