"""The write path: one thread commits queued commands in batches (group commit) and hands the outcomes back.

While one batch commits, the next one queues up, so under load a single transaction carries many commands without
any artificial delay. A command's future resolves only after its batch is durably committed and the views have
applied its events.

Several processes on one PostgreSQL store: while another process is seen writing (a gap between our batches'
positions), each batch holds its workshops' advisory locks from loading to commit (``server/stores.py``), so that
processes voting in one poll take turns instead of conflicting, replaying the poll and running batches again. A
turn then carries up to ``SHARED_BATCHES`` times ``max_batch`` commands, taken from the queue again once the locks
are held: the lock's round trips and the wait for the other processes' turns are paid once for everything queued
meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from domain.application import Command, Outcome, Tavolo
from domain.errors import DomainError
from server.stores import WriteLocks

log = logging.getLogger("tavolo.writer")

_STOP = object()
SHARED_FOR = 30.0  # seconds to keep locking after another process's write was last seen
SHARED_BATCHES = 4  # while locking, a batch may carry this many times max_batch: one lock turn for the whole backlog


class _Job:
    """Work to run in the writer thread between batches (``Writer.call``)."""

    def __init__(self, work: Callable[[], Any], future: asyncio.Future[Any]) -> None:
        self.work, self.future = work, future


class Writer:
    def __init__(
        self,
        app: Tavolo,
        loop: asyncio.AbstractEventLoop,
        on_committed: Callable[[list[Outcome], Any], None],
        max_batch: int = 64,
        prepare: Callable[[list[Outcome]], Any] | None = None,
    ) -> None:
        self._app = app
        self._loop = loop
        self._on_committed = on_committed
        self._prepare = prepare  # in this thread after each commit; its result goes to on_committed (store reads)
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="tavolo-writer", daemon=True)
        self.batches = 0
        self.commands = 0
        self._locks = WriteLocks.for_store(app.recorder)
        self._last_own = 0  # the last position this writer committed
        self._shared_until = 0.0  # another process wrote recently: lock workshops until then

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout=30)

    async def submit(self, command: Command) -> Outcome:
        future: asyncio.Future[Outcome] = self._loop.create_future()
        self._queue.put((command, future))
        return await future

    async def call(self, work: Callable[[], Any]) -> Any:
        """Run ``work`` in the writer thread after every command queued before it, alone (a workshop's purge)."""
        future: asyncio.Future[Any] = self._loop.create_future()
        self._queue.put(_Job(work, future))
        return await future

    def _run(self) -> None:
        held: object = None
        while True:
            first, held = (held, None) if held is not None else (self._queue.get(), None)
            if first is _STOP:
                return
            if isinstance(first, _Job):
                self._run_job(first)
                continue
            batch: list[Any] = [first]
            limit = self._max_batch * (SHARED_BATCHES if self.shared else 1)
            held = self._take(batch, limit)
            release = self._lock([c for c, _ in batch])
            if release is not None and held is None:
                # What arrived while another process had its turn goes in this one, not a turn later; up to the
                # first command for a workshop not locked (a conflict on it would run the whole batch again).
                locked = {c.workshop_id for c, _ in batch}
                held = self._take(batch, limit, locked)
            commands: list[Command] = [c for c, _ in batch]
            try:
                outcomes = self._app.execute(commands)
            except Exception:  # execute() reports domain and store errors itself; this is a bug
                log.exception("batch failed")
                error = DomainError("internal error; nothing was applied", code="internal_error")
                outcomes = [Outcome(c, error=error) for c in commands]
            finally:
                if release is not None:
                    release()
            self._watch(outcomes)
            self.batches += 1
            self.commands += len(commands)
            futures: list[asyncio.Future[Outcome]] = [f for _, f in batch]
            prepared = self._prepare(outcomes) if self._prepare is not None else None
            self._loop.call_soon_threadsafe(self._deliver, futures, outcomes, prepared)

    def _take(self, batch: list[Any], limit: int, workshops: set[Any] | None = None) -> object:
        """Move queued commands into ``batch`` up to ``limit`` (and, given ``workshops``, up to the first command
        for another workshop; commands for none, such as creating one, go along). What stopped it (a stop, a job,
        that command) is returned, to be handled after the batch, first."""
        while len(batch) < limit:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return None
            if item is _STOP or isinstance(item, _Job):
                return item
            workshop_id = item[0].workshop_id
            if workshops is not None and workshop_id is not None and workshop_id not in workshops:
                return item
            batch.append(item)
        return None

    def _run_job(self, job: _Job) -> None:
        try:
            result, error = job.work(), None
        except Exception as e:
            result, error = None, e
        self._loop.call_soon_threadsafe(_settle, job.future, result, error)

    def _lock(self, commands: list[Command]) -> Callable[[], None] | None:
        if self._locks is None or time.monotonic() > self._shared_until:
            return None
        return self._locks.acquire(c.workshop_id for c in commands if c.workshop_id is not None)

    def _watch(self, outcomes: list[Outcome]) -> None:
        """Another process writes to the store if our batch's positions do not follow our previous batch's (one
        transaction's positions are consecutive: the recorder locks the table)."""
        own = [position for o in outcomes for position, _ in o.events]
        if not own:
            return
        if self._last_own and min(own) != self._last_own + 1:
            self._shared_until = time.monotonic() + SHARED_FOR
        self._last_own = max(own)

    @property
    def shared(self) -> bool:
        """Whether another process has been seen writing lately (batches then hold workshop locks)."""
        return time.monotonic() <= self._shared_until

    def _deliver(self, futures: list[asyncio.Future[Outcome]], outcomes: list[Outcome], prepared: Any) -> None:
        try:
            self._on_committed(outcomes, prepared)
        finally:
            for future, outcome in zip(futures, outcomes, strict=True):
                if not future.done():
                    future.set_result(outcome)


def _settle(future: asyncio.Future[Any], result: Any, error: Exception | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
