"""`tavolo simulate`: N simulated laptops join a workshop over websockets, as on the morning of the event.

Each simulated participant opens one websocket, sends an anonymous `hello` and a `join` command with a
client-chosen token, waits for the `ack`, re-authenticates as itself (`hello` with its token,
`view=participant`) and waits for its `snapshot`. Everyone stays connected until all have joined, so the
dashboard shows them online. An optional facilitator connection follows the `dashboard` view and records when
each participant first appears there.

`--scenario poll` goes on to a vote, see `server/simulate_poll.py`; `--scenario groups` to group work (a split, a
question set, members writing on their group's sheet), see `server/simulate_groups.py`; `--scenario rotation` and
`--scenario matchmaking` to a speed-dating rotation and to B2B meetings (`server/simulate_rotation.py`,
`server/simulate_matchmaking.py`).

Progress goes to stderr once a second; the last line of stdout is one JSON object with the figures (see
`simulate`). Connections bypass any HTTP proxy from the environment: the point is to measure the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import sys
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Coroutine
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, ConnectionClosedError, InvalidHandshake, InvalidStatus

from server.simulate_common import (
    MAX_ATTEMPTS,
    SETTLE_TIMEOUT,
    STEP_TIMEOUT,
    SetupError,
    _packer,
    _Refused,
    _setup,
    _unpack,
    apply_ops,
    percentiles,
    run_sync,
    stay_until,
)
from server.simulate_people import Profile, make_profiles


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `tavolo simulate` options."""
    parser.add_argument("--url", required=True, help="server base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--code", help="join code of a workshop (default: create a rehearsal workshop)")
    parser.add_argument("--facilitator-token", help="with --code: facilitator token, to follow the dashboard")
    parser.add_argument("--participants", type=int, default=100, help="how many join (default 100)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated profiles (default 1)")
    parser.add_argument("--concurrency", type=int, default=200, help="joins in flight at once (default 200)")
    parser.add_argument("--scenario", choices=["join", "poll", "groups", "rotation", "matchmaking"], default="join",
                        help="what participants do: join; join and vote in a poll; join and answer questions "
                             "in groups; join and rotate through a speed-dating rotation; or join and request, "
                             "answer and get scheduled B2B meetings")  # fmt: skip
    parser.add_argument("--dashboard", action=argparse.BooleanOptionalAction, default=None,
                        help="follow the dashboard and measure when joins become visible there "
                             "(default: on when a facilitator token is known)")  # fmt: skip
    parser.add_argument("--encoding", choices=["msgpack", "json"], default="msgpack",
                        help="binary msgpack frames (default) or JSON text, as browsers send")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=300.0, help="give up after this many seconds (300)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    from server.simulate_poll import add_poll_arguments

    add_poll_arguments(parser)
    from server.simulate_groups import add_groups_arguments

    add_groups_arguments(parser)
    from server.simulate_rotation import add_rotation_arguments

    add_rotation_arguments(parser)
    from server.simulate_matchmaking import add_matchmaking_arguments

    add_matchmaking_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Run the simulation, print the summary as the last line of stdout; 0 when everyone joined (and, in the poll
    scenario, everyone's ballot was counted once and nothing went wrong)."""
    summary = run_sync(simulate(args))
    print(json.dumps(summary, ensure_ascii=False), flush=True)
    if args.scenario == "poll":
        return 0 if summary.get("tally_total") == summary["participants"] and summary["errors"] == 0 else 1
    if args.scenario == "groups":
        ok = summary["joined"] == summary["participants"] and summary["errors"] == 0
        return 0 if ok and summary.get("lost_texts") == 0 else 1
    if args.scenario == "rotation":
        ok = summary["joined"] == summary["participants"] and summary["errors"] == 0
        whole = summary.get("rounds_completed") == summary.get("rounds_planned") and not summary.get("seats_missed")
        return 0 if ok and whole and summary.get("seat_mismatches") == 0 else 1
    if args.scenario == "matchmaking":
        ok = summary["joined"] == summary["participants"] and summary["errors"] == 0
        return 0 if ok and summary.get("published") and summary.get("agenda_mismatches") == 0 else 1
    return 0 if summary["joined"] == summary["participants"] else 1


class Simulation:
    """State of one run; every coroutine runs on the same event loop, so no locks are needed."""

    def __init__(self, args: argparse.Namespace, base: str, workshop: str, profiles: list[Profile]) -> None:
        self.profiles = profiles
        self.pack = _packer(args.encoding)
        scheme = "wss" if base.startswith("https") else "ws"
        self.ws_url = f"{scheme}://{urllib.parse.urlsplit(base).netloc}/ws/{workshop}"
        self.slots = asyncio.Semaphore(max(1, args.concurrency))
        self.release = asyncio.Event()
        self.dashboard_ready = asyncio.Event()
        self.sent_at: dict[int, float] = {}
        self.pids: dict[int, str] = {}
        self.ack_latency: list[float] = []
        self.seen_at: dict[str, float] = {}
        self.joined = self.retries = self.duplicates = self.dropped_after_join = 0
        self.acted = 0  # participants done with the scenario's part (voting, writing)
        # participants in flight -> connecting, awaiting ack or awaiting snapshot
        self.phase_of: dict[int, str] = {}
        self.retry_reasons: Counter[str] = Counter()
        self.error_codes: Counter[str] = Counter()
        self.failed: set[int] = set()
        self.last_join_at = 0.0
        self.dashboard_ws: ClientConnection | None = None

    async def _connect(self, max_size: int | None = 1 << 20) -> ClientConnection:
        # compression off as on the server; no keepalive pings: a missed pong would look like a server fault
        return await connect(self.ws_url, compression=None, proxy=None, open_timeout=STEP_TIMEOUT,
                             ping_interval=None, close_timeout=5, max_size=max_size,
                             user_agent_header="tavolo-simulate")  # fmt: skip

    async def participant(self, i: int, profile: Profile) -> None:
        """Join as `profile`; a bug or a malformed answer counts as this participant's error, not a hang."""
        try:
            ws = await self._join(i, profile)
        except Exception as exc:
            if i not in self.failed:
                self.error_codes[f"client_{type(exc).__name__}"] += 1
                self.failed.add(i)
            return
        if ws is not None:
            self.joined += 1
            self.last_join_at = time.monotonic()
            await self._after_join(i, ws)

    async def _join(self, i: int, profile: Profile) -> ClientConnection | None:
        """Join, retrying after a dropped connection with the same command id and token (applied once)."""
        command_id, token = str(uuid.uuid4()), secrets.token_urlsafe(32)
        join_args = {**profile.join_args(), "token": token}
        command = self.pack({"type": "command", "id": command_id, "name": "join", "args": join_args})
        ws: ClientConnection | None = None
        async with self.slots:
            try:
                for attempt in range(MAX_ATTEMPTS):
                    try:
                        async with asyncio.timeout(STEP_TIMEOUT):
                            self.phase_of[i] = "connecting"
                            ws = await self._connect()
                            if i not in self.pids:
                                self.phase_of[i] = "awaiting ack"
                                await ws.send(self.pack({"type": "hello"}))
                                self.sent_at.setdefault(i, time.monotonic())
                                await ws.send(command)
                                await self._await_ack(ws, i, command_id)
                        async with asyncio.timeout(STEP_TIMEOUT):
                            self.phase_of[i] = "awaiting snapshot"
                            await ws.send(self.pack({"type": "hello", "token": token, "view": "participant"}))
                            await self._await_snapshot(ws, self.pids[i])
                        break
                    except (ConnectionClosed, OSError, TimeoutError, InvalidHandshake, _Refused) as exc:
                        if ws is not None:
                            ws.transport.abort()
                            ws = None
                        code = self._failure_code(exc)
                        if code is not None or attempt == MAX_ATTEMPTS - 1:
                            self.error_codes[code or "connection_lost"] += 1
                            self.failed.add(i)
                            return None
                        self.retries += 1
                        self.retry_reasons[f"{self.phase_of[i]}: {self._reason(exc)}"] += 1
                        await asyncio.sleep(min(2.0, 0.1 * 2**attempt) * (0.5 + random.random()))
            finally:
                self.phase_of.pop(i, None)
        return ws

    @staticmethod
    def _reason(exc: Exception) -> str:
        if isinstance(exc, _Refused):
            return exc.code
        return {TimeoutError: "timeout", ConnectionClosedError: "closed"}.get(type(exc), type(exc).__name__)

    @staticmethod
    def _failure_code(exc: Exception) -> str | None:
        """The error code when `exc` is final; None when the attempt may be retried."""
        if isinstance(exc, _Refused):
            return None if exc.retry else exc.code
        if isinstance(exc, InvalidStatus) and exc.response.status_code < 500:
            return f"http_{exc.response.status_code}"
        if isinstance(exc, ConnectionClosed) and exc.rcvd is not None and exc.rcvd.code == 1008:
            return "unauthorized"
        return None

    async def _await_ack(self, ws: ClientConnection, i: int, command_id: str) -> None:
        while True:
            message = _unpack(await ws.recv())
            kind = message.get("type")
            if kind == "ack" and message.get("id") == command_id:
                self.ack_latency.append(time.monotonic() - self.sent_at[i])
                self.duplicates += bool(message.get("duplicate"))
                self.pids[i] = str(message["result"]["participant_id"])
                return
            if kind == "error" and message.get("id") in (command_id, None):
                code = str(message.get("code"))
                raise _Refused(code, retry=code in ("unavailable", "rate_limited"))

    async def _await_snapshot(self, ws: ClientConnection, pid: str) -> None:
        while True:
            message = _unpack(await ws.recv())
            kind = message.get("type")
            if kind == "welcome" and message.get("participant_id") != pid:
                raise _Refused("wrong_participant")
            if kind == "error":
                raise _Refused(str(message.get("code")))
            if kind == "snapshot" and message.get("view") == "participant":
                return

    async def _after_join(self, i: int, ws: ClientConnection) -> None:
        """What a participant does once joined (the poll scenario votes); here: stay online."""
        await self._idle(ws)

    def _command_answer(self, message: dict[str, Any]) -> bool:
        """An `ack` or `error` on the dashboard socket: True if it answers a facilitator command of ours."""
        return False

    def _dashboard_data(self, now: float, message: dict[str, Any], data: Any) -> None:
        """The dashboard's data after each of its view messages."""

    async def _idle(self, ws: ClientConnection) -> None:
        """Stay online, reading (and dropping) view updates as a browser would, until everyone has joined."""

        async def drain() -> None:
            async for _ in ws:
                pass

        self.dropped_after_join += await stay_until(self.release, ws, asyncio.create_task(drain()))

    async def _act_then_idle(self, ws: ClientConnection, reader: asyncio.Task[None],
                             act: Coroutine[Any, Any, None], lost_code: str) -> None:  # fmt: skip
        """A scenario's part for one participant (`act`, while `reader` reads its socket), counted in `acted`
        whatever happens; then stay online until everyone has joined."""
        try:
            await act
        except ConnectionClosed:
            self.error_codes[lost_code] += 1
        except Exception as exc:
            self.error_codes[f"client_{type(exc).__name__}"] += 1
        finally:
            self.acted += 1
        self.dropped_after_join += await stay_until(self.release, ws, reader)

    async def dashboard(self, token: str) -> None:
        """Follow the dashboard view; note when each participant id first appears in `data.participants`."""
        for attempt in range(MAX_ATTEMPTS):
            try:
                async with await self._connect(max_size=None) as ws:
                    await ws.send(self.pack({"type": "hello", "token": token, "view": "dashboard"}))
                    self.dashboard_ws = ws
                    data: Any = {}
                    async for frame in ws:
                        now, message = time.monotonic(), _unpack(frame)
                        kind = message.get("type")
                        if kind in ("ack", "error") and self._command_answer(message):
                            continue
                        if kind == "error":  # not an answer to a command of ours: final
                            self.error_codes[f"dashboard_{message.get('code')}"] += 1
                            return
                        if message.get("view") != "dashboard":
                            continue
                        if kind == "snapshot":
                            data = message.get("data") or {}
                            self.dashboard_ready.set()
                        elif kind == "update":
                            data = apply_ops(data, message.get("ops") or [])
                        self._dashboard_data(now, message, data)
                        for pid in (data.get("participants") or {}).keys() - self.seen_at.keys():
                            self.seen_at[pid] = now
                    return
            except (ConnectionClosed, OSError, TimeoutError, InvalidHandshake):
                self.dashboard_ws = None
                if self.release.is_set():
                    return
                await asyncio.sleep(min(2.0, 0.1 * 2**attempt))

    async def progress(self, started: float, watch: bool) -> None:
        n = len(self.profiles)
        while True:
            await asyncio.sleep(1.0)
            elapsed = time.monotonic() - started
            seen = f", dashboard sees {len(self.seen_at)}" if watch else ""
            phases = Counter(self.phase_of.values())
            flight = ", ".join(f"{count} {phase}" for phase, count in sorted(phases.items()))
            errors = sum(self.error_codes.values())
            print(f"simulate {elapsed:6.1f}s: joined {self.joined}/{n}, in flight {len(self.phase_of)} "
                  f"({flight or 'none'}), errors {errors}, retries {self.retries}{seen}, "
                  f"{self.joined / elapsed:.0f} joins/s{self._progress_note()}",
                  file=sys.stderr, flush=True)  # fmt: skip

    def _progress_note(self) -> str:
        return ""


async def simulate(args: argparse.Namespace) -> dict[str, Any]:
    """Run one simulation and return its summary (the JSON object `run` prints)."""
    if args.dashboard and args.code and not args.facilitator_token:
        raise SystemExit("simulate: with --code, --dashboard needs --facilitator-token")
    poll = args.scenario in ("poll", "groups", "rotation", "matchmaking")
    if poll and (args.dashboard is False or (args.code and not args.facilitator_token)):
        raise SystemExit(
            f"simulate: the {args.scenario} scenario needs the dashboard (and, with --code, --facilitator-token)"
        )
    started = time.monotonic()
    deadline = started + args.timeout
    base = args.url.rstrip("/")
    n = args.participants
    summary: dict[str, Any] = {
        "url": base, "workshop_id": None, "code": args.code, "facilitator_token": None,
        "facilitator_url": None, "participants": n, "joined": 0, "acked": 0, "errors": 0, "error_codes": {},
        "latency_ms": percentiles([]), "visible_latency_ms": None, "joins_per_s": 0.0, "elapsed_s": 0.0,
    }  # fmt: skip
    try:
        workshop_id, code, token, sectors = await _setup(args, base)
        profiles = make_profiles(args.seed, n, sectors)
    except (SetupError, OSError, ValueError, KeyError) as exc:
        elapsed = round(time.monotonic() - started, 3)
        summary.update(errors=n, error_codes={"setup": n}, setup_error=str(exc), elapsed_s=elapsed)
        print(f"simulate: {exc}", file=sys.stderr)
        return summary
    url = token and f"{base}/w/{workshop_id}/dashboard#k={token}"
    summary.update(workshop_id=workshop_id, code=code, facilitator_token=token, facilitator_url=url)

    if args.scenario == "groups":
        from server.simulate_groups import GroupsSimulation

        sim: Simulation = GroupsSimulation(args, base, workshop_id, profiles)
    elif args.scenario == "rotation":
        from server.simulate_rotation import RotationSimulation

        sim = RotationSimulation(args, base, workshop_id, profiles)
    elif args.scenario == "matchmaking":
        from server.simulate_matchmaking import MatchmakingSimulation

        sim = MatchmakingSimulation(args, base, workshop_id, profiles)
    elif poll:
        from server.simulate_poll import PollSimulation

        sim = PollSimulation(args, base, workshop_id, profiles)
    else:
        sim = Simulation(args, base, workshop_id, profiles)
    watch = token is not None and args.dashboard is not False
    background = [] if args.quiet else [asyncio.create_task(sim.progress(started, watch))]
    dashboard = asyncio.create_task(sim.dashboard(token)) if token is not None and watch else None
    if dashboard is not None:
        background.append(dashboard)
        ready = asyncio.create_task(sim.dashboard_ready.wait())
        await asyncio.wait([ready, dashboard], timeout=STEP_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            ready.cancel()
            print("simulate: the dashboard sent no snapshot; continuing without it", file=sys.stderr)
    join_started = time.monotonic()
    tasks = [asyncio.create_task(sim.participant(i, p)) for i, p in enumerate(profiles)]
    while time.monotonic() < deadline and sim.joined + len(sim.failed) < n:
        await asyncio.sleep(0.02)
    join_phase = max(sim.last_join_at - join_started, 1e-9)
    settle = min(deadline, time.monotonic() + SETTLE_TIMEOUT)
    while (dashboard is not None and not dashboard.done() and time.monotonic() < settle
           and not set(sim.pids.values()) <= sim.seen_at.keys()):  # fmt: skip
        await asyncio.sleep(0.02)
    if args.scenario == "groups":
        await sim.work(deadline)  # type: ignore[attr-defined]
    elif args.scenario == "rotation":
        await sim.rotate(deadline)  # type: ignore[attr-defined]
    elif args.scenario == "matchmaking":
        await sim.match(deadline)  # type: ignore[attr-defined]
    elif poll:
        await sim.vote(deadline)  # type: ignore[attr-defined]
    sim.release.set()
    _, pending = await asyncio.wait(tasks, timeout=max(1.0, deadline + 10 - time.monotonic()))
    for task in [*pending, *background]:
        task.cancel()
    await asyncio.gather(*pending, *background, return_exceptions=True)

    timed_out = n - sim.joined - len(sim.failed)
    if timed_out:
        sim.error_codes["timeout"] += timed_out
    visible = [sim.seen_at[pid] - sim.sent_at[i] for i, pid in sim.pids.items() if pid in sim.seen_at]
    summary.update(
        joined=sim.joined, acked=len(sim.pids), errors=sum(sim.error_codes.values()),
        error_codes=dict(sim.error_codes), retries=sim.retries, retry_reasons=dict(sim.retry_reasons),
        duplicates=sim.duplicates, dropped_after_join=sim.dropped_after_join,
        latency_ms=percentiles(sim.ack_latency),
        visible_latency_ms=percentiles(visible) if watch else None,
        not_visible=len(sim.pids) - len(visible) if watch else None,
        joins_per_s=round(sim.joined / join_phase, 1) if sim.joined else 0.0,
        join_phase_s=round(join_phase, 3) if sim.joined else None,
        concurrency=args.concurrency, seed=args.seed, elapsed_s=round(time.monotonic() - started, 3),
    )  # fmt: skip
    if poll:
        if args.scenario == "rotation":
            summary.update(sim.rotation_summary())  # type: ignore[attr-defined]
        elif args.scenario == "matchmaking":
            summary.update(sim.matchmaking_summary())  # type: ignore[attr-defined]
        elif args.scenario == "groups":
            summary.update(sim.groups_summary())  # type: ignore[attr-defined]
        else:
            summary.update(sim.poll_summary())  # type: ignore[attr-defined]
        summary["errors"] = sum(sim.error_codes.values())
        summary["error_codes"] = dict(sim.error_codes)
    return summary
