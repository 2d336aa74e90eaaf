"""A server-authoritative countdown: the value a timer's events record, and the arithmetic on it.

Every screen shows ``ends_at`` minus the server's time (clients estimate their offset to the server's clock), so the
projector and every laptop show the same remaining time. While paused, the clock keeps ``remaining_ms`` instead.
The arithmetic takes ``now`` as an input; the command handlers pass the server's clock and record the result, so
a replay never reads a clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from domain import errors
from domain.rotation_errors import TimerNotPaused, TimerNotRunning

MAX_SECONDS = 24 * 3600
STOPPED, RUNNING, PAUSED = "stopped", "running", "paused"


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds")


def parse(at: str) -> datetime:
    return datetime.fromisoformat(at)


@dataclass(frozen=True)
class Clock:
    """``state`` stopped | running | paused. Running: it reaches zero at ``ends_at``. Paused: ``remaining_ms`` are
    left. ``duration_ms`` is the length of the current run, extensions included (for progress bars)."""

    state: str = STOPPED
    ends_at: str = ""
    remaining_ms: int = 0
    duration_ms: int = 0

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Clock:
        return cls(str(d["state"]), str(d["ends_at"]), int(d["remaining_ms"]), int(d["duration_ms"]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "ends_at": self.ends_at,
            "remaining_ms": self.remaining_ms,
            "duration_ms": self.duration_ms,
        }

    def remaining(self, now: datetime) -> int:
        """Milliseconds left at ``now`` (never negative)."""
        if self.state == RUNNING:
            return max(0, int((parse(self.ends_at) - now).total_seconds() * 1000))
        return self.remaining_ms if self.state == PAUSED else 0

    def due(self, now: datetime) -> bool:
        return self.state == RUNNING and parse(self.ends_at) <= now

    def start(self, now: datetime, seconds: float) -> Clock:
        ms = int(seconds * 1000)
        return Clock(RUNNING, iso(now + timedelta(milliseconds=ms)), 0, ms)

    def pause(self, now: datetime) -> Clock:
        if self.state != RUNNING:
            raise TimerNotRunning("the timer is not running")
        return Clock(PAUSED, "", self.remaining(now), self.duration_ms)

    def resume(self, now: datetime) -> Clock:
        if self.state != PAUSED:
            raise TimerNotPaused("the timer is not paused")
        return Clock(RUNNING, iso(now + timedelta(milliseconds=self.remaining_ms)), 0, self.duration_ms)

    def extend(self, now: datetime, seconds: float) -> Clock:
        """Add (or, negative, take away) time; the clock never goes below zero."""
        ms = int(seconds * 1000)
        if self.state == RUNNING:
            left = max(0, self.remaining(now) + ms)
            return Clock(RUNNING, iso(now + timedelta(milliseconds=left)), 0, max(1, self.duration_ms + ms))
        if self.state == PAUSED:
            return Clock(PAUSED, "", max(0, self.remaining_ms + ms), max(1, self.duration_ms + ms))
        raise TimerNotRunning("the timer is not running")

    def stop(self) -> Clock:
        return Clock()


def seconds(value: Any, key: str, low: float = 1, high: float = MAX_SECONDS) -> int:
    """A whole number of seconds in [low, high]."""
    # A float must be finite before int() (int(nan) raises ValueError, int(inf) OverflowError).
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, float) and not math.isfinite(value))
        or value != int(value)
    ):
        raise errors.InvalidArgs(f"'{key}' must be a whole number of seconds")
    if not low <= value <= high:
        raise errors.InvalidArgs(f"'{key}' must be between {low:g} and {high:g} seconds")
    return int(value)
