"""`tavolo simulate` against a real server in this process (uvicorn in a thread), and its pure parts."""

from __future__ import annotations

import argparse
import importlib.util
import json
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from server import simulate
from server.simulate_people import make_profiles

ROOT = Path(__file__).resolve().parents[2]
SECTORS = ["Agrifood", "Energy", "Health", "Digital"]


def wait_until(condition: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_in_thread(app: Any) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, ws="websockets-sansio",
                            ws_per_message_deflate=False, log_level="warning", lifespan="on")  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started or not thread.is_alive(), what="uvicorn to start")
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        assert not thread.is_alive(), "uvicorn did not stop"


@pytest.fixture
def tavolo_url() -> Iterator[str]:
    from server.app import create_app

    yield from serve_in_thread(create_app("memory://"))


@pytest.fixture
def echo_url() -> Iterator[str]:
    spec = importlib.util.spec_from_file_location("echo_server", ROOT / "bench" / "echo_server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # a fresh module: fresh in-memory state
    yield from serve_in_thread(module.app)


def http(method: str, url: str, body: dict[str, Any] | None = None, token: str | None = None) -> Any:
    request = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(), method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def run_simulator(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    parser = argparse.ArgumentParser()
    simulate.add_arguments(parser)
    code = simulate.run(parser.parse_args([*argv, "--quiet", "--timeout", "60"]))
    lines = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(lines[-1])


@pytest.mark.parametrize("encoding", ["msgpack", "json"])
def test_twenty_participants_join_and_the_dashboard_lists_them(
    tavolo_url: str, capsys: pytest.CaptureFixture[str], encoding: str
) -> None:
    code, result = run_simulator(capsys, "--url", tavolo_url, "--participants", "20", "--seed", "7",
                                 "--concurrency", "8", "--encoding", encoding)  # fmt: skip

    assert (result["joined"], result["acked"], result["errors"]) == (20, 20, 0), result["error_codes"]
    assert code == 0
    assert result["latency_ms"]["p50"] is not None
    assert result["visible_latency_ms"]["p99"] is not None and result["not_visible"] == 0
    wid, token = result["workshop_id"], result["facilitator_token"]
    assert result["facilitator_url"] == f"{tavolo_url}/w/{wid}/dashboard#k={token}"

    view = http("GET", f"{tavolo_url}/api/workshops/{wid}/views/dashboard", token=token)
    participants = view["data"]["participants"]
    profiles = make_profiles(7, 20, view["data"]["workshop"]["sectors"])
    assert sorted(p["name"] for p in participants.values()) == sorted(p.name for p in profiles)
    assert sorted((p["organisation"], p["country"], p["sector"]) for p in participants.values()) == sorted(
        (p.organisation, p.country, p.sector) for p in profiles
    )


def test_a_lost_ack_is_retried_with_the_same_id_and_applied_once(
    tavolo_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    original = simulate.Simulation._await_ack
    dropped: list[int] = []

    async def lose_first_ack(self: simulate.Simulation, ws: Any, i: int, command_id: str) -> None:
        await original(self, ws, i, command_id)
        if i == 3 and not dropped:  # committed, but the laptop never saw the ack
            dropped.append(i)
            del self.pids[i]
            self.ack_latency.pop()
            raise OSError("connection reset")

    monkeypatch.setattr(simulate.Simulation, "_await_ack", lose_first_ack)
    code, result = run_simulator(capsys, "--url", tavolo_url, "--participants", "5", "--encoding", "json")

    assert code == 0 and dropped == [3]
    assert (result["joined"], result["retries"], result["duplicates"]) == (5, 1, 1), result
    view = http("GET", f"{tavolo_url}/api/workshops/{result['workshop_id']}/views/dashboard",
                token=result["facilitator_token"])  # fmt: skip
    assert len(view["data"]["participants"]) == 5


def test_joining_an_existing_workshop_by_code_with_and_without_a_facilitator_token(
    tavolo_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    created = http("POST", f"{tavolo_url}/api/workshops",
                   {"title": "Matchmaking day", "date": "2026-11-22", "venue": "Bologna", "language": "it",
                    "sectors": SECTORS})  # fmt: skip
    code, result = run_simulator(capsys, "--url", tavolo_url, "--code", created["code"],
                                 "--participants", "6", "--encoding", "json")  # fmt: skip

    assert code == 0 and result["joined"] == 6
    assert result["workshop_id"] == created["workshop_id"]
    assert result["facilitator_token"] is None and result["facilitator_url"] is None
    assert result["visible_latency_ms"] is None

    token = created["facilitator_token"]
    code, result = run_simulator(capsys, "--url", tavolo_url, "--code", created["code"], "--seed", "2",
                                 "--participants", "4", f"--facilitator-token={token}")  # fmt: skip

    assert code == 0 and result["joined"] == 4 and result["not_visible"] == 0
    assert result["visible_latency_ms"]["max"] is not None
    view = http("GET", f"{tavolo_url}/api/workshops/{created['workshop_id']}/views/dashboard", token=token)
    assert len(view["data"]["participants"]) == 10


def test_an_unknown_code_fails_with_exit_code_1(tavolo_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, result = run_simulator(capsys, "--url", tavolo_url, "--code", "NOPE00", "--participants", "3")

    assert code == 1 and result["joined"] == 0 and result["error_codes"] == {"setup": 3}


def test_the_echo_baseline_speaks_enough_of_the_protocol(echo_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, result = run_simulator(capsys, "--url", echo_url, "--participants", "20")

    assert code == 0 and result["joined"] == 20 and result["errors"] == 0
    assert result["visible_latency_ms"]["p50"] is not None and result["not_visible"] == 0


def test_profiles_are_deterministic_per_seed_and_within_the_protocol_limits() -> None:
    import pycountry

    first, again, other = (make_profiles(s, 300, SECTORS) for s in (42, 42, 43))

    assert first == again
    assert first != other
    countries = {c.alpha_2 for c in pycountry.countries}
    for p in first:
        assert 0 < len(p.name) <= 80 and 0 < len(p.organisation) <= 120 and len(p.role or "") <= 80
        assert p.country in countries and p.sector in SECTORS and p.language in ("en", "it")
        assert p.name == p.name.strip() and p.name.isprintable()
    assert len({p.country for p in first}) >= 12
    assert any(not p.name.isascii() for p in first)  # diacritics: Søren, Łukasz, Ștefan...
    assert any(p.role is None for p in first) and any(p.role for p in first)
    assert len({p.name for p in first}) > 200


def test_apply_ops_sets_and_deletes_by_path() -> None:
    data = {"participants": {"a": {"name": "Anna"}}, "counts": {"joined": 1}}

    ops: list[list[Any]] = [["set", ["participants", "b"], {"name": "Bo"}], ["set", ["counts", "joined"], 2],
           ["del", ["participants", "a"]], ["del", ["nothing", "here"]]]  # fmt: skip
    data = simulate.apply_ops(data, ops)

    assert data == {"participants": {"b": {"name": "Bo"}}, "counts": {"joined": 2}, "nothing": {}}
    assert simulate.apply_ops(data, [["set", [], {"fresh": True}]]) == {"fresh": True}


def test_percentiles_use_the_nearest_rank_in_milliseconds() -> None:
    values = [i / 1000 for i in range(1, 101)]  # 1..100 ms

    assert simulate.percentiles(values) == {"p50": 50.0, "p99": 99.0, "max": 100.0}
    assert simulate.percentiles([0.005]) == {"p50": 5.0, "p99": 5.0, "max": 5.0}
    assert simulate.percentiles([]) == {"p50": None, "p99": None, "max": None}


def test_the_poll_scenario_counts_every_voter_once(tavolo_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, result = run_simulator(capsys, "--url", tavolo_url, "--scenario", "poll", "--participants", "20",
                                 "--seed", "5", "--vote-window", "0.5", "--change-share", "0.25",
                                 "--retry-share", "0.25")  # fmt: skip

    assert (result["tally_total"], result["errors"]) == (20, 0), result["error_codes"]
    assert code == 0
    assert result["ballots_acked"] >= result["ballots_sent"] == 20 + result["ballots_changed"]
    assert result["ballots_changed"] > 0 and result["ballot_retries"] > 0
    assert result["ballot_duplicates"] == result["ballot_retries"]  # every retry answered `duplicate`
    assert result["tally_matches"] is True and result["ballots_lost"] == 0
    assert result["tally_measured"] == 20 and result["tally_latency_ms"]["p99"] is not None
    assert result["ballot_latency_ms"]["p50"] is not None and result["poll_visible_ms"]["max"] is not None
    view = http("GET", f"{tavolo_url}/api/workshops/{result['workshop_id']}/views/dashboard",
                token=result["facilitator_token"])  # fmt: skip
    poll = view["data"]["polls"][result["poll_id"]]
    assert poll["poll"]["state"] == "closed" and poll["turnout"]["voted"] == 20
    assert sum(o["count"] for o in poll["results"][0]["options"]) == 20


@pytest.mark.parametrize(("kind", "secret"), [("multiple", False), ("scale", True), ("ranking", False),
                                              ("dots", True), ("text", False)])  # fmt: skip
def test_every_poll_kind_named_or_secret_in_an_existing_workshop(
    tavolo_url: str, capsys: pytest.CaptureFixture[str], kind: str, secret: bool
) -> None:
    created = http("POST", f"{tavolo_url}/api/workshops",
                   {"title": "Feedback", "date": "2026-11-22", "language": "it", "sectors": SECTORS})  # fmt: skip
    code, result = run_simulator(capsys, "--url", tavolo_url, "--scenario", "poll", "--poll-kind", kind,
                                 "--code", created["code"], f"--facilitator-token={created['facilitator_token']}",
                                 "--participants", "8", "--vote-window", "0.3", "--encoding", "json",
                                 *(["--secret"] if secret else []))  # fmt: skip

    assert (code, result["tally_total"], result["errors"]) == (0, 8, 0), result["error_codes"]
    assert result["poll_kind"] == kind and result["secret"] is secret and result["tally_matches"] is True


def test_the_groups_scenario_loses_no_text(tavolo_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, result = run_simulator(capsys, "--url", tavolo_url, "--scenario", "groups", "--participants", "10",
                                 "--seed", "3", "--write-seconds", "2", "--edit-interval", "0.3",
                                 "--conflict-share", "0.3")  # fmt: skip

    assert (result["lost_texts"], result["errors"]) == (0, 0), result["error_codes"]
    assert code == 0 and result["groups"] == 2 and result["joined"] == 10
    assert result["contributions_acked"] > result["contributions_added"] > 0
    assert result["conflicts_provoked"] > 0 and result["conflicts_unresolved"] == 0
    assert result["edits_shown"] == result["contributions_acked"]


def test_the_rotation_scenario_runs_every_round_on_the_servers_clock(
    tavolo_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, result = run_simulator(capsys, "--url", tavolo_url, "--scenario", "rotation", "--participants", "7",
                                 "--rounds", "3", "--round-seconds", "5", "--star-share", "1")  # fmt: skip
    assert code == 0, result
    assert result["rounds_planned"] == result["rounds_completed"] == 3
    assert result["meetings_logged"] == 3 * 3  # 7 people in pairs: three tables a round, one sits out
    assert result["seats_missed"] == 0 and result["seat_mismatches"] == 0
    assert result["stars_acked"] == 7 and result["errors"] == 0
    assert result["quality"]["repeated_pairs"] == 0


def test_the_matchmaking_scenario_schedules_publishes_and_every_agenda_matches_the_table_plan(
    tavolo_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, result = run_simulator(capsys, "--url", tavolo_url, "--scenario", "matchmaking", "--participants", "8",
                                 "--slots", "4", "--slot-minutes", "5", "--requests-per-person", "2")  # fmt: skip
    assert code == 0, result
    assert result["requests"] == result["answered"] == 16  # 8 people x 2, never a pair twice
    assert result["accepted"] + result["declined"] == 16 and result["accepted"] > 0
    assert 0 < result["scheduled"] <= result["upper_bound"] <= result["accepted"]
    assert result["published"] and result["agendas_seen"] >= 2 and result["agenda_mismatches"] == 0
    assert result["errors"] == 0


def test_the_poll_scenario_without_a_facilitator_token_is_refused(tavolo_url: str) -> None:
    parser = argparse.ArgumentParser()
    simulate.add_arguments(parser)
    args = parser.parse_args(["--url", tavolo_url, "--scenario", "poll", "--code", "ABC123", "--quiet"])
    with pytest.raises(SystemExit, match="facilitator-token"):
        simulate.run(args)


def test_the_echo_baseline_counts_ballots_too(echo_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, result = run_simulator(capsys, "--url", echo_url, "--scenario", "poll", "--participants", "20",
                                 "--vote-window", "0.3", "--retry-share", "0.3")  # fmt: skip

    assert (code, result["tally_total"], result["errors"], result["tally_matches"]) == (0, 20, 0, True), result
    assert result["ballot_duplicates"] == result["ballot_retries"] > 0


def test_simulated_answers_are_valid_ballots_for_every_kind() -> None:
    import random

    from domain.poll_kinds import check_answer, parse_questions
    from server.simulate_poll import KINDS, POLLS, expected_results, make_answer

    for kind in KINDS:
        question = parse_questions(kind, POLLS[kind]["questions"])[0]
        rng = random.Random(kind)
        answers = [check_answer(question, make_answer(kind, rng, rng.choice(["en", "it"]))) for _ in range(300)]
        assert len({json.dumps(a, sort_keys=True) for a in answers}) > 3, kind  # varied, not one canned answer
        assert sum(1 for _ in expected_results(kind, answers)) > 0
