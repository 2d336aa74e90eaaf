"""HTTP routes for a workshop's history (facilitator only): replay, timeline, minutes, data and event export,
and the replay page. Everything is read from the store through server/archive.py (the same path as the CLI, so a
download and ``tavolo minutes`` give the same bytes) and folded by the live hub's code."""

from __future__ import annotations

import io
import threading
from typing import Any
from uuid import UUID

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from domain.commands import FACILITATOR
from server import i18n
from server.api import ApiError, _actor, _services
from server.archive import ArchiveError, export_events, workshop_events
from server.archive_cli import CliError, parse_time
from server.minutes_render import HTML_CSP
from server.pages import _not_found, _workshop, render
from server.replay import MEDIA, Replay, render_minutes

_lock = threading.Lock()


def _replay(request: Request, workshop_id: UUID) -> Replay:
    """The workshop's Replay, rebuilt when the live workshop has moved on since it was made."""
    services = _services(request)
    cache: dict[UUID, tuple[tuple[int, int], Replay]] = services.__dict__.setdefault("replays", {})
    live = _live(services.hub, workshop_id)
    with _lock:
        hit = cache.get(workshop_id)
        if hit is not None and hit[0] == live:
            return hit[1]
    replay = Replay(workshop_events(services.app, workshop_id))
    with _lock:
        cache[workshop_id] = (live, replay)
        while len(cache) > 4:  # a few workshops at a time: checkpoints are memory
            del cache[next(iter(cache))]
    return replay


def _live(hub: Any, workshop_id: UUID) -> tuple[int, int]:
    """How far the live hub has folded the workshop: its views' position and its notes' (a note changes no view,
    but it changes the minutes)."""
    notes = hub.notes.models.get(workshop_id)
    return hub.models[workshop_id].position, notes.position if notes is not None else 0


def _facilitator(request: Request) -> UUID:
    workshop_id, actor = _actor(request, _services(request))
    if actor.role != FACILITATOR:
        raise ApiError("forbidden", f"a {actor.role} may not read the workshop's history")
    return workshop_id


def _moment(request: Request) -> dict[str, Any]:
    q = request.query_params
    try:
        position = int(q["position"]) if q.get("position") else None
        at = parse_time(q["at"]) if q.get("at") else None
    except (ValueError, CliError) as e:
        raise ApiError("invalid_args", f"position must be an integer and at an ISO time ({e})") from None
    return {"position": position, "at": at}


async def _run(fn: Any, *args: Any) -> Any:
    try:
        return await to_thread.run_sync(fn, *args)
    except ArchiveError as e:
        raise ApiError(e.code, e.message, 404 if e.code == "not_found" else 422) from None


async def replay_state(request: Request) -> Response:
    workshop_id, moment = _facilitator(request), _moment(request)

    def work() -> dict[str, Any]:
        return _replay(request, workshop_id).state(**moment)

    return JSONResponse(await _run(work))


async def timeline(request: Request) -> Response:
    workshop_id = _facilitator(request)
    return JSONResponse(await _run(lambda: _replay(request, workshop_id).timeline()))


async def notes(request: Request) -> Response:
    """The workshop's notes and corrections so far (the dashboard's list), from the live fold."""
    workshop_id = _facilitator(request)
    hub = _services(request).hub
    model = hub.notes.models.get(workshop_id)
    items = {i.id: i.title for i in hub.models[workshop_id].agenda}
    rows = [
        {"id": n.id, "text": n.text, "item_id": n.item_id, "item": items.get(n.item_id, ""), "corrects": n.corrects,
         "at": n.at}
        for n in (model.notes if model is not None else ())
    ]  # fmt: skip
    return JSONResponse({"notes": rows})


def _attachment(body: bytes, media: str, name: str, extra: dict[str, str] | None = None) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store", **(extra or {})}
    return Response(body, media_type=media, headers=headers)


async def minutes(request: Request) -> Response:
    """The minutes (md, html, pdf, json) or the data export (data: JSON, csv: a zip of CSVs), as of now or ``at``,
    in ``?lang=`` (default: the workshop's language; CSV headers: the column ids)."""
    workshop_id, moment = _facilitator(request), _moment(request)
    fmt = request.path_params["format"]
    if fmt not in MEDIA:
        raise ApiError("not_found", "formats: md, html, pdf, json, data, csv", 404)

    def work() -> tuple[bytes, str]:
        lang = request.query_params.get("lang") or None  # the minutes' and the CSV headers' language
        return render_minutes(_replay(request, workshop_id).read_model(**moment), fmt, lang)

    body, media = await _run(work)
    extra = {"Content-Security-Policy": HTML_CSP} if fmt == "html" else None
    return _attachment(body, media, f"tavolo-minutes-{workshop_id}.{MEDIA[fmt][1]}", extra)


async def export(request: Request) -> Response:
    """The workshop's whole event stream as a portable file (what ``tavolo export`` writes)."""
    workshop_id = _facilitator(request)

    def work() -> bytes:
        out = io.BytesIO()
        key = _services(request).settings.export_key
        export_events(_replay(request, workshop_id).log, out, key.encode("utf-8") if key else None)
        return out.getvalue()

    body = await _run(work)
    return _attachment(body, "application/vnd.msgpack", f"tavolo-{workshop_id}.tavolo")


async def replay_page(request: Request) -> Response:
    workshop = _workshop(request)
    if workshop is None:
        return _not_found(request)
    lang = i18n.pick_language(request, workshop.language)
    return render(request, "replay.html", lang, {"workshop": workshop, "countries": i18n.country_names(lang)})


routes: list[BaseRoute] = [
    Route("/api/workshops/{workshop_id}/timeline", timeline, methods=["GET"]),
    Route("/api/workshops/{workshop_id}/notes", notes, methods=["GET"]),
    Route("/api/workshops/{workshop_id}/replay", replay_state, methods=["GET"]),
    Route("/api/workshops/{workshop_id}/minutes.{format}", minutes, methods=["GET"]),
    Route("/api/workshops/{workshop_id}/events.tavolo", export, methods=["GET"]),
    Route("/w/{workshop_id}/replay", replay_page, name="replay"),
]
