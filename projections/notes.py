"""The notes read model: a deterministic fold of a workshop's annotations (domain/annotations.py).

``apply(model, event, position)`` folds one event (no I/O, no clock: a note's time is its event's timestamp);
``apply_any(index, event, position)`` routes any event to its workshop's model, as projections/groups.py does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from domain.annotations import Notes, notes_id


@dataclass
class NoteRow:
    id: str
    text: str
    item_id: str
    corrects: str
    at: str


@dataclass
class NotesModel:
    workshop_id: UUID
    notes: list[NoteRow] = field(default_factory=list)
    position: int = 0


def apply(model: NotesModel, event: Any, position: int) -> NotesModel:
    """Fold one event (recorded at ``position``) into the model. Events of other workshops are ignored."""
    if isinstance(event, Notes.NoteAdded) and event.originator_id == notes_id(model.workshop_id):
        model.notes.append(
            NoteRow(event.note_id, event.text, event.item_id, event.corrects, event.timestamp.isoformat())
        )
    model.position = max(model.position, position)
    return model


@dataclass
class NotesIndex:
    """Every workshop's notes, and which workshop each Notes aggregate belongs to."""

    models: dict[UUID, NotesModel] = field(default_factory=dict)
    owners: dict[UUID, UUID] = field(default_factory=dict)


def apply_any(index: NotesIndex, event: Any, position: int) -> NotesModel | None:
    """Fold any event into its workshop's notes (made by the workshop's first note); None for other events."""
    if not isinstance(event, Notes.Event):
        return None
    if isinstance(event, Notes.Created):
        index.owners[event.originator_id] = event.workshop_id
        index.models.setdefault(event.workshop_id, NotesModel(event.workshop_id))
    workshop_id = index.owners.get(event.originator_id)
    return None if workshop_id is None else apply(index.models[workshop_id], event, position)
