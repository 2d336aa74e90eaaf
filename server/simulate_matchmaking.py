"""`tavolo simulate --scenario matchmaking`: B2B meetings requested, answered, scheduled and published.

After the join flow of `server/simulate.py`, every participant stays connected on the participant view. The
facilitator, over its dashboard websocket, configures `--slots` meeting slots (default 8) of `--slot-minutes`
(default 10) starting at the next minute, and `--tables` tables (default: enough for everyone at once). Each
participant then saves a matchmaking profile (offers and seeks drawn from a seeded vocabulary, its sector, a
value-chain position, target markets), marks a share of the slots it cannot attend (`--unavailable-share`, 25 %),
and asks `--requests-per-person` others (default 3, chosen with the seed; never a pair twice) for a meeting, with
a note. Recipients answer every request as it shows in their own view: most accept (`--accept-share`, 0.8), the
rest decline. When every request is answered, the facilitator schedules (`schedule_meetings`: the greedy schedule
at once), waits while the dashboard shows the server's solver improving it (`solving`), publishes, and every
participant's view must then show its agenda exactly as the dashboard's table plan (`by_slot`) has it.

Figures (added to the summary JSON): `requests` (acknowledged `request_meeting` commands), `accepted`,
`declined`, `scheduled`, `upper_bound`, `optimal`, `schedule_method`, `solver_wait_s` (schedule sent -> the
solver done), `agendas_seen` (participants whose view showed their agenda), `agenda_mismatches` (a participant
whose agenda differs from the dashboard's `by_slot`: must be 0), `publish_visible_ms` (publish sent -> the agenda
in a participant's view).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from server.simulate_common import STEP_TIMEOUT, SetupError, _unpack, apply_ops, percentiles
from server.simulate_people import Profile
from server.simulate_poll import PollSimulation

# What simulated participants offer and seek (a seeded draw of two each).
_OFFERS = (
    "robotic welding", "precision machining", "sensor networks", "cold chain logistics", "bio-based plastics",
    "solar inverters", "clinical trials", "software testing", "food traceability", "3D printing",
    "battery recycling", "export consulting", "digital twins", "packaging design", "water treatment",
)  # fmt: skip
_CHAIN = ("research", "design", "production", "distribution", "services", "end_user")
_MARKETS = ("IT", "FR", "DE", "ES", "PL", "NL", "BE", "PT", "SE", "AT")
_QUIET_S = 3.0  # a schedule version shown with no solver run for this long: the solver had nothing to do


def add_matchmaking_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the matchmaking scenario."""
    parser.add_argument("--slots", type=int, default=8, help="meeting slots (default 8)")
    parser.add_argument("--slot-minutes", type=int, default=10, help="minutes per slot (default 10; at least 5)")
    parser.add_argument("--tables", type=int, default=0, help="tables (default: enough for everyone at once)")
    parser.add_argument("--requests-per-person", type=int, default=3,
                        help="meeting requests each participant sends (default 3)")  # fmt: skip
    parser.add_argument("--accept-share", type=float, default=0.8, help="share of requests accepted (0.8)")
    parser.add_argument("--unavailable-share", type=float, default=0.25,
                        help="share of the slots each participant cannot attend (0.25)")  # fmt: skip


class _Desk:
    """One participant's socket: acks routed to the commands waiting for them, and its view."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.data: Any = {}
        self.pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.changed = asyncio.Event()
        self.agenda_at: float | None = None


class MatchmakingSimulation(PollSimulation):
    def __init__(self, args: argparse.Namespace, base: str, workshop_id: str, profiles: list[Profile]) -> None:
        super().__init__(args, base, workshop_id, profiles)
        self.configured = asyncio.Event()
        self.published = asyncio.Event()
        self.dash: dict[str, Any] = {}
        self.desks: dict[int, _Desk] = {}
        self.plan: dict[int, list[int]] = {}  # requester index -> recipient indexes
        self.requests = self.answered = 0
        self.publish_sent_at = 0.0
        self.solver_wait: float | None = None
        self.rng = random.Random(args.seed)

    # The facilitator.

    def _dashboard_data(self, now: float, message: dict[str, Any], data: Any) -> None:
        self.dash = data.get("matchmaking") or {}

    def _plan_requests(self) -> None:
        """Who asks whom: each one `--requests-per-person` others at random, never a pair twice."""
        people = sorted(self.pids)
        taken: set[frozenset[int]] = set()
        for i in people:
            others = [j for j in people if j != i]
            self.rng.shuffle(others)
            mine = []
            for j in others:
                if len(mine) >= self.args.requests_per_person:
                    break
                if frozenset((i, j)) not in taken:
                    taken.add(frozenset((i, j)))
                    mine.append(j)
            self.plan[i] = mine

    async def match(self, deadline: float) -> None:
        """Configure, let everyone request and answer, schedule, wait for the solver, publish, check agendas."""
        try:
            if not self.joined:
                raise SetupError("nobody_joined")
            self._plan_requests()
            start = (datetime.now(UTC) + timedelta(minutes=1)).replace(second=0, microsecond=0)
            end = start + timedelta(minutes=self.args.slots * self.args.slot_minutes)
            tables = self.args.tables or max(1, len(self.pids) // 2)
            await self._facilitator("configure_matchmaking", {
                "sessions": [{"start": start.isoformat(), "end": end.isoformat()}],
                "slot_minutes": self.args.slot_minutes, "tables": tables, "requires_acceptance": True,
            })  # fmt: skip
        except SetupError as exc:
            self.error_codes[str(exc)] += 1
            return
        finally:
            self.configured.set()
        while self.acted < self.joined and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if not await self._until(self._all_answered, deadline):
            self.error_codes["requests_not_answered_on_dashboard"] += 1
        try:
            sent = time.monotonic()
            ack = await self._facilitator("schedule_meetings", {})
            version = int((ack.get("result") or {}).get("schedule_version") or 0)
            if not await self._solver_done(version, deadline):
                self.error_codes["solver_not_done"] += 1
            self.solver_wait = time.monotonic() - sent
            self.publish_sent_at = time.monotonic()
            await self._facilitator("publish_schedule", {})
        except SetupError as exc:
            self.error_codes[str(exc)] += 1
            return
        finally:
            self.published.set()
        if not await self._until(lambda: self._mismatches() == 0, min(deadline, time.monotonic() + 15)):
            self.error_codes["agendas_not_all_shown"] += 1

    def _all_answered(self) -> bool:
        counts = self.dash.get("counts") or {}
        return counts.get("pending") == 0 and counts.get("requests") == self.requests

    def _mismatches(self) -> int:
        """Participants whose agenda differs from the dashboard's table plan (all of them before publication)."""
        if self.dash.get("published") is not True:
            return len(self.desks)
        want = self._expected()
        return sum(1 for d in self.desks.values() if self._agenda(d) != want.get(d.index, set()))

    async def _until(self, check: Any, deadline: float) -> bool:
        while not check():
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.05)
        return True

    async def _solver_done(self, version: int, deadline: float) -> bool:
        """The dashboard shows this schedule (or a later one) and the solver is not running on it any more."""
        seen_solving, quiet_since = False, None
        while time.monotonic() < deadline:
            schedule = self.dash.get("schedule") or {}
            if int(schedule.get("version") or 0) >= version:
                if self.dash.get("solving"):
                    seen_solving, quiet_since = True, None
                else:
                    quiet_since = quiet_since or time.monotonic()
                    greedy_final = schedule.get("method") == "greedy" and schedule.get("optimal")
                    if seen_solving or greedy_final or schedule.get("method") != "greedy":
                        return True
                    if time.monotonic() - quiet_since > _QUIET_S:
                        return True
            await asyncio.sleep(0.05)
        return False

    def _expected(self) -> dict[int, set[tuple[int, int, str]]]:
        """Per participant index, (slot, table, the other's id) as the dashboard's table plan has them."""
        index = {pid: i for i, pid in self.pids.items()}
        out: dict[int, set[tuple[int, int, str]]] = {}
        for slot, rows in enumerate(self.dash.get("by_slot") or []):
            for row in rows:
                a, b = str(row["a"]["id"]), str(row["b"]["id"])
                for me, other in ((a, b), (b, a)):
                    if me in index:
                        out.setdefault(index[me], set()).add((slot, int(row["table"]), other))
        return out

    @staticmethod
    def _agenda(desk: _Desk) -> set[tuple[int, int, str]]:
        mine = (((desk.data or {}).get("me") or {}).get("matchmaking") or {}).get("agenda") or []
        return {(int(m["slot"]), int(m["table"]), str(m["with"]["id"])) for m in mine}

    # The participants.

    async def _after_join(self, i: int, ws: ClientConnection) -> None:
        desk = self.desks[i] = _Desk(i)
        reader = asyncio.create_task(self._follow(ws, desk))
        await self._act_then_idle(ws, reader, self._take_part(ws, desk), "connection_lost_in_matchmaking")

    async def _follow(self, ws: ClientConnection, desk: _Desk) -> None:
        try:
            async for frame in ws:
                message = _unpack(frame)
                kind = message.get("type")
                if kind in ("ack", "error"):
                    future = desk.pending.pop(str(message.get("id")), None)
                    if future is not None and not future.done():
                        future.set_result(message)
                    elif kind == "error":
                        self.error_codes[f"participant_{message.get('code')}"] += 1
                elif kind in ("snapshot", "update"):
                    desk.data = message.get("data") if kind == "snapshot" else apply_ops(desk.data, message["ops"])
                    if desk.agenda_at is None and self.published.is_set() and self._agenda(desk):
                        desk.agenda_at = time.monotonic()
                    desk.changed.set()
        finally:
            for future in desk.pending.values():
                if not future.done():
                    future.set_exception(ConnectionClosed(None, None))

    async def _send(self, ws: ClientConnection, desk: _Desk, name: str, args: dict[str, Any]) -> bool:
        command_id = str(uuid.uuid4())
        future = desk.pending[command_id] = asyncio.get_running_loop().create_future()
        await ws.send(self.pack({"type": "command", "id": command_id, "name": name, "args": args}))
        answer = await asyncio.wait_for(future, STEP_TIMEOUT)
        if answer.get("type") != "ack":
            self.error_codes[f"{name}_{answer.get('code')}"] += 1
            return False
        return True

    async def _take_part(self, ws: ClientConnection, desk: _Desk) -> None:
        """Profile, availability, requests; then answer the requests this participant expects to receive."""
        await self.configured.wait()
        i = desk.index
        if not self.plan or i not in self.pids:
            return
        rng, profile = random.Random(f"{self.args.seed}:{i}"), self.profiles[i]
        offers, seeks = rng.sample(_OFFERS, 2), rng.sample(_OFFERS, 2)
        await self._send(ws, desk, "save_match_profile", {
            "offers": ", ".join(offers), "seeks": ", ".join(seeks), "sectors": [profile.sector],
            "value_chain": rng.choice(_CHAIN), "markets": rng.sample(_MARKETS, 2),
        })  # fmt: skip
        slots = self.args.slots
        away = sorted(rng.sample(range(slots), round(slots * self.args.unavailable_share)))
        await self._send(ws, desk, "set_availability", {"unavailable": away})
        for j in self.plan.get(i, []):
            note = f"{profile.organisation} would like to talk about {rng.choice(_OFFERS)}."
            if await self._send(ws, desk, "request_meeting", {"participant_id": self.pids[j], "note": note}):
                self.requests += 1
        expected = sum(1 for k, targets in self.plan.items() if i in targets)
        index = {pid: k for k, pid in self.pids.items()}
        answered: set[str] = set()
        until = time.monotonic() + STEP_TIMEOUT
        while len(answered) < expected and time.monotonic() < until:
            desk.changed.clear()
            mine = (((desk.data or {}).get("me") or {}).get("matchmaking") or {}).get("requests") or []
            for m in mine:
                if m["mine"] or m["status"] != "pending" or m["id"] in answered:
                    continue
                answered.add(m["id"])
                requester = index.get(str(m["with"]["id"]), -1)
                accept = random.Random(f"{self.args.seed}:{requester}:{i}").random() < self.args.accept_share
                await self._send(ws, desk, "accept_meeting" if accept else "decline_meeting", {"meeting_id": m["id"]})
                self.answered += 1
            if len(answered) < expected:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(desk.changed.wait(), 1.0)
        if len(answered) < expected:
            self.error_codes["requests_never_seen"] += expected - len(answered)

    def _progress_note(self) -> str:
        counts = self.dash.get("counts") or {}
        return f", requests {counts.get('requests', 0)}, accepted {counts.get('accepted', 0)}" if counts else ""

    def matchmaking_summary(self) -> dict[str, Any]:
        counts, schedule = self.dash.get("counts") or {}, self.dash.get("schedule") or {}
        mismatches = self._mismatches()
        seen = [d.agenda_at - self.publish_sent_at for d in self.desks.values() if d.agenda_at is not None]
        return {
            "requests": self.requests, "answered": self.answered, "accepted": int(counts.get("accepted") or 0),
            "declined": int(counts.get("declined") or 0), "scheduled": int(counts.get("scheduled") or 0),
            "upper_bound": schedule.get("upper_bound"), "optimal": schedule.get("optimal"),
            "schedule_method": schedule.get("method"), "unscheduled": len(schedule.get("unscheduled") or []),
            "solver_wait_s": None if self.solver_wait is None else round(self.solver_wait, 3),
            "published": bool(self.dash.get("published")),
            "agendas_seen": sum(1 for d in self.desks.values() if self._agenda(d)),
            "agenda_mismatches": mismatches, "publish_visible_ms": percentiles(seen),
        }  # fmt: skip
