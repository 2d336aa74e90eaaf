"""The ASGI application: ``create_app(store_url)`` wires the event store, the writer, the hub and the routes."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, WebSocketRoute

from domain.application import Tavolo
from domain.secret import FilePollKeys, MemoryPollKeys, PollKeys, sweep
from server import api
from server.hub import Hub
from server.services import Services, Settings
from server.sockets import websocket_endpoint
from server.stores import store_env
from server.writer import Writer

log = logging.getLogger("tavolo")


def _page_routes() -> list[BaseRoute]:
    try:
        from server.archive_api import routes as archive_routes
        from server.pages import page_routes
    except ImportError:  # pragma: no cover - the web layer is optional for API-only tests
        return []
    return [*archive_routes, *page_routes()]


def create_app(store_url: str = "memory://", settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    settings.store_url = store_url
    env = store_env(store_url)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        keys = poll_keys(store_url, settings.keys_dir)
        tavolo = await asyncio.to_thread(Tavolo, env, settings.max_participants, keys)
        hub = Hub(settings.push_interval, settings.participant_push_interval)
        hub.keys = keys
        count = await asyncio.to_thread(hub.catch_up, tavolo)
        # Keys of polls that closed while we were down (closing committed, discard not done) go now.
        sweep(keys, {t.poll_id for t in hub.tallies.values() if t.secret and t.state == "open"})
        log.info("loaded %d events (%d workshops) from %s", count, len(hub.models), _redacted(store_url))
        services = Services(settings, tavolo, hub, Writer(tavolo, loop, lambda o: services.on_committed(o)))
        app.state.services = services
        services.writer.start()
        hub.start()
        timer = asyncio.create_task(services.close_due_polls(), name="tavolo-poll-timer")
        try:
            yield
        finally:
            timer.cancel()
            await asyncio.gather(timer, return_exceptions=True)
            await hub.stop()
            await asyncio.to_thread(services.writer.stop)
            tavolo.close()

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if request.url.path.startswith("/api/"):
            code = {404: "not_found", 405: "bad_message"}.get(exc.status_code, "bad_message")
            return api.error_response(code, exc.detail, exc.status_code)
        return Response(exc.detail, status_code=exc.status_code, media_type="text/plain")

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path, exc_info=exc)
        return JSONResponse({"error": {"code": "internal_error", "message": "internal error"}}, status_code=500)

    from server import match_api

    socket = WebSocketRoute("/ws/{workshop_id}", websocket_endpoint)
    routes: list[BaseRoute] = [*api.routes, *match_api.routes, socket, *_page_routes()]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={api.ApiError: api.api_error, HTTPException: http_error, Exception: server_error},
    )


def poll_keys(store_url: str, keys_dir: str | None) -> PollKeys:
    """Where open secret polls keep their keys: in memory for a memory store; otherwise files beside the
    store (so an open secret poll survives a restart), never inside it."""
    if keys_dir:
        return FilePollKeys(keys_dir)
    env = store_env(store_url)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.popo":
        return MemoryPollKeys()
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        return FilePollKeys(env["SQLITE_DBNAME"] + ".poll-keys")
    # One folder per database and schema: the start-up sweep must never touch another store's live keys.
    where = "/".join(env.get(k, "") for k in ("POSTGRES_HOST", "POSTGRES_PORT", "POSTGRES_DBNAME", "POSTGRES_SCHEMA"))
    return FilePollKeys(Path("data") / "poll-keys" / hashlib.sha256(where.encode()).hexdigest()[:16])


def _redacted(url: str) -> str:
    head, sep, tail = url.partition("@")
    return f"{head.split(':')[0]}://…@{tail}" if sep else url
