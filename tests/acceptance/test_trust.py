"""README, "Trust": what was acknowledged survives a crash (kill -9 tested mid-vote); retries never count twice."""

from __future__ import annotations

import contextlib
import functools
import json
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from bench.flood_bench import Flooder, rss_mb
from domain.application import Tavolo
from domain.polls import Poll
from domain.tokens import new_token
from server.stores import store_env
from tests.acceptance.support import HttpError, Room, http, open_single_choice_poll, wait_for
from tests.e2e.conftest import Server, free_port, start_server
from tests.server.archive_attack import link_rotated, rows_of, stored_row, with_row


def _voters(room: Room, n: int) -> list[str]:
    return [room.join(f"Voter {i}", country="IT" if i % 2 else "PL").token for i in range(n)]


def test_every_acked_ballot_survives_a_kill_9_of_the_server_mid_vote(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path}/tavolo.db"
    server = start_server(store, tmp_path / "server.log")
    try:
        room = Room.create(server, "Crash mid-vote")
        tokens = _voters(room, 6)
        poll = open_single_choice_poll(room, "Where next?", ["Graz", "Bologna"], secret=True)
        acked = [room.command("cast_ballot", {"poll_id": poll, "answer": "o1" if i < 4 else "o2"}, token=t)
                 for i, t in enumerate(tokens)]  # fmt: skip
        assert all(a["type"] == "ack" for a in acked)
        server.process.kill()  # SIGKILL: no shutdown, no flush
        server.process.wait()
    finally:
        server.stop()
    again = start_server(store, tmp_path / "server.log")
    try:
        after = Room(again, room.workshop_id, room.code, room.facilitator_token, room.projector_token, room.created)
        polls = after.view("dashboard")["polls"]
        assert polls[poll]["turnout"]["voted"] == 6
        counts = {o["id"]: o["count"] for o in polls[poll]["results"][0]["options"]}
        assert counts == {"o1": 4, "o2": 2}
    finally:
        again.stop()


def test_a_retried_command_id_never_counts_twice(room: Room) -> None:
    [token] = _voters(room, 1)
    poll = open_single_choice_poll(room, "Lunch?", ["Yes", "No"])
    # A phone on flaky Wi-Fi sends the same command (same id) three times; a join is retried too.
    acks = [room.command("cast_ballot", {"poll_id": poll, "answer": "o1"}, token=token, command_id="vote-1")
            for _ in range(3)]  # fmt: skip
    assert [a["duplicate"] for a in acks] == [False, True, True]
    assert len({a["position"] for a in acks}) == 1
    created = room.command("add_agenda_item", {"title": "Welcome", "kind": "plenary"}, command_id="item-1")
    retried = room.command("add_agenda_item", {"title": "Welcome", "kind": "plenary"}, command_id="item-1")
    assert retried["duplicate"] and retried["result"] == created["result"]
    view = room.view("dashboard")
    assert view["polls"][poll]["turnout"]["voted"] == 1
    assert view["polls"][poll]["results"][0]["respondents"] == 1
    assert [i["title"] for i in view["agenda"]] == ["Welcome"]


ROOT = Path(__file__).parents[2]


def _tavolo(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m server.cli …` as a user runs `tavolo …`."""
    import os

    return subprocess.run(
        [sys.executable, "-m", "server.cli", *argv], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def test_an_edited_export_cannot_take_over_another_workshops_facilitator_link(tmp_path: Path) -> None:
    """An attacker's own export, edited to carry one more row (a LinkRotated for the victim's workshop with its
    next version and the attacker's token), is refused by `tavolo import` naming the row; after a restart the
    victim's link still opens their dashboard and the attacker's does not."""
    own = start_server(f"sqlite:///{tmp_path}/attacker.db", tmp_path / "attacker.log")  # the attacker's laptop
    try:
        attacker = Room.create(own, title="Attacker")
        attacker.join("Mallory")
        export = http(own, "GET", f"/api/workshops/{attacker.workshop_id}/events.tavolo",
                      token=attacker.facilitator_token)  # fmt: skip
    finally:
        own.stop()
    store = f"sqlite:///{tmp_path}/tavolo.db"
    server = start_server(store, tmp_path / "server.log")
    try:
        victim = Room.create(server, title="Victim")
    finally:
        server.stop()
    app = Tavolo(store_env(store))
    version = app.repository.get(UUID(victim.workshop_id)).version
    app.close()
    evil = new_token()
    edited = tmp_path / "edited.tavolo"
    edited.write_bytes(with_row(export, link_rotated(UUID(victim.workshop_id), version + 1, evil)))
    done = _tavolo("import", "--store", store, "--allow-unsigned", str(edited))
    assert done.returncode == 2, done.stderr
    assert "foreign_event: row 4:" in done.stderr and "imported" not in done.stderr
    assert "Traceback" not in done.stderr

    server = start_server(store, tmp_path / "server2.log")
    try:
        victim.server = server
        assert victim.view("dashboard")["workshop"]["title"] == "Victim"
        with pytest.raises(HttpError) as refused:
            victim.view("dashboard", token=evil)
        assert refused.value.status in (401, 403)
    finally:
        server.stop()


def test_a_signed_export_imports_only_where_its_key_is_given(tmp_path: Path) -> None:
    """`tavolo serve --export-key` signs the dashboard's export; `tavolo import` with the same key takes it, without
    the key it refuses (unless told --allow-unsigned, and says what was not verified), with a changed byte it
    refuses."""
    server = start_server(f"sqlite:///{tmp_path}/a.db", tmp_path / "server.log", "--export-key", "shared secret")
    try:
        room = Room.create(server, title="Signed")
        room.join("Ana")
        export = http(server, "GET", f"/api/workshops/{room.workshop_id}/events.tavolo", token=room.facilitator_token)
    finally:
        server.stop()
    path = tmp_path / "w.tavolo"
    path.write_bytes(export)
    unsigned = _tavolo("import", "--store", f"sqlite:///{tmp_path}/b.db", str(path))
    assert unsigned.returncode == 2 and "unsigned" in unsigned.stderr
    taken = _tavolo("import", "--store", f"sqlite:///{tmp_path}/b.db", "--allow-unsigned", str(path))
    assert taken.returncode == 0 and "not verified" in taken.stderr
    changed = bytearray(export)
    changed[-1] ^= 1
    path.write_bytes(bytes(changed))
    key = {"TAVOLO_EXPORT_KEY": "shared secret"}
    refused = _tavolo("import", "--store", f"sqlite:///{tmp_path}/c.db", str(path), env=key)
    assert refused.returncode == 2 and "bad_signature" in refused.stderr
    path.write_bytes(export)
    verified = _tavolo("import", "--store", f"sqlite:///{tmp_path}/c.db", str(path), env=key)
    assert verified.returncode == 0 and "not verified" not in verified.stderr, verified.stderr


def test_nan_and_infinity_in_a_timer_or_rotation_are_refused_as_invalid_args_without_an_error_logged(
    room: Room,
) -> None:
    """JSON's NaN and Infinity reach the server as floats: each numeric argument refuses them with `invalid_args`
    (they used to give a 500 and an ERROR with a traceback in the log); the workshop goes on."""
    room.join("Ana")
    room.join("Bo")
    room.command("start_timer", {"seconds": 60})
    for name, args in (
        ("start_timer", {"seconds": float("nan")}),
        ("extend_timer", {"seconds": float("inf")}),
        ("create_rotation", {"table_size": 2, "rounds": 2, "round_seconds": float("-inf")}),
    ):
        with pytest.raises(HttpError) as refused:
            room.command(name, args)
        assert refused.value.status == 422 and refused.value.body["error"]["code"] == "invalid_args", name
    assert room.command("extend_timer", {"seconds": 30})["type"] == "ack"
    log = room.server.log.read_text()
    assert "Traceback" not in log and "internal error" not in log
    wait_for(lambda: room.view()["timer"], what="the timer still running")


@contextlib.contextmanager
def _trust_server(tmp_path: Path, *options: str) -> Iterator[Server]:
    server = start_server(f"sqlite:///{tmp_path}/trust.db", tmp_path / "server.log", *options)
    try:
        yield server
    finally:
        server.stop()


def _trust_address(server: Server) -> tuple[str, int]:
    host, port = server.url.removeprefix("http://").split(":")
    return host, int(port)


def _trust_closed(sock: socket.socket, timeout: float = 15) -> bytes:
    """What the server sent before closing the connection; fails if it stays open past ``timeout``."""
    sock.settimeout(timeout)
    received = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(4096):
            received += chunk
    return received


def test_a_websocket_flooding_pings_is_closed_and_the_server_memory_stays_bounded(tmp_path: Path) -> None:
    """docs/security.md#websocket-floods: the flood of the report (an anonymous socket that never reads and streams
    pings) is closed with 1008, the server grows by less than 40 MB, and a voter's commands are still acked."""
    with _trust_server(tmp_path) as server:
        room = Room.create(server)
        public = http(server, "GET", f"/api/codes/{room.code}")
        voter = room.join("Vera")
        before = rss_mb(server.process.pid)
        flooder = Flooder(server.url, public["workshop_id"])
        flooder.run(3)  # or until the server drops the socket
        assert flooder.close_code() == 1008
        assert rss_mb(server.process.pid) - before < 40
        url = server.url.replace("http", "ws", 1) + f"/ws/{room.workshop_id}"
        with connect(url, open_timeout=10) as ws:
            ws.send(json.dumps({"type": "hello", "token": voter.token}))
            ws.send(json.dumps({"type": "command", "id": "after-flood", "name": "update_profile",
                                "args": {"name": "Vera B."}}))  # fmt: skip
            answer = wait_for(lambda: next(m for m in map(json.loads, iter(lambda: ws.recv(10), None))
                                           if m.get("id") == "after-flood"), what="the ack")  # fmt: skip
            assert answer["type"] == "ack"


def test_a_websocket_that_never_says_hello_is_closed_within_the_hello_timeout(tmp_path: Path) -> None:
    with _trust_server(tmp_path, "--hello-timeout", "1") as server:
        room = Room.create(server)
        url = server.url.replace("http", "ws", 1) + f"/ws/{room.workshop_id}"
        with connect(url, open_timeout=10) as ws:  # answers pings (the library does), never says hello
            error = json.loads(ws.recv(15))
            assert error["code"] == "hello_timeout" and "hello" in error["message"]
            with pytest.raises(ConnectionClosed):
                ws.recv(15)
            assert ws.close_code == 4408


def test_a_connection_that_never_finishes_its_headers_is_closed_within_the_handshake_timeout(tmp_path: Path) -> None:
    with _trust_server(tmp_path, "--handshake-timeout", "1") as server:
        with socket.create_connection(_trust_address(server)) as half_open:
            half_open.sendall(b"GET /ws/x HTTP/1.1\r\nHost: tavolo\r\nUpgrade: websocket\r\n")
            assert _trust_closed(half_open) == b""
        assert http(server, "GET", "/healthz")


def test_connections_past_the_per_address_cap_are_refused_with_503(tmp_path: Path) -> None:
    # Loopback is a trusted proxy by default (nginx on the same host): name another one, so 127.0.0.1 is capped.
    options = ("--connections-per-address", "3", "--trusted-proxy", "192.0.2.1", "--handshake-timeout", "60")
    with _trust_server(tmp_path, *options) as server:
        held = [socket.create_connection(_trust_address(server)) for _ in range(3)]
        with socket.create_connection(_trust_address(server)) as fourth:
            fourth.sendall(b"GET /healthz HTTP/1.1\r\nHost: tavolo\r\n\r\n")
            refused = _trust_closed(fourth)
        assert refused.startswith(b"HTTP/1.1 503") and b"too many connections from this address" in refused
        held.pop().close()
        assert wait_for(lambda: _healthz_answers(server), what="a place freed by a closed connection")
        for s in held:
            s.close()


def _healthz_answers(server: Server) -> bool:
    with contextlib.suppress(Exception):
        return bool(http(server, "GET", "/healthz"))
    return False


def test_a_frame_too_large_to_read_is_answered_too_large_then_closed_1009(room: Room) -> None:
    """Over 1 MiB uvicorn refuses the frame itself: the documented `too_large` still comes before the 1009."""
    client = Flooder(room.server.url, room.workshop_id)  # a raw socket: the error is read even after a reset
    client.protocol.send_text(json.dumps({"type": "command", "id": str(uuid.uuid4()), "name": "add_agenda_item",
                                          "args": {"title": "x" * (2 << 20), "kind": "plenary"}}).encode())  # fmt: skip
    with contextlib.suppress(OSError):  # the server stops reading the frame after its header
        client.sock.sendall(b"".join(client.protocol.data_to_send()))
    assert client.close_code() == 1009
    errors = [json.loads(text) for text in client.texts if json.loads(text)["type"] == "error"]
    assert [e["code"] for e in errors] == ["too_large"]


def test_several_workers_answer_what_another_worker_just_created(tmp_path: Path, postgres_url: str) -> None:
    """`tavolo serve --workers 2` (no broker): a workshop created, a person joined through one worker are known at
    once to the other (the request reads the store first), and the connection guards run in every worker."""
    server = start_server(postgres_url, tmp_path / "server.log", "--workers", "2", "--hello-timeout", "1")
    try:
        room = Room.create(server)
        url = server.url.replace("http", "ws", 1) + f"/ws/{room.workshop_id}"
        for i in range(8):  # each request lands on either worker
            person = room.join(f"Worker test {i}")
            with connect(url, open_timeout=10) as ws:
                ws.send(json.dumps({"type": "hello", "token": person.token}))
                assert json.loads(ws.recv(10))["type"] == "welcome"
        for _ in range(4):
            with connect(url, open_timeout=10) as ws:
                assert json.loads(ws.recv(10))["code"] == "hello_timeout"  # no hello within 1 s, in either worker
    finally:
        server.stop()


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


def test_an_export_with_another_aggregates_event_appended_is_refused_and_the_organiser_key_is_not_guessable(
    tmp_path: Path,
) -> None:
    """A ``Poll.Closed`` appended to the workshop's own stream is refused by ``tavolo import`` naming the row (it
    used to import, then the workshop failed to load); and a server with an organiser key answers ``429`` after ten
    wrong keys from one address."""
    server = start_server(f"sqlite:///{tmp_path}/a.db", tmp_path / "a.log", "--organiser-key", "a-long-organiser-key")
    try:
        headers = {"X-Tavolo-Organiser-Key": "a-long-organiser-key"}
        body = {"title": "Ours", "date": "2026-11-22", "language": "en"}
        made = http(server, "POST", "/api/workshops", body, headers=headers)
        wid, token = made["workshop_id"], made["facilitator_token"]
        export = http(server, "GET", f"/api/workshops/{wid}/events.tavolo", token=token)
        for n in range(10):
            with pytest.raises(HttpError) as wrong:
                http(server, "GET", "/api/workshops", headers={"X-Tavolo-Organiser-Key": f"guess-{n}"})
            assert wrong.value.status == 403
        with pytest.raises(HttpError) as limited:
            http(server, "GET", "/api/workshops", headers=headers)
        assert limited.value.status == 429 and limited.value.body["error"]["code"] == "rate_limited"
    finally:
        server.stop()
    version = sum(1 for row in rows_of(export)[1] if UUID(bytes=row[1]) == UUID(wid))
    closed = Poll.Closed(  # type: ignore[call-arg]
        originator_id=UUID(wid), originator_version=version + 1, timestamp=datetime.now(UTC), command_id="x", eligible=0
    )
    path = tmp_path / "edited.tavolo"
    path.write_bytes(with_row(export, stored_row(closed)))
    done = _tavolo("import", "--store", f"sqlite:///{tmp_path}/b.db", "--allow-unsigned", str(path))
    assert done.returncode == 2 and "foreign_event: row" in done.stderr and "Poll.Closed" in done.stderr, done.stderr


def test_a_forged_first_forwarded_address_through_a_trusted_proxy_range_does_not_escape_the_join_limit(
    tmp_path: Path,
) -> None:
    # This process plays nginx appending the real client address to what the client wrote (the most a proxy that
    # appends can do); the proxy is named by a range, as in docs/deploy/compose.yaml, for both the forwarded
    # address and the connection cap.
    server = start_server(f"sqlite:///{tmp_path}/t.db", tmp_path / "server.log", "--trusted-proxy", "127.0.0.0/8",
                          "--address-join-burst", "3", "--address-joins-per-second", "0.01",
                          "--connections-per-address", "1", "--handshake-timeout", "60")  # fmt: skip
    try:
        room = Room.create(server)
        sector = room.sectors()[0]
        accepted, waits = 0, []
        for i in range(10):
            forged = f"10.9.9.{i}, 203.0.113.50"  # the client's own entry first, the address nginx saw last
            try:
                _join_as(server, room.code, sector, forged, f"Forger {i}")
                accepted += 1
            except HttpError as refused:
                assert refused.status == 429 and refused.body["error"]["code"] == "rate_limited"
                waits.append(refused.body["error"]["details"]["retry_after"])
        assert accepted == 3 and len(waits) == 7 and min(waits) >= 1
        _join_as(server, room.code, sector, "10.9.9.1, 198.51.100.30", "A real person")  # another client: in
        # The proxy's own connections are not capped by address (the range matches its address).
        held = [socket.create_connection(_trust_address(server)) for _ in range(3)]
        assert http(server, "GET", "/healthz")
        for s in held:
            s.close()
        room.close()
    finally:
        server.stop()
