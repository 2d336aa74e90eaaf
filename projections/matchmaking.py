"""Matchmaking's read model: a deterministic fold of a workshop's matchmaking events, and the views rendered from
it — the facilitator's (requests, the schedule by slot, its quality), the projector's (who meets whom at which
table, once published), each participant's (their requests, notes and agenda; nobody else's notes), the searchable
catalogue and suggested matches.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from uuid import UUID

from domain.matchmaking import ACCEPTED, PENDING, Matchmaking
from domain.planning.matching import Candidate, suggest
from domain.planning.meetings import Instance, Participant
from projections.workshop import ParticipantRow, WorkshopModel


@dataclass
class MeetingRow:
    id: str
    requester: str
    recipient: str
    note: str
    status: str
    by_facilitator: bool
    requested_at: str
    slot: int | None = None
    table: int | None = None
    attendance: str = ""
    outcome: str = ""
    outcome_text: str = ""


@dataclass
class MatchModel:
    workshop_id: UUID
    slots: list[dict[str, str]] = field(default_factory=list)
    tables: int = 0
    requires_acceptance: bool = True
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    unavailable: dict[str, list[int]] = field(default_factory=dict)
    meetings: dict[str, MeetingRow] = field(default_factory=dict)
    schedule: dict[str, Any] = field(default_factory=dict)  # the last Scheduled's info, version, when
    moved: list[dict[str, Any]] = field(default_factory=list)
    published: bool = False
    changes_since: int = 0
    position: int = 0


@dataclass
class MatchIndex:
    models: dict[UUID, MatchModel] = field(default_factory=dict)
    owners: dict[UUID, UUID] = field(default_factory=dict)


def apply_any(index: MatchIndex, event: Any, position: int) -> MatchModel | None:
    if not isinstance(event, Matchmaking.Event):
        return None
    workshop_id = getattr(event, "workshop_id", None) or index.owners.get(event.originator_id)
    if workshop_id is None:
        return None
    index.owners[event.originator_id] = workshop_id
    model = index.models.setdefault(workshop_id, MatchModel(workshop_id))
    apply(model, event, position)
    return model


def apply(m: MatchModel, e: Any, position: int) -> None:
    m.position = position
    if isinstance(e, Matchmaking.Configured):
        m.slots, m.tables, m.requires_acceptance = [dict(s) for s in e.slots], e.tables, e.requires_acceptance
    elif isinstance(e, Matchmaking.ProfileSaved):
        m.profiles[e.participant_id] = {
            "offers": e.offers, "seeks": e.seeks, "sectors": list(e.sectors), "value_chain": e.value_chain,
            "markets": list(e.markets),
        }  # fmt: skip
    elif isinstance(e, Matchmaking.AvailabilitySet):
        m.unavailable[e.participant_id] = list(e.unavailable)
    elif isinstance(e, Matchmaking.MeetingRequested):
        m.meetings[e.meeting_id] = MeetingRow(e.meeting_id, e.requester, e.recipient, e.note, e.status,
                                              e.by_facilitator, e.timestamp.isoformat())  # fmt: skip
        m.changes_since += 1
    elif isinstance(e, Matchmaking.MeetingAnswered):
        row = m.meetings[e.meeting_id]
        row.status = e.status
        if e.status != ACCEPTED:
            row.slot = row.table = None
        m.changes_since += 1
    elif isinstance(e, Matchmaking.Scheduled):
        for row in m.meetings.values():
            row.slot = row.table = None
        for meeting_id, slot, table in e.placements:
            m.meetings[meeting_id].slot, m.meetings[meeting_id].table = slot, table
        m.schedule = {**dict(e.info), "version": e.originator_version, "at": e.timestamp.isoformat()}
        m.moved = [dict(x) for x in e.moved]
        m.changes_since = 0
    elif isinstance(e, Matchmaking.SchedulePublished):
        m.published = True
    elif isinstance(e, Matchmaking.AttendanceMarked):
        m.meetings[e.meeting_id].attendance = e.attendance
    elif isinstance(e, Matchmaking.OutcomeRecorded):
        m.meetings[e.meeting_id].outcome, m.meetings[e.meeting_id].outcome_text = e.outcome, e.text


# Views.


def person(p: ParticipantRow | None, pid: str) -> dict[str, Any]:
    if p is None:
        return {"id": pid, "name": "", "organisation": "", "country": ""}
    return {"id": pid, "name": p.name, "organisation": p.organisation, "country": p.country}


def _placed(row: MeetingRow) -> dict[str, Any]:
    """Slot and table as people count them (from 1); None when not scheduled."""
    return {"slot": row.slot, "table": None if row.table is None else row.table + 1}


def counts(m: MatchModel) -> dict[str, int]:
    by = Counter(r.status for r in m.meetings.values())
    return {
        "profiles": len(m.profiles), "requests": len(m.meetings), "pending": by[PENDING],
        "accepted": by[ACCEPTED], "declined": by["declined"], "withdrawn": by["withdrawn"],
        "removed": by["removed"], "scheduled": sum(1 for r in m.meetings.values() if r.slot is not None),
        "held": sum(1 for r in m.meetings.values() if r.attendance == "held"),
        "no_show": sum(1 for r in m.meetings.values() if r.attendance == "no_show"),
        "outcomes": sum(1 for r in m.meetings.values() if r.outcome),
    }  # fmt: skip


def _settings(m: MatchModel) -> dict[str, Any]:
    return {"slots": list(m.slots), "tables": m.tables, "requires_acceptance": m.requires_acceptance}


def by_slot(m: MatchModel, model: WorkshopModel) -> list[list[dict[str, Any]]]:
    """Per slot, its meetings in table order: the printable table plan."""
    rows: list[list[dict[str, Any]]] = [[] for _ in m.slots]
    for r in m.meetings.values():
        if r.slot is not None and r.table is not None and r.slot < len(rows):
            rows[r.slot].append({
                "meeting_id": r.id, "table": r.table + 1, "a": person(model.participants.get(r.requester), r.requester),
                "b": person(model.participants.get(r.recipient), r.recipient), "attendance": r.attendance,
            })  # fmt: skip
    return [sorted(slot, key=lambda x: x["table"]) for slot in rows]


def dashboard_view(m: MatchModel | None, model: WorkshopModel, solving: bool = False) -> dict[str, Any] | None:
    if m is None:
        return None
    names = model.participants
    meetings = [
        {
            "id": r.id, "a": person(names.get(r.requester), r.requester),
            "b": person(names.get(r.recipient), r.recipient),
            "note": r.note, "status": r.status, "by_facilitator": r.by_facilitator, **_placed(r),
            "attendance": r.attendance, "outcome": r.outcome, "outcome_text": r.outcome_text,
        }
        for r in m.meetings.values()
    ]  # fmt: skip
    return {
        **_settings(m), "counts": counts(m), "meetings": meetings, "schedule": dict(m.schedule) or None,
        "published": m.published, "stale": bool(m.schedule) and m.changes_since > 0, "moved": m.moved[-50:],
        "by_slot": by_slot(m, model) if m.schedule else [], "solving": solving,
    }  # fmt: skip


def projector_view(m: MatchModel | None, model: WorkshopModel) -> dict[str, Any] | None:
    """Once published: the slots and, per slot, who meets whom at which table (names and organisations)."""
    if m is None or not m.published:
        return None
    return {"slots": list(m.slots), "by_slot": by_slot(m, model)}


def participant_shared(m: MatchModel | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {**_settings(m), "published": m.published}


def participant_view(m: MatchModel | None, model: WorkshopModel, pid: str) -> dict[str, Any] | None:
    """One participant's own: their profile, unavailable slots, requests made and received (with their notes),
    and, once published, their agenda. Nothing of other people's meetings."""
    if m is None:
        return None
    names = model.participants
    mine = [r for r in m.meetings.values() if pid in (r.requester, r.recipient)]

    def row(r: MeetingRow) -> dict[str, Any]:
        other = r.recipient if r.requester == pid else r.requester
        return {
            "id": r.id, "with": person(names.get(other), other), "note": r.note, "status": r.status,
            "mine": r.requester == pid, "by_facilitator": r.by_facilitator, "attendance": r.attendance,
            "outcome": r.outcome, "outcome_text": r.outcome_text,
            **(_placed(r) if m.published else {"slot": None, "table": None}),
        }  # fmt: skip

    # Before publication row() hides the slots (all None): there is no agenda to sort.
    placed = [r for r in mine if r.status == ACCEPTED and r.slot is not None] if m.published else []
    return {
        "profile": m.profiles.get(pid),
        "unavailable": m.unavailable.get(pid, []),
        "requests": [row(r) for r in mine],
        "agenda": sorted((row(r) for r in placed), key=lambda x: x["slot"]),
    }


def candidates(m: MatchModel | None, model: WorkshopModel) -> list[Candidate]:
    out = []
    for p in model.participants.values():
        if p.status != "present":
            continue
        prof = (m.profiles.get(p.id) if m else None) or {}
        sectors = tuple(prof.get("sectors") or ()) or ((p.sector,) if p.sector else ())
        out.append(Candidate(p.id, p.organisation, p.country, sectors, prof.get("offers", ""), prof.get("seeks", ""),
                             prof.get("value_chain", ""), tuple(prof.get("markets") or ())))  # fmt: skip
    return out


# How much a query word found in each field counts: whom one is looking for is named by people and organisations
# more than by a word in someone's offers. An exact word counts more than a word it only begins.
SEARCH_WEIGHTS = {"name": 4, "organisation": 4, "sectors": 2, "offers": 1, "seeks": 1}
EXACT, PREFIX = 2, 1


# At most this many (distinct) query words are searched: each is compared with every word of every profile, so a
# query of a hundred words made each search a hundred times slower (about a second with 300 people).
QUERY_WORDS = 8


def search_words(text: str) -> list[str]:
    """The words of ``text`` as search compares them: accents and case folded, split at anything not a letter or
    digit ("Agri-food" is "agri" and "food")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return re.findall(r"\w+", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def query_words(query: str) -> list[str]:
    """The words a query searches for: folded as ``search_words``, each once, the first ``QUERY_WORDS`` of them."""
    return list(dict.fromkeys(search_words(query)))[:QUERY_WORDS]


@lru_cache(maxsize=8192)
def _field_words(text: str) -> frozenset[str]:
    """A field's distinct folded words, cached by the field's text: a changed profile is a new key, so nothing
    needs invalidating, and a catalogue search does not fold every offer again."""
    return frozenset(search_words(text))


def relevance(query: list[str], fields: dict[str, str]) -> int:
    """How well ``fields`` answer ``query`` (0: not at all). Every query word must begin some word of some field;
    each adds its best field weight times 2 for an exact word, times 1 for a prefix."""
    words = {name: _field_words(text) for name, text in fields.items()}
    total = 0
    for q in query:
        best = 0
        for name, field_words in words.items():
            kind = EXACT if q in field_words else PREFIX if any(w.startswith(q) for w in field_words) else 0
            best = max(best, kind * SEARCH_WEIGHTS[name])
        if not best:
            return 0
        total += best
    return total


def configured(m: MatchModel | None) -> bool:
    """Whether the facilitator set matchmaking up (its slots): before that there is no catalogue to browse."""
    return m is not None and bool(m.slots)


def _named(p: ParticipantRow, reader: str | None) -> tuple[str, str]:
    """Name and organisation as ``reader`` (a participant id; None: the facilitator) may see them: someone who asked
    not to be named shows to the others as neither (their offers, requests, country and sectors still match), and
    to themselves and the facilitator as they are (as everywhere else live, docs/privacy.md)."""
    if p.anonymous and reader is not None and reader != p.id:
        return "", ""
    return p.name, p.organisation


def catalogue(
    m: MatchModel | None,
    model: WorkshopModel,
    *,
    reader: str | None = None,
    query: str = "",
    country: str = "",
    sector: str = "",
    organisation_type: str = "",
) -> list[dict[str, Any]]:
    """Everyone present who made a matchmaking profile, filtered, with names as ``reader`` may see them
    (``_named``). ``query`` matches the beginnings of words in names, organisations, sectors, offers and requests
    (accents and case ignored; every query word must match; an anonymous person is not found by the name or
    organisation the reader may not see), and orders the answer by relevance (see ``relevance``), ties in name
    order; without a query, name order. Built in two steps so that a server can rank off its event loop:
    ``catalogue_entries`` reads the model, ``rank`` works on that snapshot alone."""
    return rank(catalogue_entries(m, model, reader=reader, country=country, sector=sector,
                                  organisation_type=organisation_type), query)  # fmt: skip


@dataclass(frozen=True)
class Entry:
    """One person of the catalogue, as ``reader`` may see them: the fields search reads, and the row shown."""

    name: str
    fields: dict[str, str]
    row: dict[str, Any]


def catalogue_entries(
    m: MatchModel | None,
    model: WorkshopModel,
    *,
    reader: str | None = None,
    country: str = "",
    sector: str = "",
    organisation_type: str = "",
) -> list[Entry]:
    """The catalogue's people after the filters, unranked: fresh values, not the model's own (``rank`` may run in
    another thread while the model changes)."""
    out = []
    for c in candidates(m, model):
        p = model.participants[c.id]
        if m is None or c.id not in m.profiles:
            continue  # present, but not taking part in the matchmaking: not listed
        if (country and p.country != country) or (organisation_type and p.organisation_type != organisation_type):
            continue
        if sector and search_words(sector) not in [search_words(s) for s in c.sectors]:
            continue
        name, organisation = _named(p, reader)
        fields = {"name": name, "organisation": organisation, "sectors": " ".join(c.sectors),
                  "offers": c.offers, "seeks": c.seeks}  # fmt: skip
        out.append(Entry(name, fields, {
            "id": c.id, "name": name, "organisation": organisation, "organisation_type": p.organisation_type,
            "country": p.country, "sectors": list(c.sectors), "offers": c.offers, "seeks": c.seeks,
            "value_chain": c.value_chain, "markets": list(c.markets), "anonymous": not name,
        }))  # fmt: skip
    return out


def rank(entries: list[Entry], query: str) -> list[dict[str, Any]]:
    """The entries ``query`` finds (all without one), by relevance then name (see ``catalogue``)."""
    wanted = query_words(query)
    out = []
    for e in entries:
        score = relevance(wanted, e.fields) if wanted else 0
        if wanted and not score:
            continue
        out.append((-score, e.name.casefold(), e.row["id"], e.row))
    return [row for *_, row in sorted(out, key=lambda x: x[:3])]


def suggestions(
    m: MatchModel | None, model: WorkshopModel, pid: str, limit: int = 10, reader: str | None = None
) -> list[dict[str, Any]]:
    """``pid``'s best matches among those who made a matchmaking profile, named as ``reader`` may see them."""
    everyone = [c for c in candidates(m, model) if c.id == pid or (m is not None and c.id in m.profiles)]
    me = next((c for c in everyone if c.id == pid), None)
    if me is None:
        return []
    out = []
    for s in suggest(me, everyone, limit):
        row = person(model.participants.get(s.id), s.id)
        row["name"], row["organisation"] = _named(model.participants[s.id], reader)
        out.append({**row, "score": s.score, "reasons": s.reasons})
    return out


def instance(m: MatchModel, model: WorkshopModel) -> tuple[Instance, list[str]]:
    """The scheduler's input as the read model sees it (the same rule as domain/match_commands.instance): accepted
    meetings between present people, their availability, and the announced places once published."""
    present = {p.id for p in model.participants.values() if p.status == "present"}
    rows = [
        r for r in m.meetings.values() if r.status == ACCEPTED and r.requester in present and r.recipient in present
    ]
    people = sorted({p for r in rows for p in (r.requester, r.recipient)})
    previous = {
        i: (r.slot, r.table) for i, r in enumerate(rows) if r.slot is not None and r.table is not None
    } if m.published else None  # fmt: skip
    return Instance(
        slots=len(m.slots), tables=m.tables,
        participants=[Participant(p, frozenset(m.unavailable.get(p, ()))) for p in people],
        meetings=[(r.requester, r.recipient) for r in rows], previous=previous,
    ), [r.id for r in rows]  # fmt: skip
