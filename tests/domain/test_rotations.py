"""Rotations and the room timer: given events, when a command, then events or an error code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import combinations
from typing import Any
from uuid import UUID

import pytest

from domain.clock import PAUSED, RUNNING, STOPPED, Clock
from domain.rotation_errors import TimerNotPaused, TimerNotRunning
from domain.rotations import Rotation
from tests.domain.builders import Scenario, event_name, then_error, then_events

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


class Room:
    def __init__(self, people: int, **profiles: Any) -> None:
        self.s = Scenario()
        self.names = [f"P{i}" for i in range(people)]
        self.s.given(*(self.s.join(n, organisation=f"Org {i % 50}") for i, n in enumerate(self.names)))
        self.rid = ""

    def create(self, **args: Any) -> str:
        settings = {"table_size": 2, "rounds": 3, "round_seconds": 60, **args}
        [o] = self.s.given(self.s.command("create_rotation", settings, id="plan"))
        self.rid = str(o.result["rotation_id"])
        return self.rid

    def run(self, name: str, **args: Any) -> Any:
        return self.s.when(self.s.command(name, {"rotation_id": self.rid, **args}))

    def rotation(self) -> Rotation:
        found: Rotation = self.s.app.repository.get(UUID(self.rid))
        return found

    def pid(self, name: str) -> str:
        return self.s.ids[name]


def _pairs(tables: list[list[str]]) -> set[frozenset[str]]:
    return {frozenset(p) for t in tables for p in combinations(t, 2)}


def test_the_plan_is_recorded_as_its_result_and_a_retried_create_finds_it() -> None:
    r = Room(6)
    rid = r.create(rounds=5)
    rounds = r.rotation().rounds
    assert len(rounds) == 5
    for planned in rounds:
        seated = sorted(p for t in planned["tables"] for p in t)
        assert seated == sorted(r.s.ids.values())  # everyone once per round
    met = [_pairs(x["tables"]) for x in rounds]
    assert sum(len(m) for m in met) == len(set().union(*met)) == 15  # 6 people, 5 rounds: everyone once
    again = r.s.when(r.s.command("create_rotation", {"table_size": 2, "rounds": 5}, id="plan"))
    assert again.outcome.duplicate and again.outcome.result == {"rotation_id": rid, "rounds": 5, "total_seconds": 300}


def test_start_runs_round_one_on_the_clock_and_the_timer_advances_only_its_own_round() -> None:
    r = Room(4)
    r.create()
    then_events(r.run("start_rotation"), ("Rotation.RoundStarted", {"round": 1}))
    stale = r.run("advance_round", if_round=3)  # a late tick for another round changes nothing
    assert [event_name(e) for e in stale.events] == ["Rotation.CommandNoted"]
    then_events(
        r.run("advance_round", if_round=1),
        ("Rotation.RoundEnded", {"round": 1, "how": "timer"}),
        "Rotation.RoundStarted",
    )
    r.run("advance_round")
    then_events(r.run("advance_round"), ("Rotation.RoundEnded", {"round": 3, "how": "skipped"}), "Rotation.Finished")
    then_error(r.run("advance_round"), "rotation_finished")
    held = r.rotation().held
    assert len(held) == 3 and sum(len(_pairs(t)) for t in held) == len(set().union(*map(_pairs, held))) == 6


def test_pause_keeps_the_remaining_time_and_extend_adds_to_it() -> None:
    r = Room(4)
    r.create(round_seconds=240)
    then_error(r.run("pause_rotation"), "rotation_not_running")
    r.run("start_rotation")
    r.run("pause_rotation")
    clock = r.rotation().clock
    assert clock.state == PAUSED and 239_000 <= clock.remaining_ms <= 240_000
    r.run("extend_round", seconds=60)
    assert r.rotation().clock.remaining_ms >= 299_000 and r.rotation().clock.state == PAUSED
    r.run("resume_rotation")
    assert r.rotation().clock.state == RUNNING
    then_error(r.run("extend_round", seconds=0), "invalid_args")


def test_someone_who_leaves_is_taken_out_of_the_remaining_rounds_without_repeats() -> None:
    r = Room(8)
    r.create(rounds=6)
    r.run("start_rotation")
    r.run("advance_round")  # round 1 held; round 2 under way
    leaver = r.pid("P3")
    left = r.s.when(r.s.command("leave", {}, r.s.as_("P3")))
    assert [event_name(e) for e in left.events] == ["ParticipantLeft", "Rotation.Replanned"]
    rotation = r.rotation()
    met = _pairs(rotation.held[0]) | _pairs(rotation.rounds[1]["tables"])
    for planned in rotation.rounds[2:]:
        assert leaver not in {p for t in planned["tables"] for p in t}
        assert not (_pairs(planned["tables"]) & met), "a pair that already met meets again"
        met |= _pairs(planned["tables"])


def test_a_late_joiner_is_put_into_the_remaining_rounds() -> None:
    r = Room(4)
    r.create(rounds=3)
    r.run("start_rotation")
    r.s.given(r.s.join("Late"))
    late = r.pid("Late")
    rotation = r.rotation()
    assert late not in {p for t in rotation.rounds[0]["tables"] for p in t}
    for planned in rotation.rounds[1:]:
        assert late in {p for t in planned["tables"] for p in t} | set(planned["sitting_out"])


def test_replan_leaves_out_the_absent_and_the_event_records_it() -> None:
    r = Room(6)
    r.create(rounds=4)
    r.run("start_rotation")
    absent = r.pid("P5")
    then_events(
        r.run("replan_rotation", absent=[absent]), ("Rotation.Replanned", {"from_round": 2, "reason": "facilitator"})
    )
    assert r.rotation().settings["exclude"] == [absent]
    for planned in r.rotation().rounds[1:]:
        assert absent not in {p for t in planned["tables"] for p in t} | set(planned["sitting_out"])


def test_same_organisation_is_never_paired_when_avoidable() -> None:
    s = Scenario()
    s.given(*(s.join(f"P{i}", organisation=f"Org {i // 2}") for i in range(8)))  # four pairs of colleagues
    [o] = s.given(s.command("create_rotation", {"table_size": 2, "rounds": 5}))
    rotation: Rotation = s.app.repository.get(UUID(o.result["rotation_id"]))
    org = {s.ids[f"P{i}"]: i // 2 for i in range(8)}
    for planned in rotation.rounds:
        assert all(org[a] != org[b] for a, b in planned["tables"])
    assert rotation.rounds and o.events and event_name(o.events[-1][1]) == "Rotations.RotationPlanned"


def test_a_participant_stars_only_people_they_have_met() -> None:
    r = Room(4)
    r.create(rounds=3)
    r.run("start_rotation")
    me = r.pid("P0")
    partner = next(p for t in r.rotation().rounds[0]["tables"] if me in t for p in t if p != me)
    stranger = next(p for p in r.s.ids.values() if p not in (me, partner))
    ask = r.s.as_("P0")
    mark = r.s.command("mark_follow_up", {"rotation_id": r.rid, "participant_id": partner, "starred": True}, ask)
    then_events(r.s.when(mark), ("Rotation.FollowUpMarked", {"other_id": partner, "starred": True}))
    assert r.rotation().stars[me] == {partner}
    bad = r.s.command("mark_follow_up", {"rotation_id": r.rid, "participant_id": stranger, "starred": True}, ask)
    then_error(r.s.when(bad), "not_met")
    then_error(r.run("mark_follow_up", participant_id=partner), "forbidden")  # the facilitator's is not theirs


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({"table_size": 1}, "invalid_args"),
        ({"table_size": 13}, "invalid_args"),
        ({"rounds": 0}, "invalid_args"),
        ({"round_seconds": 2}, "invalid_args"),
        ({"avoid": ["religion"]}, "invalid_args"),
        ({"odd": "drop"}, "invalid_args"),
        ({"hosts": ["nobody"]}, "invalid_args"),
        ({"rounds": None, "until": "tomorrow"}, "invalid_args"),
        ({"surprise": 1}, "invalid_args"),
    ],
)
def test_bad_settings_are_refused_with_a_stable_code(args: dict[str, Any], code: str) -> None:
    r = Room(4)
    settings = {"table_size": 2, "rounds": 3, **args}
    settings = {k: v for k, v in settings.items() if v is not None}
    then_error(r.s.when(r.s.command("create_rotation", settings)), code)


def test_nobody_to_seat_is_refused() -> None:
    s = Scenario()
    s.given(s.join("Alone"))
    then_error(s.when(s.command("create_rotation", {"rounds": 2})), "not_enough_people")


# The clock, with ``now`` given.


def test_clock_arithmetic() -> None:
    running = Clock().start(T0, 240)
    assert running.state == RUNNING and running.remaining(T0 + timedelta(seconds=40)) == 200_000
    paused = running.pause(T0 + timedelta(seconds=40))
    assert paused.state == PAUSED and paused.remaining(T0 + timedelta(hours=5)) == 200_000
    resumed = paused.resume(T0 + timedelta(seconds=100))
    assert resumed.remaining(T0 + timedelta(seconds=100)) == 200_000 and not resumed.due(T0 + timedelta(seconds=299))
    assert resumed.due(T0 + timedelta(seconds=300))
    longer = resumed.extend(T0 + timedelta(seconds=100), 60)
    assert longer.remaining(T0 + timedelta(seconds=100)) == 260_000 and longer.duration_ms == 300_000
    shorter = resumed.extend(T0 + timedelta(seconds=100), -500)
    assert shorter.remaining(T0 + timedelta(seconds=100)) == 0  # never below zero
    assert Clock.from_dict(longer.to_dict()) == longer
    with pytest.raises(TimerNotRunning):
        paused.pause(T0)
    with pytest.raises(TimerNotPaused):
        running.resume(T0)
    assert Clock().stop().state == STOPPED


def test_room_timer_lifecycle_and_retries() -> None:
    s = Scenario()
    start = s.command("start_timer", {"seconds": 400, "segments": 20, "label": "PechaKucha"}, id="t1")
    then_events(s.when(start), "Timer.Created", ("Timer.Started", {"segments": 20, "label": "PechaKucha"}))
    assert s.when(start).outcome.duplicate
    then_events(s.when(s.command("pause_timer")), ("Timer.ClockChanged", {"change": "paused"}))
    then_events(s.when(s.command("extend_timer", {"seconds": 30})), ("Timer.ClockChanged", {"seconds": 30}))
    then_events(s.when(s.command("resume_timer")), ("Timer.ClockChanged", {"change": "resumed"}))
    then_events(s.when(s.command("stop_timer")), "Timer.Stopped")
    then_error(s.when(s.command("pause_timer")), "timer_not_running")
    then_error(s.when(s.command("start_timer", {"seconds": 0})), "invalid_args")
    then_error(s.when(s.command("start_timer", {"seconds": 10, "segments": 0})), "invalid_args")


def test_a_new_rotation_waits_until_the_running_one_ends() -> None:
    r = Room(4)
    r.create()
    r.run("start_rotation")
    then_error(r.s.when(r.s.command("create_rotation", {"rounds": 2})), "rotation_running")
    r.run("end_rotation")
    r.s.given(r.s.command("create_rotation", {"rounds": 2}))


def test_people_who_asked_to_meet_through_matchmaking_are_seated_together() -> None:
    s = Scenario()
    s.given(*(s.join(f"P{i}", organisation=f"Org {i}") for i in range(10)))
    slots = [{"start": "2026-11-23T09:00:00+01:00", "end": "2026-11-23T09:20:00+01:00"}]
    s.given(s.command("configure_matchmaking", {"slots": slots, "tables": 5}))
    wishes = [("P0", "P7"), ("P3", "P8"), ("P5", "P9")]
    for a, b in wishes:
        s.given(s.command("request_meeting", {"participant_id": s.ids[b]}, s.as_(a)))
    [o] = s.given(s.command("create_rotation", {"table_size": 2, "rounds": 2}))
    rotation: Rotation = s.app.repository.get(UUID(o.result["rotation_id"]))
    met = set().union(*(_pairs(r["tables"]) for r in rotation.rounds))
    assert all(frozenset((s.ids[a], s.ids[b])) in met for a, b in wishes)


def test_create_rotation_with_meet_at_least_plans_the_rounds_needed_and_says_how_long() -> None:
    """15 people in pairs, "everyone meets at least 10": 11 rounds (sit-outs), 11 x 4 min; with a trio, 10."""
    r = Room(15)
    [o] = r.s.given(r.s.command("create_rotation", {"table_size": 2, "meet_at_least": 10, "round_seconds": 240}))
    assert o.result["rounds"] == 11 and o.result["total_seconds"] == 11 * 240
    rounds = r.s.app.repository.get(UUID(o.result["rotation_id"])).rounds
    met: dict[str, set[str]] = {pid: set() for pid in r.s.ids.values()}
    for planned in rounds:
        for a, b in (p for t in planned["tables"] for p in combinations(t, 2)):
            met[a].add(b)
            met[b].add(a)
    assert min(len(m) for m in met.values()) >= 10
    [trio] = r.s.given(r.s.command("create_rotation", {"table_size": 2, "meet_at_least": 10, "odd": "trio"}))
    assert trio.result["rounds"] == 10


@pytest.mark.parametrize(
    "args",
    [{"meet_at_least": 15}, {"meet_at_least": 0}, {"meet_at_least": True}, {"meet_at_least": 3, "rounds": 3},
     {"meet_at_least": 3, "until": "2026-11-22T12:00:00+00:00"}],
)  # fmt: skip
def test_create_rotation_refuses_a_meet_at_least_it_cannot_plan(args: dict[str, Any]) -> None:
    r = Room(15)
    when = r.s.when(r.s.command("create_rotation", {"table_size": 2, **args}))
    then_error(when, "cannot_plan" if args == {"meet_at_least": 15} else "invalid_args")
