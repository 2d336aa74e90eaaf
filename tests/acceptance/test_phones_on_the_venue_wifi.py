"""README, "Phones on the venue Wi-Fi": ``tavolo serve --host 0.0.0.0 --public-url http://192.168.1.20:8000`` — the
public URL is what the QR code and join links carry."""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Any

from server.pages import qr_code_svg
from tests.acceptance.support import Room, http
from tests.e2e.conftest import start_server

PUBLIC = "http://192.168.1.20:8000"


def _lan_address() -> str | None:
    """This machine's address on its network (not loopback), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
            address = str(s.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_the_qr_code_and_join_links_carry_the_public_url(tmp_path: Path) -> None:
    server = start_server(f"sqlite:///{tmp_path}/t.db", tmp_path / "log", "--host", "0.0.0.0", "--public-url", PUBLIC)
    try:
        created = http(server, "POST", "/api/workshops", {"title": "Roadshow", "date": "2026-11-22", "language": "en"})
        wid, code = created["workshop_id"], created["code"]
        join = f"{PUBLIC}/j/{code}"
        assert created["join_url"] == join
        assert created["facilitator_url"].startswith(f"{PUBLIC}/w/{wid}/dashboard#k=")
        assert created["projector_url"].startswith(f"{PUBLIC}/w/{wid}/projector#")
        projector = http(server, "GET", f"/w/{wid}/projector").decode()
        assert join in projector and "192.168.1.20:8000/j/" + code in projector
        assert "127.0.0.1" not in re.sub(r'(src|href)="/[^"]*"', "", projector)
        dashboard = http(server, "GET", f"/w/{wid}/dashboard").decode()
        assert join in dashboard
        # The QR code the projector shows is exactly the one of the public join link.
        assert http(server, "GET", f"/w/{wid}/qr.svg") == qr_code_svg(join)
        # Bound to every interface: a phone reaches it at this machine's own address, not only on loopback.
        lan = _lan_address()
        if lan:
            assert http(server.__class__(server.url.replace("127.0.0.1", lan), server.process, server.log),
                        "GET", "/healthz")  # fmt: skip
    finally:
        server.stop()


def test_a_phone_refused_by_a_crowded_venues_join_limit_gets_in_by_itself_without_a_second_click(
    tmp_path: Path, browser: Any
) -> None:
    from playwright.sync_api import expect

    # One join per address at once, then one every 15 s: the phone shares its address with the rest of the room,
    # and waits longer than any fixed number of quick retries would cover (it used to give up after 12 s).
    server = start_server(f"sqlite:///{tmp_path}/t.db", tmp_path / "log", "--address-join-burst", "1",
                          "--address-joins-per-second", "0.07")  # fmt: skip
    context = browser.new_context()
    try:
        room = Room.create(server, "Crowded hall")
        page = context.new_page()
        page.goto(f"{server.url}/j/{room.code}?lang=en")
        page.fill("#p-name", "Patient Phone")
        page.fill("#p-organisation", "Venue")
        page.select_option("#p-country", "IT")
        page.select_option("#p-sector", room.sectors()[0])
        room.join("Someone else in the hall")  # the address's one join at once, just spent
        page.click("#join-submit")
        wait = page.locator("#join-wait")
        expect(wait).to_be_visible()  # refused once, and told to keep the page open
        expect(wait).to_contain_text("Many people are joining at once")
        page.wait_for_url(re.compile(r"/w/[0-9a-f-]+/me"), timeout=40000)  # ... then in, without a click
        names = {p["name"] for p in room.view()["participants"].values()}
        assert names == {"Someone else in the hall", "Patient Phone"}
        room.close()
    finally:
        context.close()
        server.stop()


def test_the_join_page_over_its_look_up_limit_is_translated_and_reloads_itself(tmp_path: Path, browser: Any) -> None:
    from playwright.sync_api import expect

    server = start_server(f"sqlite:///{tmp_path}/t.db", tmp_path / "log", "--address-lookup-burst", "1",
                          "--address-lookups-per-second", "0.5")  # fmt: skip
    context = browser.new_context()
    try:
        room = Room.create(server, "Sala piena", language="it")
        http(server, "GET", f"/api/codes/{room.code}")  # the address's one look-up at once, just spent
        page = context.new_page()
        response = page.goto(f"{server.url}/j/{room.code}?lang=it")
        assert response is not None and response.status == 429 and int(response.headers["retry-after"]) >= 1
        expect(page.locator("main")).to_contain_text("Molte persone stanno entrando insieme")
        assert page.locator('meta[http-equiv="refresh"]').count() == 1
        expect(page.locator("#join-form")).to_be_visible(timeout=20000)  # reloaded by itself: the join form
        room.close()
    finally:
        context.close()
        server.stop()
