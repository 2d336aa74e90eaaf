"""What an acceptance test does as a user: create a workshop, join, run commands, watch a live view."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.sync.client import connect

from server.simulate_common import apply_ops
from tests.e2e.conftest import Server


class HttpError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {body}")
        self.status, self.body = status, body


def http(server: Server, method: str, path: str, body: Any = None, token: str | None = None,
         headers: dict[str, str] | None = None) -> Any:  # fmt: skip
    """One HTTP request as a browser's fetch would send it; an error status raises `HttpError` with its body."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(server.url + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    request.add_header("Origin", server.url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            kind = response.headers.get("content-type", "")
            return json.loads(raw) if kind.startswith("application/json") else raw
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = {"raw": raw.decode(errors="replace")}
        raise HttpError(e.code, parsed) from None


def wait_for(condition: Callable[[], Any], timeout: float = 15, what: str = "the condition") -> Any:
    """Poll `condition` until it returns something truthy (returned) or the deadline passes (AssertionError)."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = condition()
            if result:
                return result
        except (KeyError, TypeError, IndexError, AttributeError) as e:
            last = e
        time.sleep(0.03)
    raise AssertionError(f"timed out waiting for {what}" + (f" (last error: {last!r})" if last else ""))


class LiveView:
    """A websocket watching one view (dashboard, projector, participant), folding snapshot and updates in a thread."""

    def __init__(self, server: Server, workshop_id: str, token: str | None, view: str) -> None:
        self.data: dict[str, Any] = {}
        self.position = 0
        self.frames: list[dict[str, Any]] = []
        self._stack = contextlib.ExitStack()
        url = server.url.replace("http", "ws", 1) + f"/ws/{workshop_id}"
        self._ws = self._stack.enter_context(connect(url, open_timeout=10))
        self._ws.send(json.dumps({"type": "hello", "token": token, "view": view}))
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        with contextlib.suppress(Exception):
            for frame in self._ws:
                message = json.loads(frame)
                self.frames.append(message)
                if message["type"] == "snapshot":
                    self.data = message["data"]
                elif message["type"] == "update":
                    self.data = apply_ops(self.data, message["ops"])
                else:
                    continue
                self.position = message["position"]

    def wait(self, condition: Callable[[dict[str, Any]], Any], timeout: float = 15, what: str = "the view") -> Any:
        try:
            return wait_for(lambda: condition(self.data), timeout, what)
        except AssertionError as e:
            raise AssertionError(f"{e}: {json.dumps(self.data)[:2000]}") from None

    def send(self, message: dict[str, Any]) -> None:
        self._ws.send(json.dumps(message))

    def close(self) -> None:
        self._stack.close()


@dataclass
class Person:
    participant_id: str
    token: str
    name: str


@dataclass
class Room:
    """One workshop on a live server, driven over its public HTTP API and websockets."""

    server: Server
    workshop_id: str
    code: str
    facilitator_token: str
    projector_token: str
    created: dict[str, Any]
    views: list[LiveView] = field(default_factory=list)

    @classmethod
    def create(cls, server: Server, title: str = "Acceptance", **extra: Any) -> Room:
        body = {"title": title, "date": "2026-11-22", "language": "en", **extra}
        w = http(server, "POST", "/api/workshops", body)
        return cls(server, w["workshop_id"], w["code"], w["facilitator_token"], w["projector_token"], w)

    def sectors(self) -> list[str]:
        return list(http(self.server, "GET", f"/api/codes/{self.code}")["sectors"])

    def join(self, name: str, organisation: str = "Org", country: str = "IT", sector: str | None = None,
             **extra: Any) -> Person:  # fmt: skip
        body = {"code": self.code, "name": name, "organisation": organisation, "country": country,
                "sector": sector or self.sectors()[0], **extra}  # fmt: skip
        r = http(self.server, "POST", "/api/join", body)
        return Person(r["participant_id"], r["participant_token"], name)

    def command(self, name: str, args: dict[str, Any] | None = None, token: str | None = None,
                command_id: str | None = None) -> dict[str, Any]:  # fmt: skip
        """Run a command as the facilitator (or `token`'s holder) and return its ack."""
        body = {"id": command_id or str(uuid.uuid4()), "name": name, "args": args or {}}
        return dict(http(self.server, "POST", f"/api/workshops/{self.workshop_id}/commands", body,
                         token=token or self.facilitator_token))  # fmt: skip

    def view(self, view: str = "dashboard", token: str | None = None) -> dict[str, Any]:
        r = http(self.server, "GET", f"/api/workshops/{self.workshop_id}/views/{view}",
                 token=token or self.facilitator_token)  # fmt: skip
        return dict(r["data"])

    def get(self, path: str, token: str | None = None) -> Any:
        path = f"/api/workshops/{self.workshop_id}{path}"
        return http(self.server, "GET", path, token=token or self.facilitator_token)

    def watch(self, view: str = "dashboard", token: str | None = None) -> LiveView:
        live = LiveView(self.server, self.workshop_id, token or self.facilitator_token, view)
        self.views.append(live)
        return live

    def close(self) -> None:
        for live in self.views:
            live.close()


def run_tavolo_command(*args: str, timeout: float = 120, check: bool = True) -> Any:
    """``tavolo ARGS…`` as a user runs it, in its own process (``python -m server.cli``, this checkout's code):
    the finished process, with ``stdout`` and ``stderr`` as text. ``check``: fail on a non-zero exit status, with
    what the command printed."""
    import subprocess
    import sys
    from pathlib import Path

    done = subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=Path(__file__).resolve().parents[2],
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip
    if check and done.returncode != 0:
        raise AssertionError(f"tavolo {' '.join(args)} exited {done.returncode}:\n{done.stdout[-2000:]}\n"
                             f"{done.stderr[-2000:]}")  # fmt: skip
    return done


def open_single_choice_poll(room: Room, title: str, options: list[str], secret: bool = False) -> str:
    """Create and open a one-question single-choice poll as the facilitator; its id (options are o1, o2, …)."""
    settings = {"title": title, "kind": "single", "secret": secret, "questions": [{"options": options}]}
    poll = str(room.command("create_poll", settings)["result"]["poll_id"])
    room.command("open_poll", {"poll_id": poll})
    return poll
