"""Redis pub/sub between Tavolo processes: a hint that something new was committed, never the source of truth.

After each commit a process publishes one small msgpack message per workshop it wrote to, on the channel
``{prefix}:{workshop_id}``: ``{"p": last position, "o": origin}``. Every process listens on ``{prefix}:*`` with one
PubSub reader and, on a message from another process, asks its follower (``server/follow.py``) to read the store
after its own position. So ordering always comes from the store's notification ids, a lost message only delays an
update until the follower's next poll, and a process without Redis still converges (shared/EVENTSOURCING-NOTES.md).

One publisher task drains a coalescing buffer (latest position per workshop) with one pipeline per wake-up: no
``await publish()`` in request handlers (which exhausts the connection pool under load, shared/REALTIME-NOTES.md).

The same channels carry presence (server/presence.py): ``{"on": [participant ids], "o": origin}``, the full list of
who is connected to this process, per workshop, at most once a second when it changed and every ``HEARTBEAT``
seconds while it is not empty.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from uuid import UUID

import msgpack
import redis.asyncio as redis
from redis.exceptions import RedisError

from server.presence import HEARTBEAT

log = logging.getLogger("tavolo.broker")

DEFAULT_PREFIX = "tavolo"


def parse_broker_url(url: str) -> tuple[str, str]:
    """``redis://host:port/db?prefix=NAME`` → (the URL redis-py accepts, the channel prefix)."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise ValueError(f"unknown broker URL {url!r}: use redis://host:6379/0")
    query = parse_qsl(parts.query, keep_blank_values=True)
    prefix = next((v for k, v in query if k == "prefix"), DEFAULT_PREFIX) or DEFAULT_PREFIX
    rest = [(k, v) for k, v in query if k != "prefix"]
    return urlunsplit(parts._replace(query=urlencode(rest))), prefix


class RedisBroker:
    """Publishes commit hints and hands other processes' hints to ``on_hint(position)``."""

    def __init__(
        self,
        url: str,
        on_hint: Callable[[int], None],
        on_error: Callable[[], None] = lambda: None,
        on_reconnect: Callable[[], None] = lambda: None,
    ) -> None:
        self.url, self.prefix = parse_broker_url(url)
        self.origin = uuid.uuid4().hex[:12]  # this process: its own hints need no catch-up
        self.on_hint, self.on_error, self.on_reconnect = on_hint, on_error, on_reconnect
        self.state = "connecting"  # "up" once subscribed, "down" while Redis is unreachable
        self.published = 0
        self.received = 0
        self._pending: dict[UUID, int] = {}
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._warned_at = 0.0
        # Presence: who is connected here (``local_online``), and what to do with another process's list.
        self.local_online: Callable[[UUID], Iterable[str]] | None = None
        self.on_presence: Callable[[UUID, str, list[str]], None] | None = None
        self.on_presence_tick: Callable[[], None] = lambda: None  # once a second: expire the others' old lists
        self._presence_changed: set[UUID] = set()
        self._presence_shared: set[UUID] = set()  # workshops whose list we sent was not empty

    def _client(self) -> redis.Redis:
        # Short timeouts: a Redis that does not answer must not hold a publish or a read for long.
        return redis.Redis.from_url(
            self.url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=5, socket_keepalive=True
        )

    def channel(self, workshop_id: UUID) -> str:
        return f"{self.prefix}:{workshop_id}"

    def publish(self, positions: dict[UUID, int]) -> None:
        """Queue hints (workshop → last committed position); never blocks, never raises."""
        for workshop_id, position in positions.items():
            self._pending[workshop_id] = max(position, self._pending.get(workshop_id, 0))
        if positions:
            self._wake.set()

    def presence_changed(self, workshop_id: UUID) -> None:
        """Who is connected to this process changed in a workshop: share the new list (within a second)."""
        self._presence_changed.add(workshop_id)

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._publisher(), name="tavolo-broker-publish"),
            loop.create_task(self._subscriber(), name="tavolo-broker-subscribe"),
            loop.create_task(self._presence(), name="tavolo-broker-presence"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _down(self, what: str, error: BaseException) -> None:
        self.state = "down"
        self.on_error()
        now = time.monotonic()
        if now - self._warned_at > 10:  # one line per outage, not one per retry
            self._warned_at = now
            log.warning("redis %s failed (%s: %s); following the store until it is back", what, type(error).__name__,
                        error)  # fmt: skip

    async def _publisher(self) -> None:
        client = self._client()
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                pending, self._pending = self._pending, {}
                try:
                    await _send(client, [(self.channel(workshop_id), msgpack.packb({"p": position, "o": self.origin}))
                                         for workshop_id, position in pending.items()])  # fmt: skip
                    self.published += len(pending)
                except (RedisError, OSError) as e:
                    # Dropped, not retried: the other processes' followers poll the store anyway.
                    self._down("publish", e)
                    await asyncio.sleep(0.5)
        finally:
            with contextlib.suppress(Exception):
                await client.aclose()

    def presence_messages(self, heartbeat: bool) -> list[tuple[str, bytes]]:
        """The presence lists to send now: the changed ones, and on a heartbeat every non-empty one."""
        if self.local_online is None:
            return []
        due = self._presence_changed | (self._presence_shared if heartbeat else set())
        self._presence_changed = set()
        messages = []
        for workshop_id in due:
            ids = list(self.local_online(workshop_id))
            if ids:
                self._presence_shared.add(workshop_id)
            elif workshop_id in self._presence_shared:
                self._presence_shared.discard(workshop_id)  # one empty list, then silence
            else:
                continue
            messages.append((self.channel(workshop_id), msgpack.packb({"on": ids, "o": self.origin})))
        return messages

    async def _presence(self, every: float = 1.0) -> None:
        client = self._client()
        last_heartbeat = 0.0
        try:
            while True:
                await asyncio.sleep(every)
                self.on_presence_tick()
                now = time.monotonic()
                heartbeat = now - last_heartbeat >= HEARTBEAT
                if heartbeat:
                    last_heartbeat = now
                messages = self.presence_messages(heartbeat)
                if not messages:
                    continue
                try:
                    await _send(client, messages)
                except (RedisError, OSError) as e:
                    self._down("presence", e)
                    self._presence_changed.update(self._presence_shared)  # all again once Redis is back
        finally:
            with contextlib.suppress(Exception):
                await client.aclose()

    async def _subscriber(self) -> None:
        backoff = 0.2
        while True:
            client = self._client()
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(f"{self.prefix}:*")
                if self.state != "up":
                    log.info("redis subscribed on %s:*", self.prefix)
                self.state, backoff = "up", 0.2
                self.on_reconnect()  # hints may have been missed while we were not subscribed
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is not None:
                        self._handle(message)
            except (RedisError, OSError) as e:
                self._down("subscription", e)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                with contextlib.suppress(Exception):
                    await client.aclose()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    def _handle(self, message: dict[str, Any]) -> None:
        try:
            data = msgpack.unpackb(message["data"])
            origin = data.get("o")
            if "on" in data:
                channel = message["channel"]
                channel = channel.decode() if isinstance(channel, bytes) else str(channel)
                workshop_id, ids = UUID(channel.rpartition(":")[2]), [str(i) for i in data["on"]]
            else:
                position = int(data["p"])
        except Exception:  # not ours or damaged: a hint is only a hint
            return
        self.received += 1
        if origin == self.origin:
            return
        if "on" in data:
            if self.on_presence is not None:
                self.on_presence(workshop_id, str(origin), ids)
        else:
            self.on_hint(position)


async def _send(client: redis.Redis, messages: list[tuple[str, bytes]]) -> None:
    """Publish (channel, payload) pairs in one pipeline: one round trip."""
    async with client.pipeline(transaction=False) as pipe:
        for channel, payload in messages:
            pipe.publish(channel, payload)
        await pipe.execute()
