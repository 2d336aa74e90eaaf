"""Matchmaking: given earlier commands, when a matchmaking command runs, then these events or this error.

Every one of the fourteen commands, on the real application (memory store, events read back as a replay sees
them). ``apply_schedule`` most of all: a solver's result names the ``schedule_version`` it started from (the
aggregate version of that ``Scheduled`` event, as ``schedule_meetings`` returns it); it is applied when nothing
changed since, and refused as ``schedule_stale`` when another schedule was recorded or a meeting changed.
"""

from __future__ import annotations

from typing import Any

from domain.application import Outcome
from domain.commands import Actor
from domain.matchmaking import Matchmaking, matchmaking_id
from tests.domain.builders import Scenario, When, event_name, then_error, then_events

SLOTS = [
    {"start": "2026-11-22T10:00:00+00:00", "end": "2026-11-22T10:20:00+00:00"},
    {"start": "2026-11-22T10:20:00+00:00", "end": "2026-11-22T10:40:00+00:00"},
]


def then_nothing(when: When) -> None:
    """Accepted, changing nothing: only the note of its command id (so a retry stays a retry)."""
    assert when.outcome.error is None, when.outcome.error
    assert [event_name(e) for e in when.events] == ["Matchmaking.CommandNoted"]


class Market:
    """A workshop whose people ``Ann``, ``Bob``, ``Cy`` and ``Dee`` have joined; matchmaking commands by alias."""

    def __init__(self, *, requires_acceptance: bool = True, tables: int = 2) -> None:
        self.s = Scenario()
        self.s.given(*(self.s.join(a) for a in ("Ann", "Bob", "Cy", "Dee")))
        self.config = {"slots": SLOTS, "tables": tables, "requires_acceptance": requires_acceptance}

    def id(self, alias: str) -> str:
        return self.s.ids[alias]

    def as_(self, alias: str) -> Actor:
        return self.s.as_(alias)

    def run(self, name: str, args: dict[str, Any] | None = None, actor: str | None = None) -> Any:
        return self.s.command(name, args or {}, self.as_(actor) if actor else Actor("facilitator"))

    def given(self, name: str, args: dict[str, Any] | None = None, actor: str | None = None) -> Outcome:
        return self.s.given(self.run(name, args, actor))[0]

    def configured(self) -> Market:
        self.given("configure_matchmaking", self.config)
        return self

    def meeting(self, a: str, b: str) -> str:
        """A meeting ``a`` asked ``b`` for, accepted if acceptance is needed; its id."""
        out = self.given("request_meeting", {"participant_id": self.id(b), "note": "hello"}, a)
        meeting_id = str(out.result["meeting_id"])
        if self.mm().meetings[meeting_id].status == "pending":
            self.given("accept_meeting", {"meeting_id": meeting_id}, b)
        return meeting_id

    def mm(self) -> Matchmaking:
        mm: Matchmaking = self.s.app.repository.get(matchmaking_id(self.s.workshop_id))
        return mm

    def scheduled(self) -> int:
        """Schedule; the ``schedule_version`` the command returned."""
        return int(self.given("schedule_meetings").result["schedule_version"])


def test_configure_matchmaking_records_slots_tables_and_acceptance() -> None:
    m = Market()
    when = m.s.when(m.run("configure_matchmaking", m.config))
    then_events(when, ("Matchmaking.Created", {}),
                ("Matchmaking.Configured", {"slots": SLOTS, "tables": 2, "requires_acceptance": True}))  # fmt: skip


def test_configure_matchmaking_cuts_sessions_into_slots_and_refuses_a_participant() -> None:
    m = Market()
    when = m.s.when(m.run("configure_matchmaking", {
        "sessions": [{"start": "2026-11-22T10:00:00+01:00", "end": "2026-11-22T11:00:00+01:00"}],
        "slot_minutes": 20, "break_minutes": 10, "tables": 3,
    }))  # fmt: skip
    then_events(when, "Matchmaking.Created", ("Matchmaking.Configured", {"tables": 3}))
    assert len(when.events[1].slots) == 2
    then_error(m.s.when(m.run("configure_matchmaking", m.config, "Ann")), "forbidden")


def test_save_match_profile_records_it_once() -> None:
    m = Market().configured()
    profile = {"offers": "welding", "seeks": "sensors", "sectors": ["Energy"], "value_chain": "production",
               "markets": ["it", "FR"]}  # fmt: skip
    when = m.s.when(m.run("save_match_profile", profile, "Ann"))
    then_events(when, ("Matchmaking.ProfileSaved", {"participant_id": m.id("Ann"), "markets": ["IT", "FR"]}))
    then_nothing(m.s.when(m.run("save_match_profile", profile, "Ann")))
    then_error(m.s.when(m.run("save_match_profile", {**profile, "markets": ["XX"]}, "Ann")), "invalid_args")


def test_set_availability_needs_slots_and_checks_them() -> None:
    m = Market()
    then_error(m.s.when(m.run("set_availability", {"unavailable": [0]}, "Ann")), "matchmaking_not_configured")
    m.configured()
    when = m.s.when(m.run("set_availability", {"unavailable": [1]}, "Ann"))
    then_events(when, ("Matchmaking.AvailabilitySet", {"participant_id": m.id("Ann"), "unavailable": [1]}))
    then_error(m.s.when(m.run("set_availability", {"unavailable": [2]}, "Ann")), "invalid_args")
    when = m.s.when(m.run("set_availability", {"unavailable": [0], "participant_id": m.id("Bob")}))
    then_events(when, ("Matchmaking.AvailabilitySet", {"participant_id": m.id("Bob"), "unavailable": [0]}))


def test_request_accept_decline_withdraw_a_meeting() -> None:
    m = Market().configured()
    when = m.s.when(m.run("request_meeting", {"participant_id": m.id("Bob"), "note": "hi"}, "Ann"))
    then_events(when, ("Matchmaking.MeetingRequested", {"requester": m.id("Ann"), "status": "pending"}))
    meeting = {"meeting_id": when.outcome.result["meeting_id"]}
    then_error(m.s.when(m.run("request_meeting", {"participant_id": m.id("Ann")}, "Bob")), "already_requested")
    then_error(m.s.when(m.run("accept_meeting", meeting, "Ann")), "not_your_meeting")
    then_error(m.s.when(m.run("accept_meeting", meeting, "Cy")), "not_your_meeting")
    then_events(m.s.when(m.run("accept_meeting", meeting, "Bob")),
                ("Matchmaking.MeetingAnswered", {"status": "accepted", "by": m.id("Bob")}))  # fmt: skip
    then_events(m.s.when(m.run("decline_meeting", meeting, "Bob")),
                ("Matchmaking.MeetingAnswered", {"status": "declined"}))  # fmt: skip
    then_error(m.s.when(m.run("withdraw_meeting", meeting, "Ann")), "meeting_state")
    then_events(m.s.when(m.run("accept_meeting", meeting, "Bob")), "Matchmaking.MeetingAnswered")
    then_events(m.s.when(m.run("withdraw_meeting", meeting, "Ann")),
                ("Matchmaking.MeetingAnswered", {"status": "withdrawn", "by": m.id("Ann")}))  # fmt: skip


def test_add_and_remove_a_meeting_as_facilitator() -> None:
    m = Market().configured()
    when = m.s.when(m.run("add_meeting", {"participant_ids": [m.id("Ann"), m.id("Cy")]}))
    then_events(when, ("Matchmaking.MeetingRequested", {"status": "accepted", "by_facilitator": True}))
    meeting = {"meeting_id": when.outcome.result["meeting_id"]}
    then_error(m.s.when(m.run("remove_meeting", meeting, "Ann")), "forbidden")
    then_events(m.s.when(m.run("remove_meeting", meeting)), ("Matchmaking.MeetingAnswered", {"status": "removed"}))
    then_error(m.s.when(m.run("remove_meeting", {"meeting_id": "m99"})), "unknown_meeting")


def test_schedule_meetings_returns_the_version_the_dashboard_shows() -> None:
    m = Market(requires_acceptance=False).configured()
    m.meeting("Ann", "Bob")
    m.meeting("Cy", "Dee")
    when = m.s.when(m.run("schedule_meetings"))
    then_events(when, ("Matchmaking.Scheduled", {"info": {**when.events[0].info, "count": 2}}))
    # The version a client is told is the one the aggregate keeps, and the one apply_schedule compares.
    assert when.outcome.result["schedule_version"] == when.events[0].originator_version == m.mm().schedule.version


def test_publish_schedule_needs_a_schedule() -> None:
    m = Market(requires_acceptance=False).configured()
    m.meeting("Ann", "Bob")
    then_error(m.s.when(m.run("publish_schedule")), "not_scheduled")
    m.scheduled()
    then_events(m.s.when(m.run("publish_schedule")), "Matchmaking.SchedulePublished")
    then_nothing(m.s.when(m.run("publish_schedule")))


def test_mark_attendance_and_record_outcome_by_either_side() -> None:
    m = Market(requires_acceptance=False).configured()
    meeting = {"meeting_id": m.meeting("Ann", "Bob")}
    then_events(m.s.when(m.run("mark_attendance", {**meeting, "attendance": "held"}, "Bob")),
                ("Matchmaking.AttendanceMarked", {"attendance": "held", "by": m.id("Bob")}))  # fmt: skip
    then_error(m.s.when(m.run("mark_attendance", {**meeting, "attendance": "held"}, "Cy")), "not_your_meeting")
    then_events(m.s.when(m.run("record_outcome", {**meeting, "outcome": "joint_project", "text": "yes"}, "Ann")),
                ("Matchmaking.OutcomeRecorded", {"outcome": "joint_project", "text": "yes"}))  # fmt: skip
    then_error(m.s.when(m.run("record_outcome", {**meeting, "outcome": "maybe"}, "Ann")), "invalid_args")


# apply_schedule: what a solver result is based on.


def _better(m: Market, based_on: int) -> dict[str, Any]:
    """Every accepted meeting in its own slot-and-table, proven optimal: a valid result for these tests."""
    ids = sorted(m.mm().meetings)
    placements = [[meeting_id, i % 2, i // 2] for i, meeting_id in enumerate(ids)]
    return {"based_on": based_on, "placements": placements, "info": {"optimal": True, "method": "cp-sat"}}


def test_apply_schedule_based_on_the_returned_version_is_applied() -> None:
    """The solver's result names the schedule_version schedule_meetings returned; after other matchmaking events
    (the aggregate's version is far past the schedule's ordinal) it is still applied."""
    m = Market(requires_acceptance=False, tables=1).configured()
    m.meeting("Ann", "Bob")
    m.meeting("Cy", "Dee")
    version = m.scheduled()
    assert version > 1
    when = m.s.when(m.run("apply_schedule", _better(m, version)))
    then_events(when, ("Matchmaking.Scheduled", {"info": {**when.events[0].info, "optimal": True, "count": 2}}))
    assert m.mm().schedule.optimal and m.mm().schedule.version == when.events[0].originator_version


def test_apply_schedule_is_stale_once_another_schedule_was_recorded() -> None:
    m = Market(requires_acceptance=False, tables=1).configured()
    m.meeting("Ann", "Bob")
    first = m.scheduled()
    second = m.scheduled()
    then_error(m.s.when(m.run("apply_schedule", _better(m, first))), "schedule_stale")
    then_events(m.s.when(m.run("apply_schedule", _better(m, second))), "Matchmaking.Scheduled")


def test_apply_schedule_is_stale_once_a_meeting_changed() -> None:
    m = Market(requires_acceptance=False, tables=1).configured()
    m.meeting("Ann", "Bob")
    version = m.scheduled()
    result = _better(m, version)
    m.meeting("Cy", "Dee")
    then_error(m.s.when(m.run("apply_schedule", result)), "schedule_stale")


def test_apply_schedule_refuses_bad_results() -> None:
    m = Market(requires_acceptance=False, tables=1).configured()
    ab = m.meeting("Ann", "Bob")
    m.meeting("Ann", "Cy")
    then_error(m.s.when(m.run("apply_schedule", _better(m, 1))), "schedule_stale")  # nothing scheduled yet
    version = m.scheduled()
    double = {"based_on": version, "placements": [[ab, 0, 0], [ab, 1, 0]], "info": {}}
    then_error(m.s.when(m.run("apply_schedule", double)), "invalid_args")
    then_error(m.s.when(m.run("apply_schedule", {**_better(m, version), "based_on": "1"})), "invalid_args")
    then_error(m.s.when(m.run("apply_schedule", {**_better(m, version), "placements": []})), "schedule_stale")
    then_error(m.s.when(m.run("apply_schedule", _better(m, version), "Ann")), "forbidden")
