"""Commands on a workshop: who may run each one, and what it records.

A handler validates everything first and only then triggers events, so a refused command leaves the aggregate
untouched (several commands share one aggregate object inside a group-commit batch).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from domain import errors, values
from domain.personal import Personal
from domain.tokens import hash_token, new_token, normalise_code
from domain.workshop import Workshop

FACILITATOR = "facilitator"
PARTICIPANT = "participant"
PROJECTOR = "projector"
ANONYMOUS = "anonymous"
ROLES = (FACILITATOR, PARTICIPANT, PROJECTOR, ANONYMOUS)

PROFILE_FIELDS = {"name", "organisation", "organisation_type", "country", "sector", "role", "language", "anonymous"}


@dataclass(frozen=True)
class Actor:
    role: str
    participant_id: str | None = None


@dataclass(frozen=True)
class Context:
    """Who runs a command, under which id, and the server's limits."""

    actor: Actor
    command_id: str
    max_participants: int = 5000


Handler = Callable[[Workshop, Context, Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Spec:
    roles: frozenset[str]
    handler: Handler


def _profile(workshop: Workshop, args: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    merged = {**current, **args}

    def sector() -> str:
        given = values.text(merged, "sector", values.SECTOR_MAX)
        # A sector the facilitator has since removed stays valid for those who chose it, until they change it.
        kept = (current["sector"],) if current.get("sector") else ()
        chosen = values.match_choice(given, (*workshop.sectors, *kept))
        if chosen is None:
            raise errors.UnknownSector(f"{given!r} is not one of this workshop's sectors")
        return chosen

    return values.every_field(
        {
            "name": lambda: values.text(merged, "name", values.NAME_MAX, identity=True),
            "organisation": lambda: values.text(merged, "organisation", values.ORGANISATION_MAX, identity=True),
            "organisation_type": lambda: values.choice(
                {"organisation_type": merged.get("organisation_type") or ""},
                "organisation_type",
                ("", *values.ORGANISATION_TYPES),
            ),
            "country": lambda: values.country(merged),
            "sector": sector,
            "role": lambda: values.text(merged, "role", values.ROLE_MAX, required=False),
            "language": lambda: values.language(merged, default=workshop.language),
            "anonymous": lambda: _flag(merged, "anonymous"),
        }
    )


def _flag(args: Mapping[str, Any], key: str) -> bool:
    value = args.get(key, False)
    if not isinstance(value, bool):
        raise errors.InvalidArgs(f"'{key}' must be true or false")
    return value


def join(workshop: Workshop, ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    """Join the workshop as a new participant."""
    values.check_keys(args, PROFILE_FIELDS | {"token"})
    profile = _profile(workshop, args, {})
    token = values.token(args)
    token_hash = hash_token(token) if token else ""
    if token_hash and token_hash in workshop.tokens:
        raise errors.TokenInUse("this token already belongs to a participant")
    if workshop.joins_locked:
        raise errors.JoinsLocked("the facilitator closed this workshop to new participants")
    if workshop.present_count() >= ctx.max_participants:
        raise errors.WorkshopFull("the workshop is full")
    generated = None
    if not token:
        generated = new_token()
        token_hash = hash_token(generated)
    participant_id = str(uuid.uuid4())
    workshop.trigger_event(
        Workshop.ParticipantJoined,
        command_id=ctx.command_id,
        participant_id=participant_id,
        token_hash=token_hash,
        **_sealed(profile, participant_id),
    )
    return {"participant_token": generated} if generated else {}


def update_profile(workshop: Workshop, ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    """Change one's own profile."""
    values.check_keys(args, PROFILE_FIELDS)
    p = workshop.present(ctx.actor.participant_id or "")
    current = {k: getattr(p, k) for k in PROFILE_FIELDS}
    profile = _profile(workshop, args, current)
    if profile != current:
        workshop.trigger_event(
            Workshop.ProfileChanged, command_id=ctx.command_id, participant_id=p.id, **_sealed(profile, p.id)
        )
    return {}


PERSONAL_FIELDS = ("name", "organisation", "role")  # stored sealed with the participant's key (domain/personal.py)


def _sealed(profile: dict[str, Any], participant_id: str) -> dict[str, Any]:
    return {k: Personal(v, participant_id) if k in PERSONAL_FIELDS else v for k, v in profile.items()}


def rotate_link(workshop: Workshop, ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    """Replace the facilitator or projector link's secret with ``token`` (chosen by the browser, so a retry is
    idempotent); whoever holds the old link loses access."""
    values.check_keys(args, {"role", "token"})
    role = values.choice(args, "role", ("facilitator", "projector"))
    token = values.token(args)
    if not token:
        raise errors.InvalidArgs("'token' must be a new 43-128 character URL-safe secret")
    digest = hash_token(token)
    if digest in (workshop.facilitator_token_hash, workshop.projector_token_hash) or digest in workshop.tokens:
        raise errors.TokenInUse("this token is already in use")
    workshop.trigger_event(Workshop.LinkRotated, command_id=ctx.command_id, role=role, token_hash=digest)
    return {}


def forget_me(workshop: Workshop, ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    """Erase one's own personal data (and leave): the key that seals it is destroyed once this is committed."""
    values.check_keys(args, set())
    p = workshop.present(ctx.actor.participant_id or "")
    workshop.trigger_event(Workshop.ParticipantErased, command_id=ctx.command_id, participant_id=p.id, by="self")
    return {}


def erase_participant(workshop: Workshop, ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    """Erase a participant's personal data (facilitator), whether present, left or removed."""
    values.check_keys(args, {"participant_id"})
    pid = values.identifier(args, "participant_id")
    p = workshop.participants.get(pid)
    if p is None:
        raise errors.UnknownParticipant(f"no participant {pid[:64]!r}")
    if p.status != "erased":
        workshop.trigger_event(
            Workshop.ParticipantErased, command_id=ctx.command_id, participant_id=p.id, by="facilitator"
        )
    return {}


def delete_workshop(workshop: Workshop, ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    """Delete the workshop and everything recorded in it (facilitator), confirmed by typing its join code."""
    values.check_keys(args, {"confirm"})
    typed = values.text(args, "confirm", 64, required=False)
    if normalise_code(typed) != workshop.code:
        raise errors.NotConfirmed("type the workshop's join code in 'confirm' to delete it")
    workshop.trigger_event(Workshop.Deleted, command_id=ctx.command_id)
    return {}


def leave(workshop: Workshop, ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    """Leave the workshop."""
    values.check_keys(args, set())
    p = workshop.present(ctx.actor.participant_id or "")
    workshop.trigger_event(Workshop.ParticipantLeft, command_id=ctx.command_id, participant_id=p.id)
    return {}


def remove_participant(workshop: Workshop, ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    """Remove a participant (facilitator)."""
    values.check_keys(args, {"participant_id"})
    p = workshop.present(values.identifier(args, "participant_id"))
    workshop.trigger_event(Workshop.ParticipantRemoved, command_id=ctx.command_id, participant_id=p.id)
    return {}


REMOVE_AT_ONCE_MAX = 1000


def remove_participants(workshop: Workshop, ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    """Remove several participants at once (facilitator): a burst of joins from one script, say. All or nothing:
    every id must name someone present, else nothing is removed. Each is recorded as ``remove_participant``
    records one, so every view, count and export treats them alike."""
    values.check_keys(args, {"participant_ids"})
    ids = args.get("participant_ids")
    if not isinstance(ids, list | tuple) or not ids or len(ids) > REMOVE_AT_ONCE_MAX:
        raise errors.InvalidArgs(f"'participant_ids' must be a list of 1 to {REMOVE_AT_ONCE_MAX} participant ids")
    chosen = list(dict.fromkeys(values.identifier({"id": i}, "id") for i in ids))  # once each, in order
    for pid in chosen:
        workshop.present(pid)
    for pid in chosen:
        workshop.trigger_event(Workshop.ParticipantRemoved, command_id=ctx.command_id, participant_id=pid)
    return {"removed": len(chosen)}


def lock_joins(workshop: Workshop, ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    """Close the workshop to new joins (facilitator): ``join`` is refused with ``joins_locked`` until unlocked.
    Those already in are not affected."""
    values.check_keys(args, set())
    if not workshop.joins_locked:
        workshop.trigger_event(Workshop.JoinsLocked, command_id=ctx.command_id)
    return {}


def unlock_joins(workshop: Workshop, ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    """Open the workshop to new joins again (facilitator)."""
    values.check_keys(args, set())
    if workshop.joins_locked:
        workshop.trigger_event(Workshop.JoinsUnlocked, command_id=ctx.command_id)
    return {}


def update_workshop(workshop: Workshop, ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    """Change the workshop's details (title, date, venue, language, sectors), its time zone, and the projector's
    languages (``projector_language``: its own, "" for the workshop's; ``projector_second_language``: one more,
    smaller below, "" for none)."""
    values.check_keys(args, {"title", "date", "venue", "language", "sectors", "timezone", "projector_language",
                             "projector_second_language"})  # fmt: skip
    current = {
        "title": workshop.title,
        "date": workshop.date,
        "venue": workshop.venue,
        "language": workshop.language,
        "sectors": list(workshop.sectors),
    }
    details = details_from({**current, **args})
    zone = values.timezone(args, default=workshop.timezone)
    if details != {**current, "sectors": tuple(current["sectors"])}:
        workshop.trigger_event(Workshop.DetailsChanged, command_id=ctx.command_id, **details)
    if zone != workshop.timezone:
        workshop.trigger_event(Workshop.TimezoneSet, command_id=ctx.command_id, timezone=zone)
    _projector_languages(workshop, ctx, args)
    return {}


def _projector_languages(workshop: Workshop, ctx: Context, args: Mapping[str, Any]) -> None:
    """Record the projector's languages when given and changed ("" for the workshop's own / for none)."""
    keys = ("projector_language", "projector_second_language")
    current = tuple(getattr(workshop, key, "") for key in keys)
    wanted = tuple(
        (values.language(args, key) if args[key] else "") if key in args else current[i] for i, key in enumerate(keys)
    )
    if wanted != current:
        workshop.trigger_event(Workshop.ProjectorLanguagesSet, command_id=ctx.command_id, language=wanted[0],
                               second_language=wanted[1])  # fmt: skip


def details_from(args: Mapping[str, Any]) -> dict[str, Any]:
    """Validated workshop details (title, date, venue, language, sectors)."""
    return {
        "title": values.text(args, "title", values.TITLE_MAX),
        "date": values.iso_date(args),
        "venue": values.text(args, "venue", values.TITLE_MAX, required=False),
        "language": values.language(args),
        "sectors": values.sectors(args),
    }


def _item_fields(args: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "title": values.text(args, "title", values.TITLE_MAX),
        "kind": values.choice(args, "kind", values.AGENDA_KINDS),
        "planned_start": values.planned_start(args),
        "duration_min": values.minutes(args, "duration_min"),
    }


ITEM_FIELDS = {"title", "kind", "planned_start", "duration_min"}


def add_agenda_item(workshop: Workshop, ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    """Add an item at the end of the agenda."""
    values.check_keys(args, ITEM_FIELDS)
    fields = _item_fields(args)
    if len(workshop.agenda) >= values.AGENDA_MAX:
        raise errors.InvalidArgs(f"an agenda holds at most {values.AGENDA_MAX} items")
    workshop.trigger_event(Workshop.AgendaItemAdded, command_id=ctx.command_id, item_id=str(uuid.uuid4()), **fields)
    return {}


def update_agenda_item(workshop: Workshop, ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    """Edit an agenda item."""
    values.check_keys(args, ITEM_FIELDS | {"item_id"})
    item = workshop.item(values.identifier(args, "item_id"))
    current = {k: getattr(item, k) for k in ITEM_FIELDS}
    # An item without a duration stores 0; merge it back as "no duration", which the validator accepts.
    base = {**current, "duration_min": current["duration_min"] or None}
    fields = _item_fields({**base, **{k: v for k, v in args.items() if k != "item_id"}})
    if fields != current:
        workshop.trigger_event(Workshop.AgendaItemChanged, command_id=ctx.command_id, item_id=item.id, **fields)
    return {}


def remove_agenda_item(workshop: Workshop, ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    """Remove an agenda item."""
    values.check_keys(args, {"item_id"})
    item = workshop.item(values.identifier(args, "item_id"))
    workshop.trigger_event(Workshop.AgendaItemRemoved, command_id=ctx.command_id, item_id=item.id)
    return {}


def reorder_agenda(workshop: Workshop, ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    """Put the agenda in a new order (every item exactly once)."""
    values.check_keys(args, {"item_ids"})
    ids = args.get("item_ids")
    if not isinstance(ids, list | tuple) or not all(isinstance(i, str) for i in ids):
        raise errors.InvalidArgs("'item_ids' must be a list of agenda item ids")
    if sorted(ids) != sorted(i.id for i in workshop.agenda):
        raise errors.InvalidOrder("'item_ids' must list every agenda item exactly once")
    if list(ids) != [i.id for i in workshop.agenda]:
        workshop.trigger_event(Workshop.AgendaReordered, command_id=ctx.command_id, item_ids=tuple(ids))
    return {}


def start_agenda_item(workshop: Workshop, ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    """Start an agenda item, finishing the one running (if another is)."""
    values.check_keys(args, {"item_id"})
    item = workshop.item(values.identifier(args, "item_id"))
    if item.status == "running":
        return {}
    if workshop.current_item is not None:
        workshop.trigger_event(Workshop.AgendaItemFinished, command_id=ctx.command_id, item_id=workshop.current_item)
    workshop.trigger_event(Workshop.AgendaItemStarted, command_id=ctx.command_id, item_id=item.id)
    return {}


def finish_agenda_item(workshop: Workshop, ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    """Finish the running agenda item."""
    values.check_keys(args, {"item_id"})
    item = workshop.item(values.identifier(args, "item_id"))
    if item.status != "running":
        raise errors.ItemNotRunning("this agenda item is not running")
    workshop.trigger_event(Workshop.AgendaItemFinished, command_id=ctx.command_id, item_id=item.id)
    return {}


_F = frozenset({FACILITATOR})
_P = frozenset({PARTICIPANT})

COMMANDS: dict[str, Spec] = {
    "join": Spec(frozenset({ANONYMOUS}), join),
    "update_profile": Spec(_P, update_profile),
    "leave": Spec(_P, leave),
    "remove_participant": Spec(_F, remove_participant),
    "remove_participants": Spec(_F, remove_participants),
    "lock_joins": Spec(_F, lock_joins),
    "unlock_joins": Spec(_F, unlock_joins),
    "erase_participant": Spec(_F, erase_participant),
    "delete_workshop": Spec(_F, delete_workshop),
    "rotate_link": Spec(_F, rotate_link),
    "forget_me": Spec(frozenset({PARTICIPANT}), forget_me),
    "update_workshop": Spec(_F, update_workshop),
    "add_agenda_item": Spec(_F, add_agenda_item),
    "update_agenda_item": Spec(_F, update_agenda_item),
    "remove_agenda_item": Spec(_F, remove_agenda_item),
    "reorder_agenda": Spec(_F, reorder_agenda),
    "start_agenda_item": Spec(_F, start_agenda_item),
    "finish_agenda_item": Spec(_F, finish_agenda_item),
}


def _command_roles() -> dict[str, frozenset[str]]:
    from domain.group_commands import GROUP_COMMANDS  # these live beside their aggregates
    from domain.match_commands import MATCH_COMMANDS
    from domain.note_commands import NOTE_COMMANDS
    from domain.poll_commands import POLL_COMMANDS
    from domain.rotation_commands import ROTATION_COMMANDS
    from domain.timers import TIMER_COMMANDS, TIMER_ROLES

    roles = {name: spec.roles for name, spec in COMMANDS.items()}
    roles.update({name: spec.roles for name, spec in POLL_COMMANDS.items()})
    roles.update({name: spec.roles for name, spec in GROUP_COMMANDS.items()})
    roles.update({name: spec.roles for name, spec in ROTATION_COMMANDS.items()})
    roles.update({name: TIMER_ROLES for name in TIMER_COMMANDS})
    roles.update({name: spec.roles for name, spec in MATCH_COMMANDS.items()})
    roles.update({name: spec.roles for name, spec in NOTE_COMMANDS.items()})
    return roles


# Every command a client can send, and the roles that may send it.
COMMAND_ROLES: dict[str, frozenset[str]] = _command_roles()
