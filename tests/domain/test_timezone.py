"""A workshop's time zone: chosen at creation, changed in the settings, UTC for streams recorded before zones."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.application import CREATE, Command, Tavolo
from domain.commands import Actor
from domain.workshop import Workshop

DETAILS = {"title": "Rome days", "date": "2026-05-12", "language": "en", "sectors": ["Agrifood"]}


def _create(app: Tavolo, **extra: Any) -> Any:
    (outcome,) = app.execute([Command("c-1", CREATE, {**DETAILS, **extra}, None, Actor("anonymous"))])
    return outcome


def test_a_workshop_created_with_a_zone_records_it_and_one_without_is_utc() -> None:
    app = Tavolo({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    outcome = _create(app, timezone="Europe/Rome")
    assert outcome.error is None and "code" in outcome.result
    workshop = app.repository.get(UUID(outcome.result["workshop_id"]))
    assert workshop.timezone == "Europe/Rome"
    assert [type(e).__name__ for _, e in outcome.events if isinstance(e, Workshop.Event)] == ["Created", "TimezoneSet"]
    other = Tavolo({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    plain = _create(other)
    assert not any(isinstance(e, Workshop.TimezoneSet) for _, e in plain.events)
    assert other.repository.get(UUID(plain.result["workshop_id"])).timezone == "UTC"


def test_an_unknown_zone_is_refused_with_its_code() -> None:
    app = Tavolo({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    outcome = _create(app, timezone="UTC+02:00")
    assert outcome.error is not None and outcome.error.code == "unknown_timezone"


def test_the_zone_is_changed_in_the_settings() -> None:
    app = Tavolo({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    wid = UUID(_create(app).result["workshop_id"])
    fac = Actor("facilitator")
    (changed,) = app.execute([Command("c-2", "update_workshop", {"timezone": "Europe/Rome"}, wid, fac)])
    assert changed.error is None and [type(e).__name__ for _, e in changed.events] == ["TimezoneSet"]
    (bad,) = app.execute([Command("c-3", "update_workshop", {"title": "X", "timezone": "Nowhere/Town"}, wid, fac)])
    assert bad.error is not None and bad.error.code == "unknown_timezone"
    workshop = app.repository.get(wid)
    assert workshop.timezone == "Europe/Rome" and workshop.title == "Rome days"  # refused whole
