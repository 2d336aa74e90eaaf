"""Personal data that can be erased from an append-only log: crypto-shredding.

A participant's name, organisation and role are ``Personal`` values: strings that know whose they are. The event
store never holds them in clear: the transcoder (domain/transcoder.py) stores each one sealed with its owner's
key (AES-256-GCM, a random nonce per value), and opens it when an event is read. Keys live *outside* the event
store, in a ``PersonalKeys`` store (memory; a SQLite file beside a SQLite store, with secure delete; a table on
PostgreSQL). Erasing a participant destroys their key: every stored copy of their personal data — in the log, in
its backups, in exported event files — becomes unreadable noise, and reads back as "" (the read models then show
an erased participant). Counts, answers and contributions stay, no longer linked to anyone.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import threading
from collections.abc import Mapping
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12


class Personal(str):
    """A string of personal data, and whose it is (the participant id whose key seals it)."""

    __slots__ = ("owner",)
    owner: str

    def __new__(cls, value: str, owner: str) -> Personal:
        made = super().__new__(cls, value)
        made.owner = owner
        return made

    def __reduce__(self) -> Any:  # copies and pickles keep the owner
        return (Personal, (str(self), self.owner))


class PersonalKeys(Protocol):
    """Where participants' keys live: outside the event store, destroyable one by one."""

    def get(self, owner: str) -> bytes | None: ...

    def get_or_create(self, owner: str) -> bytes: ...

    def destroy(self, owner: str) -> None: ...

    def destroy_all(self, owners: list[str]) -> None: ...

    def all(self) -> dict[str, bytes]: ...

    def put(self, owner: str, key: bytes) -> None: ...

    def forget(self, owner: str) -> None: ...

    def ensure(self, owners: list[str]) -> None: ...


def seal(key: bytes, owner: str, text: str) -> bytes:
    """``text`` encrypted for ``owner`` (the owner is authenticated too: a value cannot be moved to another)."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, text.encode(), owner.encode())


def unseal(key: bytes, owner: str, blob: bytes) -> str | None:
    try:
        return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], owner.encode()).decode()
    except (InvalidTag, ValueError):
        return None


class MemoryPersonalKeys:
    """Keys in this process's memory (the memory store, and tests)."""

    def __init__(self) -> None:
        self._keys: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def get(self, owner: str) -> bytes | None:
        return self._keys.get(owner)

    def get_or_create(self, owner: str) -> bytes:
        with self._lock:
            return self._keys.setdefault(owner, secrets.token_bytes(KEY_BYTES))

    def destroy(self, owner: str) -> None:
        with self._lock:
            self._keys.pop(owner, None)

    def destroy_all(self, owners: list[str]) -> None:
        """Destroy many keys at once (a deleted workshop's participants)."""
        for owner in owners:
            self.destroy(owner)

    def all(self) -> dict[str, bytes]:
        return dict(self._keys)

    def put(self, owner: str, key: bytes) -> None:
        with self._lock:
            self._keys[owner] = key

    def forget(self, owner: str) -> None:
        """Drop a cached copy of a key another process destroyed (this store has no other copy to drop)."""

    def ensure(self, owners: list[str]) -> None:
        """Make the keys of ``owners`` that do not exist yet (a batch of joins at once)."""
        for owner in owners:
            self.get_or_create(owner)


def keys_for(env: Mapping[str, str]) -> PersonalKeys:
    """Where a store's personal-data keys live: memory for a memory store, a SQLite file beside a SQLite store,
    a table beside the events on PostgreSQL. Never inside the event store."""
    module = env.get("PERSISTENCE_MODULE", "eventsourcing.popo")
    if module == "eventsourcing.sqlite":
        return SqlitePersonalKeys(env["SQLITE_DBNAME"] + ".personal-keys")
    if module == "eventsourcing.postgres":
        from domain.personal_pg import PostgresPersonalKeys

        return PostgresPersonalKeys(env)
    return MemoryPersonalKeys()


class SqlitePersonalKeys(MemoryPersonalKeys):
    """Keys in a SQLite file of their own (beside a SQLite event store), read once and cached. ``secure_delete``
    overwrites a destroyed key's bytes on disk; the file is readable by its owner only."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        fresh = not os.path.exists(path)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        if fresh:
            with contextlib.suppress(OSError):
                os.chmod(path, 0o600)
        self._db.execute("PRAGMA secure_delete = ON")
        self._db.execute("PRAGMA journal_mode = DELETE")  # no WAL copy of a destroyed key left behind
        self._db.execute("CREATE TABLE IF NOT EXISTS personal_keys (owner TEXT PRIMARY KEY, key BLOB NOT NULL)")
        self._keys = dict(self._db.execute("SELECT owner, key FROM personal_keys").fetchall())

    def get(self, owner: str) -> bytes | None:
        found = self._keys.get(owner)
        if found is None:  # another process on the same store may have made it since
            with self._lock:
                row = self._db.execute("SELECT key FROM personal_keys WHERE owner = ?", (owner,)).fetchone()
                if row is not None:
                    found = self._keys[owner] = bytes(row[0])
        return found

    def get_or_create(self, owner: str) -> bytes:
        found = self.get(owner)
        if found is not None:
            return found
        with self._lock:
            new = secrets.token_bytes(KEY_BYTES)
            self._db.execute("INSERT OR IGNORE INTO personal_keys VALUES (?, ?)", (owner, new))
            row = self._db.execute("SELECT key FROM personal_keys WHERE owner = ?", (owner,)).fetchone()
            found = self._keys[owner] = bytes(row[0])
            return found

    def forget(self, owner: str) -> None:
        with self._lock:
            self._keys.pop(owner, None)

    def ensure(self, owners: list[str]) -> None:
        """The keys of a batch of new participants in one transaction: one sync of the key file, not one each."""
        missing = [o for o in owners if o not in self._keys]
        if not missing:
            return
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "INSERT OR IGNORE INTO personal_keys VALUES (?, ?)",
                    [(o, secrets.token_bytes(KEY_BYTES)) for o in missing],
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            marks = ",".join("?" * len(missing))
            rows = self._db.execute(f"SELECT owner, key FROM personal_keys WHERE owner IN ({marks})", missing)
            self._keys.update((str(o), bytes(k)) for o, k in rows.fetchall())

    def put(self, owner: str, key: bytes) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO personal_keys VALUES (?, ?)", (owner, key))
            self._keys[owner] = key

    def destroy(self, owner: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM personal_keys WHERE owner = ?", (owner,))
            self._keys.pop(owner, None)

    def destroy_all(self, owners: list[str]) -> None:
        """Destroy many keys in one transaction (one sync of the key file, not one per key)."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany("DELETE FROM personal_keys WHERE owner = ?", [(o,) for o in owners])
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            for owner in owners:
                self._keys.pop(owner, None)

    def close(self) -> None:
        with self._lock:
            self._db.close()
