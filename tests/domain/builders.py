"""Given / when / then for the Workshop: a workshop on the in-memory store, commands by role, and the events a
command recorded (read back from the store, so they are what a replay sees)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.application import CREATE, Command, Outcome, Tavolo
from domain.commands import Actor
from domain.workshop import Workshop

MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}

FACILITATOR = Actor("facilitator")
PROJECTOR = Actor("projector")
ANONYMOUS = Actor("anonymous")

DETAILS: dict[str, Any] = {
    "title": "Clusters meet",
    "date": "2026-11-22",
    "venue": "Bologna",
    "language": "en",
    "sectors": ["Agrifood", "Energy", "Mobility"],
}
PROFILE: dict[str, Any] = {"organisation": "Cluster X", "country": "IT", "sector": "Agrifood"}

_ids = itertools.count(1)


def new_id(prefix: str = "cmd") -> str:
    return f"{prefix}-{next(_ids)}"


def participant(participant_id: str) -> Actor:
    return Actor("participant", participant_id)


def create(command_id: str | None = None, **details: Any) -> Command:
    return Command(command_id or new_id("create"), CREATE, {**DETAILS, **details}, None, ANONYMOUS)


def plain(value: Any) -> Any:
    """Tuples come back from the store as lists: compare both as lists."""
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def event_name(event: Any) -> str:
    """``ParticipantJoined`` for Workshop events, ``JoinCode.Created`` for the code index."""
    return type(event).__qualname__.removeprefix("Workshop.")


def stored_events(app: Tavolo, after: int = 0) -> list[Any]:
    return [app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(after + 1, 100_000)]


def position(app: Tavolo) -> int:
    return app.recorder.max_notification_id() or 0


@dataclass
class When:
    """The outcomes of one batch and the events it stored, in order."""

    outcomes: list[Outcome]
    events: list[Any]

    @property
    def outcome(self) -> Outcome:
        return self.outcomes[-1]


class Scenario:
    """One workshop on a fresh in-memory store. Aliases name participants and agenda items across steps."""

    def __init__(self, app: Tavolo | None = None, max_participants: int = 5000, **details: Any) -> None:
        self.app = app or Tavolo(MEMORY, max_participants)
        [created] = self.app.execute([create(**details)])
        assert created.error is None, created.error
        self.created = created
        self.workshop_id = UUID(created.result["workshop_id"])
        self.code: str = created.result["code"]
        self.ids: dict[str, str] = {}
        self.tokens: dict[str, str] = {}

    # Commands.

    def command(
        self,
        name: str,
        args: Mapping[str, Any] | None = None,
        actor: Actor = FACILITATOR,
        *,
        id: str | None = None,
        workshop_id: UUID | str | None = "this",
    ) -> Command:
        wid = self.workshop_id if workshop_id == "this" else workshop_id
        assert not isinstance(wid, str)
        return Command(id or new_id(name), name, dict(args or {}), wid, actor)

    def join(self, alias: str, **profile: Any) -> Command:
        """``alias`` joins (and is their name unless ``name`` is given)."""
        return self.command("join", {**PROFILE, "name": alias, **profile}, ANONYMOUS, id=f"join:{alias}")

    def add_item(self, alias: str, **fields: Any) -> Command:
        return self.command("add_agenda_item", {"title": alias, "kind": "plenary", **fields}, id=f"add:{alias}")

    def as_(self, alias: str) -> Actor:
        return participant(self.ids[alias])

    # Given / when.

    def given(self, *commands: Command) -> list[Outcome]:
        """Run ``commands`` as one batch; every one must be accepted."""
        outcomes = self.app.execute(commands)
        for o in outcomes:
            assert o.error is None, f"given {o.command.name} refused: {o.error.code}: {o.error.message}"
            alias = o.command.id.partition(":")[2]
            for key in ("participant_id", "item_id"):
                if alias and key in o.result:
                    self.ids[alias] = o.result[key]
            if alias and "participant_token" in o.result:
                self.tokens[alias] = o.result["participant_token"]
        return outcomes

    def given_events(self, *events: Any) -> None:
        """Record events as they are (a history the commands of today might not produce)."""
        self.app.save(*events)

    def when(self, *commands: Command) -> When:
        before = position(self.app)
        outcomes = self.app.execute(commands)
        return When(outcomes, stored_events(self.app, before))

    def workshop(self) -> Workshop:
        workshop: Workshop = self.app.repository.get(self.workshop_id)
        return workshop


def then_events(when: When, *expected: tuple[str, Mapping[str, Any]] | str) -> None:
    """The command was accepted and stored exactly these events (names, and the fields given), in order."""
    outcome = when.outcome
    assert outcome.error is None, f"refused: {outcome.error.code}: {outcome.error.message}"
    assert not outcome.duplicate
    names = [e if isinstance(e, str) else e[0] for e in expected]
    assert [event_name(e) for e in when.events] == names
    for event, spec in zip(when.events, expected, strict=True):
        fields = {} if isinstance(spec, str) else spec[1]
        for key, value in fields.items():
            assert plain(getattr(event, key)) == plain(value), (event_name(event), key)
        if isinstance(event, Workshop.Event):
            assert event.command_id == outcome.command.id
    # What the outcome reports as committed is what the store holds.
    assert [type(e) for _, e in outcome.events] == [type(e) for e in when.events]
    assert outcome.position == (outcome.events[-1][0] if outcome.events else None)


def then_nothing(when: When) -> None:
    """Accepted, and it changed nothing: only a note of its command id is recorded (so a retry stays a retry)."""
    outcome = when.outcome
    assert outcome.error is None, f"refused: {outcome.error.code}: {outcome.error.message}"
    assert [event_name(e) for e in when.events] == ["CommandNoted"]
    assert [event_name(e) for _, e in outcome.events] == ["CommandNoted"]


def then_error(when: When, code: str) -> None:
    """Refused with ``code``; nothing was recorded."""
    outcome = when.outcome
    assert outcome.error is not None, f"accepted, recording {[event_name(e) for e in when.events]}"
    assert outcome.error.code == code, f"{outcome.error.code}: {outcome.error.message}"
    assert when.events == []
    assert outcome.events == [] and outcome.position is None and outcome.result == {}
