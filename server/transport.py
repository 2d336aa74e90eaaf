"""Connection-level guards under the ASGI app: uvicorn's HTTP and websocket protocols, with what they lack.

- A request's headers (a websocket's handshake) must arrive within ``--handshake-timeout``: a client that opens a
  connection and trickles or stops sending its headers is closed, instead of holding a descriptor forever. For the
  first request the deadline runs from the connection's start (one byte of request line does not restart it).
- At most ``--connections-per-address`` open connections from one address (an IPv6 /64 counts as one; the
  ``--trusted-proxy`` addresses and ranges are not capped: the proxy caps its clients), and at most
  ``--max-connections`` in all: beyond, a ``503`` and the connection is closed. The process keeps descriptors in
  reserve for its store and logs.
- A websocket frame too large for uvicorn to read (over ``ws_max_size``) gets the documented ``too_large`` error
  before the 1009 close, as smaller oversized frames do from the app.
- The app may close a websocket whose writes are blocked (a client that does not read) through the scope's
  ``tavolo.abort`` extension: the close frame is written at once and the socket dropped soon after.

Uvicorn builds these protocols itself (``uvicorn.Config(http=…, ws=…)``), in every worker: the limits are module
state set by :func:`configure` from the settings, in ``tavolo serve`` and in each worker's app factory.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import resource
from dataclasses import dataclass, field
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode

from server import addresses, protocol

log = logging.getLogger("tavolo.transport")

ABORT_AFTER = 5.0  # seconds a closed socket may keep unsent bytes for a peer that does not read
DESCRIPTOR_RESERVE = 64  # descriptors kept for the store, the keys, logs: not given to connections


@dataclass
class Limits:
    handshake_timeout: float = 5.0
    connections_per_address: int = 1000
    trusted: addresses.Trusted = field(default_factory=lambda: addresses.Trusted(addresses.LOOPBACK))
    max_connections: int = 0  # 0: from the process's descriptor limit
    max_message_bytes: int = 64 * 1024


limits = Limits()
_by_address: collections.Counter[str] = collections.Counter()
_counted: dict[int, str] = {}  # id(transport) -> the address it is counted under
_open: set[int] = set()  # id(transport) of every open connection


def configure(settings: Any) -> None:
    """Take the limits from ``server.services.Settings``."""
    global limits
    limits = Limits(
        handshake_timeout=settings.handshake_timeout,
        connections_per_address=settings.connections_per_address,
        trusted=addresses.Trusted(settings.trusted_proxies),
        max_connections=settings.max_connections,
        max_message_bytes=settings.max_message_bytes,
    )


def max_connections() -> int:
    """The configured cap, else the descriptor limit less a reserve (never below 1)."""
    if limits.max_connections:
        return limits.max_connections
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(1, soft - DESCRIPTOR_RESERVE) if soft != resource.RLIM_INFINITY else 1 << 30


def open_connections(address: str | None = None) -> int:
    """Open connections in this process (from ``address``'s bucket, if given): for tests and metrics."""
    return len(_open) if address is None else _by_address[addresses.key(address)]


def _admit(transport: asyncio.BaseTransport) -> str | None:
    """Count a new connection; the reason to refuse it, or None."""
    if len(_open) >= max_connections():
        return "too many connections"
    _open.add(id(transport))
    peer = transport.get_extra_info("peername")
    host = str(peer[0]) if isinstance(peer, tuple) and peer else None
    if host is None or host in limits.trusted:
        return None
    host = addresses.key(host)  # an IPv6 /64 is one address
    if _by_address[host] >= limits.connections_per_address:
        return "too many connections from this address"
    _by_address[host] += 1
    _counted[id(transport)] = host
    return None


def _release(transport: asyncio.BaseTransport) -> None:
    _open.discard(id(transport))
    host = _counted.pop(id(transport), None)
    if host is not None:
        _by_address[host] -= 1
        if _by_address[host] <= 0:
            del _by_address[host]


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header deadline and connection caps."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._first = True  # the first request's headers are due within the timeout of the connection's start
        refusal = _admit(transport)
        if refusal is not None:
            self.logger.warning("refused a connection from %s: %s", self.client and self.client[0], refusal)
            body = refusal.encode() + b"\n"
            transport.write(b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n"
                            b"retry-after: 5\r\nconnection: close\r\ncontent-length: " + str(len(body)).encode()
                            + b"\r\n\r\n" + body)  # fmt: skip
            transport.close()
            return
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(limits.handshake_timeout, self._headers_late)

    def _disarm(self) -> None:
        if getattr(self, "_deadline", None) is not None:
            self._deadline.cancel()  # type: ignore[union-attr]
            self._deadline = None

    def _headers_late(self) -> None:
        self._deadline = None
        if not self.transport.is_closing() and self.transport.get_protocol() is self:
            self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._first:
            # Keep the deadline armed at connect: re-arming here would let a client send one byte just before it
            # and get a second full timeout for the rest of its headers.
            self._first = False
        else:
            self._arm()  # the next request on a kept-alive connection: its headers are due too

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        _release(self.transport)
        super().connection_lost(exc)


class GuardedWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets protocol that says ``too_large`` before 1009, and lets the app abort a stuck socket."""

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        if getattr(self, "scope", None) is not None:
            self.scope["extensions"]["tavolo.abort"] = self.abort  # type: ignore[assignment]

    def abort(self, code: int, reason: str, last: str | None = None) -> None:
        """Close now, after ``last`` (a text frame), even though writes may be blocked, and stop reading: a flood
        still arriving is not parsed (uvicorn would read and drop it for 10 s, on the event loop). The close frame
        goes after what is already buffered; the socket is dropped after ``ABORT_AFTER`` seconds if the peer
        still does not read."""
        if self.close_sent or self.transport.is_closing():
            return
        if last is not None:
            self.conn.send_text(last.encode())
        self.conn.send_close(code, reason)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        self.queue.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})
        self.writable.set()  # the app's blocked send fails now instead of waiting for a reader
        self.transport.close()
        self.loop.call_later(ABORT_AFTER, self.transport.abort)

    def handle_parser_exception(self) -> None:
        close = self.conn.close_sent
        if close is not None and close.code == 1009:
            error = protocol.error("too_large", f"a frame may have at most {limits.max_message_bytes} bytes")
            self.transport.write(Frame(Opcode.TEXT, json.dumps(error).encode()).serialize(mask=False))
        super().handle_parser_exception()

    def connection_lost(self, exc: Exception | None) -> None:
        _release(self.transport)
        super().connection_lost(exc)
