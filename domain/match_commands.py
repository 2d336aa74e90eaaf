"""Commands on matchmaking: configure slots and tables, profiles, availability, requests, the schedule, outcomes.

Integration (domain/application.py wires these): ``MATCH_COMMANDS`` names the commands and their roles;
``run_match_command(name, workshop, matchmaking or None, ctx, args)`` returns the aggregate and whether the command
was a retry. ``schedule_meetings`` records the greedy schedule at once (milliseconds); the server then runs the
exact solver off the write path and offers its result with ``apply_schedule``, which the domain checks (nothing
changed since, every placement feasible) before recording it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from domain import errors, values
from domain.countries import parse_country
from domain.match_errors import (
    AlreadyRequested,
    MatchmakingNotConfigured,
    MeetingState,
    NotScheduled,
    NotYourMeeting,
    ScheduleStale,
    UnknownMeeting,
)
from domain.matchmaking import (
    ACCEPTED,
    DECLINED,
    OUTCOMES,
    PENDING,
    REMOVED,
    VALUE_CHAIN,
    WITHDRAWN,
    Matchmaking,
    Meeting,
    matchmaking_id,
)
from domain.planning import meetings as planner
from domain.workshop import Workshop

if TYPE_CHECKING:
    from domain.commands import Actor

FACILITATOR, PARTICIPANT = "facilitator", "participant"
TEXT_MAX = 1000
NOTE_MAX = 500
SLOTS_MAX = 200
TABLES_MAX = 1000
MARKETS_MAX = 30


@dataclass(frozen=True)
class MatchContext:
    actor: Actor
    command_id: str


# Validation.


def _when(value: Any, key: str) -> datetime:
    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        at = None
    if at is None or at.utcoffset() is None:
        raise errors.InvalidArgs(f"'{key}' must be an ISO 8601 date-time with a UTC offset")
    return at


def _whole(args: Mapping[str, Any], key: str, low: int, high: int, default: int | None = None) -> int:
    value = args.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise errors.InvalidArgs(f"'{key}' must be a whole number from {low} to {high}")
    return value


def slots_from(args: Mapping[str, Any]) -> list[dict[str, str]]:
    """Slots from ``sessions`` (each ``{"start", "end"}``) cut into ``slot_minutes`` with ``break_minutes`` between,
    or given one by one as ``slots`` (each ``{"start", "end"}``); in time order, never overlapping."""
    found: list[tuple[datetime, datetime]] = []
    if "slots" in args:
        raw = args["slots"]
        if not isinstance(raw, list) or not 1 <= len(raw) <= SLOTS_MAX:
            raise errors.InvalidArgs(f"'slots' must be a list of 1 to {SLOTS_MAX} slots")
        for slot in raw:
            if not isinstance(slot, dict):
                raise errors.InvalidArgs("each slot must be {start, end}")
            found.append((_when(slot.get("start"), "start"), _when(slot.get("end"), "end")))
    else:
        sessions = args.get("sessions")
        if not isinstance(sessions, list) or not 1 <= len(sessions) <= 20:
            raise errors.InvalidArgs("give 'sessions' (1 to 20 of {start, end}) or 'slots'")
        minutes = _whole(args, "slot_minutes", 5, 240, 20)
        pause = _whole(args, "break_minutes", 0, 120, 0)
        for session in sessions:
            if not isinstance(session, dict):
                raise errors.InvalidArgs("each session must be {start, end}")
            at, end = _when(session.get("start"), "start"), _when(session.get("end"), "end")
            while at + timedelta(minutes=minutes) <= end:
                found.append((at, at + timedelta(minutes=minutes)))
                at += timedelta(minutes=minutes + pause)
                if len(found) > SLOTS_MAX:
                    raise errors.InvalidArgs(f"at most {SLOTS_MAX} slots")
    found.sort()
    if not found:
        raise errors.InvalidArgs("no slot fits in these sessions")
    for (start, end), following in zip(found, [*found[1:], None], strict=True):
        if end <= start:
            raise errors.InvalidArgs("a slot must end after it starts")
        if following is not None and following[0] < end:
            raise errors.InvalidArgs("slots must not overlap")
    return [{"start": s.isoformat(), "end": e.isoformat()} for s, e in found]


def _texts(value: Any, key: str, limit: int, check: Callable[[str], bool] | None = None) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > limit:
        raise errors.InvalidArgs(f"'{key}' must be a list of at most {limit}")
    out: list[str] = []
    for item in value:
        text = values.text({key: item}, key, values.SECTOR_MAX)
        if check is not None and not check(text):
            raise errors.InvalidArgs(f"{text!r} is not allowed in '{key}'")
        if text not in out:
            out.append(text)
    return tuple(out)


# Helpers for handlers.


class Call:
    def __init__(self, workshop: Workshop, mm: Matchmaking, ctx: MatchContext, args: Mapping[str, Any]) -> None:
        self.workshop, self.mm, self.ctx, self.args = workshop, mm, ctx, args

    @property
    def facilitator(self) -> bool:
        return self.ctx.actor.role == FACILITATOR

    def me(self) -> str:
        """The acting participant (present), or, for a facilitator, the ``participant_id`` argument."""
        if self.facilitator:
            return self.workshop.present(values.identifier(self.args, "participant_id")).id
        return self.workshop.present(self.ctx.actor.participant_id or "").id

    def meeting(self) -> Meeting:
        meeting = self.mm.meetings.get(values.identifier(self.args, "meeting_id"))
        if meeting is None:
            raise UnknownMeeting("no such meeting")
        return meeting

    def party(self, meeting: Meeting) -> str:
        """Who acts on ``meeting``: a facilitator, or one of its two people (anyone else is refused)."""
        if self.facilitator:
            return FACILITATOR
        me = self.ctx.actor.participant_id or ""
        if me not in (meeting.requester, meeting.recipient):
            raise NotYourMeeting("this meeting is not yours")
        return me

    def record(self, event: type[Matchmaking.Event], **fields: Any) -> None:
        self.mm.trigger_event(event, command_id=self.ctx.command_id, **fields)

    def configured(self) -> None:
        if not self.mm.slots:
            raise MatchmakingNotConfigured("the facilitator has not set the meeting slots yet")


# Handlers.


def configure_matchmaking(call: Call) -> None:
    """Set the meeting slots and tables, and whether requests need acceptance."""
    values.check_keys(call.args, {"sessions", "slot_minutes", "break_minutes", "slots", "tables",
                                  "requires_acceptance"})  # fmt: skip
    slots = slots_from(call.args) if ("slots" in call.args or "sessions" in call.args) else call.mm.slots
    if not slots:
        raise errors.InvalidArgs("give 'sessions' or 'slots'")
    tables = _whole(call.args, "tables", 1, TABLES_MAX, call.mm.tables or 10)
    needs = call.args.get("requires_acceptance", call.mm.requires_acceptance)
    if not isinstance(needs, bool):
        raise errors.InvalidArgs("'requires_acceptance' must be true or false")
    if (slots, tables, needs) != (call.mm.slots, call.mm.tables, call.mm.requires_acceptance):
        call.record(Matchmaking.Configured, slots=tuple(slots), tables=tables, requires_acceptance=needs)


def save_match_profile(call: Call) -> None:
    """Save one's matchmaking profile (every field carries its new value)."""
    values.check_keys(call.args, {"offers", "seeks", "sectors", "value_chain", "markets"})
    me = call.workshop.present(call.ctx.actor.participant_id or "").id
    fields = {
        "offers": values.text(call.args, "offers", TEXT_MAX, required=False) if "offers" in call.args else "",
        "seeks": values.text(call.args, "seeks", TEXT_MAX, required=False) if "seeks" in call.args else "",
        # A sector the workshop lists, in whatever case it was typed, is stored as the workshop spells it (so the
        # catalogue's sector filter and the suggestions see one sector); others are kept as typed.
        "sectors": tuple(
            dict.fromkeys(
                values.match_choice(s, call.workshop.sectors) or s
                for s in _texts(call.args.get("sectors"), "sectors", 10)
            )
        ),
        "value_chain": values.choice({"v": call.args.get("value_chain") or ""}, "v", ("", *VALUE_CHAIN)),
        "markets": _texts(call.args.get("markets"), "markets", MARKETS_MAX, lambda c: parse_country(c) is not None),
    }
    fields["markets"] = tuple(dict.fromkeys(parse_country(m) or m for m in fields["markets"]))
    current = call.mm.profiles.get(me)
    if current is None or (current.offers, current.seeks, current.sectors, current.value_chain,
                           current.markets) != tuple(fields.values()):  # fmt: skip
        call.record(Matchmaking.ProfileSaved, participant_id=me, **fields)


def set_availability(call: Call) -> None:
    """The slots one cannot attend (a facilitator may set them for anyone, with ``participant_id``)."""
    values.check_keys(call.args, {"unavailable", "participant_id"} if call.facilitator else {"unavailable"})
    call.configured()
    me = call.me()
    raw = call.args.get("unavailable")
    if not isinstance(raw, list) or any(isinstance(s, bool) or not isinstance(s, int) for s in raw):
        raise errors.InvalidArgs("'unavailable' must be a list of slot numbers")
    if any(not 0 <= s < len(call.mm.slots) for s in raw):
        raise errors.InvalidArgs(f"slot numbers go from 0 to {len(call.mm.slots) - 1}")
    unavailable = tuple(sorted(set(raw)))
    if frozenset(unavailable) != call.mm.unavailable.get(me, frozenset()):
        call.record(Matchmaking.AvailabilitySet, participant_id=me, unavailable=unavailable)


def _new_meeting(call: Call, requester: str, recipient: str, note: str, status: str, by_facilitator: bool) -> None:
    if requester == recipient:
        raise errors.InvalidArgs("a meeting needs two different people")
    if call.mm.live_between(requester, recipient) is not None:
        raise AlreadyRequested("these two already have a meeting or a request")
    meeting_id = f"m{len(call.mm.meetings) + 1}"
    call.record(Matchmaking.MeetingRequested, meeting_id=meeting_id, requester=requester, recipient=recipient,
                note=note, status=status, by_facilitator=by_facilitator)  # fmt: skip


def request_meeting(call: Call) -> None:
    """Ask another participant for a meeting, with a note (accepted at once where no acceptance is needed)."""
    values.check_keys(call.args, {"participant_id", "note"})
    me = call.workshop.present(call.ctx.actor.participant_id or "").id
    other = call.workshop.present(values.identifier(call.args, "participant_id")).id
    note = values.text(call.args, "note", NOTE_MAX, required=False) if "note" in call.args else ""
    status = PENDING if call.mm.requires_acceptance else ACCEPTED
    _new_meeting(call, me, other, note, status, False)


def add_meeting(call: Call) -> None:
    """A facilitator adds a meeting between two participants directly (accepted)."""
    values.check_keys(call.args, {"participant_ids", "note"})
    ids = call.args.get("participant_ids")
    if not isinstance(ids, list) or len(ids) != 2 or not all(isinstance(i, str) for i in ids):
        raise errors.InvalidArgs("'participant_ids' must be two participant ids")
    a, b = (call.workshop.present(i).id for i in ids)
    note = values.text(call.args, "note", NOTE_MAX, required=False) if "note" in call.args else ""
    _new_meeting(call, a, b, note, ACCEPTED, True)


def _answer(call: Call, allowed_from: tuple[str, ...], status: str, who: str) -> None:
    values.check_keys(call.args, {"meeting_id"})
    meeting = call.meeting()
    by = call.party(meeting)
    if by != FACILITATOR and by != getattr(meeting, who):
        raise NotYourMeeting(f"only the meeting's {who} may do this")
    if meeting.status == status:
        return
    if meeting.status not in allowed_from:
        raise MeetingState(f"the meeting is {meeting.status}")
    call.record(Matchmaking.MeetingAnswered, meeting_id=meeting.id, status=status, by=by)


def accept_meeting(call: Call) -> None:
    """The recipient accepts a request."""
    _answer(call, (PENDING, DECLINED), ACCEPTED, "recipient")


def decline_meeting(call: Call) -> None:
    """The recipient declines a request (or a meeting they had accepted)."""
    _answer(call, (PENDING, ACCEPTED), DECLINED, "recipient")


def withdraw_meeting(call: Call) -> None:
    """The requester withdraws their request (or a meeting already accepted)."""
    _answer(call, (PENDING, ACCEPTED), WITHDRAWN, "requester")


def remove_meeting(call: Call) -> None:
    """A facilitator removes a meeting."""
    values.check_keys(call.args, {"meeting_id"})
    meeting = call.meeting()
    if meeting.status != REMOVED:
        call.record(Matchmaking.MeetingAnswered, meeting_id=meeting.id, status=REMOVED, by=FACILITATOR)


def instance(workshop: Workshop, mm: Matchmaking) -> tuple[planner.Instance, list[str]]:
    """The scheduler's input: accepted meetings between present people, their availability, and (once the
    schedule is published) where each announced meeting is now. Also the meeting ids, in the instance's order."""
    present = {p.id for p in workshop.participants.values() if p.status == "present"}
    meetings = [m for m in mm.accepted() if m.requester in present and m.recipient in present]
    people = sorted({p for m in meetings for p in (m.requester, m.recipient)})
    previous = {
        i: (m.slot, m.table) for i, m in enumerate(meetings) if m.slot is not None and m.table is not None
    } if mm.schedule.published else None  # fmt: skip
    return planner.Instance(
        slots=len(mm.slots), tables=mm.tables,
        participants=[planner.Participant(p, mm.unavailable.get(p, frozenset())) for p in people],
        meetings=[(m.requester, m.recipient) for m in meetings], previous=previous,
    ), [m.id for m in meetings]  # fmt: skip


def _record_schedule(call: Call, found: planner.Schedule, ids: list[str]) -> None:
    placements = tuple((ids[m], s, t) for m, (s, t) in sorted(found.placed.items()))
    moved = tuple(
        {"meeting_id": ids[mv.meeting], "old_slot": mv.old[0], "old_table": mv.old[1],
         "new_slot": mv.new[0] if mv.new else None, "new_table": mv.new[1] if mv.new else None}
        for mv in found.moved
    )  # fmt: skip
    info = {
        "count": found.count, "upper_bound": found.upper_bound, "optimal": found.optimal, "method": found.method,
        "seconds": round(found.seconds, 4), "idle": found.idle, "kept": found.kept,
        "unscheduled": [ids[m] for m in found.unscheduled],
    }  # fmt: skip
    call.record(Matchmaking.Scheduled, placements=placements, moved=moved, info=info)


def schedule_meetings(call: Call) -> None:
    """Schedule every accepted meeting that can be placed (the fast greedy schedule; the server then improves it)."""
    values.check_keys(call.args, set())
    call.configured()
    inst, ids = instance(call.workshop, call.mm)
    _record_schedule(call, planner.schedule_greedy(inst), ids)


def apply_schedule(call: Call) -> None:
    """Record a better schedule found off the write path, if nothing changed since the one it improves and
    every placement holds (nobody double-booked or unavailable, no slot over its tables).

    ``based_on`` is the ``schedule_version`` of the schedule the solver started from (the aggregate version of its
    ``Scheduled`` event, as ``schedule_meetings`` returns it and the dashboard shows it). The result is stale, and
    refused, if another schedule was recorded since (a different version) or a meeting changed since."""
    values.check_keys(call.args, {"based_on", "placements", "info"})
    based_on = call.args.get("based_on")
    if isinstance(based_on, bool) or not isinstance(based_on, int):
        raise errors.InvalidArgs("'based_on' must be the schedule_version the solver started from")
    if not call.mm.schedule.version or based_on != call.mm.schedule.version or call.mm.schedule.changes_since:
        raise ScheduleStale("the meetings changed since; schedule again")
    inst, ids = instance(call.workshop, call.mm)
    index = {meeting_id: i for i, meeting_id in enumerate(ids)}
    raw = call.args.get("placements")
    if not isinstance(raw, list):
        raise errors.InvalidArgs("'placements' must be a list of [meeting_id, slot, table]")
    placed: dict[int, tuple[int, int]] = {}
    unavailable = {p.id: p.unavailable for p in inst.participants}
    busy: set[tuple[str, int]] = set()
    tables: set[tuple[int, int]] = set()
    for item in raw:
        if not (isinstance(item, list | tuple) and len(item) == 3 and item[0] in index):
            raise errors.InvalidArgs("each placement must be [meeting_id, slot, table] of an accepted meeting")
        m, slot, table = index[item[0]], item[1], item[2]
        if not (
            isinstance(slot, int) and 0 <= slot < inst.slots and isinstance(table, int) and 0 <= table < inst.tables
        ):
            raise errors.InvalidArgs("a placement is outside the slots or tables")
        a, b = inst.meetings[m]
        if (
            m in placed
            or (slot, table) in tables
            or {(a, slot), (b, slot)} & busy
            or slot in unavailable[a] | unavailable[b]
        ):
            raise errors.InvalidArgs("the placements double-book someone, a table, or an unavailable slot")
        placed[m] = (slot, table)
        busy |= {(a, slot), (b, slot)}
        tables.add((slot, table))
    info = call.args.get("info")
    if not isinstance(info, dict):
        raise errors.InvalidArgs("'info' must be an object")
    if len(placed) < call.mm.schedule.count:
        raise ScheduleStale("it holds fewer meetings than the current schedule")
    moved = tuple(
        {"meeting_id": ids[m], "old_slot": old[0], "old_table": old[1], "new_slot": placed.get(m, (None, None))[0],
         "new_table": placed.get(m, (None, None))[1]}
        for m, old in sorted((inst.previous or {}).items()) if placed.get(m) != old
    )  # fmt: skip
    keep = {k: info[k] for k in ("upper_bound", "optimal", "method", "seconds", "idle") if k in info}
    keep.update(count=len(placed), kept=len(inst.previous or {}) - len(moved),
                unscheduled=[ids[m] for m in range(len(ids)) if m not in placed])  # fmt: skip
    placements = tuple((ids[m], s, t) for m, (s, t) in sorted(placed.items()))
    call.record(Matchmaking.Scheduled, placements=placements, moved=moved, info=keep)


def publish_schedule(call: Call) -> None:
    """Announce the schedule to participants."""
    values.check_keys(call.args, set())
    if not call.mm.schedule.version:
        raise NotScheduled("schedule the meetings first")
    if not call.mm.schedule.published:
        call.record(Matchmaking.SchedulePublished)


def mark_attendance(call: Call) -> None:
    """Mark a meeting held or no-show (either side, or a facilitator)."""
    values.check_keys(call.args, {"meeting_id", "attendance"})
    meeting = call.meeting()
    by = call.party(meeting)
    attendance = values.choice(call.args, "attendance", ("held", "no_show"))
    if meeting.status != ACCEPTED:
        raise MeetingState(f"the meeting is {meeting.status}")
    if meeting.attendance != attendance:
        call.record(Matchmaking.AttendanceMarked, meeting_id=meeting.id, attendance=attendance, by=by)


def record_outcome(call: Call) -> None:
    """What came of a meeting: a kind and a short text (either side, or a facilitator)."""
    values.check_keys(call.args, {"meeting_id", "outcome", "text"})
    meeting = call.meeting()
    by = call.party(meeting)
    outcome = values.choice(call.args, "outcome", OUTCOMES)
    text = values.text(call.args, "text", NOTE_MAX, required=False) if "text" in call.args else ""
    if (meeting.outcome, meeting.outcome_text) != (outcome, text):
        call.record(Matchmaking.OutcomeRecorded, meeting_id=meeting.id, outcome=outcome, text=text, by=by)


@dataclass(frozen=True)
class MatchSpec:
    roles: frozenset[str]
    handler: Callable[[Call], None]


_F, _P, _FP = frozenset({FACILITATOR}), frozenset({PARTICIPANT}), frozenset({FACILITATOR, PARTICIPANT})
MATCH_COMMANDS: dict[str, MatchSpec] = {
    "configure_matchmaking": MatchSpec(_F, configure_matchmaking),
    "save_match_profile": MatchSpec(_P, save_match_profile),
    "set_availability": MatchSpec(_FP, set_availability),
    "request_meeting": MatchSpec(_P, request_meeting),
    "accept_meeting": MatchSpec(_FP, accept_meeting),
    "decline_meeting": MatchSpec(_FP, decline_meeting),
    "withdraw_meeting": MatchSpec(_FP, withdraw_meeting),
    "add_meeting": MatchSpec(_F, add_meeting),
    "remove_meeting": MatchSpec(_F, remove_meeting),
    "schedule_meetings": MatchSpec(_F, schedule_meetings),
    "apply_schedule": MatchSpec(_F, apply_schedule),
    "publish_schedule": MatchSpec(_F, publish_schedule),
    "mark_attendance": MatchSpec(_FP, mark_attendance),
    "record_outcome": MatchSpec(_FP, record_outcome),
}


def run_match_command(
    name: str, workshop: Workshop, mm: Matchmaking | None, ctx: MatchContext, args: Mapping[str, Any]
) -> tuple[Matchmaking, bool]:
    """Run one matchmaking command; returns the aggregate and whether the command was a retry."""
    spec = MATCH_COMMANDS.get(name)
    if spec is None:
        raise errors.UnknownCommand(f"unknown command {name[:64]!r}")
    if mm is not None and ctx.command_id in mm.commands:
        return mm, True
    if ctx.actor.role not in spec.roles:
        raise errors.Forbidden(f"a {ctx.actor.role} may not run {name}")
    if mm is None:
        mm = Matchmaking._create(
            Matchmaking.Created, id=matchmaking_id(workshop.id), command_id=ctx.command_id, workshop_id=workshop.id
        )
    try:
        spec.handler(Call(workshop, mm, ctx, args))
    except planner.MeetingPlanError as e:
        raise errors.InvalidArgs(str(e)) from None
    if ctx.command_id not in mm.commands:
        mm.trigger_event(Matchmaking.CommandNoted, command_id=ctx.command_id)
    return mm, False
