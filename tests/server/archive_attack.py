"""Edited export files, as an attacker would make them: an extra row appended to a genuine export (the tests of
server/archive_check.py and tests/acceptance/test_trust.py)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgpack

from domain.application import Tavolo
from domain.tokens import hash_token
from domain.workshop import Workshop

MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


def stored_row(event: Any) -> list[Any]:
    """A domain event as an export row: ``[topic, originator id bytes, version, state]``."""
    s = Tavolo(MEMORY).mapper.to_stored_event(event)
    return [s.topic, UUID(str(s.originator_id)).bytes, s.originator_version, bytes(s.state)]


def link_rotated(workshop_id: UUID, version: int, token: str) -> list[Any]:
    """A ``LinkRotated`` row giving ``workshop_id``'s facilitator link to ``token``'s holder."""
    event = Workshop.LinkRotated(  # type: ignore[call-arg]
        originator_id=workshop_id,
        originator_version=version,
        timestamp=datetime.now(UTC),
        command_id="evil",
        role="facilitator",
        token_hash=hash_token(token),
    )
    return stored_row(event)


def rows_of(export: bytes) -> tuple[dict[str, Any], list[list[Any]]]:
    unpacker = msgpack.Unpacker(io.BytesIO(export), raw=False)
    header = next(unpacker)
    return header, list(unpacker)


def rewritten(header: dict[str, Any], rows: list[list[Any]]) -> bytes:
    """A file of these rows, its header's count fixed (as an attacker would)."""
    out: bytes = msgpack.packb({**header, "events": len(rows)}, use_bin_type=True)
    return out + b"".join(msgpack.packb(r, use_bin_type=True) for r in rows)


def with_row(export: bytes, row: list[Any]) -> bytes:
    """The export with one more row at its end."""
    header, rows = rows_of(export)
    return rewritten(header, [*rows, row])
