"""kill -9 during a vote storm: what was acknowledged survives, nothing is half-applied, views equal a rebuild."""

from __future__ import annotations

import http.client
import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Server, start_server

pytestmark = pytest.mark.slow

VOTERS = 40


def _command(server: Server, workshop_id: str, token: str, name: str, args: dict[str, Any], cid: str) -> Any:
    body = json.dumps({"id": cid, "name": name, "args": args}).encode()
    req = urllib.request.Request(
        f"{server.url}/api/workshops/{workshop_id}/commands", data=body, method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )  # fmt: skip
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())


def test_acknowledged_ballots_survive_kill_9_and_views_equal_a_rebuild(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path}/tavolo.db"
    server = start_server(store, tmp_path / "server.log")
    w = server.request("POST", "/api/workshops", {"title": "Crash", "date": "2026-11-22", "language": "en"})
    wid, fac = w["workshop_id"], w["facilitator_token"]
    sector = server.request("GET", f"/api/codes/{w['code']}")["sectors"][0]
    voters = [
        server.request("POST", "/api/join", {
            "code": w["code"], "name": f"Voter {i}", "organisation": "Org", "country": "IT", "sector": sector,
        })["participant_token"]
        for i in range(VOTERS)
    ]  # fmt: skip
    poll = {"title": "Storm", "kind": "single", "questions": [{"options": ["A", "B", "C"]}]}
    poll_id = _command(server, wid, fac, "create_poll", poll, "create-poll")["result"]["poll_id"]
    _command(server, wid, fac, "open_poll", {"poll_id": poll_id}, "open-poll")

    acked: list[tuple[str, str, dict[str, Any]]] = []  # (token, command id, args) of every acknowledged ballot
    lock = threading.Lock()
    stop = threading.Event()

    def storm(token: str) -> None:
        n = 0
        while not stop.is_set() and n < 500:
            n += 1
            cid, args = str(uuid.uuid4()), {"poll_id": poll_id, "answer": f"o{n % 3 + 1}"}
            try:
                ack = _command(server, wid, token, "cast_ballot", args, cid)
            except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError):
                return  # the server died under us
            if ack.get("type") == "ack":
                with lock:
                    acked.append((token, cid, args))

    threads = [threading.Thread(target=storm, args=(t,), daemon=True) for t in voters]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while len(acked) < 300 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(server.process.pid, signal.SIGKILL)  # mid-storm, no shutdown of any kind
    server.process.wait()
    stop.set()
    for t in threads:
        t.join(timeout=10)
    assert len(acked) >= 300, "the storm did not get going"

    server = start_server(store, tmp_path / "server.log")
    try:
        # Every acknowledged ballot is in the log: its retry is recognised, never applied again.
        for token, cid, args in acked:
            again = _command(server, wid, token, "cast_ballot", args, cid)
            assert again["duplicate"] is True, cid
        dashboard = server.request("GET", f"/api/workshops/{wid}/views/dashboard", token=fac)["data"]
        tally = dashboard["polls"][poll_id]
        voted = {token for token, _, _ in acked}
        assert tally["turnout"]["voted"] >= len(voted)
        assert tally["turnout"]["voted"] <= VOTERS  # one ballot per voter, whatever the retries
        assert sum(o["count"] for o in tally["results"][0]["options"]) == tally["turnout"]["voted"]
        # The service goes on, and what it folds live equals what a restart rebuilds from the store.
        _command(server, wid, fac, "close_poll", {"poll_id": poll_id}, "close-poll")
        live = server.request("GET", f"/api/workshops/{wid}/views/dashboard", token=fac)
    finally:
        server.stop()
    server = start_server(store, tmp_path / "server.log")
    try:
        rebuilt = server.request("GET", f"/api/workshops/{wid}/views/dashboard", token=fac)
        assert rebuilt == live
    finally:
        server.stop()
