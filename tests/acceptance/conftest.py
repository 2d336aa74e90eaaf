"""The acceptance layer: every promise the README and docs/ make to a user, proven through a real server process.

One module per README bullet (``test_<bullet>.py``, see ``test_readme_bullets.py``). A test here starts ``tavolo
serve`` (or another ``tavolo`` command) as a user would, talks to it over HTTP and websockets (or a real browser),
and fails if the promise stops being true. Unit tests beside the code do not count here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.acceptance.support import Room
from tests.e2e.conftest import Server, browser, server

# The e2e fixtures, shared: ``server`` is a `tavolo serve` process on a fresh SQLite file, as the README's quick
# start runs it; ``browser`` is Debian's Chromium.
__all__ = ["browser", "server"]

pytestmark = pytest.mark.slow


@pytest.fixture
def room(server: Server) -> Iterator[Room]:
    """A new workshop on the server, with its facilitator's token; people join through ``room.join``."""
    room = Room.create(server)
    yield room
    room.close()
