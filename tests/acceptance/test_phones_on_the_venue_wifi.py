"""README, "Phones on the venue Wi-Fi": ``tavolo serve --host 0.0.0.0 --public-url http://192.168.1.20:8000`` — the
public URL is what the QR code and join links carry."""

from __future__ import annotations

import re
import socket
from pathlib import Path

from server.pages import qr_code_svg
from tests.acceptance.support import http
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
