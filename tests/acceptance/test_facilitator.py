"""The facilitator through a live server and a real browser: creating and running a workshop."""

from __future__ import annotations

import re
from typing import Any

from tests.acceptance.support import http
from tests.e2e.conftest import Server

# The browser's zone as a browser the server cannot follow would report it (no machine's zone database has it).
UNKNOWN_ZONE_SCRIPT = """
const resolved = Intl.DateTimeFormat.prototype.resolvedOptions;
Intl.DateTimeFormat.prototype.resolvedOptions = function () {
  return Object.assign(resolved.call(this), {timeZone: "Etc/Unknown"});
};
"""


def _created_zone(server: Server, page: Any) -> str:
    page.wait_for_url(re.compile(r"/w/[0-9a-f-]+/dashboard"))
    workshop_id = re.search(r"/w/([0-9a-f-]+)/dashboard", page.url).group(1)  # type: ignore[union-attr]
    token = page.evaluate(f"localStorage.getItem('tavolo:fac:{workshop_id}')")
    view = http(server, "GET", f"/api/workshops/{workshop_id}/views/dashboard", token=token)
    return str(view["data"]["workshop"]["timezone"])


def test_the_creation_form_shows_the_browsers_zone_and_the_workshop_takes_it(server: Server, browser: Any) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(timezone_id="Asia/Tokyo")
    try:
        page = context.new_page()
        page.goto(f"{server.url}/?lang=en")
        expect(page.locator("#f-timezone")).to_have_value("Asia/Tokyo")  # shown, not sent behind the form's back
        page.fill("#f-title", "Tokyo day")
        page.click("#create-form button[type=submit]")
        assert _created_zone(server, page) == "Asia/Tokyo"
    finally:
        context.close()


def test_a_browser_zone_the_server_lacks_is_said_on_the_zone_field_and_another_can_be_chosen(
    server: Server, browser: Any
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(timezone_id="Europe/Rome")
    context.add_init_script(UNKNOWN_ZONE_SCRIPT)
    try:
        page = context.new_page()
        page.goto(f"{server.url}/?lang=en")
        expect(page.locator("#f-timezone")).to_have_value("Etc/Unknown")
        page.fill("#f-title", "")
        page.click("#create-form button[type=submit]")
        # Every problem at once: the missing title and the zone, each on its field; nothing was sent.
        expect(page.locator("#err-title")).to_be_visible()
        expect(page.locator("#err-timezone")).to_contain_text("Etc/Unknown")
        expect(page.locator("#f-timezone")).to_have_attribute("aria-invalid", "true")
        assert page.locator("#f-timezones option[value='Europe/Rome']").count() == 1  # the server's zones
        page.fill("#f-title", "Rome day")
        page.fill("#f-timezone", "Europe/Rome")
        page.click("#create-form button[type=submit]")
        assert _created_zone(server, page) == "Europe/Rome"
    finally:
        context.close()
