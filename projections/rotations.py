"""Rotations' read model: a deterministic fold of a workshop's rotations (plan, clock, meeting log, stars), and the
views the dashboard, the projector and each participant see.

``apply_any(index, event, position)`` routes a rotation event to its workshop's model; no I/O, no clock (the
views take ``now`` only to say nothing beyond what the recorded clock says: screens count down themselves).
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from domain.rotations import DRAFT, Rotation, Rotations
from projections.workshop import ParticipantRow, WorkshopModel


@dataclass
class Meeting:
    """One table of one round as held: who met, when the round ended."""

    round: int
    table: int
    members: tuple[str, ...]
    at: str


@dataclass
class RotationRow:
    id: UUID
    title: str
    table_size: int
    round_seconds: int
    settings: dict[str, Any]
    rounds: list[dict[str, Any]]
    quality: dict[str, Any]
    created_at: str
    agenda_item_id: str
    state: str = DRAFT
    current: int = 0
    clock: dict[str, Any] = field(default_factory=lambda: {"state": "stopped", "ends_at": "", "remaining_ms": 0,
                                                            "duration_ms": 0})  # fmt: skip
    started_at: str = ""
    finished_at: str = ""
    log: list[Meeting] = field(default_factory=list)
    rounds_held: int = 0
    replans: list[dict[str, Any]] = field(default_factory=list)
    stars: dict[str, set[str]] = field(default_factory=dict)
    position: int = 0

    def met_by(self, participant_id: str) -> dict[str, int]:
        """Who this participant has met, and in which round (the first time)."""
        met: dict[str, int] = {}
        for m in self.log:
            if participant_id in m.members:
                for other in m.members:
                    if other != participant_id:
                        met.setdefault(other, m.round)
        return met


@dataclass
class RotationsModel:
    workshop_id: UUID
    rotations: dict[UUID, RotationRow] = field(default_factory=dict)
    order: list[UUID] = field(default_factory=list)
    position: int = 0

    @property
    def current(self) -> RotationRow | None:
        return self.rotations.get(self.order[-1]) if self.order else None


@dataclass
class RotationsIndex:
    models: dict[UUID, RotationsModel] = field(default_factory=dict)
    owners: dict[UUID, UUID] = field(default_factory=dict)  # rotation id -> workshop id


def apply_any(index: RotationsIndex, event: Any, position: int) -> RotationsModel | None:
    """Fold a rotation event into its workshop's model; None for events that are not rotations'."""
    if not isinstance(event, Rotation.Event | Rotations.Event):
        return None
    workshop_id = getattr(event, "workshop_id", None) or index.owners.get(event.originator_id)
    if workshop_id is None:
        return None
    index.owners[event.originator_id] = workshop_id
    model = index.models.get(workshop_id)
    if model is None:
        model = index.models[workshop_id] = RotationsModel(workshop_id)
    apply(model, event, position)
    return model


def apply(model: RotationsModel, event: Any, position: int) -> None:
    model.position = position
    if isinstance(event, Rotations.Event):
        if isinstance(event, Rotations.RotationPlanned):
            model.order.append(event.rotation_id)
        return
    if isinstance(event, Rotation.Created):
        model.rotations[event.originator_id] = RotationRow(
            event.originator_id, event.title, event.table_size, event.round_seconds, dict(event.settings),
            [dict(r) for r in event.rounds], dict(event.quality), event.timestamp.isoformat(), event.agenda_item_id,
        )  # fmt: skip
    row = model.rotations.get(event.originator_id)
    if row is None:
        return
    row.position = position
    if isinstance(event, Rotation.Replanned):
        row.rounds = [*row.rounds[: event.from_round - 1], *(dict(r) for r in event.rounds)]
        row.quality = dict(event.quality)
        row.settings["exclude"] = list(event.exclude)
        row.replans.append({
            "from_round": event.from_round, "reason": event.reason, "participant_id": event.participant_id,
            "at": event.timestamp.isoformat(),
        })  # fmt: skip
    elif isinstance(event, Rotation.RoundStarted):
        row.state, row.current, row.clock = "running", event.round, dict(event.clock)
        row.started_at = row.started_at or event.timestamp.isoformat()
    elif isinstance(event, Rotation.ClockChanged):
        row.clock = dict(event.clock)
    elif isinstance(event, Rotation.RoundEnded):
        row.rounds_held += 1
        at = event.timestamp.isoformat()
        for number, members in enumerate(event.tables, start=1):
            if len(members) > 1:
                row.log.append(Meeting(event.round, number, tuple(members), at))
        row.clock = {"state": "stopped", "ends_at": "", "remaining_ms": 0, "duration_ms": 0}
    elif isinstance(event, Rotation.Finished):
        row.state, row.finished_at = "finished", event.timestamp.isoformat()
        row.clock = {"state": "stopped", "ends_at": "", "remaining_ms": 0, "duration_ms": 0}
    elif isinstance(event, Rotation.FollowUpMarked):
        stars = row.stars.setdefault(event.participant_id, set())
        if event.starred:
            stars.add(event.other_id)
        else:
            stars.discard(event.other_id)


# Views.


def _person(p: ParticipantRow | None, pid: str) -> dict[str, Any]:
    if p is None:
        return {"id": pid, "name": "", "organisation": "", "country": "", "sector": ""}
    return {"id": pid, "name": p.name, "organisation": p.organisation, "country": p.country, "sector": p.sector}


def _round(row: RotationRow, number: int) -> dict[str, Any] | None:
    return row.rounds[number - 1] if 1 <= number <= len(row.rounds) else None


def _common(row: RotationRow) -> dict[str, Any]:
    return {
        "id": str(row.id), "title": row.title, "state": row.state, "table_size": row.table_size,
        "round_seconds": row.round_seconds, "rounds": len(row.rounds), "current": row.current,
        "clock": dict(row.clock), "agenda_item_id": row.agenda_item_id,
    }  # fmt: skip


def _tables(row: RotationRow, model: WorkshopModel, number: int) -> list[dict[str, Any]]:
    found = _round(row, number)
    if found is None:
        return []
    names = model.participants
    return [
        {"table": i, "members": [_person(names.get(pid), pid) for pid in table]}
        for i, table in enumerate(found["tables"], start=1)
    ]


def dashboard_view(rows: RotationsModel | None, model: WorkshopModel, online: Set[str]) -> dict[str, Any] | None:
    """The facilitator's: the plan, progress, the quality figures, who is absent, the meetings held."""
    row = rows.current if rows is not None else None
    if row is None:
        return None
    shown = row.current if row.current else 1
    seated = {p for t in (_round(row, shown) or {"tables": []})["tables"] for p in t}
    excluded = set(row.settings.get("exclude", ()))
    absent = sorted(
        (pid for pid in seated if pid not in online and pid not in excluded),
        key=lambda pid: (getattr(model.participants.get(pid), "name", ""), pid),
    )
    nxt = _round(row, row.current + 1) if row.state != "finished" else None
    return {
        **_common(row),
        "quality": dict(row.quality),
        "settings": {k: v for k, v in row.settings.items() if k != "exclude"},
        "excluded": list(row.settings.get("exclude", ())),
        "tables": _tables(row, model, shown),
        "sitting_out": [
            _person(model.participants.get(p), p) for p in (_round(row, shown) or {}).get("sitting_out", [])
        ],
        "next_tables": len(nxt["tables"]) if nxt else 0,
        "absent": [_person(model.participants.get(p), p) for p in absent],
        "meetings_held": len(row.log),
        "rounds_held": row.rounds_held,
        "replans": row.replans[-5:],
    }


def projector_view(rows: RotationsModel | None, model: WorkshopModel) -> dict[str, Any] | None:
    """The room's: countdown, round number, and where everyone sits (names only: a map to find one's table)."""
    row = rows.current if rows is not None else None
    if row is None or row.state == DRAFT:
        return None
    shown = row.current
    tables = [
        {"table": t["table"], "names": [m["name"] for m in t["members"]]} for t in _tables(row, model, shown)
    ] if row.state == "running" else []  # fmt: skip
    return {**_common(row), "tables": tables}


def participant_shared(rows: RotationsModel | None) -> dict[str, Any] | None:
    row = rows.current if rows is not None else None
    if row is None or row.state == DRAFT:
        return None
    return _common(row)


def _seat(row: RotationRow, model: WorkshopModel, number: int, pid: str) -> dict[str, Any] | None:
    found = _round(row, number)
    if found is None:
        return None
    if pid in found["sitting_out"]:
        return {"round": number, "table": None, "partners": [], "sitting_out": True}
    for i, table in enumerate(found["tables"], start=1):
        if pid in table:
            partners = [_person(model.participants.get(o), o) for o in table if o != pid]
            return {"round": number, "table": i, "partners": partners, "sitting_out": False}
    return None


def participant_view(rows: RotationsModel | None, model: WorkshopModel, pid: str) -> dict[str, Any] | None:
    """One participant's: where to go now, who they meet, the next round, who they have met, their stars."""
    row = rows.current if rows is not None else None
    if row is None or row.state == DRAFT:
        return None
    met = row.met_by(pid)
    if row.state == "running":
        now = _seat(row, model, row.current, pid)
        for partner in (now or {}).get("partners", []):
            met.setdefault(partner["id"], row.current)
    else:
        now = None
    return {
        "now": now,
        "next": _seat(row, model, row.current + 1, pid) if row.state == "running" else None,
        "met": [
            {**_person(model.participants.get(o), o), "round": r} for o, r in sorted(met.items(), key=lambda kv: kv[1])
        ],
        "starred": sorted(row.stars.get(pid, set())),
    }


def meeting_log(row: RotationRow, model: WorkshopModel) -> list[dict[str, Any]]:
    """Who met whom, when: the log the minutes use."""
    return [
        {
            "round": m.round,
            "table": m.table,
            "at": m.at,
            "members": [_person(model.participants.get(p), p) for p in m.members],
        }
        for m in row.log
    ]


def statistics(row: RotationRow) -> dict[str, Any]:
    """Rounds held, meetings held, and how many new people each person met (average and minimum)."""
    people: dict[str, set[str]] = {}
    for m in row.log:
        for p in m.members:
            people.setdefault(p, set()).update(o for o in m.members if o != p)
    counts = [len(v) for v in people.values()]
    pairs = {frozenset((a, b)) for m in row.log for i, a in enumerate(m.members) for b in m.members[i + 1 :]}
    return {
        "rounds_held": len({m.round for m in row.log}),
        "meetings_held": len(row.log),
        "distinct_pairs": len(pairs),
        "people": len(people),
        "new_people_mean": round(sum(counts) / len(counts), 2) if counts else 0,
        "new_people_min": min(counts) if counts else 0,
    }
