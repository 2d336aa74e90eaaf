"""The HTTP API for organisers' scripts: the same commands, acks and errors as the websocket."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from domain.application import CREATE, Command, Outcome
from domain.commands import ANONYMOUS, FACILITATOR, Actor
from domain.errors import DomainError
from domain.tokens import hash_token
from projections.tallies import COLUMNS, to_csv
from server import i18n, organiser_key, protocol
from server.auth import authenticate, bearer, may_watch, origin_allowed
from server.csv_headers import header_line
from server.pages import default_sectors
from server.services import Services, new_command_id

MAX_BODY = 64 * 1024  # the default of ``--max-message-bytes``

STATUS = {
    "bad_frame": 400,
    "bad_message": 400,
    "unknown_command": 400,
    "too_large": 413,
    "rate_limited": 429,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "unknown_code": 404,
    "unsupported_media_type": 415,
    "internal_error": 500,
}


class ApiError(Exception):
    def __init__(
        self, code: str, message: str, status: int | None = None, details: Any = None, retry_after: float = 1.0
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, details
        self.status = status or STATUS.get(code, 422)
        self.retry_after = retry_after  # seconds, for rate_limited


def check_address(request: Request, kind: str) -> None:
    """Refuse with ``rate_limited`` (and a ``Retry-After``) when this client address joins or looks codes up
    faster than the server allows (``--address-*`` options, docs/deployment.md#limits)."""
    wait = _services(request).address_wait(kind, request.client.host if request.client else None)
    if wait is not None:
        what = "joins" if kind == "join" else "join code look-ups"
        raise ApiError("rate_limited", f"too many {what} from this address; retry in a moment", retry_after=wait)


def error_response(code: str, message: str, status: int, details: Any = None) -> JSONResponse:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return JSONResponse({"error": error}, status_code=status)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class StateChangeGuard:
    """Every state-changing HTTP request (any method but GET, HEAD, OPTIONS) must come from this site's own pages
    or from a script (no ``Origin``: the websocket's rule, server/auth.py); its body must be ``application/json``
    (``_body``, which every such endpoint reads through).

    A page on another site can make a visitor's browser send a ``text/plain`` form or a ``no-cors`` fetch without
    any preflight, and the server would act on it (create a workshop on a room laptop's server, join people to a
    workshop) even though the page cannot read the answer. Requiring JSON forces a CORS preflight on any
    cross-site fetch, which this server never grants; checking ``Origin`` refuses the rest."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            request = Request(scope)
            if not origin_allowed(request.headers, request.app.state.services.settings):
                if scope["path"].startswith("/api/"):
                    refusal: Response = error_response("forbidden", "origin not allowed", 403)
                else:  # pages answer their errors as text (server/app.py http_error)
                    refusal = Response("origin not allowed", status_code=403, media_type="text/plain")
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _media_type(header: str) -> str:
    return header.split(";", 1)[0].strip().lower()


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def _body(request: Request) -> dict[str, Any]:
    if _media_type(request.headers.get("content-type", "")) != "application/json":
        raise ApiError("unsupported_media_type", "send the body as application/json")
    limit = _services(request).settings.max_message_bytes
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise ApiError("too_large", f"bodies are limited to {limit} bytes")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise ApiError("too_large", f"bodies are limited to {limit} bytes")
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, RecursionError):
        raise ApiError("bad_frame", "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError("bad_frame", "the body must be a JSON object")
    return body


def _command_id(body: dict[str, Any]) -> str:
    command_id = body.pop("id", None)
    if command_id is None:
        return new_command_id()
    try:
        message = protocol.parse({"type": "command", "id": command_id, "name": "x"})
    except protocol.ProtocolError as e:
        raise ApiError(e.code, e.message) from None
    assert isinstance(message, protocol.CommandMsg)
    return message.id


def _raise_for(outcome: Outcome) -> None:
    if outcome.error is not None:
        e: DomainError = outcome.error
        raise ApiError(e.code, e.message, e.status, e.details)


def _absolute(request: Request, services: Services, path: str) -> str:
    base = services.public_url or str(request.base_url).rstrip("/")
    return base.rstrip("/") + path


ORGANISER_HEADER = "x-tavolo-organiser-key"


def _check_organiser(request: Request, services: Services) -> None:
    """On a server with an organiser key, only its holders create workshops (compared in constant time)."""
    expected = services.settings.organiser_key
    if not expected:
        return
    given = request.headers.get(ORGANISER_HEADER, "")
    if not given:
        raise ApiError("organiser_key_required", "this server needs an organiser key to create a workshop", 401)
    wait = organiser_key.refused_for(request)
    if wait is not None:
        raise ApiError("rate_limited", "too many wrong organiser keys from this address", retry_after=wait)
    if not organiser_key.compare(request, given, expected):
        raise ApiError("forbidden", "this organiser key is not valid here", 403)


async def create_workshop(request: Request) -> Response:
    services = _services(request)
    _check_organiser(request, services)
    body = await _body(request)
    command_id = _command_id(body)
    if "sectors" not in body and body.get("language") in i18n.SUPPORTED:
        body["sectors"] = default_sectors(body["language"])
    outcome = await services.run(Command(command_id, CREATE, body, None, Actor(ANONYMOUS)))
    _raise_for(outcome)
    r = outcome.result
    answer = {"workshop_id": r["workshop_id"], "code": r["code"], "duplicate": outcome.duplicate}
    if "facilitator_token" in r:
        wid, fac, proj = r["workshop_id"], r["facilitator_token"], r["projector_token"]
        answer |= {
            "facilitator_token": fac,
            "projector_token": proj,
            "facilitator_url": _absolute(request, services, f"/w/{wid}/dashboard#k={fac}&p={proj}"),
            "projector_url": _absolute(request, services, f"/w/{wid}/projector#k={proj}"),
        }
    answer["join_url"] = _absolute(request, services, f"/j/{r['code']}")
    return JSONResponse(answer, status_code=200 if outcome.duplicate else 201)


async def join(request: Request) -> Response:
    services = _services(request)
    check_address(request, "join")
    body = await _body(request)
    command_id = _command_id(body)
    code = body.pop("code", None)
    model = await services.look_up_code(code) if isinstance(code, str) else None
    if model is None:
        raise ApiError("unknown_code", "no workshop has this join code")
    refusal = services.throttled(model.id)  # anonymous: a room's phones share one address behind its Wi-Fi
    if refusal is not None:
        raise ApiError("rate_limited", refusal)
    outcome = await services.run(Command(command_id, "join", body, model.id, Actor(ANONYMOUS)))
    _raise_for(outcome)
    token = outcome.result.get("participant_token")
    if services.foreign_join(outcome, body.get("token")):
        raise ApiError("token_in_use", "this token does not belong to the participant of that join", 409)
    if token is None and isinstance(body.get("token"), str):
        token = body["token"]  # a retry with the token the client chose, and it is this participant's
    return JSONResponse(
        {
            "workshop_id": str(model.id),
            "participant_id": outcome.result["participant_id"],
            "participant_token": token,
            "duplicate": outcome.duplicate,
        },
        status_code=200 if outcome.duplicate else 201,
    )


def _actor(request: Request, services: Services) -> tuple[UUID, Actor]:
    model = services.model(request.path_params["workshop_id"])
    if model is None:
        raise ApiError("not_found", "no such workshop")
    token = bearer(request.headers.get("authorization"))
    if token is None:
        raise ApiError("unauthorized", "send your token as 'Authorization: Bearer …'")
    actor = authenticate(model, token)
    if actor is None:
        raise ApiError("unauthorized", "unknown token, or no longer a participant")
    return model.id, actor


async def run_command(request: Request) -> Response:
    services = _services(request)
    workshop_id, actor = _actor(request, services)
    body = await _body(request)
    try:
        message = protocol.parse({**body, "type": "command"})
    except protocol.ProtocolError as e:
        raise ApiError(e.code, e.message) from None
    assert isinstance(message, protocol.CommandMsg)
    token = bearer(request.headers.get("authorization")) or ""
    refusal = services.throttled(workshop_id, hash_token(token))
    if refusal is not None:
        raise ApiError("rate_limited", refusal)
    outcome = await services.run(Command(message.id, message.name, message.args, workshop_id, actor))
    if outcome.error is not None:
        response = {"code": outcome.error.code, "message": outcome.error.message}
        details = getattr(outcome.error, "details", None)
        if details is not None:
            response["details"] = details
        return JSONResponse({"error": response}, status_code=outcome.error.status)
    return JSONResponse(services.ack(outcome))


async def get_view(request: Request) -> Response:
    services = _services(request)
    workshop_id, actor = _actor(request, services)
    view = request.path_params["view"]
    if view not in ("dashboard", "projector", "participant"):
        raise ApiError("not_found", "views: dashboard, projector, participant", 404)
    if not may_watch(actor, view):
        raise ApiError("forbidden", f"a {actor.role} may not read the {view} view")
    return JSONResponse(services.hub.view(workshop_id, view, actor.participant_id))


async def polls_csv(request: Request) -> Response:
    """Every poll's results (or one poll's, with ``poll_id``) as CSV, for the facilitator."""
    services = _services(request)
    workshop_id, actor = _actor(request, services)
    if actor.role != FACILITATOR:
        raise ApiError("forbidden", f"a {actor.role} may not export results")
    polls = services.hub.polls_of(workshop_id)
    wanted = request.path_params.get("poll_id")
    if wanted is not None:
        try:
            poll_id = UUID(wanted)
        except ValueError:
            poll_id = None
        polls = [t for t in polls if t.poll_id == poll_id]
        if not polls:
            raise ApiError("unknown_poll", "no such poll in this workshop", 404)
    parts = [to_csv(t) for t in polls]  # a fold's data, read on the loop; at most a few ms for large polls
    header = header_line(COLUMNS, i18n.normalise(request.query_params.get("lang")))  # ids, or names in ?lang=
    body = header + "".join(part.split("\r\n", 1)[1] for part in parts)  # one header for all
    name = f"tavolo-polls-{wanted or workshop_id}.csv"
    return Response(
        body, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


async def code_lookup(request: Request) -> Response:
    check_address(request, "lookup")
    model = await _services(request).look_up_code(request.path_params["code"])
    if model is None:
        raise ApiError("unknown_code", "no workshop has this join code")
    return JSONResponse(
        {
            "workshop_id": str(model.id),
            "code": model.code,
            "title": model.title,
            "language": model.language,
            "sectors": list(model.sectors),
        }
    )


async def health(request: Request) -> Response:
    services = _services(request)
    return JSONResponse({"status": "ok", "position": services.hub.position, "workshops": len(services.hub.models)})


async def api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    details = exc.details
    if exc.code == "rate_limited" and details is None:
        details = {"retry_after": protocol.retry_after(exc.retry_after)}  # for clients that do not read headers
    response = error_response(exc.code, exc.message, exc.status, details)
    if exc.code == "rate_limited":
        response.headers["Retry-After"] = str(protocol.retry_after(exc.retry_after))
    return response


routes = [
    # GET /api/workshops (the organisers' list) shares the path: server/organiser_api.py routes both methods.
    Route("/api/join", join, methods=["POST"]),
    Route("/api/workshops/{workshop_id}/commands", run_command, methods=["POST"]),
    Route("/api/workshops/{workshop_id}/views/{view}", get_view, methods=["GET"]),
    Route("/api/workshops/{workshop_id}/polls.csv", polls_csv, methods=["GET"]),
    Route("/api/workshops/{workshop_id}/polls/{poll_id}/results.csv", polls_csv, methods=["GET"]),
    Route("/api/codes/{code}", code_lookup, methods=["GET"]),
    Route("/healthz", health, methods=["GET"]),
]
