"""What the HTTP and websocket handlers share: the application, the writer, the hub and the settings."""

from __future__ import annotations

import asyncio
import collections
import functools
import itertools
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.application import Command, Outcome, Tavolo
from domain.commands import FACILITATOR, Actor
from domain.errors import Unavailable
from domain.tokens import hash_token, normalise_code
from projections.workshop import WorkshopModel
from server import addresses, scheduling
from server.heap import HeapKeeper
from server.hub import Hub
from server.metrics import Metrics
from server.purge import Purge, purge_store
from server.writer import Writer

if TYPE_CHECKING:
    from server.broker import RedisBroker
    from server.follow import Follower

log = logging.getLogger("tavolo.services")

CLIENT_LIMITS = 10_000  # HTTP clients whose rate is remembered (the least recent are forgotten first)


@dataclass
class Settings:
    store_url: str = "memory://"
    public_url: str | None = None
    allowed_origins: tuple[str, ...] = ()
    push_interval: float = 0.1  # dashboards and projectors: at most this often
    participant_push_interval: float = 0.3  # the room's phones: their shared part at most this often
    participant_push_rate: float = 5000.0  # ... and less often with more phones: about this many frames/s
    max_participants: int = 5000
    commands_per_second: float = 20.0  # per websocket, and per token over HTTP
    command_burst: int = 40
    workshop_commands_per_second: float = 1000.0  # per workshop, all its clients together
    workshop_command_burst: int = 5000
    max_message_bytes: int = 64 * 1024  # a websocket frame or an HTTP body
    keys_dir: str | None = None  # where open secret polls keep their keys (default: beside the store)
    solver_seconds: float = 10.0  # how long the exact meeting scheduler may improve a schedule
    organiser_key: str | None = None  # when set, creating a workshop needs it (a public deployment); else open
    export_key: str | None = None  # when set, the dashboard's event export is signed with it (docs/replay.md)
    broker_url: str | None = None  # redis://…: commit hints between processes on one store (server/broker.py)
    follow_interval: float = 1.0  # on PostgreSQL: read other processes' commits at least this often
    heap_freeze: bool = True  # keep full GC collections short with many sockets open (server/heap.py)
    # What one connection may cost (docs/security.md): every frame is rate-limited, not only commands, and
    # what waits to be sent to a client that does not read is bounded.
    frames_per_second: float = 50.0  # frames of any type per websocket, sustained
    frame_burst: int = 200
    outbox_frames: int = 1000  # replies waiting for a client that does not read: then it is closed (4008)
    outbox_bytes: int = 1024 * 1024
    hello_timeout: float = 5.0  # a websocket says hello within this, or is closed
    handshake_timeout: float = 5.0  # an HTTP request's headers (a websocket's handshake) arrive within this
    connections_per_address: int = 1000  # open TCP connections from one address (a venue's NAT: raise it)
    # Reverse proxies (addresses, CIDR ranges): whose X-Forwarded-For names the client (uvicorn's proxy headers),
    # and not capped by address, as a proxy caps its own clients. One list for both (server/addresses.py).
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    max_connections: int = 0  # open connections in all; 0: the descriptor limit less a reserve (server/transport.py)
    # Per client address (docs/security.md#floods-at-the-door): a venue's phones share one public address behind
    # its Wi-Fi, so the bursts are generous (a room joining at once) and the sustained rates what one script is
    # slowed to. Joins: `join` over HTTP and websockets; look-ups: join codes over HTTP and the join page.
    address_joins_per_second: float = 5.0
    address_join_burst: int = 100
    address_lookups_per_second: float = 20.0
    address_lookup_burst: int = 200


@dataclass
class Services:
    settings: Settings
    app: Tavolo
    hub: Hub
    writer: Writer
    started_at: float = field(default_factory=time.time)
    _closing: set[UUID] = field(default_factory=set)
    _background: set[asyncio.Task[None]] = field(default_factory=set)
    follower: Follower | None = None  # several processes on one store: fold what the others commit
    broker: RedisBroker | None = None
    metrics: Metrics = field(default_factory=Metrics)
    sockets: set[Any] = field(default_factory=set)  # open connections (metrics, graceful shutdown)
    shutting_down: bool = False
    _workshop_limits: dict[UUID, RateLimiter] = field(default_factory=dict)
    _client_limits: collections.OrderedDict[str, RateLimiter] = field(default_factory=collections.OrderedDict)
    _address_limits: collections.OrderedDict[tuple[str, str], RateLimiter] = field(
        default_factory=collections.OrderedDict
    )
    heap: HeapKeeper | None = None

    @property
    def public_url(self) -> str | None:
        return self.settings.public_url

    def model(self, workshop_id: UUID | str) -> WorkshopModel | None:
        try:
            key = workshop_id if isinstance(workshop_id, UUID) else UUID(str(workshop_id))
        except ValueError:
            return None
        return self.hub.models.get(key)

    def find_by_code(self, code: str) -> WorkshopModel | None:
        workshop_id = self.hub.by_code.get(normalise_code(code))
        return self.hub.models.get(workshop_id) if workshop_id else None

    async def look_up_code(self, code: str) -> WorkshopModel | None:
        """:meth:`find_by_code`, reading the store first if the code is unknown here (created through another
        process a moment ago). Call it only after the address's look-up or join limit allowed the request: a flood
        of unknown codes must be slowed before it costs store reads."""
        model = self.find_by_code(code)
        if model is None and self.follower is not None:
            await self.follower.fresh()
            model = self.find_by_code(code)
        return model

    def throttled(self, workshop_id: UUID, client: str | None = None) -> str | None:
        """Why a command must be refused with ``rate_limited`` now, or None. ``client`` names an HTTP client (its
        token); a websocket has a limiter of its own. A workshop's limit keeps one flooded room from slowing the
        others on the server; a client's keeps one script from flooding its room."""
        settings = self.settings
        if client is not None:
            limiter = self._client_limits.pop(client, None) or RateLimiter(
                settings.commands_per_second, settings.command_burst
            )
            self._client_limits[client] = limiter  # most recent last: the oldest go first
            while len(self._client_limits) > CLIENT_LIMITS:
                self._client_limits.popitem(last=False)
            if not limiter.allow():
                return "too many commands; slow down"
        room = self._workshop_limits.get(workshop_id)
        if room is None:
            room = self._workshop_limits[workshop_id] = RateLimiter(
                settings.workshop_commands_per_second, settings.workshop_command_burst
            )
        if not room.allow():
            return "this workshop receives too many commands at once; retry in a moment"
        return None

    def address_wait(self, kind: str, address: str | None) -> float | None:
        """Seconds a client address must wait before its next ``kind`` ("join" or "lookup"), or None: allowed now
        (and counted). The address is the connection's peer, or what a trusted proxy forwarded
        (``--trusted-proxy``), counted as :func:`server.addresses.key` says (an IPv6 /64 is one address); one with
        none (a test client) is counted as one address."""
        settings = self.settings
        rate, burst = (
            (settings.address_joins_per_second, settings.address_join_burst)
            if kind == "join"
            else (settings.address_lookups_per_second, settings.address_lookup_burst)
        )
        key = (kind, addresses.key(address or ""))
        limiter = self._address_limits.pop(key, None) or RateLimiter(rate, burst)
        self._address_limits[key] = limiter  # most recent last: the oldest go first
        while len(self._address_limits) > CLIENT_LIMITS:
            self._address_limits.popitem(last=False)
        if limiter.allow():
            return None
        return limiter.wait()

    async def run(self, command: Command) -> Outcome:
        started = time.perf_counter()
        if self.heap is not None:
            self.heap.busy()
        if self.follower is not None and not self.follower.store_ok:
            # The store is down (a commit or a read just failed): answer at once instead of queueing behind
            # seconds of connection attempts. The follower's next successful read reopens the gate.
            outcome = Outcome(command, error=Unavailable("the event store is unavailable; retry with the same id"))
        else:
            outcome = await self.writer.submit(command)
        result = "duplicate" if outcome.duplicate else "ok" if outcome.error is None else outcome.error.code
        self.metrics.observe(started, result if result in ("ok", "duplicate", "unavailable") else "refused")
        return outcome

    def on_committed(self, outcomes: list[Outcome], earlier: list[tuple[int, Any]] | None = None) -> None:
        # One save writes aggregate by aggregate, so positions interleave across commands: sort before folding.
        events = sorted((e for o in outcomes for e in o.events), key=lambda pe: pe[0])
        ambiguous = any(o.error is not None and o.error.code == "unavailable" for o in outcomes)
        if ambiguous:
            self.metrics.store_errors.inc()
        if self.follower is not None:
            # Several processes: the writer thread already read what others committed before our events
            # (``earlier``); if it could not, our events wait for the follower too, never folded past a hole.
            if earlier is None and events:
                events = []
            self.hub.apply(earlier or ())
            if ambiguous or earlier is None:
                self.follower.store_ok = False
                self.follower.nudge()
            self._publish(outcomes)
        elif ambiguous or (events and events[0][0] != self.hub.position + 1):
            # A gap (another writer) or a commit whose outcome is unknown (the connection dropped during it):
            # read what the store really has. Rare, and quick: only the events after our position.
            try:
                self.hub.catch_up(self.app)
            except Exception as e:
                log.warning("could not catch up from the store: %s", e)
        self.hub.apply(events)
        for aggregate_id, version in scheduling.wanted(events):
            task = asyncio.get_running_loop().create_task(scheduling.improve(self, aggregate_id, version))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        for o in outcomes:
            actor = o.command.actor
            if o.error is None and actor.participant_id and o.command.workshop_id:
                self.hub.touch(o.command.workshop_id, actor.participant_id)

    def workshop_deleted(self, purge: Purge) -> None:
        """The hub folded a workshop's deletion (committed here or by another process): close its sockets and
        purge its rows and keys from the store, retried until it succeeds (server/purge.py)."""
        self._workshop_limits.pop(purge.workshop_id, None)
        for connection in list(self.sockets):
            if connection.workshop_id == purge.workshop_id:
                connection.workshop_deleted()
        task = asyncio.get_running_loop().create_task(self._purge(purge), name=f"tavolo-purge-{purge.workshop_id}")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _purge(self, purge: Purge) -> None:
        for attempt in itertools.count():
            try:
                await self.writer.call(functools.partial(purge_store, self.app, purge))
                return
            except Exception as e:  # the store is down: the rows stay until it is back (or the next start)
                log.warning("could not purge deleted workshop %s (%s); retrying", purge.workshop_id, e)
                await asyncio.sleep(min(60.0, 2.0 * 2**attempt))

    def _publish(self, outcomes: list[Outcome]) -> None:
        """Tell the other processes, per workshop, how far this commit went (a hint; server/broker.py)."""
        if self.broker is None:
            return
        positions: dict[UUID, int] = {}
        for o in outcomes:
            workshop_id = o.command.workshop_id or _created(o)
            if o.events and workshop_id is not None:
                positions[workshop_id] = max(positions.get(workshop_id, 0), *(p for p, _ in o.events))
        self.broker.publish(positions)

    def foreign_join(self, outcome: Outcome, token: object) -> bool:
        """A retried ``join`` (same command id) with a token that is not the joined participant's: answering it
        would hand out someone else's participant id (``token_in_use``, on HTTP and websockets alike)."""
        if outcome.command.name != "join" or outcome.result.get("participant_token") or not isinstance(token, str):
            return False
        model = self.model(outcome.command.workshop_id) if outcome.command.workshop_id else None
        participant_id = outcome.result.get("participant_id")
        participant = model.participants.get(participant_id) if model and isinstance(participant_id, str) else None
        return participant is None or participant.token_hash != hash_token(token)

    def ack(self, outcome: Outcome) -> dict[str, Any]:
        position = outcome.position
        if position is None:
            model = self.model(outcome.command.workshop_id) if outcome.command.workshop_id else None
            position = model.position if model else self.hub.position
        return {
            "type": "ack",
            "id": outcome.command.id,
            "position": position,
            "result": outcome.result,
            "duplicate": outcome.duplicate,
        }

    async def close_due_polls(self, every: float = 0.1) -> None:
        """The shared clock closes polls at their deadline and ends rotation rounds at theirs: facilitator
        commands with ids derived from the poll (the rotation and round), so several timers (or processes) act
        once."""
        while True:
            await asyncio.sleep(every)
            now = datetime.now(UTC)
            for tally in list(self.hub.tallies.values()):
                if tally.state != "open" or not tally.closes_at or tally.workshop_id is None:
                    continue
                try:
                    due = datetime.fromisoformat(tally.closes_at) <= now
                except ValueError:
                    continue
                if due and tally.poll_id not in self._closing:
                    self._closing.add(tally.poll_id)
                    asyncio.get_running_loop().create_task(self._close(tally.workshop_id, tally.poll_id))
            self._advance_due_rounds(now)

    def _advance_due_rounds(self, now: datetime) -> None:
        """The shared clock ends a rotation's round at its ``ends_at`` and starts the next one."""
        for workshop_id, rotations in list(self.hub.rotations.models.items()):
            row = rotations.current
            if row is None or row.state != "running" or row.clock.get("state") != "running":
                continue
            try:
                due = datetime.fromisoformat(row.clock["ends_at"]) <= now
            except (KeyError, ValueError):
                continue
            if due and row.id not in self._closing:
                self._closing.add(row.id)
                asyncio.get_running_loop().create_task(self._advance(workshop_id, row.id, row.current))

    async def _advance(self, workshop_id: UUID, rotation_id: UUID, round_number: int) -> None:
        try:
            args = {"rotation_id": str(rotation_id), "if_round": round_number}
            command_id = f"timer/{rotation_id}/{round_number}"
            outcome = await self.run(Command(command_id, "advance_round", args, workshop_id, Actor(FACILITATOR)))
            if outcome.error is not None:
                log.warning("timer could not end round %d of %s: %s", round_number, rotation_id, outcome.error.code)
        finally:
            self._closing.discard(rotation_id)

    async def _close(self, workshop_id: UUID, poll_id: UUID) -> None:
        try:
            tally = self.hub.tallies.get(poll_id)
            closes_at = tally.closes_at if tally else ""
            args = {"poll_id": str(poll_id), "if_closes_at": closes_at}
            # "/" is not allowed in clients' command ids: no client can take (or block) the timer's id. A reopened
            # poll's close is another command than the first, even at the same deadline.
            reopened = f"/{tally.reopened}" if tally and tally.reopened else ""
            command_id = f"timer/{poll_id}/{closes_at}{reopened}"
            outcome = await self.run(Command(command_id, "close_poll", args, workshop_id, Actor(FACILITATOR)))
            if outcome.error is not None:
                log.warning("timer could not close poll %s: %s", poll_id, outcome.error.code)
        finally:
            self._closing.discard(poll_id)


def _created(outcome: Outcome) -> UUID | None:
    try:
        return UUID(str(outcome.result.get("workshop_id")))
    except ValueError:
        return None


def new_command_id() -> str:
    return str(uuid.uuid4())


class RateLimiter:
    """A token bucket per connection: a client that sends too fast is told so, and others are not slowed."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.at = time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def wait(self) -> float:
        """Seconds until the next request would be allowed (after a refused ``allow``)."""
        return max(0.0, (1 - self.tokens) / self.rate)
