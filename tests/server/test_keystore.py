"""Secret-poll keys on PostgreSQL: one table shared by every process of the store, rows gone once discarded."""

from __future__ import annotations

import uuid

import pytest

from server.keystore import PostgresPollKeys
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
