"""Secret-poll keys shared by every process of one PostgreSQL store (``domain/secret.py`` explains the scheme).

With several processes, a ballot may reach a process other than the one that opened the poll: each must find the
same key. The keys live in a table of their own, ``tavolo_poll_keys`` beside (never inside) the event tables, in
the same database and schema, only while their polls are open; ``discard`` deletes the row once the closing is
committed (by whichever process commits it; the others drop their cached copy when they fold the closing). The
row is gone from the live table at once; PostgreSQL reclaims the dead tuple at the next vacuum, and WAL and base
backups keep it as long as they are kept — docs/polls.md and docs/deployment.md say how to treat them.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from uuid import UUID

from domain.personal_pg import KeyTable
from domain.secret import KEY_BYTES

TABLE = "tavolo_poll_keys"
FRESH_SECONDS = 60  # a younger key may belong to an opening another process is committing right now


class PostgresPollKeys:
    """``PollKeys`` in a PostgreSQL table; a process caches the keys it has read (a key never changes)."""

    def __init__(self, env: Mapping[str, str]) -> None:
        columns = "poll_id uuid PRIMARY KEY, key bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now()"
        self._table = KeyTable(env, TABLE, columns)
        self._cache: dict[UUID, bytes] = {}
        self._table.execute("SELECT 1 FROM {} LIMIT 1")  # made at start, as a key store's other stores are
        self.close = self._table.close

    def create(self, poll_id: UUID) -> bytes:
        key = secrets.token_bytes(KEY_BYTES)
        rows = self._table.execute(
            "INSERT INTO {} (poll_id, key) VALUES (%s, %s) ON CONFLICT (poll_id) DO UPDATE "
            "SET poll_id = EXCLUDED.poll_id RETURNING key",
            (poll_id, key),
        )
        found = bytes(rows[0][0])
        self._cache[poll_id] = found
        return found

    def get(self, poll_id: UUID) -> bytes | None:
        cached = self._cache.get(poll_id)
        if cached is not None:
            return cached
        rows = self._table.execute("SELECT key FROM {} WHERE poll_id = %s", (poll_id,))
        if not rows:
            return None
        key = bytes(rows[0][0])
        if len(key) != KEY_BYTES:
            raise OSError(f"poll key of {poll_id} is damaged ({len(key)} bytes)")
        self._cache[poll_id] = key
        return key

    def discard(self, poll_id: UUID) -> None:
        self._cache.pop(poll_id, None)
        self._table.execute("DELETE FROM {} WHERE poll_id = %s", (poll_id,))

    def poll_ids(self) -> list[UUID]:
        """Keys old enough to sweep: a key created in the last minute may be an opening still committing."""
        query = "SELECT poll_id FROM {} WHERE created_at < now() - make_interval(secs => %s)"
        rows = self._table.execute(query, (FRESH_SECONDS,))
        return sorted(UUID(str(r[0])) for r in rows)
