"""Following the store: this process's views also fold what other processes commit (several ``tavolo serve`` on
one PostgreSQL store).

The hub applies events strictly in notification-id order and skips any id at or below its position, so the one
rule is: never apply an id before every earlier committed id has been read. eventsourcing's PostgreSQL recorder
takes ``LOCK TABLE … IN EXCLUSIVE MODE`` in every inserting transaction, so ids are issued and become visible in
commit order: once id N is visible, every committed id below N is visible too, and a hole below N is an id whose
transaction rolled back (a conflict re-run by ``Tavolo.execute``) that will never appear. Reading "everything after
my position" is therefore always safe, and a hole is passed over at once instead of waited for.

The follower reads after its position when a Redis hint says a newer position exists, when the broker reconnects
(hints may have been lost), when a commit of ours was ambiguous, and every ``interval`` seconds regardless: Redis
only makes it faster. Store reads run in a worker thread; folding runs on the event loop, like every other fold.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from domain.application import Outcome, Tavolo
from domain.poll_commands import after_commit
from server.hub import Hub

log = logging.getLogger("tavolo.follow")


class Follower:
    def __init__(self, app: Tavolo, hub: Hub, interval: float = 1.0, page: int = 2000) -> None:
        self.app, self.hub, self.interval, self.page = app, hub, interval, page
        self.head = 0  # the highest position any hint announced
        self.store_ok = True
        self.store_errors = 0
        self.caught_up_at = time.monotonic()  # the last read that reached the end of the log
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._reading: asyncio.Task[None] | None = None
        self._warned_at = 0.0

    def hint(self, position: int) -> None:
        """Another process committed up to ``position``."""
        self.head = max(self.head, position)
        if position > self.hub.position:
            self._wake.set()

    def nudge(self) -> None:
        self._wake.set()

    @property
    def lag(self) -> int:
        """Events announced but not yet folded here (0 when none is known to be missing)."""
        return max(0, self.head - self.hub.position)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="tavolo-follower")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
            await self.catch_up()

    async def fresh(self) -> None:
        """Read the store now (a client asked for something this process may not have folded yet: a workshop or
        a participant another process just created). Concurrent callers share one read."""
        if self._reading is None or self._reading.done():
            self._reading = asyncio.get_running_loop().create_task(self.catch_up())
        await asyncio.shield(self._reading)

    async def catch_up(self) -> None:
        while True:
            try:
                events = await asyncio.to_thread(self.read, self.hub.position + 1)
            except Exception as e:
                self._failed(e)
                return
            self.store_ok = True
            self.hub.apply(events)
            if len(events) < self.page:
                self.caught_up_at = time.monotonic()
                return

    def read(self, start: int, stop: int | None = None) -> list[tuple[int, Any]]:
        """Committed events from ``start`` (to ``stop``), mapped; runs in a worker thread."""
        notifications = self.app.recorder.select_notifications(start, self.page, stop=stop)
        events = [(n.id, self.app.mapper.to_domain_event(n)) for n in notifications]
        # Another process closed a secret poll: drop any copy of its key here too (the shared store's row is gone).
        after_commit((e for _, e in events), self.app.keys)
        return events

    def before_delivery(self, outcomes: list[Outcome]) -> list[tuple[int, Any]] | None:
        """In the writer thread, after a commit: the events other processes committed between our position and
        our own new events, so that the hub folds them first (it never goes back below its position). None if
        they could not be read: then our own events must wait for the follower too."""
        own = [position for o in outcomes for position, _ in o.events]
        start = self.hub.position + 1
        if not own or min(own) <= start:
            return []
        earlier: list[tuple[int, Any]] = []
        try:
            while start < min(own):
                page = self.read(start, min(own) - 1)
                if not page:
                    break
                earlier += page
                start = page[-1][0] + 1
        except Exception as e:
            self._failed(e)
            return None
        return earlier

    def _failed(self, error: Exception) -> None:
        self.store_ok = False
        self.store_errors += 1
        now = time.monotonic()
        if now - self._warned_at > 10:
            self._warned_at = now
            log.warning("could not read the store (%s: %s); retrying", type(error).__name__, error)
