"""The Notes aggregate: a workshop's annotations -- the facilitator's notes and corrections for the minutes.

Annotations never rewrite history: a correction is a new note that says what it corrects (``corrects``, a free
reference such as an agenda item, a poll or "attendance"), and the minutes show it beside what it corrects,
marked as a note. One aggregate per workshop, its id derived from the workshop's (as a JoinCode's derives from
its code), so the first note creates it and concurrent first notes conflict in the store instead of forking.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

NOTES_NAMESPACE = UUID("5a7c1e3b-9d2f-4b6a-8e41-c0f3d2a9b158")
NOTE_MAX = 2000
CORRECTS_MAX = 200


def notes_id(workshop_id: UUID) -> UUID:
    """The id of a workshop's Notes: derived, so anyone can find it without an index."""
    return uuid5(NOTES_NAMESPACE, f"{workshop_id}/notes")


class Notes(Aggregate):
    """A workshop's annotations, in the order they were written."""

    class Event(Aggregate.Event):
        command_id: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Notes)
            aggregate.commands[self.command_id] = self.result()
            self.when(aggregate)

        def when(self, notes: Notes) -> None:
            """How this event changes the notes (overridden per event)."""

        def result(self) -> dict[str, Any]:
            return {}

    class Created(Event, Aggregate.Created):
        """The workshop's first annotation opened its notes."""

        workshop_id: UUID

    class NoteAdded(Event):
        """The facilitator added a note (or a correction, when ``corrects`` names what it corrects)."""

        note_id: str
        text: str
        item_id: str
        corrects: str

        def when(self, notes: Notes) -> None:
            notes.count += 1

        def result(self) -> dict[str, Any]:
            return {"note_id": self.note_id}

    def __init__(self, workshop_id: UUID, command_id: str) -> None:
        self.workshop_id = workshop_id
        self.count = 0
        self.commands: dict[str, dict[str, Any]] = {}

    @classmethod
    def open(cls, workshop_id: UUID, command_id: str) -> Notes:
        return cls._create(cls.Created, id=notes_id(workshop_id), workshop_id=workshop_id, command_id=command_id)

    def add(self, command_id: str, text: str, item_id: str, corrects: str) -> str:
        """Record a note; its id is ``n1``, ``n2``, ... in the order written."""
        note_id = f"n{self.count + 1}"
        self.trigger_event(
            self.NoteAdded, command_id=command_id, note_id=note_id, text=text, item_id=item_id, corrects=corrects
        )
        return note_id
