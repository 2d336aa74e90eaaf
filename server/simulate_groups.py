"""`tavolo simulate --scenario groups`: the simulated room is split into groups that answer a question set together.

After the join flow of `server/simulate.py`, every participant stays connected on the participant view. The
facilitator, over its dashboard websocket, splits the room (`balanced`, `--groups` groups, default one per five
participants) and poses a set of two questions to every group. Each member waits until its own view shows its group
and the question set, then writes on the group's sheet every `--edit-interval` seconds (first moment drawn
uniformly in the first interval) for `--write-seconds` seconds: first a contribution of its own, then mostly edits
of its own contributions from the version it last wrote (now and then a new contribution). One member per group
(the first by participant id) makes itself the group's rapporteur (`set_rapporteur`): only a rapporteur may edit
someone else's contribution, so a share of the rapporteur's steps (`--conflict-share`, 10 %) edits another
member's contribution from a stale `base_version` on purpose: the server
must refuse it with `edit_conflict` (both texts attached), and the writer re-sends its text from `theirs.version`,
as a client does after showing both texts. An owner whose contribution was edited meanwhile gets `edit_conflict`
too and resolves it the same way. When everyone has stopped, the dashboard is followed until it shows every
contribution at its last acknowledged version, and each one's text is compared with the last text acknowledged.

Figures (added to the summary JSON): `groups`, `split_id`, `question_set_id`, `contributions_acked` (acked
`add_contribution` and `edit_contribution` commands), `contributions_added`, `conflicts` (`edit_conflict` answers
seen), `conflicts_provoked` (of those, the deliberate stale edits), `conflicts_unresolved`, `lost_texts`
(contributions whose last acknowledged text the final dashboard does not show, plus texts refused and never
re-sent: must be 0), `edits_per_s` (acked writes over the time from the first sent to the last ack),
`edit_ack_ms` (send -> ack), `edit_dashboard_ms` (send -> the first dashboard message showing the contribution at
that version or later), `edits_shown`, `group_visible_ms` (`pose_questions` sent -> the set in a member's view),
`client_loop_lag_ms`.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from server.simulate_common import (
    SETTLE_TIMEOUT,
    STEP_TIMEOUT,
    SetupError,
    _http_bearer,
    _unpack,
    apply_ops,
    percentiles,
)
from server.simulate_people import Profile
from server.simulate_poll import PollSimulation

QUESTIONS = [
    "What does internationalisation mean for an SME of your sector?",
    "What are the main challenges, and what could the clusters offer?",
]
_IDEAS = ["Shared trade-fair stands", "Export vouchers", "Mentoring by firms already abroad",
          "Joint market studies", "Language and legal training", "A partner-search database",
          "Pooling logistics", "Digital marketing"]  # fmt: skip


def add_groups_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the groups scenario."""
    parser.add_argument("--groups", type=int, default=None, help="how many groups (default: participants / 5)")
    parser.add_argument("--write-seconds", type=float, default=3.0,
                        help="members write for this many seconds (default 3)")  # fmt: skip
    parser.add_argument("--edit-interval", type=float, default=0.5,
                        help="each member writes once every this many seconds (default 0.5)")  # fmt: skip
    parser.add_argument("--conflict-share", type=float, default=0.1,
                        help="share of stale edits of another member's contribution (0.1)")  # fmt: skip


Key = tuple[str, str]  # (group id, contribution id): contribution ids are numbered per sheet


@dataclass
class Write:
    """One acknowledged add or edit (after any conflict resolution, `sent_at` is the last send)."""

    key: Key
    version: int
    text: str
    sent_at: float
    acked_at: float


@dataclass
class _Member:
    """One participant's socket: acks and errors routed to the commands waiting for them, and its view."""

    pending: dict[str, asyncio.Future[tuple[float, dict[str, Any]]]] = field(default_factory=dict)
    data: Any = field(default_factory=dict)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    ready_at: float = 0.0
    group_id: str | None = None
    question_ids: list[str] = field(default_factory=list)
    own: dict[Key, int] = field(default_factory=dict)  # my contributions -> the version I last wrote
    rapporteur: bool = False  # the one member of its group who may edit the others' contributions

    def members(self) -> list[str]:
        group = (((self.data.get("me") or {}).get("group")) or {}).get("group") or {}
        return sorted(str(m["id"]) for m in group.get("members") or [])

    def check(self, question_set_id: str | None, now: float) -> None:
        if question_set_id is None or self.ready.is_set():
            return
        mine = ((self.data.get("me") or {}).get("group")) or {}
        group = mine.get("group") or {}
        for qs in mine.get("question_sets") or []:
            if qs.get("id") == question_set_id and group.get("id"):
                self.group_id = str(group["id"])
                self.question_ids = [str(q["id"]) for q in qs.get("questions") or []]
                self.ready_at = now
                self.ready.set()


class GroupsSimulation(PollSimulation):
    def __init__(self, args: argparse.Namespace, base: str, workshop_id: str, profiles: list[Profile]) -> None:
        super().__init__(args, base, workshop_id, profiles)
        self.n_groups = max(1, args.groups or round(len(profiles) / 5) or 1)
        self.split_id: str | None = None
        self.question_set_id: str | None = None
        self.posed = asyncio.Event()
        self.pose_sent_at = self.write_start = self.write_end = 0.0
        self.writes: list[Write] = []
        self.sent = self.added = self.conflicts = self.provoked = self.unresolved = self.refused_lost = 0
        self.latest: dict[Key, tuple[int, str]] = {}  # last acked (version, text) per contribution
        self.owner: dict[Key, int] = {}  # contribution -> its author's index
        self.by_group: dict[str, list[Key]] = collections.defaultdict(list)
        self.shown: dict[Key, list[tuple[int, float]]] = collections.defaultdict(list)  # (version, first seen)
        self.board: dict[Key, dict[str, Any]] = {}  # the dashboard's contributions, as last shown
        self.group_visible: list[float] = []

    # The facilitator.

    def _dashboard_data(self, now: float, message: dict[str, Any], data: Any) -> None:
        if self.question_set_id is None:
            return
        groups = data.get("groups") or {}
        for qs in groups.get("question_sets") or []:
            if qs.get("id") != self.question_set_id:
                continue
            board: dict[Key, dict[str, Any]] = {}
            for answer in qs.get("answers") or []:
                for group in answer.get("groups") or []:
                    gid = str(group.get("group_id"))
                    for c in group.get("contributions") or []:
                        key = (gid, str(c.get("id")))
                        board[key] = c
                        seen = self.shown[key]
                        version = int(c.get("version") or 0)
                        if not seen or version > seen[-1][0]:
                            seen.append((version, now))
            self.board = board

    async def work(self, deadline: float) -> None:
        """Split, pose the questions, let the members write, wait for the dashboard to show every last write."""
        try:
            if not self.joined:
                raise SetupError("nobody_joined")
            split = await self._facilitator("split_groups", {"strategy": "balanced", "groups": self.n_groups,
                                                             "seed": self.args.seed})  # fmt: skip
            self.split_id = str((split.get("result") or {}).get("split_id") or "")
            if not self.split_id:
                raise SetupError("facilitator_split_without_split_id")
            self.pose_sent_at = time.monotonic()
            posed = await self._facilitator("pose_questions", {"split_id": self.split_id, "questions": QUESTIONS,
                                                               "title": "Internationalising SMEs"})  # fmt: skip
            self.question_set_id = str((posed.get("result") or {}).get("question_set_id") or "") or None
            if self.question_set_id is None:
                raise SetupError("facilitator_pose_without_question_set_id")
        except SetupError as exc:
            self.error_codes[str(exc)] += 1
            self.question_set_id = None
        finally:
            self.write_start = time.monotonic()
            self.posed.set()
        if self.question_set_id is None:
            return
        hook = getattr(self.args, "phase_hook", None)
        if hook:
            hook("vote_start")
        lag = asyncio.create_task(self._watch_lag())
        while self.acted < self.joined and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        settle = min(deadline, time.monotonic() + SETTLE_TIMEOUT)
        while time.monotonic() < settle and not self._all_shown():
            await asyncio.sleep(0.01)
        self.write_end = time.monotonic()
        lag.cancel()
        if hook:
            hook("vote_end")
        await self._cross_check()

    def _all_shown(self) -> bool:
        return all(self.shown[k] and self.shown[k][-1][0] >= v for k, (v, _) in self.latest.items())

    async def _cross_check(self) -> None:
        """The live dashboard agrees with the HTTP view (when the server has one)."""
        token = self.facilitator_token
        if not token:
            return
        url = f"{self.base}/api/workshops/{self.workshop_id}/views/dashboard"
        status, body = await asyncio.to_thread(_http_bearer, url, token)
        if status != 200 or not isinstance(body, dict):
            return
        fresh = {}
        for qs in ((body.get("data") or {}).get("groups") or {}).get("question_sets") or []:
            if qs.get("id") == self.question_set_id:
                for answer in qs.get("answers") or []:
                    for group in answer.get("groups") or []:
                        for c in group.get("contributions") or []:
                            fresh[(str(group["group_id"]), str(c["id"]))] = (c.get("version"), c.get("text"))
        live = {k: (c.get("version"), c.get("text")) for k, c in self.board.items()}
        if fresh != live:
            self.error_codes["dashboard_differs_from_http_view"] += 1

    # The members.

    async def _after_join(self, i: int, ws: ClientConnection) -> None:
        member = _Member()
        reader = asyncio.create_task(self._read(ws, member))  # type: ignore[arg-type]
        await self._act_then_idle(ws, reader, self._write(i, ws, member), "connection_lost_while_writing")

    async def _read(self, ws: ClientConnection, member: _Member) -> None:  # type: ignore[override]
        try:
            async for frame in ws:
                now, message = time.monotonic(), _unpack(frame)
                kind = message.get("type")
                if kind in ("ack", "error"):
                    future = member.pending.pop(str(message.get("id")), None)
                    if future is not None and not future.done():
                        future.set_result((now, message))
                    elif kind == "error":
                        self.error_codes[f"participant_{message.get('code')}"] += 1
                elif kind == "snapshot" and message.get("view") == "participant":
                    member.data = message.get("data") or {}
                    member.check(self.question_set_id, now)
                elif kind == "update" and message.get("view") == "participant":
                    member.data = apply_ops(member.data, message.get("ops") or [])
                    member.check(self.question_set_id, now)
        finally:
            for future in member.pending.values():
                if not future.done():
                    future.set_exception(ConnectionClosed(None, None))

    async def _write(self, i: int, ws: ClientConnection, member: _Member) -> None:
        await self.posed.wait()
        if self.question_set_id is None:
            return
        member.check(self.question_set_id, time.monotonic())
        try:
            await asyncio.wait_for(member.ready.wait(), STEP_TIMEOUT)
        except TimeoutError:
            self.error_codes["question_set_not_visible"] += 1
            return
        self.group_visible.append(member.ready_at - self.pose_sent_at)
        members, me = member.members(), self.pids.get(i)
        if members and members[0] == me:  # the group's rapporteur: the only member who edits others' texts
            args = {"split_id": self.split_id, "group_id": member.group_id, "participant_id": me}
            answer = await self._send(ws, member, "set_rapporteur", args)
            member.rapporteur = answer is not None and answer[2].get("type") == "ack"
        rng = random.Random(f"{self.args.seed}:{i}:groups")
        interval = max(0.05, self.args.edit_interval)
        end = self.write_start + max(0.0, self.args.write_seconds)
        at = time.monotonic() + rng.random() * interval
        step = 0
        while at < end:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            step += 1
            others = [k for k in self.by_group[member.group_id or ""]
                      if self.owner.get(k) != i and self.latest[k][0] >= 2]  # fmt: skip
            if not member.own or rng.random() < 0.15:
                await self._add(i, ws, member, rng.choice(member.question_ids), f"{rng.choice(_IDEAS)} ({i}.{step})")
            elif member.rapporteur and others and rng.random() < self.args.conflict_share:
                key = rng.choice(others)
                stale = self.latest[key][0] - 1
                await self._edit(i, ws, member, key, stale, f"Adding to it: {rng.choice(_IDEAS)} ({i}.{step})", True)
            else:
                key = rng.choice(list(member.own))
                await self._edit(i, ws, member, key, member.own[key], f"{rng.choice(_IDEAS)}, revised ({i}.{step})")
            at += interval

    async def _send(self, ws: ClientConnection, member: _Member, name: str,
                    args: dict[str, Any]) -> tuple[float, float, dict[str, Any]] | None:  # fmt: skip
        """Send a command; (sent at, answered at, answer), or None after a timeout."""
        command_id = str(uuid.uuid4())
        future = member.pending[command_id] = asyncio.get_running_loop().create_future()
        sent_at = time.monotonic()
        self.sent += 1
        await ws.send(self.pack({"type": "command", "id": command_id, "name": name, "args": args}))
        try:
            at, message = await asyncio.wait_for(future, STEP_TIMEOUT)
        except TimeoutError:
            member.pending.pop(command_id, None)
            self.error_codes[f"{name}_timeout"] += 1
            return None
        return sent_at, at, message

    def _acked(self, i: int, member: _Member, key: Key, version: int, text: str, sent: float, at: float) -> None:
        self.writes.append(Write(key, version, text, sent, at))
        if key not in self.latest or version > self.latest[key][0]:
            self.latest[key] = (version, text)
        if self.owner.get(key) == i:
            member.own[key] = max(member.own.get(key, 0), version)

    async def _add(self, i: int, ws: ClientConnection, member: _Member, question_id: str, text: str) -> None:
        args = {"question_set_id": self.question_set_id, "group_id": member.group_id, "question_id": question_id,
                "text": text}  # fmt: skip
        answer = await self._send(ws, member, "add_contribution", args)
        if answer is None:
            self.refused_lost += 1
            return
        sent, at, message = answer
        if message.get("type") == "error":
            self.error_codes[f"add_{message.get('code')}"] += 1
            self.refused_lost += 1
            return
        result = message.get("result") or {}
        key = (str(member.group_id), str(result["contribution_id"]))
        self.owner[key] = i
        self.by_group[str(member.group_id)].append(key)
        self.added += 1
        self._acked(i, member, key, int(result["version"]), text, sent, at)

    async def _edit(self, i: int, ws: ClientConnection, member: _Member, key: Key, base: int, text: str,
                    provoke: bool = False) -> None:  # fmt: skip
        """Edit from `base`; on `edit_conflict`, re-send the same text from the version the server has."""
        for attempt in range(5):
            args = {"question_set_id": self.question_set_id, "group_id": key[0], "contribution_id": key[1],
                    "text": text, "base_version": base}  # fmt: skip
            answer = await self._send(ws, member, "edit_contribution", args)
            if answer is None:
                self.refused_lost += 1
                return
            sent, at, message = answer
            if message.get("type") == "ack":
                if provoke and attempt == 0:
                    self.error_codes["stale_edit_not_refused"] += 1
                result = message.get("result") or {}
                self._acked(i, member, key, int(result.get("version") or base + 1), text, sent, at)
                return
            code = message.get("code")
            details = message.get("details") or {}
            if code != "edit_conflict":
                self.error_codes[f"edit_{code}"] += 1
                self.refused_lost += 1
                return
            self.conflicts += 1
            self.provoked += provoke and attempt == 0
            theirs, yours = details.get("theirs") or {}, details.get("yours") or {}
            if yours.get("text") != text or not theirs.get("text"):
                self.error_codes["conflict_without_both_texts"] += 1
            base = int(theirs.get("version") or base)
        self.unresolved += 1
        self.refused_lost += 1

    def _progress_note(self) -> str:
        if not self.posed.is_set():
            return ""
        return f"; writes sent {self.sent}, acked {len(self.writes)}, conflicts {self.conflicts}"

    # The figures.

    def groups_summary(self) -> dict[str, Any]:
        lost = self.refused_lost
        for key, (_, text) in self.latest.items():
            if (self.board.get(key) or {}).get("text") != text:
                lost += 1
        shown = []
        for w in self.writes:
            for version, seen_at in self.shown.get(w.key, ()):
                if version >= w.version:
                    shown.append(max(0.0, seen_at - w.sent_at))
                    break
        span = max((w.acked_at for w in self.writes), default=0.0) - min((w.sent_at for w in self.writes), default=0.0)
        return {
            "groups": self.n_groups, "split_id": self.split_id, "question_set_id": self.question_set_id,
            "write_seconds": self.args.write_seconds, "edit_interval_s": self.args.edit_interval,
            "writes_sent": self.sent, "contributions_acked": len(self.writes), "contributions_added": self.added,
            "contributions": len(self.latest), "conflicts": self.conflicts, "conflicts_provoked": self.provoked,
            "conflicts_unresolved": self.unresolved, "lost_texts": lost,
            "edits_per_s": round(len(self.writes) / span, 1) if self.writes and span > 0 else 0.0,
            "write_phase_s": round(self.write_end - self.write_start, 3) if self.write_start else None,
            "edit_ack_ms": percentiles([w.acked_at - w.sent_at for w in self.writes]),
            "edit_dashboard_ms": percentiles(shown), "edits_shown": len(shown),
            "group_visible_ms": percentiles(self.group_visible), "client_loop_lag_ms": percentiles(self.loop_lag),
        }  # fmt: skip
