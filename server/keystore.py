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
import threading
from collections.abc import Mapping
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql

from domain.secret import KEY_BYTES

TABLE = "tavolo_poll_keys"
FRESH_SECONDS = 60  # a younger key may belong to an opening another process is committing right now


class PostgresPollKeys:
    """``PollKeys`` in a PostgreSQL table; a process caches the keys it has read (a key never changes)."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._conninfo: dict[str, Any] = {
            "host": env.get("POSTGRES_HOST", "127.0.0.1"),
            "port": int(env.get("POSTGRES_PORT", "5432")),
            "dbname": env["POSTGRES_DBNAME"],
            "user": env.get("POSTGRES_USER") or None,
            "password": env.get("POSTGRES_PASSWORD") or None,
            "connect_timeout": int(env.get("POSTGRES_CONNECT_TIMEOUT", "5")),
            "autocommit": True,
        }
        schema = env.get("POSTGRES_SCHEMA") or "public"
        self._table = sql.Identifier(schema, TABLE)
        self._cache: dict[UUID, bytes] = {}
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Any] | None = None
        create = "CREATE TABLE IF NOT EXISTS {} (poll_id uuid PRIMARY KEY, key bytea NOT NULL, created_at timestamptz "
        self._execute(sql.SQL(create + "NOT NULL DEFAULT now())").format(self._table))

    def _execute(self, query: sql.Composable, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """One statement on this process's connection, reconnecting once if it was lost (a database restart)."""
        with self._lock:
            for attempt in (1, 2):
                try:
                    if self._conn is None or self._conn.closed:
                        self._conn = psycopg.connect(**self._conninfo)
                    cursor = self._conn.execute(query, params)
                    return cursor.fetchall() if cursor.description else []
                except psycopg.OperationalError:
                    if self._conn is not None:
                        self._conn.close()
                    self._conn = None
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")

    def create(self, poll_id: UUID) -> bytes:
        key = secrets.token_bytes(KEY_BYTES)
        rows = self._execute(
            sql.SQL("INSERT INTO {} (poll_id, key) VALUES (%s, %s) ON CONFLICT (poll_id) DO UPDATE "
                    "SET poll_id = EXCLUDED.poll_id RETURNING key").format(self._table),
            (poll_id, key),
        )  # fmt: skip
        found = bytes(rows[0][0])
        self._cache[poll_id] = found
        return found

    def get(self, poll_id: UUID) -> bytes | None:
        cached = self._cache.get(poll_id)
        if cached is not None:
            return cached
        rows = self._execute(sql.SQL("SELECT key FROM {} WHERE poll_id = %s").format(self._table), (poll_id,))
        if not rows:
            return None
        key = bytes(rows[0][0])
        if len(key) != KEY_BYTES:
            raise OSError(f"poll key of {poll_id} is damaged ({len(key)} bytes)")
        self._cache[poll_id] = key
        return key

    def discard(self, poll_id: UUID) -> None:
        self._cache.pop(poll_id, None)
        self._execute(sql.SQL("DELETE FROM {} WHERE poll_id = %s").format(self._table), (poll_id,))

    def poll_ids(self) -> list[UUID]:
        """Keys old enough to sweep: a key created in the last minute may be an opening still committing."""
        query = sql.SQL("SELECT poll_id FROM {} WHERE created_at < now() - make_interval(secs => %s)")
        rows = self._execute(query.format(self._table), (FRESH_SECONDS,))
        return sorted(UUID(str(r[0])) for r in rows)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
