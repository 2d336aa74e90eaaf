"""Views of group work, rendered from the groups model (projections/groups.py) and the workshop's (for names and
profiles): JSON-ready dicts, deterministic, no I/O.

- ``facilitator_view``: the current split (every group's members with country and organisation, the balance
  figures, who was placed or moved since), the split history, and per question set every group's answers side
  by side per question and which groups have answered.
- ``participant_view``: one's own group (its present members: who left or was removed is not shown) and own
  sheets; other groups' sheets only while the facilitator shows them (``visibility`` all) -- otherwise they are
  not in the view at all.
- ``report_back_view``: the projector's walk through the groups (``report_back_order``): only the group shown, and
  only what the screen shows of it; nothing while no group is shown.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from projections.groups import (
    ContributionRow,
    GroupRow,
    GroupsModel,
    QuestionSetRow,
    SplitRow,
    held_labels,
    shown_label,
)
from projections.workshop import WorkshopModel


def _person(w: WorkshopModel, participant_id: str) -> dict[str, Any]:
    p = w.participants.get(participant_id)
    if p is None:
        return {"id": participant_id, "name": "", "country": "", "organisation": "", "sector": "", "present": False}
    fields = {"name": p.name, "country": p.country, "organisation": p.organisation, "sector": p.sector}
    return {"id": p.id, **fields, "present": p.status == "present"}


def _groups(split: SplitRow) -> list[GroupRow]:
    return sorted(split.groups.values(), key=lambda g: g.number)


def _held(w: WorkshopModel, split: SplitRow) -> frozenset[str] | None:
    return held_labels(split.strategy, w.participants.values())


def _title(split: SplitRow, g: GroupRow, held: frozenset[str] | None) -> str:
    """The group's name, else its value (numbered when a value has several groups), else "" (the UI numbers it)."""
    label = shown_label(g, held)
    if g.name or not label:
        return g.name
    same = [x.number for x in _groups(split) if x.label == g.label]
    return label if len(same) == 1 else f"{label} {same.index(g.number) + 1}"


def group_view(w: WorkshopModel, split: SplitRow, g: GroupRow, held: frozenset[str] | None = None) -> dict[str, Any]:
    """One group; ``held`` is ``_held(w, split)`` when the caller has it already (one pass over the roster)."""
    held = _held(w, split) if held is None else held
    return {
        "id": g.id,
        "number": g.number,
        "title": _title(split, g, held),
        "name": g.name,
        "label": shown_label(g, held),
        "table": g.table,
        "rapporteur": _person(w, g.rapporteur) if g.rapporteur else None,
        "members": [_person(w, m) for m in g.members],
    }


def split_view(w: WorkshopModel, split: SplitRow) -> dict[str, Any]:
    unplaced = [p.id for p in w.participants.values() if p.status == "present" and p.id not in split.member_of]
    held = _held(w, split)
    return {
        "id": str(split.id),
        "number": split.number,
        "strategy": split.strategy,
        "seed": split.seed,
        "requested": dict(split.requested),
        "created_at": split.created_at,
        "superseded": split.superseded,
        "quality": split.quality,
        "groups": [group_view(w, split, g, held) for g in _groups(split)],
        "unplaced": [_person(w, p) for p in unplaced],
        "placements": [{**p, "name": _person(w, p["participant_id"])["name"]} for p in split.placements],
    }


def _contribution(w: WorkshopModel, c: ContributionRow) -> dict[str, Any]:
    return {
        "id": c.id,
        "text": c.text,
        "tags": list(c.tags),
        "version": c.version,
        "author": c.author,
        "author_name": _person(w, c.author)["name"] if c.author else "",
        "edited": c.version > 1,
    }


def _answers(m: GroupsModel, w: WorkshopModel, qs: QuestionSetRow, group_id: str) -> dict[str, Any]:
    sheet = m.sheet(qs.id, group_id)
    live = sorted(
        (c for c in (sheet.contributions.values() if sheet else ()) if not c.removed), key=lambda c: int(c.id[1:])
    )
    return {
        "group_id": group_id,
        "answered": bool(live),
        "final": bool(sheet and sheet.final),
        "locked": qs.locked_all or group_id in qs.locked,
        "answers": {q["id"]: [_contribution(w, c) for c in live if c.question_id == q["id"]] for q in qs.questions},
    }


def _posed(m: GroupsModel, qs: QuestionSetRow) -> list[GroupRow]:
    return [g for g in _groups(m.splits[qs.split_id]) if not qs.groups or g.id in qs.groups]


def timed(questions: list[dict[str, Any]], posed_at: str) -> list[dict[str, Any]]:
    """The questions with their time boxes laid end to end, in order: the first starts when the set was posed,
    each next one when the one before ends ("10 minutes per question" for two questions is 20 minutes, not two
    boxes ending together). A question without a time box has ``starts_at`` and ``ends_at`` "" and takes no time."""
    at = datetime.fromisoformat(posed_at)
    out = []
    for q in questions:
        if q["time_box_min"]:
            start, at = at, at + timedelta(minutes=q["time_box_min"])
            out.append({**q, "starts_at": start.isoformat(), "ends_at": at.isoformat()})
        else:
            out.append({**q, "starts_at": "", "ends_at": ""})
    return out


def question_set_view(qs: QuestionSetRow) -> dict[str, Any]:
    """The questions as everyone sees them, each time box after the one before (``timed``)."""
    return {
        "id": str(qs.id),
        "split_id": str(qs.split_id),
        "title": qs.title,
        "posed_at": qs.posed_at,
        "questions": timed(qs.questions, qs.posed_at),
        "groups": list(qs.groups),
        "categories": list(qs.categories),
        "visibility": qs.visibility,
        "report_back": qs.report_back,
    }


def _current_sets(m: GroupsModel) -> list[QuestionSetRow]:
    return [qs for qs in m.question_sets.values() if qs.split_id == m.current]


def facilitator_view(m: GroupsModel, w: WorkshopModel) -> dict[str, Any]:
    split = m.splits.get(m.current) if m.current else None
    sets = []
    for qs in _current_sets(m):
        groups = _posed(m, qs)
        sheets = [_answers(m, w, qs, g.id) for g in groups]
        posed_in = m.splits[qs.split_id]
        held = _held(w, posed_in)
        titles = {g.id: _title(posed_in, g, held) for g in groups}
        sets.append(
            {
                **question_set_view(qs),
                "locked": {"all": qs.locked_all, "groups": list(qs.locked)},
                "status": [
                    {k: s[k] for k in ("group_id", "answered", "final", "locked")}
                    | {"title": titles[s["group_id"]], "contributions": sum(map(len, s["answers"].values()))}
                    for s in sheets
                ],
                "answers": [
                    {
                        "question_id": q["id"],
                        "prompt": q["prompt"],
                        "groups": [
                            {
                                "group_id": s["group_id"],
                                "title": titles[s["group_id"]],
                                "contributions": s["answers"][q["id"]],
                            }
                            for s in sheets
                        ],
                    }
                    for q in qs.questions
                ],
            }
        )
    history = [
        {
            "id": str(s.id),
            "number": s.number,
            "strategy": s.strategy,
            "created_at": s.created_at,
            "superseded": s.superseded,
        }
        for s in m.splits.values()
    ]
    return {
        "split": split_view(w, split) if split else None,
        "history": history,
        "question_sets": sets,
        "position": m.position,
    }


def participant_view(m: GroupsModel, w: WorkshopModel, participant_id: str) -> dict[str, Any]:
    split = m.splits.get(m.current) if m.current else None
    group_id = split.member_of.get(participant_id) if split else None
    if split is None or group_id is None:
        return {
            "split_id": str(split.id) if split else None,
            "group": None,
            "question_sets": [],
            "position": m.position,
        }
    sets = []
    held = _held(w, split)
    for qs in _current_sets(m):
        if qs.groups and group_id not in qs.groups:
            continue
        others = None
        if qs.visibility == "all":
            others = [
                {**_answers(m, w, qs, g.id), "title": _title(split, g, held)} for g in _posed(m, qs) if g.id != group_id
            ]
        sets.append({**question_set_view(qs), "sheet": _answers(m, w, qs, group_id), "others": others})
    return {
        "split_id": str(split.id),
        "group": _present_only(group_view(w, split, split.groups[group_id], held)),
        "question_sets": sets,
        "position": m.position,
    }


def _present_only(group: dict[str, Any]) -> dict[str, Any]:
    """A group as its members' phones see it: who left or was removed stays a member of record (their answers
    remain the group's, the dashboard marks them away) but is no longer shown as part of the group, nor as its
    rapporteur."""
    rapporteur = group["rapporteur"]
    return {
        **group,
        "members": [p for p in group["members"] if p["present"]],
        "rapporteur": rapporteur if rapporteur and rapporteur["present"] else None,
    }


def report_back_order(m: GroupsModel, question_set_id: UUID) -> list[str]:
    """The order groups report back in: by table number (groups without one last), then by group number."""
    groups = _posed(m, m.question_sets[question_set_id])
    return [g.id for g in sorted(groups, key=lambda g: (g.table == 0, g.table, g.number))]


def _on_screen(w: WorkshopModel, m: GroupsModel, qs: QuestionSetRow, g: GroupRow) -> dict[str, Any]:
    """The group being reported back, as the projector shows it: its title and table, its members by name and
    country (the rapporteur marked), and its answers' text and tags; no authors, organisations or sectors."""
    split = m.splits[qs.split_id]

    def shown(pid: str) -> dict[str, Any]:
        person = _person(w, pid)
        return {"id": pid, "name": person["name"], "country": person["country"]}

    def present(pid: str) -> bool:
        return bool(_person(w, pid)["present"])

    sheet = _answers(m, w, qs, g.id)["answers"]
    # Only who is still here is named to the room: someone who left or was removed is no longer of the group.
    return {
        "id": g.id, "number": g.number, "title": _title(split, g, _held(w, split)), "table": g.table,
        "rapporteur": shown(g.rapporteur) if g.rapporteur and present(g.rapporteur) else None,
        "members": [shown(pid) for pid in g.members if present(pid)],
        "answers": {q: [{"id": c["id"], "text": c["text"], "tags": c["tags"]} for c in cs] for q, cs in sheet.items()},
    }  # fmt: skip


def report_back_view(m: GroupsModel, w: WorkshopModel, question_set_id: UUID | None = None) -> dict[str, Any] | None:
    """The projector's report-back: while the facilitator shows a group of a question set (default: the latest
    set of the current split being reported on), the questions, the report-back order, and that one group
    (``_on_screen``); None while nothing is being reported back. Other groups' sheets never reach the projector."""
    if question_set_id is None:
        showing = [qs for qs in _current_sets(m) if qs.report_back]
        if not showing:
            return None
        question_set_id = showing[-1].id
    qs = m.question_sets[question_set_id]
    split = m.splits[qs.split_id]
    group = split.groups.get(qs.report_back) if qs.report_back else None
    if group is None:
        return None
    questions = question_set_view(qs)
    return {
        "question_set": {k: questions[k] for k in ("id", "title", "questions", "categories")},
        "order": report_back_order(m, qs.id),
        "showing": qs.report_back,
        "groups": [_on_screen(w, m, qs, group)],
        "position": m.position,
    }
