"""Several ``tavolo serve`` processes on one PostgreSQL store and one Redis broker, with no sticky sessions.

Redis and PostgreSQL "blips" are made with a TCP proxy that the test cuts and restores (tests/e2e/proxy.py): the
machine's services are never stopped, and the processes see exactly what a restart looks like (refused
connections, reset sockets).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from websockets.sync.client import connect

from server.simulate_common import apply_ops
from tests.e2e.conftest import Server, start_server
from tests.e2e.proxy import Proxy

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

VOTERS = 24


class Dashboard:
    """A facilitator's dashboard socket on one process, folding snapshots and updates in a thread."""

    def __init__(self, server: Server, workshop_id: str, token: str) -> None:
        self.data: dict[str, Any] = {}
        self.position = 0
        self.positions: list[int] = []
        self._stack = contextlib.ExitStack()
        url = server.url.replace("http", "ws") + f"/ws/{workshop_id}"
        self._ws = self._stack.enter_context(connect(url, open_timeout=10))
        self._ws.send(json.dumps({"type": "hello", "token": token, "view": "dashboard"}))
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for frame in self._ws:
                message = json.loads(frame)
                if message["type"] == "snapshot":
                    self.data = message["data"]
                elif message["type"] == "update":
                    self.data = apply_ops(self.data, message["ops"])
                else:
                    continue
                self.position = message["position"]
                self.positions.append(self.position)
        except Exception:
            return

    def wait(self, condition: Callable[[dict[str, Any]], bool], timeout: float = 10) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if condition(self.data):
                    return self.data
            except (KeyError, TypeError, IndexError):
                pass
            time.sleep(0.02)
        raise AssertionError(f"the dashboard never got there: {json.dumps(self.data)[:1500]}")

    def close(self) -> None:
        self._stack.close()


def command(server: Server, wid: str, token: str, name: str, args: dict[str, Any], cid: str | None = None) -> Any:
    body = {"id": cid or str(uuid.uuid4()), "name": name, "args": args}
    return server.request("POST", f"/api/workshops/{wid}/commands", body, token=token)


def wait_for(condition: Callable[[], bool], timeout: float = 10, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def ready(server: Server) -> dict[str, Any]:
    try:
        return dict(server.request("GET", "/readyz"))
    except urllib.error.HTTPError as e:
        return dict(json.loads(e.read()))


def workshop(server: Server, voters: int) -> tuple[str, str, list[str]]:
    w = server.request("POST", "/api/workshops", {"title": "Scale", "date": "2026-11-22", "language": "en"})
    sector = server.request("GET", f"/api/codes/{w['code']}")["sectors"][0]
    tokens = [
        server.request("POST", "/api/join", {
            "code": w["code"], "name": f"Voter {i}", "organisation": "Org", "country": "IT", "sector": sector,
        })["participant_token"]
        for i in range(voters)
    ]  # fmt: skip
    return w["workshop_id"], w["facilitator_token"], tokens


def tally_of(data: dict[str, Any], poll_id: str) -> dict[str, int]:
    return {o["id"]: o["count"] for o in data["polls"][poll_id]["results"][0]["options"]}


@pytest.fixture
def two(postgres_url: str, broker_url: str, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    a = start_server(postgres_url, tmp_path / "a.log", "--broker", broker_url)
    b = start_server(postgres_url, tmp_path / "b.log", "--broker", broker_url)
    yield a, b
    for s in (a, b):
        s.stop()


def test_two_processes_one_store_commands_show_everywhere_and_a_hammered_poll_counts_every_ack(
    two: tuple[Server, Server], postgres_url: str
) -> None:
    a, b = two
    wid, fac, voters = workshop(a, VOTERS)
    dashboard = Dashboard(b, wid, fac)  # on the other process than every write so far
    try:
        dashboard.wait(lambda d: d["counts"]["joined"] == VOTERS)
        poll = {"title": "Hammer", "kind": "single", "questions": [{"options": ["A", "B", "C"]}]}
        poll_id = command(a, wid, fac, "create_poll", poll)["result"]["poll_id"]
        dashboard.wait(lambda d: poll_id in d["polls"])  # a command through A shows on B's dashboard
        command(b, wid, fac, "open_poll", {"poll_id": poll_id})

        last: dict[str, str] = {}  # each voter's last acknowledged answer
        errors: list[str] = []

        def vote(i: int, token: str) -> None:
            for n in range(6):
                cid, answer = str(uuid.uuid4()), f"o{(i + n) % 3 + 1}"
                first, other = (a, b) if (i + n) % 2 else (b, a)  # both processes write the same poll at once
                ack = command(first, wid, token, "cast_ballot", {"poll_id": poll_id, "answer": answer}, cid)
                if ack.get("type") != "ack" or ack["duplicate"]:
                    errors.append(json.dumps(ack))
                    return
                again = command(other, wid, token, "cast_ballot", {"poll_id": poll_id, "answer": answer}, cid)
                if not again.get("duplicate"):  # the retry reaches the other process: applied once
                    errors.append(f"retry not a duplicate: {again}")
                last[token] = answer

        threads = [threading.Thread(target=vote, args=(i, t)) for i, t in enumerate(voters)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors, errors[:3]
        expected = {o: sum(1 for v in last.values() if v == o) for o in ("o1", "o2", "o3")}
        assert sum(expected.values()) == VOTERS
        seen = dashboard.wait(lambda d: tally_of(d, poll_id) == expected)
        assert seen["polls"][poll_id]["turnout"]["voted"] == VOTERS
        for server in (a, b):  # both processes converge on the same views
            wait_for(lambda s=server: tally_of(_view(s, wid, fac), poll_id) == expected, what="convergence")
        assert _view(a, wid, fac) == _view(b, wid, fac)
        assert dashboard.positions == sorted(dashboard.positions)
        # A secret poll opened on one process takes ballots on the other (the key is shared, then destroyed).
        secret = {"title": "Secret", "kind": "single", "secret": True, "questions": [{"options": ["A", "B"]}]}
        secret_id = command(a, wid, fac, "create_poll", secret)["result"]["poll_id"]
        command(a, wid, fac, "open_poll", {"poll_id": secret_id})
        for i, token in enumerate(voters[:4]):
            assert (
                command((b, a)[i % 2], wid, token, "cast_ballot", {"poll_id": secret_id, "answer": "o1"})["type"]
                == "ack"
            )
        command(b, wid, fac, "close_poll", {"poll_id": secret_id})
        dashboard.wait(lambda d: tally_of(d, secret_id) == {"o1": 4, "o2": 0})
        assert _poll_keys(postgres_url) == 0
        metrics = urllib_get(a.url + "/metrics")
        assert "tavolo_commands_total" in metrics and "tavolo_connected_sockets" in metrics
        assert ready(a)["ready"] and ready(b)["broker"] == "up"
    finally:
        dashboard.close()


def _view(server: Server, wid: str, token: str) -> dict[str, Any]:
    return dict(server.request("GET", f"/api/workshops/{wid}/views/dashboard", token=token)["data"])


def _poll_keys(store: str) -> int:
    import psycopg

    schema = store.rpartition("schema=")[2]
    with psycopg.connect(store.partition("?")[0]) as conn:
        row = conn.execute(f"SELECT count(*) FROM {schema}.tavolo_poll_keys").fetchone()
    return int(row[0]) if row else -1


def urllib_get(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=5) as r:
        return str(r.read().decode())


def test_a_redis_blip_loses_no_update_and_the_processes_recover_by_themselves(
    postgres_url: str, broker_url: str, tmp_path: Path
) -> None:
    parts = urlsplit(broker_url)
    proxy = Proxy(parts.port or 6379)
    via_proxy = broker_url.replace(f":{parts.port}/", f":{proxy.port}/")
    a = start_server(postgres_url, tmp_path / "a.log", "--broker", via_proxy)
    b = start_server(postgres_url, tmp_path / "b.log", "--broker", via_proxy)
    dashboard = None
    try:
        wid, fac, _ = workshop(a, 2)
        wait_for(lambda: ready(b)["broker"] == "up", what="b subscribed")
        dashboard = Dashboard(b, wid, fac)
        dashboard.wait(lambda d: d["counts"]["joined"] == 2)
        notes: list[str] = []
        for phase in ("before", "during", "after"):
            if phase == "during":
                proxy.cut()
                wait_for(lambda: ready(b)["broker"] == "down", what="b to notice Redis is gone")
                assert ready(b)["ready"], "a Redis outage alone must not take a process out of the balancer"
            if phase == "after":
                proxy.restore()
                wait_for(lambda: ready(a)["broker"] == "up" and ready(b)["broker"] == "up", 15, "resubscription")
            for i in range(5):
                title = f"{phase} {i}"
                command(a, wid, fac, "create_poll", {"title": title, "kind": "single",
                                                     "questions": [{"options": ["A", "B"]}]})  # fmt: skip
                notes.append(title)
            # Nothing missed, whatever Redis did.
            dashboard.wait(lambda d: sorted(p["poll"]["title"] for p in d["polls"].values()) == sorted(notes))
        assert dashboard.positions == sorted(dashboard.positions)
        assert _view(a, wid, fac) == _view(b, wid, fac)
    finally:
        if dashboard is not None:
            dashboard.close()
        for s in (a, b):
            s.stop()
        proxy.cut()


def test_a_postgresql_restart_keeps_every_acked_command_and_service_resumes(
    postgres_url: str, broker_url: str, tmp_path: Path
) -> None:
    parts = urlsplit(postgres_url)
    proxy = Proxy(parts.port or 5432)
    store = postgres_url.replace(f":{parts.port}/", f":{proxy.port}/")
    a = start_server(store, tmp_path / "a.log", "--broker", broker_url)
    b = start_server(store, tmp_path / "b.log", "--broker", broker_url)
    try:
        wid, fac, voters = workshop(a, 6)
        blip = {"title": "Blip", "kind": "single", "questions": [{"options": ["A", "B"]}]}
        poll_id = command(a, wid, fac, "create_poll", blip)["result"]["poll_id"]
        command(b, wid, fac, "open_poll", {"poll_id": poll_id})
        acked: list[tuple[str, str, dict[str, Any]]] = []
        refused: list[int] = []
        for round_ in range(3):
            if round_ == 1:
                proxy.cut()
            if round_ == 2:
                proxy.restore()
            for i, token in enumerate(voters):
                server, cid = (a, b)[i % 2], str(uuid.uuid4())
                args = {"poll_id": poll_id, "answer": f"o{(i + round_) % 2 + 1}"}
                try:
                    ack = command(server, wid, token, "cast_ballot", args, cid)
                except urllib.error.HTTPError as e:
                    body = json.loads(e.read())
                    assert body["error"]["code"] == "unavailable", body  # clear and retryable
                    refused.append(e.code)
                    continue
                acked.append((token, cid, args))
                assert ack["type"] == "ack"
        assert refused, "the cut store refused nothing"
        assert set(refused) == {503}

        def resumed() -> bool:
            try:
                return ready(a)["ready"] and ready(b)["ready"]
            except OSError:
                return False

        wait_for(resumed, 20, "both processes ready again")
        for token, cid, args in acked:  # everything acknowledged is in the store: its retry is a duplicate
            assert command((a, b)[len(cid) % 2], wid, token, "cast_ballot", args, cid)["duplicate"] is True
        last = {token: args["answer"] for token, _, args in acked}
        expected = {o: sum(1 for v in last.values() if v == o) for o in ("o1", "o2")}
        for server in (a, b):
            wait_for(lambda s=server: tally_of(_view(s, wid, fac), poll_id) == expected, what="the tally")
    finally:
        for s in (a, b):
            s.stop()
        proxy.cut()


def test_a_workshop_deleted_through_one_process_is_gone_from_the_other_and_from_the_store(
    two: tuple[Server, Server], postgres_url: str
) -> None:
    import psycopg

    a, b = two
    wid, fac, tokens = workshop(a, 3)
    kept_wid, kept_fac, _ = workshop(b, 1)
    command(a, wid, fac, "annotate", {"text": "A note about Xylophone GmbH"})
    url = b.url.replace("http", "ws") + f"/ws/{wid}"
    with connect(url, open_timeout=10) as phone:  # a participant's socket on the other process
        phone.send(json.dumps({"type": "hello", "token": tokens[0], "view": "participant"}))
        assert json.loads(phone.recv(timeout=10))["type"] == "welcome"
        code = a.request("GET", f"/api/workshops/{wid}/views/dashboard", token=fac)["data"]["workshop"]["code"]
        assert command(a, wid, fac, "delete_workshop", {"confirm": code})["type"] == "ack"
        errors = []
        with contextlib.suppress(Exception):
            for frame in phone:
                message = json.loads(frame)
                if message["type"] == "error":
                    errors.append(message["code"])
        assert errors == ["not_found"] and phone.close_code == 4404, (errors, phone.close_code)
    for server in (a, b):
        with pytest.raises(urllib.error.HTTPError) as refused:
            command(server, wid, fac, "annotate", {"text": "too late"})
        assert refused.value.code == 404
        refused.value.close()
    schema = postgres_url.rsplit("schema=", 1)[1]
    base = postgres_url.split("?", 1)[0]

    def rows() -> list[str]:
        with psycopg.connect(base, autocommit=True) as conn:
            found = conn.execute(
                f"SELECT topic FROM {schema}.tavolo_events"
                " WHERE position(%s::bytea in state) > 0 OR originator_id = %s",
                (b"Xylophone", uuid.UUID(wid)),
            ).fetchall()
            return [t for (t,) in found]

    wait_for(lambda: rows() == ["domain.workshop:Workshop.Deleted"], what="the purge of the deleted workshop")
    kept = b.request("GET", f"/api/workshops/{kept_wid}/views/dashboard", token=kept_fac)
    assert kept["data"]["counts"]["joined"] == 1


def _phone(stack: contextlib.ExitStack, server: Server, wid: str, token: str) -> Any:
    ws = stack.enter_context(connect(server.url.replace("http", "ws") + f"/ws/{wid}", open_timeout=10))
    ws.send(json.dumps({"type": "hello", "token": token, "view": "participant"}))
    while json.loads(ws.recv(timeout=10))["type"] != "snapshot":
        pass
    return ws


def test_who_is_online_counts_the_phones_on_every_process(two: tuple[Server, Server]) -> None:
    a, b = two
    wid, fac, people = workshop(a, 4)
    dashboard = Dashboard(b, wid, fac)
    with contextlib.ExitStack() as stack:
        stack.callback(dashboard.close)
        phones = [_phone(stack, a, wid, people[0]), _phone(stack, a, wid, people[1]), _phone(stack, b, wid, people[2])]
        data = dashboard.wait(lambda d: d["counts"]["online"] == 3)  # two of them through the other process
        online = sorted(p["name"] for p in data["participants"].values() if p["online"])
        assert online == ["Voter 0", "Voter 1", "Voter 2"]
        wait_for(lambda: _view(a, wid, fac)["counts"]["online"] == 3, what="A counting B's phone")
        phones[0].close()
        dashboard.wait(lambda d: d["counts"]["online"] == 2)
        phones[1].close()
        data = dashboard.wait(lambda d: d["counts"]["online"] == 1)
        assert [p["name"] for p in data["participants"].values() if p["online"]] == ["Voter 2"]
