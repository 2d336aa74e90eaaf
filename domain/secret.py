"""The secret-ballot scheme: per-poll keyed voter tags, and the key stores that keep poll keys out of the log.

A secret ballot records ``voter_tag = HMAC-SHA256(poll_key, participant_id)`` (hex) instead of the
participant id. The same participant always gets the same tag in the same poll (so one ballot per person
still holds and a new ballot replaces theirs), different polls give unrelated tags, and without the key a
tag cannot be linked to anyone.

The 32-byte poll key is made when a secret poll opens and kept *outside* the event store, by a ``PollKeys``
store; it is discarded once the poll's closing is committed. From then on nobody -- not even whoever holds
the whole append-only log, its backups and the roster -- can recompute a tag. docs/polls.md says what this
protects against and what it does not.

The breakdown rule (``kept_cells``) lives here too, because it is part of the same promise: an attribute
recorded with a secret ballot, or a breakdown cell shown, must never single out fewer than
``BREAKDOWN_THRESHOLD`` people.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol
from uuid import UUID

KEY_BYTES = 32
BREAKDOWN_THRESHOLD = 5  # fewest people a breakdown cell of a secret poll may stand for (stored and shown)
_COMMAND_PREFIX = b"command\x00"  # participant ids never contain NUL: a command ref never equals a voter tag


def voter_tag(key: bytes, participant_id: str) -> str:
    """The voter's pseudonym in one secret poll: HMAC-SHA256(poll key, participant id), hex."""
    return hmac.new(key, participant_id.encode(), hashlib.sha256).hexdigest()


def command_ref(key: bytes, command_id: str) -> str:
    """What a secret ballot records instead of its client-chosen command id.

    Command ids also appear in socket and proxy logs next to a connection; keyed, they stop linking a ballot
    to its sender once the key is gone, whatever pattern a client used for its ids."""
    return hmac.new(key, _COMMAND_PREFIX + command_id.encode(), hashlib.sha256).hexdigest()


def kept_cells(counts: Mapping[str, int], threshold: int = BREAKDOWN_THRESHOLD, other: int = 0) -> frozenset[str]:
    """The cell values that may stand alone; every other value goes to the "other" cell.

    ``counts`` maps each value to the number of people in it; ``other`` people are in "other" already.
    Values below ``threshold`` go to "other"; if that leaves "other" with 1..threshold-1 people, the
    smallest kept cells join it too (otherwise the total minus the kept cells would reveal the small group).
    The empty value always counts as "other"."""
    small = other + sum(n for v, n in counts.items() if n < threshold or not v)
    large = sorted((n, v) for v, n in counts.items() if n >= threshold and v)
    while 0 < small < threshold and large:
        n, _ = large.pop(0)
        small += n
    return frozenset(v for _, v in large)


class PollKeys(Protocol):
    """Where poll keys live while their polls are open: never in the event store."""

    def create(self, poll_id: UUID) -> bytes:
        """The poll's key: a new random one, or the existing one if the poll already has a key."""
        ...

    def get(self, poll_id: UUID) -> bytes | None:
        """The poll's key, or None if it has none (never opened, closed, or lost)."""
        ...

    def discard(self, poll_id: UUID) -> None:
        """Forget the poll's key for good (no error if there is none)."""
        ...

    def poll_ids(self) -> list[UUID]:
        """The polls that have a key (to sweep keys of polls closed while the server was down)."""
        ...


class MemoryPollKeys:
    """Keys in this process's memory: an open secret poll does not survive a restart (its ballots are refused
    with ``poll_key_missing`` afterwards). For tests and rehearsals."""

    def __init__(self) -> None:
        self._keys: dict[UUID, bytearray] = {}
        self._lock = threading.Lock()

    def create(self, poll_id: UUID) -> bytes:
        with self._lock:
            key = self._keys.setdefault(poll_id, bytearray(secrets.token_bytes(KEY_BYTES)))
            return bytes(key)

    def get(self, poll_id: UUID) -> bytes | None:
        with self._lock:
            key = self._keys.get(poll_id)
            return None if key is None else bytes(key)

    def discard(self, poll_id: UUID) -> None:
        with self._lock:
            key = self._keys.pop(poll_id, None)
            if key is not None:
                key[:] = bytes(len(key))  # best effort: copies handed out earlier are the garbage collector's

    def poll_ids(self) -> list[UUID]:
        with self._lock:
            return sorted(self._keys)


class FilePollKeys:
    """One file per open secret poll in a directory of its own (0700; files 0600, fsynced), so an open secret
    poll survives a restart. Discarding overwrites the file with zeros, fsyncs, then unlinks it.

    Overwriting is best effort: journaling and copy-on-write file systems, SSD wear levelling and snapshots
    may keep old blocks. Keep the directory out of backups and snapshots (a tmpfs survives a process restart
    but not a reboot); see docs/polls.md."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        self._cache: dict[UUID, bytes] = {}
        self._lock = threading.Lock()
        for leftover in self.directory.glob("*.tmp"):  # a create interrupted before its rename
            leftover.unlink(missing_ok=True)

    def _path(self, poll_id: UUID) -> Path:
        return self.directory / f"{UUID(str(poll_id))}.key"  # a UUID: no path can escape the directory

    def create(self, poll_id: UUID) -> bytes:
        with self._lock:
            existing = self._read(poll_id)
            if existing is not None:
                return existing
            key = secrets.token_bytes(KEY_BYTES)
            path = self._path(poll_id)
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            try:
                os.fchmod(fd, 0o600)  # whatever the umask
                os.write(fd, key)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
            self._sync_directory()
            self._cache[poll_id] = key
            return key

    def get(self, poll_id: UUID) -> bytes | None:
        with self._lock:
            return self._read(poll_id)

    def discard(self, poll_id: UUID) -> None:
        with self._lock:
            self._cache.pop(poll_id, None)
            path = self._path(poll_id)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW)
            except FileNotFoundError:
                return
            try:
                size = os.fstat(fd).st_size
                os.write(fd, bytes(max(size, KEY_BYTES)))
                os.fsync(fd)
            finally:
                os.close(fd)
            path.unlink(missing_ok=True)
            self._sync_directory()

    def poll_ids(self) -> list[UUID]:
        ids: list[UUID] = []
        for path in self.directory.glob("*.key"):
            with contextlib.suppress(ValueError):
                ids.append(UUID(path.stem))
        return sorted(ids)

    def _read(self, poll_id: UUID) -> bytes | None:
        cached = self._cache.get(poll_id)
        if cached is not None:
            return cached
        try:
            fd = os.open(self._path(poll_id), os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return None
        try:
            key = os.read(fd, KEY_BYTES + 1)
        finally:
            os.close(fd)
        if len(key) != KEY_BYTES:
            raise OSError(f"poll key file for {poll_id} is damaged ({len(key)} bytes)")
        self._cache[poll_id] = key
        return key

    def _sync_directory(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def sweep(keys: PollKeys, open_secret_polls: set[UUID]) -> list[UUID]:
    """Discard every key whose poll is not open (closed while the server was down between commit and discard,
    or a draft whose opening never committed). Run at start-up after replay; returns the ids discarded."""
    stale = [poll_id for poll_id in keys.poll_ids() if poll_id not in open_secret_polls]
    for poll_id in stale:
        keys.discard(poll_id)
    return stale
