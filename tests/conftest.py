"""Fixtures shared by every test folder: external services, skipped locally when absent, required under CI."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"


def _unavailable(service: str, url: str, error: Exception) -> None:
    """Skip on a developer's machine; under CI a missing service is a failure, never a silent skip."""
    parts = urlsplit(url)
    message = f"{service} not reachable on {parts.hostname}:{parts.port}: {type(error).__name__}: {error}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A store URL on a schema of its own (created here, dropped afterwards): tests never see others' rows.

    eventsourcing creates its tables inside ``POSTGRES_SCHEMA`` but not the schema itself, so we do."""
    import psycopg

    schema = f"tavolo_test_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
    except psycopg.OperationalError as e:
        _unavailable("PostgreSQL", POSTGRES_URL, e)
    yield f"{POSTGRES_URL}?schema={schema}"
    with psycopg.connect(POSTGRES_URL, connect_timeout=3, autocommit=True) as conn:
        # An application the test forgot to close must not hang the run: fail the drop instead.
        conn.execute("SET lock_timeout = '10s'")
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The local Redis (database 0); the test cleans up the keys it writes."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as e:
        _unavailable("Redis", REDIS_URL, e)
    finally:
        client.close()
    yield REDIS_URL


@pytest.fixture
def broker_url(redis_url: str) -> str:
    """A `tavolo serve --broker` URL on the local Redis with a channel prefix of its own: tests never hear
    each other's hints (pub/sub writes no keys, so there is nothing to clean up)."""
    return f"{redis_url}?prefix=tavolo_test_{uuid.uuid4().hex[:12]}"
