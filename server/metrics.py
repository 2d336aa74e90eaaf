"""Operations endpoints: ``/readyz`` (may a load balancer send traffic here?) and ``/metrics`` (Prometheus text).

``/healthz`` (server/api.py) only says the process is alive. ``/readyz`` answers 503 while the store is unreachable,
while this process is behind the log, or once it is shutting down; a Redis outage alone does not make it unready
(the process follows the store instead) but shows as ``"broker": "down"``. Each app has a registry of its own
(tests build many apps in one process).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    from server.services import Services

CAUGHT_UP_SECONDS = 5.0  # a follower that has not reached the end of the log for this long is not ready


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.sockets = Gauge("tavolo_connected_sockets", "Open websockets on this process", registry=r)
        self.commands = Counter("tavolo_commands", "Commands run, by result", ["result"], registry=r)
        self.latency = Histogram(
            "tavolo_command_latency_seconds", "From a command's arrival to its outcome (committed and folded)",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10), registry=r,
        )  # fmt: skip
        self.position = Gauge("tavolo_view_position", "Last notification id folded into the live views", registry=r)
        self.lag = Gauge("tavolo_event_lag", "Events known to be committed but not yet folded, per view", ["view"],
                         registry=r)  # fmt: skip
        self.redis_errors = Counter("tavolo_redis_errors", "Failed Redis publishes and subscriptions", registry=r)
        self.store_errors = Counter("tavolo_store_errors", "Failed store reads and commits", registry=r)
        self.gc_full = Histogram(
            "tavolo_gc_full_collection_seconds", "How long each full garbage collection held the process",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1), registry=r,
        )  # fmt: skip
        self.redis_up = Gauge("tavolo_redis_up", "1 while subscribed to Redis (no broker: absent)", registry=r)

    def observe(self, started: float, result: str) -> None:
        self.commands.labels(result).inc()
        self.latency.observe(time.perf_counter() - started)


def readiness(services: Services) -> tuple[bool, dict[str, Any]]:
    follower, broker = services.follower, services.broker
    store_ok = follower.store_ok if follower is not None else True
    caught_up = follower is None or (time.monotonic() - follower.caught_up_at < CAUGHT_UP_SECONDS)
    body: dict[str, Any] = {
        "ready": False,
        "store": "up" if store_ok else "down",
        "caught_up": caught_up,
        "position": services.hub.position,
        "lag": follower.lag if follower is not None else 0,
        "broker": broker.state if broker is not None else "none",
        "shutting_down": services.shutting_down,
    }
    body["ready"] = store_ok and caught_up and not services.shutting_down
    return body["ready"], body


async def readyz(request: Request) -> Response:
    ready, body = readiness(request.app.state.services)
    return JSONResponse(body, status_code=200 if ready else 503)


async def metrics(request: Request) -> Response:
    services: Services = request.app.state.services
    m = services.metrics
    m.sockets.set(len(services.sockets))
    m.position.set(services.hub.position)
    lag = services.follower.lag if services.follower is not None else 0
    for view in ("dashboard", "projector", "participant"):  # every view folds in the one hub: the same lag
        m.lag.labels(view).set(lag)
    if services.broker is not None:
        m.redis_up.set(1 if services.broker.state == "up" else 0)
    return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)


routes = [Route("/readyz", readyz, methods=["GET"]), Route("/metrics", metrics, methods=["GET"])]
