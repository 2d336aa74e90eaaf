"""What the server does once when it starts, besides loading the store (``server/app.py``'s lifespan)."""

from __future__ import annotations

from domain.countries import warm_up
from server.organiser_key import warn_if_short


def at_start_up(organiser_key: str | None) -> None:
    """Warn about an organiser key short enough to guess, and build the country-name table in a background thread
    (about a second: 24 languages' names), so the first join that names a country does not wait for it."""
    warn_if_short(organiser_key)
    warm_up()
