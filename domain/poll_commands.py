"""Commands on polls: who may run each one, what it checks, and what it records.

Handlers validate everything first and only then trigger events, so a refused command leaves the poll
untouched.

Integration (domain/application.py and the server wire these; nothing here imports them):

- ``POLL_COMMANDS`` names the commands and the roles that may run them. For one of them ``Tavolo._run``
  loads the workshop as usual, then the Poll with id ``target_poll_id(name, workshop.id, command.id, args)``
  (None if there is none, or it is not a Poll), and calls ``run_poll_command(name, workshop, poll,
  PollContext(actor, command.id, keys, groups), args)``. The ``PollOutcome`` it returns carries the poll to
  put into the batch's aggregates, the ``result`` and ``duplicate`` to answer. Deduplication, the role check
  and remembering no-ops happen inside, in the same order as for workshop commands.
- Matching recordings to outcomes after ``save``: a poll event's ``originator_id`` is the poll's id and its
  ``command_id`` is ``outcome.recorded_as`` (the command id, except for secret ballots: keyed, see
  secret.py).
- After each committed batch, ``after_commit(events, keys)`` discards the keys of the polls it closed. At
  start-up, after replay: ``domain.secret.sweep(keys, ids of the open secret polls)``.
- The server's timer closes a poll at ``closes_at`` by running ``close_poll`` as the facilitator with a
  command id derived from the poll (``f"close:{poll_id}"``), so that several timers close it once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid5

from domain import errors, values
from domain.poll_errors import (
    NotInScope,
    PollClosed,
    PollKeyMissing,
    PollNotDraft,
    PollNotOpen,
    SecretPollClosed,
    UnknownPoll,
)
from domain.poll_kinds import POLL_KINDS, Question, parse_answers, parse_questions
from domain.poll_translations import parse_translations
from domain.polls import CLOSED, DRAFT, OPEN, SECRET_BREAKDOWNS, VISIBILITIES, Poll
from domain.secret import PollKeys, command_ref, kept_cells, voter_tag
from domain.workshop import Participant, Workshop

if TYPE_CHECKING:
    from domain.commands import Actor  # not at run time: domain/commands.py may come to import this module

POLL_NAMESPACE = UUID("3c0f7a9e-5d21-4b8e-9f6a-8e2d1c4b7a90")
FACILITATOR, PARTICIPANT = "facilitator", "participant"  # the role names of domain/commands.py
GROUPS_MAX = 100
SETTINGS = {"title", "kind", "questions", "secret", "breakdown", "closes_at", "groups", "agenda_item_id"}


@dataclass(frozen=True)
class PollContext:
    """Who runs a poll command, under which id; the key store; the groups the actor belongs to; and, when a poll
    for some groups closes, the members per group of the current split (who could vote in it)."""

    actor: Actor
    command_id: str
    keys: PollKeys
    groups: frozenset[str] = frozenset()
    group_sizes: Mapping[str, int] = field(default_factory=dict)


@dataclass
class PollOutcome:
    poll: Poll
    result: dict[str, Any]
    duplicate: bool = False
    recorded_as: str = ""  # the command id as this poll's events record it


Handler = Callable[[Poll, Workshop, PollContext, Mapping[str, Any]], dict[str, Any]]


def poll_id_for(workshop_id: UUID, command_id: str) -> UUID:
    """A poll's id derives from its workshop and its create command's id: a retried create finds it."""
    return uuid5(POLL_NAMESPACE, f"{workshop_id}/{command_id}")


def target_poll_id(name: str, workshop_id: UUID, command_id: str, args: Mapping[str, Any]) -> UUID:
    """The id of the poll a command acts on."""
    if name == "create_poll":
        return poll_id_for(workshop_id, command_id)
    try:
        return UUID(values.identifier(args, "poll_id"))
    except ValueError:
        raise errors.InvalidArgs("'poll_id' must be a poll id") from None


def _closes_at(value: Any) -> str:
    if value is None or value == "":
        return ""
    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        at = None
    if at is None or at.utcoffset() is None:
        raise errors.InvalidArgs("'closes_at' must be an ISO 8601 date-time with a UTC offset")
    return at.astimezone(UTC).isoformat()


def _settings(workshop: Workshop, args: Mapping[str, Any], current_item: str = "") -> dict[str, Any]:
    """Validated settings. The poll's current agenda item stays valid even if it was removed since."""
    secret = args.get("secret", False)
    if not isinstance(secret, bool):
        raise errors.InvalidArgs("'secret' must be true or false")
    breakdown = values.choice({"breakdown": args.get("breakdown") or ""}, "breakdown", SECRET_BREAKDOWNS)
    groups = args.get("groups") or []
    if not isinstance(groups, list | tuple) or len(groups) > GROUPS_MAX:
        raise errors.InvalidArgs(f"'groups' must be a list of at most {GROUPS_MAX} group ids")
    item = args.get("agenda_item_id") or ""
    kind = values.choice(args, "kind", POLL_KINDS)
    if item and item != current_item:
        item = workshop.item(values.identifier({"agenda_item_id": item}, "agenda_item_id")).id
    return {
        "title": values.text(args, "title", values.TITLE_MAX),
        "kind": kind,
        "questions": tuple(q.to_dict() for q in parse_questions(kind, args.get("questions"))),
        "secret": secret,
        "breakdown": breakdown if secret else "",  # a named poll can always be broken down
        "closes_at": _closes_at(args.get("closes_at")),
        "groups": tuple(sorted({values.identifier({"group": g}, "group") for g in groups})),
        "agenda_item_id": item,
    }


def _translate(poll: Poll, ctx: PollContext, raw: Any) -> None:
    """Record the poll's text in other languages when it differs from what it has (validated against its questions)."""
    translations = parse_translations(raw, poll.questions)
    if translations != poll.translations:
        poll.trigger_event(Poll.Translated, command_id=ctx.command_id, translations=translations)


def create_poll(workshop: Workshop, ctx: PollContext, args: Mapping[str, Any]) -> Poll:
    """Draft a poll in the workshop (facilitator), with its text in other languages if ``translations`` is given."""
    values.check_keys(args, SETTINGS | {"visibility", "translations"})
    settings = _settings(workshop, args)
    parse_translations(args.get("translations"), [Question.from_dict(q) for q in settings["questions"]])
    visibility = values.choice({"visibility": args.get("visibility", "hidden")}, "visibility", VISIBILITIES)
    poll: Poll = Poll._create(
        Poll.Created,
        id=poll_id_for(workshop.id, ctx.command_id),
        command_id=ctx.command_id,
        workshop_id=workshop.id,
        visibility=visibility,
        **settings,
    )
    _translate(poll, ctx, args.get("translations"))
    return poll


def update_poll(poll: Poll, workshop: Workshop, ctx: PollContext, args: Mapping[str, Any]) -> dict[str, Any]:
    """Change a draft poll's settings (those not given keep their values; ``translations``, when given, replaces the
    poll's text in other languages)."""
    values.check_keys(args, SETTINGS | {"poll_id", "translations"})
    if poll.state != DRAFT:
        raise PollNotDraft("only a draft poll can be edited")
    current = _settings(workshop, poll.settings(), poll.agenda_item_id)
    merged = {**poll.settings(), **{k: v for k, v in args.items() if k not in ("poll_id", "translations")}}
    settings = _settings(workshop, merged, poll.agenda_item_id)
    questions = [Question.from_dict(q) for q in settings["questions"]]
    translations = parse_translations(args["translations"], questions) if "translations" in args else None
    if settings != current:
        poll.trigger_event(Poll.Edited, command_id=ctx.command_id, **settings)
    if translations is not None:
        _translate(poll, ctx, args["translations"])
    return {}


def open_poll(poll: Poll, workshop: Workshop, ctx: PollContext, args: Mapping[str, Any]) -> dict[str, Any]:
    """Open a draft poll for ballots, optionally setting when it closes. A secret poll gets its key now."""
    values.check_keys(args, {"poll_id", "closes_at"})
    closes_at = _closes_at(args["closes_at"]) if "closes_at" in args else poll.closes_at
    if poll.state == CLOSED:
        raise PollClosed("a closed poll is opened again with reopen_poll")
    if poll.state == OPEN:
        return {}
    if poll.secret:
        ctx.keys.create(poll.id)  # before the event: ballots later in this batch need it
    poll.trigger_event(Poll.Opened, command_id=ctx.command_id, closes_at=closes_at)
    return {}


def close_poll(poll: Poll, workshop: Workshop, ctx: PollContext, args: Mapping[str, Any]) -> dict[str, Any]:
    """Close an open poll (facilitator, or the server's timer). Closing a closed poll changes nothing.

    ``if_closes_at`` (the timer's): close only if the deadline is still that one — a deadline the facilitator
    moved or removed meanwhile wins over a timer that read the old one."""
    values.check_keys(args, {"poll_id", "if_closes_at"})
    if poll.state == DRAFT:
        raise PollNotOpen("this poll was never opened")
    if "if_closes_at" in args and args["if_closes_at"] != poll.closes_at:
        return {}
    if poll.state == OPEN:
        poll.trigger_event(Poll.Closed, command_id=ctx.command_id, eligible=eligible(poll, workshop, ctx))
    return {}


def eligible(poll: Poll, workshop: Workshop, ctx: PollContext) -> int:
    """Who could vote now: the members of the poll's groups, else the participants present."""
    if poll.groups:
        return sum(ctx.group_sizes.get(g, 0) for g in poll.groups)
    return workshop.present_count()


def reopen_poll(poll: Poll, workshop: Workshop, ctx: PollContext, args: Mapping[str, Any]) -> dict[str, Any]:
    """Open a closed poll again, keeping its ballots; ``closes_at`` sets a new deadline (the old one is cleared).
    A secret poll cannot be reopened: its key was destroyed when it closed, so its voters could not be recognised
    (everyone could vote twice) -- duplicate it instead."""
    values.check_keys(args, {"poll_id", "closes_at"})
    closes_at = _closes_at(args.get("closes_at"))
    if poll.state == DRAFT:
        raise PollNotOpen("this poll was never opened")
    if poll.state == OPEN:
        return {}
    if poll.secret:
        raise SecretPollClosed("a closed secret poll cannot be reopened: duplicate it")
    poll.trigger_event(Poll.Reopened, command_id=ctx.command_id, closes_at=closes_at)
    return {}


def duplicate_poll(workshop: Workshop, source: Poll, ctx: PollContext, args: Mapping[str, Any]) -> Poll:
    """Draft a new poll with another poll's settings and questions (any state; no ballots). Its id derives from
    the command id, as create_poll's does; its deadline is not copied (a date already past would close it)."""
    values.check_keys(args, {"poll_id"})
    settings = {**source.settings(), "closes_at": ""}
    poll: Poll = Poll._create(
        Poll.Created,
        id=poll_id_for(workshop.id, ctx.command_id),
        command_id=ctx.command_id,
        workshop_id=workshop.id,
        visibility=source.visibility,
        **_settings(workshop, settings, source.agenda_item_id),
    )
    if source.translations:
        _translate(poll, ctx, source.translations)
    return poll


def set_results_visibility(poll: Poll, workshop: Workshop, ctx: PollContext, args: Mapping[str, Any]) -> dict[str, Any]:
    """Show or hide the results to participants, at any time."""
    values.check_keys(args, {"poll_id", "visibility"})
    visibility = values.choice(args, "visibility", VISIBILITIES)
    if visibility != poll.visibility:
        poll.trigger_event(Poll.VisibilityChanged, command_id=ctx.command_id, visibility=visibility)
    return {}


def set_poll_deadline(poll: Poll, workshop: Workshop, ctx: PollContext, args: Mapping[str, Any]) -> dict[str, Any]:
    """Set, move or remove (null) the time at which the server closes a draft or open poll."""
    values.check_keys(args, {"poll_id", "closes_at"})
    closes_at = _closes_at(args.get("closes_at"))
    if poll.state == CLOSED:
        raise PollClosed("this poll is closed")
    if closes_at != poll.closes_at:
        poll.trigger_event(Poll.DeadlineChanged, command_id=ctx.command_id, closes_at=closes_at)
    return {}


_cells_cache: dict[tuple[UUID, int, str], frozenset[str]] = {}


def _secret_cell(workshop: Workshop, dimension: str, voter: Participant) -> str:
    """The voter's breakdown value if at least BREAKDOWN_THRESHOLD present participants share it, else ""."""
    if not dimension:
        return ""
    key = (workshop.id, workshop.version, dimension)  # the version changes with every change to the roster
    kept = _cells_cache.get(key)
    if kept is None:
        counts: dict[str, int] = {}
        for p in workshop.participants.values():
            if p.status == "present":
                counts[getattr(p, dimension)] = counts.get(getattr(p, dimension), 0) + 1
        if len(_cells_cache) > 256:
            _cells_cache.clear()
        kept = _cells_cache[key] = kept_cells(counts)
    value: str = getattr(voter, dimension)
    return value if value in kept else ""


def cast_ballot(poll: Poll, workshop: Workshop, ctx: PollContext, args: Mapping[str, Any]) -> dict[str, Any]:
    """Cast (or replace) one's ballot in an open poll."""
    values.check_keys(args, {"poll_id", "answers", "answer"})
    voter = workshop.present(ctx.actor.participant_id or "")
    if poll.state == DRAFT:
        raise PollNotOpen("this poll is not open yet")
    if poll.state == CLOSED:
        raise PollClosed("this poll is closed")
    if poll.groups and not set(poll.groups) & ctx.groups:
        raise NotInScope("this poll is for other groups")
    answers = parse_answers(poll.questions, args)
    if not poll.secret:
        poll.trigger_event(
            Poll.BallotCast,
            command_id=ctx.command_id,
            participant_id=voter.id,
            answers=answers,
            country=voter.country,
            sector=voter.sector,
            organisation=voter.organisation,
            organisation_type=voter.organisation_type,
        )
        return {}
    key = ctx.keys.get(poll.id)
    if key is None:
        raise PollKeyMissing("this secret poll lost its key; close it and open a new one")
    tag = voter_tag(key, voter.id)
    # A voter's cell is fixed by their first ballot: two different cells under one tag would narrow them down.
    cell = poll.voters[tag] if tag in poll.voters else _secret_cell(workshop, poll.breakdown, voter)
    poll.trigger_event(
        Poll.SecretBallotCast,
        command_id=command_ref(key, ctx.command_id),
        voter_tag=tag,
        answers=answers,
        cell=cell,
        timestamp=poll.opened_at,
    )
    return {}


@dataclass(frozen=True)
class PollSpec:
    roles: frozenset[str]
    handler: Handler | None  # None: create_poll and duplicate_poll, which make an aggregate


_F, _P = frozenset({FACILITATOR}), frozenset({PARTICIPANT})
POLL_COMMANDS: dict[str, PollSpec] = {
    "create_poll": PollSpec(_F, None),
    "update_poll": PollSpec(_F, update_poll),
    "open_poll": PollSpec(_F, open_poll),
    "close_poll": PollSpec(_F, close_poll),
    "reopen_poll": PollSpec(_F, reopen_poll),
    "duplicate_poll": PollSpec(_F, None),
    "set_results_visibility": PollSpec(_F, set_results_visibility),
    "set_poll_deadline": PollSpec(_F, set_poll_deadline),
    "cast_ballot": PollSpec(_P, cast_ballot),
}


def _recorded_as(name: str, poll: Poll, ctx: PollContext) -> str:
    if name == "cast_ballot" and poll.secret:
        key = ctx.keys.get(poll.id)
        if key is not None:  # without it (closed poll) the ballot is refused anyway
            return command_ref(key, ctx.command_id)
    return ctx.command_id


def run_poll_command(
    name: str,
    workshop: Workshop,
    poll: Poll | None,
    ctx: PollContext,
    args: Mapping[str, Any],
    made: Poll | None = None,
) -> PollOutcome:
    """Run one poll command: answer a retry from the history, check the role, validate, record events.

    For ``duplicate_poll``, ``poll`` is the source and ``made`` the poll this command id creates, if a first
    try of it already did (``poll_id_for(workshop.id, command id)``): then the retry is answered with it."""
    spec = POLL_COMMANDS.get(name)
    if spec is None:
        raise errors.UnknownCommand(f"unknown command {name[:64]!r}")
    if poll is not None and poll.workshop_id != workshop.id:
        poll = None
    if name == "duplicate_poll":
        return _duplicate(workshop, poll, made, ctx, args)
    if name == "create_poll" and poll is not None:
        result = {"poll_id": str(poll.id)}
        return PollOutcome(poll, result, duplicate=True, recorded_as=ctx.command_id)
    if poll is None and name != "create_poll":
        raise UnknownPoll("no such poll in this workshop")
    recorded_as = ctx.command_id if poll is None else _recorded_as(name, poll, ctx)
    if poll is not None and recorded_as in poll.commands:
        return PollOutcome(poll, dict(poll.commands[recorded_as]), duplicate=True, recorded_as=recorded_as)
    if ctx.actor.role not in spec.roles:
        raise errors.Forbidden(f"a {ctx.actor.role} may not run {name}")
    if spec.handler is None:
        poll = create_poll(workshop, ctx, args)
        return PollOutcome(poll, {"poll_id": str(poll.id)}, recorded_as=recorded_as)
    assert poll is not None
    extra = spec.handler(poll, workshop, ctx, args)
    if recorded_as not in poll.commands:
        # It changed nothing; note it anyway (as the Workshop does) so that a retry is answered as one.
        poll.trigger_event(Poll.CommandNoted, command_id=recorded_as)
    return PollOutcome(poll, {**poll.commands[recorded_as], **extra}, recorded_as=recorded_as)


def _duplicate(
    workshop: Workshop, source: Poll | None, made: Poll | None, ctx: PollContext, args: Mapping[str, Any]
) -> PollOutcome:
    if made is not None and made.workshop_id == workshop.id:
        return PollOutcome(made, {"poll_id": str(made.id)}, duplicate=True, recorded_as=ctx.command_id)
    if source is None:
        raise UnknownPoll("no such poll in this workshop")
    if ctx.actor.role not in POLL_COMMANDS["duplicate_poll"].roles:
        raise errors.Forbidden(f"a {ctx.actor.role} may not run duplicate_poll")
    poll = duplicate_poll(workshop, source, ctx, args)
    return PollOutcome(poll, {"poll_id": str(poll.id)}, recorded_as=ctx.command_id)


def after_commit(events: Iterable[Any], keys: PollKeys) -> None:
    """Once a batch is committed, forget the keys of the polls it closed (only now is the closing durable)."""
    for event in events:
        if isinstance(event, Poll.Closed):
            keys.discard(event.originator_id)
