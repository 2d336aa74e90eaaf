"""Chooses the event store from one URL: ``sqlite:///path.db`` (default), ``memory://`` or ``postgresql://…``."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

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
