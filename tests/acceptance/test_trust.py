"""README, "Trust": what was acknowledged survives a crash (kill -9 tested mid-vote); retries never count twice."""

from __future__ import annotations

from pathlib import Path

from tests.acceptance.support import Room, open_single_choice_poll
from tests.e2e.conftest import start_server


def _voters(room: Room, n: int) -> list[str]:
    return [room.join(f"Voter {i}", country="IT" if i % 2 else "PL").token for i in range(n)]


def test_every_acked_ballot_survives_a_kill_9_of_the_server_mid_vote(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path}/tavolo.db"
    server = start_server(store, tmp_path / "server.log")
    try:
        room = Room.create(server, "Crash mid-vote")
        tokens = _voters(room, 6)
        poll = open_single_choice_poll(room, "Where next?", ["Graz", "Bologna"], secret=True)
        acked = [room.command("cast_ballot", {"poll_id": poll, "answer": "o1" if i < 4 else "o2"}, token=t)
                 for i, t in enumerate(tokens)]  # fmt: skip
        assert all(a["type"] == "ack" for a in acked)
        server.process.kill()  # SIGKILL: no shutdown, no flush
        server.process.wait()
    finally:
        server.stop()
    again = start_server(store, tmp_path / "server.log")
    try:
        after = Room(again, room.workshop_id, room.code, room.facilitator_token, room.projector_token, room.created)
        polls = after.view("dashboard")["polls"]
        assert polls[poll]["turnout"]["voted"] == 6
        counts = {o["id"]: o["count"] for o in polls[poll]["results"][0]["options"]}
        assert counts == {"o1": 4, "o2": 2}
    finally:
        again.stop()


def test_a_retried_command_id_never_counts_twice(room: Room) -> None:
    [token] = _voters(room, 1)
    poll = open_single_choice_poll(room, "Lunch?", ["Yes", "No"])
    # A phone on flaky Wi-Fi sends the same command (same id) three times; a join is retried too.
    acks = [room.command("cast_ballot", {"poll_id": poll, "answer": "o1"}, token=token, command_id="vote-1")
            for _ in range(3)]  # fmt: skip
    assert [a["duplicate"] for a in acks] == [False, True, True]
    assert len({a["position"] for a in acks}) == 1
    created = room.command("add_agenda_item", {"title": "Welcome", "kind": "plenary"}, command_id="item-1")
    retried = room.command("add_agenda_item", {"title": "Welcome", "kind": "plenary"}, command_id="item-1")
    assert retried["duplicate"] and retried["result"] == created["result"]
    view = room.view("dashboard")
    assert view["polls"][poll]["turnout"]["voted"] == 1
    assert view["polls"][poll]["results"][0]["respondents"] == 1
    assert [i["title"] for i in view["agenda"]] == ["Welcome"]
