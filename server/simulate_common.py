"""What the `tavolo simulate` scenarios share: timeouts, HTTP and frame helpers, figures and view updates."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import msgpack
from websockets.asyncio.client import ClientConnection

MAX_ATTEMPTS = 6  # connection attempts per participant before giving up
STEP_TIMEOUT = 30.0  # seconds for one step (connect, ack, snapshot) before the attempt counts as lost
SETTLE_TIMEOUT = 15.0  # after the last join, how long the dashboard may take to show everyone
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
REHEARSAL_SECTORS = ["Agrifood", "Energy", "Health and life sciences", "Digital and ICT", "Mobility",
                     "Creative industries", "Textiles and fashion", "Maritime", "Construction"]  # fmt: skip


def run_sync(coro: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:
    """Run on uvloop when installed (uvicorn[standard] brings it): the client's CPU is in the figures."""
    try:
        import uvloop

        factory: Callable[[], asyncio.AbstractEventLoop] | None = uvloop.new_event_loop
    except ImportError:
        factory = None
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(coro)


def percentiles(values: Sequence[float]) -> dict[str, float | None]:
    """p50, p99 and max (nearest rank) of durations in seconds, as milliseconds."""
    if not values:
        return {"p50": None, "p99": None, "max": None}
    ordered = sorted(values)

    def rank(p: int) -> float:
        return round(ordered[max(0, -(-len(ordered) * p // 100) - 1)] * 1000, 1)

    return {"p50": rank(50), "p99": rank(99), "max": round(ordered[-1] * 1000, 1)}


def apply_ops(data: Any, ops: Sequence[Sequence[Any]]) -> Any:
    """Apply an `update`'s ops (`["set", path, value]`, `["del", path]`) to a view's data; return it."""
    for op in ops:
        kind, path = op[0], list(op[1])
        if not path:
            data = op[2] if kind == "set" else {}
            continue
        parent = data
        for key in path[:-1]:
            parent = parent.setdefault(key, {})
        if kind == "set":
            parent[path[-1]] = op[2]
        elif kind == "del":
            parent.pop(path[-1], None)
    return data


class SetupError(Exception):
    """The workshop could not be created or found."""


class _Refused(Exception):
    def __init__(self, code: str, retry: bool = False) -> None:
        super().__init__(code)
        self.code, self.retry = code, retry


def _http(method: str, url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with _OPENER.open(request, timeout=STEP_TIMEOUT) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"null")
        except ValueError:
            return exc.code, None


def _packer(encoding: str) -> Callable[[dict[str, Any]], bytes | str]:
    """The server answers in the encoding of the client's `hello`."""
    if encoding == "json":
        return lambda message: json.dumps(message, ensure_ascii=False)
    return msgpack.packb  # type: ignore[no-any-return]


def _unpack(frame: str | bytes) -> dict[str, Any]:
    message = json.loads(frame) if isinstance(frame, str) else msgpack.unpackb(frame)
    return message if isinstance(message, dict) else {}


_VIEW_HEADS = (b"\xa4type\xa6update", b"\xa4type\xa8snapshot")


def _is_view_frame(frame: str | bytes) -> bool:
    """A view `update` or `snapshot`, told from the first bytes (the server writes `type` first); anything else,
    or a frame this cannot tell, is decoded."""
    head = frame[:24]
    if isinstance(head, str):
        return head.replace(" ", "").startswith(('{"type":"update"', '{"type":"snapshot"'))
    return head[1:].startswith(_VIEW_HEADS) or head[3:].startswith(_VIEW_HEADS)


def _http_bearer(url: str, token: str) -> tuple[int, Any]:
    """GET with the facilitator's token (the shared helper sends none)."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    try:
        with _OPENER.open(request, timeout=STEP_TIMEOUT) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (OSError, ValueError):
        return 0, None


async def stay_until(release: asyncio.Event, ws: ClientConnection, reader: asyncio.Task[None]) -> bool:
    """Keep `ws` open, read by `reader`, until `release` is set; then close it. True if the socket was lost first."""
    released = asyncio.create_task(release.wait())
    try:
        await asyncio.wait([reader, released], return_when=asyncio.FIRST_COMPLETED)
        return reader.done()
    finally:
        await ws.close()
        for task in (reader, released):
            task.cancel()
        await asyncio.gather(reader, released, return_exceptions=True)


async def _setup(args: argparse.Namespace, base: str) -> tuple[str, str, str | None, list[str]]:
    """(workshop_id, code, facilitator token or None, sectors); without --code, create a rehearsal."""
    workshop_id, token = None, args.facilitator_token
    code = args.code
    if code is None:
        today = dt.date.today().isoformat()  # noqa: DTZ011 (the organiser's calendar day is local)
        title = f"Rehearsal {today} ({args.participants} participants, seed {args.seed})"
        body = {"title": title, "date": today, "venue": "Simulated venue", "language": "en",
                "sectors": REHEARSAL_SECTORS}  # fmt: skip
        status, answer = await asyncio.to_thread(_http, "POST", f"{base}/api/workshops", body)
        if status != 201 or not isinstance(answer, dict):
            raise SetupError(f"POST /api/workshops answered {status}: {answer}")
        workshop_id, code, token = answer["workshop_id"], answer["code"], answer["facilitator_token"]
    status, info = await asyncio.to_thread(_http, "GET", f"{base}/api/codes/{urllib.parse.quote(code)}")
    if status != 200 or not isinstance(info, dict):
        raise SetupError(f"GET /api/codes/{code} answered {status}: {info}")
    return str(workshop_id or info["workshop_id"]), code, token, list(info.get("sectors") or [])
