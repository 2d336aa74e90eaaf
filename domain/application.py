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
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import (
    IntegrityError,
    InternalError,
    PersistenceError,
    ProgrammingError,
    Transcoder,
)

from domain import errors, values
from domain.commands import ANONYMOUS, COMMANDS, FACILITATOR, Actor, Context, details_from
from domain.group_commands import GROUP_COMMANDS, GroupContext, current_split_id, run_group_command
from domain.match_commands import MATCH_COMMANDS, MatchContext, run_match_command
from domain.matchmaking import Matchmaking, matchmaking_id
from domain.note_commands import NOTE_COMMANDS, run_note_command
from domain.personal import PersonalKeys, keys_for
from domain.poll_commands import (
    POLL_COMMANDS,
    PollContext,
    after_commit,
    poll_id_for,
    run_poll_command,
    target_poll_id,
)
from domain.polls import Poll
from domain.rotation_commands import (
    ROTATION_COMMANDS,
    RotationContext,
    replan_for_roster,
    run_rotation_command,
)
from domain.secret import MemoryPollKeys, PollKeys
from domain.timers import TIMER_COMMANDS, Timer, TimerContext, run_timer_command, timer_id
from domain.tokens import hash_token, new_join_code, new_token, same_hash
from domain.transcoder import MsgpackTranscoder
from domain.workshop import JoinCode, Workshop

log = logging.getLogger("tavolo.application")

CREATE_NAMESPACE = UUID("0b5e8f1c-6a9e-4d0f-8a57-2f1b3c4d5e6f")
CREATE = "create_workshop"
ROSTER_CHANGES = {"join": "joined", "leave": "left", "remove_participant": "removed"}  # re-plan a rotation
DETAILS = {"title", "date", "venue", "language", "sectors"}


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
    target: UUID | None = None  # the aggregate whose events answer this command (default: its workshop)
    recorded_as: str | None = None  # the command id as those events carry it (keyed for secret ballots)
    touched: frozenset[UUID] = frozenset()  # other aggregates whose events this command recorded
    also: tuple[tuple[UUID, str], ...] = ()  # (aggregate, command id) of events recorded on its behalf
    events: list[tuple[int, Any]] = field(default_factory=list)  # (position, domain event), committed


def workshop_id_for(command_id: str) -> UUID:
    """A workshop's id derives from the id of the command that creates it: a retried create finds it."""
    return uuid.uuid5(CREATE_NAMESPACE, command_id)


class Tavolo(Application):  # type: ignore[type-arg]
    name = "Tavolo"
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "2000", "COMPRESSOR_TOPIC": ""}

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        max_participants: int = 5000,
        keys: PollKeys | None = None,
        personal_keys: PersonalKeys | None = None,
    ) -> None:
        # Set before the library builds the transcoder, which seals personal data with these keys.
        self.personal_keys: PersonalKeys = personal_keys if personal_keys is not None else keys_for(env or {})
        super().__init__(env)
        self.max_participants = max_participants
        self.keys: PollKeys = keys if keys is not None else MemoryPollKeys()
        # Aggregates found missing in this pass of a batch: a ballot asks for the workshop's group work, which
        # most workshops never have, once per command otherwise (on PostgreSQL each look is a round trip).
        self._absent: set[UUID] = set()

    def construct_transcoder(self) -> Transcoder:
        return MsgpackTranscoder(self.personal_keys)

    def construct_recorder(self) -> Any:
        # Processes started together race to create the tables: PostgreSQL answers the later CREATE … IF NOT EXISTS
        # with a unique violation or "relation already exists", or CREATE OR REPLACE FUNCTION with "tuple
        # concurrently updated", once the earlier has committed; then the tables are there and trying again finds them.
        for attempt in range(5):
            try:
                return super().construct_recorder()
            except (IntegrityError, InternalError, ProgrammingError):
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        super().close()
        close = getattr(self.personal_keys, "close", None)
        if close is not None:
            close()

    def execute(self, commands: Sequence[Command]) -> list[Outcome]:
        """Run commands in order and commit all their events in one transaction."""
        pending = list(commands)
        failed: dict[int, Outcome] = {}
        conflicts = 0
        while True:
            aggregates: dict[UUID, Any] = {}
            self._absent = set()
            outcomes = self._run_all(pending, aggregates, failed)
            if outcomes is None:
                continue  # a command hit a bug; it is refused and the batch runs again without it
            try:
                # New participants' keys in one go (one transaction in a key file), before the events that need them.
                owners = [
                    e.participant_id for a in aggregates.values() for e in a.pending_events
                    if isinstance(e, Workshop.ParticipantJoined)
                ]  # fmt: skip
                if owners:
                    self.personal_keys.ensure(owners)
                # A deleted workshop's marker goes last: whatever else the batch created for it is then folded
                # (and known to the purge) before the deletion is (server/purge.py).
                recordings = self.save(*sorted(aggregates.values(), key=_deleted_last))
            except IntegrityError:
                # Another process committed first (or took the same join code): run again on the new state.
                self._evict(aggregates)
                conflicts += 1
                if conflicts < 5:
                    continue
                return _refuse(outcomes, "too much contention; retry with the same command id")
            except Exception as e:
                log.warning("store failed to commit a batch: %s", e)
                self._evict(aggregates)
                return _refuse(outcomes, "the event store is unavailable; retry with the same command id")
            _attach(outcomes, recordings)
            try:
                after_commit((r.domain_event for r in recordings), self.keys)
            except Exception:  # committed is committed: a key we failed to destroy is swept at the next start
                log.exception("could not discard the key of a closed secret poll")
            for r in recordings:
                if isinstance(r.domain_event, Workshop.ParticipantErased):
                    try:
                        self.personal_keys.destroy(r.domain_event.participant_id)
                    except Exception:  # swept at the next start (server/app.py), like poll keys
                        log.exception("could not destroy an erased participant's key")
            return outcomes

    def _run_all(
        self, pending: list[Command], aggregates: dict[UUID, Any], failed: dict[int, Outcome]
    ) -> list[Outcome] | None:
        outcomes: list[Outcome] = []
        for command in pending:
            if id(command) in failed:
                outcomes.append(failed[id(command)])
                continue
            try:
                outcomes.append(self._run(command, aggregates))
            except errors.DomainError as e:
                outcomes.append(Outcome(command, error=e))
            except Exception:
                # A bug may have left a shared aggregate half-changed: refuse this command, redo the batch.
                log.exception("command %s failed", command.name)
                self._evict(aggregates)
                failed[id(command)] = Outcome(
                    command, error=errors.DomainError("internal error; nothing was applied", code="internal_error")
                )
                return None
        return outcomes

    def _run(self, command: Command, aggregates: dict[UUID, Any]) -> Outcome:
        values.finite_numbers(command.args)  # before any handler: every numeric argument of every command
        if command.name == CREATE:
            if command.workshop_id is not None:  # workshops are created over HTTP, not on a workshop's socket
                raise errors.UnknownCommand(f"unknown command {command.name!r}")
            return self._create(command, aggregates)
        if command.name in POLL_COMMANDS:
            return self._run_poll(command, aggregates)
        if command.name in GROUP_COMMANDS:
            return self._run_group(command, aggregates)
        if command.name in ROTATION_COMMANDS:
            return self._run_rotation(command, aggregates)
        if command.name in MATCH_COMMANDS:
            workshop = self._workshop(command.workshop_id, aggregates)
            found = self._load(matchmaking_id(workshop.id), aggregates)
            mm, duplicate = run_match_command(
                command.name, workshop, found if isinstance(found, Matchmaking) else None,
                MatchContext(command.actor, command.id), command.args,
            )  # fmt: skip
            aggregates[mm.id] = mm
            result = dict(mm.commands.get(command.id, {}))
            return Outcome(command, result=result, duplicate=duplicate, target=mm.id)
        if command.name in TIMER_COMMANDS:
            workshop = self._workshop(command.workshop_id, aggregates)
            found = self._load(timer_id(workshop.id), aggregates)
            timer, duplicate = run_timer_command(
                command.name, workshop, found if isinstance(found, Timer) else None,
                TimerContext(command.actor, command.id), command.args,
            )  # fmt: skip
            aggregates[timer.id] = timer
            return Outcome(command, duplicate=duplicate, target=timer.id)
        if command.name in NOTE_COMMANDS:
            w, load = self._workshop(command.workshop_id, aggregates), lambda i: self._load(i, aggregates)
            note = run_note_command(command.name, w, load, command.actor, command.id, command.args)
            aggregates[note.notes.id] = note.notes
            return Outcome(command, result=note.result, duplicate=note.duplicate, target=note.notes.id)
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
        also = self._place_late_joiner(workshop, command, aggregates) if command.name == "join" else ()
        if command.name in ROSTER_CHANGES:
            also += self._replan_rotation(workshop, command, aggregates)
        elif command.name == "remove_participants":  # each as remove_participant re-plans for one
            for i, pid in enumerate(dict.fromkeys(command.args["participant_ids"])):
                also += self._replan_rotation(workshop, command, aggregates, pid, f"/{i}")
        if command.id not in workshop.commands:
            # It changed nothing; note it anyway, so that a retry arriving after later changes is answered as a
            # duplicate instead of being applied then (a retried "start A" must not undo "start B").
            workshop.trigger_event(Workshop.CommandNoted, command_id=command.id)
        result = dict(workshop.commands.get(command.id, {}))
        result.update(extra)
        return Outcome(command, result=result, also=also)

    def _place_late_joiner(
        self, workshop: Workshop, command: Command, aggregates: dict[UUID, Any]
    ) -> tuple[tuple[UUID, str], ...]:
        """Someone who joins after a split goes where the planner keeps the balance (or to their attribute's
        group), recorded in the same transaction; the facilitator sees where they went and can move them."""
        split_id = current_split_id(lambda i: self._load(i, aggregates), workshop.id)
        participant_id = workshop.commands.get(command.id, {}).get("participant_id")
        if split_id is None or participant_id is None:
            return ()
        place_id = f"{command.id}/place"  # "/" is not allowed in clients' ids: this one is the server's
        ctx = GroupContext(Actor(FACILITATOR), place_id)
        args = {"split_id": str(split_id), "participant_id": participant_id}
        try:
            outcome = run_group_command("place_participant", workshop, lambda i: self._load(i, aggregates), ctx, args)
        except errors.DomainError as e:  # a superseded or closed split: the facilitator places them by hand
            log.info("late joiner not placed: %s", e.code)
            return ()
        for aggregate in outcome.aggregates:
            aggregates[aggregate.id] = aggregate
        return tuple((a.id, place_id) for a in outcome.aggregates)

    def _replan_rotation(
        self, workshop: Workshop, command: Command, aggregates: dict[UUID, Any], removed: str | None = None,
        suffix: str = "",
    ) -> tuple[tuple[UUID, str], ...]:  # fmt: skip
        """Someone joined, left or was removed (``removed``: one of several) during a rotation: its remaining
        rounds are planned again for who is present, in the same transaction, without repeating anyone met."""
        participant_id = (
            removed
            or workshop.commands.get(command.id, {}).get("participant_id")
            or command.args.get("participant_id", command.actor.participant_id)
        )
        if not isinstance(participant_id, str):
            return ()
        replan_id = f"{command.id}/replan{suffix}"  # a server id, as for late joiners' placement
        ctx = RotationContext(Actor(FACILITATOR), replan_id)
        change = "removed" if removed else ROSTER_CHANGES[command.name]
        try:
            rotation = replan_for_roster(workshop, lambda i: self._load(i, aggregates), ctx, participant_id, change)
        except errors.DomainError as e:  # the plan stays as it was; the facilitator can re-plan by hand
            log.info("rotation not re-planned: %s", e.code)
            return ()
        if rotation is None:
            return ()
        aggregates[rotation.id] = rotation
        return ((rotation.id, replan_id),)

    def _run_rotation(self, command: Command, aggregates: dict[UUID, Any]) -> Outcome:
        workshop = self._workshop(command.workshop_id, aggregates)
        ctx = RotationContext(command.actor, command.id)
        outcome = run_rotation_command(command.name, workshop, lambda i: self._load(i, aggregates), ctx, command.args)
        for aggregate in outcome.aggregates:
            aggregates[aggregate.id] = aggregate
        return Outcome(
            command, result=outcome.result, duplicate=outcome.duplicate, target=outcome.target.id,
            touched=frozenset(a.id for a in outcome.aggregates),
        )  # fmt: skip

    def _run_poll(self, command: Command, aggregates: dict[UUID, Any]) -> Outcome:
        workshop = self._workshop(command.workshop_id, aggregates)
        poll_id = target_poll_id(command.name, workshop.id, command.id, command.args)
        poll = self._poll(poll_id, aggregates)
        # Only a poll for some groups needs the voter's group: looking it up costs round trips on PostgreSQL.
        groups = self._groups_of(workshop.id, command, aggregates) if poll is not None and poll.groups else frozenset()
        sizes = (
            self._group_sizes(workshop.id, aggregates) if command.name == "close_poll" and poll and poll.groups else {}
        )
        made = (
            self._poll(poll_id_for(workshop.id, command.id), aggregates) if command.name == "duplicate_poll" else None
        )
        ctx = PollContext(command.actor, command.id, self.keys, groups, sizes)
        outcome = run_poll_command(command.name, workshop, poll, ctx, command.args, made)
        aggregates[outcome.poll.id] = outcome.poll
        return Outcome(
            command, result=outcome.result, duplicate=outcome.duplicate, target=outcome.poll.id,
            recorded_as=outcome.recorded_as,
        )  # fmt: skip

    def _run_group(self, command: Command, aggregates: dict[UUID, Any]) -> Outcome:
        workshop = self._workshop(command.workshop_id, aggregates)
        ctx = GroupContext(command.actor, command.id)
        outcome = run_group_command(command.name, workshop, lambda i: self._load(i, aggregates), ctx, command.args)
        for aggregate in outcome.aggregates:
            aggregates[aggregate.id] = aggregate
        return Outcome(
            command, result=outcome.result, duplicate=outcome.duplicate, target=outcome.target.id,
            recorded_as=outcome.recorded_as, touched=frozenset(a.id for a in outcome.aggregates),
        )  # fmt: skip

    def _load(self, aggregate_id: UUID, aggregates: dict[UUID, Any]) -> Any:
        """The batch's copy of an aggregate (loaded from the store the first time), or None if there is none."""
        if aggregate_id not in aggregates:
            if aggregate_id in self._absent:
                return None
            try:
                aggregates[aggregate_id] = self.repository.get(aggregate_id, deepcopy_from_cache=False)
            except AggregateNotFoundError:
                self._absent.add(aggregate_id)
                return None
            except PersistenceError as e:
                raise errors.Unavailable(f"the event store is unavailable ({type(e).__name__}); retry") from e
        return aggregates[aggregate_id]

    def _groups_of(self, workshop_id: UUID, command: Command, aggregates: dict[UUID, Any]) -> frozenset[str]:
        """The participant's group in the current split (what a poll scoped to groups checks)."""
        if command.name != "cast_ballot" or command.actor.participant_id is None:
            return frozenset()
        split_id = current_split_id(lambda i: self._load(i, aggregates), workshop_id)
        split = self._load(split_id, aggregates) if split_id else None
        group = split.member_of.get(command.actor.participant_id) if split is not None else None
        return frozenset({group}) if group else frozenset()

    def _group_sizes(self, workshop_id: UUID, aggregates: dict[UUID, Any]) -> dict[str, int]:
        """Members per group of the current split (who could vote in a poll for some groups, as it closes)."""
        split_id = current_split_id(lambda i: self._load(i, aggregates), workshop_id)
        split = self._load(split_id, aggregates) if split_id else None
        return {g: len(group.members) for g, group in split.groups.items()} if split is not None else {}

    def _poll(self, poll_id: UUID, aggregates: dict[UUID, Any]) -> Poll | None:
        found = self._load(poll_id, aggregates)
        return found if isinstance(found, Poll) else None

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
            except PersistenceError as e:
                raise errors.Unavailable(f"the event store is unavailable ({type(e).__name__}); retry") from e
            if not isinstance(aggregates[workshop_id], Workshop):
                raise errors.NotFound("no such workshop")
        workshop: Workshop = aggregates[workshop_id]
        if workshop.deleted:  # earlier in this batch, or a copy cached before the deletion
            raise errors.NotFound("no such workshop")
        return workshop

    def _create(self, command: Command, aggregates: dict[UUID, Any]) -> Outcome:
        if command.actor.role != ANONYMOUS:
            raise errors.Forbidden("create a workshop without a token")
        workshop_id = workshop_id_for(command.id)
        try:
            existing = self._workshop(workshop_id, aggregates)
        except errors.NotFound:
            try:
                deleted = bool(self.recorder.select_events(workshop_id, limit=1))  # a retry after a deletion
            except PersistenceError as e:
                raise errors.Unavailable(f"the event store is unavailable ({type(e).__name__}); retry") from e
            if deleted:
                raise errors.NotFound("this workshop was deleted") from None
        else:
            result = {"workshop_id": str(workshop_id), "code": existing.code}
            fac = values.token(command.args, "facilitator_token")
            proj = values.token(command.args, "projector_token")
            # A retry that carries the tokens it chose gets them back: a lost answer never locks anyone out.
            if (
                fac
                and proj
                and same_hash(hash_token(fac), existing.facilitator_token_hash)
                and same_hash(hash_token(proj), existing.projector_token_hash)
            ):
                result |= {"facilitator_token": fac, "projector_token": proj}
            return Outcome(command, duplicate=True, result=result)
        values.check_keys(command.args, DETAILS | {"facilitator_token", "projector_token", "timezone"})
        details = details_from({k: v for k, v in command.args.items() if k in DETAILS})
        zone = values.timezone(command.args)
        code = self._free_code(aggregates)
        facilitator_token = values.token(command.args, "facilitator_token") or new_token()
        projector_token = values.token(command.args, "projector_token") or new_token()
        if facilitator_token == projector_token:
            raise errors.InvalidArgs("the facilitator and projector tokens must differ")
        workshop = Workshop.create(
            workshop_id,
            command.id,
            code=code,
            facilitator_token_hash=hash_token(facilitator_token),
            projector_token_hash=hash_token(projector_token),
            **details,
        )
        if zone != "UTC":  # a new event rather than a field of Created: old streams stay valid, and read as UTC
            workshop.trigger_event(Workshop.TimezoneSet, command_id=command.id, timezone=zone)
        aggregates[workshop_id] = workshop
        aggregates[JoinCode.id_for(code)] = JoinCode.reserve(code, workshop_id)
        return Outcome(
            command,
            result={
                "workshop_id": str(workshop_id),
                "code": code,
                "facilitator_token": facilitator_token,
                "projector_token": projector_token,
            },
        )

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
            index: JoinCode = self.repository.get(JoinCode.id_for(code))
        except AggregateNotFoundError:
            return None
        workshop_id: UUID = index.workshop_id
        return workshop_id


def _deleted_last(aggregate: Any) -> bool:
    return isinstance(aggregate, Workshop) and aggregate.deleted


def _refuse(outcomes: list[Outcome], message: str) -> list[Outcome]:
    return [o if o.error else Outcome(o.command, error=errors.Unavailable(message)) for o in outcomes]


def _attach(outcomes: list[Outcome], recordings: list[Any]) -> None:
    """Give each outcome its committed events; command ids are unique per workshop, so match on both."""
    by_command: dict[tuple[UUID, str], Outcome] = {}
    for o in outcomes:
        if not o.error and not o.duplicate:
            for aggregate_id in {_target(o), *o.touched}:
                by_command[(aggregate_id, o.recorded_as or o.command.id)] = o
            for key in o.also:
                by_command[key] = o
    for r in recordings:
        event = r.domain_event
        if isinstance(event, JoinCode.Created):
            key = (event.workshop_id, _creator(outcomes, event.workshop_id) or "")
        else:
            key = (event.originator_id, getattr(event, "command_id", ""))
        outcome = by_command.get(key)
        if outcome is None:
            # Every committed event must reach the views: one no outcome claims is a bug, but it still goes out
            # (with the batch's first accepted command) rather than leaving a hole the views never fill.
            log.error("event %s at %d matched no command", type(event).__qualname__, r.notification.id)
            outcome = next((o for o in outcomes if not o.error), None)
            if outcome is None:
                continue
        outcome.events.append((r.notification.id, event))
        outcome.position = max(outcome.position or 0, r.notification.id)


def _target(outcome: Outcome) -> UUID:
    if outcome.target is not None:
        return outcome.target
    if outcome.command.name == CREATE:
        return UUID(outcome.result["workshop_id"])
    assert outcome.command.workshop_id is not None
    return outcome.command.workshop_id


def _creator(outcomes: list[Outcome], workshop_id: UUID) -> str | None:
    for o in outcomes:
        if o.command.name == CREATE and o.result.get("workshop_id") == str(workshop_id):
            return o.command.id
    return None
