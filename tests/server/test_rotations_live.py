"""Rotations through the server: the plan in every view, rounds advanced by the server's clock, re-planning."""

from __future__ import annotations

import threading
import time
from typing import Any
from uuid import UUID

from tests.server import support
from tests.server.support import Room


def _me(room: Room, token: str) -> dict[str, Any]:
    return dict(support.view(room.client, room.id, token, "participant")["data"]["me"])


def _people(room: Room, n: int) -> list[dict[str, Any]]:
    return [room.join(name=f"P{i}", organisation=f"Org {i}") for i in range(n)]


def test_every_participant_sees_their_table_and_partner_and_the_projector_the_map(room: Room) -> None:
    people = _people(room, 4)
    rid = room.ok("create_rotation", {"table_size": 2, "rounds": 3, "round_seconds": 60})["result"]["rotation_id"]
    dash = room.view()["data"]["rotation"]
    assert dash["id"] == rid and dash["state"] == "draft" and dash["rounds"] == 3
    assert dash["quality"]["repeated_pairs"] == 0
    assert _me(room, people[0]["participant_token"])["rotation"] is None  # nothing shown before it starts
    room.ok("start_rotation", {"rotation_id": rid})
    partners: dict[str, str] = {}
    for p in people:
        mine = _me(room, p["participant_token"])["rotation"]
        assert mine["now"]["round"] == 1 and mine["now"]["table"] in (1, 2)
        (partner,) = mine["now"]["partners"]
        partners[p["participant_id"]] = partner["id"]
        assert mine["next"]["round"] == 2
    assert all(partners[partners[a]] == a for a in partners)  # pairs are mutual
    projector = support.view(room.client, room.id, room.projector, "projector")["data"]["rotation"]
    assert projector["current"] == 1 and projector["clock"]["state"] == "running"
    assert sorted(n for t in projector["tables"] for n in t["names"]) == ["P0", "P1", "P2", "P3"]


def test_the_server_clock_ends_each_round_and_logs_who_met(room: Room) -> None:
    people = _people(room, 4)
    rid = room.ok("create_rotation", {"table_size": 2, "rounds": 3, "round_seconds": 5})["result"]["rotation_id"]
    room.ok("start_rotation", {"rotation_id": rid})
    room.ok("extend_round", {"rotation_id": rid, "seconds": -4})  # round 1 ends in about a second
    deadline = time.monotonic() + 10
    while room.view()["data"]["rotation"]["current"] < 2:
        assert time.monotonic() < deadline, "the timer did not advance the round"
        time.sleep(0.05)
    dash = room.view()["data"]["rotation"]
    assert dash["meetings_held"] == 2 and dash["clock"]["state"] == "running"
    met = _me(room, people[0]["participant_token"])["rotation"]["met"]
    assert len(met) == 2  # round 1's partner and round 2's


def test_pause_resume_extend_and_skip_are_the_facilitators_alone(room: Room) -> None:
    people = _people(room, 3)
    rid = room.ok("create_rotation", {"table_size": 2, "rounds": 3, "round_seconds": 120})["result"]["rotation_id"]
    token = people[0]["participant_token"]
    support.assert_error(
        support.command(room.client, room.id, token, "start_rotation", {"rotation_id": rid}), "forbidden"
    )
    room.ok("start_rotation", {"rotation_id": rid})
    paused = room.ok("pause_rotation", {"rotation_id": rid})
    clock = room.view()["data"]["rotation"]["clock"]
    assert clock["state"] == "paused" and 118_000 <= clock["remaining_ms"] <= 120_000, paused
    room.ok("extend_round", {"rotation_id": rid, "seconds": 60})
    assert room.view()["data"]["rotation"]["clock"]["remaining_ms"] >= 178_000
    room.ok("resume_rotation", {"rotation_id": rid})
    assert room.view()["data"]["rotation"]["clock"]["state"] == "running"
    room.ok("advance_round", {"rotation_id": rid})
    assert room.view()["data"]["rotation"]["current"] == 2
    support.assert_error(
        support.command(room.client, room.id, token, "advance_round", {"rotation_id": rid}), "forbidden"
    )


def test_a_late_joiner_is_seated_from_the_next_round_without_repeats(room: Room) -> None:
    _people(room, 4)
    rid = room.ok("create_rotation", {"table_size": 2, "rounds": 3, "round_seconds": 120})["result"]["rotation_id"]
    room.ok("start_rotation", {"rotation_id": rid})
    late = room.join(name="Late", organisation="Org L")
    mine = _me(room, late["participant_token"])["rotation"]
    assert mine["now"] is None and mine["next"]["round"] == 2
    assert room.view()["data"]["rotation"]["replans"][-1]["reason"] == "joined"


def test_the_room_timer_counts_down_on_every_screen_in_segments(room: Room) -> None:
    person = room.join(name="Ann")
    room.ok("start_timer", {"seconds": 400, "segments": 20, "label": "PechaKucha: Ann"})
    for data in (
        room.view()["data"],
        support.view(room.client, room.id, room.projector, "projector")["data"],
        support.view(room.client, room.id, person["participant_token"], "participant")["data"],
    ):
        timer = data["timer"]
        assert timer["segments"] == 20 and timer["label"] == "PechaKucha: Ann"
        assert timer["clock"]["state"] == "running" and timer["clock"]["duration_ms"] == 400_000
    room.ok("pause_timer")
    assert room.view()["data"]["timer"]["clock"]["state"] == "paused"
    room.ok("extend_timer", {"seconds": 20})
    assert room.view()["data"]["timer"]["clock"]["duration_ms"] == 420_000
    room.ok("resume_timer")
    support.assert_error(support.command(room.client, room.id, person["participant_token"], "stop_timer"), "forbidden")
    room.ok("stop_timer")
    assert room.view()["data"]["timer"] is None


def _preview(room: Room, query: str) -> Any:
    return room.client.get(
        f"/api/workshops/{room.id}/rotations/preview?{query}", headers=support.bearer(room.facilitator)
    )


def test_the_rotation_preview_plans_with_the_hosts_create_rotation_seats(room: Room) -> None:
    """Four in pairs with a host at each table: the others only ever meet the two hosts. The preview once ignored
    hosts and promised three rounds to meet three others; it now says what create_rotation says."""
    people = _people(room, 4)
    hosts = [people[0]["participant_id"], people[1]["participant_id"]]
    refused = _preview(room, f"meet_at_least=3&table_size=2&hosts={','.join(hosts)}")
    support.assert_error(refused, "cannot_plan")
    assert "at most 2" in refused.json()["error"]["message"]
    created = support.command(room.client, room.id, room.facilitator, "create_rotation",
                              {"table_size": 2, "meet_at_least": 3, "hosts": hosts})  # fmt: skip
    support.assert_error(created, "cannot_plan")
    preview = _preview(room, f"meet_at_least=2&table_size=2&seed=7&hosts={','.join(hosts)}")
    assert preview.status_code == 200, preview.text
    rotation = room.ok("create_rotation", {"table_size": 2, "meet_at_least": 2, "hosts": hosts, "seed": 7})
    assert preview.json()["rounds"] == rotation["result"]["rounds"] == 2


def test_a_superscript_number_in_the_preview_query_is_bad_input_not_a_crash(room: Room) -> None:
    _people(room, 4)
    support.assert_error(_preview(room, "meet_at_least=%C2%B2"), "invalid_args")


def test_one_rotation_preview_runs_at_a_time_and_a_later_one_supersedes_the_waiting(
    room: Room, monkeypatch: Any
) -> None:
    """While a preview plans, the next waits; when a later one arrives meanwhile, the waiting one gives up (409
    superseded) without planning, so typing never queues plans."""
    from server import rotation_api

    _people(room, 4)
    release, running, calls = threading.Event(), threading.Event(), []
    real = rotation_api.plan_to_goal

    def blocking(*args: Any) -> Any:
        calls.append(args[1]["meet_at_least"])
        running.set()
        assert release.wait(30)
        return real(*args)

    monkeypatch.setattr(rotation_api, "plan_to_goal", blocking)
    results: dict[int, Any] = {}

    def ask(goal: int) -> None:
        results[goal] = _preview(room, f"meet_at_least={goal}")

    threads = [threading.Thread(target=ask, args=(1,))]
    threads[0].start()
    assert running.wait(30)
    previews = room.client.app.state.rotation_previews  # type: ignore[attr-defined]
    for goal in (2, 3):
        threads.append(threading.Thread(target=ask, args=(goal,)))
        threads[-1].start()
        wait_until = time.monotonic() + 30
        while previews[UUID(room.id)][1][0] < goal:
            assert time.monotonic() < wait_until, "the preview request did not arrive"
            time.sleep(0.01)
    release.set()
    for t in threads:
        t.join(30)
    assert results[1].status_code == 200 and results[3].status_code == 200
    support.assert_error(results[2], "superseded")
    assert calls == [1, 3]
