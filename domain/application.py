"""The Tavolo application: runs batches of commands and commits each batch in one transaction (group commit).

One ``save`` per batch turns many participants' commands into one transaction (on SQLite ~8k events/s become
~60k). A command refused by the domain does not disturb the others in its batch; a conflict with another process
re-runs the batch against the new state; a store failure refuses the whole batch with a retryable error.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Transcoder

from domain import errors, values
from domain.commands import ANONYMOUS, COMMANDS, Actor, Context, details_from
from domain.tokens import hash_token, new_join_code, new_token
from domain.transcoder import MsgpackTranscoder
from domain.workshop import JoinCode, Workshop

log = logging.getLogger("tavolo.application")

CREATE_NAMESPACE = UUID("0b5e8f1c-6a9e-4d0f-8a57-2f1b3c4d5e6f")
CREATE = "create_workshop"


@dataclass(frozen=True)
class Command:
    """A client's request: ``id`` is chosen by the client and makes retries apply once."""

    id: str
    name: str
    args: Mapping[str, Any]
    workshop_id: UUID | None
    actor: Actor


@dataclass
class Outcome:
    command: Command
    result: dict[str, Any] = field(default_factory=dict)
    error: errors.DomainError | None = None
    duplicate: bool = False
    position: int | None = None  # the last notification id this command recorded
    events: list[tuple[int, Any]] = field(default_factory=list)  # (position, domain event), committed


def workshop_id_for(command_id: str) -> UUID:
    """A workshop's id derives from the id of the command that creates it: a retried create finds it."""
    return uuid.uuid5(CREATE_NAMESPACE, command_id)


class Tavolo(Application):  # type: ignore[type-arg]
    name = "Tavolo"
    env = {"AGGREGATE_CACHE_MAXSIZE": "2000", "COMPRESSOR_TOPIC": ""}

    def __init__(self, env: Mapping[str, str] | None = None, max_participants: int = 5000) -> None:
        super().__init__(env)
        self.max_participants = max_participants

    def construct_transcoder(self) -> Transcoder:
        return MsgpackTranscoder()

    def execute(self, commands: Sequence[Command]) -> list[Outcome]:
        """Run commands in order and commit all their events in one transaction."""
        pending = list(commands)
        failed: dict[int, Outcome] = {}
        for _attempt in range(5):
            aggregates: dict[UUID, Any] = {}
            outcomes: list[Outcome] = []
            broken = None
            for index, command in enumerate(pending):
                if id(command) in failed:
                    outcomes.append(failed[id(command)])
                    continue
                try:
                    outcomes.append(self._run(command, aggregates))
                except errors.DomainError as e:
                    outcomes.append(Outcome(command, error=e))
                except Exception:
                    # A bug may have left a shared aggregate half-changed: drop this command, redo the batch.
                    log.exception("command %s failed", command.name)
                    self._evict(aggregates)
                    failed[id(command)] = Outcome(command, error=errors.DomainError(
                        "internal error; nothing was applied", code="internal_error"))
                    broken = index
                    break
            if broken is not None:
                continue
            try:
                recordings = self.save(*aggregates.values())
            except IntegrityError:
                # Another process committed first (or took the same join code): run again on the new state.
                self._evict(aggregates)
                continue
            except Exception as e:
                log.warning("store failed to commit a batch: %s", e)
                self._evict(aggregates)
                return [o if o.error else Outcome(o.command, error=errors.Unavailable(
                    "the event store is unavailable; retry with the same command id")) for o in outcomes]
            # Command ids are unique per workshop, so events find their command by (workshop, command id).
            by_command: dict[tuple[UUID, str], Outcome] = {
                (_target(o), o.command.id): o for o in outcomes if not o.error and not o.duplicate
            }
            for r in recordings:
                event = r.domain_event
                if isinstance(event, JoinCode.Created):
                    key = (event.workshop_id, _creator(outcomes, event.workshop_id) or "")
                else:
                    key = (event.originator_id, getattr(event, "command_id", ""))
                outcome = by_command.get(key)
                if outcome is not None:
                    outcome.events.append((r.notification.id, event))
                    outcome.position = r.notification.id
            return outcomes
        return [Outcome(c, error=errors.Unavailable("too much contention; retry with the same command id"))
                for c in pending]

    def _run(self, command: Command, aggregates: dict[UUID, Any]) -> Outcome:
        if command.name == CREATE:
            return self._create(command, aggregates)
        spec = COMMANDS.get(command.name)
        if spec is None:
            raise errors.UnknownCommand(f"unknown command {command.name[:64]!r}")
        workshop = self._workshop(command.workshop_id, aggregates)
        if command.id in workshop.commands:
            # Before the role check: a join retried after its ack was lost may come from the new participant.
            return Outcome(command, result=dict(workshop.commands[command.id]), duplicate=True)
        if command.actor.role not in spec.roles:
            raise errors.Forbidden(f"a {command.actor.role} may not run {command.name}")
        ctx = Context(command.actor, command.id, self.max_participants)
        extra = spec.handler(workshop, ctx, command.args)
        if command.id not in workshop.commands:
            # A no-op records nothing; remember its id on the live aggregate so that a retry arriving after
            # later changes is still answered as a duplicate (not re-applied). Not durable across restarts.
            workshop.commands[command.id] = {}
        result = dict(workshop.commands.get(command.id, {}))
        result.update(extra)
        return Outcome(command, result=result)

    def _evict(self, aggregates: dict[UUID, Any]) -> None:
        cache = self.repository.cache
        for aggregate_id in aggregates:
            if cache is not None:
                with contextlib.suppress(KeyError):
                    cache.get(aggregate_id, evict=True)

    def _workshop(self, workshop_id: UUID | None, aggregates: dict[UUID, Any]) -> Workshop:
        if workshop_id is None:
            raise errors.NotFound("no such workshop")
        if workshop_id not in aggregates:
            try:
                # The cached object itself, not a deep copy (which cost most of the write path's time): handlers
                # validate before they trigger events, and a batch that fails evicts what it touched.
                aggregates[workshop_id] = self.repository.get(workshop_id, deepcopy_from_cache=False)
            except AggregateNotFoundError:
                raise errors.NotFound("no such workshop") from None
            if not isinstance(aggregates[workshop_id], Workshop):
                raise errors.NotFound("no such workshop")
        workshop: Workshop = aggregates[workshop_id]
        return workshop

    def _create(self, command: Command, aggregates: dict[UUID, Any]) -> Outcome:
        if command.actor.role != ANONYMOUS:
            raise errors.Forbidden("create a workshop without a token")
        workshop_id = workshop_id_for(command.id)
        try:
            existing = self._workshop(workshop_id, aggregates)
        except errors.NotFound:
            pass
        else:
            return Outcome(command, duplicate=True, result={"workshop_id": str(workshop_id), "code": existing.code})
        values.check_keys(command.args, {"title", "date", "venue", "language", "sectors"})
        details = details_from(command.args)
        code = self._free_code(aggregates)
        facilitator_token, projector_token = new_token(), new_token()
        workshop = Workshop.create(
            workshop_id, command.id, code=code, facilitator_token_hash=hash_token(facilitator_token),
            projector_token_hash=hash_token(projector_token), **details,
        )
        aggregates[workshop_id] = workshop
        aggregates[JoinCode.id_for(code)] = JoinCode.reserve(code, workshop_id)
        return Outcome(command, result={
            "workshop_id": str(workshop_id), "code": code,
            "facilitator_token": facilitator_token, "projector_token": projector_token,
        })

    def _free_code(self, aggregates: dict[UUID, Any]) -> str:
        for _ in range(20):
            code = new_join_code()
            if JoinCode.id_for(code) in aggregates:  # taken by another create in this batch
                continue
            try:
                self.repository.get(JoinCode.id_for(code))
            except AggregateNotFoundError:
                return code
        raise errors.Unavailable("could not find a free join code; retry")

    def workshop_for_code(self, code: str) -> UUID | None:
        try:
            index = self.repository.get(JoinCode.id_for(code))
        except AggregateNotFoundError:
            return None
        workshop_id: UUID = index.workshop_id
        return workshop_id


def _target(outcome: Outcome) -> UUID:
    if outcome.command.name == CREATE:
        return UUID(outcome.result["workshop_id"])
    assert outcome.command.workshop_id is not None
    return outcome.command.workshop_id


def _creator(outcomes: list[Outcome], workshop_id: UUID) -> str | None:
    for o in outcomes:
        if o.command.name == CREATE and o.result.get("workshop_id") == str(workshop_id):
            return o.command.id
    return None
