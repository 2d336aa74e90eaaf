"""Helpers for server tests: a websocket peer reading with deadlines, HTTP shortcuts, the documented codes.

Everything here talks to the app the way a client does (HTTP and websocket frames); nothing reaches into the
domain except to read ``app.state.services`` where a test must observe the store itself.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2 as httpx
import msgpack
from starlette.testclient import TestClient

from server.app import create_app
from server.services import Settings

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = (ROOT / "docs" / "protocol.md").read_text()

DEADLINE = 5.0  # seconds a test waits for a condition before it fails
SECTORS = ["Agrifood", "Energy", "Mobility"]
DETAILS: dict[str, Any] = {
    "title": "Clusters meet",
    "date": "2026-11-22",
    "venue": "Bologna",
    "language": "en",
    "sectors": SECTORS,
}
PROFILE: dict[str, Any] = {
    "name": "Ada", "organisation": "Cluster X", "organisation_type": "cluster", "country": "IT", "sector": "Agrifood"
}  # fmt: skip
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")

# Fuzz case counts, printed at the end of the run by conftest.pytest_terminal_summary.
FUZZ_COUNTS: dict[str, int] = {}


def _documented_codes() -> dict[str, int]:
    section = PROTOCOL.split("## Error codes", 1)[1]
    return {m[1]: int(m[2]) for m in re.finditer(r"^\| `([a-z_]+)` \| (\d{3}) \|", section, re.M)}


# code -> HTTP status, as docs/protocol.md states them (the contract these tests hold the server to).
CODES: dict[str, int] = _documented_codes()
assert len(CODES) >= 20, "could not read the error code table from docs/protocol.md"

_ids = itertools.count(1)


def new_id(prefix: str = "c") -> str:
    return f"{prefix}-{next(_ids)}-{time.monotonic_ns() % 10**9}"


# Every TestClient request comes from one address ("testclient"): tests that join a crowd would hit the
# per-address limits meant for real venues; tests of those limits set their own (tests/server/test_door.py).
GENEROUS_DOOR: dict[str, Any] = {"address_join_burst": 1_000_000, "address_lookup_burst": 1_000_000}


def settings(**overrides: Any) -> Settings:
    return Settings(**{"push_interval": 0.02, **GENEROUS_DOOR, **overrides})


@contextmanager
def running(**overrides: Any) -> Iterator[TestClient]:
    """A TestClient whose lifespan runs (hub ticker and writer thread started) on the in-memory store."""
    app = create_app("memory://", settings(**overrides))
    with TestClient(app, raise_server_exceptions=False) as client:
        try:
            yield client
        finally:
            # A socket a failed test left open would keep the portal (and the run) waiting forever.
            for peer in list(_OPEN.get(id(client), [])):
                peer.close()
            _OPEN.pop(id(client), None)


_OPEN: dict[int, list[Peer]] = {}


# HTTP shortcuts.


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def post_json(client: TestClient, path: str, body: Any, token: str | None = None) -> httpx.Response:
    """POST ``body`` as ASCII JSON (lone surrogates travel as escapes, as JSON.stringify sends them)."""
    headers = {"Content-Type": "application/json", **bearer(token)}
    return client.post(path, content=json.dumps(body).encode(), headers=headers)


def create_workshop(client: TestClient, **details: Any) -> dict[str, Any]:
    r = post_json(client, "/api/workshops", {**DETAILS, **details})
    assert r.status_code == 201, r.text
    return dict(r.json())


def join(client: TestClient, code: str, **profile: Any) -> dict[str, Any]:
    r = post_json(client, "/api/join", {"code": code, **PROFILE, **profile})
    assert r.status_code == 201, r.text
    return dict(r.json())


def command(
    client: TestClient,
    workshop_id: str,
    token: str | None,
    name: str,
    args: Any = None,
    command_id: str | None = None,
) -> httpx.Response:
    body = {"id": command_id or new_id(), "name": name, "args": {} if args is None else args}
    return post_json(client, f"/api/workshops/{workshop_id}/commands", body, token)


def ok(
    client: TestClient,
    workshop_id: str,
    token: str | None,
    name: str,
    args: Any = None,
    command_id: str | None = None,
) -> dict[str, Any]:
    r = command(client, workshop_id, token, name, args, command_id)
    assert r.status_code == 200, f"{name}: {r.status_code} {r.text}"
    ack = r.json()
    assert ack["type"] == "ack", ack
    return dict(ack)


def view(client: TestClient, workshop_id: str, token: str | None, name: str) -> dict[str, Any]:
    r = client.get(f"/api/workshops/{workshop_id}/views/{name}", headers=bearer(token))
    assert r.status_code == 200, r.text
    return dict(r.json())


def assert_error(r: httpx.Response, code: str) -> None:
    """The documented status and the stable code, in the documented shape."""
    assert r.headers["content-type"].startswith("application/json"), r.text
    body = r.json()
    assert (r.status_code, body.get("error", {}).get("code")) == (CODES[code], code), r.text
    assert set(body) == {"error"} and isinstance(body["error"]["message"], str), body


# Views and their updates.


def apply_ops(data: Any, ops: list[list[Any]]) -> Any:
    """Apply ``update.ops`` to a view's data as docs/protocol.md describes (a reference client)."""
    data = copy.deepcopy(data)
    for op in ops:
        kind, path = op[0], op[1]
        assert isinstance(path, list) and all(isinstance(k, str) for k in path), op
        if kind == "set":
            if not path:
                data = copy.deepcopy(op[2])
                continue
            target = data
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = copy.deepcopy(op[2])
        elif kind == "del":
            assert path, op
            target = data
            for key in path[:-1]:
                target = target[key]
            del target[path[-1]]
        else:
            raise AssertionError(f"unknown op {op!r}")
    return data


# Websocket peers.


class Closed(Exception):
    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(f"closed with {code} {reason}")
        self.code, self.reason = code, reason


async def _receive(stream: Any, timeout: float) -> Any:
    with anyio.fail_after(timeout):
        return await stream.receive()


def _strict_json(text: str) -> Any:
    def constant(name: str) -> Any:
        raise AssertionError(f"the server sent {name}, which is not JSON (browsers' JSON.parse refuses it)")

    return json.loads(text, parse_constant=constant)


class Peer:
    """One websocket, read with deadlines. Keeps every message received and the latest state of each view."""

    def __init__(self, client: TestClient, workshop_id: str, headers: dict[str, str] | None = None) -> None:
        self._cm = client.websocket_connect(f"/ws/{workshop_id}", headers=dict(headers or {}))
        self.ws = self._cm.__enter__()
        self._client_id = id(client)
        _OPEN.setdefault(id(client), []).append(self)
        self.workshop_id = workshop_id
        self.messages: list[dict[str, Any]] = []
        self.frames: list[str] = []  # "text" or "binary", per message
        self.views: dict[str, dict[str, Any]] = {}  # view -> {"position", "data"}
        self.updates = 0
        self.closed: Closed | None = None
        self._open = True

    # Sending.

    def send(self, message: Any, encoding: str = "json") -> None:
        if encoding == "msgpack":
            self.ws.send_bytes(msgpack.packb(message, use_bin_type=True))
        else:
            self.ws.send_text(json.dumps(message))

    def send_raw(self, frame: str | bytes) -> None:
        if isinstance(frame, str):
            self.ws.send_text(frame)
        else:
            self.ws.send_bytes(frame)

    # Receiving.

    def recv(self, timeout: float = DEADLINE) -> dict[str, Any]:
        """The next message; raises Closed if the server closed the socket, TimeoutError after ``timeout``."""
        if self.closed is not None:
            raise self.closed
        raw = self.ws.portal.call(_receive, self.ws._send_rx, timeout)
        if raw["type"] == "websocket.close":
            self.closed = Closed(raw.get("code", 1000), raw.get("reason") or "")
            raise self.closed
        assert raw["type"] == "websocket.send", raw
        if raw.get("text") is not None:
            text = raw["text"]
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as e:
                raise AssertionError(f"the server sent a text frame that is not valid UTF-8 ({e}): {text!r}") from e
            message = _strict_json(text)
            self.frames.append("text")
        else:
            message = msgpack.unpackb(raw["bytes"], raw=False)
            self.frames.append("binary")
        assert isinstance(message, dict) and isinstance(message.get("type"), str), message
        self.messages.append(message)
        self._track(message)
        return message

    def _track(self, m: dict[str, Any]) -> None:
        if m["type"] == "snapshot":
            self.views[m["view"]] = {"position": m["position"], "data": m["data"]}
        elif m["type"] == "update":
            current = self.views.get(m["view"])
            assert current is not None, f"an update before any snapshot of {m['view']}: {m}"
            assert m["position"] >= current["position"], f"update position went back: {current['position']} -> {m}"
            current["data"] = apply_ops(current["data"], m["ops"])
            current["position"] = m["position"]
            self.updates += 1

    def wait(
        self, condition: Callable[[dict[str, Any]], bool], what: str = "a message", timeout: float = DEADLINE
    ) -> dict[str, Any]:
        """Read until a message satisfies ``condition``; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        seen: list[dict[str, Any]] = []
        while True:
            left = deadline - time.monotonic()
            try:
                if left <= 0:
                    raise TimeoutError
                m = self.recv(left)
            except TimeoutError:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}; got {_short(seen)}") from None
            except Closed as e:
                raise AssertionError(f"closed ({e.code}) while waiting for {what}; got {_short(seen)}") from None
            seen.append(m)
            if condition(m):
                return m

    def wait_view(
        self,
        view: str,
        condition: Callable[[dict[str, Any]], bool],
        what: str = "the view",
        timeout: float = DEADLINE,
    ) -> dict[str, Any]:
        """Read until the local copy of ``view`` (snapshot + updates applied) satisfies ``condition``."""
        current = self.views.get(view)
        if current is not None and condition(current["data"]):
            return current
        self.wait(lambda m: view in self.views and condition(self.views[view]["data"]), what, timeout)
        return self.views[view]

    def wait_closed(self, timeout: float = DEADLINE) -> Closed:
        deadline = time.monotonic() + timeout
        while self.closed is None:
            try:
                self.recv(max(0.0, deadline - time.monotonic()))
            except Closed:
                break
            except TimeoutError:
                raise AssertionError(f"the server did not close the socket within {timeout}s") from None
        return self.closed

    def silent(self, timeout: float) -> bool:
        """True if nothing arrives within ``timeout`` (a bounded check for absence, not a wait)."""
        try:
            self.recv(timeout)
        except TimeoutError:
            return True
        except Closed:
            return False
        return False

    # Protocol steps.

    def hello(
        self,
        token: str | None = None,
        view: str | None = None,
        position: int | None = None,
        encoding: str = "json",
    ) -> dict[str, Any]:
        """Send hello; return the welcome, after the snapshot too when a view was asked for."""
        message: dict[str, Any] = {"type": "hello"}
        if token is not None:
            message["token"] = token
        if view is not None:
            message["view"] = view
        if position is not None:
            message["position"] = position
        self.send(message, encoding)
        welcome = self.wait(lambda m: m["type"] in ("welcome", "error"), "welcome")
        assert welcome["type"] == "welcome", welcome
        if view is not None:
            self.wait(lambda m: m["type"] == "snapshot" and m["view"] == view, f"a {view} snapshot")
        return welcome

    def run(
        self,
        name: str,
        args: Any = None,
        command_id: str | None = None,
        encoding: str = "json",
        timeout: float = DEADLINE,
    ) -> dict[str, Any]:
        """Send a command and return its ack or error."""
        command_id = command_id or new_id()
        self.send(
            {"type": "command", "id": command_id, "name": name, "args": {} if args is None else args},
            encoding,
        )
        return self.answer(command_id, timeout)

    def answer(self, command_id: str, timeout: float = DEADLINE) -> dict[str, Any]:
        return self.wait(
            lambda m: m["type"] in ("ack", "error") and m.get("id") == command_id,
            f"the answer to {command_id}",
            timeout,
        )

    def acked(
        self, name: str, args: Any = None, command_id: str | None = None, encoding: str = "json"
    ) -> dict[str, Any]:
        m = self.run(name, args, command_id, encoding)
        assert m["type"] == "ack", m
        return m

    def close(self) -> None:
        if self._open:
            self._open = False
            peers = _OPEN.get(self._client_id, [])
            if self in peers:
                peers.remove(self)
            self._cm.__exit__(None, None, None)

    def __enter__(self) -> Peer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _short(messages: list[dict[str, Any]]) -> str:
    text = json.dumps(messages[-5:], default=repr)
    return text if len(text) < 2000 else text[:2000] + "…"


def is_error(code: str, command_id: str | None = None) -> Callable[[dict[str, Any]], bool]:
    return lambda m: m["type"] == "error" and m["code"] == code and (command_id is None or m["id"] == command_id)


def finite(x: Any) -> bool:
    return not isinstance(x, float) or math.isfinite(x)


# A workshop with its people, for tests that need one.


class Room:
    """A workshop created over HTTP, with tokens, and helpers to join people and read views."""

    def __init__(self, client: TestClient, **details: Any) -> None:
        self.client = client
        created = create_workshop(client, **details)
        self.id: str = created["workshop_id"]
        self.code: str = created["code"]
        self.facilitator: str = created["facilitator_token"]
        self.projector: str = created["projector_token"]
        self.created = created

    def join(self, **profile: Any) -> dict[str, Any]:
        return join(self.client, self.code, **profile)

    def view(self, name: str = "dashboard", token: str | None = None) -> dict[str, Any]:
        if token is None:
            token = {"dashboard": self.facilitator, "projector": self.projector}[name]
        return view(self.client, self.id, token, name)

    def position(self) -> int:
        return int(self.view()["position"])

    def ok(
        self, name: str, args: Any = None, token: str | None = None, command_id: str | None = None
    ) -> dict[str, Any]:
        return ok(self.client, self.id, token or self.facilitator, name, args, command_id)

    def one_group_sheet(self, question: str = "Ideas?") -> dict[str, str]:
        """Split everyone present into one group and pose one question: where a contribution to it goes
        (``question_set_id``, ``group_id``, ``question_id``)."""
        split = self.ok("split_groups", {"strategy": "random", "groups": 1})["result"]["split_id"]
        qs = self.ok("pose_questions", {"split_id": split, "questions": [question]})["result"]["question_set_id"]
        groups = self.view()["data"]["groups"]
        return {"question_set_id": qs, "group_id": groups["split"]["groups"][0]["id"],
                "question_id": groups["question_sets"][0]["questions"][0]["id"]}  # fmt: skip

    def add_item(self, title: str = "Opening", kind: str = "plenary") -> str:
        return str(self.ok("add_agenda_item", {"title": title, "kind": kind})["result"]["item_id"])

    def peer(self, token: str | None = None, view: str | None = None, **kw: Any) -> Peer:
        p = Peer(self.client, self.id)
        if token is not None or view is not None or kw:
            try:
                p.hello(token, view, **kw)
            except BaseException:
                p.close()
                raise
        return p
