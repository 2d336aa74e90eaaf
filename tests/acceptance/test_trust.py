"""Trust: what an anonymous client on the network cannot do to the server and the people on it."""

from __future__ import annotations

import contextlib
import json
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from bench.flood_bench import Flooder, rss_mb
from tests.acceptance.support import Room, http, wait_for
from tests.e2e.conftest import Server, start_server


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
