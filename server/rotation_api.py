"""Rotations over HTTP: how many rounds "everyone meets at least M" takes, before the facilitator creates it.

The dashboard's rotation form asks this as the facilitator types, and shows "N rounds · H h MM min". It runs the
same planner ``create_rotation`` runs (domain/planning/rotation_goal.py), on the people present now as the read
model has them, off the event loop; the rotation created afterwards records its own plan (with the participants'
meeting wishes and its own seed), which is what counts. The answer also counts the rule breaks (meetings of
colleagues or compatriots the ``avoid`` rules forbid) the plan would have, so the form can warn before creating.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from domain.commands import FACILITATOR
from domain.planning.rotation_goal import hours_minutes, least_met, plan_to_meet_at_least
from domain.planning.rotations import Person, RotationError
from domain.rotation_commands import LIVE_TIME_LIMIT, ROUNDS_MAX, TABLE_SIZE_MAX
from server.api import ApiError, _actor, _services

AVOIDABLE = ("organisation", "country")


def _whole(request: Request, key: str, low: int, high: int, default: int | None = None) -> int:
    raw = request.query_params.get(key)
    if raw is None and default is not None:
        return default
    if raw is None or not raw.isdigit() or not low <= int(raw) <= high:
        raise ApiError("invalid_args", f"'{key}' must be a whole number from {low} to {high}", 422)
    return int(raw)


async def rotation_preview(request: Request) -> Response:
    services = _services(request)
    workshop_id, actor = _actor(request, services)
    if actor.role != FACILITATOR:
        raise ApiError("forbidden", f"a {actor.role} may not plan rotations")
    table_size = _whole(request, "table_size", 2, TABLE_SIZE_MAX, 2)
    goal = _whole(request, "meet_at_least", 1, ROUNDS_MAX)
    round_seconds = _whole(request, "round_seconds", 5, 4 * 3600, 240)
    q = request.query_params
    odd = q.get("odd", "sit_out")
    avoid = tuple(a for a in q.get("avoid", "organisation").split(",") if a)
    if odd not in ("sit_out", "trio") or any(a not in AVOIDABLE for a in avoid):
        raise ApiError("invalid_args", "'odd' is sit_out or trio; 'avoid' lists organisation, country", 422)
    excluded = set(q.get("exclude", "").split(","))
    model = services.hub.models[workshop_id]
    people = [
        Person(i, p.organisation, p.country, p.sector)
        for i, p in enumerate(p for p in model.participants.values() if p.status == "present" and p.id not in excluded)
    ]  # fmt: skip
    if len(people) >= 2 and goal > len(people) - 1:
        # The facilitator is told the limit itself (the form words it from ``details``), not a vague refusal.
        raise ApiError("cannot_plan", f"with {len(people)} people, each can meet at most {len(people) - 1} others",
                       details={"people": len(people), "most": len(people) - 1})  # fmt: skip
    prefer = ("sector",) if q.get("prefer_cross_sector") == "true" else ()
    options: dict[str, Any] = {"avoid": avoid, "odd": odd, "time_limit": LIVE_TIME_LIMIT, "prefer_cross": prefer}
    try:
        plan = await asyncio.to_thread(
            plan_to_meet_at_least, people, table_size, goal, max_rounds=ROUNDS_MAX, **options
        )
    except RotationError as e:
        raise ApiError("cannot_plan", str(e), 422) from None
    rounds = len(plan.rounds)
    return JSONResponse({
        "people": len(people), "meet_at_least": goal, "rounds": rounds, "least_met": least_met(plan),
        "round_seconds": round_seconds, "total_seconds": rounds * round_seconds,
        "duration": hours_minutes(rounds * round_seconds),
        # The meetings this plan has that the avoid rules forbid (colleagues, compatriots): shown before creating.
        "rule_breaks": sum(plan.quality.violations.get(a, 0) for a in avoid),
        "violations": {a: plan.quality.violations.get(a, 0) for a in avoid},
    })  # fmt: skip


routes = [Route("/api/workshops/{workshop_id}/rotations/preview", rotation_preview, methods=["GET"])]
