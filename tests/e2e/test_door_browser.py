"""The dashboard's door in a real browser: lock new joins, and remove a burst of joins at once."""

from __future__ import annotations

import urllib.error
from typing import Any

import pytest

from tests.e2e.conftest import Server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT_MS = 15_000


def _join(server: Server, code: str, name: str) -> Any:
    body = {"code": code, "name": name, "organisation": "Org", "country": "IT", "sector": "Energy"}
    return server.request("POST", "/api/join", body)


def test_the_dashboard_locks_the_door_and_removes_selected_recent_joins(browser: Any, server: Server) -> None:
    from playwright.sync_api import expect

    created = server.request("POST", "/api/workshops", {"title": "Door", "date": "2026-11-22", "language": "en",
                                                        "sectors": ["Energy"]})  # fmt: skip
    wid, fac, code = created["workshop_id"], created["facilitator_token"], created["code"]
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    try:
        dashboard = context.new_page()
        dashboard.goto(f"{server.url}/w/{wid}/dashboard#k={fac}")
        expect(dashboard.locator("#conn-status")).to_have_attribute("data-state", "connected")
        _join(server, code, "Real Person")
        for i in range(3):
            _join(server, code, f"Flood {i}")
        expect(dashboard.locator("#people-body tr")).to_have_count(4)

        dashboard.click("#joins-lock")
        expect(dashboard.locator("#joins-lock")).to_have_attribute("aria-pressed", "true")
        with pytest.raises(urllib.error.HTTPError) as refused:
            _join(server, code, "Late Flood")
        assert refused.value.code == 409

        dashboard.click("#recent-joins summary")
        for i in range(3):
            dashboard.locator("#recent-joins-list li", has_text=f"Flood {i}").locator("input").check()
        dashboard.click("#recent-remove")
        dashboard.click("#confirm-dialog button[value=ok]")
        expect(dashboard.locator("#people-body tr")).to_have_count(1)
        expect(dashboard.locator("#people-body tr")).to_contain_text("Real Person")
        expect(dashboard.locator("#stat-removed")).to_have_text("3")
        expect(dashboard.locator("#recent-joins-list li")).to_have_count(1)

        dashboard.click("#joins-lock")
        expect(dashboard.locator("#joins-lock")).to_have_attribute("aria-pressed", "false")
        _join(server, code, "Welcome Latecomer")
        expect(dashboard.locator("#people-body tr")).to_have_count(2)
    finally:
        context.close()
