"""README, "Facilitator": the dashboard link's secret runs the workshop; the projector link carries a read-only
token."""

from __future__ import annotations

import html
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.acceptance.support import HttpError, LiveView, Room, http, wait_for
from tests.e2e.conftest import Server, start_server


def test_the_projector_token_reads_but_cannot_run_the_workshop(room: Room) -> None:
    assert room.command("add_agenda_item", {"title": "Welcome", "kind": "plenary"})["type"] == "ack"
    assert room.view("projector", room.projector_token)["agenda"]
    with pytest.raises(HttpError) as refused:
        room.command("add_agenda_item", {"title": "Hijack", "kind": "plenary"}, token=room.projector_token)
    assert refused.value.status == 403 and refused.value.body["error"]["code"] == "forbidden"
    with pytest.raises(HttpError) as anonymous:
        room.command("add_agenda_item", {"title": "Hijack", "kind": "plenary"}, token="not-a-token")
    assert anonymous.value.status == 401
    with pytest.raises(HttpError):
        room.view("dashboard", token=room.projector_token)
    assert [i["title"] for i in room.view("dashboard")["agenda"]] == ["Welcome"]


ORGANISER_KEY = "acceptance-organiser-key"


def test_creation_asks_to_save_the_links_and_the_card_holds_them(browser: object, server: Server) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(accept_downloads=True)  # type: ignore[attr-defined]
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(f"{server.url}/")
        page.fill("#f-title", "Card <check>")
        page.click("#create-form button[type=submit]")
        expect(page.locator("#save-links")).to_be_visible()
        expect(page.locator("#go-dashboard")).to_be_disabled()  # not before the facilitator says the links are kept
        dashboard = page.input_value("#saved-dashboard")
        projector = page.input_value("#saved-projector")
        join = page.input_value("#saved-join")
        code = page.inner_text("#saved-code").strip()
        assert re.fullmatch(rf"{re.escape(server.url)}/w/[0-9a-f-]+/dashboard#k=[\w-]+&p=[\w-]+", dashboard)
        assert re.fullmatch(rf"{re.escape(server.url)}/w/[0-9a-f-]+/projector#k=[\w-]+", projector)
        assert join == f"{server.url}/j/{code}"
        page.click("#copy-dashboard")
        wait_for(lambda: page.evaluate("navigator.clipboard.readText()") == dashboard, what="the copied link")
        with page.expect_download() as download:
            page.click("#download-card")
        card = Path(download.value.path()).read_text(encoding="utf-8")
        assert download.value.suggested_filename == f"tavolo-{code}-card.html"
        for link in (dashboard, projector, join):
            assert html.escape(link) in card
        assert code in card and "Card &lt;check&gt;" in card and "<svg" in card
        page.check("#saved-ack")
        page.click("#go-dashboard")
        page.wait_for_url(re.compile(r"/w/[0-9a-f-]+/dashboard"))
        expect(page.locator("#join-code")).to_have_text(code)
    finally:
        context.close()


def test_the_workshop_card_is_for_the_facilitator_only(room: Room) -> None:
    path = f"/api/workshops/{room.workshop_id}/card"
    card = http(room.server, "POST", path, {"projector_token": room.projector_token}, token=room.facilitator_token)
    text = card.decode()
    assert html.escape(room.created["facilitator_url"]) in text
    assert room.created["projector_url"] in text and room.created["join_url"] in text and room.code in text
    with pytest.raises(HttpError) as refused:
        http(room.server, "POST", path, {}, token=room.projector_token)
    assert refused.value.body["error"]["code"] == "forbidden"


def test_an_organiser_lists_workshops_and_reopens_one_with_a_new_link(tmp_path: Path) -> None:
    server = start_server(f"sqlite:///{tmp_path}/tavolo.db", tmp_path / "server.log", "--organiser-key", ORGANISER_KEY)
    key = {"X-Tavolo-Organiser-Key": ORGANISER_KEY}
    try:
        made = [http(server, "POST", "/api/workshops", {"title": t, "date": "2026-11-22", "language": "en"},
                     headers=key) for t in ("Morning", "Afternoon")]  # fmt: skip
        with pytest.raises(HttpError) as refused:
            http(server, "GET", "/api/workshops")
        assert refused.value.body["error"]["code"] == "organiser_key_required"
        listed = http(server, "GET", "/api/workshops", headers=key)
        assert [(w["title"], w["code"]) for w in listed["workshops"]] == [
            ("Afternoon", made[1]["code"]), ("Morning", made[0]["code"])]  # fmt: skip
        assert all(w["date"] == "2026-11-22" and w["created_at"] for w in listed["workshops"])

        lost = made[0]
        wid = lost["workshop_id"]
        open_dashboard = LiveView(server, wid, lost["facilitator_token"], "dashboard")
        try:
            open_dashboard.wait(lambda d: d.get("workshop"), what="the dashboard snapshot")
            reopened = http(server, "POST", f"/api/workshops/{wid}/reopen", {}, headers=key)
            assert reopened["facilitator_url"].endswith(f"/w/{wid}/dashboard#k={reopened['facilitator_token']}")
            # The new link works; the old one (and a dashboard still open with it) stops.
            assert http(server, "GET", f"/api/workshops/{wid}/views/dashboard", token=reopened["facilitator_token"])
            with pytest.raises(HttpError) as old:
                http(server, "GET", f"/api/workshops/{wid}/views/dashboard", token=lost["facilitator_token"])
            assert old.value.status == 401
            told = lambda: any(f.get("type") == "error" for f in open_dashboard.frames)  # noqa: E731
            wait_for(told, what="the old dashboard told")
        finally:
            open_dashboard.close()
    finally:
        server.stop()


def test_without_an_organiser_key_the_listing_is_refused(server: Server) -> None:
    Room.create(server).close()
    with pytest.raises(HttpError) as refused:
        http(server, "GET", "/api/workshops", headers={"X-Tavolo-Organiser-Key": "anything"})
    assert (refused.value.status, refused.value.body["error"]["code"]) == (403, "no_organiser_key")


def test_the_organiser_page_reopens_a_workshop_whose_link_was_lost(browser: object, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    server = start_server(f"sqlite:///{tmp_path}/tavolo.db", tmp_path / "server.log", "--organiser-key", ORGANISER_KEY)
    context = browser.new_context()  # type: ignore[attr-defined]
    context.set_default_timeout(15_000)
    try:
        made = http(server, "POST", "/api/workshops", {"title": "Lost <link>", "date": "2026-11-22", "language": "en"},
                    headers={"X-Tavolo-Organiser-Key": ORGANISER_KEY})  # fmt: skip
        page = context.new_page()
        page.goto(f"{server.url}/organiser")
        page.fill("#o-key", "wrong")
        page.click("#organiser-form button[type=submit]")
        expect(page.locator("#organiser-error")).to_be_visible()
        page.fill("#o-key", ORGANISER_KEY)
        page.click("#organiser-form button[type=submit]")
        row = page.locator("#organiser-body tr", has_text="Lost <link>")
        expect(row).to_contain_text(made["code"])
        row.locator("button").click()
        page.click("#confirm-dialog button[value=ok]")
        expect(page.locator("#reopened")).to_be_visible()
        link = page.input_value("#reopened-link")
        assert (
            link.startswith(f"{server.url}/w/{made['workshop_id']}/dashboard#k=")
            and made["facilitator_token"] not in link
        )
        page.click("#open-reopened")
        page.wait_for_url(re.compile(r"/w/[0-9a-f-]+/dashboard"))
        expect(page.locator("#join-code")).to_have_text(made["code"])
        with pytest.raises(HttpError):
            http(
                server, "GET", f"/api/workshops/{made['workshop_id']}/views/dashboard", token=made["facilitator_token"]
            )
    finally:
        context.close()
        server.stop()


def test_the_facilitator_locks_the_door_and_removes_a_burst_of_joins_at_once(room: Room) -> None:
    dashboard = room.watch("dashboard")
    early = room.join("Early Bird")
    burst = [room.join(f"Flood {i}", organisation="Script") for i in range(12)]
    # The burst shows on the dashboard, newest first by joined_at, so the facilitator can tell it apart.
    dashboard.wait(lambda d: len(d["participants"]) == 13, what="everyone on the dashboard")
    room.command("lock_joins")
    dashboard.wait(lambda d: d["joins_locked"] is True, what="the lock on the dashboard")
    with pytest.raises(HttpError) as refused:
        room.join("Late Flood")
    assert refused.value.status == 409 and refused.value.body["error"]["code"] == "joins_locked"
    ack = room.command("remove_participants", {"participant_ids": [p.participant_id for p in burst]})
    assert ack["result"]["removed"] == 12
    dashboard.wait(lambda d: list(d["participants"]) == [early.participant_id] and d["removed"] == 12,
                   what="only the early bird left")  # fmt: skip
    # A removed token no longer works; the early bird carries on.
    with pytest.raises(HttpError) as gone:
        room.view("participant", token=burst[0].token)
    assert gone.value.status == 401
    assert room.view("participant", token=early.token)["me"]["name"] == "Early Bird"
    room.command("unlock_joins")
    room.join("Real Latecomer")
    dashboard.wait(lambda d: len(d["participants"]) == 2 and not d["joins_locked"], what="the door open again")


# The browser's zone as a browser the server cannot follow would report it (no machine's zone database has it).
UNKNOWN_ZONE_SCRIPT = """
const resolved = Intl.DateTimeFormat.prototype.resolvedOptions;
Intl.DateTimeFormat.prototype.resolvedOptions = function () {
  return Object.assign(resolved.call(this), {timeZone: "Etc/Unknown"});
};
"""


def _created_zone(server: Server, page: Any) -> str:
    page.check("#saved-ack")  # the "save your links" step comes first
    page.click("#go-dashboard")
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


def test_the_dashboards_recent_joins_show_their_times_in_the_workshops_zone_not_the_browsers(
    server: Server, browser: Any
) -> None:
    from playwright.sync_api import expect

    # Kolkata is UTC+5:30: its minutes differ from the browser's (UTC), so the zone shows in every time.
    room = Room.create(server, "Recent joins in Kolkata", timezone="Asia/Kolkata")
    context = browser.new_context(timezone_id="UTC")
    try:
        person = room.join("Asha Recent")
        joined_at = room.view()["participants"][person.participant_id]["joined_at"]
        local = datetime.fromisoformat(str(joined_at).replace("Z", "+00:00")).astimezone(ZoneInfo("Asia/Kolkata"))
        page = context.new_page()
        page.goto(f"{server.url}/w/{room.workshop_id}/dashboard#k={room.facilitator_token}&p={room.projector_token}")
        row = page.locator("#recent-joins-list li", has_text="Asha Recent")
        expect(row.locator(".time")).to_contain_text(local.strftime(":%M:%S"))
    finally:
        context.close()
        room.close()
