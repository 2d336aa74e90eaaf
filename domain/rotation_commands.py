"""Commands on rotations: plan, drive the clock round by round, re-plan, and star people to follow up with.

Integration (domain/application.py wires these): ``ROTATION_COMMANDS`` names the commands and their roles;
``run_rotation_command(name, workshop, load, ctx, args)`` returns a ``RotationOutcome`` (the aggregates to put in
the batch, the result, whether it was a retry). ``replan_for_roster(workshop, load, ctx, participant_id, reason)``
re-plans the current rotation's remaining rounds after a join, a departure or a removal, in the same transaction.
The server's timer ends a round at its ``ends_at`` with ``advance_round`` (``if_round``: only that round) under a
command id derived from the rotation and the round, so several timers (or processes) advance it once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import errors, values
from domain.clock import PAUSED, RUNNING, Clock, seconds
from domain.matchmaking import LIVE, Matchmaking, matchmaking_id
from domain.planning import rotation_goal as goal
from domain.planning import rotations as planner
from domain.rotation_errors import (
    CannotPlan,
    NotEnoughPeople,
    NotMet,
    RotationFinished,
    RotationNotRunning,
    RotationRunning,
    UnknownRotation,
)
from domain.rotations import DRAFT, FINISHED, Rotation, Rotations, rotation_id_for, rotations_id
from domain.workshop import Participant, Workshop

if TYPE_CHECKING:
    from domain.commands import Actor

FACILITATOR, PARTICIPANT = "facilitator", "participant"
Loader = Callable[[UUID], Any]
TABLE_SIZE_MAX = 12
ROUNDS_MAX = 100
AVOIDABLE = ("organisation", "country")
LIVE_TIME_LIMIT = 1.0  # seconds the planner may take inside a command (it runs in the writer thread)
# seconds "everyone meets at least M" may take in all, however many plans it tries (the writer thread waits)
LIVE_GOAL_DEADLINE = 2.0
SETTINGS = {
    "title", "table_size", "round_seconds", "rounds", "avoid", "prefer_cross_sector", "odd", "hosts", "must_meet",
    "exclude", "seed", "agenda_item_id",
}  # fmt: skip
# create_rotation's ways of saying how many rounds: a number, "as many as fit before", "until everyone met M"
HOW_MANY = ("rounds", "until", "meet_at_least")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RotationContext:
    actor: Actor
    command_id: str
    now: Callable[[], datetime] = _now


@dataclass
class RotationOutcome:
    target: Any
    result: dict[str, Any]
    duplicate: bool = False
    aggregates: list[Any] = field(default_factory=list)


# Planning.


def _people(workshop: Workshop, rotation_settings: Mapping[str, Any]) -> list[Participant]:
    """Who the rotation seats: everyone present, in the order they joined, but those the facilitator left out."""
    excluded = set(rotation_settings.get("exclude", ()))
    return [p for p in workshop.participants.values() if p.status == "present" and p.id not in excluded]


def _plan(
    people: list[Participant],
    table_size: int,
    rounds: int,
    rotation_settings: Mapping[str, Any],
    seed: int,
    history: list[list[list[str]]],
    meet_at_least: int | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Ask the pure planner; map its indices back to participant ids. With ``meet_at_least``, ``rounds`` is
    ignored: the plan has the fewest rounds in which everyone meets at least that many others."""
    index = {p.id: i for i, p in enumerate(people)}
    persons = [planner.Person(i, p.organisation, p.country, p.sector) for i, p in enumerate(people)]
    held = [[[index[pid] for pid in table if pid in index] for table in tables] for tables in history]
    hosts = {index[pid]: table for table, pid in enumerate(rotation_settings.get("hosts", ())) if pid in index}
    must = [(index[a], index[b]) for a, b in rotation_settings.get("must_meet", ()) if a in index and b in index]
    try:
        plan = _run_planner(persons, table_size, rounds, rotation_settings, must, hosts, held, seed, meet_at_least)
    except planner.RotationError as e:
        refusal = CannotPlan(str(e))
        refusal.details = getattr(e, "details", None)
        raise refusal from None
    ids = [p.id for p in people]
    out = [
        {"tables": [[ids[i] for i in table] for table in r.tables], "sitting_out": [ids[i] for i in r.sitting_out]}
        for r in plan.rounds
    ]
    return out, plan.quality.to_dict()


def _run_planner(
    persons: list[planner.Person],
    table_size: int,
    rounds: int,
    rotation_settings: Mapping[str, Any],
    must: list[tuple[int, int]],
    hosts: dict[int, int],
    held: list[list[list[int]]],
    seed: int,
    meet_at_least: int | None = None,
) -> planner.RotationPlan:
    options: dict[str, Any] = {
        "avoid": tuple(rotation_settings.get("avoid", ())),
        "prefer_cross": ("sector",) if rotation_settings.get("prefer_cross_sector") else (),
        "must_meet": tuple(must),
        "hosts": hosts,
        "odd": rotation_settings.get("odd", "sit_out"),
        "history": [[t for t in tables if len(t) > 1] for tables in held],
        "seed": seed,
        "time_limit": LIVE_TIME_LIMIT,
    }
    if meet_at_least is not None:
        return goal.plan_to_meet_at_least(
            persons, table_size, meet_at_least, max_rounds=ROUNDS_MAX, deadline=LIVE_GOAL_DEADLINE, **options
        )
    return planner.plan_rotation(persons, table_size, rounds, **options)


def _with_wishes(call: Call, rotation_settings: Mapping[str, Any]) -> dict[str, Any]:
    """The facilitator's must-meet pairs, and the participants' own (see ``with_wishes``), from the matchmaking
    aggregate; which wishes there were is read from the matchmaking events again on replay, never needed by the
    plan, which records the result."""
    found = call.load(matchmaking_id(call.workshop.id))
    return with_wishes(rotation_settings, found.meetings.values() if isinstance(found, Matchmaking) else ())


def with_wishes(rotation_settings: Mapping[str, Any], meetings: Iterable[Any]) -> dict[str, Any]:
    """The facilitator's must-meet pairs, and the participants' own: whoever asked to meet someone through
    matchmaking (a request pending or accepted; ``meetings`` have ``requester``, ``recipient``, ``status``) is
    seated with them where possible."""
    pairs = [tuple(p) for p in rotation_settings.get("must_meet", ())]
    pairs += [(m.requester, m.recipient) for m in meetings if m.status in LIVE]
    return {**rotation_settings, "must_meet": pairs}


def plan_to_goal(
    workshop: Any, args: Mapping[str, Any], meetings: Iterable[Any], seed: int
) -> tuple[int, list[dict[str, Any]], dict[str, Any]]:
    """What ``create_rotation`` with ``meet_at_least`` plans, from the same inputs: the settings in ``args``
    checked as it checks them, the people ``workshop`` has present (the aggregate or the read model: both have
    ``participants`` with ``id``, ``status``, ``organisation``, ``country``, ``sector``), the matchmaking
    ``meetings`` as wishes. The rotation dashboard's preview runs this, so it agrees with the rotation created
    with the same ``seed``. Returns (people seated, rounds, quality)."""
    table_size = _table_size(args)
    meet_at_least = _meet_at_least(args)
    if meet_at_least is None:
        raise errors.InvalidArgs("give 'meet_at_least'")
    rotation_settings = _settings(workshop, args)
    people = _seated(workshop, rotation_settings, table_size)
    plan, quality = _plan(people, table_size, 0, with_wishes(rotation_settings, meetings), seed, [], meet_at_least)
    return len(people), plan, quality


def _table_size(args: Mapping[str, Any]) -> int:
    table_size = args.get("table_size", 2)
    if isinstance(table_size, bool) or not isinstance(table_size, int) or not 2 <= table_size <= TABLE_SIZE_MAX:
        raise errors.InvalidArgs(f"'table_size' must be a whole number from 2 to {TABLE_SIZE_MAX}")
    return table_size


def _seated(workshop: Any, rotation_settings: Mapping[str, Any], table_size: int) -> list[Any]:
    """Who the rotation seats, checked: at least two, and no more hosts than tables."""
    people = _people(workshop, rotation_settings)
    if len(people) < 2:
        raise NotEnoughPeople("a rotation needs at least two people present")
    if len(rotation_settings["hosts"]) > (len(people) + table_size - 1) // table_size:
        raise errors.InvalidArgs("more hosts than tables")
    return people


def _seed(args: Mapping[str, Any], command_id: str) -> int:
    if "seed" in args:
        value = args["seed"]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**32:
            raise errors.InvalidArgs("'seed' must be a whole number from 0 to 4294967295")
        return value
    return int.from_bytes(hashlib.sha256(command_id.encode()).digest()[:4], "big")


def _ids(workshop: Workshop, value: Any, key: str, limit: int = 5000) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple) or len(value) > limit:
        raise errors.InvalidArgs(f"'{key}' must be a list of participant ids")
    out: list[str] = []
    for pid in value:
        if not isinstance(pid, str) or pid not in workshop.participants:
            raise errors.InvalidArgs(f"'{key}' must list participants of this workshop")
        if pid not in out:
            out.append(pid)
    return out


def _settings(workshop: Workshop, args: Mapping[str, Any]) -> dict[str, Any]:
    avoid = args.get("avoid", ["organisation"])
    if not isinstance(avoid, list | tuple) or any(a not in AVOIDABLE for a in avoid):
        raise errors.InvalidArgs(f"'avoid' must list some of {', '.join(AVOIDABLE)}")
    prefer = args.get("prefer_cross_sector", False)
    if not isinstance(prefer, bool):
        raise errors.InvalidArgs("'prefer_cross_sector' must be true or false")
    odd = values.choice({"odd": args.get("odd", "sit_out")}, "odd", ("sit_out", "trio"))
    must_raw = args.get("must_meet") or []
    if not isinstance(must_raw, list | tuple) or len(must_raw) > 5000:
        raise errors.InvalidArgs("'must_meet' must be a list of pairs of participant ids")
    must = []
    for pair in must_raw:
        ids = _ids(workshop, pair, "must_meet")
        if len(ids) != 2:
            raise errors.InvalidArgs("'must_meet' must be a list of pairs of two different participants")
        must.append(ids)
    return {
        "avoid": sorted(set(avoid)),
        "prefer_cross_sector": prefer,
        "odd": odd,
        "hosts": _ids(workshop, args.get("hosts"), "hosts", 1000),
        "must_meet": must,
        "exclude": _ids(workshop, args.get("exclude"), "exclude"),
    }


def _meet_at_least(args: Mapping[str, Any]) -> int | None:
    """``meet_at_least`` (given alone: not with ``rounds`` or ``until``), or None."""
    if "meet_at_least" not in args:
        return None
    if sum(key in args for key in HOW_MANY) > 1:
        raise errors.InvalidArgs("give one of 'rounds', 'until' or 'meet_at_least'")
    n = args["meet_at_least"]
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= ROUNDS_MAX:
        raise errors.InvalidArgs(f"'meet_at_least' must be a whole number from 1 to {ROUNDS_MAX}")
    return n


def _rounds(args: Mapping[str, Any], round_seconds: int, now: datetime) -> int:
    """``rounds``, or as many whole rounds as fit before ``until`` (an ISO date-time with a UTC offset)."""
    if "rounds" in args:
        n = args["rounds"]
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= ROUNDS_MAX:
            raise errors.InvalidArgs(f"'rounds' must be a whole number from 1 to {ROUNDS_MAX}")
        return n
    until = args.get("until")
    try:
        end = datetime.fromisoformat(until) if isinstance(until, str) else None
    except ValueError:
        end = None
    if end is None or end.utcoffset() is None:
        raise errors.InvalidArgs("give 'rounds', or 'until' as an ISO 8601 date-time with a UTC offset")
    n = int((end - now).total_seconds() // round_seconds)
    if n < 1:
        raise errors.InvalidArgs("not even one round fits before 'until'")
    return min(n, ROUNDS_MAX)


# Handlers.


@dataclass
class Call:
    workshop: Workshop
    load: Loader
    ctx: RotationContext
    args: Mapping[str, Any]
    touched: list[Any] = field(default_factory=list)

    def rotation(self) -> Rotation:
        try:
            rotation_id = UUID(values.identifier(self.args, "rotation_id"))
        except ValueError:
            raise errors.InvalidArgs("'rotation_id' must be an id") from None
        found = self.load(rotation_id)
        if not isinstance(found, Rotation) or found.workshop_id != self.workshop.id:
            raise UnknownRotation("no such rotation in this workshop")
        return found


def create_rotation(call: Call) -> Rotation:
    """Plan a rotation of the people present (pairs when ``table_size`` is 2); it starts with start_rotation."""
    args, workshop, cid = call.args, call.workshop, call.ctx.command_id
    values.check_keys(args, SETTINGS | {"until", "meet_at_least"})
    table_size = _table_size(args)
    round_seconds = seconds(args.get("round_seconds", 240), "round_seconds", 5, 4 * 3600)
    meet_at_least = _meet_at_least(args)
    rounds = 0 if meet_at_least else _rounds(args, round_seconds, call.ctx.now())
    title = values.text(args, "title", values.TITLE_MAX, required=False) if "title" in args else ""
    item = values.identifier(args, "agenda_item_id") if args.get("agenda_item_id") else ""
    if item and item not in {i.id for i in workshop.agenda}:
        raise errors.UnknownAgendaItem("no such agenda item")
    current = current_rotation(call.load, workshop.id)
    if current is not None and current.state == "running":
        raise RotationRunning("a rotation is under way: end it before planning another")
    rotation_settings = _settings(workshop, args)
    people = _seated(workshop, rotation_settings, table_size)
    seed = _seed(args, cid)
    plan, quality = _plan(people, table_size, rounds, _with_wishes(call, rotation_settings), seed, [], meet_at_least)
    rotation_id = rotation_id_for(workshop.id, cid)
    index = call.load(rotations_id(workshop.id))
    if not isinstance(index, Rotations):
        index = Rotations._create(
            Rotations.Created, id=rotations_id(workshop.id), command_id=cid, workshop_id=workshop.id
        )
    index.trigger_event(Rotations.RotationPlanned, command_id=cid, rotation_id=rotation_id)
    call.touched.append(index)
    rotation: Rotation = Rotation._create(
        Rotation.Created, id=rotation_id, workshop_id=workshop.id, title=title, table_size=table_size,
        round_seconds=round_seconds, settings=rotation_settings, rounds=tuple(plan), quality=quality, seed=seed,
        agenda_item_id=item, command_id=cid,
    )  # fmt: skip
    return rotation


def _start_round(rotation: Rotation, call: Call, number: int) -> None:
    clock = Clock().start(call.ctx.now(), rotation.round_seconds)
    rotation.trigger_event(Rotation.RoundStarted, command_id=call.ctx.command_id, round=number, clock=clock.to_dict())


def _end_round(rotation: Rotation, call: Call, how: str) -> None:
    present = {p.id for p in call.workshop.participants.values() if p.status == "present"}
    planned = rotation.rounds[rotation.current - 1]["tables"] if rotation.current <= len(rotation.rounds) else []
    tables = tuple(tuple(p for p in table if p in present) for table in planned)
    rotation.trigger_event(
        Rotation.RoundEnded, command_id=call.ctx.command_id, round=rotation.current, how=how, tables=tables
    )


def start_rotation(call: Call) -> Rotation:
    """Start round 1 on the server's clock."""
    values.check_keys(call.args, {"rotation_id"})
    rotation = call.rotation()
    if rotation.state == FINISHED:
        raise RotationFinished("this rotation is over")
    if rotation.state == DRAFT:
        _start_round(rotation, call, 1)
    return rotation


def _running(call: Call) -> Rotation:
    rotation = call.rotation()
    if rotation.state == FINISHED:
        raise RotationFinished("this rotation is over")
    if rotation.state == DRAFT:
        raise RotationNotRunning("this rotation has not started")
    return rotation


def pause_rotation(call: Call) -> Rotation:
    """Pause the round's clock (the remaining time is kept)."""
    values.check_keys(call.args, {"rotation_id"})
    rotation = _running(call)
    if rotation.clock.state == RUNNING:
        clock = rotation.clock.pause(call.ctx.now())
        rotation.trigger_event(
            Rotation.ClockChanged, command_id=call.ctx.command_id, change="paused", seconds=0, clock=clock.to_dict()
        )
    return rotation


def resume_rotation(call: Call) -> Rotation:
    """Resume a paused round's clock from where it stopped."""
    values.check_keys(call.args, {"rotation_id"})
    rotation = _running(call)
    if rotation.clock.state == PAUSED:
        clock = rotation.clock.resume(call.ctx.now())
        rotation.trigger_event(
            Rotation.ClockChanged, command_id=call.ctx.command_id, change="resumed", seconds=0, clock=clock.to_dict()
        )
    return rotation


def extend_round(call: Call) -> Rotation:
    """Add time to the current round (``seconds``, 1 to 3600; negative to shorten it)."""
    values.check_keys(call.args, {"rotation_id", "seconds"})
    rotation = _running(call)
    extra = seconds(call.args.get("seconds"), "seconds", -3600, 3600)
    if extra == 0:
        raise errors.InvalidArgs("'seconds' must not be 0")
    clock = rotation.clock.extend(call.ctx.now(), extra)
    rotation.trigger_event(
        Rotation.ClockChanged, command_id=call.ctx.command_id, change="extended", seconds=extra, clock=clock.to_dict()
    )
    return rotation


def advance_round(call: Call) -> Rotation:
    """End the current round and start the next (or finish after the last). ``if_round``: only if that round
    is the current one (what the server's timer sends, so a late or repeated tick changes nothing)."""
    values.check_keys(call.args, {"rotation_id", "if_round"})
    rotation = _running(call)
    expected = call.args.get("if_round")
    if expected is not None and expected != rotation.current:
        return rotation
    how = "timer" if expected is not None else "skipped"
    _end_round(rotation, call, how)
    if rotation.current < len(rotation.rounds):
        _start_round(rotation, call, rotation.current + 1)
    else:
        rotation.trigger_event(Rotation.Finished, command_id=call.ctx.command_id)
    return rotation


def end_rotation(call: Call) -> Rotation:
    """End the rotation now (the round under way counts as held)."""
    values.check_keys(call.args, {"rotation_id"})
    rotation = call.rotation()
    if rotation.state == FINISHED:
        return rotation
    if rotation.state != DRAFT:
        _end_round(rotation, call, "finished")
    rotation.trigger_event(Rotation.Finished, command_id=call.ctx.command_id)
    return rotation


def _replan(
    rotation: Rotation, call: Call, reason: str, participant_id: str = "", absent: tuple[str, ...] | list[str] = ()
) -> bool:
    """Plan the rounds after the current one again, for who is present now, without repeating who has met."""
    if rotation.state == FINISHED:
        return False
    exclude = sorted({*rotation.settings.get("exclude", ()), *absent})
    from_round = rotation.current + 1
    left = len(rotation.rounds) - rotation.current
    if left <= 0:
        return False
    people = _people(call.workshop, {**rotation.settings, "exclude": exclude})
    if len(people) < 2:
        return False
    history = [*rotation.held]
    if rotation.state != DRAFT and rotation.current <= len(rotation.rounds):
        history.append(rotation.rounds[rotation.current - 1]["tables"])  # the round under way counts as met
    seed = (rotation.seed + from_round * 7919 + len(rotation.commands)) % 2**32
    plan, quality = _plan(people, rotation.table_size, left, _with_wishes(call, rotation.settings), seed, history)
    rotation.trigger_event(
        Rotation.Replanned, command_id=call.ctx.command_id, from_round=from_round, rounds=tuple(plan),
        quality=quality, reason=reason, participant_id=participant_id, exclude=tuple(exclude),
    )  # fmt: skip
    return True


def replan_rotation(call: Call) -> Rotation:
    """Plan the remaining rounds again; ``absent``: people present in the roster but not in the room."""
    values.check_keys(call.args, {"rotation_id", "absent"})
    rotation = call.rotation()
    if rotation.state == FINISHED:
        raise RotationFinished("this rotation is over")
    absent = _ids(call.workshop, call.args.get("absent"), "absent")
    _replan(rotation, call, "facilitator", absent=absent)  # the event records who is left out from now on
    return rotation


def mark_follow_up(call: Call) -> Rotation:
    """Star (or unstar, ``starred: false``) someone met in this rotation, to follow up with after the event."""
    values.check_keys(call.args, {"rotation_id", "participant_id", "starred"})
    rotation = call.rotation()
    me = call.ctx.actor.participant_id or ""
    other = values.identifier(call.args, "participant_id")
    starred = call.args.get("starred", True)
    if not isinstance(starred, bool):
        raise errors.InvalidArgs("'starred' must be true or false")
    met = rotation.met()
    if rotation.state != DRAFT and rotation.current <= len(rotation.rounds):
        for table in rotation.rounds[rotation.current - 1]["tables"]:
            if me in table:
                met.update(frozenset((me, o)) for o in table if o != me)
    if frozenset((me, other)) not in met:
        raise NotMet("you can star only people you have met in this rotation")
    if (other in rotation.stars.get(me, set())) != starred:
        rotation.trigger_event(
            Rotation.FollowUpMarked, command_id=call.ctx.command_id, participant_id=me, other_id=other,
            starred=starred,
        )  # fmt: skip
    return rotation


@dataclass(frozen=True)
class RotationSpec:
    roles: frozenset[str]
    handler: Callable[[Call], Rotation]


_F, _P = frozenset({FACILITATOR}), frozenset({PARTICIPANT})
ROTATION_COMMANDS: dict[str, RotationSpec] = {
    "create_rotation": RotationSpec(_F, create_rotation),
    "start_rotation": RotationSpec(_F, start_rotation),
    "pause_rotation": RotationSpec(_F, pause_rotation),
    "resume_rotation": RotationSpec(_F, resume_rotation),
    "extend_round": RotationSpec(_F, extend_round),
    "advance_round": RotationSpec(_F, advance_round),
    "end_rotation": RotationSpec(_F, end_rotation),
    "replan_rotation": RotationSpec(_F, replan_rotation),
    "mark_follow_up": RotationSpec(_P, mark_follow_up),
}


def run_rotation_command(
    name: str, workshop: Workshop, load: Loader, ctx: RotationContext, args: Mapping[str, Any]
) -> RotationOutcome:
    """Run one rotation command: answer a retry from the history, check the role, validate, record events."""
    spec = ROTATION_COMMANDS.get(name)
    if spec is None:
        raise errors.UnknownCommand(f"unknown command {name[:64]!r}")
    call = Call(workshop, load, ctx, args)
    existing = load(rotation_id_for(workshop.id, ctx.command_id)) if name == "create_rotation" else None
    if existing is None and name != "create_rotation" and isinstance(args.get("rotation_id"), str):
        try:
            existing = load(UUID(args["rotation_id"]))
        except ValueError:
            existing = None
    if isinstance(existing, Rotation) and ctx.command_id in existing.commands:
        return RotationOutcome(existing, dict(existing.commands[ctx.command_id]), True, [existing])
    if ctx.actor.role not in spec.roles:
        raise errors.Forbidden(f"a {ctx.actor.role} may not run {name}")
    rotation = spec.handler(call)
    if ctx.command_id not in rotation.commands:
        rotation.trigger_event(Rotation.CommandNoted, command_id=ctx.command_id)
    return RotationOutcome(rotation, dict(rotation.commands[ctx.command_id]), False, [rotation, *call.touched])


def current_rotation(load: Loader, workshop_id: UUID) -> Rotation | None:
    index = load(rotations_id(workshop_id))
    if not isinstance(index, Rotations) or not index.rotations:
        return None
    found = load(index.rotations[-1])
    return found if isinstance(found, Rotation) else None


def replan_for_roster(
    workshop: Workshop, load: Loader, ctx: RotationContext, participant_id: str, reason: str
) -> Rotation | None:
    """After a join, a departure or a removal: the current rotation's remaining rounds, planned again."""
    rotation = current_rotation(load, workshop.id)
    if rotation is None or rotation.state == FINISHED:
        return None
    call = Call(workshop, load, ctx, {})
    return rotation if _replan(rotation, call, reason, participant_id) else None
