"""The room timer's read model: per workshop, what every screen counts down to (no clock read here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from domain.timers import Timer


@dataclass
class TimerRow:
    label: str = ""
    segments: int = 1
    agenda_item_id: str = ""
    started_at: str = ""
    clock: dict[str, Any] = field(default_factory=dict)

    def view(self) -> dict[str, Any] | None:
        if not self.clock or self.clock.get("state") == "stopped":
            return None
        return {
            "label": self.label, "segments": self.segments, "agenda_item_id": self.agenda_item_id,
            "started_at": self.started_at, "clock": dict(self.clock),
        }  # fmt: skip


@dataclass
class TimersIndex:
    rows: dict[UUID, TimerRow] = field(default_factory=dict)  # workshop id -> its timer
    owners: dict[UUID, UUID] = field(default_factory=dict)  # timer id -> workshop id


def apply_any(index: TimersIndex, event: Any) -> UUID | None:
    """Fold a timer event; the workshop it belongs to, or None if it is not a timer's."""
    if not isinstance(event, Timer.Event):
        return None
    workshop_id = getattr(event, "workshop_id", None) or index.owners.get(event.originator_id)
    if workshop_id is None:
        return None
    index.owners[event.originator_id] = workshop_id
    row = index.rows.setdefault(workshop_id, TimerRow())
    if isinstance(event, Timer.Started):
        row.label, row.segments, row.agenda_item_id = event.label, event.segments, event.agenda_item_id
        row.started_at, row.clock = event.timestamp.isoformat(), dict(event.clock)
    elif isinstance(event, Timer.ClockChanged):
        row.clock = dict(event.clock)
    elif isinstance(event, Timer.Stopped):
        row.clock = {}
    return workshop_id


def view(index: TimersIndex, workshop_id: UUID) -> dict[str, Any] | None:
    row = index.rows.get(workshop_id)
    return row.view() if row is not None else None
