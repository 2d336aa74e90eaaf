"""The write path: one thread commits queued commands in batches (group commit) and hands the outcomes back.

While one batch commits, the next one queues up, so under load a single transaction carries many commands without
any artificial delay. A command's future resolves only after its batch is durably committed and the views have
applied its events.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from domain.application import Command, Outcome, Tavolo
from domain.errors import DomainError

log = logging.getLogger("tavolo.writer")

_STOP = object()


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

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout=30)

    async def submit(self, command: Command) -> Outcome:
        future: asyncio.Future[Outcome] = self._loop.create_future()
        self._queue.put((command, future))
        return await future

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    self._queue.put(_STOP)
                    break
                batch.append(item)
            commands = [c for c, _ in batch]  # type: ignore[misc]
            try:
                outcomes = self._app.execute(commands)
            except Exception:  # execute() reports domain and store errors itself; this is a bug
                log.exception("batch failed")
                error = DomainError("internal error; nothing was applied", code="internal_error")
                outcomes = [Outcome(c, error=error) for c in commands]
            self.batches += 1
            self.commands += len(commands)
            futures = [f for _, f in batch]  # type: ignore[misc]
            prepared = self._prepare(outcomes) if self._prepare is not None else None
            self._loop.call_soon_threadsafe(self._deliver, futures, outcomes, prepared)

    def _deliver(self, futures: list[asyncio.Future[Outcome]], outcomes: list[Outcome], prepared: Any) -> None:
        try:
            self._on_committed(outcomes, prepared)
        finally:
            for future, outcome in zip(futures, outcomes, strict=True):
                if not future.done():
                    future.set_result(outcome)
