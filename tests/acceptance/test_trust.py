"""README: trust — who sees whom, what another site can make a visitor's browser do, floods at the door."""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.support import HttpError, Room, http, wait_for
from tests.e2e.conftest import Server, free_port, start_server

pytestmark = pytest.mark.browser


@contextlib.contextmanager
def _other_site(folder: Path) -> Iterator[str]:
    """A second origin: a plain static file server on another port, as an attacker's page would be."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    site = ThreadingHTTPServer(("127.0.0.1", free_port()), functools.partial(Quiet, directory=folder))
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{site.server_address[1]}"
    finally:
        site.shutdown()
        site.server_close()


CROSS_SITE_PAGE = """<!doctype html><meta charset="utf-8"><title>Win a prize</title>
<form id="f" method="POST" enctype="text/plain" action="{server}/api/workshops">
<input type="hidden" name='{{"title": "Made elsewhere", "date": "2026-11-22", "language": "en", "venue": "' value='"}}'>
</form>
<script>
  fetch("{server}/api/join", {{method: "POST", mode: "no-cors", headers: {{"Content-Type": "text/plain"}},
    body: JSON.stringify({{code: "{code}", name: "Made Elsewhere", organisation: "Nowhere", country: "IT",
                           sector: "{sector}"}})}})
    .then(function () {{ document.title = "fetched"; }}, function () {{ document.title = "fetched"; }});
</script>"""


def test_a_page_on_another_origin_can_neither_create_a_workshop_nor_join(
    room: Room, browser: Any, tmp_path: Path
) -> None:
    page_dir = tmp_path / "elsewhere"
    page_dir.mkdir()
    html = CROSS_SITE_PAGE.format(server=room.server.url, code=room.code, sector=room.sectors()[0])
    (page_dir / "prize.html").write_text(html)
    before = http(room.server, "GET", "/healthz")["workshops"]
    with _other_site(page_dir) as site:
        context = browser.new_context()
        try:
            page = context.new_page()
            statuses: dict[str, int] = {}
            page.on("response", lambda r: "/api/" in r.url and statuses.__setitem__(r.url.split("/api/")[-1], r.status))
            page.goto(f"{site}/prize.html")
            page.wait_for_function("document.title === 'fetched'", timeout=15_000)
            with page.expect_navigation(timeout=15_000):
                page.evaluate("document.getElementById('f').submit()")
            wait_for(lambda: "workshops" in statuses and "join" in statuses, what="both requests answered")
        finally:
            context.close()
    assert statuses == {"join": 403, "workshops": 403}, statuses
    assert http(room.server, "GET", "/healthz")["workshops"] == before  # nothing created
    assert room.view()["participants"] == {}  # nobody joined


def _join_as(server: Server, code: str, sector: str, address: str, name: str) -> dict[str, Any]:
    body = {"code": code, "name": name, "organisation": "Org", "country": "IT", "sector": sector}
    return dict(http(server, "POST", "/api/join", body, headers={"X-Forwarded-For": address}))


def test_one_address_flooding_joins_and_code_lookups_is_slowed_and_others_are_not(tmp_path: Path) -> None:
    # The server trusts X-Forwarded-For from 127.0.0.1 (uvicorn's default, --forwarded-allow-ips): each
    # address below is a different client behind that proxy.
    server = start_server(f"sqlite:///{tmp_path}/t.db", tmp_path / "server.log", "--address-join-burst", "5",
                          "--address-joins-per-second", "0.01", "--address-lookup-burst", "5",
                          "--address-lookups-per-second", "0.01")  # fmt: skip
    try:
        room = Room.create(server)
        sector = room.sectors()[0]
        for i in range(5):
            _join_as(server, room.code, sector, "203.0.113.9", f"Bot {i}")
        with pytest.raises(HttpError) as refused:
            _join_as(server, room.code, sector, "203.0.113.9", "Bot 5")
        assert refused.value.status == 429 and refused.value.body["error"]["code"] == "rate_limited"
        _join_as(server, room.code, sector, "198.51.100.20", "A real person")  # another address: in
        assert len(room.view()["participants"]) == 6
        for guess in ("AAAAAA", "BBBBBB", "CCCCCC", "DDDDDD", "EEEEEE"):  # guesses count, found or not
            with pytest.raises(HttpError) as unknown:
                http(server, "GET", f"/api/codes/{guess}", headers={"X-Forwarded-For": "203.0.113.9"})
            assert unknown.value.status == 404
        with pytest.raises(HttpError) as slowed:
            http(server, "GET", f"/api/codes/{room.code}", headers={"X-Forwarded-For": "203.0.113.9"})
        assert slowed.value.status == 429 and slowed.value.body["error"]["code"] == "rate_limited"
        assert http(server, "GET", f"/api/codes/{room.code}", headers={"X-Forwarded-For": "198.51.100.20"})
        room.close()
    finally:
        server.stop()


def test_the_projector_carries_only_the_group_on_screen(room: Room) -> None:
    people = [room.join(f"Member {i}", organisation=f"Secret Org {i}") for i in range(4)]
    projector = room.watch("projector", token=room.projector_token)
    split = room.command("split_groups", {"strategy": "random", "groups": 2})["result"]["split_id"]
    posed = room.command("pose_questions", {"split_id": split, "questions": [{"prompt": "Needs?"}]})
    qs = posed["result"]["question_set_id"]
    groups = room.view()["groups"]["split"]["groups"]
    by_id = {p.participant_id: p for p in people}
    for g in groups:
        writer = by_id[g["members"][0]["id"]]
        room.command("add_contribution", {"question_set_id": qs, "group_id": g["id"], "question_id": "q1",
                                          "text": f"Answer of {g['id']}"}, token=writer.token)  # fmt: skip
    room.command("set_sheet_visibility", {"question_set_id": qs, "visibility": "all"})
    projector.wait(lambda d: "report_back" in d and d["counts"]["joined"] == 4, what="a projector snapshot")
    assert projector.data["report_back"] is None  # nothing reported back: no sheets on the wall
    shown = groups[0]
    room.command("show_report_back", {"question_set_id": qs, "group_id": shown["id"]})
    rb = projector.wait(lambda d: d["report_back"], what="the report-back on the projector")
    assert [g["id"] for g in rb["groups"]] == [shown["id"]]
    text = repr(projector.data)
    assert f"Answer of {shown['id']}" in text and f"Answer of {groups[1]['id']}" not in text
    assert "Secret Org" not in repr(rb) and "author" not in text
