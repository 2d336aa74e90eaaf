"""Group work's read model: a deterministic fold of a workshop's splits, question sets and answer sheets, and the
views rendered from it (facilitator, participant, report-back).

``apply(model, event, position)`` folds one event (no I/O, no clock: times come from events' timestamps);
``apply_any(index, event, position)`` routes any event to its workshop's model. The views take the workshop's
read model too, for names and profiles: they are in projections/group_views.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from domain.answer_sheets import AnswerSheet, sheet_id_for
from domain.groups import GroupWork, QuestionSet, Split, group_work_id

PLACEMENTS_SHOWN = 20  # the latest late-joiner placements and moves on the dashboard


# Splits whose groups are labelled with a profile value that is personal data (an organisation, a role).
PERSONAL_SPLITS = ("by:organisation", "by:role")


def held_labels(strategy: str, participants: Iterable[Any]) -> frozenset[str] | None:
    """For a split by organisation or role: the values (casefolded) someone not erased still has; ``None`` for any
    other split (its labels are countries, sectors, languages: not personal)."""
    if strategy not in PERSONAL_SPLITS:
        return None
    field_name = strategy.removeprefix("by:")
    return frozenset(
        str(getattr(p, field_name, "")).strip().casefold() for p in participants if getattr(p, "status", "") != "erased"
    )


def shown_label(g: GroupRow, held: frozenset[str] | None) -> str:
    """The group's label, unless it is an organisation or role no one not erased has any more: the label was recorded
    in plain text when the split was made, and an erased participant's organisation must not come back through it
    (docs/privacy.md)."""
    return g.label if held is None or g.label.strip().casefold() in held else ""


@dataclass
class GroupRow:
    id: str
    number: int
    name: str
    label: str
    table: int
    members: list[str] = field(default_factory=list)
    rapporteur: str = ""


@dataclass
class SplitRow:
    id: UUID
    number: int
    strategy: str
    seed: int
    requested: dict[str, int]
    quality: dict[str, Any]
    created_at: str
    groups: dict[str, GroupRow] = field(default_factory=dict)
    member_of: dict[str, str] = field(default_factory=dict)
    placements: list[dict[str, str]] = field(default_factory=list)  # who went where after the split, and how
    superseded: bool = False


@dataclass
class QuestionSetRow:
    id: UUID
    split_id: UUID
    title: str
    questions: list[dict[str, Any]]
    groups: tuple[str, ...]
    categories: tuple[str, ...]
    visibility: str
    posed_at: str
    locked_all: bool = False
    locked: tuple[str, ...] = ()
    report_back: str = ""


@dataclass
class ContributionRow:
    id: str
    question_id: str
    author: str
    text: str
    tags: tuple[str, ...]
    version: int = 1
    editor: str = ""
    removed: bool = False


@dataclass
class SheetRow:
    question_set_id: UUID
    group_id: str
    contributions: dict[str, ContributionRow] = field(default_factory=dict)
    final: bool = False


@dataclass
class GroupsModel:
    workshop_id: UUID
    splits: dict[UUID, SplitRow] = field(default_factory=dict)
    current: UUID | None = None
    question_sets: dict[UUID, QuestionSetRow] = field(default_factory=dict)
    sheets: dict[UUID, SheetRow] = field(default_factory=dict)  # by sheet id
    position: int = 0

    def sheet(self, question_set_id: UUID, group_id: str) -> SheetRow | None:
        return self.sheets.get(sheet_id_for(question_set_id, group_id))


def _split_created(m: GroupsModel, e: Split.Created) -> None:
    row = SplitRow(
        e.originator_id, e.number, e.strategy, e.seed, dict(e.requested), dict(e.quality), e.timestamp.isoformat()
    )
    for g in e.groups:
        row.groups[g["id"]] = GroupRow(g["id"], g["number"], g["name"], g["label"], g["table"], list(g["members"]))
        row.member_of.update((p, g["id"]) for p in g["members"])
    m.splits[row.id] = row


def _place(m: GroupsModel, e: Split.ParticipantMoved | Split.ParticipantPlaced, group_id: str, how: str) -> None:
    split = m.splits[e.originator_id]
    old = split.member_of.get(e.participant_id)
    if old is not None:
        split.groups[old].members.remove(e.participant_id)
        if split.groups[old].rapporteur == e.participant_id:
            split.groups[old].rapporteur = ""
    split.groups[group_id].members.append(e.participant_id)
    split.member_of[e.participant_id], split.quality = group_id, dict(e.quality)
    at = e.timestamp.isoformat()
    split.placements = [
        *split.placements,
        {"participant_id": e.participant_id, "group_id": group_id, "how": how, "at": at},
    ][-PLACEMENTS_SHOWN:]


def _group(m: GroupsModel, e: Any) -> GroupRow:
    return m.splits[e.originator_id].groups[e.group_id]


def _set(attribute: str, value: Callable[[Any], Any]) -> Callable[[GroupsModel, Any], None]:
    return lambda m, e: setattr(_group(m, e), attribute, value(e))


def _question_set_created(m: GroupsModel, e: QuestionSet.Created) -> None:
    m.question_sets[e.originator_id] = QuestionSetRow(
        e.originator_id,
        e.split_id,
        e.title,
        [dict(q) for q in e.questions],
        tuple(e.groups),
        tuple(e.categories),
        e.visibility,
        e.timestamp.isoformat(),
    )


def _locked(m: GroupsModel, e: QuestionSet.LockChanged) -> None:
    qs = m.question_sets[e.originator_id]
    qs.locked_all, qs.locked = e.all_groups, tuple(e.groups)


def _added(m: GroupsModel, e: AnswerSheet.ContributionAdded) -> None:
    c = ContributionRow(e.contribution_id, e.question_id, e.author_id, e.text, tuple(e.tags))
    m.sheets[e.originator_id].contributions[c.id] = c


def _edited(m: GroupsModel, e: AnswerSheet.ContributionEdited) -> None:
    c = m.sheets[e.originator_id].contributions[e.contribution_id]
    c.text, c.tags, c.version, c.editor = e.text, tuple(e.tags), e.version, e.editor_id


def _removed(m: GroupsModel, e: AnswerSheet.ContributionRemoved) -> None:
    m.sheets[e.originator_id].contributions[e.contribution_id].removed = True


def _restored(m: GroupsModel, e: AnswerSheet.ContributionRestored) -> None:
    m.sheets[e.originator_id].contributions[e.contribution_id].removed = False


def _final(m: GroupsModel, e: AnswerSheet.FinalMarked) -> None:
    m.sheets[e.originator_id].final = e.final


def _nothing(m: GroupsModel, e: Any) -> None:
    """A noted no-op: it keeps a retry a retry and changes nothing."""


HANDLERS: dict[type, Callable[[GroupsModel, Any], None]] = {
    GroupWork.Created: _nothing,
    GroupWork.SplitMade: lambda m, e: setattr(m, "current", e.split_id),
    Split.Created: _split_created,
    Split.ParticipantMoved: lambda m, e: _place(m, e, e.to_group, "manual"),
    Split.ParticipantPlaced: lambda m, e: _place(m, e, e.group_id, "planner"),
    Split.GroupAdded: lambda m, e: m.splits[e.originator_id].groups.__setitem__(
        e.group_id, GroupRow(e.group_id, e.number, "", e.label, e.table)
    ),
    Split.GroupRenamed: _set("name", lambda e: e.name),
    Split.TableSet: _set("table", lambda e: e.table),
    Split.RapporteurChosen: _set("rapporteur", lambda e: e.participant_id),
    Split.Superseded: lambda m, e: setattr(m.splits[e.originator_id], "superseded", True),
    Split.CommandNoted: _nothing,
    QuestionSet.Created: _question_set_created,
    QuestionSet.VisibilityChanged: lambda m, e: setattr(m.question_sets[e.originator_id], "visibility", e.visibility),
    QuestionSet.LockChanged: _locked,
    QuestionSet.ReportBackMoved: lambda m, e: setattr(m.question_sets[e.originator_id], "report_back", e.group_id),
    QuestionSet.CommandNoted: _nothing,
    AnswerSheet.Created: lambda m, e: m.sheets.__setitem__(e.originator_id, SheetRow(e.question_set_id, e.group_id)),
    AnswerSheet.ContributionAdded: _added,
    AnswerSheet.ContributionEdited: _edited,
    AnswerSheet.ContributionRemoved: _removed,
    AnswerSheet.ContributionRestored: _restored,
    AnswerSheet.FinalMarked: _final,
    AnswerSheet.CommandNoted: _nothing,
}


def _owns(m: GroupsModel, e: Any) -> bool:
    if isinstance(e, GroupWork.Event):
        return bool(e.originator_id == group_work_id(m.workshop_id))
    if isinstance(e, Split.Created | QuestionSet.Created | AnswerSheet.Created):
        return bool(e.workshop_id == m.workshop_id)
    return e.originator_id in m.splits or e.originator_id in m.question_sets or e.originator_id in m.sheets


def apply(model: GroupsModel, event: Any, position: int) -> GroupsModel:
    """Fold one event (recorded at ``position``) into the model. Events of other workshops are ignored."""
    handler = HANDLERS.get(type(event))
    if handler is not None and _owns(model, event):
        handler(model, event)
    model.position = max(model.position, position)
    return model


def fold(workshop_id: UUID, events: Any) -> GroupsModel:
    """Build the model from a whole stream of ``(position, event)`` at once."""
    model = GroupsModel(workshop_id)
    for position, event in events:
        apply(model, event, position)
    return model


@dataclass
class GroupsIndex:
    """Every workshop's model, and which workshop each group-work aggregate belongs to."""

    models: dict[UUID, GroupsModel] = field(default_factory=dict)
    owners: dict[UUID, UUID] = field(default_factory=dict)


def apply_any(index: GroupsIndex, event: Any, position: int) -> GroupsModel | None:
    """Fold any event into its workshop's model (made by the workshop's first group-work event); None for
    events that are not group work's."""
    if not isinstance(event, GroupWork.Event | Split.Event | QuestionSet.Event | AnswerSheet.Event):
        return None
    workshop_id = getattr(event, "workshop_id", None) or index.owners.get(event.originator_id)
    if workshop_id is None:
        return None
    index.owners[event.originator_id] = workshop_id
    model = index.models.get(workshop_id)
    if model is None:
        model = index.models[workshop_id] = GroupsModel(workshop_id)
    return apply(model, event, position)
