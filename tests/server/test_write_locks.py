"""Several processes writing one PostgreSQL store: they start together, and take turns on a workshop instead of
conflicting on its aggregates (server/stores.py:WriteLocks, server/writer.py)."""

from __future__ import annotations

import asyncio
import threading
import uuid
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, InternalError, ProgrammingError
from eventsourcing.postgres import PostgresApplicationRecorder

from domain.application import Command, Tavolo
from domain.commands import ANONYMOUS, Actor
from server.stores import WriteLocks, store_env
from server.writer import Writer

pytestmark = pytest.mark.postgres


def test_a_process_that_loses_the_race_to_create_the_tables_starts_on_the_winners(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_table = PostgresApplicationRecorder.create_table
    calls: list[int] = []

    def raced(self: Any) -> None:
        create_table(self)
        calls.append(1)
        if len(calls) == 1:  # what PostgreSQL answers the later of two concurrent CREATE TABLE IF NOT EXISTS
            raise IntegrityError('duplicate key value violates unique constraint "pg_type_typname_nsp_index"')
        if len(calls) == 2:  # or, a moment later
            raise ProgrammingError('relation "tavolo_events" already exists')
        if len(calls) == 3:  # and the later of two concurrent CREATE OR REPLACE FUNCTION
            raise InternalError("tuple concurrently updated")

    monkeypatch.setattr(PostgresApplicationRecorder, "create_table", raced)
    app = Tavolo(store_env(postgres_url))
    try:
        assert len(calls) == 4
        assert app.recorder.max_notification_id() is None
    finally:
        app.close()


def test_a_workshop_lock_waits_for_the_other_process_and_other_workshops_do_not(postgres_url: str) -> None:
    env = store_env(postgres_url)
    a, b = Tavolo(env), Tavolo(env)
    try:
        locks_a = WriteLocks.for_store(a.recorder)
        locks_b = WriteLocks(b.recorder, timeout=0.2)
        assert locks_a is not None
        w1, w2 = uuid.uuid4(), uuid.uuid4()
        release = locks_a.acquire([w1, w2])
        assert release is not None
        assert locks_b.acquire([w2]) is None  # held by a: b runs its batch without it, optimistically
        assert locks_b.waits == 1
        other = locks_b.acquire([uuid.uuid4()])
        assert other is not None
        other()
        release()
        again = locks_b.acquire([w2, w1])
        assert again is not None
        again()
        assert locks_a.acquire([]) is None  # nothing to lock (a batch of creates)
    finally:
        a.close()
        b.close()


def test_no_locks_on_other_stores() -> None:
    app = Tavolo(store_env("memory://"))
    assert WriteLocks.for_store(app.recorder) is None


def test_a_writer_locks_only_once_it_has_seen_another_process_write(postgres_url: str) -> None:
    env = store_env(postgres_url)

    async def scenario() -> tuple[bool, bool, bool]:
        loop = asyncio.get_running_loop()
        a, b = Tavolo(env), Tavolo(env)
        writers = [Writer(app, loop, lambda outcomes, prepared: None) for app in (a, b)]
        for writer in writers:
            writer.start()

        async def create(writer: Writer) -> None:
            details = {"title": "T", "date": "2026-11-22", "language": "en", "sectors": ["Research"]}
            command = Command(uuid.uuid4().hex, "create_workshop", details, None, Actor(ANONYMOUS))
            outcome = await writer.submit(command)
            assert outcome.error is None, outcome.error

        try:
            await create(writers[0])
            await create(writers[0])
            alone = writers[0].shared  # its positions followed each other: nobody else writes
            await create(writers[1])
            await create(writers[0])  # b wrote in between: a's positions jumped
            return alone, writers[0].shared, writers[1].shared
        finally:
            for writer in writers:
                await asyncio.to_thread(writer.stop)
            a.close()
            b.close()

    alone, a_shared, b_first = asyncio.run(scenario())
    assert not alone
    assert a_shared
    assert not b_first  # b's first batch has nothing of its own to follow


@pytest.mark.parametrize(("shared", "batches"), [(False, 2), (True, 1)])
def test_while_another_process_writes_one_batch_takes_the_whole_backlog(shared: bool, batches: int) -> None:
    # One lock turn per batch: while processes take turns, a turn should carry everything queued meanwhile.

    async def scenario() -> Writer:
        app = Tavolo(store_env("memory://"))
        writer = Writer(app, asyncio.get_running_loop(), lambda outcomes, prepared: None, max_batch=64)
        if shared:
            writer._shared_until = float("inf")
        details = {"title": "T", "date": "2026-11-22", "language": "en", "sectors": ["Research"]}
        commands = [Command(f"c{i}", "create_workshop", details, None, Actor(ANONYMOUS)) for i in range(100)]
        pending = [asyncio.ensure_future(writer.submit(c)) for c in commands]
        await asyncio.sleep(0)  # every command queued before the writer starts
        writer.start()
        try:
            assert all(o.error is None for o in await asyncio.gather(*pending))
        finally:
            await asyncio.to_thread(writer.stop)
        return writer

    writer = asyncio.run(scenario())
    assert (writer.batches, writer.commands) == (batches, 100)


class SlowLocks:
    """The other process's turn: ``acquire`` waits until the test lets it through."""

    def __init__(self) -> None:
        self.waiting, self.go = threading.Event(), threading.Event()
        self.turns = 0

    def acquire(self, workshop_ids: Any) -> Any:
        list(workshop_ids)
        self.waiting.set()
        assert self.go.wait(10)
        self.turns += 1
        return lambda: None


def test_what_arrives_while_waiting_for_the_lock_goes_in_the_same_turn() -> None:
    async def scenario() -> tuple[Writer, SlowLocks]:
        app = Tavolo(store_env("memory://"))
        writer = Writer(app, asyncio.get_running_loop(), lambda outcomes, prepared: None, max_batch=64)
        locks = SlowLocks()
        writer._locks, writer._shared_until = locks, float("inf")  # type: ignore[assignment]
        details = {"title": "T", "date": "2026-11-22", "language": "en", "sectors": ["Research"]}
        commands = [Command(f"c{i}", "create_workshop", details, None, Actor(ANONYMOUS)) for i in range(51)]
        writer.start()
        try:
            pending = [asyncio.ensure_future(writer.submit(commands[0]))]
            assert await asyncio.to_thread(locks.waiting.wait, 10)  # the first command waits for its turn
            pending += [asyncio.ensure_future(writer.submit(c)) for c in commands[1:]]
            await asyncio.sleep(0.05)  # all queued meanwhile
            locks.go.set()
            assert all(o.error is None for o in await asyncio.gather(*pending))
        finally:
            await asyncio.to_thread(writer.stop)
        return writer, locks

    writer, locks = asyncio.run(scenario())
    assert (writer.batches, writer.commands, locks.turns) == (1, 51, 1)


def _item(command_id: str, workshop_id: uuid.UUID) -> Command:
    return Command(command_id, "add_agenda_item", {"title": "T", "kind": "plenary"}, workshop_id, Actor(ANONYMOUS))


def test_the_turn_stops_at_a_workshop_it_did_not_lock_and_at_a_job() -> None:
    # Queued during the wait: one more for the locked workshop, one for another workshop, one for the first, a job,
    # one more. The turn stops before the other workshop (a conflict on it would run the whole batch again); the
    # next batch, its own lock turn, stops at the job, which runs alone, then the last command.
    locked, other = uuid.uuid4(), uuid.uuid4()

    async def scenario() -> tuple[list[list[str]], int, SlowLocks]:
        batches: list[list[str]] = []
        app = Tavolo(store_env("memory://"))
        writer = Writer(app, asyncio.get_running_loop(), lambda outcomes, prepared: batches.append(
            [o.command.id for o in outcomes]), max_batch=64)  # fmt: skip
        locks = SlowLocks()
        writer._locks, writer._shared_until = locks, float("inf")  # type: ignore[assignment]
        writer.start()
        try:
            pending = [asyncio.ensure_future(writer.submit(_item("a0", locked)))]
            assert await asyncio.to_thread(locks.waiting.wait, 10)
            pending += [asyncio.ensure_future(writer.submit(_item(c, w))) for c, w in
                        (("a1", locked), ("b0", other), ("a2", locked))]  # fmt: skip
            job = asyncio.ensure_future(writer.call(lambda: writer.batches))  # how many batches ran before it
            pending += [asyncio.ensure_future(writer.submit(_item("a3", locked)))]
            await asyncio.sleep(0.05)
            locks.go.set()
            outcomes = await asyncio.gather(*pending)
            assert [o.command.id for o in outcomes] == ["a0", "a1", "b0", "a2", "a3"]  # every future settled
            ran_after = await asyncio.wait_for(job, 10)
        finally:
            await asyncio.to_thread(writer.stop)
        return batches, ran_after, locks

    batches, ran_after, locks = asyncio.run(scenario())
    assert batches == [["a0", "a1"], ["b0", "a2"], ["a3"]]
    assert ran_after == 2 and locks.turns == 3


def test_a_job_met_before_the_lock_still_runs_after_its_batch() -> None:
    workshop = uuid.uuid4()

    async def scenario() -> tuple[list[list[str]], int]:
        batches: list[list[str]] = []
        app = Tavolo(store_env("memory://"))
        writer = Writer(app, asyncio.get_running_loop(), lambda outcomes, prepared: batches.append(
            [o.command.id for o in outcomes]), max_batch=64)  # fmt: skip
        locks = SlowLocks()
        locks.go.set()
        writer._locks, writer._shared_until = locks, float("inf")  # type: ignore[assignment]
        first = asyncio.ensure_future(writer.submit(_item("a0", workshop)))
        job = asyncio.ensure_future(writer.call(lambda: writer.batches))
        last = asyncio.ensure_future(writer.submit(_item("a1", workshop)))
        await asyncio.sleep(0)  # all three queued before the writer starts
        writer.start()
        try:
            await asyncio.gather(first, last)
            ran_after = await asyncio.wait_for(job, 10)
        finally:
            await asyncio.to_thread(writer.stop)
        return batches, ran_after

    batches, ran_after = asyncio.run(scenario())
    assert batches == [["a0"], ["a1"]] and ran_after == 1
