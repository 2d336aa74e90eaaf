"""B2B matchmaking: profiles, meeting requests, availability, and the schedule of slots and tables.

One ``Matchmaking`` aggregate per workshop (its id derives from the workshop's) holds the event's slots and tables,
the participants' matchmaking profiles and unavailable slots, every meeting (a request, then accepted, declined or
withdrawn, or added by a facilitator), the schedule as the scheduler's **result** (``Scheduled``: meeting -> slot
and table; never re-computed on replay) and what happened at each meeting (held or no-show, an outcome).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

MATCHMAKING_NAMESPACE = UUID("2e7c4b1a-9d3f-4a6b-8c5e-1f0a2b3c4d5e")
PENDING, ACCEPTED, DECLINED, WITHDRAWN, REMOVED = "pending", "accepted", "declined", "withdrawn", "removed"
LIVE = (PENDING, ACCEPTED)  # a meeting in one of these states blocks another request between the same two people
VALUE_CHAIN = ("research", "design", "production", "distribution", "services", "end_user", "other")
OUTCOMES = ("cooperation_agreement", "joint_project", "follow_up_visit", "further_contact", "no_follow_up", "other")


def matchmaking_id(workshop_id: UUID) -> UUID:
    return uuid5(MATCHMAKING_NAMESPACE, f"matchmaking/{workshop_id}")


@dataclass
class Profile:
    offers: str = ""
    seeks: str = ""
    sectors: tuple[str, ...] = ()
    value_chain: str = ""
    markets: tuple[str, ...] = ()


@dataclass
class Meeting:
    id: str
    requester: str
    recipient: str
    note: str
    status: str
    by_facilitator: bool
    slot: int | None = None
    table: int | None = None
    attendance: str = ""  # "" | held | no_show
    outcome: str = ""
    outcome_text: str = ""

    def pair(self) -> frozenset[str]:
        return frozenset((self.requester, self.recipient))


@dataclass
class ScheduleInfo:
    # The matchmaking's aggregate version at which this schedule was recorded (0: none yet): the
    # ``schedule_version`` a command's result and the dashboard show, and what ``apply_schedule``'s ``based_on``
    # names. Any later schedule has a higher one, so a result based on an older schedule is told apart.
    version: int = 0
    count: int = 0
    upper_bound: int = 0
    optimal: bool = False
    method: str = ""
    published: bool = False
    changes_since: int = 0  # meeting changes (accepts, withdrawals, …) since this schedule was made
    extra: dict[str, Any] = field(default_factory=dict)


class Matchmaking(Aggregate):
    """A workshop's matchmaking."""

    class Event(Aggregate.Event):
        command_id: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Matchmaking)
            aggregate.commands[self.command_id] = self.result()
            self.when(aggregate)

        def when(self, mm: Matchmaking) -> None:
            """How this event changes the matchmaking."""

        def result(self) -> dict[str, Any]:
            return {}

    class Created(Event, Aggregate.Created):
        workshop_id: UUID

    class Configured(Event):
        """The facilitator set the meeting slots (each ``{"start", "end"}``, ISO times), the number of tables, and
        whether a request needs the other side's acceptance."""

        slots: tuple[dict[str, str], ...]
        tables: int
        requires_acceptance: bool

        def when(self, mm: Matchmaking) -> None:
            mm.slots, mm.tables, mm.requires_acceptance = list(self.slots), self.tables, self.requires_acceptance

    class ProfileSaved(Event):
        """A participant's matchmaking profile: what they offer and seek, sectors, value-chain position, markets."""

        participant_id: str
        offers: str
        seeks: str
        sectors: tuple[str, ...]
        value_chain: str
        markets: tuple[str, ...]

        def when(self, mm: Matchmaking) -> None:
            mm.profiles[self.participant_id] = Profile(
                self.offers, self.seeks, tuple(self.sectors), self.value_chain, tuple(self.markets)
            )

    class AvailabilitySet(Event):
        """The slots (0-based) in which a participant cannot meet."""

        participant_id: str
        unavailable: tuple[int, ...]

        def when(self, mm: Matchmaking) -> None:
            mm.unavailable[self.participant_id] = frozenset(self.unavailable)

    class MeetingRequested(Event):
        """A participant asked to meet another (``status`` pending, or accepted where no acceptance is needed),
        or a facilitator added a meeting (``by_facilitator``, accepted)."""

        meeting_id: str
        requester: str
        recipient: str
        note: str
        status: str
        by_facilitator: bool

        def when(self, mm: Matchmaking) -> None:
            mm.meetings[self.meeting_id] = Meeting(
                self.meeting_id, self.requester, self.recipient, self.note, self.status, self.by_facilitator
            )
            mm.schedule.changes_since += 1

        def result(self) -> dict[str, Any]:
            return {"meeting_id": self.meeting_id}

    class MeetingAnswered(Event):
        """The meeting's status changed: accepted or declined (by the recipient), withdrawn (by the requester),
        removed (by a facilitator). A meeting no longer accepted leaves the schedule."""

        meeting_id: str
        status: str
        by: str

        def when(self, mm: Matchmaking) -> None:
            meeting = mm.meetings[self.meeting_id]
            meeting.status = self.status
            if self.status != ACCEPTED:
                meeting.slot = meeting.table = None
            mm.schedule.changes_since += 1

    class Scheduled(Event):
        """The scheduler's result: ``placements`` (meeting id, slot, table) for every meeting it could place; the
        accepted meetings it could not are left without a place. ``moved``: announced meetings whose place changed
        (``{"meeting_id", "old_slot", "old_table", "new_slot", "new_table"}``). ``info``: count, upper bound,
        optimal, method, seconds, idle, kept."""

        placements: tuple[tuple[str, int, int], ...]
        moved: tuple[dict[str, Any], ...]
        info: dict[str, Any]

        def when(self, mm: Matchmaking) -> None:
            for meeting in mm.meetings.values():
                meeting.slot = meeting.table = None
            for meeting_id, slot, table in self.placements:
                mm.meetings[meeting_id].slot, mm.meetings[meeting_id].table = slot, table
            info = dict(self.info)
            mm.schedule = ScheduleInfo(
                self.originator_version, len(self.placements), int(info.get("upper_bound", 0)),
                bool(info.get("optimal")), str(info.get("method", "")), mm.schedule.published, 0, info,
            )  # fmt: skip

        def result(self) -> dict[str, Any]:
            return {"scheduled": len(self.placements), "schedule_version": self.originator_version}

    class SchedulePublished(Event):
        """The facilitator announced the schedule: participants see their agendas; later re-scheduling keeps
        announced meetings where they are wherever possible."""

        def when(self, mm: Matchmaking) -> None:
            mm.schedule.published = True

    class AttendanceMarked(Event):
        """A meeting was marked held or no-show (by either side or a facilitator)."""

        meeting_id: str
        attendance: str
        by: str

        def when(self, mm: Matchmaking) -> None:
            mm.meetings[self.meeting_id].attendance = self.attendance

    class OutcomeRecorded(Event):
        """What came of a meeting (a kind from OUTCOMES and a short text), by either side or a facilitator."""

        meeting_id: str
        outcome: str
        text: str
        by: str

        def when(self, mm: Matchmaking) -> None:
            meeting = mm.meetings[self.meeting_id]
            meeting.outcome, meeting.outcome_text = self.outcome, self.text

    class CommandNoted(Event):
        """A command that changed nothing was accepted; noted so that a later retry of it is not applied."""

    def __init__(self, workshop_id: UUID, command_id: str) -> None:
        self.workshop_id = workshop_id
        self.slots: list[dict[str, str]] = []
        self.tables = 0
        self.requires_acceptance = True
        self.profiles: dict[str, Profile] = {}
        self.unavailable: dict[str, frozenset[int]] = {}
        self.meetings: dict[str, Meeting] = {}
        self.schedule = ScheduleInfo()
        self.commands: dict[str, dict[str, Any]] = {}

    def live_between(self, a: str, b: str) -> Meeting | None:
        pair = frozenset((a, b))
        return next((m for m in self.meetings.values() if m.status in LIVE and m.pair() == pair), None)

    def accepted(self) -> list[Meeting]:
        return [m for m in self.meetings.values() if m.status == ACCEPTED]
