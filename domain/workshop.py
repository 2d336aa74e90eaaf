"""The Workshop aggregate: its settings, its roster of participants and its agenda.

Low-frequency structure only. High-frequency activity (ballots, answer sheets) will live in aggregates of their
own so that one stream does not serialise the whole room.

Every event carries the id of the command that caused it, so a retried command is recognised from the recorded
history itself (across restarts and processes), never from process memory alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import errors

JOIN_CODE_NAMESPACE = UUID("6f1d7a52-2b0e-4c47-9a43-0b6f2a1d9c11")


@dataclass
class Participant:
    id: str
    name: str
    organisation: str
    country: str
    sector: str
    role: str
    language: str
    token_hash: str
    status: str = "present"  # present | left | removed
    organisation_type: str = ""  # one of values.ORGANISATION_TYPES, or "" (not said)
    anonymous: bool = False  # asked not to be named in the minutes and exports


@dataclass
class AgendaItem:
    id: str
    title: str
    kind: str
    planned_start: str  # "HH:MM", or "YYYY-MM-DDTHH:MM" for a programme over several days (wall time in the zone)
    duration_min: int
    status: str = "planned"  # planned | running | done


class Workshop(Aggregate):
    """A workshop: created by a facilitator, joined by participants, run along an agenda."""

    joins_locked = False  # a class default: workshops (and snapshots) from before the lock existed are open

    class Event(Aggregate.Event):
        command_id: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Workshop)
            aggregate.commands[self.command_id] = self.result()
            self.when(aggregate)

        def when(self, workshop: Workshop) -> None:
            """How this event changes the workshop (overridden per event)."""

        def result(self) -> dict[str, Any]:
            """What a client is told when its command caused this event."""
            return {}

    class Created(Event, Aggregate.Created):
        """A facilitator created the workshop."""

        title: str
        date: str
        venue: str
        language: str
        sectors: tuple[str, ...]
        code: str
        facilitator_token_hash: str
        projector_token_hash: str

    class DetailsChanged(Event):
        """The facilitator changed the workshop's title, date, venue, language or sectors."""

        title: str
        date: str
        venue: str
        language: str
        sectors: tuple[str, ...]

        def when(self, workshop: Workshop) -> None:
            workshop.title, workshop.date, workshop.venue = self.title, self.date, self.venue
            workshop.language, workshop.sectors = self.language, tuple(self.sectors)

    class TimezoneSet(Event):
        """The workshop's IANA time zone (e.g. ``Europe/Rome``) was chosen, at creation or later: every time shown
        is in it. A workshop without this event is in UTC (streams recorded before zones existed)."""

        timezone: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Workshop)
            # Recorded beside Created (or DetailsChanged) under the same command: keep that event's answer.
            aggregate.commands.setdefault(self.command_id, {})
            self.when(aggregate)

        def when(self, workshop: Workshop) -> None:
            workshop.timezone = self.timezone

    class ProjectorLanguagesSet(Event):
        """The projector's own language ("" = the workshop's) and a second one shown smaller below the facilitator's
        text where it was written in both ("" = none)."""

        language: str
        second_language: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Workshop)
            # Recorded beside DetailsChanged under the same command (update_workshop): keep that event's answer.
            aggregate.commands.setdefault(self.command_id, {})
            self.when(aggregate)

        def when(self, workshop: Workshop) -> None:
            workshop.projector_language, workshop.projector_second_language = self.language, self.second_language

    class ParticipantJoined(Event):
        """A participant joined with their profile."""

        participant_id: str
        name: str
        organisation: str
        country: str
        sector: str
        role: str
        language: str
        token_hash: str
        organisation_type: str = ""  # recorded since organisation types were asked; older events have none
        anonymous: bool = False

        def when(self, workshop: Workshop) -> None:
            p = Participant(
                self.participant_id,
                self.name,
                self.organisation,
                self.country,
                self.sector,
                self.role,
                self.language,
                self.token_hash,
                organisation_type=self.organisation_type,
                anonymous=self.anonymous,
            )
            workshop.participants[p.id] = p
            workshop.tokens[p.token_hash] = p.id

        def result(self) -> dict[str, Any]:
            return {"participant_id": self.participant_id}

    class ProfileChanged(Event):
        """A participant edited their profile (all fields carry their new values)."""

        participant_id: str
        name: str
        organisation: str
        country: str
        sector: str
        role: str
        language: str
        organisation_type: str = ""
        anonymous: bool = False

        def when(self, workshop: Workshop) -> None:
            p = workshop.participants[self.participant_id]
            p.name, p.organisation, p.country = self.name, self.organisation, self.country
            p.sector, p.role, p.language = self.sector, self.role, self.language
            p.organisation_type, p.anonymous = self.organisation_type, self.anonymous

    class ParticipantLeft(Event):
        """A participant left the workshop; their token no longer works."""

        participant_id: str

        def when(self, workshop: Workshop) -> None:
            workshop.participants[self.participant_id].status = "left"

    class ParticipantRemoved(Event):
        """The facilitator removed a participant; their token no longer works."""

        participant_id: str

        def when(self, workshop: Workshop) -> None:
            workshop.participants[self.participant_id].status = "removed"

    class JoinsLocked(Event):
        """The facilitator closed the workshop to new joins (those already in stay, and may come back)."""

        def when(self, workshop: Workshop) -> None:
            workshop.joins_locked = True

    class JoinsUnlocked(Event):
        """The facilitator opened the workshop to new joins again."""

        def when(self, workshop: Workshop) -> None:
            workshop.joins_locked = False

    class LinkRotated(Event):
        """The facilitator replaced the facilitator (or projector) link's secret: the old link stops working, and
        screens opened with it are closed."""

        role: str
        token_hash: str

        def when(self, workshop: Workshop) -> None:
            if self.role == "facilitator":
                workshop.facilitator_token_hash = self.token_hash
            else:
                workshop.projector_token_hash = self.token_hash

    class ParticipantErased(Event):
        """A participant's personal data was erased (``by`` themselves or a facilitator): their token no longer
        works, and their key is destroyed once this is committed, so every stored copy of their name,
        organisation and role reads back as "" from then on."""

        participant_id: str
        by: str

        def when(self, workshop: Workshop) -> None:
            p = workshop.participants[self.participant_id]
            p.name = p.organisation = p.role = ""
            p.status, p.anonymous = "erased", True
            workshop.tokens.pop(p.token_hash, None)

    class AgendaItemAdded(Event):
        """The facilitator added an item at the end of the agenda."""

        item_id: str
        title: str
        kind: str
        planned_start: str
        duration_min: int

        def when(self, workshop: Workshop) -> None:
            item = AgendaItem(self.item_id, self.title, self.kind, self.planned_start, self.duration_min)
            workshop.agenda.append(item)

        def result(self) -> dict[str, Any]:
            return {"item_id": self.item_id}

    class AgendaItemChanged(Event):
        """The facilitator edited an agenda item (all fields carry their new values)."""

        item_id: str
        title: str
        kind: str
        planned_start: str
        duration_min: int

        def when(self, workshop: Workshop) -> None:
            item = workshop.item(self.item_id)
            item.title, item.kind = self.title, self.kind
            item.planned_start, item.duration_min = self.planned_start, self.duration_min

    class AgendaItemRemoved(Event):
        """The facilitator removed an agenda item."""

        item_id: str

        def when(self, workshop: Workshop) -> None:
            workshop.agenda = [i for i in workshop.agenda if i.id != self.item_id]
            if workshop.current_item == self.item_id:
                workshop.current_item = None

    class AgendaReordered(Event):
        """The facilitator put the agenda in a new order."""

        item_ids: tuple[str, ...]

        def when(self, workshop: Workshop) -> None:
            by_id = {i.id: i for i in workshop.agenda}
            workshop.agenda = [by_id[i] for i in self.item_ids]

    class AgendaItemStarted(Event):
        """The facilitator started an agenda item (the event's timestamp is when)."""

        item_id: str

        def when(self, workshop: Workshop) -> None:
            workshop.item(self.item_id).status = "running"
            workshop.current_item = self.item_id

    class AgendaItemFinished(Event):
        """The facilitator finished an agenda item."""

        item_id: str

        def when(self, workshop: Workshop) -> None:
            workshop.item(self.item_id).status = "done"
            if workshop.current_item == self.item_id:
                workshop.current_item = None

    class Deleted(Event):
        """The facilitator deleted the workshop. Once this is committed every other stored event of the workshop
        (and of its polls, groups, rotations, matchmaking, timer and notes) is physically deleted and its
        participants' keys are destroyed (``server/purge.py``); this event alone stays, naming nobody, so that the
        workshop can never be loaded, written to or resurrected by a process holding a stale copy."""

        def when(self, workshop: Workshop) -> None:
            workshop.deleted = True

        def mutate(self, aggregate: Any) -> Any:
            # Rebuilt from the store the workshop is gone: the repository then answers "not found" (a cached copy
            # fast-forwarded over this event too).
            if aggregate is not None:
                super().mutate(aggregate)
            return None

    class CommandNoted(Event):
        """A command that changed nothing was accepted (e.g. starting the running item). Noted so that a retry
        of it, arriving after later changes, is recognised as a retry and not applied then."""

    def __init__(
        self,
        title: str,
        date: str,
        venue: str,
        language: str,
        sectors: tuple[str, ...],
        code: str,
        facilitator_token_hash: str,
        projector_token_hash: str,
        command_id: str,
    ) -> None:
        self.title, self.date, self.venue, self.language = title, date, venue, language
        self.sectors = tuple(sectors)
        self.code = code
        self.facilitator_token_hash = facilitator_token_hash
        self.projector_token_hash = projector_token_hash
        self.participants: dict[str, Participant] = {}
        self.tokens: dict[str, str] = {}  # participant token hash -> participant id
        self.agenda: list[AgendaItem] = []
        self.current_item: str | None = None
        self.commands: dict[str, dict[str, Any]] = {command_id: {"code": code}}
        self.deleted = False
        self.timezone = "UTC"  # until a TimezoneSet says otherwise
        self.projector_language = self.projector_second_language = ""  # until ProjectorLanguagesSet: the workshop's

    @classmethod
    def create(cls, workshop_id: UUID, command_id: str, **details: Any) -> Workshop:
        """Create a workshop whose id the caller chose (so the join code index can refer to it)."""
        return cls._create(cls.Created, id=workshop_id, command_id=command_id, **details)

    # Queries used by command handlers.

    def item(self, item_id: str) -> AgendaItem:
        for item in self.agenda:
            if item.id == item_id:
                return item
        raise errors.UnknownAgendaItem(f"no agenda item {item_id[:64]!r}")

    def present(self, participant_id: str) -> Participant:
        p = self.participants.get(participant_id)
        if p is None:
            raise errors.UnknownParticipant(f"no participant {participant_id[:64]!r}")
        if p.status != "present":
            raise errors.NotJoined("this participant has left or was removed")
        return p

    def present_count(self) -> int:
        return sum(1 for p in self.participants.values() if p.status == "present")


class JoinCode(Aggregate):
    """Reserves a join code for one workshop. Its id derives from the code, so two workshops can never take the
    same code: the second save conflicts in the event store (the library's idiom for uniqueness)."""

    class Created(Aggregate.Created):
        workshop_id: UUID

    def __init__(self, workshop_id: UUID) -> None:
        self.workshop_id = workshop_id

    @staticmethod
    def id_for(code: str) -> UUID:
        return uuid5(JOIN_CODE_NAMESPACE, code)

    @classmethod
    def reserve(cls, code: str, workshop_id: UUID) -> JoinCode:
        return cls._create(cls.Created, id=cls.id_for(code), workshop_id=workshop_id)
