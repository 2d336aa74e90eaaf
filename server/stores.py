"""Chooses the event store from one URL: ``sqlite:///path.db`` (default), ``memory://`` or ``postgresql://…``."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from uuid import UUID

log = logging.getLogger("tavolo.stores")

DEFAULT_STORE = "sqlite:///data/tavolo.db"


class StoreURLError(ValueError):
    pass


def store_env(url: str) -> dict[str, str]:
    """The eventsourcing environment for a store URL."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    if scheme == "memory":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if scheme == "sqlite":
        # sqlite:///relative/path.db and sqlite:////absolute/path.db, as SQLAlchemy spells them.
        path = unquote(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else ""
        if not path or path == ":memory:":
            raise StoreURLError("give a file: sqlite:///data/tavolo.db")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "10",
        }
    if scheme in ("postgresql", "postgres"):
        try:
            port = parts.port or 5432
        except ValueError:
            raise StoreURLError(f"bad port in {url!r}") from None
        if not parts.path.strip("/"):
            raise StoreURLError("give a database: postgresql://user@host:5432/dbname")
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parts.path.strip("/")),
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(port),
            "POSTGRES_USER": unquote(parts.username or os.environ.get("USER", "postgres")),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_CONNECT_TIMEOUT": "3",  # also how long a command waits for a pooled connection
            "POSTGRES_POOL_SIZE": "5",
            "POSTGRES_LOCK_TIMEOUT": "5",
        }
        for pair in filter(None, parts.query.split("&")):
            key, _, value = pair.partition("=")
            if key == "schema":
                env["POSTGRES_SCHEMA"] = value
        return env
    raise StoreURLError(f"unknown store URL {url!r}: use sqlite:///FILE, memory:// or postgresql://…")


def fail_fast(recorder: object, attempts: int = 2) -> None:
    """Make a PostgreSQL recorder give up after ``attempts`` tries instead of eventsourcing's ten.

    Ten tries, each waiting up to the connect timeout for a pooled connection, held every command for 20-50 s
    while the database restarted. Our clients retry with the same command id anyway, so a store outage should
    become a quick, clear ``unavailable`` error. Two tries still hide one dead pooled connection after a restart."""
    import functools
    import inspect
    import time

    from eventsourcing.persistence import InterfaceError, OperationalError

    for name in ("insert_events", "select_events", "select_notifications", "max_notification_id"):
        method = getattr(type(recorder), name, None)
        if method is None:
            continue
        once = inspect.unwrap(method).__get__(recorder)

        @functools.wraps(once)
        def tried(*args: object, _once: object = once, **kwargs: object) -> object:
            for attempt in range(attempts):
                try:
                    return _once(*args, **kwargs)  # type: ignore[operator]
                except (InterfaceError, OperationalError):
                    if attempt == attempts - 1:
                        raise
                    time.sleep(0.1)
            raise AssertionError("unreachable")

        setattr(recorder, name, tried)


class WriteLocks:
    """PostgreSQL advisory locks, one per workshop, that a process's writer holds from loading a batch's aggregates
    to its commit, so that processes writing one workshop take turns instead of conflicting.

    Without them two processes voting in one poll load it, both commit, and the later commit fails on the stale
    version: its batch is evicted from the cache, the poll replayed from the store and the batch run again, or
    refused after five conflicts. The locks only make that rare: correctness still rests on the store's optimistic
    concurrency (``Tavolo.execute`` retries a conflict), so a lock that cannot be had within ``timeout`` seconds,
    or a lost connection, just lets the batch run without one."""

    def __init__(self, recorder: object, timeout: float = 5.0) -> None:
        self._datastore: Any = getattr(recorder, "datastore", None)
        self._timeout_ms = int(timeout * 1000)
        self.waits = 0  # batches that ran unlocked because a lock could not be had

    @classmethod
    def for_store(cls, recorder: object) -> WriteLocks | None:
        """Locks for a PostgreSQL recorder (several processes may share it); None for any other store."""
        return cls(recorder) if type(recorder).__module__ == "eventsourcing.postgres" else None

    def acquire(self, workshop_ids: Iterable[UUID]) -> Callable[[], None] | None:
        """Lock these workshops (in one order for every process: no deadlock); the function that releases them,
        or None if nothing was locked."""
        keys = sorted({int.from_bytes(w.bytes[:8], "big", signed=True) for w in workshop_ids})
        if not keys or self._datastore is None:
            return None
        pool = self._datastore.pool
        try:
            conn = pool.getconn(timeout=self._timeout_ms / 1000)
        except Exception as e:
            self._unlocked(e)
            return None
        try:
            with conn.pipeline(), conn.cursor() as cursor:
                cursor.execute(f"SET lock_timeout = {self._timeout_ms}")
                for key in keys:
                    cursor.execute("SELECT pg_advisory_lock(%s)", (key,))
        except Exception as e:
            conn.close()  # it may hold some of the locks: they die with the session
            pool.putconn(conn)
            self._unlocked(e)
            return None

        def release() -> None:
            try:
                with conn.pipeline(), conn.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock_all()")
                    cursor.execute("RESET lock_timeout")
            except Exception as e:
                log.info("could not release the workshop locks (%s); closing their connection", e)
                conn.close()
            pool.putconn(conn)

        return release

    def _unlocked(self, error: Exception) -> None:
        self.waits += 1
        log.info("writing without the workshop locks (%s: %s)", type(error).__name__, error)
        return None
