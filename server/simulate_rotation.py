"""`tavolo simulate --scenario rotation`: a short speed-dating rotation (seconds-long rounds) on the server's clock.

After the join flow of `server/simulate.py`, every participant stays connected on the participant view. The
facilitator, over its dashboard websocket, plans a rotation (`--table-size`, default 2: pairs; `--rounds`, default
3; `--round-seconds`, default 5) and starts it; the server's timer then ends each round and starts the next by
itself. Each participant follows its own part of the view and notes, round by round, its table and who it meets;
a share of them (`--star-share`, 30 %) stars one of the people they met (`mark_follow_up`). The run ends when the
dashboard shows the rotation finished.

Figures (added to the summary JSON): `rotation_id`, `rounds_planned`, `rounds_completed` (rounds the server ended:
`RoundEnded` events), `meetings_logged` (tables of two or more in the meeting log), `seats_seen` (participant
rounds in which the participant's view showed a table or a sit-out), `seats_missed` (participant rounds never
shown to that participant: must be 0), `seat_mismatches` (a participant saw B as a partner in a round while B's
view did not show them: must be 0), `stars_acked`, `round_change_ms` (the server's `ends_at` -> the next round
showing in a participant's view: how late phones learn that it is time to move, with the clock offset ignored
since both are on this machine).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from datetime import datetime
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from server.simulate_common import STEP_TIMEOUT, SetupError, _unpack, apply_ops, percentiles
from server.simulate_people import Profile
from server.simulate_poll import PollSimulation


def add_rotation_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the rotation scenario."""
    parser.add_argument("--table-size", type=int, default=2, help="people per table (default 2: pairs)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the rotation (default 3)")
    parser.add_argument("--round-seconds", type=int, default=5, help="seconds per round (default 5; at least 5)")
    parser.add_argument("--star-share", type=float, default=0.3,
                        help="share of participants who star someone they met (0.3)")  # fmt: skip


class _Seat:
    """One participant's socket and what its view showed, round by round."""

    def __init__(self) -> None:
        self.data: Any = {}
        self.pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.rounds: dict[int, tuple[int | None, frozenset[str]]] = {}  # round -> (table, partner ids)
        self.first_seen: dict[int, float] = {}  # round -> when (wall clock, s)
        self.pid = ""


class RotationSimulation(PollSimulation):
    def __init__(self, args: argparse.Namespace, base: str, workshop_id: str, profiles: list[Profile]) -> None:
        super().__init__(args, base, workshop_id, profiles)
        self.rotation_id: str | None = None
        self.started = asyncio.Event()
        self.finished = asyncio.Event()
        self.dash: dict[str, Any] = {}
        self.round_ends: dict[int, float] = {}  # round -> its ends_at (epoch s), as the dashboard last showed
        self.seats: list[_Seat] = []
        self.stars_acked = 0
        self.rng = random.Random(args.seed)

    # The facilitator.

    def _dashboard_data(self, now: float, message: dict[str, Any], data: Any) -> None:
        rotation = data.get("rotation") or {}
        if not self.rotation_id or rotation.get("id") != self.rotation_id:
            return
        self.dash = rotation
        clock = rotation.get("clock") or {}
        if clock.get("state") == "running" and clock.get("ends_at"):
            self.round_ends[int(rotation.get("current") or 0)] = datetime.fromisoformat(clock["ends_at"]).timestamp()
        if rotation.get("state") == "finished":
            self.finished.set()

    async def rotate(self, deadline: float) -> None:
        """Plan, start, and wait for the server's clock to run every round."""
        try:
            if not self.joined:
                raise SetupError("nobody_joined")
            settings = {
                "table_size": self.args.table_size, "rounds": self.args.rounds,
                "round_seconds": self.args.round_seconds, "seed": self.args.seed, "title": "Speed dating",
            }  # fmt: skip
            planned = await self._facilitator("create_rotation", settings)
            self.rotation_id = str((planned.get("result") or {}).get("rotation_id") or "") or None
            if self.rotation_id is None:
                raise SetupError("facilitator_plan_without_rotation_id")
            await self._facilitator("start_rotation", {"rotation_id": self.rotation_id})
        except SetupError as exc:
            self.error_codes[str(exc)] += 1
            return
        finally:
            self.started.set()
        try:
            await asyncio.wait_for(self.finished.wait(), max(1.0, deadline - time.monotonic()))
        except TimeoutError:
            self.error_codes["rotation_not_finished"] += 1
        await asyncio.sleep(0.5)  # the last view updates reach the phones

    # The participants.

    async def _after_join(self, i: int, ws: ClientConnection) -> None:
        seat = _Seat()
        self.seats.append(seat)
        reader = asyncio.create_task(self._follow(ws, seat))
        await self._act_then_idle(ws, reader, self._star(ws, seat), "connection_lost_in_rotation")

    async def _follow(self, ws: ClientConnection, seat: _Seat) -> None:
        try:
            async for frame in ws:
                message = _unpack(frame)
                kind = message.get("type")
                if kind in ("ack", "error"):
                    future = seat.pending.pop(str(message.get("id")), None)
                    if future is not None and not future.done():
                        future.set_result(message)
                    elif kind == "error":
                        self.error_codes[f"participant_{message.get('code')}"] += 1
                elif kind in ("snapshot", "update"):
                    seat.data = message.get("data") if kind == "snapshot" else apply_ops(seat.data, message["ops"])
                    self._note(seat)
        finally:
            for future in seat.pending.values():
                if not future.done():
                    future.set_exception(ConnectionClosed(None, None))

    def _note(self, seat: _Seat) -> None:
        me = (seat.data or {}).get("me") or {}
        seat.pid = str(me.get("id") or seat.pid)
        now = (me.get("rotation") or {}).get("now")
        if not now or not now.get("round"):
            return
        number = int(now["round"])
        partners = frozenset(str(p["id"]) for p in now.get("partners") or [])
        seat.rounds[number] = (now.get("table"), partners)
        seat.first_seen.setdefault(number, time.time())

    async def _star(self, ws: ClientConnection, seat: _Seat) -> None:
        """Wait for the rotation; a share of participants star someone once they have met them."""
        await self.started.wait()
        if self.rotation_id is None or self.rng.random() >= self.args.star_share:
            return
        while not self.finished.is_set():
            met = ((seat.data or {}).get("me") or {}).get("rotation") or {}
            people = [str(p["id"]) for p in met.get("met") or []]
            if people:
                command_id = str(uuid.uuid4())
                args = {"rotation_id": self.rotation_id, "participant_id": people[0], "starred": True}
                future = seat.pending[command_id] = asyncio.get_running_loop().create_future()
                await ws.send(self.pack({"type": "command", "id": command_id, "name": "mark_follow_up", "args": args}))
                answer = await asyncio.wait_for(future, STEP_TIMEOUT)
                if answer.get("type") == "ack":
                    self.stars_acked += 1
                return
            await asyncio.sleep(0.2)

    def _progress_note(self) -> str:
        return f", round {self.dash.get('current', 0)}/{self.dash.get('rounds', '?')}" if self.dash else ""

    def rotation_summary(self) -> dict[str, Any]:
        completed = int(self.dash.get("rounds_held") or 0)
        seen = sum(len(s.rounds) for s in self.seats)
        by_pid = {s.pid: s for s in self.seats if s.pid}
        mismatches = 0
        for seat in self.seats:
            for number, (_, partners) in seat.rounds.items():
                for other in partners:
                    theirs = by_pid.get(other)
                    if theirs is not None and number in theirs.rounds and seat.pid not in theirs.rounds[number][1]:
                        mismatches += 1
        changes = [
            (seat.first_seen[n] - self.round_ends[n - 1]) * 1000
            for seat in self.seats for n in seat.first_seen if n - 1 in self.round_ends
        ]  # fmt: skip
        expected = completed * len(self.seats)
        return {
            "rotation_id": self.rotation_id, "rounds_planned": int(self.dash.get("rounds") or 0),
            "rounds_completed": completed, "meetings_logged": int(self.dash.get("meetings_held") or 0),
            "seats_seen": seen, "seats_missed": max(0, expected - seen), "seat_mismatches": mismatches,
            "stars_acked": self.stars_acked, "round_change_ms": percentiles([c / 1000 for c in changes]),
            "quality": self.dash.get("quality"),
        }  # fmt: skip
