"""Commands on question sets and answer sheets: pose questions, show or hide other groups' sheets, lock answers,
step through the report-back, and write a group's answers together. domain/group_commands.py dispatches them.

A participant may act only on their own group's sheet (``not_a_member``), and edit or remove only their own
contributions, unless they are the group's rapporteur (``not_your_contribution``; the facilitator may do either on
any sheet). An edit names the version it was based on; if the contribution changed since, the edit is refused with
both texts (``edit_conflict``), unless the two writers wrote the same thing. A removal can be undone for a minute
(``restore_contribution``; after that ``undo_expired``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from domain import errors, values
from domain import group_values as gv
from domain.answer_sheets import AnswerSheet, Contribution, sheet_id_for
from domain.group_errors import (
    AnswersFinal,
    AnswersLocked,
    ContributionRemoved,
    EditConflict,
    NotAMember,
    NotRapporteur,
    NotYourContribution,
    SheetFull,
    SplitSuperseded,
    UndoExpired,
    UnknownContribution,
    UnknownGroup,
)
from domain.groups import QuestionSet, Split, question_set_id_for
from domain.poll_errors import NotInScope, UnknownQuestion

if TYPE_CHECKING:
    from domain.group_commands import Call

SHEET = {"question_set_id", "group_id"}
UNDO_SECONDS = 60  # how long a removed contribution can be brought back


def pose_questions(call: Call) -> QuestionSet:
    """Pose 1-30 questions (each with an optional time box) to every group of a split, or to ``groups``, with the
    ``categories`` contributions may be tagged with; ``visibility`` own (default) or all."""
    args = call.args
    values.check_keys(args, {"split_id", "title", "questions", "groups", "categories", "visibility"})
    split = call.open_split(gv.uuid(args, "split_id"))
    title = values.text(args, "title", values.TITLE_MAX, required=False)
    questions = gv.questions(args.get("questions"))
    groups = args.get("groups") or []
    if not isinstance(groups, list | tuple):
        raise errors.InvalidArgs("'groups' must be a list of group ids")
    for group in groups:
        if not isinstance(group, str) or group not in split.groups:
            raise UnknownGroup(f"no group {str(group)[:64]!r} in this split")
    categories = gv.categories(args.get("categories"))
    visibility = values.choice({"visibility": args.get("visibility", "own")}, "visibility", gv.VISIBILITIES)
    wid, cid = call.workshop.id, call.ctx.command_id
    question_set: QuestionSet = QuestionSet._create(
        QuestionSet.Created,
        id=question_set_id_for(wid, cid),
        command_id=cid,
        workshop_id=wid,
        split_id=split.id,
        title=title,
        questions=questions,
        groups=tuple(g for g in split.groups if g in groups),
        categories=categories,
        visibility=visibility,
    )
    return question_set


def set_sheet_visibility(call: Call) -> QuestionSet:
    """Let every group see the others' sheets (all), or only its own (own)."""
    values.check_keys(call.args, {"question_set_id", "visibility"})
    question_set = call.question_set()
    visibility = values.choice(call.args, "visibility", gv.VISIBILITIES)
    if visibility != question_set.visibility:
        question_set.trigger_event(QuestionSet.VisibilityChanged, command_id=call.ctx.command_id, visibility=visibility)
    return question_set


def _posed_group(call: Call, question_set: QuestionSet) -> str:
    split: Split = call.split(question_set.split_id)
    group_id = call.group_id(split)
    if not question_set.posed_to(group_id):
        raise NotInScope("these questions are for other groups")
    return group_id


def lock_answers(call: Call) -> QuestionSet:
    """Lock (``locked`` true, the default) or unlock the answers of every group, or of ``group_id``."""
    values.check_keys(call.args, {"question_set_id", "group_id", "locked"})
    qs = call.question_set()
    locked = gv.flag(call.args, "locked", True)
    all_groups, groups = locked, frozenset[str]()
    if call.args.get("group_id") is not None:
        group_id = _posed_group(call, qs)
        if qs.locked_all:  # locking one changes nothing; unlocking one leaves all the others locked
            posed = frozenset(g for g in call.split(qs.split_id).groups if qs.posed_to(g))
            all_groups, groups = locked, (frozenset() if locked else posed - {group_id})
        else:
            all_groups, groups = False, (qs.locked | {group_id} if locked else qs.locked - {group_id})
    if (all_groups, groups) != (qs.locked_all, qs.locked):
        qs.trigger_event(
            QuestionSet.LockChanged, command_id=call.ctx.command_id, all_groups=all_groups, groups=tuple(sorted(groups))
        )
    return qs


def show_report_back(call: Call) -> QuestionSet:
    """Show one group's answers on the projector's report-back (null: the overview of all groups)."""
    values.check_keys(call.args, {"question_set_id", "group_id"})
    qs = call.question_set()
    group_id = "" if call.args.get("group_id") in (None, "") else _posed_group(call, qs)
    if group_id != qs.report_back:
        qs.trigger_event(QuestionSet.ReportBackMoved, command_id=call.ctx.command_id, group_id=group_id)
    return qs


def _open_sheet(call: Call, keys: set[str]) -> tuple[QuestionSet, Split, str]:
    """The question set, split and group of a sheet command, once the actor may write on that sheet now."""
    values.check_keys(call.args, SHEET | keys)
    qs = call.question_set()
    group_id = _posed_group(call, qs)
    split: Split = call.split(qs.split_id)
    if not call.is_facilitator and split.member_of.get(call.author) != group_id:
        raise NotAMember("this is another group's sheet")
    if split.superseded_by is not None:
        raise SplitSuperseded("a newer split replaced these groups")
    if qs.is_locked(group_id):
        raise AnswersLocked("the facilitator locked these answers")
    return qs, split, group_id


def _unless_final(call: Call) -> AnswerSheet | None:
    sheet: AnswerSheet | None = call.target
    if sheet is not None and sheet.final:
        raise AnswersFinal("these answers are marked final")
    return sheet


def _sheet(call: Call, qs: QuestionSet, group_id: str) -> AnswerSheet:
    """The target sheet, made now if this is its first change."""
    if call.target is None:
        call.target = AnswerSheet._create(
            AnswerSheet.Created,
            id=sheet_id_for(qs.id, group_id),
            command_id=call.ctx.command_id,
            workshop_id=call.workshop.id,
            question_set_id=qs.id,
            split_id=qs.split_id,
            group_id=group_id,
        )
    sheet: AnswerSheet = call.target
    return sheet


def _contribution(call: Call) -> Contribution:
    contribution_id = values.identifier(call.args, "contribution_id")
    sheet: AnswerSheet | None = call.target
    if sheet is None or contribution_id not in sheet.contributions:
        raise UnknownContribution(f"no contribution {contribution_id!r} on this sheet")
    return sheet.contributions[contribution_id]


def _may_change(call: Call, split: Split, group_id: str, c: Contribution) -> None:
    """Its author, the group's rapporteur, or the facilitator; nobody else changes someone's contribution."""
    if call.is_facilitator or c.author == call.author:
        return
    if split.groups[group_id].rapporteur != call.author:
        raise NotYourContribution("only its author, the group's rapporteur or the facilitator may change this")


def _base_version(call: Call) -> int:
    version = gv.count(call.args, "base_version", 2**31 - 1)
    if not version:
        raise errors.InvalidArgs("'base_version' is required: the version the edit started from")
    return version


def _theirs(c: Contribution) -> dict[str, Any]:
    return {"text": c.text, "tags": list(c.tags), "version": c.version, "editor": c.editor}


def add_contribution(call: Call) -> AnswerSheet:
    """Add a contribution to the answer to ``question_id``, with ``tags`` from the set's categories."""
    qs, _, group_id = _open_sheet(call, {"question_id", "text", "tags"})
    sheet = _unless_final(call)
    question_id = values.identifier(call.args, "question_id")
    if question_id not in qs.question_ids():
        raise UnknownQuestion(f"no question {question_id!r} in this set")
    text, tags = gv.contribution_text(call.args), gv.tags(call.args.get("tags"), qs.categories)
    if sheet is not None and len(sheet.contributions) >= gv.CONTRIBUTIONS_MAX:
        raise SheetFull(f"a sheet holds at most {gv.CONTRIBUTIONS_MAX} contributions")
    author = call.author
    sheet = _sheet(call, qs, group_id)
    sheet.trigger_event(
        AnswerSheet.ContributionAdded,
        command_id=call.ctx.command_id,
        contribution_id=sheet.next_contribution_id(),
        question_id=question_id,
        author_id=author,
        text=text,
        tags=tags,
    )
    return sheet


def edit_contribution(call: Call) -> AnswerSheet:
    """Replace a contribution's text (and ``tags``, if given), starting from ``base_version``."""
    qs, split, group_id = _open_sheet(call, {"contribution_id", "text", "tags", "base_version"})
    _unless_final(call)
    c = _contribution(call)
    _may_change(call, split, group_id, c)
    text = gv.contribution_text(call.args)
    tags = gv.tags(call.args["tags"], qs.categories) if "tags" in call.args else c.tags
    base = _base_version(call)
    yours = {"text": text, "tags": list(tags), "base_version": base}
    if c.removed:
        raise ContributionRemoved("this contribution was removed", {"contribution_id": c.id, "yours": yours})
    sheet: AnswerSheet = call.target
    if (text, tags) == (c.text, c.tags):
        return sheet  # already says this (perhaps written the same way by both)
    if base != c.version:
        details = {"contribution_id": c.id, "yours": yours, "theirs": _theirs(c)}
        raise EditConflict("someone changed this contribution meanwhile; both texts are attached", details)
    sheet.trigger_event(
        AnswerSheet.ContributionEdited,
        command_id=call.ctx.command_id,
        contribution_id=c.id,
        text=text,
        tags=tags,
        version=c.version + 1,
        editor_id=call.author,
    )
    return sheet


def remove_contribution(call: Call) -> AnswerSheet:
    """Remove a contribution (one's own; the rapporteur and the facilitator anyone's); with ``base_version``, only
    if nobody changed it since. It can be brought back for a minute with ``restore_contribution``."""
    _, split, group_id = _open_sheet(call, {"contribution_id", "base_version"})
    _unless_final(call)
    c = _contribution(call)
    _may_change(call, split, group_id, c)
    sheet: AnswerSheet = call.target
    if c.removed:
        return sheet
    if call.args.get("base_version") is not None and _base_version(call) != c.version:
        details = {"contribution_id": c.id, "yours": None, "theirs": _theirs(c)}
        raise EditConflict("someone changed this contribution meanwhile; it was not removed", details)
    sheet.trigger_event(
        AnswerSheet.ContributionRemoved, command_id=call.ctx.command_id, contribution_id=c.id, by_id=call.author
    )
    return sheet


def restore_contribution(call: Call) -> AnswerSheet:
    """Undo a removal: the contribution comes back as it was, if it was removed less than a minute ago on the
    server's clock (``undo_expired`` after that). Whoever removed it, the group's rapporteur or the facilitator
    may bring it back: not its author when someone else took it away."""
    _, split, group_id = _open_sheet(call, {"contribution_id"})
    _unless_final(call)
    c = _contribution(call)
    _may_change(call, split, group_id, c)
    sheet: AnswerSheet = call.target
    if not c.removed:
        return sheet
    if not (call.is_facilitator or split.groups[group_id].rapporteur == call.author or c.removed_by == call.author):
        raise NotYourContribution("only whoever removed it, the group's rapporteur or the facilitator may restore it")
    if c.removed_at is None or call.ctx.now() - c.removed_at > timedelta(seconds=UNDO_SECONDS):
        raise UndoExpired(f"a removal can be undone for {UNDO_SECONDS} seconds; add the text again instead")
    sheet.trigger_event(
        AnswerSheet.ContributionRestored, command_id=call.ctx.command_id, contribution_id=c.id, by_id=call.author
    )
    return sheet


def mark_final(call: Call) -> AnswerSheet:
    """Mark the group's answers final (``final`` true, the default) or take that back: the group's rapporteur,
    any member while it has none, or the facilitator."""
    qs, split, group_id = _open_sheet(call, {"final"})
    final = gv.flag(call.args, "final", True)
    rapporteur = split.groups[group_id].rapporteur
    if not call.is_facilitator and rapporteur and rapporteur != call.author:
        raise NotRapporteur("only the group's rapporteur marks its answers final")
    sheet = _sheet(call, qs, group_id)
    if sheet.final != final:
        sheet.trigger_event(AnswerSheet.FinalMarked, command_id=call.ctx.command_id, final=final, by_id=call.author)
    return sheet
