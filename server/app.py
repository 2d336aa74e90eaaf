"""The ASGI application: ``create_app(store_url)`` wires the event store, the writer, the hub and the routes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from domain.application import Tavolo
from domain.secret import FilePollKeys, MemoryPollKeys, PollKeys, sweep
from server import api, metrics, transport
from server.auth import authenticate, bearer
from server.broker import RedisBroker
from server.follow import Follower
from server.heap import HeapKeeper
from server.hub import Hub
from server.keystore import PostgresPollKeys
from server.services import Services, Settings
from server.sockets import websocket_endpoint
from server.start_up import at_start_up
from server.stores import fail_fast, store_env
from server.writer import Writer

log = logging.getLogger("tavolo")

_PG = "eventsourcing.postgres"
SETTINGS_ENV = "TAVOLO_SETTINGS"  # JSON of `Settings`, for `create_app_from_env` (uvicorn workers)


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
    transport.configure(settings)  # the connection guards under the app, in this process (server/transport.py)
    env = store_env(store_url)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        at_start_up(settings.organiser_key)  # a short organiser key warned about; country names built aside
        keys = await asyncio.to_thread(poll_keys, store_url, settings.keys_dir)
        tavolo = await asyncio.to_thread(Tavolo, env, settings.max_participants, keys)
        if env["PERSISTENCE_MODULE"] == _PG:
            fail_fast(tavolo.recorder)  # an outage answers `unavailable` in seconds, not after ten tries
        hub = Hub(settings.push_interval, settings.participant_push_interval, settings.participant_push_rate)
        hub.keys = keys
        hub.personal_keys = tavolo.personal_keys
        count = await asyncio.to_thread(hub.catch_up, tavolo)
        for participant_id in hub.erased:  # erased, key not yet destroyed (a crash between commit and destroy)
            await asyncio.to_thread(tavolo.personal_keys.destroy, participant_id)
        # Keys of polls that closed while we were down (closing committed, discard not done) go now.
        open_secret = {t.poll_id for t in hub.tallies.values() if t.secret and t.state == "open"}
        await asyncio.to_thread(sweep, keys, open_secret)
        log.info("loaded %d events (%d workshops) from %s", count, len(hub.models), _redacted(store_url))
        # On PostgreSQL other processes may write to the same store: follow it (server/follow.py).
        follower = Follower(tavolo, hub, settings.follow_interval) if env["PERSISTENCE_MODULE"] == _PG else None
        writer = Writer(tavolo, loop, lambda o, e: services.on_committed(o, e),
                        prepare=follower.before_delivery if follower else None)  # fmt: skip
        services = Services(settings, tavolo, hub, writer, follower=follower)
        hub.on_deleted = services.workshop_deleted
        for purge in hub.purges:  # deleted, not yet purged (a crash between the commit and the purge): the writer
            services.workshop_deleted(purge)  # runs them first, retrying while the store is down
        hub.purges.clear()
        if settings.broker_url:
            if follower is None:
                raise ValueError("--broker needs a PostgreSQL store shared by the processes (postgresql://…)")
            broker = services.broker = RedisBroker(settings.broker_url, follower.hint,
                                                   services.metrics.redis_errors.inc, follower.nudge)  # fmt: skip
            # Who is online on the other processes (server/presence.py).
            broker.local_online = lambda workshop_id: hub.online.get(workshop_id, {}).keys()
            broker.on_presence, broker.on_presence_tick = hub.remote_presence, hub.expire_presence
            hub.on_presence = broker.presence_changed
            broker.start()
        app.state.services = services
        services.writer.start()
        hub.start()
        if follower is not None:
            follower.start()
        timer = asyncio.create_task(services.close_due_polls(), name="tavolo-poll-timer")
        services.heap = HeapKeeper(on_full=services.metrics.gc_full.observe, freeze=settings.heap_freeze,
                                   activity=lambda: hub.position)  # fmt: skip
        services.heap.start()
        try:
            yield
        finally:
            services.shutting_down = True
            timer.cancel()
            await asyncio.gather(timer, return_exceptions=True)
            if services.heap is not None:
                await services.heap.stop()
            if follower is not None:
                await follower.stop()
            await hub.stop()
            await asyncio.to_thread(services.writer.stop)  # commits what is queued: nothing accepted is dropped
            if services.broker is not None:
                await services.broker.stop()
            tavolo.close()
            if isinstance(keys, PostgresPollKeys):
                keys.close()

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if request.url.path.startswith("/api/"):
            code = {404: "not_found", 405: "bad_message"}.get(exc.status_code, "bad_message")
            response: Response = api.error_response(code, exc.detail, exc.status_code)
        else:
            response = Response(exc.detail, status_code=exc.status_code, media_type="text/plain")
        response.headers.update(exc.headers or {})  # a 405's Allow
        return response

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path, exc_info=exc)
        return JSONResponse({"error": {"code": "internal_error", "message": "internal error"}}, status_code=500)

    from server import match_api, organiser_api, rotation_api

    socket = WebSocketRoute("/ws/{workshop_id}", websocket_endpoint)
    routes: list[BaseRoute] = [
        *api.routes,
        *organiser_api.routes,
        *match_api.routes,
        *rotation_api.routes,
        *metrics.routes,
        socket,
        *_page_routes(),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(api.StateChangeGuard), Middleware(FollowFirst)],
        lifespan=lifespan,
        exception_handlers={api.ApiError: api.api_error, HTTPException: http_error, Exception: server_error},
    )


class FollowFirst:
    """Read the store before answering a request that this process may not be able to answer yet: another process
    announced commits not folded here, or the request names a workshop or a token unknown here (created
    on another process a moment ago, before any announcement could arrive). So a client sent here right after a
    write elsewhere sees it (no sticky sessions; ``--workers N`` with or without a broker). Join codes are read by
    their handlers, after the address's look-up limit (``Services.look_up_code``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(("/api/", "/w/", "/j/")):
            services = getattr(scope["app"].state, "services", None)
            if (
                services is not None
                and services.follower is not None
                and (services.follower.lag > 0 or _unknown_here(services, scope))
            ):
                await services.follower.fresh()
        await self.app(scope, receive, send)


def _unknown_here(services: Services, scope: Scope) -> bool:
    """The path's workshop, or the bearer token, is unknown to this process (dict lookups only; a
    flood of unknown ids costs one store read at a time: concurrent ``fresh()`` calls share one)."""
    parts = scope["path"].strip("/").split("/")
    # Join codes are not looked up here: their handlers read the store for an unknown code only once the address's
    # look-up limit allowed the request (Services.look_up_code), so a flood of guesses is slowed before any read.
    if parts[:2] == ["api", "workshops"] and len(parts) > 2:
        workshop_id = parts[2]
    elif parts[0] == "w" and len(parts) > 1:
        workshop_id = parts[1]
    else:
        return False
    model = services.model(workshop_id)
    if model is None:
        return True
    token = bearer(dict(scope["headers"]).get(b"authorization", b"").decode("latin-1") or None)
    return token is not None and authenticate(model, token) is None


def create_app_from_env() -> Starlette:
    """The app of one uvicorn worker (``tavolo serve --workers N``): settings come from ``TAVOLO_SETTINGS``."""
    settings = Settings(**json.loads(os.environ[SETTINGS_ENV]))
    settings.allowed_origins = tuple(settings.allowed_origins)
    settings.trusted_proxies = tuple(settings.trusted_proxies)
    return create_app(settings.store_url, settings)


def poll_keys(store_url: str, keys_dir: str | None) -> PollKeys:
    """Where open secret polls keep their keys: in memory for a memory store; files beside a SQLite store (so
    an open secret poll survives a restart); a table beside the events on PostgreSQL, shared by every process
    (server/keystore.py). Never inside the event store."""
    if keys_dir:
        return FilePollKeys(keys_dir)
    env = store_env(store_url)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.popo":
        return MemoryPollKeys()
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        return FilePollKeys(env["SQLITE_DBNAME"] + ".poll-keys")
    return PostgresPollKeys(env)


def _redacted(url: str) -> str:
    head, sep, tail = url.partition("@")
    return f"{head.split(':')[0]}://…@{tail}" if sep else url
