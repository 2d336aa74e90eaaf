"""Matchmaking over HTTP: the searchable catalogue, suggested matches, one's agenda as iCalendar, the meetings CSV.

The catalogue and suggestions are read on request (they are per person and searchable: not worth pushing to every
phone); everything a participant changes goes through commands like any other.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from domain.commands import FACILITATOR, PARTICIPANT, Actor
from domain.countries import parse_country
from projections import matchmaking as mm
from projections.clock import local_iso
from projections.tallies import csv_cell
from server import i18n
from server.api import ApiError, _actor, _services
from server.csv_headers import header

OUTCOME_LABELS = {
    "cooperation_agreement": "potential cooperation agreement", "joint_project": "joint project",
    "follow_up_visit": "follow-up visit", "further_contact": "further contact", "no_follow_up": "no follow-up",
    "other": "other",
}  # fmt: skip


def _who(request: Request, actor: Actor, allow_facilitator: bool = True) -> str:
    """The participant a request is about: the caller, or (facilitators) ``participant_id``."""
    if actor.role == PARTICIPANT and actor.participant_id:
        return actor.participant_id
    if actor.role == FACILITATOR and allow_facilitator:
        pid = request.query_params.get("participant_id", "")
        if pid:
            return pid
        raise ApiError("invalid_args", "give ?participant_id=…", 422)
    raise ApiError("forbidden", f"a {actor.role} may not read this")


async def catalogue(request: Request) -> Response:
    services = _services(request)
    workshop_id, actor = _actor(request, services)
    if actor.role not in (FACILITATOR, PARTICIPANT):
        raise ApiError("forbidden", f"a {actor.role} may not read the catalogue")
    q = request.query_params
    model = services.hub.models[workshop_id]
    match = services.hub.matchmaking.models.get(workshop_id)
    if not mm.configured(match):
        raise ApiError("matchmaking_not_configured", "this workshop has no matchmaking", 409)
    # A country filter reads codes and names as join does; one that names no country matches nobody.
    country = (parse_country(q["country"][:100]) or "??") if q.get("country") else ""
    entries = mm.catalogue_entries(
        match, model, reader=actor.participant_id, country=country, sector=q.get("sector", "")[:80],
        organisation_type=q.get("organisation_type", "")[:20],
    )  # fmt: skip
    # Ranking compares query words with every profile's words: done off the event loop, on the snapshot just taken
    # (the model itself is only read on the loop, where events change it).
    people = await run_in_threadpool(mm.rank, entries, q.get("q", "")[:200])
    return JSONResponse({"people": people, "count": len(people)})


async def suggestions(request: Request) -> Response:
    services = _services(request)
    workshop_id, actor = _actor(request, services)
    pid = _who(request, actor)
    model = services.hub.models[workshop_id]
    if pid not in model.participants:
        raise ApiError("unknown_participant", "no such participant in this workshop", 404)
    match = services.hub.matchmaking.models.get(workshop_id)
    if not mm.configured(match):
        raise ApiError("matchmaking_not_configured", "this workshop has no matchmaking", 409)
    found = mm.suggestions(match, model, pid, reader=actor.participant_id)
    return JSONResponse({"suggestions": found})


def agenda_ics(
    title: str,
    venue: str,
    agenda: list[dict[str, Any]],
    slots: list[dict[str, str]],
    uid: str,
    timezone: str = "UTC",
    language: str = i18n.FALLBACK,
) -> bytes:
    """One's meetings as an iCalendar file (RFC 5545): an event per meeting, with who, where and the note. Times
    are in the workshop's zone (``TZID=Europe/Rome``) with its VTIMEZONE, as §3.6.5 requires of every TZID used;
    a slot's own offset (the facilitator's browser's) is only a way to write the instant. The words around the
    names (calendar name, summary, table) are in ``language``."""
    zone = ZoneInfo(timezone or "UTC")
    _ = i18n.translations(language).gettext

    def at(iso: str) -> datetime:
        return datetime.fromisoformat(iso).astimezone(zone)

    cal = icalendar.Calendar()
    cal.add("prodid", "-//Tavolo//Matchmaking agenda//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", _("%(title)s — meetings") % {"title": title} if title else _("Meetings"))
    for item in agenda:
        slot = slots[item["slot"]] if item["slot"] is not None and item["slot"] < len(slots) else None
        if slot is None:
            continue
        other = item["with"]
        event = icalendar.Event()
        event.add("uid", f"{uid}-{item['id']}@tavolo")
        event.add("dtstamp", datetime.fromisoformat(slot["start"]).astimezone(UTC))  # DTSTAMP is always UTC
        event.add("dtstart", at(slot["start"]))
        event.add("dtend", at(slot["end"]))
        who = ", ".join(x for x in (other["name"], other["organisation"]) if x)
        event.add("summary", _("Meeting: %(who)s") % {"who": who})
        event.add("location", ", ".join(x for x in (_("Table %(n)s") % {"n": item["table"]}, venue) if x))
        if item.get("note"):
            event.add("description", item["note"])
        cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


async def agenda(request: Request) -> Response:
    services = _services(request)
    workshop_id, actor = _actor(request, services)
    pid = _who(request, actor)
    model = services.hub.models[workshop_id]
    if pid not in model.participants:
        raise ApiError("unknown_participant", "no such participant in this workshop", 404)
    match = services.hub.matchmaking.models.get(workshop_id)
    mine = mm.participant_view(match, model, pid)
    if match is None or mine is None or not match.published:
        raise ApiError("not_scheduled", "the schedule has not been published yet", 409)
    # The language its pages would speak to this participant: ?lang=, the lang cookie, their own, the workshop's.
    language = i18n.pick_language(request, i18n.normalise(model.participants[pid].language) or model.language)
    body = agenda_ics(model.title, model.venue, mine["agenda"], match.slots, f"{workshop_id}-{pid}", model.timezone,
                      language)  # fmt: skip
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="tavolo-meetings.ics"'})  # fmt: skip


COLUMNS = ["meeting", "slot", "start", "end", "table", "requester", "requester_organisation", "recipient",
           "recipient_organisation", "status", "attendance", "outcome", "outcome_text", "note"]  # fmt: skip


async def meetings_csv(request: Request) -> Response:
    services = _services(request)
    workshop_id, actor = _actor(request, services)
    if actor.role != FACILITATOR:
        raise ApiError("forbidden", f"a {actor.role} may not export the meetings")
    model = services.hub.models[workshop_id]
    match = services.hub.matchmaking.models.get(workshop_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header(COLUMNS, i18n.normalise(request.query_params.get("lang"))))  # ids, or names in ?lang=
    rows = sorted((match.meetings.values() if match else []),
                  key=lambda r: (r.slot is None, r.slot or 0, r.table or 0, r.id))  # fmt: skip
    for r in rows:
        slot = match.slots[r.slot] if match and r.slot is not None and r.slot < len(match.slots) else {}
        a, b = model.participants.get(r.requester), model.participants.get(r.recipient)
        writer.writerow([csv_cell(v) for v in (
            r.id, "" if r.slot is None else r.slot + 1, local_iso(slot.get("start", ""), model.timezone),
            local_iso(slot.get("end", ""), model.timezone),
            "" if r.table is None else r.table + 1, a.name if a else "", a.organisation if a else "",
            b.name if b else "", b.organisation if b else "", r.status, r.attendance,
            OUTCOME_LABELS.get(r.outcome, r.outcome), r.outcome_text, r.note,
        )])  # fmt: skip
    return Response(
        out.getvalue(), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="tavolo-meetings.csv"'},
    )  # fmt: skip


routes = [
    Route("/api/workshops/{workshop_id}/matchmaking/catalogue", catalogue, methods=["GET"]),
    Route("/api/workshops/{workshop_id}/matchmaking/suggestions", suggestions, methods=["GET"]),
    Route("/api/workshops/{workshop_id}/matchmaking/agenda.ics", agenda, methods=["GET"]),
    Route("/api/workshops/{workshop_id}/matchmaking/meetings.csv", meetings_csv, methods=["GET"]),
]
