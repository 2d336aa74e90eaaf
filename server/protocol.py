"""Wire messages: parsing untrusted frames into typed messages, and encoding answers.

Wire messages are their own schema, separate from stored events. See docs/protocol.md.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Literal

import msgpack

Encoding = Literal["json", "msgpack"]

MAX_FRAME = 64 * 1024
_COMMAND_ID = re.compile(r"^[A-Za-z0-9_\-.:]{1,64}$")
_NAME = re.compile(r"^[a-z_]{1,40}$")


class ProtocolError(Exception):
    def __init__(self, code: str, message: str, command_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.command_id = command_id


@dataclass(frozen=True)
class Hello:
    token: str | None
    view: str | None
    position: int | None


@dataclass(frozen=True)
class CommandMsg:
    id: str
    name: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Ping:
    t: float | None


Message = Hello | CommandMsg | Ping


def decode_frame(data: str | bytes, limit: int = MAX_FRAME) -> tuple[Any, Encoding]:
    """Decode a text (JSON) or binary (msgpack) frame of at most ``limit`` bytes."""
    size = len(data.encode("utf-8", "surrogatepass")) if isinstance(data, str) else len(data)
    if size > limit:
        raise ProtocolError("too_large", f"frames are limited to {limit} bytes")
    try:
        if isinstance(data, str):
            return json.loads(data), "json"
        return msgpack.unpackb(data, raw=False, strict_map_key=True), "msgpack"
    except (ValueError, TypeError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError, RecursionError):
        raise ProtocolError("bad_frame", "the frame is not valid JSON or msgpack") from None


def parse(obj: Any) -> Message:
    """Turn a decoded frame into a typed message, or raise ProtocolError with a stable code."""
    if not isinstance(obj, dict):
        raise ProtocolError("bad_frame", "a message must be an object")
    kind = obj.get("type")
    if kind == "command":
        command_id = obj.get("id")
        if not isinstance(command_id, str) or not _COMMAND_ID.fullmatch(command_id):
            raise ProtocolError("bad_message", "a command needs an 'id' of 1-64 characters [A-Za-z0-9_-.:]")
        return CommandMsg(command_id, *parse_command_body(obj, command_id))
    if kind == "hello":
        token, view, position = obj.get("token"), obj.get("view"), obj.get("position")
        if token is not None and (not isinstance(token, str) or len(token) > 256):
            raise ProtocolError("bad_message", "'token' must be a string")
        if view is not None and view not in ("dashboard", "projector", "participant"):
            raise ProtocolError("bad_message", "'view' must be dashboard, projector or participant")
        if position is not None and (isinstance(position, bool) or not isinstance(position, int)):
            raise ProtocolError("bad_message", "'position' must be an integer")
        return Hello(token, view, position)
    if kind == "ping":
        t = obj.get("t")
        # Echoed back: only a number every encoder and JSON.parse take (finite, within 2^53).
        ok = isinstance(t, int | float) and not isinstance(t, bool) and math.isfinite(t) and abs(t) <= 2**53
        return Ping(t if ok else None)
    raise ProtocolError("bad_message", "'type' must be hello, command or ping")


def parse_command_body(obj: dict[str, Any], command_id: str | None) -> tuple[str, dict[str, Any]]:
    name, args = obj.get("name"), obj.get("args", {})
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ProtocolError("unknown_command", "'name' must be a command name", command_id)
    if not isinstance(args, dict):
        raise ProtocolError("invalid_args", "'args' must be an object", command_id)
    return name, args


def encode(message: dict[str, Any], encoding: Encoding) -> str | bytes:
    if encoding == "msgpack":
        return msgpack.packb(message, use_bin_type=True)  # type: ignore[no-any-return]
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def error(code: str, message: str, command_id: str | None = None, details: Any = None) -> dict[str, Any]:
    """An error message; ``details`` carries what the refusal must not lose (e.g. both texts of an edit conflict)."""
    message_ = {"type": "error", "id": command_id, "code": code, "message": message}
    if details is not None:
        message_["details"] = details
    return message_


def retry_after(wait: float) -> int:
    """Whole seconds to wait (at least 1), as the ``Retry-After`` header and ``details.retry_after`` say it."""
    return max(1, math.ceil(wait))


def rate_limited(message: str, wait: float, command_id: str | None = None) -> dict[str, Any]:
    """A ``rate_limited`` error that says when to try again: ``details.retry_after``, in seconds."""
    return error("rate_limited", message, command_id, {"retry_after": retry_after(wait)})
