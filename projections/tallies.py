"""Poll tallies: a deterministic fold of one poll's events into its results, turnout and breakdowns.

``apply(tally, event, position)`` is the fold (no I/O, no clock: times come from events); ``results_view``
and ``breakdown_view`` render JSON-ready views; ``to_csv`` exports the results. A voter's new ballot takes
their previous one out of the running totals before it is added, so applying an event costs the same at the
first ballot and at the two-thousandth, and turnout is the number of distinct voters.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from domain.poll_kinds import Question
from domain.polls import NAMED_BREAKDOWNS, Poll
from domain.secret import BREAKDOWN_THRESHOLD, kept_cells
from projections.tally_kinds import Count, count_for

MAX_ANSWERS = 200  # open-text answers listed in a view (the CSV has them all)
COLUMNS = (
    "poll_id",
    "poll",
    "question_id",
    "question",
    "kind",
    "row",
    "item_id",
    "item",
    "source",
    "count",
    "percent",
    "points",
    "first_places",
    "rank",
    "respondents",
    "mean",
    "median",
    "nps",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Ballot:
    answers: dict[str, Any]
    attributes: dict[str, str]  # breakdown dimension -> value ("" = other); never an identity


@dataclass
class Tally:
    poll_id: UUID
    workshop_id: UUID | None = None
    title: str = ""
    kind: str = ""
    questions: tuple[Question, ...] = ()
    secret: bool = False
    breakdown: str = ""
    visibility: str = "hidden"
    state: str = "draft"
    closes_at: str = ""
    groups: tuple[str, ...] = ()
    agenda_item_id: str = ""
    created_at: str = ""
    opened_at: str = ""
    closed_at: str = ""
    ballots: dict[str, Ballot] = field(default_factory=dict)  # participant id (named) or voter tag (secret)
    counts: dict[str, Count] = field(default_factory=dict)  # question id -> running totals
    position: int = 0


def _settings(t: Tally, e: Poll.Created | Poll.Edited) -> None:
    t.title, t.kind, t.secret, t.breakdown = e.title, e.kind, e.secret, e.breakdown
    t.questions = tuple(Question.from_dict(q) for q in e.questions)
    t.closes_at, t.groups, t.agenda_item_id = e.closes_at, tuple(e.groups), e.agenda_item_id
    t.counts = {q.id: count_for(q) for q in t.questions}  # a draft: no ballots yet


def _created(t: Tally, e: Poll.Created) -> None:
    t.workshop_id, t.visibility, t.created_at = e.workshop_id, e.visibility, e.timestamp.isoformat()
    _settings(t, e)


def _opened(t: Tally, e: Poll.Opened) -> None:
    t.state, t.opened_at, t.closes_at = "open", e.timestamp.isoformat(), e.closes_at


def _closed(t: Tally, e: Poll.Closed) -> None:
    t.state, t.closed_at = "closed", e.timestamp.isoformat()


def _visibility(t: Tally, e: Poll.VisibilityChanged) -> None:
    t.visibility = e.visibility


def _deadline(t: Tally, e: Poll.DeadlineChanged) -> None:
    t.closes_at = e.closes_at


def _count(t: Tally, voter: str, ballot: Ballot) -> None:
    old = t.ballots.get(voter)
    for b, sign in ((old, -1), (ballot, 1)):
        for question_id, answer in b.answers.items() if b else ():
            if question_id in t.counts:
                t.counts[question_id].add(answer, sign)
    t.ballots[voter] = ballot


def _ballot(t: Tally, e: Poll.BallotCast) -> None:
    attributes = {
        "country": e.country, "sector": e.sector, "organisation": e.organisation,
        "organisation_type": e.organisation_type,
    }  # fmt: skip
    _count(t, e.participant_id, Ballot(dict(e.answers), attributes))


def _secret_ballot(t: Tally, e: Poll.SecretBallotCast) -> None:
    _count(t, e.voter_tag, Ballot(dict(e.answers), {t.breakdown: e.cell} if t.breakdown else {}))


HANDLERS: dict[type, Any] = {
    Poll.Created: _created,
    Poll.Edited: _settings,
    Poll.Opened: _opened,
    Poll.Closed: _closed,
    Poll.VisibilityChanged: _visibility,
    Poll.DeadlineChanged: _deadline,
    Poll.BallotCast: _ballot,
    Poll.SecretBallotCast: _secret_ballot,
    Poll.CommandNoted: lambda tally, event: None,  # changes nothing: it only keeps a retry a retry
}


def apply(tally: Tally, event: Any, position: int) -> Tally:
    """Fold one event (recorded at ``position``) into the tally. Events of other aggregates are ignored."""
    handler = HANDLERS.get(type(event))
    if handler is not None and event.originator_id == tally.poll_id:
        handler(tally, event)
    tally.position = max(tally.position, position)
    return tally


def fold(poll_id: UUID, events: Iterable[tuple[int, Any]]) -> Tally:
    """Build a poll's tally from a whole stream of ``(position, event)`` at once."""
    tally = Tally(poll_id)
    for position, event in events:
        apply(tally, event, position)
    return tally


def apply_any(tallies: dict[UUID, Tally], event: Any, position: int) -> Tally | None:
    """Fold any event into the tally of its poll (made at the poll's creation); None for non-poll events."""
    if not isinstance(event, Poll.Event):
        return None
    tally = tallies.get(event.originator_id)
    if tally is None:
        if not isinstance(event, Poll.Created):
            return None
        tally = tallies[event.originator_id] = Tally(event.originator_id)
    return apply(tally, event, position)


def poll_view(t: Tally) -> dict[str, Any]:
    """The poll as a ballot form needs it."""
    return {
        "id": str(t.poll_id),
        "title": t.title,
        "kind": t.kind,
        "state": t.state,
        "visibility": t.visibility,
        "secret": t.secret,
        "breakdown": t.breakdown,
        "closes_at": t.closes_at,
        "opened_at": t.opened_at,
        "closed_at": t.closed_at,
        "groups": list(t.groups),
        "agenda_item_id": t.agenda_item_id,
        "questions": [q.to_dict() for q in t.questions],
    }


def _results(questions: tuple[Question, ...], counts: dict[str, Count], max_answers: int) -> list[dict[str, Any]]:
    return [
        {
            "question_id": q.id,
            "kind": q.kind,
            "prompt": q.prompt,
            "respondents": counts[q.id].respondents,
            **counts[q.id].result(max_answers),
        }
        for q in questions
    ]


def results_view(tally: Tally, present_count: int, reveal: bool, *, max_answers: int = MAX_ANSWERS) -> dict[str, Any]:
    """The poll, its turnout and -- if ``reveal`` (the facilitator, or results shown) -- its results.

    ``present_count`` is who could vote (present in the room, or in the poll's groups). Turnout counts
    distinct voters; its percent is capped at 100 (people who voted and then left still count as voted)."""
    voted = len(tally.ballots)
    return {
        "poll": poll_view(tally),
        "turnout": {
            "voted": voted,
            "present": present_count,
            "percent": min(100.0, round(100 * voted / present_count, 1)) if present_count else 0.0,
        },
        "revealed": reveal,
        "results": _results(tally.questions, tally.counts, max_answers) if reveal else None,
        "position": tally.position,
    }


def breakdown_dimensions(tally: Tally) -> tuple[str, ...]:
    """What this poll's results may be broken down by: anything for a named poll, at most the one coarse
    attribute the facilitator allowed for a secret poll."""
    if tally.secret:
        return (tally.breakdown,) if tally.breakdown else ()
    return NAMED_BREAKDOWNS


def breakdown_view(tally: Tally, by: str, *, max_answers: int = MAX_ANSWERS) -> dict[str, Any] | None:
    """Results per value of ``by`` (country, sector, organisation), or None if this poll may not be broken
    down by it. In a secret poll, cells of fewer than BREAKDOWN_THRESHOLD voters merge into "other" (which,
    if not empty, holds at least as many); the values were already coarsened when the ballots were cast."""
    if by not in breakdown_dimensions(tally):
        return None
    voters: dict[str, list[Ballot]] = {}
    for ballot in tally.ballots.values():
        voters.setdefault(ballot.attributes.get(by, ""), []).append(ballot)
    threshold = BREAKDOWN_THRESHOLD if tally.secret else 1
    kept = kept_cells({v: len(b) for v, b in voters.items()}, threshold)
    cells: dict[str, list[Ballot]] = {}
    for value, ballots in voters.items():
        cells.setdefault(value if value in kept else "", []).extend(ballots)
    rows = []
    for value, ballots in sorted(cells.items(), key=lambda vb: (not vb[0], -len(vb[1]), vb[0])):
        counts = {q.id: count_for(q) for q in tally.questions}
        for ballot in ballots:
            for question_id, answer in ballot.answers.items():
                if question_id in counts:
                    counts[question_id].add(answer, 1)
        rows.append(
            {
                "value": value or None,
                "other": not value,
                "voters": len(ballots),
                "results": _results(tally.questions, counts, max_answers),
            }
        )
    return {"by": by, "threshold": threshold if tally.secret else 0, "cells": rows}


def own_ballot(tally: Tally, voter: str) -> dict[str, Any] | None:
    """One voter's answers (by participant id, or by the voter tag the server computes while it is open)."""
    ballot = tally.ballots.get(voter)
    return None if ballot is None else {k: v for k, v in ballot.answers.items()}


def csv_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text: one starting like a formula gets an apostrophe first."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_START) else value
    return str(value)


def to_csv(tally: Tally) -> str:
    """Every question's results, one row per option, scale value, word or answer, after a summary row per
    question (RFC 4180 quoting, CRLF line ends). Text cells are escaped against formula injection."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for q in tally.questions:
        count = tally.counts[q.id]
        summary: dict[str, Any] = {"row": "summary", "respondents": count.respondents}
        result = count.result(0)
        if q.kind == "scale":
            nps = result.get("nps") or {}
            summary.update(mean=result["mean"], median=result["median"], nps=nps.get("score"))
        if q.kind == "dots":
            summary["count"] = result["dots_total"]
        base = {
            "poll_id": str(tally.poll_id),
            "poll": tally.title,
            "question_id": q.id,
            "question": q.prompt,
            "kind": q.kind,
        }
        for row in [summary, *count.rows()]:
            merged = {**base, **row}
            writer.writerow([csv_cell(merged.get(column)) for column in COLUMNS])
    return out.getvalue()
