"""Fixtures for the server tests: the app on the in-memory store, a running client, a workshop."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.server import support


@pytest.fixture
def client() -> Iterator[TestClient]:
    with support.running() as c:
        yield c


@pytest.fixture
def room(client: TestClient) -> support.Room:
    return support.Room(client)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if support.FUZZ_COUNTS:
        terminalreporter.section("server fuzz cases run")
        for name, count in sorted(support.FUZZ_COUNTS.items()):
            terminalreporter.write_line(f"{name}: {count}")
