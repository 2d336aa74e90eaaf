"""A real browser: Debian's Chromium driven by Playwright, several contexts as several laptops."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Server, start_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield browser
        browser.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    server = start_server(f"sqlite:///{tmp_path}/tavolo.db", tmp_path / "server.log")
    yield server
    server.stop()


def join(browser: object, server: Server, code: str, name: str, organisation: str, country: str) -> object:
    context = browser.new_context(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{server.url}/")
    page.fill("#join-code-input", code.lower())  # typed in lower case on a phone: still found
    page.press("#join-code-input", "Enter")
    page.wait_for_url(re.compile(rf"/j/{code}$"))
    page.fill("#p-name", name)
    page.fill("#p-organisation", organisation)
    page.select_option("#p-country", country)
    page.select_option("#p-sector", "Energy")
    page.click("#join-submit")
    page.wait_for_url(re.compile(r"/w/[0-9a-f-]+/me$"))
    page.wait_for_selector("#hello:has-text('" + name + "')")
    return page


def test_facilitator_sees_two_participants_join_live_and_a_reload_keeps_identity(
    browser: object, server: Server
) -> None:
    facilitator = browser.new_context()  # type: ignore[attr-defined]
    facilitator.set_default_timeout(TIMEOUT_MS)
    dashboard = facilitator.new_page()
    dashboard.goto(f"{server.url}/")
    dashboard.fill("#f-title", "Cluster matchmaking roadshow")
    dashboard.fill("#f-venue", "Bologna")
    dashboard.fill("#f-sectors", "Agrifood\nEnergy\nDigital & ICT")
    dashboard.click("#create-form button[type=submit]")
    dashboard.wait_for_url(re.compile(r"/w/[0-9a-f-]+/dashboard"))
    code = dashboard.inner_text("#join-code").strip()
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{6}", code), code
    # The secret token left the visible URL (it is kept by the browser).
    assert "#k=" not in dashboard.url

    anna = join(browser, server, code, "Anna <b>Rossi</b>", "Lombardy Energy Cluster", "IT")
    jan = join(browser, server, code, "Jan Kowalski", "Silesia Automotive", "PL")

    # Both appear on the dashboard without a reload, participant text shown as text.
    rows = dashboard.locator("#people-body tr")
    rows.filter(has_text="Jan Kowalski").wait_for()
    rows.filter(has_text="Anna <b>Rossi</b>").wait_for()
    assert dashboard.locator("#people-body b").count() == 0
    dashboard.wait_for_function("document.querySelector('#stat-joined').textContent.trim() === '2'")

    # A reload resumes the same participant: no duplicate on the dashboard.
    participant_id = anna.evaluate("() => Object.keys(localStorage).find(k => k.startsWith('tavolo:me:'))")
    assert participant_id
    anna.reload()
    anna.wait_for_selector("#hello:has-text('Anna')")
    anna.wait_for_function("document.querySelector('#stat-joined').textContent.trim() === '2'")
    assert rows.count() == 2
    dashboard.wait_for_function("document.querySelector('#stat-joined').textContent.trim() === '2'")

    # The facilitator starts an agenda item; participants see it as the current item.
    dashboard.fill("#a-title", "Welcome and introductions")
    dashboard.click("#agenda-add button[type=submit]")
    dashboard.locator("#agenda-list li", has_text="Welcome and introductions").wait_for()
    dashboard.locator("#agenda-list li", has_text="Welcome and introductions").locator(
        "button", has_text="Start").click()
    jan.wait_for_selector("#now-title:has-text('Welcome and introductions')")  # type: ignore[attr-defined]
    facilitator.close()
