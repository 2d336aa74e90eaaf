"""``server/heap.py``: full garbage collections walk only what is new, frozen cyclic garbage is reclaimed by a
compaction at a quiet moment (and never later than ``at_most``), and the collector is handed back as it was."""

from __future__ import annotations

import asyncio
import gc
import time
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from server.cli import build_parser, settings_from
from server.heap import NO_AUTOMATIC_FULL, HeapKeeper
from tests.server import support
from tests.server.support import Room


class Node:
    """A cycle: only the cyclic collector can free it."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def keeper() -> Iterator[HeapKeeper]:
    k = HeapKeeper()
    k.install()
    try:
        yield k
    finally:
        k.uninstall()


def _tracked(obj: object) -> bool:
    """Does the collector (outside its permanent generation) see ``obj``?"""
    return any(o is obj for o in gc.get_objects())


def test_a_collection_frees_new_cycles_and_freezes_what_survives(keeper: HeapKeeper) -> None:
    garbage = Node()
    gone = weakref.ref(garbage)
    del garbage
    survivor = Node()
    assert _tracked(survivor)
    assert keeper.collect() >= 1 and gone() is None
    assert not _tracked(survivor) and gc.get_freeze_count() > 0  # frozen: the next collections do not walk it


def test_frozen_cycles_wait_for_the_compaction(keeper: HeapKeeper) -> None:
    node = Node()
    keeper.collect()  # node survives, and is frozen
    alive = weakref.ref(node)
    del node
    keeper.collect()
    gc.collect()  # neither the keeper's collections nor a plain one walk the permanent generation
    assert alive() is not None
    assert keeper.compact() >= 1 and alive() is None
    assert keeper.compactions == 1


def test_plain_objects_are_freed_at_once_even_frozen(keeper: HeapKeeper) -> None:
    class Plain:
        pass

    obj = Plain()
    keeper.collect()
    alive = weakref.ref(obj)
    del obj  # no cycle: reference counting frees it, frozen or not
    assert alive() is None


def test_the_collector_starts_no_full_collection_while_a_keeper_is_installed() -> None:
    before = gc.get_threshold()
    first, second = HeapKeeper(), HeapKeeper()
    first.install()
    second.install()
    try:
        assert gc.get_threshold() == (before[0], before[1], NO_AUTOMATIC_FULL)
        first.uninstall()
        assert gc.get_threshold()[2] == NO_AUTOMATIC_FULL  # the other app still relies on it
    finally:
        first.uninstall()
        second.uninstall()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_measuring_only_leaves_the_collector_alone() -> None:
    pauses: list[float] = []
    before = gc.get_threshold()
    k = HeapKeeper(freeze=False, on_full=pauses.append)
    k.install()
    gc.disable()  # only the collections this test asks for
    try:
        assert gc.get_threshold() == before
        gc.collect(0)
        gc.collect(1)
        assert pauses == []  # young collections are not the pauses that matter
        gc.collect()
        assert gc.get_freeze_count() == 0
    finally:
        k.uninstall()
        gc.enable()
    assert len(pauses) == 1 and 0 <= pauses[0] < 60
    gc.collect()
    assert len(pauses) == 1  # uninstalled: no longer measured


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_compaction_waits_for_a_quiet_moment_but_not_forever() -> None:
    clock = Clock()
    k = HeapKeeper(quiet=2, every=120, at_most=600, clock=clock)
    assert not k.due()
    clock.now += 119
    assert not k.due()
    clock.now += 1
    assert k.due()  # old enough, and no command yet
    k.busy()
    clock.now += 1.5
    assert not k.due()  # a command 1.5 s ago: the room is busy
    clock.now += 0.5
    assert k.due()
    for _ in range(480):  # ten minutes of commands without a quiet moment
        clock.now += 1
        k.busy()
    assert k.due()  # at_most: cyclic garbage does not wait longer than this
    calls: list[str] = []
    k.compact = lambda: calls.append("compact") or 0  # type: ignore[method-assign]
    k.collect = lambda: calls.append("collect") or 0  # type: ignore[method-assign]
    k.tick()
    k.compacted_at = clock.now
    k.tick()
    assert calls == ["compact", "collect"]


def test_a_compaction_starts_the_wait_again(keeper: HeapKeeper) -> None:
    clock = Clock()
    keeper.clock, keeper.compacted_at = clock, clock.now
    clock.now += 700
    assert keeper.due()
    keeper.compact()
    assert not keeper.due()
    clock.now += 120
    assert keeper.due()


def test_new_events_in_the_views_are_activity_too() -> None:
    # Other processes' commits, folded here and pushed to this process's sockets: no compaction meanwhile.
    clock, position = Clock(), [0]
    k = HeapKeeper(quiet=2, every=120, clock=clock, activity=lambda: position[0])
    calls: list[str] = []
    k.compact = lambda: calls.append("compact") or 0  # type: ignore[method-assign]
    k.collect = lambda: calls.append("collect") or 0  # type: ignore[method-assign]
    clock.now += 200
    position[0] = 7
    k.tick()
    clock.now += 1
    k.tick()
    assert calls == ["collect", "collect"]  # the position moved a second ago
    clock.now += 1
    k.tick()
    assert calls[-1] == "compact"


def test_the_keeper_ticks_by_itself_and_reclaims_frozen_cycles() -> None:
    async def scenario() -> tuple[int, bool]:
        k = HeapKeeper(at_most=0)  # every tick is a compaction
        k.start(every=0.01)
        try:
            node = Node()
            k.collect()  # frozen
            alive = weakref.ref(node)
            del node
            deadline = time.monotonic() + 10
            while (alive() is not None or k.compactions < 2) and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            return k.compactions, alive() is None
        finally:
            await k.stop()

    compactions, freed = asyncio.run(scenario())
    assert compactions >= 2 and freed
    assert gc.get_freeze_count() == 0 and gc.get_threshold()[2] != NO_AUTOMATIC_FULL


def test_a_failing_tick_is_logged_and_the_next_one_runs(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> int:
        k = HeapKeeper()
        ticks = 0

        def tick() -> None:
            nonlocal ticks
            ticks += 1
            if ticks == 1:
                raise RuntimeError("boom")

        k.tick = tick  # type: ignore[method-assign]
        k.start(every=0.01)
        try:
            deadline = time.monotonic() + 10
            while ticks < 3 and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
        finally:
            await k.stop()
        return ticks

    assert asyncio.run(scenario()) >= 3
    assert "heap keeping failed" in caplog.text


def test_the_serve_option_turns_freezing_off() -> None:
    assert settings_from(build_parser().parse_args(["serve"])).heap_freeze is True
    assert settings_from(build_parser().parse_args(["serve", "--no-heap-freeze"])).heap_freeze is False


def _services(client: Any) -> Any:
    return client.app.state.services


def test_the_server_keeps_the_heap_and_reclaims_closed_sockets() -> None:
    before = gc.get_threshold()
    with support.running() as client:
        services = _services(client)
        assert gc.get_threshold()[2] == NO_AUTOMATIC_FULL
        room = Room(client)
        people = [room.join()["participant_token"] for _ in range(20)]
        peers = [room.peer(token, "participant") for token in people]
        connections = [weakref.ref(c) for c in services.sockets]
        assert len(connections) == 20
        services.heap.collect()  # the open sockets' objects are frozen
        quiet_since = services.heap.last_busy
        room.ok("add_agenda_item", {"title": "Opening", "kind": "plenary"})
        assert services.heap.last_busy > quiet_since  # a command: not a quiet moment
        for peer in peers:
            peer.close()
        deadline = time.monotonic() + 10
        while services.sockets and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not services.sockets
        services.heap.compact()  # (closed sockets are freed by reference counting already: no cycle keeps them)
        assert [c for c in connections if c() is not None] == []  # nothing of a closed socket leaks
        metrics = client.get("/metrics").text
        assert "tavolo_gc_full_collection_seconds_count" in metrics
        count = next(line for line in metrics.splitlines() if line.startswith("tavolo_gc_full_collection_seconds_c"))
        assert float(count.split()[-1]) >= 2  # the collect and the compaction, at least
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_without_freezing_the_server_only_measures() -> None:
    before = gc.get_threshold()
    with support.running(heap_freeze=False) as client:
        assert gc.get_threshold() == before
        gc.collect()
        assert gc.get_freeze_count() == 0
        metrics = client.get("/metrics").text
        count = next(line for line in metrics.splitlines() if line.startswith("tavolo_gc_full_collection_seconds_c"))
        assert float(count.split()[-1]) >= 1
