"""The exact meeting scheduler, off the write path.

``schedule_meetings`` records the greedy schedule at once (milliseconds, in the writer thread). When it is not
proven optimal, the server runs CP-SAT in a worker thread on the same input, as the read model has it, within
``Settings.solver_seconds``; if it finds a better schedule (more meetings, or the same with a proof or less idle
time) it offers it with ``apply_schedule``, which the domain accepts only if nothing changed meanwhile and every
placement holds. The dashboard shows "improving…" while the solver runs.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.application import Command
from domain.commands import FACILITATOR, Actor
from domain.matchmaking import Matchmaking
from domain.planning import meetings as planner
from projections import matchmaking as mm

if TYPE_CHECKING:
    from server.services import Services

log = logging.getLogger("tavolo.scheduling")


def wanted(events: list[tuple[int, Any]]) -> list[tuple[UUID, int]]:
    """The (matchmaking aggregate, schedule version) of greedy schedules just committed that may be improved.

    The schedule version is the aggregate version of the ``Scheduled`` event (what ``schedule_meetings`` returns
    as ``schedule_version``): the solver's result names it as ``based_on``, and the domain refuses it as stale
    if any other schedule was recorded, or a meeting changed, since."""
    return [
        (e.originator_id, e.originator_version) for _, e in events
        if isinstance(e, Matchmaking.Scheduled) and e.info.get("method") == "greedy" and not e.info.get("optimal")
    ]  # fmt: skip


async def improve(services: Services, aggregate_id: UUID, version: int) -> None:
    hub = services.hub
    workshop_id = hub.matchmaking.owners.get(aggregate_id)
    model = hub.models.get(workshop_id) if workshop_id else None
    match = hub.matchmaking.models.get(workshop_id) if workshop_id else None
    if workshop_id is None or model is None or match is None:
        return
    inst, ids = mm.instance(match, model)  # read on the event loop, where the read model lives
    current = dict(match.schedule)
    hub.set_solving(workshop_id, True)
    try:  # "improving…" lasts until the better schedule is recorded, so nobody publishes the greedy one meanwhile
        await _solve_and_offer(services, aggregate_id, version, workshop_id, inst, ids, current)
    finally:
        hub.set_solving(workshop_id, False)


async def _solve_and_offer(
    services: Services, aggregate_id: UUID, version: int, workshop_id: UUID, inst: planner.Instance,
    ids: list[str], current: dict[str, Any],
) -> None:  # fmt: skip
    try:
        found = await asyncio.to_thread(planner.schedule, inst, services.settings.solver_seconds)
    except Exception:
        log.exception("the solver failed; the greedy schedule stands")
        return
    better = (found.count, found.optimal, -found.idle) > (
        int(current.get("count", 0)),
        bool(current.get("optimal")),
        -int(current.get("idle", 0)),
    )
    if not better:
        return
    args = {
        "based_on": version,
        "placements": [[ids[m], s, t] for m, (s, t) in sorted(found.placed.items())],
        "info": {"upper_bound": found.upper_bound, "optimal": found.optimal, "method": found.method,
                 "seconds": round(found.seconds, 3), "idle": found.idle},
    }  # fmt: skip
    command = Command(f"solver/{aggregate_id}/{version}", "apply_schedule", args, workshop_id, Actor(FACILITATOR))
    outcome = await services.run(command)
    if outcome.error is not None:  # the meetings changed meanwhile: the facilitator schedules again
        log.info("the solver's schedule was not applied: %s", outcome.error.code)
