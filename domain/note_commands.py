"""Commands on a workshop's notes (domain/annotations.py): who may run them, what they check and record.

Integration: ``NOTE_COMMANDS`` names the commands and their roles. For one of them ``Tavolo._run`` loads the
workshop and calls ``run_note_command(name, workshop, load, actor, command_id, args)`` where ``load(id)`` returns
the batch's copy of an aggregate or None. The returned ``NoteOutcome.notes`` goes into the batch to be saved; its
events carry the command id, as a workshop's do. Deduplication and the role check happen here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import errors, values
from domain.annotations import CORRECTS_MAX, NOTE_MAX, Notes, notes_id
from domain.workshop import Workshop

if TYPE_CHECKING:
    from domain.commands import Actor

FACILITATOR = "facilitator"  # the role name of domain/commands.py


@dataclass(frozen=True)
class NoteSpec:
    roles: frozenset[str]


NOTE_COMMANDS: dict[str, NoteSpec] = {"annotate": NoteSpec(frozenset({FACILITATOR}))}


@dataclass
class NoteOutcome:
    notes: Notes
    result: dict[str, Any]
    duplicate: bool = False


def note_text(args: Mapping[str, Any]) -> str:
    """The note: 1-2000 characters, several lines allowed (each checked like any other text)."""
    return values.multiline(args, "text", NOTE_MAX)


def note_fields(workshop: Workshop, args: Mapping[str, Any]) -> dict[str, str]:
    """The validated arguments of ``annotate``: text, item_id ("" for the whole workshop) and corrects."""
    values.check_keys(args, {"text", "item_id", "corrects"})
    text = note_text(args)
    item_id = values.identifier(args, "item_id") if args.get("item_id") is not None else ""
    if item_id:
        workshop.item(item_id)  # unknown_agenda_item
    corrects = values.text(args, "corrects", CORRECTS_MAX, required=False)
    return {"text": text, "item_id": item_id, "corrects": corrects}


def run_note_command(
    name: str,
    workshop: Workshop,
    load: Callable[[UUID], Any],
    actor: Actor,
    command_id: str,
    args: Mapping[str, Any],
) -> NoteOutcome:
    """Run one note command: answer a retry from the history, check the role, validate, then record."""
    spec = NOTE_COMMANDS.get(name)
    if spec is None:
        raise errors.UnknownCommand(f"unknown command {name[:64]!r}")
    found = load(notes_id(workshop.id))
    notes = found if isinstance(found, Notes) and found.workshop_id == workshop.id else None
    if notes is not None and command_id in notes.commands:
        return NoteOutcome(notes, dict(notes.commands[command_id]), duplicate=True)
    if actor.role not in spec.roles:
        raise errors.Forbidden(f"a {actor.role} may not run {name}")
    fields = note_fields(workshop, args)  # everything checked before the first event
    if notes is None:
        notes = Notes.open(workshop.id, command_id)
    return NoteOutcome(notes, {"note_id": notes.add(command_id, **fields)})
