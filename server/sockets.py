"""The websocket endpoint: authenticate, subscribe to a view, run commands. No domain logic here.

Everything a connection sends goes through one pump task, so frames never interleave and a view frame is rendered
only when the socket is ready for it (the newest state, never a backlog).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
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
CLOSE_TOO_BIG = 1009
CLOSE_DELETED = 4404  # the workshop was deleted: do not reconnect


class Connection:
    def __init__(self, ws: WebSocket, services: Services, workshop_id: UUID) -> None:
        self.ws, self.services, self.workshop_id = ws, services, workshop_id
        self.hub = services.hub
        self.actor = Actor(ANONYMOUS)
        self.token_hash = ""  # of a facilitator or projector link: refused once the link is rotated
        self.encoding: protocol.Encoding = "json"
        self.watcher: Watcher | None = None
        self.outbox: collections.deque[dict[str, Any]] = collections.deque()
        self.wake = asyncio.Event()
        self.limiter = RateLimiter(services.settings.commands_per_second, services.settings.command_burst)
        self.closing: tuple[int, str] | None = None
        self.busy = 0  # commands waiting for their outcome

    async def serve(self) -> None:
        pump = asyncio.get_running_loop().create_task(self._pump())
        try:
            while self.closing is None:
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                await self._handle(message.get("text") if message.get("text") is not None else message.get("bytes"))
        except WebSocketDisconnect:
            pass
        finally:
            self._unwatch()
            if self.closing is not None:
                self.wake.set()
                with contextlib.suppress(asyncio.TimeoutError, Exception):
                    await asyncio.wait_for(asyncio.shield(pump), timeout=2)
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)

    async def _handle(self, data: str | bytes | None) -> None:
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
            self.encoding = encoding
            if self.services.follower is not None and authenticate(self.hub.models[self.workshop_id],
                                                                   message.token) is None:  # fmt: skip
                await self.services.follower.fresh()  # joined through another process a moment ago?
            if self.workshop_id in self.hub.models:
                self._hello(message)
        elif isinstance(message, protocol.Ping):
            self.send({"type": "pong", "t": message.t, "server_time": _now_ms()})
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
        refusal = self.services.throttled(self.workshop_id) if self.limiter.allow() else "too many commands; slow down"
        if refusal is None and message.name == "join" and self.actor.role == ANONYMOUS:
            # Joins are counted per address too: one client must not fill a room by opening many sockets.
            address = self.ws.client.host if self.ws.client else None
            if self.services.address_wait("join", address) is not None:
                refusal = "too many joins from this address; retry in a moment"
        if refusal is not None:
            self.send(protocol.error("rate_limited", refusal, message.id))
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
        self.outbox.append(message)
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
                    if self.outbox:
                        frame = protocol.encode(self.outbox.popleft(), self.encoding)
                    elif self.watcher is not None:
                        frame = self.hub.next_frame(self.watcher, self.encoding)
                    else:
                        frame = None
                    if frame is None:
                        if self.watcher is not None and self.watcher.revoked and self.closing is None:
                            if self.watcher.token_hash:  # a facilitator's or projector's rotated link
                                replaced = protocol.error("unauthorized", "this link was replaced by a new one")
                                self.outbox.append(replaced)
                                self.closing = (CLOSE_POLICY, "unauthorized")
                            else:
                                self.outbox.append(protocol.error("not_joined", "you are no longer in this workshop"))
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
