"""What one websocket may cost the server (docs/security.md#websocket-floods): every frame is rate-limited, replies
waiting for a client that does not read are bounded (then 4008), pongs never queue up nor pass acks, a socket that
does not say hello is closed, and a join retried with another token is refused as over HTTP."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

from server.cli import build_parser, settings_from
from server.services import Settings
from server.sockets import CLOSE_NOT_READING, PONGS_KEPT, Connection
from tests.server import support
from tests.server.support import PROFILE, Room


def test_the_connection_options_become_the_settings() -> None:
    args = build_parser().parse_args(
        ["serve", "--frames-per-second", "7", "--frame-burst", "9", "--outbox-frames", "11", "--outbox-bytes", "999",
         "--hello-timeout", "2.5", "--handshake-timeout", "3", "--connections-per-address", "4",
         "--max-connections", "300", "--trusted-proxy", "10.0.0.1"]
    )  # fmt: skip
    s = settings_from(args)
    assert (s.frames_per_second, s.frame_burst, s.outbox_frames, s.outbox_bytes) == (7.0, 9, 11, 999)
    assert (s.hello_timeout, s.handshake_timeout, s.connections_per_address) == (2.5, 3.0, 4)
    assert (s.max_connections, s.trusted_proxies) == (300, ("10.0.0.1",))
    d = settings_from(build_parser().parse_args(["serve"]))
    assert (d.frames_per_second, d.frame_burst, d.outbox_frames, d.outbox_bytes) == (50.0, 200, 1000, 1 << 20)
    assert (d.hello_timeout, d.handshake_timeout, d.max_connections) == (5.0, 5.0, 0)
    assert d.trusted_proxies == ("127.0.0.1", "::1")


def test_pings_past_the_frame_limit_are_refused_then_the_socket_is_closed() -> None:
    with support.running(frames_per_second=1, frame_burst=5) as client:
        room = Room(client)
        with room.peer(room.facilitator) as peer:
            for t in range(20):
                peer.send({"type": "ping", "t": t})
            assert peer.wait_closed().code == 1008
            refusals = [m for m in peer.messages if m.get("code") == "rate_limited"]
            assert len(refusals) == 2 and "closing" in refusals[-1]["message"]  # one per run, then the last word
            assert len([m for m in peer.messages if m["type"] == "pong"]) <= 5


def test_frames_of_an_unknown_type_count_against_the_frame_limit_too() -> None:
    with support.running(frames_per_second=1, frame_burst=3) as client:
        room = Room(client)
        with room.peer(room.facilitator) as peer:
            for _ in range(20):
                peer.send({"type": "nonsense"})
            assert peer.wait_closed().code == 1008
            assert [m["code"] for m in peer.messages if m["type"] == "error"].count("bad_message") <= 3


def test_a_socket_that_does_not_say_hello_is_closed() -> None:
    with support.running(hello_timeout=0.2) as client:
        room = Room(client)
        with room.peer() as silent, room.peer(room.facilitator) as greeted:
            assert silent.wait_closed().code == 4408
            assert silent.messages[-1]["code"] == "hello_timeout" and "hello" in silent.messages[-1]["message"]
            assert greeted.silent(0.4) and greeted.closed is None  # said hello in time: stays open


def test_a_join_retried_with_another_token_is_refused_on_a_websocket_as_over_http(room: Room) -> None:
    with room.peer() as first, room.peer() as thief:
        first.hello()
        joined = first.acked("join", {**PROFILE, "token": "a" * 43}, "join-shared-id")
        thief.hello()
        answer = thief.run("join", {**PROFILE, "token": "b" * 43}, "join-shared-id")
        assert answer["type"] == "error" and answer["code"] == "token_in_use"
        assert joined["result"]["participant_id"] not in json.dumps(answer)
        again = first.run("join", {**PROFILE, "token": "a" * 43}, "join-shared-id")  # the real retry still works
        assert again["type"] == "ack" and again["duplicate"] is True
        http = support.post_json(room.client, "/api/join", {"id": "join-shared-id", "code": room.code, **PROFILE,
                                                            "token": "b" * 43})  # fmt: skip
        support.assert_error(http, "token_in_use")


# The outbox, with a socket that never takes what it is sent (a client that does not read).


class _StuckSocket:
    """A websocket whose sends block until ``released`` (as a full TCP window does), recording what went out."""

    def __init__(self) -> None:
        self.released = asyncio.Event()
        self.sent: list[Any] = []
        self.aborted: list[tuple[int, str]] = []
        self.closed: tuple[int, str] | None = None
        self.client = ("203.0.113.9", 4242)
        self.scope = {"extensions": {"tavolo.abort": lambda code, reason, last: self.aborted.append((code, reason))}}

    async def send_text(self, frame: str) -> None:
        await self.released.wait()
        self.sent.append(json.loads(frame))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed = (code, reason)


def _connection(ws: _StuckSocket, **settings: Any) -> Connection:
    workshop_id = uuid4()
    hub = SimpleNamespace(models={workshop_id: object()})
    return Connection(ws, SimpleNamespace(hub=hub, settings=Settings(**settings)), workshop_id)  # type: ignore[arg-type]


def test_replies_past_the_outbox_bound_close_a_socket_that_does_not_read() -> None:
    async def scenario() -> tuple[Connection, _StuckSocket, _StuckSocket]:
        by_frames, by_bytes = _StuckSocket(), _StuckSocket()
        frames = _connection(by_frames, outbox_frames=10)
        sized = _connection(by_bytes, outbox_bytes=2000)
        pumps = [asyncio.create_task(c._pump()) for c in (frames, sized)]
        for i in range(50):
            frames.send({"type": "error", "code": "bad_message", "message": f"#{i}"})
            sized.send({"type": "error", "code": "bad_message", "message": "x" * 300})
        for pump in pumps:
            pump.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)
        return frames, by_frames, by_bytes

    connection, by_frames, by_bytes = asyncio.run(scenario())
    assert by_frames.aborted == [(CLOSE_NOT_READING, "not reading")] == by_bytes.aborted
    assert len(connection.outbox) == 0 and connection.outbox_bytes == 0  # dropped, not kept for a client gone


def test_acks_go_before_pongs_and_only_the_newest_pongs_wait() -> None:
    async def scenario() -> list[Any]:
        ws = _StuckSocket()
        connection = _connection(ws)
        for t in range(100):
            await connection._handle(json.dumps({"type": "ping", "t": t}))
        connection.send({"type": "ack", "id": "vote-1", "position": 1, "result": {}, "duplicate": False})
        pump = asyncio.create_task(connection._pump())
        ws.released.set()
        for _ in range(100):
            if len(ws.sent) == 1 + PONGS_KEPT:
                break
            await asyncio.sleep(0)
        pump.cancel()
        await asyncio.gather(pump, return_exceptions=True)
        return ws.sent

    sent = asyncio.run(scenario())
    expected = [("ack", "vote-1"), *(("pong", t) for t in range(100 - PONGS_KEPT, 100))]
    assert [(m["type"], m.get("id", m.get("t"))) for m in sent] == expected


def test_a_request_naming_what_this_process_does_not_know_reads_the_store_first(room: Room) -> None:
    """``--workers N``: the workshop or token another worker created a moment ago is read before answering."""
    from server.app import _unknown_here

    services = room.client.app.state.services  # type: ignore[attr-defined]
    participant = room.join()

    def unknown(path: str, token: str | None = None) -> bool:
        headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
        return _unknown_here(services, {"type": "http", "path": path, "headers": headers})

    # Join codes are read by their handlers, after the address's look-up limit (test_door.py: unknown codes over the
    # limit cost no store read), never before it here.
    assert not unknown("/api/codes/ZZZZZZ") and not unknown("/j/ZZZZZZ")
    assert not unknown(f"/api/workshops/{room.id}/views/dashboard", room.facilitator)
    assert not unknown(f"/w/{room.id}/me", participant["participant_token"])
    assert unknown(f"/api/workshops/{uuid4()}/views/dashboard") and unknown(f"/w/{uuid4()}/dashboard")
    assert unknown(f"/api/workshops/{room.id}/commands", "t" * 43)  # a token joined elsewhere
    assert not unknown("/api/workshops") and not unknown("/healthz")
