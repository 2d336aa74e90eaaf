"""The organiser key: checked in constant time, and not guessable without limit.

Every wrong key counts against the client's address (an IPv6 address by its /64, which one client usually holds
whole); after ``FAILURES`` wrong keys within ``WINDOW`` seconds the address is refused with ``429 rate_limited`` and a
``Retry-After`` until the oldest of them is a window old — even with the right key, so that a guesser cannot go on
testing. The counts live in the process (a restart forgets them; a guesser still gets only a few tries a minute).
"""

from __future__ import annotations

import hmac
import logging
import time
from collections import OrderedDict, deque

from starlette.requests import Request

from server import addresses

log = logging.getLogger("tavolo.organiser")

FAILURES = 10  # wrong keys an address may send per window
WINDOW = 60.0  # seconds
ADDRESSES = 10_000  # addresses remembered at most (the oldest forgotten first): bounded memory under a spray
SHORT_KEY = 16  # characters: a key shorter than this is warned about at start-up


def _address_key(request: Request) -> str:
    """The bucket the client's address counts in, as every per-address limit counts it (server/addresses.py)."""
    return addresses.key(request.client.host if request.client else "")


class KeyGuard:
    """Wrong organiser keys per client address over a sliding window."""

    def __init__(self, failures: int = FAILURES, window: float = WINDOW) -> None:
        self.failures, self.window = failures, window
        self._wrong: OrderedDict[str, deque[float]] = OrderedDict()

    def wait(self, address: str) -> float | None:
        """Seconds this address must wait before it may try a key again, or None."""
        times = self._wrong.get(address)
        if not times:
            return None
        now = time.monotonic()
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) < self.failures:
            return None
        return times[0] + self.window - now

    def failed(self, address: str) -> None:
        times = self._wrong.pop(address, None) or deque(maxlen=self.failures)
        times.append(time.monotonic())
        self._wrong[address] = times  # most recent last: the oldest go first
        while len(self._wrong) > ADDRESSES:
            self._wrong.popitem(last=False)


def guard(request: Request) -> KeyGuard:
    """This app's guard (one per server process, made on first use)."""
    state = request.app.state
    found = getattr(state, "organiser_key_guard", None)
    if found is None:
        found = state.organiser_key_guard = KeyGuard()
    assert isinstance(found, KeyGuard)
    return found


def refused_for(request: Request) -> float | None:
    """Seconds this client's address must wait for too many wrong keys (it is then not compared), or None."""
    wait = guard(request).wait(_address_key(request))
    return None if wait is None else max(wait, 1.0)


def compare(request: Request, given: str, expected: str) -> bool:
    """Whether ``given`` is the organiser key (in constant time); a wrong one counts against the address."""
    if hmac.compare_digest(given.encode(), expected.encode()):
        return True
    guard(request).failed(_address_key(request))
    return False


def warn_if_short(key: str | None) -> None:
    """A start-up warning for an organiser key short enough to guess (the limit slows guessing; it cannot save
    a key like ``1234``)."""
    if key and len(key) < SHORT_KEY:
        log.warning("the organiser key is only %d characters: use at least %d random ones", len(key), SHORT_KEY)
