"""The Poll aggregate: one aggregate per poll, apart from the Workshop, so that ballots never serialise the
room.

A poll is drafted, opened and closed by the facilitator (draft -> open -> closed; a named poll may be reopened,
closed -> open, keeping its ballots) and takes one ballot per voter while open; a voter's new ballot replaces
theirs. A *secret* poll records a keyed voter tag instead of the participant id (domain/secret.py,
docs/polls.md). Every event carries the id of the command that caused it, so a retried command is recognised from
the history itself, as in the Workshop. The commands that validate and record these events are in
domain/poll_commands.py (as domain/commands.py is to the Workshop).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.poll_kinds import Question

DRAFT, OPEN, CLOSED = "draft", "open", "closed"
VISIBILITIES = ("hidden", "shown")
# Organisation never for secret polls: too close to identifying a person. Its type (cluster, company…) is coarse.
SECRET_BREAKDOWNS = ("", "country", "sector", "organisation_type")
NAMED_BREAKDOWNS = ("country", "sector", "organisation_type", "organisation")


class Poll(Aggregate):
    """A poll in a workshop: its questions, its lifecycle and who (or which voter tag) has voted."""

    class Event(Aggregate.Event):
        command_id: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Poll)
            aggregate.commands[self.command_id] = self.result()
            self.when(aggregate)

        def when(self, poll: Poll) -> None:
            """How this event changes the poll (overridden per event)."""

        def result(self) -> dict[str, Any]:
            """What a client is told when its command caused this event."""
            return {}

    class Created(Event, Aggregate.Created):
        """The facilitator drafted a poll (hidden results unless ``visibility`` says otherwise)."""

        workshop_id: UUID
        title: str
        kind: str
        questions: tuple[dict[str, Any], ...]
        secret: bool
        breakdown: str
        visibility: str
        closes_at: str
        groups: tuple[str, ...]
        agenda_item_id: str

        def result(self) -> dict[str, Any]:
            return {"poll_id": str(self.originator_id)}

    class Edited(Event):
        """The facilitator changed a draft poll (all settings carry their new values)."""

        title: str
        kind: str
        questions: tuple[dict[str, Any], ...]
        secret: bool
        breakdown: str
        closes_at: str
        groups: tuple[str, ...]
        agenda_item_id: str

        def when(self, poll: Poll) -> None:
            poll.set(
                self.title,
                self.kind,
                self.questions,
                self.secret,
                self.breakdown,
                self.closes_at,
                self.groups,
                self.agenda_item_id,
            )

    class Translated(Event):
        """The facilitator gave (or changed) the poll's text in other languages (domain/poll_translations.py): the
        whole set, each language's title and questions in the poll's order."""

        translations: dict[str, dict[str, Any]]

        def when(self, poll: Poll) -> None:
            poll.translations = dict(self.translations)

        def result(self) -> dict[str, Any]:
            # Recorded under the same command id as the Created of create_poll: a retry still learns the poll's id.
            return {"poll_id": str(self.originator_id)}

    class CommandNoted(Event):
        """A command that changed nothing was accepted; noted so that a later retry of it is not applied."""

    class Opened(Event):
        """The facilitator opened the poll for ballots (the event's timestamp is when)."""

        closes_at: str

        def when(self, poll: Poll) -> None:
            poll.state, poll.opened_at, poll.closes_at = OPEN, self.timestamp, self.closes_at

    class Closed(Event):
        """The poll was closed (by the facilitator or the timer); it takes no more ballots unless reopened.

        ``eligible`` is who could vote at that moment (present participants, or the members of the poll's groups):
        the turnout of a closed poll is counted against it, so people joining later do not change it. Version 1
        events did not record it (-1: counted against who can vote when viewed, as they were then)."""

        class_version = 2
        eligible: int

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["eligible"] = -1

        def when(self, poll: Poll) -> None:
            poll.state = CLOSED

    class Reopened(Event):
        """The facilitator reopened a closed named poll: ballots cast before stay; ``closes_at`` is its new
        deadline ("" for none). Who could vote counts live again until it closes again."""

        closes_at: str

        def when(self, poll: Poll) -> None:
            poll.state, poll.closes_at = OPEN, self.closes_at

    class VisibilityChanged(Event):
        """The facilitator showed or hid the results to participants."""

        visibility: str

        def when(self, poll: Poll) -> None:
            poll.visibility = self.visibility

    class DeadlineChanged(Event):
        """The facilitator set, moved or removed the time at which the server closes the poll."""

        closes_at: str

        def when(self, poll: Poll) -> None:
            poll.closes_at = self.closes_at

    class BallotCast(Event):
        """A participant's named ballot replaced any earlier one of theirs; their profile as it was then."""

        participant_id: str
        answers: dict[str, Any]
        country: str
        sector: str
        organisation: str
        organisation_type: str = ""

        def when(self, poll: Poll) -> None:
            poll.voters[self.participant_id] = ""

    class SecretBallotCast(Event):
        """A secret ballot replaced any earlier one with the same voter tag. ``cell`` is the voter's breakdown
        value ("" = other) when the facilitator allowed one; the timestamp is the poll's opening time."""

        voter_tag: str
        answers: dict[str, Any]
        cell: str

        def when(self, poll: Poll) -> None:
            poll.voters.setdefault(self.voter_tag, self.cell)

    def __init__(
        self,
        workshop_id: UUID,
        title: str,
        kind: str,
        questions: tuple[dict[str, Any], ...],
        secret: bool,
        breakdown: str,
        visibility: str,
        closes_at: str,
        groups: tuple[str, ...],
        agenda_item_id: str,
        command_id: str,
    ) -> None:
        self.workshop_id = workshop_id
        self.set(title, kind, questions, secret, breakdown, closes_at, groups, agenda_item_id)
        self.visibility = visibility
        self.translations: dict[str, dict[str, Any]] = {}  # language -> its text (Translated)
        self.state = DRAFT
        self.opened_at: datetime | None = None
        self.voters: dict[str, str] = {}  # participant id or voter tag -> secret breakdown cell
        self.commands: dict[str, dict[str, Any]] = {}

    def set(
        self,
        title: str,
        kind: str,
        questions: Iterable[Mapping[str, Any]],
        secret: bool,
        breakdown: str,
        closes_at: str,
        groups: Iterable[str],
        agenda_item_id: str,
    ) -> None:
        self.title, self.kind, self.secret, self.breakdown = title, kind, secret, breakdown
        self.questions = tuple(Question.from_dict(q) for q in questions)
        self.closes_at, self.groups, self.agenda_item_id = closes_at, tuple(groups), agenda_item_id

    def settings(self) -> dict[str, Any]:
        """The editable settings, in the form a command gives them."""
        questions = [{k: v for k, v in q.to_dict().items() if k != "id"} for q in self.questions]
        return {
            "title": self.title,
            "kind": self.kind,
            "questions": questions,
            "secret": self.secret,
            "breakdown": self.breakdown,
            "closes_at": self.closes_at,
            "groups": list(self.groups),
            "agenda_item_id": self.agenda_item_id,
        }
