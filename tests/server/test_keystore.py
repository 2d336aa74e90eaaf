"""Secret-poll keys on PostgreSQL: one table shared by every process of the store, rows gone once discarded."""

from __future__ import annotations

import uuid

import pytest
from psycopg import sql

from domain.personal_pg import KeyTable
from server.keystore import TABLE, PostgresPollKeys
from server.stores import store_env

pytestmark = pytest.mark.postgres


def test_two_processes_find_the_same_key_and_a_discard_removes_it_for_both(postgres_url: str) -> None:
    env = store_env(postgres_url)
    a, b = PostgresPollKeys(env), PostgresPollKeys(env)
    try:
        poll_id = uuid.uuid4()
        key = a.create(poll_id)
        assert len(key) == 32
        assert b.get(poll_id) == key
        assert b.create(poll_id) == key  # a retried opening on another process keeps the poll's key
        assert a.poll_ids() == []  # too fresh to sweep: its opening may still be committing elsewhere
        a.discard(poll_id)
        assert a.get(poll_id) is None
        fresh = PostgresPollKeys(env)
        assert fresh.get(poll_id) is None
        b.discard(poll_id)  # what b does when it folds the closing: its cached copy goes too
        assert b.get(poll_id) is None
        fresh.close()
    finally:
        a.close()
        b.close()


def test_a_process_that_loses_the_race_to_create_the_key_table_uses_the_winners(postgres_url: str) -> None:
    # Two `tavolo serve` started together both run CREATE TABLE IF NOT EXISTS; PostgreSQL answers the later one
    # with a unique violation once the earlier has committed. Simulated here: the creation always fails that way.
    env = store_env(postgres_url)
    a = PostgresPollKeys(env)
    b = PostgresPollKeys.__new__(PostgresPollKeys)
    b._table = KeyTable(env, TABLE, "poll_id uuid PRIMARY KEY, key bytea NOT NULL")
    b._table._create = sql.SQL("DO $$ BEGIN RAISE unique_violation; END $$")
    b._cache = {}
    try:
        poll_id = uuid.uuid4()
        key = a.create(poll_id)
        assert b.get(poll_id) == key
    finally:
        a.close()
        b._table.close()
