"""The workshop read model: a deterministic fold of the workshop's events.

The same fold serves the live dashboards, replay and (later) the minutes. ``apply`` does no I/O and reads no clock:
every time it shows comes from an event's recorded timestamp.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from domain.workshop import Workshop


@dataclass
class ParticipantRow:
    id: str
    name: str
    organisation: str
    country: str
    sector: str
    role: str
    language: str
    token_hash: str
    joined_at: str
    status: str = "present"
    organisation_type: str = ""
    anonymous: bool = False


@dataclass
class ItemRow:
    id: str
    title: str
    kind: str
    planned_start: str
    duration_min: int
    status: str = "planned"
    started_at: str | None = None
    finished_at: str | None = None


@dataclass
class WorkshopModel:
    id: UUID
    title: str = ""
    date: str = ""
    venue: str = ""
    language: str = "en"
    timezone: str = "UTC"  # IANA name; streams without a TimezoneSet are UTC
    projector_language: str = ""  # "" = the workshop's language
    projector_second_language: str = ""  # "" = none
    sectors: tuple[str, ...] = ()
    code: str = ""
    created_at: str = ""
    facilitator_token_hash: str = ""
    projector_token_hash: str = ""
    participants: dict[str, ParticipantRow] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    agenda: list[ItemRow] = field(default_factory=list)
    current_item: str | None = None
    joins_locked: bool = False
    position: int = 0
    version: int = 0  # workshop events folded: what memoised renderings of the roster depend on

    def item(self, item_id: str) -> ItemRow:
        return next(i for i in self.agenda if i.id == item_id)


Fold = Callable[[WorkshopModel, Any], None]


def _created(m: WorkshopModel, e: Workshop.Created) -> None:
    m.title, m.date, m.venue, m.language = e.title, e.date, e.venue, e.language
    m.sectors, m.code, m.created_at = tuple(e.sectors), e.code, e.timestamp.isoformat()
    m.facilitator_token_hash, m.projector_token_hash = e.facilitator_token_hash, e.projector_token_hash


def _details_changed(m: WorkshopModel, e: Workshop.DetailsChanged) -> None:
    m.title, m.date, m.venue, m.language, m.sectors = e.title, e.date, e.venue, e.language, tuple(e.sectors)


def _timezone_set(m: WorkshopModel, e: Workshop.TimezoneSet) -> None:
    m.timezone = e.timezone


def _projector_languages_set(m: WorkshopModel, e: Workshop.ProjectorLanguagesSet) -> None:
    m.projector_language, m.projector_second_language = e.language, e.second_language


def _participant_joined(m: WorkshopModel, e: Workshop.ParticipantJoined) -> None:
    m.participants[e.participant_id] = ParticipantRow(
        e.participant_id,
        e.name,
        e.organisation,
        e.country,
        e.sector,
        e.role,
        e.language,
        e.token_hash,
        e.timestamp.isoformat(),
        organisation_type=e.organisation_type,
        anonymous=e.anonymous,
    )
    m.tokens[e.token_hash] = e.participant_id


def _profile_changed(m: WorkshopModel, e: Workshop.ProfileChanged) -> None:
    p = m.participants[e.participant_id]
    p.name, p.organisation, p.country, p.sector = e.name, e.organisation, e.country, e.sector
    p.role, p.language, p.organisation_type, p.anonymous = e.role, e.language, e.organisation_type, e.anonymous


def _participant_left(m: WorkshopModel, e: Workshop.ParticipantLeft) -> None:
    m.participants[e.participant_id].status = "left"


def _participant_removed(m: WorkshopModel, e: Workshop.ParticipantRemoved) -> None:
    m.participants[e.participant_id].status = "removed"


def _joins_locked(m: WorkshopModel, e: Workshop.JoinsLocked) -> None:
    m.joins_locked = True


def _joins_unlocked(m: WorkshopModel, e: Workshop.JoinsUnlocked) -> None:
    m.joins_locked = False


def _link_rotated(m: WorkshopModel, e: Workshop.LinkRotated) -> None:
    if e.role == "facilitator":
        m.facilitator_token_hash = e.token_hash
    else:
        m.projector_token_hash = e.token_hash


def _participant_erased(m: WorkshopModel, e: Workshop.ParticipantErased) -> None:
    p = m.participants[e.participant_id]
    p.name = p.organisation = p.role = ""
    p.status, p.anonymous = "erased", True
    m.tokens.pop(p.token_hash, None)


def _item_added(m: WorkshopModel, e: Workshop.AgendaItemAdded) -> None:
    m.agenda.append(ItemRow(e.item_id, e.title, e.kind, e.planned_start, e.duration_min))


def _item_changed(m: WorkshopModel, e: Workshop.AgendaItemChanged) -> None:
    item = m.item(e.item_id)
    item.title, item.kind, item.planned_start, item.duration_min = (e.title, e.kind, e.planned_start, e.duration_min)


def _item_removed(m: WorkshopModel, e: Workshop.AgendaItemRemoved) -> None:
    m.agenda = [i for i in m.agenda if i.id != e.item_id]
    if m.current_item == e.item_id:
        m.current_item = None


def _reordered(m: WorkshopModel, e: Workshop.AgendaReordered) -> None:
    by_id = {i.id: i for i in m.agenda}
    m.agenda = [by_id[i] for i in e.item_ids]


def _item_started(m: WorkshopModel, e: Workshop.AgendaItemStarted) -> None:
    item = m.item(e.item_id)
    item.status, item.started_at, item.finished_at = "running", e.timestamp.isoformat(), None
    m.current_item = e.item_id


def _item_finished(m: WorkshopModel, e: Workshop.AgendaItemFinished) -> None:
    item = m.item(e.item_id)
    item.status, item.finished_at = "done", e.timestamp.isoformat()
    if m.current_item == e.item_id:
        m.current_item = None


HANDLERS: dict[type, Fold] = {
    Workshop.Created: _created,
    Workshop.DetailsChanged: _details_changed,
    Workshop.TimezoneSet: _timezone_set,
    Workshop.ProjectorLanguagesSet: _projector_languages_set,
    Workshop.ParticipantJoined: _participant_joined,
    Workshop.ProfileChanged: _profile_changed,
    Workshop.ParticipantLeft: _participant_left,
    Workshop.ParticipantRemoved: _participant_removed,
    Workshop.ParticipantErased: _participant_erased,
    Workshop.LinkRotated: _link_rotated,
    Workshop.JoinsLocked: _joins_locked,
    Workshop.JoinsUnlocked: _joins_unlocked,
    Workshop.AgendaItemAdded: _item_added,
    Workshop.AgendaItemChanged: _item_changed,
    Workshop.AgendaItemRemoved: _item_removed,
    Workshop.AgendaReordered: _reordered,
    Workshop.AgendaItemStarted: _item_started,
    Workshop.AgendaItemFinished: _item_finished,
}


def apply(model: WorkshopModel, event: Any, position: int) -> WorkshopModel:
    """Fold one event (recorded at ``position``) into the model. Events of other aggregates are ignored."""
    handler = HANDLERS.get(type(event))
    if handler is not None and event.originator_id == model.id:
        handler(model, event)
        model.version += 1
    model.position = max(model.position, position)
    return model


def fold(workshop_id: UUID, events: Iterable[tuple[int, Any]]) -> WorkshopModel:
    """Build the model from a whole stream of ``(position, event)`` at once."""
    model = WorkshopModel(workshop_id)
    for position, event in events:
        apply(model, event, position)
    return model
