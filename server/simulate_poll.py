"""`tavolo simulate --scenario poll`: the simulated room joins, then votes in a poll while the facilitator watches.

After the join flow of `server/simulate.py`, every participant stays connected on the participant view. The
facilitator, over its dashboard websocket, creates a poll of the chosen kind (results hidden, named or secret) and
opens it. Each participant waits until the poll shows in its own view, then casts a seeded, plausible ballot at
its moment in the vote window (sends spread uniformly over `--vote-window` seconds after the opening); some change
their vote later in the window (a second ballot, a new command id) and some retry a ballot with the same command
id, as a client does when its ack is lost (half of them before the ack came back, half after): the retry must be
answered `duplicate`. When everyone has voted and the dashboard shows them all, the facilitator closes the poll
and reads the closed poll from the dashboard view; the counts are compared with what the participants sent.

Figures (added to the summary JSON): `ballots_sent` (distinct ballot commands, retries excluded), `ballots_acked`,
`tally_total` (the closed poll's turnout `voted` on the dashboard: one per voter), `ballots_per_s` (acked ballots
over the time from the first ballot sent to the last ack), `ballot_latency_ms` (send -> ack),
`tally_latency_ms` (a first ballot sent -> the first dashboard message whose turnout includes it: first ballots
ranked by their ack's log position, the k-th is in the tally once the dashboard shows `voted` >= k) and
`poll_visible_ms` (the `open_poll` sent -> the poll open in a participant's view).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import collections
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from server.simulate import Simulation
from server.simulate_answers import KINDS, POLLS, expected_results, make_answer, shown_results
from server.simulate_common import (
    SETTLE_TIMEOUT,
    STEP_TIMEOUT,
    SetupError,
    _http_bearer,
    _is_view_frame,
    _unpack,
    apply_ops,
    percentiles,
)
from server.simulate_people import Profile

__all__ = ["KINDS", "POLLS", "PollSimulation", "expected_results", "make_answer", "shown_results"]


def add_poll_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the poll scenario."""
    parser.add_argument("--poll-kind", choices=KINDS, default="single", help="kind of poll (default single)")
    parser.add_argument("--secret", action="store_true", help="a secret ballot (default: named)")
    parser.add_argument(
        "--vote-window",
        type=float,
        default=2.0,
        help="spread the ballots uniformly over this many seconds after the opening (default 2)",
    )
    parser.add_argument("--change-share", type=float, default=0.1, help="share who change their vote (0.1)")
    parser.add_argument("--retry-share", type=float, default=0.1,
                        help="share who retry a ballot with its command id, as after a lost ack (0.1)")  # fmt: skip


@dataclass
class Ballot:
    voter: int
    command_id: str
    answer: Any
    first: bool
    sent_at: float = 0.0
    acked_at: float | None = None
    position: int | None = None


@dataclass(frozen=True)
class _Plan:
    first_at: float  # seconds after the opening
    change_at: float | None  # a second ballot then (at the earliest after the first one's ack)
    retry: str | None  # "early": resend before the ack; "late": resend after it


class _Voter:
    """One participant's socket: acks and errors routed to the commands waiting for them, and its view until the
    poll shows in it."""

    def __init__(self) -> None:
        self.pending: dict[str, collections.deque[asyncio.Future[tuple[float, dict[str, Any]]]]] = {}
        self.data: Any = {}
        self.seen = asyncio.Event()
        self.seen_at = 0.0

    def expect(self, command_id: str) -> asyncio.Future[tuple[float, dict[str, Any]]]:
        future = asyncio.get_running_loop().create_future()
        self.pending.setdefault(command_id, collections.deque()).append(future)
        return future

    def check(self, poll_id: str | None, now: float) -> None:
        if poll_id is None or self.seen.is_set():
            return
        poll = ((self.data.get("polls") or {}).get(poll_id) or {}).get("poll") or {}
        if poll.get("state") == "open":
            self.seen_at = now
            self.seen.set()
            self.data = None  # no need to follow the view any further


class PollSimulation(Simulation):
    def __init__(self, args: argparse.Namespace, base: str, workshop_id: str, profiles: list[Profile]) -> None:
        super().__init__(args, base, workshop_id, profiles)
        self.args, self.base, self.workshop_id = args, base, workshop_id
        self.facilitator_token: str | None = None
        self.kind: str = args.poll_kind
        self.poll_id: str | None = None
        self.poll_open = asyncio.Event()
        self.open_sent_at = self.vote_start = self.vote_end = 0.0
        self.commands: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.ballots: list[Ballot] = []
        self.ballot_retries = self.ballot_duplicates = 0
        self.timeline: list[tuple[float, int]] = []  # (when, voted) each time the dashboard's turnout grew
        self.closed: dict[str, Any] | None = None
        self.closed_seen = asyncio.Event()
        self.visible: list[float] = []
        self.loop_lag: list[float] = []
        self.tally_matches: bool | None = None
        rng, window = random.Random(args.seed), max(0.0, args.vote_window)
        self.plans = []
        for _ in self.profiles:
            first_at = rng.random() * window
            change = rng.random() < args.change_share
            retry = rng.random() < args.retry_share
            early = rng.random() < 0.5
            change_at = first_at + rng.random() * (window - first_at) if change else None
            self.plans.append(_Plan(first_at, change_at, ("early" if early else "late") if retry else None))

    # The facilitator, over its dashboard socket.

    async def dashboard(self, token: str) -> None:
        self.facilitator_token = token
        await super().dashboard(token)

    def _command_answer(self, message: dict[str, Any]) -> bool:
        future = self.commands.pop(str(message.get("id")), None)
        if future is not None and not future.done():
            future.set_result(message)
        return future is not None

    def _dashboard_data(self, now: float, message: dict[str, Any], data: Any) -> None:
        poll = (data.get("polls") or {}).get(self.poll_id) if self.poll_id else None
        if not poll:
            return
        voted = int((poll.get("turnout") or {}).get("voted") or 0)
        if not self.timeline or voted > self.timeline[-1][1]:
            self.timeline.append((now, voted))
        if (poll.get("poll") or {}).get("state") == "closed" and self.closed is None:
            self.closed = poll
            self.closed_seen.set()

    async def _facilitator(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        """Run a command on the dashboard socket; retried with the same id if the socket drops."""
        command_id = str(uuid.uuid4())
        frame = self.pack({"type": "command", "id": command_id, "name": name, "args": args})
        for _ in range(3):
            ws = self.dashboard_ws
            if ws is None:
                await asyncio.sleep(0.5)
                continue
            future = self.commands[command_id] = asyncio.get_running_loop().create_future()
            try:
                await ws.send(frame)
                message = await asyncio.wait_for(future, STEP_TIMEOUT)
            except (ConnectionClosed, OSError, TimeoutError):
                self.commands.pop(command_id, None)
                await asyncio.sleep(0.5)
                continue
            if message.get("type") == "error":
                raise SetupError(f"facilitator_{message.get('code')}")
            return message
        raise SetupError(f"facilitator_{name}_no_answer")

    async def vote(self, deadline: float) -> None:
        """Create and open the poll, let everyone vote, wait for the dashboard to count them, close the poll."""
        hook = getattr(self.args, "phase_hook", None)
        try:
            if not self.joined:
                raise SetupError("nobody_joined")
            kind = self.kind
            spec = {**POLLS[kind], "kind": kind, "secret": self.args.secret, "visibility": "hidden"}
            created = await self._facilitator("create_poll", spec)
            poll_id = (created.get("result") or {}).get("poll_id")
            if not poll_id:
                raise SetupError("facilitator_create_poll_without_poll_id")
            self.poll_id = str(poll_id)
            if hook:
                hook("vote_start")
            self.open_sent_at = time.monotonic()
            await self._facilitator("open_poll", {"poll_id": self.poll_id})
        except SetupError as exc:
            self.error_codes[str(exc)] += 1
            self.poll_id = None  # the voters give up at once
            return
        except BaseException:
            self.poll_id = None
            raise
        finally:
            self.vote_start = time.monotonic()
            self.poll_open.set()
        lag = asyncio.create_task(self._watch_lag())
        while self.acted < self.joined and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        voters = len({b.voter for b in self.ballots if b.first and b.position is not None})
        settle = min(deadline, time.monotonic() + SETTLE_TIMEOUT)
        while (not self.timeline or self.timeline[-1][1] < voters) and time.monotonic() < settle:
            await asyncio.sleep(0.01)
        self.vote_end = time.monotonic()
        lag.cancel()
        if hook:
            hook("vote_end")
        try:
            await self._facilitator("close_poll", {"poll_id": self.poll_id})
            await asyncio.wait_for(self.closed_seen.wait(), STEP_TIMEOUT)
        except (SetupError, TimeoutError) as exc:
            self.error_codes[str(exc) or "closed_poll_not_on_dashboard"] += 1
            return
        await self._cross_check()

    async def _cross_check(self) -> None:
        """The closed poll on the live dashboard agrees with the HTTP view, and with the ballots we sent."""
        assert self.closed is not None and self.poll_id is not None
        token = self.facilitator_token
        if token:
            url = f"{self.base}/api/workshops/{self.workshop_id}/views/dashboard"
            status, body = await asyncio.to_thread(_http_bearer, url, token)
            if status == 200 and isinstance(body, dict):
                fresh = body["data"]["polls"].get(self.poll_id) or {}
                if fresh.get("turnout") != self.closed.get("turnout") or fresh.get("results") != self.closed.get(
                    "results"
                ):
                    self.error_codes["dashboard_differs_from_http_view"] += 1
        final: dict[int, Ballot] = {}
        for b in self.ballots:
            if b.position is None:
                return  # an unacknowledged ballot may or may not count: nothing to compare against
            if b.voter not in final or b.position > final[b.voter].position:  # type: ignore[operator]
                final[b.voter] = b
        results = self.closed.get("results")
        if not results:
            self.error_codes["closed_poll_without_results"] += 1
            return
        expected = expected_results(self.kind, [b.answer for b in final.values()])
        self.tally_matches = (
            shown_results(self.kind, results[0]) == expected and results[0].get("respondents") == len(final)
        ) or (self.kind == "text" and len(final) > 200 and results[0].get("respondents") == len(final))
        if not self.tally_matches:
            self.error_codes["tally_mismatch"] += 1

    async def _watch_lag(self, every: float = 0.005) -> None:
        """How late this event loop wakes up during the vote: when it lags, the load generator itself delays
        acks and tallies, and the latencies are partly the client's."""
        while True:
            before = time.monotonic()
            await asyncio.sleep(every)
            self.loop_lag.append(max(0.0, time.monotonic() - before - every))

    # The participants.

    async def _after_join(self, i: int, ws: ClientConnection) -> None:
        voter = _Voter()
        reader = asyncio.create_task(self._read(ws, voter))
        await self._act_then_idle(ws, reader, self._vote(i, ws, voter), "connection_lost_while_voting")

    async def _read(self, ws: ClientConnection, voter: _Voter) -> None:
        try:
            async for frame in ws:
                if voter.seen.is_set() and _is_view_frame(frame):
                    continue  # the view is no longer followed: skip decoding it (the load generator's CPU)
                now, message = time.monotonic(), _unpack(frame)
                kind = message.get("type")
                if kind in ("ack", "error"):
                    waiting = voter.pending.get(str(message.get("id")))
                    if waiting:
                        future = waiting.popleft()
                        if not future.done():
                            future.set_result((now, message))
                    elif kind == "error":
                        self.error_codes[f"participant_{message.get('code')}"] += 1
                elif kind in ("snapshot", "update") and not voter.seen.is_set():
                    if kind == "snapshot":
                        voter.data = message.get("data") or {}
                    else:
                        voter.data = apply_ops(voter.data, message.get("ops") or [])
                    voter.check(self.poll_id, now)
        finally:
            for waiting in voter.pending.values():
                for future in waiting:
                    if not future.done():
                        future.set_exception(ConnectionClosed(None, None))

    async def _vote(self, i: int, ws: ClientConnection, voter: _Voter) -> None:
        await self.poll_open.wait()  # set once the poll is open, or could not be opened
        if self.poll_id is None:
            return
        voter.check(self.poll_id, time.monotonic())
        try:
            await asyncio.wait_for(voter.seen.wait(), STEP_TIMEOUT)
        except TimeoutError:
            self.error_codes["poll_not_visible"] += 1
            return
        self.visible.append(voter.seen_at - self.open_sent_at)
        plan, rng = self.plans[i], random.Random(f"{self.args.seed}:{i}")
        language = self.profiles[i].language
        await asyncio.sleep(max(0.0, self.vote_start + plan.first_at - time.monotonic()))
        if not await self._cast(i, ws, voter, make_answer(self.kind, rng, language), True, plan.retry):
            return
        if plan.change_at is not None:
            await asyncio.sleep(max(0.0, self.vote_start + plan.change_at - time.monotonic()))
            await self._cast(i, ws, voter, make_answer(self.kind, rng, language), False, None)

    async def _cast(self, i: int, ws: ClientConnection, voter: _Voter, answer: Any, first: bool,
                    retry: str | None) -> bool:  # fmt: skip
        """Send one ballot (and its retry); True once it is acknowledged."""
        ballot = Ballot(i, str(uuid.uuid4()), answer, first)
        args = {"poll_id": self.poll_id, "answer": answer}
        frame = self.pack({"type": "command", "id": ballot.command_id, "name": "cast_ballot", "args": args})
        self.ballots.append(ballot)
        answered = voter.expect(ballot.command_id)
        ballot.sent_at = time.monotonic()
        await ws.send(frame)
        again = None
        if retry == "early":  # the client gave up waiting at once, or the user clicked twice
            again = voter.expect(ballot.command_id)
            await ws.send(frame)
        try:
            at, message = await asyncio.wait_for(answered, STEP_TIMEOUT)
        except TimeoutError:
            self.error_codes["ballot_timeout"] += 1
            return False
        if message.get("type") == "error":
            self.error_codes[f"ballot_{message.get('code')}"] += 1
            return False
        ballot.acked_at, ballot.position = at, int(message.get("position") or 0)
        if retry == "late":  # the ack was lost on the way: the client sends the same command again
            again = voter.expect(ballot.command_id)
            await ws.send(frame)
        if again is not None:
            self.ballot_retries += 1
            try:
                _, message = await asyncio.wait_for(again, STEP_TIMEOUT)
            except TimeoutError:
                self.error_codes["retry_timeout"] += 1
                return True
            if message.get("type") == "error":
                self.error_codes[f"retry_{message.get('code')}"] += 1
            elif not message.get("duplicate"):
                self.error_codes["retry_not_duplicate"] += 1
            else:
                self.ballot_duplicates += 1
        return True

    def _progress_note(self) -> str:
        if not self.poll_open.is_set():
            return ""
        acked = sum(b.position is not None for b in self.ballots)
        voted = self.timeline[-1][1] if self.timeline else 0
        return f"; ballots sent {len(self.ballots)}, acked {acked}, dashboard shows {voted} voted"

    # The figures.

    def poll_summary(self) -> dict[str, Any]:
        acked = [b for b in self.ballots if b.position is not None]
        firsts = sorted((b for b in acked if b.first), key=lambda b: b.position or 0)
        tally_total = int(self.closed["turnout"]["voted"]) if self.closed else None
        times, counts = [t for t, _ in self.timeline], [v for _, v in self.timeline]
        tally_latency = []
        for k, b in enumerate(firsts, 1):  # the k-th first ballot in log order is in every tally with voted >= k
            j = bisect.bisect_left(counts, k)
            if j < len(times):
                tally_latency.append(times[j] - b.sent_at)
        span = max((b.acked_at or 0.0 for b in acked), default=0.0) - min((b.sent_at for b in acked), default=0.0)
        lost = len(self.ballots) - len(acked) + max(0, len(firsts) - (tally_total or 0))
        if tally_total is None:
            lost = len(self.ballots)
        return {
            "poll_id": self.poll_id, "poll_kind": self.kind, "secret": self.args.secret,
            "vote_window_s": self.args.vote_window, "ballots_sent": len(self.ballots), "ballots_acked": len(acked),
            "ballots_changed": sum(not b.first for b in self.ballots), "ballot_retries": self.ballot_retries,
            "ballot_duplicates": self.ballot_duplicates, "voters": len(firsts), "tally_total": tally_total,
            "tally_matches": self.tally_matches, "ballots_lost": lost,
            "ballots_per_s": round(len(acked) / span, 1) if acked and span > 0 else 0.0,
            "vote_phase_s": round(self.vote_end - self.vote_start, 3) if self.vote_start else None,
            "ballot_latency_ms": percentiles([b.acked_at - b.sent_at for b in acked if b.acked_at is not None]),
            "tally_latency_ms": percentiles(tally_latency), "tally_measured": len(tally_latency),
            "poll_visible_ms": percentiles(self.visible), "client_loop_lag_ms": percentiles(self.loop_lag),
        }  # fmt: skip
