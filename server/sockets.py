"""The websocket endpoint: authenticate, subscribe to a view, run commands. No domain logic here.

Everything a connection sends goes through one pump task, so frames never interleave and a view frame is rendered
only when the socket is ready for it (the newest state, never a backlog).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import time
from typing import Any
from uuid import UUID

from starlette.websockets import WebSocket, WebSocketDisconnect

from domain.application import Command
from domain.commands import ANONYMOUS, FACILITATOR, PARTICIPANT, PROJECTOR, Actor
from domain.tokens import hash_token
from server import protocol
from server.auth import authenticate, may_watch, origin_allowed
from server.hub import Watcher
from server.services import RateLimiter, Services

log = logging.getLogger("tavolo.sockets")

CLOSE_POLICY = 1008
PONGS_KEPT = 6  # unsent pongs kept per connection, the newest (a ping flood cannot queue more)
CLOSE_TOO_BIG = 1009
CLOSE_DELETED = 4404  # the workshop was deleted: do not reconnect
CLOSE_HELLO_TIMEOUT = 4408  # no hello in time: not final (a phone on a bad network reconnects), unlike 1008
CLOSE_NOT_READING = 4008  # replies piled up past the outbox's bound: the client does not read (it may reconnect)
ABORT_EXTENSION = "tavolo.abort"  # set by server.transport: close a socket whose writes are blocked


class Connection:
    def __init__(self, ws: WebSocket, services: Services, workshop_id: UUID) -> None:
        self.ws, self.services, self.workshop_id = ws, services, workshop_id
        self.hub = services.hub
        self.actor = Actor(ANONYMOUS)
        self.token_hash = ""  # of a facilitator or projector link: refused once the link is rotated
        self.encoding: protocol.Encoding = "json"
        self.watcher: Watcher | None = None
        # Replies (acks, errors, welcome) encoded when queued, so their size is known: a client that does not
        # read is closed when they exceed the bound, instead of growing the server's memory. Pongs are never
        # queued behind them: only the newest PONGS_KEPT unsent ones are kept (a client's clock takes five samples
        # 200 ms apart after its welcome: each must be answered even while a large snapshot is being written), and
        # they go after the replies.
        self.outbox: collections.deque[str | bytes] = collections.deque()
        self.outbox_bytes = 0
        self.pongs: collections.deque[str | bytes] = collections.deque(maxlen=PONGS_KEPT)
        self.wake = asyncio.Event()
        settings = services.settings
        self.limiter = RateLimiter(settings.commands_per_second, settings.command_burst)
        self.frames = RateLimiter(settings.frames_per_second, settings.frame_burst)  # every frame, any type
        self.refused = 0  # frames refused in a row by `frames`
        self.closing: tuple[int, str] | None = None
        self.busy = 0  # commands waiting for their outcome
        self.greeted = False  # a hello arrived (welcomed or refused): no hello deadline any more
        self.handling = False
        self.hello_due: asyncio.TimerHandle | None = None
        self.dropping = False  # closed at once (a flood, a client that does not read): nothing more is queued

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        pump = loop.create_task(self._pump())
        self.hello_due = loop.call_later(self.services.settings.hello_timeout, self._hello_due)
        try:
            while self.closing is None:
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                await self._handle(message.get("text") if message.get("text") is not None else message.get("bytes"))
        except WebSocketDisconnect:
            pass
        finally:
            if self.hello_due is not None:
                self.hello_due.cancel()
            self._unwatch()
            if self.closing is not None:
                self.wake.set()
                with contextlib.suppress(asyncio.TimeoutError, Exception):
                    await asyncio.wait_for(asyncio.shield(pump), timeout=2)
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)

    def _hello_due(self) -> None:
        """A socket that has not said hello in time is closed: half-open sockets hold no descriptor for long."""
        if self.handling:  # a frame (maybe the hello) is being handled: a slow store is not the client's fault
            self.hello_due = asyncio.get_running_loop().call_later(1.0, self._hello_due)
            return
        if not self.greeted and self.closing is None:
            timeout = self.services.settings.hello_timeout
            self.send(protocol.error("hello_timeout", f"no hello within {timeout:g} s"))
            self.closing = (CLOSE_HELLO_TIMEOUT, "no hello")

    def _throttled(self) -> bool:
        """Every frame costs a token, whatever its type: a client sending faster is refused (one ``rate_limited``
        error per run of refused frames), and closed (1008) when it goes on for another burst's worth."""
        if self.frames.allow():
            self.refused = 0
            return False
        self.refused += 1
        if self.refused == 1:
            self.send(protocol.rate_limited("too many frames; slow down", self.frames.wait()))
        elif self.refused > self.services.settings.frame_burst and self.closing is None:
            self._close_now(CLOSE_POLICY, "too many frames", protocol.error("rate_limited", "too many frames; closing"))
        return True

    async def _handle(self, data: str | bytes | None) -> None:
        if self._throttled():
            return
        self.handling = True
        try:
            await self._handle_frame(data)
        finally:
            self.handling = False

    async def _handle_frame(self, data: str | bytes | None) -> None:
        try:
            obj, encoding = protocol.decode_frame(data or b"", self.services.settings.max_message_bytes)
            message = protocol.parse(obj)
        except protocol.ProtocolError as e:
            self.send(protocol.error(e.code, e.message, e.command_id))
            if e.code == "too_large":
                self.closing = (CLOSE_TOO_BIG, "message too big")
            return
        if self.workshop_id not in self.hub.models:
            self.workshop_deleted()
        elif isinstance(message, protocol.Hello):
            self.greeted = True
            self.encoding = encoding
            if self.services.follower is not None and authenticate(self.hub.models[self.workshop_id],
                                                                   message.token) is None:  # fmt: skip
                await self.services.follower.fresh()  # joined through another process a moment ago?
            if self.workshop_id in self.hub.models:
                self._hello(message)
        elif isinstance(message, protocol.Ping):
            pong = {"type": "pong", "t": message.t, "server_time": _now_ms()}
            self.pongs.append(protocol.encode(pong, self.encoding))
            self.wake.set()
        else:
            await self._command(message)

    def _hello(self, hello: protocol.Hello) -> None:
        model = self.hub.models[self.workshop_id]
        actor = authenticate(model, hello.token)
        if actor is None:
            self.send(protocol.error("unauthorized", "unknown token, or no longer a participant"))
            self.closing = (CLOSE_POLICY, "unauthorized")
            return
        if hello.view is not None and not may_watch(actor, hello.view):
            self.send(protocol.error("forbidden", f"a {actor.role} may not watch the {hello.view} view"))
            return
        self._unwatch()
        self.actor = actor
        self.send(
            {
                "type": "welcome",
                "workshop_id": str(self.workshop_id),
                "role": actor.role,
                "participant_id": actor.participant_id,
                "server_time": _now_ms(),
            }
        )
        if actor.role == PARTICIPANT and actor.participant_id:
            self.hub.connected(self.workshop_id, actor.participant_id)
        self.token_hash = hash_token(hello.token) if hello.token and actor.role in (FACILITATOR, PROJECTOR) else ""
        if hello.view is not None:
            self.watcher = Watcher(self.workshop_id, hello.view, actor.participant_id, self.wake.set)
            self.watcher.token_hash = self.token_hash
            self.hub.watch(self.watcher)

    async def _command(self, message: protocol.CommandMsg) -> None:
        refusal, wait = None, 1.0
        if message.name == "join" and self.actor.role == ANONYMOUS:
            # Joins are counted per address too: one client must not fill a room by opening many sockets. Checked
            # first, so a join this address may not make does not spend the room's command budget.
            address = self.ws.client.host if self.ws.client else None
            address_wait = self.services.address_wait("join", address)
            if address_wait is not None:
                refusal, wait = "too many joins from this address; retry in a moment", address_wait
        if refusal is None:
            if not self.limiter.allow():
                refusal, wait = "too many commands; slow down", self.limiter.wait()
            else:
                refusal = self.services.throttled(self.workshop_id)
        if refusal is not None:
            self.send(protocol.rate_limited(refusal, wait, message.id))
            return
        model = self.hub.models[self.workshop_id]
        if self.token_hash and self.token_hash not in (model.facilitator_token_hash,
                                                                       model.projector_token_hash):  # fmt: skip
            self.send(protocol.error("unauthorized", "this link was replaced by a new one", message.id))
            self.closing = (CLOSE_POLICY, "unauthorized")
            return
        command = Command(message.id, message.name, message.args, self.workshop_id, self.actor)
        self.busy += 1
        try:
            outcome = await self.services.run(command)
        finally:
            self.busy -= 1
        if self.workshop_id not in self.hub.models:  # this command deleted it, or another one meanwhile
            if outcome.error is None:
                self.send(self.services.ack(outcome))
            self.workshop_deleted()
            return
        if outcome.error is not None:
            details = getattr(outcome.error, "details", None)
            self.send(protocol.error(outcome.error.code, outcome.error.message, message.id, details))
        elif self.services.foreign_join(outcome, message.args.get("token")):
            self.send(protocol.error("token_in_use", "this token does not belong to the participant of that join",
                                     message.id))  # fmt: skip
        else:
            self.send(self.services.ack(outcome))

    def workshop_deleted(self) -> None:
        """Say so and close (the hub already dropped this workshop's watchers). A command of this connection's
        still waiting for its outcome closes it after sending its ack (which the deleting command's is)."""
        if self.busy:
            return
        if self.closing is None:
            self.send(protocol.error("not_found", "this workshop was deleted"))
            self.closing = (CLOSE_DELETED, "workshop deleted")
        self.watcher = None
        self.actor = Actor(ANONYMOUS)
        self.wake.set()

    def send(self, message: dict[str, Any]) -> None:
        if self.dropping:
            return
        frame = protocol.encode(message, self.encoding)
        self.outbox.append(frame)
        self.outbox_bytes += len(frame)
        settings = self.services.settings
        if len(self.outbox) > settings.outbox_frames or self.outbox_bytes > settings.outbox_bytes:
            self._not_reading()
        self.wake.set()

    def _not_reading(self) -> None:
        """Drop what waits and close with 4008. The pump may be stuck on a write the client never reads, so the
        transport (server/transport.py) sends the close frame itself and drops the socket soon after."""
        log.info("closing a websocket that does not read (%s)", self.ws.client)
        self._close_now(CLOSE_NOT_READING, "not reading")

    def _close_now(self, code: int, reason: str, last: dict[str, Any] | None = None) -> None:
        """Close without waiting for the pump or reading on (a flood, a client that does not read): what waits is
        dropped, ``last`` goes out just before the close frame."""
        self.outbox.clear()
        self.outbox_bytes = 0
        self.pongs.clear()
        self.closing = (code, reason)
        self.dropping = True
        self._unwatch()  # no view frames either
        abort = self.ws.scope.get("extensions", {}).get(ABORT_EXTENSION)
        if abort is not None:
            abort(code, reason, json.dumps(last) if last is not None else None)
        elif last is not None:  # no transport underneath (tests): the pump sends it, then closes
            self.outbox.append(protocol.encode(last, "json"))
        self.wake.set()

    def _unwatch(self) -> None:
        if self.watcher is not None:
            self.hub.unwatch(self.watcher)
            self.watcher = None
        if self.actor.role == PARTICIPANT and self.actor.participant_id:
            self.hub.disconnected(self.workshop_id, self.actor.participant_id)
            self.actor = Actor(ANONYMOUS)

    async def _pump(self) -> None:
        try:
            while True:
                await self.wake.wait()
                self.wake.clear()
                while True:
                    frame: str | bytes | None
                    if self.outbox:
                        frame = self.outbox.popleft()
                        self.outbox_bytes -= len(frame)
                    elif self.pongs:
                        frame = self.pongs.popleft()
                    elif self.watcher is not None:
                        frame = self.hub.next_frame(self.watcher, self.encoding)
                    else:
                        frame = None
                    if frame is None:
                        if self.watcher is not None and self.watcher.revoked and self.closing is None:
                            if self.watcher.token_hash:  # a facilitator's or projector's rotated link
                                self.send(protocol.error("unauthorized", "this link was replaced by a new one"))
                                self.closing = (CLOSE_POLICY, "unauthorized")
                            else:
                                self.send(protocol.error("not_joined", "you are no longer in this workshop"))
                                self.closing = (CLOSE_POLICY, "no longer a participant")
                            continue
                        break
                    if isinstance(frame, str):
                        await self.ws.send_text(frame)
                    else:
                        await self.ws.send_bytes(frame)
                if self.closing is not None:
                    await self.ws.close(*self.closing)
                    return
        except (WebSocketDisconnect, RuntimeError, OSError):
            return  # the peer went away; the receive loop ends too
        except Exception:
            log.exception("failed to send to a websocket; closing it")
            with contextlib.suppress(Exception):
                await self.ws.close(1011, "server error")


async def websocket_endpoint(ws: WebSocket) -> None:
    services: Services = ws.app.state.services
    await ws.accept()
    if not origin_allowed(ws.headers, services.settings):
        # Accepted first so the browser sees the documented close code, not a failed handshake it would retry.
        await ws.send_text(protocol.encode(protocol.error("forbidden", "origin not allowed"), "json"))  # type: ignore[arg-type]
        await ws.close(CLOSE_POLICY, "origin not allowed")
        return
    model = services.model(ws.path_params["workshop_id"])
    if model is None and services.follower is not None:
        await services.follower.fresh()  # created through another process a moment ago?
        model = services.model(ws.path_params["workshop_id"])
    if model is None:
        await ws.send_text(protocol.encode(protocol.error("not_found", "no such workshop"), "json"))  # type: ignore[arg-type]
        deleted = str(ws.path_params["workshop_id"]) in {str(w) for w in services.hub.gone}
        await ws.close(*((CLOSE_DELETED, "workshop deleted") if deleted else (CLOSE_POLICY, "no such workshop")))
        return
    connection = Connection(ws, services, model.id)
    services.sockets.add(connection)
    try:
        await connection.serve()
    finally:
        services.sockets.discard(connection)


def _now_ms() -> int:
    return int(time.time() * 1000)
