"""The AnswerSheet aggregate: one group's shared answers to one question set (domain/groups.py has the others).

One aggregate per group per question set, so sixty groups typing at once append to sixty streams and never wait
for each other. Every contribution has a ``version`` (1 when added, +1 per edit); an edit names the version it
was based on, and a stale base is refused with both texts (domain/group_errors.EditConflict), so no one's text
is silently overwritten. Contribution ids are ``c1``, ``c2``, ... in the order they were added.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

SHEET_NAMESPACE = UUID("a4f2c6d1-7b3e-4e59-8c0a-5d9e1f2b3c47")


def sheet_id_for(question_set_id: UUID, group_id: str) -> UUID:
    """A sheet's id derives from its question set and group: the first contribution creates it, once."""
    return uuid5(SHEET_NAMESPACE, f"{question_set_id}/{group_id}")


@dataclass
class Contribution:
    id: str
    question_id: str
    author: str  # participant id; "" for the facilitator
    text: str
    tags: tuple[str, ...]
    version: int = 1
    editor: str = ""  # who made the current version
    removed: bool = False
    removed_at: datetime | None = (
        None  # when it was last removed (the event's time): a removal is undone within a minute
    )
    # who last removed it (the event's by_id; "" the facilitator; None not known): only they, the rapporteur or the
    # facilitator may undo it, so a member cannot bring back what the rapporteur or the facilitator took away
    removed_by: str | None = None


class AnswerSheet(Aggregate):
    """A group's answers to a question set: contributions per question, and whether they are final."""

    class Event(Aggregate.Event):
        command_id: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, AnswerSheet)
            aggregate.commands[self.command_id] = self.result()
            self.when(aggregate)

        def when(self, sheet: AnswerSheet) -> None:
            """How this event changes the sheet (overridden per event)."""

        def result(self) -> dict[str, Any]:
            return {}

    class Created(Event, Aggregate.Created):
        """The group's sheet for this question set came into use (with its first change)."""

        workshop_id: UUID
        question_set_id: UUID
        split_id: UUID
        group_id: str

    class ContributionAdded(Event):
        contribution_id: str
        question_id: str
        author_id: str
        text: str
        tags: tuple[str, ...]

        def when(self, sheet: AnswerSheet) -> None:
            sheet.contributions[self.contribution_id] = Contribution(
                self.contribution_id, self.question_id, self.author_id, self.text, tuple(self.tags)
            )

        def result(self) -> dict[str, Any]:
            return {"contribution_id": self.contribution_id, "version": 1}

    class ContributionEdited(Event):
        """A member (or the facilitator) replaced the text and tags; ``version`` is the new version."""

        contribution_id: str
        text: str
        tags: tuple[str, ...]
        version: int
        editor_id: str

        def when(self, sheet: AnswerSheet) -> None:
            c = sheet.contributions[self.contribution_id]
            c.text, c.tags, c.version, c.editor = self.text, tuple(self.tags), self.version, self.editor_id

        def result(self) -> dict[str, Any]:
            return {"contribution_id": self.contribution_id, "version": self.version}

    class ContributionRemoved(Event):
        """Removed from the sheet (its text stays in the history) by its author, the rapporteur or the facilitator;
        undone within a minute by ``ContributionRestored``."""

        contribution_id: str
        by_id: str

        def when(self, sheet: AnswerSheet) -> None:
            c = sheet.contributions[self.contribution_id]
            c.removed, c.removed_at, c.removed_by = True, self.timestamp, self.by_id

    class ContributionRestored(Event):
        """A removal undone (within a minute of it): the contribution is back as it was, same version."""

        contribution_id: str
        by_id: str

        def when(self, sheet: AnswerSheet) -> None:
            c = sheet.contributions[self.contribution_id]
            c.removed, c.removed_at, c.removed_by = False, None, None

    class FinalMarked(Event):
        """The rapporteur (or the facilitator) marked the group's answers final, or took that back."""

        final: bool
        by_id: str

        def when(self, sheet: AnswerSheet) -> None:
            sheet.final = self.final

    class CommandNoted(Event):
        """A command that changed nothing was accepted; noted so that a later retry of it is not applied."""

    def __init__(
        self, workshop_id: UUID, question_set_id: UUID, split_id: UUID, group_id: str, command_id: str
    ) -> None:
        self.workshop_id, self.question_set_id, self.split_id = workshop_id, question_set_id, split_id
        self.group_id = group_id
        self.contributions: dict[str, Contribution] = {}
        self.final = False
        self.commands: dict[str, dict[str, Any]] = {}

    def next_contribution_id(self) -> str:
        return f"c{len(self.contributions) + 1}"
