"""Replay: a workshop's views at any moment, rendered by the live views' code from the live fold.

A moment is a position in the event log (or a time: the last event recorded at or before it). To scrub fast, the
``Replay`` of a workshop folds its events once and keeps a checkpoint (a deep copy of the hub) every
``CHECKPOINT`` events; the state at a moment is the nearest checkpoint before it plus at most that many events.
Building a fresh fold per request would be simpler, but costs the whole prefix (seconds on long logs) at every
drag of the scrubber. ``state_at`` (the CLI's path) folds once, without checkpoints.
"""

from __future__ import annotations

import bisect
import copy
import threading
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.annotations import Notes
from domain.groups import Split
from domain.matchmaking import Matchmaking
from domain.polls import Poll
from domain.rotations import Rotation
from domain.timers import Timer
from domain.workshop import Workshop
from projections.clock import workshop_clock
from projections.minutes import ReadModel, minutes
from projections.minutes_md import render, to_json
from projections.minutes_words import speaking
from server.archive import ArchiveError, WorkshopLog, fold, read_model, upto
from server.hub import Hub

CHECKPOINT = 2000

MEDIA = {
    "md": ("text/markdown; charset=utf-8", "md"),
    "html": ("text/html; charset=utf-8", "html"),
    "pdf": ("application/pdf", "pdf"),
    "json": ("application/json", "json"),
    "data": ("application/json", "data.json"),
    "csv": ("application/zip", "csv.zip"),
}


def views(hub: Hub, workshop_id: UUID) -> dict[str, Any]:
    """The dashboard and projector views of a folded hub (nobody online: presence is not history), and the
    workshop's clock in force then (``timezone``, ``zone_label``, ``hour_cycles``): a moment before the zone was
    changed is shown in the zone it had, as the minutes at that moment are."""
    return {
        **workshop_clock(hub.models[workshop_id].timezone),
        "dashboard": hub.view(workshop_id, "dashboard")["data"],
        "projector": hub.view(workshop_id, "projector")["data"],
    }


def _moment(log: WorkshopLog, index: int) -> dict[str, Any]:
    position, event = log.events[index - 1]
    return {"position": position, "at": event.timestamp.isoformat(), "index": index, "events": len(log.events)}


def index_of(log: WorkshopLog, position: int | None = None, at: datetime | None = None) -> int:
    """How many of the workshop's events a moment includes (at least 1: the workshop's creation). A time at or
    before the first event is its first moment: a scrubber's start, given to the millisecond, falls just before
    the creation's microseconds."""
    n = len(upto(log, position, at)) if position is not None or at is not None else len(log.events)
    if n == 0 and at is not None and position is None and log.events:
        return 1
    if n == 0:
        raise ArchiveError("not_found", "the workshop did not exist yet at that moment")
    return n


def state_at(log: WorkshopLog, position: int | None = None, at: datetime | None = None) -> dict[str, Any]:
    """The views at a moment, from one fresh fold of the events up to it."""
    index = index_of(log, position, at)
    return {**_moment(log, index), **views(fold(log.events[:index]), log.workshop_id)}


class Replay:
    """One workshop's log with checkpoints of its fold, for fast scrubbing (thread-safe)."""

    def __init__(self, log: WorkshopLog, every: int | None = None) -> None:
        self.log, self.every = log, every or CHECKPOINT
        every = self.every
        self._lock = threading.Lock()
        self._checkpoints: list[int] = [0]
        self._hubs: list[Hub] = [Hub()]
        hub = Hub()
        for start in range(0, len(log.events), every):
            hub.apply(log.events[start : start + every])
            if start + every < len(log.events):
                self._checkpoints.append(start + every)
                self._hubs.append(copy.deepcopy(hub))
        self.final = hub
        self.times = [e.timestamp for _, e in log.events]

    def hub_at(self, index: int) -> Hub:
        if index == len(self.log.events):
            return self.final
        k = bisect.bisect_right(self._checkpoints, index) - 1
        hub = copy.deepcopy(self._hubs[k])
        hub.apply(self.log.events[self._checkpoints[k] : index])
        return hub

    def index(self, position: int | None = None, at: datetime | None = None) -> int:
        """How many events a moment includes: up to a position, or recorded at or before a time (default: all)."""
        if at is not None and position is None:
            return max(1, bisect.bisect_right(self.times, at))  # before the first event: its first moment
        return index_of(self.log, position)

    def state(self, position: int | None = None, at: datetime | None = None) -> dict[str, Any]:
        """The moment and the dashboard and projector views then."""
        with self._lock:  # rendering a view memoises into the hub: one request at a time per workshop
            index = self.index(position, at)
            return {**_moment(self.log, index), **views(self.hub_at(index), self.log.workshop_id)}

    def read_model(self, position: int | None = None, at: datetime | None = None) -> ReadModel:
        """The minutes' input at a moment (default: the end of the log)."""
        with self._lock:
            index = self.index(position, at)
            hub = self.hub_at(index)
        return read_model(hub, self.log.workshop_id, self.log.events[index - 1][1].timestamp.isoformat())

    def timeline(self) -> dict[str, Any]:
        """The agenda (as it ended) and markers for notable events, with the log's first and last moments."""
        hub, wid = self.final, self.log.workshop_id
        titles = {str(t.poll_id): t.title for t in hub.polls_of(wid)}
        rotations = hub.rotations.models.get(wid)
        titles |= {str(r.id): r.title for r in rotations.rotations.values()} if rotations else {}
        model = hub.models[wid]
        items = {i.id: i.title for i in model.agenda}
        markers = []
        for position, e in self.log.events:
            marker = _marker(e, titles, items)
            if marker is not None:
                markers.append({"position": position, "at": e.timestamp.isoformat(), **marker})
        first, last = self.log.events[0], self.log.events[-1]
        return {
            "workshop_id": str(wid),
            "title": model.title,
            # The zone at the end of the log; each moment's state carries the zone in force then, which the page uses.
            **workshop_clock(model.timezone),
            "start": {"position": first[0], "at": first[1].timestamp.isoformat()},
            "end": {"position": last[0], "at": last[1].timestamp.isoformat()},
            "events": len(self.log.events),
            "agenda": [
                {"id": i.id, "title": i.title, "kind": i.kind, "started_at": i.started_at, "finished_at": i.finished_at}
                for i in model.agenda
            ],
            "markers": markers,
        }


def _marker(e: Any, titles: dict[str, str], items: dict[str, str]) -> dict[str, str] | None:
    """A notable event on the timeline. ``titles``: polls' and rotations' titles by id."""
    if isinstance(e, Workshop.AgendaItemStarted):
        return {"kind": "item_started", "label": items.get(e.item_id, "")}
    if isinstance(e, Workshop.AgendaItemFinished):
        return {"kind": "item_finished", "label": items.get(e.item_id, "")}
    if isinstance(e, Split.Created):
        return {"kind": "split", "label": str(len(e.groups))}  # a count: the page words it in its language
    if isinstance(e, Poll.Opened):
        return {"kind": "poll_opened", "label": titles.get(str(e.originator_id), "")}
    if isinstance(e, Poll.Closed):
        return {"kind": "poll_closed", "label": titles.get(str(e.originator_id), "")}
    if isinstance(e, Notes.NoteAdded):
        return {"kind": "note", "label": e.text[:60]}
    if isinstance(e, Rotation.RoundStarted):
        title = titles.get(str(e.originator_id), "")
        return {"kind": "round_started", "label": f"{title} · {e.round}" if title else str(e.round)}
    if isinstance(e, Timer.Started):
        return {"kind": "timer_started", "label": e.label or items.get(e.agenda_item_id, "")}
    if isinstance(e, Matchmaking.Scheduled):
        return {"kind": "meetings_scheduled", "label": str(len(e.placements))}
    if isinstance(e, Matchmaking.SchedulePublished):
        return {"kind": "schedule_published", "label": ""}
    return None


def render_minutes(read: ReadModel, fmt: str, lang: str | None = None) -> tuple[bytes, str]:
    """The minutes (or the data export) in a format, and its media type. The minutes are in ``lang`` (headings,
    labels, numbers, dates: ``tavolo minutes --lang sl``), the workshop's language without it; the CSVs' header rows
    are the column ids without ``lang``, their names in ``lang`` with it."""
    from server import i18n

    chosen = i18n.normalise(lang)
    if lang and chosen is None:
        raise ArchiveError("unknown_language", f"no catalogue for {lang[:20]!r}: {', '.join(i18n.SUPPORTED)}")
    if fmt in ("data", "csv"):
        from server.minutes_render import data_json, data_zip

        body = data_json(read).encode() if fmt == "data" else data_zip(read, chosen)
        return body, MEDIA[fmt][0]
    language = chosen or i18n.normalise(read.workshop.language) or i18n.FALLBACK
    translations = i18n.translations(language)
    m = minutes(read, translations=translations, language=language)
    with speaking(translations, language):
        if fmt == "md":
            return render(m).encode(), MEDIA[fmt][0]
        if fmt == "json":
            return to_json(m).encode(), MEDIA[fmt][0]
        if fmt == "html":
            from server.minutes_render import html

            return html(m).encode(), MEDIA[fmt][0]
        if fmt == "pdf":
            from server.minutes_pdf import pdf

            return pdf(m), MEDIA[fmt][0]
    raise ArchiveError("bad_format", f"unknown format {fmt!r}: md, html, pdf, json, data, csv")
