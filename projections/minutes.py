"""The minutes of a workshop: a pure, deterministic function of its read model (``minutes(read) -> Minutes``).

The read model is what the live hub folds (projections/workshop.py, tallies.py, groups.py, notes.py): the same
code serves live views, replay and the minutes. Nothing here reads a clock or a position: every time shown comes
from an event's recorded timestamp, and every list has a total order, so the same event stream gives the same
minutes on any store (notification ids differ between stores; timestamps and orders do not).

Each capability contributes its sections through one function over the read model, listed in ``SECTIONS``. A
section lands in the agenda item it names (``item_id``) or, failing that, the item that was running at its time
(``at``); otherwise under "Outside the agenda". To add a capability: write ``its_sections(read) -> list[Section]``
with a new ``kind``, append it to ``SECTIONS``, put its read model in ``ReadModel.extra`` (server/archive.py:
``read_model``; rotations and matchmaking are there as ``"rotations"`` and ``"matchmaking"``), and add a renderer
for the kind to projections/minutes_md.py (``RENDERERS``), web/templates/minutes.html and server/minutes_pdf.py.

Privacy: a person is shown by ``shown_name`` (which hides those who asked to be anonymous); secret ballots are
counted, never attributed; the minutes never list who voted in any poll.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from gettext import NullTranslations
from typing import Any

from domain.matchmaking import OUTCOMES
from projections.clock import local_iso, zone_label
from projections.groups import GroupRow, GroupsModel, QuestionSetRow, SplitRow, held_labels, shown_label
from projections.matchmaking import MatchModel, counts
from projections.minutes_prose import Translator, opening
from projections.notes import NoteRow, NotesModel
from projections.rotations import RotationRow, RotationsModel, statistics
from projections.tallies import Tally, results_view
from projections.workshop import ItemRow, ParticipantRow, WorkshopModel

ANONYMOUS_NAME = "Anonymous participant"
UNTAGGED = ""


@dataclass(frozen=True)
class ReadModel:
    """Everything the minutes are made from: one workshop's folds, as of ``as_of`` (the last event's time)."""

    workshop: WorkshopModel
    polls: Sequence[Tally] = ()
    groups: GroupsModel | None = None
    notes: NotesModel | None = None
    as_of: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)  # other capabilities' read models, by name


@dataclass(frozen=True)
class Note:
    id: str
    text: str
    at: str
    corrects: str


@dataclass(frozen=True)
class Section:
    """What happened in the workshop, of one ``kind`` (``poll``, ``groups``...): ``data`` is JSON-ready."""

    kind: str
    title: str
    at: str
    item_id: str
    data: dict[str, Any]


@dataclass(frozen=True)
class ItemMinutes:
    id: str
    number: int
    title: str
    kind: str
    planned_start: str
    duration_min: int
    status: str
    started_at: str
    finished_at: str
    sections: tuple[Section, ...] = ()
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True)
class Attendance:
    joined: int
    present: int
    left: int
    removed: int
    countries: tuple[tuple[str, int], ...]
    organisations: tuple[tuple[str, int], ...]
    sectors: tuple[tuple[str, int], ...]
    organisation_types: tuple[tuple[str, int], ...] = ()  # distinct organisations by type ("" = not said)


@dataclass(frozen=True)
class Minutes:
    title: str
    date: str
    venue: str
    language: str
    facilitators: tuple[str, ...]
    as_of: str
    attendance: Attendance
    items: tuple[ItemMinutes, ...]
    outside: tuple[Section, ...]  # what happened while no agenda item was running
    notes: tuple[Note, ...]  # notes on the whole workshop
    timezone: str = "UTC"  # every time above is the wall time in this zone (ISO with its offset)
    zone_label: str = "UTC"  # "Europe/Rome (CET/CEST)"
    opening: str = ""  # a factual paragraph in the minutes' language (projections/minutes_prose.py)


def shown_name(participant: ParticipantRow | None) -> str:
    """How the minutes name a person: their name, unless they asked to be anonymous (or are unknown)."""
    if participant is None or getattr(participant, "anonymous", False):
        return ANONYMOUS_NAME
    return participant.name


def _ranked(values: Iterable[str]) -> tuple[tuple[str, int], ...]:
    counts = Counter(values)
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def attendance(w: WorkshopModel) -> Attendance:
    """Everyone who joined and was not removed (those who left attended too), counted by attribute."""
    statuses = Counter(p.status for p in w.participants.values())
    attended = [p for p in w.participants.values() if p.status != "removed"]
    return Attendance(
        joined=len(w.participants),
        present=statuses["present"],
        left=statuses["left"],
        removed=statuses["removed"],
        countries=_ranked(p.country for p in attended),
        organisations=_organisations(attended),
        sectors=_ranked(p.sector for p in attended),
        organisation_types=_organisation_types(attended),
    )


def organisation_key(name: str) -> str:
    """The one rule for "the same organisation" (the Organisation table and the opening's count agree): its name
    without surrounding spaces, case-folded ("Cluster X" and "cluster x " are one)."""
    return name.strip().casefold()


def _organisations(people: Sequence[ParticipantRow]) -> tuple[tuple[str, int], ...]:
    """People per organisation (``organisation_key``), named as its first member to join wrote it."""
    shown: dict[str, str] = {}
    for p in sorted(people, key=lambda p: (p.joined_at, p.id)):
        shown.setdefault(organisation_key(p.organisation), p.organisation.strip())
    return _ranked(shown[organisation_key(p.organisation)] for p in people)


def _organisation_types(people: Sequence[ParticipantRow]) -> tuple[tuple[str, int], ...]:
    """Distinct organisations (``organisation_key``) counted by the type their first member gave."""
    types: dict[str, str] = {}
    for p in sorted(people, key=lambda p: (p.joined_at, p.id)):
        key = organisation_key(p.organisation)
        if key and (key not in types or not types[key]):
            types[key] = getattr(p, "organisation_type", "")
    return _ranked(types.values())


# Sections, one function per capability.


def _question_rows(result: dict[str, Any]) -> dict[str, Any]:
    """One question's results in one shape for every kind: rows of (label, value, percent) plus a summary."""
    kind = result["kind"]
    out: dict[str, Any] = {"kind": kind, "prompt": result["prompt"], "respondents": result["respondents"]}
    if kind in ("single", "multiple"):
        out["unit"] = "votes"
        out["rows"] = [[o["label"], o["count"], o["percent"]] for o in result["options"]]
    elif kind == "scale":
        out["unit"] = "answers"
        out["rows"] = [[str(d["value"]), d["count"], d["percent"]] for d in result["distribution"]]
        out["summary"] = {"mean": result["mean"], "median": result["median"]}
        if result.get("nps"):
            out["summary"]["nps"] = result["nps"]["score"]
    elif kind == "ranking":
        # Borda points rank the options; the percent is the share of respondents who put the option first.
        out["unit"] = "points"
        out["percent_of"] = "first_choice"
        n = result["respondents"] or 0
        out["rows"] = [
            [f"{o['rank']}. {o['label']}", o["points"], round(100 * o["first_places"] / n, 1) if n else 0.0]
            for o in result["options"]
        ]
    elif kind == "dots":
        out["unit"] = "dots"
        out["rows"] = [[i["label"], i["dots"], i["percent"]] for i in result["items"]]
    elif kind == "text":
        out["unit"] = "answers"
        out["rows"] = [[w, n, None] for w, n in result["words"][:20]]
        out["answers"] = list(result["answers"])
    return out


def _could_vote(read: ReadModel, t: Tally) -> int:
    """Who can vote as of the minutes: present participants, or the members of the poll's groups (a closed poll
    counts against who could vote when it closed instead: results_view)."""
    if t.groups and read.groups is not None and read.groups.current is not None:
        split = read.groups.splits[read.groups.current]
        return sum(len(split.groups[g].members) for g in t.groups if g in split.groups)
    return sum(1 for p in read.workshop.participants.values() if p.status == "present")


def poll_sections(read: ReadModel) -> list[Section]:
    """Every poll that was opened: its results with turnout; never who voted."""
    sections = []
    for t in sorted(read.polls, key=lambda t: (t.opened_at or t.created_at, str(t.poll_id))):
        if t.state == "draft":
            continue
        view = results_view(t, _could_vote(read, t), True, max_answers=10_000)
        data = {
            "poll_id": str(t.poll_id),
            "kind": t.kind,
            "secret": t.secret,
            "state": t.state,
            "opened_at": t.opened_at,
            "closed_at": t.closed_at,
            "turnout": view["turnout"],
            "questions": [_question_rows(r) for r in view["results"] or ()],
        }
        sections.append(Section("poll", t.title, t.opened_at, t.agenda_item_id, data))
    return sections


def _category_answers(qs: QuestionSetRow, contributions: list[Any], question_id: str) -> list[dict[str, Any]]:
    """A group's answers to one question, grouped by category (in the set's order; untagged last). An answer
    with several tags is listed once, under the first of them in the set's order, with all its tags."""
    live = [c for c in contributions if c.question_id == question_id and not c.removed]
    if not qs.categories:
        return [{"category": UNTAGGED, "answers": [_answer(qs, c) for c in live]}] if live else []
    order = {category: i for i, category in enumerate(qs.categories)}
    by_category: dict[str, list[dict[str, Any]]] = {}
    for c in live:
        known = sorted((t for t in c.tags if t in order), key=order.__getitem__)
        by_category.setdefault(known[0] if known else UNTAGGED, []).append(_answer(qs, c))
    return [
        {"category": category, "answers": by_category[category]}
        for category in (*qs.categories, UNTAGGED)
        if category in by_category
    ]


def _answer(qs: QuestionSetRow, c: Any) -> dict[str, Any]:
    order = {category: i for i, category in enumerate(qs.categories)}
    return {"text": c.text, "tags": sorted(c.tags, key=lambda t: (order.get(t, len(order)), t))}


def group_title(read: ReadModel, split: SplitRow, g: GroupRow) -> str:
    """The group's name, else its label while it may be shown (``projections/groups.py:shown_label``)."""
    return g.name or shown_label(g, held_labels(split.strategy, read.workshop.participants.values()))


def _split_data(read: ReadModel, split: SplitRow) -> dict[str, Any]:
    w = read.workshop
    groups = []
    for g in sorted(split.groups.values(), key=lambda g: g.number):
        groups.append(
            {
                "id": g.id,
                "number": g.number,
                "name": group_title(read, split, g),
                "table": g.table,
                "members": [shown_name(w.participants.get(m)) for m in g.members],
                "rapporteur": shown_name(w.participants.get(g.rapporteur)) if g.rapporteur else "",
            }
        )
    return {"split_id": str(split.id), "number": split.number, "strategy": split.strategy, "groups": groups}


def _question_set_data(read: ReadModel, qs: QuestionSetRow) -> dict[str, Any]:
    assert read.groups is not None
    split = read.groups.splits[qs.split_id]
    posed = [g for g in sorted(split.groups.values(), key=lambda g: g.number) if not qs.groups or g.id in qs.groups]
    questions = []
    for q in qs.questions:
        answers = []
        for g in posed:
            sheet = read.groups.sheet(qs.id, g.id)
            contributions = sorted(sheet.contributions.values(), key=lambda c: int(c.id[1:])) if sheet else []
            answers.append(
                {
                    "group": group_title(read, split, g) or f"Group {g.number}",
                    "final": bool(sheet and sheet.final),
                    "by_category": _category_answers(qs, contributions, q["id"]),
                }
            )
        questions.append({"id": q["id"], "prompt": q["prompt"], "groups": answers})
    return {"question_set_id": str(qs.id), "categories": list(qs.categories), "questions": questions}


def group_sections(read: ReadModel) -> list[Section]:
    """Every split (its groups and members) and every question set (each group's answers, by category)."""
    m = read.groups
    if m is None:
        return []
    sections = [
        Section("groups", f"Split {s.number}", s.created_at, "", _split_data(read, s))
        for s in sorted(m.splits.values(), key=lambda s: (s.created_at, s.number))
    ]
    for qs in sorted(m.question_sets.values(), key=lambda q: (q.posed_at, str(q.id))):
        sections.append(Section("questions", qs.title, qs.posed_at, "", _question_set_data(read, qs)))
    return sections


def _rotation_data(read: ReadModel, row: RotationRow) -> dict[str, Any]:
    people = read.workshop.participants
    return {
        "rotation_id": str(row.id),
        "table_size": row.table_size,
        "round_seconds": row.round_seconds,
        "state": row.state,
        "started_at": row.started_at,
        "finished_at": row.finished_at,
        "rounds_planned": len(row.rounds),
        **statistics(row),
        "replans": [
            {
                "from_round": r["from_round"],
                "reason": r["reason"],
                "who": shown_name(people.get(r["participant_id"])) if r["participant_id"] else "",
                "at": r["at"],
            }
            for r in row.replans
        ],
        "follow_ups": sum(len(s) for s in row.stars.values()),  # counted, never who starred whom
    }


def rotation_sections(read: ReadModel) -> list[Section]:
    """Every rotation planned: its settings, rounds planned and held, re-plans, and who met how many new people."""
    model: RotationsModel | None = read.extra.get("rotations")
    if model is None:
        return []
    rows = sorted(model.rotations.values(), key=lambda r: (r.created_at, str(r.id)))
    return [
        Section("rotation", row.title, row.started_at or row.created_at, row.agenda_item_id, _rotation_data(read, row))
        for row in rows
    ]


def matchmaking_sections(read: ReadModel) -> list[Section]:
    """B2B meetings: requests by status, scheduled, held and no-shows, and outcomes by kind with their texts (people
    named through ``shown_name``; requests' private notes left out)."""
    m: MatchModel | None = read.extra.get("matchmaking")
    if m is None or not (m.slots or m.meetings):
        return []
    people = read.workshop.participants
    held = [r for r in m.meetings.values() if r.outcome]
    by_kind = {kind: 0 for kind in OUTCOMES}
    for r in held:
        by_kind[r.outcome] = by_kind.get(r.outcome, 0) + 1
    texts = [
        {"outcome": r.outcome, "between": [shown_name(people.get(r.requester)), shown_name(people.get(r.recipient))],
         "text": r.outcome_text}
        for r in sorted(held, key=lambda r: (OUTCOMES.index(r.outcome) if r.outcome in OUTCOMES else len(OUTCOMES),
                                             r.slot if r.slot is not None else -1, r.id))
    ]  # fmt: skip
    firsts = sorted(r.requested_at for r in m.meetings.values())
    at = m.schedule.get("at") or (firsts[0] if firsts else "")
    data = {
        "slots": len(m.slots),
        "first_slot": m.slots[0]["start"] if m.slots else "",
        "last_slot": m.slots[-1]["end"] if m.slots else "",
        "tables": m.tables,
        "requires_acceptance": m.requires_acceptance,
        "published": m.published,
        "scheduled_at": m.schedule.get("at", ""),
        "counts": counts(m),
        "outcomes": [[kind, n] for kind, n in by_kind.items()],
        "outcome_texts": texts,
    }
    return [Section("matchmaking", "B2B meetings", at, "", data)]


SectionBuilder = Callable[[ReadModel], list[Section]]

# One function per capability (see the module docstring).
SECTIONS: list[SectionBuilder] = [poll_sections, group_sections, rotation_sections, matchmaking_sections]


# Placing sections and notes in the agenda.


def _running(items: Sequence[ItemRow], at: str) -> str:
    """The item that was running at ``at`` (started at or before it, not finished before it), or ""."""
    if not at:
        return ""
    for item in items:
        if item.started_at and item.started_at <= at and (not item.finished_at or at < item.finished_at):
            return item.id
    return ""


def _note(n: NoteRow, timezone: str) -> Note:
    return Note(n.id, n.text, local_iso(n.at, timezone), n.corrects)


# Keys of section data holding recorded instants (or slot times): shown as wall time in the workshop's zone.
TIME_KEYS = frozenset({"at", "opened_at", "closed_at", "started_at", "finished_at", "first_slot", "last_slot",
                       "scheduled_at"})  # fmt: skip


def _localised(value: Any, timezone: str) -> Any:
    if isinstance(value, dict):
        return {
            k: local_iso(v, timezone) if k in TIME_KEYS and isinstance(v, str) else _localised(v, timezone)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_localised(v, timezone) for v in value]
    return value


def _local_section(s: Section, timezone: str) -> Section:
    return Section(s.kind, s.title, local_iso(s.at, timezone), s.item_id, _localised(s.data, timezone))


def minutes(
    read: ReadModel,
    facilitators: Sequence[str] = (),
    translations: Translator | None = None,
    language: str | None = None,
) -> Minutes:
    """The minutes of the workshop as of its read model, every time in the workshop's zone, opening with a
    paragraph in the language of ``translations`` (gettext; English msgids without), whose CLDR locale is
    ``language`` (the workshop's without it)."""
    w = read.workshop
    tz = w.timezone or "UTC"
    known = {i.id for i in w.agenda}
    placed: dict[str, list[Section]] = {i.id: [] for i in w.agenda}
    outside: list[Section] = []
    for build in SECTIONS:
        for section in build(read):
            item_id = section.item_id if section.item_id in known else _running(w.agenda, section.at)
            (placed[item_id] if item_id else outside).append(section)
    notes_by_item: dict[str, list[Note]] = {i.id: [] for i in w.agenda}
    general: list[Note] = []
    for n in read.notes.notes if read.notes else ():
        (notes_by_item[n.item_id] if n.item_id in known else general).append(_note(n, tz))
    order = {kind: i for i, kind in enumerate(("groups", "questions", "poll", "rotation", "matchmaking"))}

    def ordered(sections: list[Section]) -> tuple[Section, ...]:
        ranked = sorted(sections, key=lambda s: (s.at, order.get(s.kind, len(order)), s.kind, s.title))
        return tuple(_local_section(s, tz) for s in ranked)

    items = tuple(
        ItemMinutes(
            id=i.id,
            number=number,
            title=i.title,
            kind=i.kind,
            planned_start=i.planned_start,
            duration_min=i.duration_min,
            status=i.status,
            started_at=local_iso(i.started_at or "", tz),
            finished_at=local_iso(i.finished_at or "", tz),
            sections=ordered(placed[i.id]),
            notes=tuple(notes_by_item[i.id]),
        )
        for number, i in enumerate(w.agenda, 1)
    )
    built = Minutes(
        title=w.title,
        date=w.date,
        venue=w.venue,
        language=language or w.language,
        facilitators=tuple(facilitators),
        as_of=local_iso(read.as_of, tz),
        attendance=attendance(w),
        items=items,
        outside=ordered(outside),
        notes=tuple(general),
        timezone=tz,
        zone_label=zone_label(tz, int(read.as_of[:4]) if read.as_of[:4].isdigit() else 2026),
    )
    return replace(built, opening=opening(built, translations or NullTranslations()))
