"""Participants' personal-data keys in a PostgreSQL table beside (never inside) the event tables, shared by every
process of one store. A destroyed key's row is deleted at once; PostgreSQL reclaims the dead tuple at the next
vacuum, and WAL and base backups keep it as long as they are kept (docs/privacy.md)."""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg import sql

from domain.personal import KEY_BYTES

TABLE = "tavolo_personal_keys"


class KeyTable:
    """One table of keys beside the event tables: this process's connection to it, reconnecting once if it was
    lost (a database restart), and the table made on first use (so the event store reports a bad schema first).
    Shared by the personal-data keys here and the secret-poll keys (server/keystore.py)."""

    def __init__(self, env: Mapping[str, str], table: str, columns: str) -> None:
        self._conninfo: dict[str, Any] = {
            "host": env.get("POSTGRES_HOST", "127.0.0.1"),
            "port": int(env.get("POSTGRES_PORT", "5432")),
            "dbname": env["POSTGRES_DBNAME"],
            "user": env.get("POSTGRES_USER") or None,
            "password": env.get("POSTGRES_PASSWORD") or None,
            "connect_timeout": int(env.get("POSTGRES_CONNECT_TIMEOUT", "5")),
            "autocommit": True,
        }
        self.table = sql.Identifier(env.get("POSTGRES_SCHEMA") or "public", table)
        self._create = sql.SQL("CREATE TABLE IF NOT EXISTS {} (" + columns + ")").format(self.table)
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Any] | None = None
        self._ready = False

    def execute(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """One statement (``{}`` stands for the table) on this process's connection."""
        statement = sql.SQL(query).format(self.table)  # type: ignore[arg-type,unused-ignore]  # our constant strings
        with self._lock:
            for attempt in (1, 2):
                try:
                    if self._conn is None or self._conn.closed:
                        self._conn = psycopg.connect(**self._conninfo)
                    if not self._ready:
                        # Processes started together race on CREATE TABLE IF NOT EXISTS: the loser gets a unique
                        # violation (on pg_type) once the winner has committed, and the table is there.
                        with contextlib.suppress(psycopg.errors.UniqueViolation, psycopg.errors.DuplicateTable):
                            self._conn.execute(self._create)
                        self._ready = True
                    cursor = self._conn.execute(statement, params)
                    return cursor.fetchall() if cursor.description else []
                except psycopg.OperationalError:
                    if self._conn is not None:
                        self._conn.close()
                    self._conn = None
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class PostgresPersonalKeys:
    """``PersonalKeys`` in PostgreSQL; each process caches the keys it has read until one is destroyed."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._table = KeyTable(env, TABLE, "owner text PRIMARY KEY, key bytea NOT NULL")
        self._cache: dict[str, bytes] = {}
        self.close = self._table.close

    def get(self, owner: str) -> bytes | None:
        cached = self._cache.get(owner)
        if cached is not None:
            return cached
        rows = self._table.execute("SELECT key FROM {} WHERE owner = %s", (owner,))
        if rows:
            self._cache[owner] = bytes(rows[0][0])
            return self._cache[owner]
        return None

    def get_or_create(self, owner: str) -> bytes:
        found = self.get(owner)
        if found is not None:
            return found
        rows = self._table.execute(
            "INSERT INTO {} (owner, key) VALUES (%s, %s) ON CONFLICT (owner) DO UPDATE SET owner = EXCLUDED.owner "
            "RETURNING key",
            (owner, secrets.token_bytes(KEY_BYTES)),
        )
        self._cache[owner] = bytes(rows[0][0])
        return self._cache[owner]

    def put(self, owner: str, key: bytes) -> None:
        self._table.execute("INSERT INTO {} (owner, key) VALUES (%s, %s) ON CONFLICT (owner) DO NOTHING", (owner, key))
        self._cache.pop(owner, None)

    def destroy(self, owner: str) -> None:
        self.forget(owner)
        self._table.execute("DELETE FROM {} WHERE owner = %s", (owner,))

    def destroy_all(self, owners: list[str]) -> None:
        for owner in owners:
            self.forget(owner)
        self._table.execute("DELETE FROM {} WHERE owner = ANY(%s)", (owners,))

    def forget(self, owner: str) -> None:
        """Drop this process's copy (another process destroyed the key)."""
        self._cache.pop(owner, None)

    def all(self) -> dict[str, bytes]:
        return {str(o): bytes(k) for o, k in self._table.execute("SELECT owner, key FROM {}")}

    def ensure(self, owners: list[str]) -> None:
        for owner in owners:
            self.get_or_create(owner)
