"""The connection guards under the app (server/transport.py), on a real uvicorn server in this process: a header
deadline, caps per address and in all, and ``too_large`` before 1009 for frames uvicorn itself refuses."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from websockets.sync.client import connect

from server import transport
from server.services import Settings
from tests.e2e.conftest import free_port


async def _hello(request: Any) -> PlainTextResponse:
    return PlainTextResponse("hello")


async def _echo(ws: WebSocket) -> None:
    await ws.accept()
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
        await ws.send_text(message.get("text") or "")


APP = Starlette(routes=[Route("/", _hello), WebSocketRoute("/ws", _echo)])


def _wait(condition: Any, what: str, timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@contextlib.contextmanager
def _serving(ws_max_size: int = 1 << 20, **settings: Any) -> Iterator[int]:
    previous = transport.limits
    transport.configure(Settings(**settings))
    port = free_port()
    config = uvicorn.Config(APP, host="127.0.0.1", port=port, log_level="error", lifespan="off",
                            http=transport.GuardedHttpProtocol, ws=transport.GuardedWebSocketProtocol,
                            ws_max_size=ws_max_size)  # fmt: skip
    server = uvicorn.Server(config)
    _SERVERS[port] = server
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        _wait(lambda: server.started, "the server to start")
        yield port
    finally:
        server.should_exit = True
        thread.join(10)
        transport.limits = previous
        _SERVERS.pop(port, None)


_SERVERS: dict[int, uvicorn.Server] = {}  # port -> the server _serving runs there (to look at its connections)


def _closed_by_server(sock: socket.socket, timeout: float = 10) -> bytes:
    """Everything the server sent until it closed the connection (fails if it does not within ``timeout``)."""
    sock.settimeout(timeout)
    received = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(4096):
            received += chunk
    return received


def _get(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return _closed_by_server(s)


def test_a_connection_that_does_not_finish_its_headers_is_closed() -> None:
    with _serving(handshake_timeout=0.3) as port, socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n")  # and nothing more
        assert _closed_by_server(s) == b""
        assert _get(port).startswith(b"HTTP/1.1 200")  # a request sent at once is served


def test_connections_past_the_per_address_cap_get_503_and_a_closed_one_frees_its_place() -> None:
    with _serving(connections_per_address=2, trusted_proxies=()) as port:
        held = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
        _wait(lambda: transport.open_connections("127.0.0.1") == 2, "two connections counted")
        refused = _get(port)
        assert refused.startswith(b"HTTP/1.1 503") and b"from this address" in refused
        held.pop().close()
        _wait(lambda: transport.open_connections("127.0.0.1") == 1, "the closed one released")
        with connect(f"ws://127.0.0.1:{port}/ws") as ws:  # a websocket counts, and is released when closed
            ws.send("hi")
            assert ws.recv(5) == "hi"
            assert _get(port).startswith(b"HTTP/1.1 503")
        _wait(lambda: transport.open_connections("127.0.0.1") == 1, "the websocket released")
        assert _get(port).startswith(b"HTTP/1.1 200")
        for s in held:
            s.close()


def test_a_trusted_proxy_is_not_capped_by_address_but_every_connection_counts_in_all() -> None:
    with _serving(connections_per_address=1, max_connections=3) as port:  # 127.0.0.1 is trusted by default
        held = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
        _wait(lambda: transport.open_connections() == 3, "three connections counted")
        refused = _get(port)
        assert refused.startswith(b"HTTP/1.1 503") and b"too many connections" in refused
        for s in held:
            s.close()
        _wait(lambda: transport.open_connections() == 0, "all released")
        assert _get(port).startswith(b"HTTP/1.1 200")


def test_a_frame_too_large_to_read_gets_too_large_before_1009() -> None:
    with _serving(ws_max_size=1000, max_message_bytes=500) as port, connect(f"ws://127.0.0.1:{port}/ws") as ws:
        ws.send("x" * 2000)
        error = json.loads(ws.recv(5))
        assert error["type"] == "error" and error["code"] == "too_large" and "500 bytes" in error["message"]
        with contextlib.suppress(Exception):
            ws.recv(5)
        assert ws.close_code == 1009


def test_a_trusted_proxy_range_is_not_capped_by_address() -> None:
    # A proxy in a container network changes address: it is named by its network's range, as uvicorn matches it.
    with _serving(connections_per_address=1, trusted_proxies=("127.0.0.0/8",)) as port:
        held = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
        _wait(lambda: transport.open_connections() == 2, "two connections counted")
        assert _get(port).startswith(b"HTTP/1.1 200")
        for s in held:
            s.close()


def test_the_connection_cap_counts_an_ipv6_slash_64_as_one_address_and_ipv4_mapped_as_ipv4() -> None:
    previous = transport.limits
    transport.configure(Settings(connections_per_address=1, max_connections=100))
    peers = [SimpleNamespace(get_extra_info=lambda _name, host=host: (host, 1)) for host in
             ("2001:db8:7:8::1", "2001:db8:7:8::2", "2001:db8:7:9::1", "::ffff:192.0.2.5", "192.0.2.5")]  # fmt: skip
    try:
        refusals = [transport._admit(peer) for peer in peers]  # type: ignore[arg-type]
        assert [r is None for r in refusals] == [True, False, True, True, False]
        assert transport.open_connections("2001:db8:7:8::abcd") == 1
    finally:
        for peer in peers:
            transport._release(peer)  # type: ignore[arg-type]
        transport.limits = previous


def test_the_first_requests_header_deadline_runs_from_the_connection_not_from_its_first_byte() -> None:
    with _serving(handshake_timeout=60) as port, socket.create_connection(("127.0.0.1", port)) as s:
        server = _SERVERS[port]
        protocol = _wait(lambda: next(iter(server.server_state.connections), None), "the connection")
        armed = protocol._deadline.when()
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n")  # the request begins, its headers trickle
        _wait(lambda: protocol.headers, "the first header parsed")
        # Not re-armed when the request began: a client cannot get a second full timeout for one early byte.
        assert protocol._deadline is not None and protocol._deadline.when() == armed
