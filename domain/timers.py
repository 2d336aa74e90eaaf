"""The room's timer: one server-authoritative countdown per workshop for any agenda item — a talk, a break, an
exercise, or a PechaKucha (20 slides auto-advancing every 20 seconds: ``segments`` = 20 over 400 seconds).

Its events record the clock's result (domain/clock.py); every screen counts down to the same ``ends_at``. The
``Timer`` aggregate's id derives from the workshop's. Commands: start_timer, pause_timer, resume_timer,
extend_timer, stop_timer (facilitators only).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import errors, values
from domain.clock import PAUSED, RUNNING, STOPPED, Clock, seconds
from domain.rotation_errors import TimerNotRunning
from domain.workshop import Workshop

if TYPE_CHECKING:
    from domain.commands import Actor

TIMER_NAMESPACE = UUID("5a1e9c3d-7b2f-4d6e-8a9b-0c1d2e3f4a5b")
SEGMENTS_MAX = 200
LABEL_MAX = 120


def timer_id(workshop_id: UUID) -> UUID:
    return uuid5(TIMER_NAMESPACE, f"timer/{workshop_id}")


class Timer(Aggregate):
    """The workshop's room timer."""

    class Event(Aggregate.Event):
        command_id: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Timer)
            aggregate.commands[self.command_id] = {}
            self.when(aggregate)

        def when(self, timer: Timer) -> None:
            """How this event changes the timer."""

    class Created(Event, Aggregate.Created):
        workshop_id: UUID

    class Started(Event):
        """The facilitator started a countdown of ``clock.duration_ms`` in ``segments`` equal parts (slides)."""

        label: str
        segments: int
        agenda_item_id: str
        clock: dict[str, Any]

        def when(self, timer: Timer) -> None:
            timer.label, timer.segments, timer.agenda_item_id = self.label, self.segments, self.agenda_item_id
            timer.clock = Clock.from_dict(self.clock)

    class ClockChanged(Event):
        """Paused, resumed or extended (``change``); ``clock`` is the result."""

        change: str
        seconds: int
        clock: dict[str, Any]

        def when(self, timer: Timer) -> None:
            timer.clock = Clock.from_dict(self.clock)

    class Stopped(Event):
        """The facilitator took the timer off the screens."""

        def when(self, timer: Timer) -> None:
            timer.clock = Clock()

    class CommandNoted(Event):
        """A command that changed nothing was accepted; noted so that a later retry of it is not applied."""

    def __init__(self, workshop_id: UUID, command_id: str) -> None:
        self.workshop_id = workshop_id
        self.label, self.segments, self.agenda_item_id = "", 1, ""
        self.clock = Clock()
        self.commands: dict[str, dict[str, Any]] = {}


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class TimerContext:
    actor: Actor
    command_id: str
    now: Callable[[], datetime] = _now


TIMER_COMMANDS = ("start_timer", "pause_timer", "resume_timer", "extend_timer", "stop_timer")
TIMER_ROLES = frozenset({"facilitator"})


def run_timer_command(
    name: str, workshop: Workshop, timer: Timer | None, ctx: TimerContext, args: Mapping[str, Any]
) -> tuple[Timer, bool]:
    """Run one timer command; returns the timer and whether the command was a retry."""
    if timer is not None and ctx.command_id in timer.commands:
        return timer, True
    if ctx.actor.role not in TIMER_ROLES:
        raise errors.Forbidden(f"a {ctx.actor.role} may not run {name}")
    if timer is None:
        timer = Timer._create(
            Timer.Created, id=timer_id(workshop.id), command_id=ctx.command_id, workshop_id=workshop.id
        )
    cid, now = ctx.command_id, ctx.now()
    if name == "start_timer":
        values.check_keys(args, {"seconds", "segments", "label", "agenda_item_id"})
        length = seconds(args.get("seconds"), "seconds", 1)
        segments = args.get("segments", 1)
        if isinstance(segments, bool) or not isinstance(segments, int) or not 1 <= segments <= SEGMENTS_MAX:
            raise errors.InvalidArgs(f"'segments' must be a whole number from 1 to {SEGMENTS_MAX}")
        label = values.text(args, "label", LABEL_MAX, required=False) if "label" in args else ""
        item = values.identifier(args, "agenda_item_id") if args.get("agenda_item_id") else ""
        if item:
            workshop.item(item)
        clock = Clock().start(now, length).to_dict()
        timer.trigger_event(
            Timer.Started, command_id=cid, label=label, segments=segments, agenda_item_id=item, clock=clock
        )
    elif name == "stop_timer":
        values.check_keys(args, set())
        if timer.clock.state != STOPPED:
            timer.trigger_event(Timer.Stopped, command_id=cid)
    elif name == "extend_timer":
        values.check_keys(args, {"seconds"})
        extra = seconds(args.get("seconds"), "seconds", -3600, 3600)
        if extra == 0:
            raise errors.InvalidArgs("'seconds' must not be 0")
        clock = timer.clock.extend(now, extra).to_dict()
        timer.trigger_event(Timer.ClockChanged, command_id=cid, change="extended", seconds=extra, clock=clock)
    elif name in ("pause_timer", "resume_timer"):
        values.check_keys(args, set())
        wanted = RUNNING if name == "pause_timer" else PAUSED
        if timer.clock.state == wanted:
            changed = timer.clock.pause(now) if name == "pause_timer" else timer.clock.resume(now)
            change = "paused" if name == "pause_timer" else "resumed"
            timer.trigger_event(Timer.ClockChanged, command_id=cid, change=change, seconds=0, clock=changed.to_dict())
        elif timer.clock.state == STOPPED:
            raise TimerNotRunning("no timer is running")
    else:
        raise errors.UnknownCommand(f"unknown command {name[:64]!r}")
    if cid not in timer.commands:
        timer.trigger_event(Timer.CommandNoted, command_id=cid)
    return timer, False
