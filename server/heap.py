"""Short garbage-collector pauses with thousands of sockets open.

CPython's cyclic collector runs a *full* collection whenever the objects that survived into its oldest generation
have grown by a quarter since the last one, and a full collection walks every tracked object of the process. With
5,000 participants connected that is over a million objects, and one full collection held the event loop for up to
300 ms: every push, ack and dashboard frame waited behind it (docs/benchmarks.md, "5,000 connected").

``HeapKeeper`` takes the full collections over. Once a second it collects what is not frozen and then moves the
survivors to the collector's permanent generation (``gc.freeze()``), so each collection walks about one second's
worth of new objects instead of the whole heap; the collector's own full collections are switched off meanwhile
(its young generations are collected as before). Frozen objects are still freed by reference counting the moment
nothing refers to them. What the collector no longer sees is frozen objects that became garbage *in a cycle* (a
closed socket's task and its exception, say): those are reclaimed by a *compaction*, which unfreezes everything
and collects it once. A compaction walks the whole heap, so it waits for a quiet moment (no command on this process
and no new event in its views for ``quiet`` seconds, the last compaction ``every`` seconds old) and runs anyway
after ``at_most`` seconds: cyclic garbage cannot pile up for longer than that however busy the room is.

``tavolo serve --no-heap-freeze`` leaves the collector as CPython sets it; either way the time each full collection
holds the process is measured (``/metrics``: ``tavolo_gc_full_collection_seconds``).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("tavolo.heap")

NO_AUTOMATIC_FULL = 1 << 30  # a third threshold no count reaches: the collector never starts a full collection

_holders = 0  # keepers installed in this process (tests run several apps); the last one out restores the collector
_thresholds: tuple[int, int, int] | None = None
_holding = threading.Lock()  # each test app's lifespan runs in a thread of its own


class HeapKeeper:
    def __init__(
        self,
        quiet: float = 2.0,
        every: float = 120.0,
        at_most: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
        on_full: Callable[[float], None] | None = None,
        freeze: bool = True,
        activity: Callable[[], object] | None = None,
    ) -> None:
        self.quiet, self.every, self.at_most, self.clock = quiet, every, at_most, clock
        self.freeze = freeze  # False: only measure the collector's own full collections
        self.on_full = on_full  # the seconds each full collection held the process (metrics)
        # Something that changes when the process does work it did not get a command for (the views' position:
        # other processes' commits, folded here and pushed to this process's sockets).
        self.activity = activity
        self._seen: object = activity() if activity is not None else None
        self.last_busy = float("-inf")
        self.compacted_at = clock()
        self.compactions = 0
        self.installed = False
        self._started: float | None = None
        self._task: asyncio.Task[None] | None = None

    def install(self) -> None:
        """Take over the full collections (``collect`` and ``compact`` from now on run them), and time them."""
        global _holders, _thresholds
        if self.installed:
            return
        gc.callbacks.append(self._timed)
        self.installed = True
        if not self.freeze:
            return
        with _holding:
            if _holders == 0:
                _thresholds = gc.get_threshold()
                gc.set_threshold(_thresholds[0], _thresholds[1], NO_AUTOMATIC_FULL)
            _holders += 1

    def uninstall(self) -> None:
        global _holders
        if not self.installed:
            return
        gc.callbacks.remove(self._timed)
        self.installed = False
        if not self.freeze:
            return
        with _holding:
            _holders -= 1
            if _holders == 0 and _thresholds is not None:
                gc.set_threshold(*_thresholds)
                gc.unfreeze()  # the next full collection sees everything again

    def start(self, every: float = 1.0) -> None:
        """``install``, then ``tick`` every ``every`` seconds on the running loop."""
        self.install()
        if self.freeze:
            self._task = asyncio.get_running_loop().create_task(self._run(every), name="tavolo-heap")

    async def stop(self) -> None:
        try:
            if self._task is not None:
                self._task.cancel()
                await asyncio.gather(self._task, return_exceptions=True)
        finally:
            self.uninstall()  # even if stop() itself is cancelled: the collector is handed back

    def busy(self) -> None:
        """A command arrived: not a quiet moment."""
        self.last_busy = self.clock()

    def due(self) -> bool:
        """Is a compaction due?"""
        now = self.clock()
        age = now - self.compacted_at
        return age >= self.at_most or (age >= self.every and now - self.last_busy >= self.quiet)

    def tick(self) -> None:
        if self.activity is not None:
            seen = self.activity()
            if seen != self._seen:
                self._seen = seen
                self.busy()
        if self.due():
            self.compact()
        else:
            self.collect()

    def collect(self) -> int:
        """Collect what is not frozen, freeze the survivors; the number of unreachable objects found."""
        found = gc.collect()
        gc.freeze()
        return found

    def compact(self) -> int:
        """Unfreeze, collect everything, freeze the survivors; the number of unreachable objects found."""
        started = time.perf_counter()
        gc.unfreeze()
        found = self.collect()
        self.compacted_at = self.clock()
        self.compactions += 1
        if log.isEnabledFor(logging.DEBUG):  # counting the frozen objects walks them all
            log.debug("heap compacted in %.0f ms: %d unreachable objects, %d frozen",
                      (time.perf_counter() - started) * 1000, found, gc.get_freeze_count())  # fmt: skip
        return found

    async def _run(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                self.tick()
            except Exception:  # never leave the collector without its full collections
                log.exception("heap keeping failed; trying again in %s s", every)

    def _timed(self, phase: str, info: dict[str, Any]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started is not None:
            if self.on_full is not None:
                self.on_full(time.perf_counter() - self._started)
            self._started = None
