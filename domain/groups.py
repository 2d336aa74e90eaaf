"""Group work's aggregates, apart from the Workshop so that a room of groups typing never serialises the roster.

- ``GroupWork``, one per workshop: the index of its splits, in order (the last is current).
- ``Split``, one per split of the room: its recorded result (who is in which group, group ids, names, tables,
  rapporteurs) -- a replay applies the result, it never re-runs the planner. A new split supersedes the old one,
  which stays in the history unchanged.
- ``QuestionSet``, one per set of questions posed to all or some groups of a split.
- ``AnswerSheet``, one per group per question set: the group's contributions.

As in the Workshop, every event carries the id of the command that caused it and applying it records the
command's result, so a retry is recognised from the history. The commands are in domain/group_commands.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

GROUP_NAMESPACE = UUID("5e7b9c2a-1f4d-4a8e-b6c3-9d0e2f1a7b58")


def group_work_id(workshop_id: UUID) -> UUID:
    return uuid5(GROUP_NAMESPACE, f"{workshop_id}/group-work")


def split_id_for(workshop_id: UUID, command_id: str) -> UUID:
    """A split's id derives from its workshop and its command's id: a retried split finds it."""
    return uuid5(GROUP_NAMESPACE, f"{workshop_id}/split/{command_id}")


def question_set_id_for(workshop_id: UUID, command_id: str) -> UUID:
    return uuid5(GROUP_NAMESPACE, f"{workshop_id}/questions/{command_id}")


@dataclass
class Group:
    id: str
    number: int
    name: str  # "" until someone names it
    label: str  # the attribute value of a ``by:`` group, else ""
    table: int  # 0: no table
    members: list[str] = field(default_factory=list)  # participant ids, in placement order
    rapporteur: str = ""


class GroupWork(Aggregate):
    """A workshop's splits, in the order they were made. Its id derives from the workshop's."""

    class Event(Aggregate.Event):
        command_id: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, GroupWork)
            aggregate.commands[self.command_id] = {}
            self.when(aggregate)

        def when(self, work: GroupWork) -> None:
            """How this event changes the index."""

    class Created(Event, Aggregate.Created):
        workshop_id: UUID

    class SplitMade(Event):
        """A split was made; it is now the workshop's current one."""

        split_id: UUID

        def when(self, work: GroupWork) -> None:
            work.splits.append(self.split_id)

    def __init__(self, workshop_id: UUID, command_id: str) -> None:
        self.workshop_id = workshop_id
        self.splits: list[UUID] = []
        self.commands: dict[str, dict[str, Any]] = {}


class Split(Aggregate):
    """One split of the room into groups, with everything that happened to those groups since."""

    class Event(Aggregate.Event):
        command_id: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Split)
            aggregate.commands[self.command_id] = self.result()
            self.when(aggregate)

        def when(self, split: Split) -> None:
            """How this event changes the split (overridden per event)."""

        def result(self) -> dict[str, Any]:
            """What a client is told when its command caused this event."""
            return {}

    class Created(Event, Aggregate.Created):
        """The facilitator split the room; ``groups`` is the planner's result as it was, ``seed`` the seed it used."""

        workshop_id: UUID
        number: int
        strategy: str
        seed: int
        requested: dict[str, int]  # groups, size, max_size as asked (0: not given)
        groups: tuple[dict[str, Any], ...]  # id, number, name, label, table, members
        quality: dict[str, Any]
        replaces: UUID | None

        def result(self) -> dict[str, Any]:
            return {"split_id": str(self.originator_id), "seed": self.seed}

    class ParticipantMoved(Event):
        """The facilitator moved a participant (from no group, for one who joined late). ``quality`` is the
        balance afterwards."""

        participant_id: str
        from_group: str
        to_group: str
        quality: dict[str, Any]

        def when(self, split: Split) -> None:
            split.place(self.participant_id, self.to_group, self.quality)

    class ParticipantPlaced(Event):
        """A late joiner was placed by the planner in the group that best keeps the balance (or their value's)."""

        participant_id: str
        group_id: str
        quality: dict[str, Any]

        def when(self, split: Split) -> None:
            split.place(self.participant_id, self.group_id, self.quality)

        def result(self) -> dict[str, Any]:
            return {"group_id": self.group_id}

    class GroupAdded(Event):
        """A group was added for a late joiner whose value had no group (or only full ones)."""

        group_id: str
        number: int
        label: str
        table: int

        def when(self, split: Split) -> None:
            split.groups[self.group_id] = Group(self.group_id, self.number, "", self.label, self.table)

    class GroupRenamed(Event):
        group_id: str
        name: str

        def when(self, split: Split) -> None:
            split.groups[self.group_id].name = self.name

    class TableSet(Event):
        """The group's table number (0: none)."""

        group_id: str
        table: int

        def when(self, split: Split) -> None:
            split.groups[self.group_id].table = self.table

    class RapporteurChosen(Event):
        """The facilitator or the group chose its rapporteur ("" : none)."""

        group_id: str
        participant_id: str
        chosen_by: str  # facilitator | group

        def when(self, split: Split) -> None:
            split.groups[self.group_id].rapporteur = self.participant_id

    class Superseded(Event):
        """A newer split replaced this one."""

        by_split_id: UUID

        def when(self, split: Split) -> None:
            split.superseded_by = self.by_split_id

    class CommandNoted(Event):
        """A command that changed nothing was accepted; noted so that a later retry of it is not applied."""

    def __init__(
        self,
        workshop_id: UUID,
        number: int,
        strategy: str,
        seed: int,
        requested: dict[str, int],
        groups: tuple[dict[str, Any], ...],
        quality: dict[str, Any],
        replaces: UUID | None,
        command_id: str,
    ) -> None:
        self.workshop_id, self.number, self.strategy, self.seed = workshop_id, number, strategy, seed
        self.requested, self.quality, self.replaces = dict(requested), dict(quality), replaces
        self.groups = {g["id"]: Group(g["id"], g["number"], g["name"], g["label"], g["table"]) for g in groups}
        self.member_of: dict[str, str] = {}
        for g in groups:
            for participant_id in g["members"]:
                self.groups[g["id"]].members.append(participant_id)
                self.member_of[participant_id] = g["id"]
        self.superseded_by: UUID | None = None
        self.commands: dict[str, dict[str, Any]] = {}

    def place(self, participant_id: str, group_id: str, quality: dict[str, Any]) -> None:
        old = self.member_of.get(participant_id)
        if old is not None:
            self.groups[old].members.remove(participant_id)
            if self.groups[old].rapporteur == participant_id:
                self.groups[old].rapporteur = ""  # a rapporteur who moves no longer reports for the old group
        self.groups[group_id].members.append(participant_id)
        self.member_of[participant_id] = group_id
        self.quality = dict(quality)


class QuestionSet(Aggregate):
    """Questions posed to all groups of a split (``groups`` empty) or to some, each with an optional time box."""

    class Event(Aggregate.Event):
        command_id: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, QuestionSet)
            aggregate.commands[self.command_id] = self.result()
            self.when(aggregate)

        def when(self, question_set: QuestionSet) -> None:
            """How this event changes the question set (overridden per event)."""

        def result(self) -> dict[str, Any]:
            return {}

    class Created(Event, Aggregate.Created):
        """The facilitator posed the questions (the event's timestamp starts their time boxes)."""

        workshop_id: UUID
        split_id: UUID
        title: str
        questions: tuple[dict[str, Any], ...]  # id, prompt, time_box_min (0: none)
        groups: tuple[str, ...]
        categories: tuple[str, ...]
        visibility: str  # own: a group sees only its sheet | all: every group's sheet

        def result(self) -> dict[str, Any]:
            return {"question_set_id": str(self.originator_id)}

    class VisibilityChanged(Event):
        visibility: str

        def when(self, question_set: QuestionSet) -> None:
            question_set.visibility = self.visibility

    class LockChanged(Event):
        """Which sheets take no more changes now: ``all_groups`` (also groups added later) or ``groups``."""

        all_groups: bool
        groups: tuple[str, ...]

        def when(self, question_set: QuestionSet) -> None:
            question_set.locked_all, question_set.locked = self.all_groups, frozenset(self.groups)

    class ReportBackMoved(Event):
        """The projector's report-back shows this group's answers ("" : the overview)."""

        group_id: str

        def when(self, question_set: QuestionSet) -> None:
            question_set.report_back = self.group_id

    class CommandNoted(Event):
        """A command that changed nothing was accepted; noted so that a later retry of it is not applied."""

    def __init__(
        self,
        workshop_id: UUID,
        split_id: UUID,
        title: str,
        questions: tuple[dict[str, Any], ...],
        groups: tuple[str, ...],
        categories: tuple[str, ...],
        visibility: str,
        command_id: str,
    ) -> None:
        self.workshop_id, self.split_id, self.title = workshop_id, split_id, title
        self.questions = tuple(dict(q) for q in questions)
        self.groups, self.categories, self.visibility = tuple(groups), tuple(categories), visibility
        self.locked_all = False
        self.locked: frozenset[str] = frozenset()
        self.report_back = ""
        self.commands: dict[str, dict[str, Any]] = {}

    def posed_to(self, group_id: str) -> bool:
        return not self.groups or group_id in self.groups

    def is_locked(self, group_id: str) -> bool:
        return self.locked_all or group_id in self.locked

    def question_ids(self) -> set[str]:
        return {q["id"] for q in self.questions}
