"""What ``tavolo import`` checks before it writes anything: every row of the file belongs to the imported workshop.

An export file is data from outside: edited, it could carry a row of *another* workshop's stream (a
``LinkRotated`` with the victim's id and the next version swaps the victim's facilitator token for the
attacker's). The store would take it: the row's (originator, version) is free. So, per row:

1. its topic names a class in our ``domain`` package — checked on the string, *before* the mapper imports the
   topic's module (a file naming ``antigravity:…`` must not get a module imported) — and it decodes to a known event
   class and upcasts (an unknown topic or damaged state is refused);
2. its aggregate's versions run from 1 without gaps, in file order;
3. version 1 is a *created* event: the workshop's own (the header's id, first row), or an aggregate whose created
   event names the workshop (``workshop_id``) **and** whose id is the one Tavolo derives for it from that workshop
   (``DERIVED``: the same functions the commands use), so a file cannot plant, say, another workshop's notes or
   timer before that workshop makes them. An aggregate kind missing from ``DERIVED`` is refused: a new aggregate
   must say how its id is derived (``tests/server/test_archive_trust.py`` checks every aggregate in domain/ is
   listed). A created event's ``originator_topic`` (the class the aggregate is rebuilt as) must be that aggregate's;
4. every later row of a stream is an event of the same aggregate class as its created event (a ``Poll.Closed``
   appended to the workshop's stream decodes, but the workshop would then fail to load).

The personal-data keys in the header must be those of the workshop's own participants, and must not differ from a
key the store already holds for that id. Any failure raises ``ArchiveError`` naming the row (1 = the first event
after the header) and nothing is imported.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain.annotations import Notes, notes_id
from domain.answer_sheets import AnswerSheet, sheet_id_for
from domain.groups import GroupWork, QuestionSet, Split, group_work_id, question_set_id_for, split_id_for
from domain.matchmaking import Matchmaking, matchmaking_id
from domain.poll_commands import poll_id_for
from domain.polls import Poll
from domain.rotations import Rotation, Rotations, rotation_id_for, rotations_id
from domain.timers import Timer, timer_id
from domain.workshop import JoinCode, Workshop

# How each aggregate's id derives from its created event (and so from its workshop): the commands' own functions.
DERIVED: dict[type, Callable[[Any, Workshop.Created], UUID]] = {
    JoinCode.Created: lambda e, w: JoinCode.id_for(w.code),
    Poll.Created: lambda e, w: poll_id_for(e.workshop_id, e.command_id),
    GroupWork.Created: lambda e, w: group_work_id(e.workshop_id),
    Split.Created: lambda e, w: split_id_for(e.workshop_id, e.command_id),
    QuestionSet.Created: lambda e, w: question_set_id_for(e.workshop_id, e.command_id),
    AnswerSheet.Created: lambda e, w: sheet_id_for(e.question_set_id, e.group_id),
    Notes.Created: lambda e, w: notes_id(e.workshop_id),
    Rotations.Created: lambda e, w: rotations_id(e.workshop_id),
    Rotation.Created: lambda e, w: rotation_id_for(e.workshop_id, e.command_id),
    Matchmaking.Created: lambda e, w: matchmaking_id(e.workshop_id),
    Timer.Created: lambda e, w: timer_id(e.workshop_id),
}


DOMAIN_TOPIC = "domain."  # every event class we store lives in the domain package


class ForeignRow(Exception):
    """A row that is not the imported workshop's (``code`` and ``message`` as ``ArchiveError`` takes them)."""

    def __init__(self, row: int, code: str, message: str) -> None:
        where = f"row {row}" if row else "header"
        super().__init__(f"{where}: {message}")
        self.row, self.code, self.message = row, code, f"{where}: {message}"


def check_rows(decode: Callable[[StoredEvent], Any], workshop_id: UUID, rows: list[StoredEvent]) -> list[Any]:
    """The rows' domain events, if every row is the workshop's; else ``ForeignRow`` for the first that is not."""
    versions: dict[UUID, int] = {}
    kinds: dict[UUID, str] = {}  # each stream's aggregate class, as "module:Qualname" (its created event's)
    events: list[Any] = []
    created: Workshop.Created | None = None
    for n, row in enumerate(rows, 1):
        if not row.topic.startswith(DOMAIN_TOPIC):
            raise ForeignRow(n, "bad_file", f"the topic {row.topic[:80]!a} is not one of Tavolo's events")
        try:
            event = decode(row)
        except Exception as e:  # an unknown topic, damaged state or a failed upcast: the library raises many kinds
            raise ForeignRow(n, "bad_file", f"does not decode to a known event ({type(e).__name__}: {e})") from None
        originator = UUID(str(row.originator_id))
        expected = versions.get(originator, 0) + 1
        if row.originator_version != expected:
            raise ForeignRow(
                n, "foreign_event",
                f"aggregate {originator} version {row.originator_version} where this file's version {expected} "
                "was due (versions must run from 1 without gaps: this row continues a stream the file does not "
                "hold, such as another workshop's)",
            )  # fmt: skip
        versions[originator] = expected
        kind = _aggregate_of(event)
        if expected == 1:
            created = _check_created(n, event, originator, workshop_id, created, set(versions))
            if getattr(event, "originator_topic", None) != kind:
                raise ForeignRow(n, "foreign_event", f"{type(event).__qualname__} would rebuild its aggregate as "
                                 f"{str(getattr(event, 'originator_topic', ''))[:80]!a}")  # fmt: skip
            kinds[originator] = kind
        elif kind != kinds[originator]:
            raise ForeignRow(
                n, "foreign_event", f"{type(event).__qualname__} is not an event of {kinds[originator]} {originator}"
            )
        events.append(event)
    if created is None:
        raise ForeignRow(1, "bad_file", "the file holds no events")
    return events


def _aggregate_of(event: Any) -> str:
    """The topic of the aggregate class ``event``'s class is nested in ("domain.polls:Poll" for ``Poll.Closed``)."""
    cls = type(event)
    outer = sys.modules[cls.__module__]
    for part in cls.__qualname__.split(".")[:-1]:
        outer = getattr(outer, part)
    return get_topic(outer) if isinstance(outer, type) else "?"


def _check_created(
    n: int, event: Any, originator: UUID, workshop_id: UUID, workshop: Workshop.Created | None, owned: set[UUID]
) -> Workshop.Created:
    if workshop is None:
        if not isinstance(event, Workshop.Created) or originator != workshop_id:
            raise ForeignRow(n, "foreign_event", f"the first event must create workshop {workshop_id}")
        return event
    if not isinstance(event, Aggregate.Created):
        raise ForeignRow(n, "foreign_event", f"aggregate {originator} starts with {type(event).__qualname__}")
    derive = DERIVED.get(type(event))
    if derive is None:
        raise ForeignRow(n, "foreign_event", f"{type(event).__qualname__} is not a kind of aggregate a workshop has")
    if getattr(event, "workshop_id", None) != workshop_id:
        raise ForeignRow(n, "foreign_event", f"{type(event).__qualname__} names another workshop")
    if derive(event, workshop) != originator:
        raise ForeignRow(
            n, "foreign_event", f"{type(event).__qualname__} has id {originator}, not the id derived from its workshop"
        )
    if isinstance(event, AnswerSheet.Created) and event.question_set_id not in owned:
        raise ForeignRow(n, "foreign_event", "an answer sheet of a question set this file does not hold")
    return workshop


def check_keys(keys: Any, events: list[Any], held: Callable[[str], bytes | None]) -> Mapping[str, bytes]:
    """The header's personal keys, if each is a key of one of the workshop's participants and the store holds no
    other key for that id (a participant id is global: a key for someone else's id would let this workshop's
    erasure destroy theirs); else ``ForeignRow`` (row 0: the header)."""
    if not isinstance(keys, dict) or not all(isinstance(k, str) and isinstance(v, bytes) for k, v in keys.items()):
        raise ForeignRow(0, "bad_file", "the header's personal keys are damaged")
    people = {str(e.participant_id) for e in events if isinstance(e, Workshop.ParticipantJoined)}
    for owner in keys:
        if owner not in people:
            raise ForeignRow(0, "foreign_event", f"the header holds a key for {owner[:40]!r}, not a participant here")
    for owner in sorted(people):
        found = held(owner)
        if found is not None and found != keys.get(owner):
            raise ForeignRow(0, "conflict", f"participant {owner} already has another key in this store")
    return keys
