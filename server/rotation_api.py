"""Rotations over HTTP: how many rounds "everyone meets at least M" takes, before the facilitator creates it.

The dashboard's rotation form asks this as the facilitator types, and shows "N rounds · H h MM min". It runs what
``create_rotation`` runs (domain/rotation_commands.py: plan_to_goal: the same settings, hosts, must-meet pairs and
matchmaking wishes), on the people present now as the read model has them, in a thread off the event loop; one at
a time per workshop: a request that arrives while one runs waits, and gives up (409 superseded) if a later one came
meanwhile, so typing never queues plans. The rotation created afterwards records its own plan (its own seed, unless
given), which is what counts. The answer also counts the rule breaks (meetings of colleagues or compatriots the
``avoid`` rules forbid) the plan would have, so the form can warn before creating.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from domain import errors
from domain.commands import FACILITATOR
from domain.planning.rotation_goal import hours_minutes
from domain.rotation_commands import AVOIDABLE, ROUNDS_MAX, TABLE_SIZE_MAX, plan_to_goal
from domain.rotation_errors import CannotPlan, NotEnoughPeople
from server.api import ApiError, _actor, _services


def _whole(request: Request, key: str, low: int, high: int, default: int | None = None) -> int:
    raw = request.query_params.get(key)
    if raw is None and default is not None:
        return default
    # isdecimal, not isdigit: isdigit takes superscript digits, which int() refuses
    if raw is None or not raw.isdecimal() or not low <= int(raw) <= high:
        raise ApiError("invalid_args", f"'{key}' must be a whole number from {low} to {high}", 422)
    return int(raw)


def _ids(request: Request, key: str) -> list[str]:
    return [v for v in request.query_params.get(key, "").split(",") if v]


def _preview_args(request: Request) -> dict[str, Any]:
    """The query as create_rotation's arguments (rotation_commands checks them as it checks a command's)."""
    q = request.query_params
    args: dict[str, Any] = {
        "table_size": _whole(request, "table_size", 2, TABLE_SIZE_MAX, 2),
        "meet_at_least": _whole(request, "meet_at_least", 1, ROUNDS_MAX),
        "odd": q.get("odd", "sit_out"),
        "avoid": _ids(request, "avoid") if "avoid" in q else ["organisation"],
        "prefer_cross_sector": q.get("prefer_cross_sector") == "true",
        "exclude": _ids(request, "exclude"),
        "hosts": _ids(request, "hosts"),
        "must_meet": [pair.split(":") for pair in _ids(request, "must_meet")],
    }
    if "seed" in q:
        args["seed"] = _whole(request, "seed", 0, 2**32 - 1)
    if args["odd"] not in ("sit_out", "trio") or any(a not in AVOIDABLE for a in args["avoid"]):
        raise ApiError("invalid_args", "'odd' is sit_out or trio; 'avoid' lists organisation, country", 422)
    return args


async def rotation_preview(request: Request) -> Response:
    services = _services(request)
    workshop_id, actor = _actor(request, services)
    if actor.role != FACILITATOR:
        raise ApiError("forbidden", f"a {actor.role} may not plan rotations")
    args = _preview_args(request)
    round_seconds = _whole(request, "round_seconds", 5, 4 * 3600, 240)
    model = services.hub.models[workshop_id]
    matches = services.hub.matchmaking.models.get(workshop_id)
    meetings = list(matches.meetings.values()) if matches is not None else []
    seed = args.pop("seed", 0)
    state = request.app.state
    if not hasattr(state, "rotation_previews"):
        state.rotation_previews = {}  # workshop id -> (a lock, the latest request's number)
    lock, latest = state.rotation_previews.setdefault(workshop_id, (asyncio.Lock(), [0]))
    latest[0] += 1
    mine = latest[0]
    async with lock:
        if latest[0] != mine:  # a later request came while this one waited: its answer is the one wanted
            raise ApiError("superseded", "a later preview replaced this one", 409)
        try:
            people, plan, quality = await asyncio.to_thread(plan_to_goal, model, args, meetings, seed)
        except (CannotPlan, NotEnoughPeople) as e:
            # The form words the limit itself from ``details`` (people, most) when the domain gives it.
            raise ApiError("cannot_plan", str(e), 422, details=e.details) from None
        except errors.InvalidArgs as e:
            raise ApiError("invalid_args", str(e), 422) from None
    rounds = len(plan)
    violations = {a: quality.get("violations", {}).get(a, 0) for a in args.get("avoid", ("organisation",))}
    return JSONResponse({
        "people": people, "meet_at_least": args["meet_at_least"], "rounds": rounds,
        "least_met": min(quality["met"].values(), default=0),
        "round_seconds": round_seconds, "total_seconds": rounds * round_seconds,
        "duration": hours_minutes(rounds * round_seconds),
        # The meetings this plan has that the avoid rules forbid (colleagues, compatriots): shown before creating.
        "rule_breaks": sum(violations.values()),
        "violations": violations,
    })  # fmt: skip


routes = [Route("/api/workshops/{workshop_id}/rotations/preview", rotation_preview, methods=["GET"])]
