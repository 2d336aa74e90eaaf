"""Poll tallies: a deterministic fold of one poll's events into its results, turnout and breakdowns.

``apply(tally, event, position)`` is the fold (no I/O, no clock: times come from events); ``results_view``
and ``breakdown_view`` render JSON-ready views; ``to_csv`` exports the results. A voter's new ballot takes
their previous one out of the running totals before it is added, so applying an event costs the same at the
first ballot and at the two-thousandth, and turnout is the number of distinct voters. Breakdowns, once asked
for, are kept the same way: the ballots replaced since the last breakdown are applied to its cells, so a dashboard
re-rendered every 100 ms during a vote storm does not recount every ballot per dimension each time.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
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
    translations: dict[str, dict[str, Any]] = field(default_factory=dict)  # language -> the poll's text in it
    created_at: str = ""
    opened_at: str = ""
    closed_at: str = ""
    eligible: int | None = None  # who could vote, fixed when the poll closed (None: open, or not recorded)
    reopened: int = 0  # times reopened: the server's timer names its close by it (server/services.py)
    ballots: dict[str, Ballot] = field(default_factory=dict)  # participant id (named) or voter tag (secret)
    counts: dict[str, Count] = field(default_factory=dict)  # question id -> running totals
    position: int = 0
    # Breakdown cells per dimension asked for, and the (old, new) ballots not applied to them yet: a cache of
    # what ``breakdown_view`` would count from ``ballots``, not part of the tally's state.
    cells: dict[str, Cells] = field(default_factory=dict, repr=False, compare=False)
    pending: list[tuple[Ballot | None, Ballot]] = field(default_factory=list, repr=False, compare=False)


@dataclass
class Cells:
    """One breakdown dimension's running totals: voters and counts per value ("" = other)."""

    voters: Counter[str] = field(default_factory=Counter)
    counts: dict[str, dict[str, Count]] = field(default_factory=dict)

    def add(self, questions: tuple[Question, ...], value: str, ballot: Ballot, sign: int) -> None:
        counts = self.counts.get(value)
        if counts is None:
            counts = self.counts[value] = {q.id: count_for(q) for q in questions}
        for question_id, answer in ballot.answers.items():
            if question_id in counts:
                counts[question_id].add(answer, sign)
        self.voters[value] += sign
        if not self.voters[value]:
            del self.voters[value], self.counts[value]


def _settings(t: Tally, e: Poll.Created | Poll.Edited) -> None:
    t.title, t.kind, t.secret, t.breakdown = e.title, e.kind, e.secret, e.breakdown
    t.questions = tuple(Question.from_dict(q) for q in e.questions)
    t.closes_at, t.groups, t.agenda_item_id = e.closes_at, tuple(e.groups), e.agenda_item_id
    t.counts = {q.id: count_for(q) for q in t.questions}  # a draft: no ballots yet
    t.cells, t.pending = {}, []


def _created(t: Tally, e: Poll.Created) -> None:
    t.workshop_id, t.visibility, t.created_at = e.workshop_id, e.visibility, e.timestamp.isoformat()
    _settings(t, e)


def _translated(t: Tally, e: Poll.Translated) -> None:
    t.translations = dict(e.translations)


def _opened(t: Tally, e: Poll.Opened) -> None:
    t.state, t.opened_at, t.closes_at = "open", e.timestamp.isoformat(), e.closes_at


def _closed(t: Tally, e: Poll.Closed) -> None:
    t.state, t.closed_at = "closed", e.timestamp.isoformat()
    t.eligible = e.eligible if e.eligible >= 0 else None


def _reopened(t: Tally, e: Poll.Reopened) -> None:
    t.state, t.closed_at, t.closes_at, t.eligible = "open", "", e.closes_at, None
    t.reopened += 1


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
    if t.cells:  # only once a breakdown was asked for: a replay pays nothing
        t.pending.append((old, ballot))
        if len(t.pending) > len(t.ballots):  # cheaper to recount when next asked
            t.cells, t.pending = {}, []


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
    Poll.Reopened: _reopened,
    Poll.VisibilityChanged: _visibility,
    Poll.DeadlineChanged: _deadline,
    Poll.BallotCast: _ballot,
    Poll.SecretBallotCast: _secret_ballot,
    Poll.Translated: _translated,
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
        # The facilitator's text in other languages: each phone shows its participant's, the projector two.
        "translations": t.translations,
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

    ``present_count`` is who can vote now (present in the room, or in the poll's groups); a closed poll counts
    against who could vote when it closed instead. Turnout counts distinct voters; its percent is capped at 100
    (people who voted and then left still count as voted)."""
    voted = len(tally.ballots)
    if tally.state == "closed" and tally.eligible is not None:
        present_count = tally.eligible
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
    found = _cells(tally, by)
    threshold = BREAKDOWN_THRESHOLD if tally.secret else 1
    kept = kept_cells(found.voters, threshold)
    cells = {value: (n, found.counts[value]) for value, n in found.voters.items() if value in kept}
    others = sum(n for value, n in found.voters.items() if value not in kept)
    if others and others == found.voters[""]:  # only ballots without a value: their cell is "other" as it is
        cells[""] = (others, found.counts[""])
    elif others:
        merged = Cells()  # values too small to stand alone (secret polls): counted together from their ballots
        for ballot in tally.ballots.values():
            if ballot.attributes.get(by, "") not in kept:
                merged.add(tally.questions, "", ballot, 1)
        cells[""] = (others, merged.counts[""])
    rows = [
        {
            "value": value or None,
            "other": not value,
            "voters": n,
            "results": _results(tally.questions, counts, max_answers),
        }
        for value, (n, counts) in sorted(cells.items(), key=lambda vc: (not vc[0], -vc[1][0], vc[0]))
    ]
    return {"by": by, "threshold": threshold if tally.secret else 0, "cells": rows}


def _cells(tally: Tally, by: str) -> Cells:
    """The cells of ``by``, brought up to date with the ballots replaced since they were last asked for."""
    for old, new in tally.pending:
        for dimension, cells in tally.cells.items():
            if old is not None:
                cells.add(tally.questions, old.attributes.get(dimension, ""), old, -1)
            cells.add(tally.questions, new.attributes.get(dimension, ""), new, 1)
    tally.pending.clear()
    found = tally.cells.get(by)
    if found is None:
        found = tally.cells[by] = Cells()
        for ballot in tally.ballots.values():
            found.add(tally.questions, ballot.attributes.get(by, ""), ballot, 1)
    return found


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
