"""Keeping the facilitator's access: the workshop card, and the organiser's list of workshops with "reopen".

A facilitator's access is a secret link kept in one browser. Two things stop it resting on that browser alone:

- **The workshop card** (``POST /api/workshops/{id}/card``): a small self-contained HTML page with the dashboard
  link, the projector link, the join link and code, and a QR code of the join link — downloaded right after
  creation, to keep with the event's files. The server keeps only hashes of the secrets, so the browser sends
  them (the facilitator's as the bearer token, the projector's in the body) and the server checks both.
- **The organiser's list** (``GET /api/workshops``, on a server started with ``--organiser-key``): every workshop,
  and ``POST /api/workshops/{id}/reopen`` to get a fresh facilitator link for one. Reopening *replaces* the
  facilitator link's secret with the existing link-rotation event (``LinkRotated``): whoever still holds the old link
  (a lost laptop, a forwarded e-mail) loses access, and dashboards open with it are closed. A second, permanent
  co-facilitator secret would have left every lost link working forever. The projector link is not touched (a
  screen in the room keeps running); the reopened dashboard can replace it too.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import segno
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from domain.application import Command
from domain.commands import FACILITATOR, Actor
from domain.tokens import hash_token, new_token, same_hash
from projections.workshop import WorkshopModel
from server import pages
from server.api import (
    ORGANISER_HEADER,
    ApiError,
    _absolute,
    _actor,
    _body,
    _check_organiser,
    _raise_for,
    _services,
    create_workshop,
)


def _organiser(request: Request) -> None:
    """Only the holders of the server's organiser key (compared in constant time, wrong keys limited per address);
    refused outright where the server has none, since then nobody could be told apart from a passer-by."""
    expected = _services(request).settings.organiser_key
    if not expected:
        raise ApiError("no_organiser_key", "this server has no organiser key (tavolo serve --organiser-key)", 403)
    if not request.headers.get(ORGANISER_HEADER):
        raise ApiError("organiser_key_required", f"send the organiser key in the {ORGANISER_HEADER} header", 401)
    _check_organiser(request, _services(request))  # wrong keys counted per address (server/organiser_key.py)


def _summary(model: WorkshopModel) -> dict[str, Any]:
    present = sum(1 for p in model.participants.values() if p.status == "present")
    return {"workshop_id": str(model.id), "title": model.title, "date": model.date, "venue": model.venue,
            "code": model.code, "language": model.language, "created_at": model.created_at,
            "participants": present}  # fmt: skip


async def list_workshops(request: Request) -> Response:
    """Every workshop on this server, newest first (organisers only)."""
    services = _services(request)
    _organiser(request)
    models = sorted(services.hub.models.values(), key=lambda m: (m.created_at, str(m.id)), reverse=True)
    workshops = [_summary(m) for m in models if m.code]
    return JSONResponse({"workshops": workshops, "count": len(workshops)}, headers={"Cache-Control": "no-store"})


async def reopen_workshop(request: Request) -> Response:
    """A new facilitator link for a workshop (organisers only); the old one stops working."""
    services = _services(request)
    _organiser(request)
    model = services.model(request.path_params["workshop_id"])
    if model is None:
        raise ApiError("not_found", "no such workshop")
    body = await _body(request)
    given = body.get("facilitator_token")
    # A token the client chose makes a retry (same id, same token) safe; without one, each call rotates afresh.
    token = given if isinstance(given, str) else new_token()
    command_id = body.get("id") if isinstance(body.get("id"), str) else str(uuid4())
    args = {"role": "facilitator", "token": token}
    outcome = await services.run(Command(command_id, "rotate_link", args, model.id, Actor(FACILITATOR)))
    _raise_for(outcome)
    if outcome.duplicate:
        # A retry answers only the token its client chose, and only while it is the facilitator's: a token made now
        # was never saved (the first call's was), so handing it out would be a link that does not work.
        current = services.model(model.id)
        saved = current.facilitator_token_hash if current is not None else ""
        if not isinstance(given, str) or not same_hash(hash_token(given), saved):
            raise ApiError("token_in_use", "this reopen was already made with another token: reopen with a new id", 409)
    wid = str(model.id)
    answer = {
        "workshop_id": wid,
        "code": model.code,
        "facilitator_token": token,
        "facilitator_url": _absolute(request, services, f"/w/{wid}/dashboard#k={token}"),
        "join_url": _absolute(request, services, f"/j/{model.code}"),
        "duplicate": outcome.duplicate,
    }
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


async def workshop_card(request: Request) -> Response:
    """The workshop card as a downloadable HTML file (the facilitator, who sends the projector token too)."""
    services = _services(request)
    workshop_id, actor = _actor(request, services)
    if actor.role != FACILITATOR:
        raise ApiError("forbidden", f"a {actor.role} may not download the workshop card")
    model = services.hub.models[workshop_id]
    body = await _body(request)
    projector = body.get("projector_token")
    if projector is not None and not (isinstance(projector, str) and
                                      same_hash(hash_token(projector), model.projector_token_hash)):  # fmt: skip
        raise ApiError("forbidden", "this is not the workshop's projector token")
    facilitator = request.headers["authorization"].split(None, 1)[1].strip()
    wid = str(model.id)
    base = f"/w/{wid}"
    dashboard = f"{base}/dashboard#k={facilitator}" + (f"&p={projector}" if projector else "")
    join = pages.join_url(request, model.code)
    context = {
        "workshop": model,
        "dashboard_url": _absolute(request, services, dashboard),
        "projector_url": _absolute(request, services, f"{base}/projector#k={projector}") if projector else "",
        "join_url": join,
        "qr_svg": segno.make(join, error="m").svg_inline(scale=5, border=2, dark="#0b1220", light="#ffffff"),
    }
    lang = body.get("language") if body.get("language") in pages.i18n.SUPPORTED else model.language
    response = pages.render(request, "workshop_card.html", lang, context)
    name = f"tavolo-{model.code}-card.html"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"  # it holds the secret links
    return response


async def workshops(request: Request) -> Response:
    """One route for the path, so that other methods get one 405 naming both."""
    return await (list_workshops(request) if request.method in ("GET", "HEAD") else create_workshop(request))


routes = [
    Route("/api/workshops", workshops, methods=["GET", "POST"]),
    Route("/api/workshops/{workshop_id}/reopen", reopen_workshop, methods=["POST"]),
    Route("/api/workshops/{workshop_id}/card", workshop_card, methods=["POST"]),
]
