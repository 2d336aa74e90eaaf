"""Live views: the read models of every workshop, who watches which view, and coalesced pushes.

Events reach the hub after they are committed (``apply``). The hub marks the workshop dirty; every ``interval``
seconds it renders each watched view once, diffs it against the previous render, and encodes that update once per
encoding for every watcher. A connection that is still busy sending skips intermediate updates and gets a fresh
snapshot instead, so a slow client never slows the others (see shared/REALTIME-NOTES.md).

The room's phones share one part of their view (turnout, the open poll): it is rendered at most every
``participant_interval`` seconds, and less often the more phones watch (``shared_interval``), so that pushing it
stays near ``participant_rate`` frames a second. Its watchers are woken a slice per tick, after the facilitator's
dashboard and projector had their turn, so one tick never holds the event loop for thousands of sends. A
participant's own part (their ballot, their profile) still goes out on the next tick.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from domain.annotations import Notes
from domain.answer_sheets import AnswerSheet
from domain.application import Tavolo
from domain.groups import GroupWork, QuestionSet, Split
from domain.matchmaking import Matchmaking
from domain.personal import PersonalKeys
from domain.polls import Poll
from domain.rotations import Rotation, Rotations
from domain.secret import PollKeys, voter_tag
from domain.timers import Timer
from domain.workshop import Workshop
from projections import group_views, tallies, views
from projections import groups as group_folds
from projections import matchmaking as match_folds
from projections import notes as note_folds
from projections import rotations as rotation_folds
from projections import timers as timer_folds
from projections.workshop import WorkshopModel, apply
from server.presence import RemotePresence
from server.protocol import Encoding, encode
from server.purge import Purge, forget

log = logging.getLogger("tavolo.hub")

HISTORY = 16
PARTICIPANT_RATE = 5000.0  # frames/s the phones' shared part aims at: 5,000 phones get it once a second
SLICE_MIN = 500  # phones woken in one tick at least: a room of a few hundred gets its update at once


@dataclass
class Channel:
    """One rendered view of one workshop ("participant" holds only the part shared by all participants).

    Keeps the operations of its last few versions, so a watcher a few versions behind gets one combined update
    (encoded once for all such watchers) instead of a whole snapshot."""

    version: int = 0
    position: int = -1
    data: dict[str, Any] = field(default_factory=dict)
    history: collections.deque[list[list[Any]]] = field(default_factory=lambda: collections.deque(maxlen=HISTORY))
    _frames: dict[tuple[int, Encoding], str | bytes] = field(default_factory=dict)

    def advance(self, position: int, data: dict[str, Any], ops: list[list[Any]]) -> None:
        self.version += 1
        self.position, self.data = position, data
        self.history.append(ops)
        self._frames = {}

    def update_frame(self, view: str, since: int, encoding: Encoding) -> str | bytes | None:
        """The update from version ``since`` to now, or None if that is too far back."""
        behind = self.version - since
        if behind > len(self.history):
            return None
        frame = self._frames.get((since, encoding))
        if frame is None:
            ops = [op for version_ops in list(self.history)[-behind:] for op in version_ops]
            msg = {"type": "update", "view": view, "position": self.position, "ops": ops}
            frame = self._frames[(since, encoding)] = encode(msg, encoding)
        return frame


class Watcher:
    """A connection watching a view. ``wake`` is called when its view has something new."""

    def __init__(self, workshop_id: UUID, view: str, participant_id: str | None, wake: Callable[[], None]):
        self.workshop_id, self.view, self.participant_id, self.wake = workshop_id, view, participant_id, wake
        self.version = -1  # the channel version this watcher has; -1: needs a snapshot
        self.me_dirty = False
        self.queued = False  # waiting for its turn in the fan-out of a new shared part (participants)
        self.revoked = False  # the participant left or was removed: send the last state, then close
        self.token_hash = ""  # a facilitator's or projector's: a rotated link revokes it


class Hub:
    def __init__(
        self,
        interval: float = 0.1,
        participant_interval: float = 0.3,
        participant_rate: float = PARTICIPANT_RATE,
        slice_min: int = SLICE_MIN,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self.participant_interval = participant_interval
        self.participant_rate = participant_rate
        self.slice_min = slice_min
        self._clock = clock
        # Phones to wake for the newest shared part, in turn (``fan_out``).
        self._fanout: dict[UUID, collections.deque[Watcher]] = {}
        self._shared_at: dict[UUID, float] = {}
        self.models: dict[UUID, WorkshopModel] = {}
        self.by_code: dict[str, UUID] = {}
        self.position = 0
        self.online: dict[UUID, Counter[str]] = defaultdict(Counter)  # this process's sockets
        self.remote = RemotePresence()  # the other processes' (server/presence.py)
        self.on_presence: Callable[[UUID], None] | None = None  # this process's presence changed (to share it)
        self.watchers: dict[UUID, set[Watcher]] = defaultdict(set)
        # The same watchers indexed by view and by person, so that a tick touches only those with news.
        self._by_view: dict[tuple[UUID, str], set[Watcher]] = defaultdict(set)
        self._by_person: dict[tuple[UUID, str], set[Watcher]] = defaultdict(set)
        self.channels: dict[tuple[UUID, str], Channel] = {}
        self._dirty: set[UUID] = set()
        self._changed_people: dict[UUID, set[str]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self.tallies: dict[UUID, tallies.Tally] = {}
        self._polls: dict[UUID, list[tallies.Tally]] = defaultdict(list)
        self.keys: PollKeys | None = None
        self.personal_keys: PersonalKeys | None = None
        self.erased: set[str] = set()  # participants erased: their keys must be gone (swept at start-up)
        self.memo = views.Memo()
        self.groups = group_folds.GroupsIndex()
        self.rotations = rotation_folds.RotationsIndex()
        self.timers = timer_folds.TimersIndex()
        self.matchmaking = match_folds.MatchIndex()
        self.solving: set[UUID] = set()  # workshops whose schedule the solver is improving (an overlay)
        self.notes = note_folds.NotesIndex()
        # Deleted workshops whose store must be purged (server/purge.py): handed to ``on_deleted`` once the
        # server runs, kept here while the start-up catch-up folds the log.
        self.purges: list[Purge] = []
        self.on_deleted: Callable[[Purge], None] | None = None
        self.gone: dict[UUID, int] = {}  # workshops deleted (seen since this process started) -> marker's version
        self._gone_aggregates: dict[UUID, UUID] = {}  # their aggregates -> the workshop
        self._purging: dict[UUID, Purge] = {}  # purges found while folding, handed out once the fold is done

    # Feeding events.

    def catch_up(self, app: Tavolo, page: int = 2000) -> int:
        """Fold every event after our position from the store (at start-up, or after missing notifications)."""
        from server.archive_read import EventReader  # the store's rows read and mapped with less work per event

        reader, count = EventReader(app), 0
        event = reader.event
        while True:
            rows = reader.rows(self.position + 1, page)
            if not rows:
                return count
            # Each event is made as it is folded and freed after: a page of live events would keep the garbage
            # collector scanning them (it cost a third of a rebuild).
            self.apply((row[0], event(row[1], row[2], row[3], row[4])) for row in rows)
            count += len(rows)

    def apply(self, events: Iterable[tuple[int, Any]]) -> None:
        routes = _ROUTES
        for position, event in events:
            if position <= self.position:
                continue  # already applied (a catch-up overlapping a live batch)
            self.position = position
            if self.gone and self._orphan(event):
                continue
            route = routes.get(type(event))
            if route is None:
                route = routes[type(event)] = _route(type(event))
            route(self, event, position)
        if self._purging:
            purges, self._purging = list(self._purging.values()), {}
            for purge in purges:
                (self.on_deleted or self.purges.append)(purge)

    def _deleted(self, event: Workshop.Deleted) -> None:
        workshop_id = event.originator_id
        self.gone[workshop_id] = event.originator_version
        purge = forget(self, workshop_id, event.originator_version)
        if purge is not None:
            self._gone_aggregates.update(dict.fromkeys(purge.aggregates, workshop_id))
            self._purge(purge)

    def _orphan(self, event: Any) -> bool:
        """An event of a deleted workshop's aggregate, committed after the deletion (by a process that loaded the
        workshop just before it): not folded, and its aggregate purged too."""
        workshop_id = self._gone_aggregates.get(event.originator_id) or getattr(event, "workshop_id", None)
        if workshop_id not in self.gone:
            return False
        self._gone_aggregates[event.originator_id] = workshop_id
        polls = (event.originator_id,) if isinstance(event, Poll.Event) else ()
        self._purge(Purge(workshop_id, self.gone[workshop_id], frozenset({event.originator_id}), (), polls))
        return True

    def _purge(self, purge: Purge) -> None:
        queued = self._purging.get(purge.workshop_id)
        if queued is not None:
            purge = Purge(
                purge.workshop_id, purge.deleted_version, queued.aggregates | purge.aggregates,
                queued.participants + purge.participants, queued.polls + purge.polls,
            )  # fmt: skip
        self._purging[purge.workshop_id] = purge

    def _apply_timer(self, event: Any, position: int) -> bool:
        """Fold a room-timer event; False if it is not one."""
        timed = timer_folds.apply_any(self.timers, event)
        if timed is None:
            return False
        if timed in self.models:
            self.models[timed].position = max(self.models[timed].position, position)
            self._dirty.add(timed)
        return True

    def _apply_notes(self, event: Any, position: int) -> bool:
        """Fold an annotation (the minutes' notes: in no live view); False if it is not one."""
        return note_folds.apply_any(self.notes, event, position) is not None

    def _apply_workshop(self, event: Any, position: int) -> None:
        if isinstance(event, Workshop.Deleted):
            self._deleted(event)
            return
        if isinstance(event, Workshop.Created):
            self.models[event.originator_id] = WorkshopModel(event.originator_id)
        model = self.models.get(event.originator_id)
        if model is None:
            return
        try:
            apply(model, event, position)
        except Exception:  # a bug in one fold must not stop the others; the event stays in the store
            log.exception("failed to fold %s at %d", type(event).__name__, position)
        if isinstance(event, Workshop.Created | Workshop.DetailsChanged):
            self.by_code[model.code] = model.id
        elif isinstance(event, Workshop.LinkRotated):
            valid = (model.facilitator_token_hash, model.projector_token_hash)
            for w in self.watchers.get(model.id, ()):
                if w.token_hash and w.token_hash not in valid:
                    w.revoked = True
                    w.wake()
        elif isinstance(event, Workshop.ParticipantErased) and self.personal_keys is not None:
            # Another process may have committed it: drop any copy of the key this process still holds, and
            # destroy it again in case the committing process stopped before it could (idempotent).
            self.personal_keys.forget(event.participant_id)
            self.erased.add(event.participant_id)
        self._dirty.add(model.id)
        person = getattr(event, "participant_id", None)
        if person is not None:
            self._changed_people[model.id].add(person)

    def _apply_poll(self, event: Any, position: int) -> None:
        try:
            tally = tallies.apply_any(self.tallies, event, position)
        except Exception:
            log.exception("failed to fold %s at %d", type(event).__name__, position)
            return
        if tally is None or tally.workshop_id not in self.models:
            return
        model = self.models[tally.workshop_id]
        model.position = max(model.position, position)  # a workshop's views include its polls
        if isinstance(event, Poll.Created):
            self._polls[tally.workshop_id].append(tally)
        self._dirty.add(model.id)
        voter = getattr(event, "participant_id", None)
        if voter is not None:
            self._changed_people[model.id].add(voter)

    def _apply_group(self, event: Any, position: int) -> bool:
        """Fold a group-work event; False if it is not one."""
        try:
            groups = group_folds.apply_any(self.groups, event, position)
        except Exception:
            log.exception("failed to fold %s at %d", type(event).__name__, position)
            return True
        if groups is None:
            return False
        model = self.models.get(groups.workshop_id)
        if model is not None:
            model.position = max(model.position, position)
            self._dirty.add(model.id)
            # Each participant's group card and sheet is in their own part of the view.
            self._changed_people[model.id].update(model.participants)
        return True

    def _apply_rotation(self, event: Any, position: int) -> bool:
        """Fold a rotation event; False if it is not one."""
        try:
            rotations = rotation_folds.apply_any(self.rotations, event, position)
        except Exception:
            log.exception("failed to fold %s at %d", type(event).__name__, position)
            return True
        if rotations is None:
            return False
        model = self.models.get(rotations.workshop_id)
        if model is not None:
            model.position = max(model.position, position)
            self._dirty.add(model.id)
            starred = getattr(event, "other_id", None)
            # A star is its giver's alone; anything else (a round, a re-plan) moves everyone's seat.
            people = {event.participant_id} if starred is not None else model.participants
            self._changed_people[model.id].update(people)
        return True

    def _apply_match(self, event: Any, position: int) -> bool:
        """Fold a matchmaking event; False if it is not one."""
        try:
            found = match_folds.apply_any(self.matchmaking, event, position)
        except Exception:
            log.exception("failed to fold %s at %d", type(event).__name__, position)
            return True
        if found is None:
            return False
        model = self.models.get(found.workshop_id)
        if model is not None:
            model.position = max(model.position, position)
            self._dirty.add(model.id)
            meeting = found.meetings.get(getattr(event, "meeting_id", ""))
            people = {getattr(event, "participant_id", None)}
            if meeting is not None:
                people |= {meeting.requester, meeting.recipient}
            people.discard(None)
            # Profiles, availability and a meeting concern their people; slots and schedules concern everyone.
            self._changed_people[model.id].update(people or model.participants)  # type: ignore[arg-type]
        return True

    def set_solving(self, workshop_id: UUID, on: bool) -> None:
        (self.solving.add if on else self.solving.discard)(workshop_id)
        self._dirty.add(workshop_id)

    def polls_of(self, workshop_id: UUID) -> list[tallies.Tally]:
        return self._polls.get(workshop_id, [])

    def me(self, workshop_id: UUID, participant_id: str) -> dict[str, Any]:
        """A participant's own part of their view: their profile and their own ballots (secret ones found by
        the voter tag, computable only while the poll is open and its key exists)."""
        ballots: dict[str, Any] = {}
        for t in self.polls_of(workshop_id):
            voter = participant_id
            if t.secret:
                key = self.keys.get(t.poll_id) if self.keys is not None else None
                if key is None:
                    continue
                voter = voter_tag(key, participant_id)
            own = tallies.own_ballot(t, voter)
            if own is not None:
                ballots[str(t.poll_id)] = own
        model = self.models[workshop_id]
        groups = self.groups.models.get(workshop_id)
        group = group_views.participant_view(groups, model, participant_id) if groups else None
        rotation = rotation_folds.participant_view(self.rotations.models.get(workshop_id), model, participant_id)
        match = match_folds.participant_view(self.matchmaking.models.get(workshop_id), model, participant_id)
        return {
            **views.me(model, participant_id),
            "ballots": ballots,
            "group": group,
            "rotation": rotation,
            "matchmaking": match,
        }

    def group_sizes(self, workshop_id: UUID) -> dict[str, int]:
        """Members per group of the current split (what polls scoped to groups count turnout against)."""
        groups = self.groups.models.get(workshop_id)
        split = groups.splits.get(groups.current) if groups is not None and groups.current else None
        return {g.id: len(g.members) for g in split.groups.values()} if split is not None else {}

    def _groups_view(self, workshop_id: UUID, view: str) -> Any:
        groups = self.groups.models.get(workshop_id)
        if groups is None:
            return None
        model = self.models[workshop_id]
        if view == "dashboard":
            return group_views.facilitator_view(groups, model)
        return group_views.report_back_view(groups, model)

    def touch(self, workshop_id: UUID, participant_id: str) -> None:
        """Something of this participant's own changed (e.g. their secret ballot): re-send their part."""
        self._changed_people[workshop_id].add(participant_id)
        self._dirty.add(workshop_id)

    # Presence.

    def connected(self, workshop_id: UUID, participant_id: str) -> None:
        self.online[workshop_id][participant_id] += 1
        self._presence_changed(workshop_id)

    def disconnected(self, workshop_id: UUID, participant_id: str) -> None:
        online = self.online.get(workshop_id)
        if online is None:  # the workshop was deleted meanwhile
            return
        online[participant_id] -= 1
        if online[participant_id] <= 0:
            del online[participant_id]
        self._presence_changed(workshop_id)

    def _presence_changed(self, workshop_id: UUID) -> None:
        self._dirty.add(workshop_id)
        if self.on_presence is not None:
            self.on_presence(workshop_id)

    def remote_presence(self, workshop_id: UUID, origin: str, participant_ids: Iterable[str]) -> None:
        """Another process's list of who is online there (server/presence.py)."""
        if workshop_id in self.models and self.remote.update(workshop_id, origin, participant_ids, self._clock()):
            self._dirty.add(workshop_id)

    def expire_presence(self) -> None:
        self._dirty.update(self.remote.expire(self._clock()))

    # Watching.

    def watch(self, watcher: Watcher) -> None:
        self.watchers[watcher.workshop_id].add(watcher)
        self._by_view[(watcher.workshop_id, watcher.view)].add(watcher)
        if watcher.participant_id:
            self._by_person[(watcher.workshop_id, watcher.participant_id)].add(watcher)
        channel = self.channels.get((watcher.workshop_id, watcher.view))
        if channel is None or channel.position != self.models[watcher.workshop_id].position:
            self._render(watcher.workshop_id, watcher.view)  # a snapshot is never behind the log
        # What changed while nobody watched (presence, say) goes out on the next tick: 2,000 phones reconnecting
        # after a Wi-Fi blip must not each re-render the roster.
        self._dirty.add(watcher.workshop_id)
        watcher.wake()

    def unwatch(self, watcher: Watcher) -> None:
        self.watchers.get(watcher.workshop_id, set()).discard(watcher)
        for index, key in ((self._by_view, watcher.view), (self._by_person, watcher.participant_id)):
            group = index.get((watcher.workshop_id, key or ""))
            if group is not None:
                group.discard(watcher)
                if not group:
                    del index[(watcher.workshop_id, key or "")]

    def forget_watchers(self, workshop_id: UUID) -> None:
        """A deleted workshop: drop its watchers, channels and presence (its sockets are closed by the server)."""
        for index in (self.watchers, self.online, self._changed_people, self._shared_at, self._fanout):
            index.pop(workshop_id, None)  # type: ignore[attr-defined]
        for key in [k for k in (*self._by_view, *self._by_person, *self.channels) if k[0] == workshop_id]:
            for index in (self._by_view, self._by_person, self.channels):
                index.pop(key, None)  # type: ignore[attr-defined]
        self._dirty.discard(workshop_id)
        self.solving.discard(workshop_id)
        self.remote.forget(workshop_id)

    def snapshot(self, watcher: Watcher) -> dict[str, Any]:
        """The watcher's whole view now; marks it as up to date."""
        channel = self.channels[(watcher.workshop_id, watcher.view)]
        watcher.version = channel.version
        watcher.me_dirty = False
        data = channel.data
        if watcher.view == "participant":
            data = {**data, "me": self.me(watcher.workshop_id, watcher.participant_id or "")}
        return {"type": "snapshot", "view": watcher.view, "position": channel.position, "data": data}

    def view(self, workshop_id: UUID, view: str, participant_id: str | None = None) -> dict[str, Any]:
        """A view rendered now (for the HTTP API)."""
        data = self._shared(workshop_id, view)
        if view == "participant":
            data["me"] = self.me(workshop_id, participant_id or "")
        return {"view": view, "position": self.models[workshop_id].position, "data": data}

    def _shared(self, workshop_id: UUID, view: str) -> dict[str, Any]:
        """A view's data as everyone watching it sees it (the participant view without its personal part)."""
        model, online = self.models[workshop_id], self.remote.merged(workshop_id, self.online[workshop_id].keys())
        polls = views.PollSources(self.polls_of(workshop_id), self.memo, self.group_sizes(workshop_id))
        rotations = self.rotations.models.get(workshop_id)
        timer = timer_folds.view(self.timers, workshop_id)
        mm = self.matchmaking.models.get(workshop_id)
        if view == "dashboard":
            return {
                **views.dashboard(model, online, polls), "groups": self._groups_view(workshop_id, view),
                "rotation": rotation_folds.dashboard_view(rotations, model, online), "timer": timer,
                "matchmaking": match_folds.dashboard_view(mm, model, workshop_id in self.solving),
            }  # fmt: skip
        if view == "projector":
            return {
                **views.projector(model, online, polls), "report_back": self._groups_view(workshop_id, view),
                "rotation": rotation_folds.projector_view(rotations, model), "timer": timer,
                "matchmaking": match_folds.projector_view(mm, model),
            }  # fmt: skip
        return {
            **views.participant_shared(model, online, polls),
            "rotation": rotation_folds.participant_shared(rotations), "timer": timer,
            "matchmaking": match_folds.participant_shared(mm),
        }  # fmt: skip

    def next_frame(self, watcher: Watcher, encoding: Encoding) -> str | bytes | None:
        """What this watcher should be sent now: nothing, the shared update, or a fresh snapshot."""
        channel = self.channels.get((watcher.workshop_id, watcher.view))
        if channel is None:
            return None
        if watcher.version != channel.version:
            frame = channel.update_frame(watcher.view, watcher.version, encoding) if watcher.version > 0 else None
            if frame is None:
                return encode(self.snapshot(watcher), encoding)
            watcher.version = channel.version
            return frame
        if watcher.me_dirty:
            watcher.me_dirty = False
            me = self.me(watcher.workshop_id, watcher.participant_id or "")
            msg = {"type": "update", "view": "participant", "position": channel.position, "ops": [["set", ["me"], me]]}
            return encode(msg, encoding)
        return None

    def _render(self, workshop_id: UUID, view: str) -> Channel:
        channel = self.channels.setdefault((workshop_id, view), Channel())
        model = self.models[workshop_id]
        data = self._shared(workshop_id, view)
        ops = views.diff(channel.data, data) if channel.version else [["set", [], data]]
        if ops or channel.position != model.position:
            channel.advance(model.position, data, ops)
        return channel

    # The ticker.

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="tavolo-hub")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                self.render()
            except Exception:
                log.exception("failed to push views")
            # The dashboards, projectors and voters just woken send before this tick's slice of phones.
            await asyncio.sleep(0)
            try:
                self.fan_out()
            except Exception:
                log.exception("failed to push views")

    def flush(self) -> None:
        """One tick: render every dirty, watched view once, wake its watchers and the next slice of phones."""
        self.render()
        self.fan_out()

    def shared_interval(self, workshop_id: UUID) -> float:
        """How often the phones' shared part is rendered: ``participant_interval``, or longer when so many phones
        watch that pushing it to all of them would exceed ``participant_rate`` frames a second."""
        phones = len(self._by_view.get((workshop_id, "participant"), ()))
        return max(self.participant_interval, phones / self.participant_rate)

    def fan_out(self) -> None:
        """Wake the next slice of the phones waiting for a new shared part: all of them within one shared
        interval, at least ``slice_min`` a tick. A phone woken meanwhile for its own part got the newest shared
        part with it and is skipped; one woken late gets whatever is newest then."""
        for workshop_id, queue in list(self._fanout.items()):
            phones = self._by_view.get((workshop_id, "participant"), set())
            channel = self.channels.get((workshop_id, "participant"))
            ticks = max(1.0, self.shared_interval(workshop_id) / self.interval)
            budget = max(self.slice_min, math.ceil(len(phones) / ticks))
            while queue and budget > 0:
                w = queue.popleft()
                w.queued = False
                if w in phones and channel is not None and w.version != channel.version:
                    budget -= 1
                    w.wake()
            if not queue:
                del self._fanout[workshop_id]

    def render(self) -> None:
        """Render every dirty, watched view once; wake the facilitator's and projector's watchers and the
        participants whose own part changed, and queue the phones for a new shared part (``fan_out``)."""
        dirty, self._dirty = self._dirty, set()
        for workshop_id in dirty:
            try:
                self._flush_one(workshop_id)
            except Exception:  # one workshop's bug must not hold back the others' updates
                log.exception("failed to push the views of workshop %s", workshop_id)

    def _flush_one(self, workshop_id: UUID) -> None:
        people = self._changed_people.pop(workshop_id, set())
        if not self.watchers.get(workshop_id) or workshop_id not in self.models:
            return
        now = self._clock()
        changed: list[str] = []
        for view in ("dashboard", "projector", "participant"):
            if not self._by_view.get((workshop_id, view)):
                continue  # nobody watches it: rendered on the first watch
            if view == "participant" and now - self._shared_at.get(workshop_id, 0.0) < self.shared_interval(
                workshop_id
            ):
                # Thousands of phones need the room's news, not every turnout tick: render their shared part
                # at a slower pace (their own changes still go out on this tick).
                self._dirty.add(workshop_id)
                continue
            channel = self.channels.get((workshop_id, view))
            if view == "participant":
                self._shared_at[workshop_id] = now
            before = channel.version if channel is not None else -1
            if self._render(workshop_id, view).version != before:
                changed.append(view)
        # Wake only those with something to send: 2,000 phones woken ten times a second for nothing cost more CPU
        # than the votes they watch; and a tick visits only them, not every watcher. The facilitator's first.
        for view in changed:
            if view == "participant":
                queue = self._fanout.setdefault(workshop_id, collections.deque())
                for w in self._by_view.get((workshop_id, view), ()):
                    if not w.queued:
                        w.queued = True
                        queue.append(w)
            else:
                for w in self._by_view.get((workshop_id, view), ()):
                    w.wake()
        model = self.models[workshop_id]
        for pid in people:
            for w in self._by_person.get((workshop_id, pid), ()):
                w.me_dirty = True
                p = model.participants.get(pid)
                w.revoked = p is None or p.status != "present"
                w.wake()


# Routing: which fold an event goes to, decided once per event class (an isinstance chain per event cost more than
# the poll fold itself on a rebuild). A capability's fold that does not take the event (say, one whose workshop is
# unknown) hands it on to the workshop's, as the chain did.

Route = Callable[[Hub, Any, int], None]
_ROUTES: dict[type, Route] = {}


def _then_workshop(fold: Callable[[Hub, Any, int], bool]) -> Route:
    def route(hub: Hub, event: Any, position: int) -> None:
        if not fold(hub, event, position):
            hub._apply_workshop(event, position)

    return route


def _route(cls: type) -> Route:
    if issubclass(cls, Poll.Event):
        return Hub._apply_poll
    for family, fold in (
        ((GroupWork.Event, Split.Event, QuestionSet.Event, AnswerSheet.Event), Hub._apply_group),
        ((Rotation.Event, Rotations.Event), Hub._apply_rotation),
        ((Matchmaking.Event,), Hub._apply_match),
        ((Timer.Event,), Hub._apply_timer),
        ((Notes.Event,), Hub._apply_notes),
    ):
        if issubclass(cls, family):
            return _then_workshop(fold)
    return Hub._apply_workshop
