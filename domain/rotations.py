"""Rotations: speed dating in pairs and World-Café rounds at tables of k, on one server clock.

A ``Rotation`` records its plan as the planner's **result** (who sits at which table, each round) and every
change to it (``Replanned``: the remaining rounds after someone left or arrived), never re-planned on replay.
Its clock (domain/clock.py) is server-authoritative: each round starts with ``RoundStarted`` (its end time), can
be paused, resumed, extended or skipped, and ends with ``RoundEnded``, which logs who actually met (the present
people at each table): the meeting log the minutes use. ``Rotations`` is the workshop's index of its rotations
(the last one is the current one); its id derives from the workshop's.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.clock import Clock

ROTATIONS_NAMESPACE = UUID("8d3b2f6e-1c4a-4e7b-9a0d-5f6e7a8b9c0d")
DRAFT, RUNNING, FINISHED = "draft", "running", "finished"


def rotations_id(workshop_id: UUID) -> UUID:
    return uuid5(ROTATIONS_NAMESPACE, f"rotations/{workshop_id}")


def rotation_id_for(workshop_id: UUID, command_id: str) -> UUID:
    """A rotation's id derives from its workshop and its create command's id: a retried create finds it."""
    return uuid5(ROTATIONS_NAMESPACE, f"{workshop_id}/{command_id}")


class Rotations(Aggregate):
    """A workshop's rotations, in the order they were planned."""

    class Event(Aggregate.Event):
        command_id: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Rotations)
            aggregate.commands[self.command_id] = {}
            self.when(aggregate)

        def when(self, index: Rotations) -> None:
            """How this event changes the index."""

    class Created(Event, Aggregate.Created):
        workshop_id: UUID

    class RotationPlanned(Event):
        """A rotation was planned; it is now the workshop's current one."""

        rotation_id: UUID

        def when(self, index: Rotations) -> None:
            index.rotations.append(self.rotation_id)

    def __init__(self, workshop_id: UUID, command_id: str) -> None:
        self.workshop_id = workshop_id
        self.rotations: list[UUID] = []
        self.commands: dict[str, dict[str, Any]] = {}


class Rotation(Aggregate):
    """One rotation: its settings, its plan (rounds of tables of participant ids), its clock and its log."""

    class Event(Aggregate.Event):
        command_id: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Rotation)
            aggregate.commands[self.command_id] = self.result()
            self.when(aggregate)

        def when(self, rotation: Rotation) -> None:
            """How this event changes the rotation (overridden per event)."""

        def result(self) -> dict[str, Any]:
            return {}

    class Created(Event, Aggregate.Created):
        """The facilitator planned a rotation. ``rounds``: per round ``{"tables": [[participant id, …], …],
        "sitting_out": [participant id, …]}`` (table n is index n - 1); ``quality``: the planner's figures."""

        workshop_id: UUID
        title: str
        table_size: int
        round_seconds: int
        settings: dict[str, Any]
        rounds: tuple[dict[str, Any], ...]
        quality: dict[str, Any]
        seed: int
        agenda_item_id: str

        def result(self) -> dict[str, Any]:
            # How many rounds and how long they take: what a facilitator asking "everyone meets at least M" needs
            return {"rotation_id": str(self.originator_id), "rounds": len(self.rounds),
                    "total_seconds": len(self.rounds) * self.round_seconds}  # fmt: skip

    class Replanned(Event):
        """The rounds from ``from_round`` (1-based) on were planned again (``reason``: who left or arrived, or
        the facilitator asked), without repeating anyone already met where possible."""

        from_round: int
        rounds: tuple[dict[str, Any], ...]
        quality: dict[str, Any]
        reason: str
        participant_id: str
        exclude: tuple[str, ...]

        def when(self, rotation: Rotation) -> None:
            rotation.rounds = [*rotation.rounds[: self.from_round - 1], *self.rounds]
            rotation.settings["exclude"] = list(self.exclude)

    class RoundStarted(Event):
        """Round ``round`` (1-based) began; people move to their tables. ``clock``: a running clock."""

        round: int
        clock: dict[str, Any]

        def when(self, rotation: Rotation) -> None:
            rotation.state, rotation.current = RUNNING, self.round
            rotation.clock = Clock.from_dict(self.clock)

    class ClockChanged(Event):
        """The facilitator paused, resumed or extended the current round (``change``); ``clock``: the result."""

        change: str
        seconds: int
        clock: dict[str, Any]

        def when(self, rotation: Rotation) -> None:
            rotation.clock = Clock.from_dict(self.clock)

    class RoundEnded(Event):
        """Round ``round`` ended (``how``: timer, skipped or finished). ``tables``: who was at each table and
        present when it ended — the meetings held."""

        round: int
        how: str
        tables: tuple[tuple[str, ...], ...]

        def when(self, rotation: Rotation) -> None:
            rotation.held.append([list(t) for t in self.tables])
            rotation.clock = Clock()

    class Finished(Event):
        """The rotation is over (its last round ended, or the facilitator ended it)."""

        def when(self, rotation: Rotation) -> None:
            rotation.state, rotation.clock = FINISHED, Clock()

    class FollowUpMarked(Event):
        """A participant starred (or unstarred) someone they met, to follow up with later. Private to them."""

        participant_id: str
        other_id: str
        starred: bool

        def when(self, rotation: Rotation) -> None:
            stars = rotation.stars.setdefault(self.participant_id, set())
            if self.starred:
                stars.add(self.other_id)
            else:
                stars.discard(self.other_id)

    class CommandNoted(Event):
        """A command that changed nothing was accepted; noted so that a later retry of it is not applied."""

    def __init__(
        self,
        workshop_id: UUID,
        title: str,
        table_size: int,
        round_seconds: int,
        settings: dict[str, Any],
        rounds: tuple[dict[str, Any], ...],
        quality: dict[str, Any],
        seed: int,
        agenda_item_id: str,
        command_id: str,
    ) -> None:
        self.workshop_id = workshop_id
        self.title, self.table_size, self.round_seconds = title, table_size, round_seconds
        self.settings = dict(settings)
        self.rounds: list[dict[str, Any]] = list(rounds)
        self.seed, self.agenda_item_id = seed, agenda_item_id
        self.state = DRAFT
        self.current = 0  # the round under way (or last held); 0 before the first
        self.clock = Clock()
        self.held: list[list[list[str]]] = []  # per round ended: the tables as held
        self.stars: dict[str, set[str]] = {}
        self.commands: dict[str, dict[str, Any]] = {}

    def met(self) -> set[frozenset[str]]:
        """Every pair that has met in a round held so far."""
        pairs: set[frozenset[str]] = set()
        for tables in self.held:
            for table in tables:
                pairs.update(frozenset((a, b)) for i, a in enumerate(table) for b in table[i + 1 :])
        return pairs

    def seated(self) -> set[str]:
        """Everyone the plan seats in some round (present at planning, or added since)."""
        seated = {p for r in self.rounds for t in r["tables"] for p in t}
        return seated | {p for r in self.rounds for p in r["sitting_out"]}
