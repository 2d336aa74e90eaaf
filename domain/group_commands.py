"""Commands of group work: who may run each one, what it checks, and what it records.

Handlers validate everything first and only then trigger events, so a refused command leaves every aggregate
untouched. Integration (domain/application.py and the server wire these; nothing here imports them):

- ``GROUP_COMMANDS`` names the commands and the roles that may run them. For one of them ``Tavolo`` loads the
  workshop as usual and calls ``run_group_command(name, workshop, load, GroupContext(actor, command.id), args)``,
  where ``load(id)`` returns the batch's copy of an aggregate (loading it from the store the first time and
  keeping it in the batch), or None if there is none. Every aggregate in the outcome's ``aggregates`` goes into
  the batch to be saved; ``target`` is the one whose events carry the command id (``recorded_as``) for matching
  recordings to the outcome. Deduplication, the role check and noting no-ops happen inside, as for polls.
- ``split_groups`` runs the planner in the handler (a few ms for 200 people; ~0.1 s for 2,000 in 100 groups).
  Its seed comes from ``GroupContext.seed_source`` unless the facilitator gives one; either way it is recorded.
- ``current_split_id(load, workshop_id)`` is the workshop's current split (to place late joiners, or to scope
  a poll to a group: a participant's group is ``split.member_of.get(participant_id)``).
- ``EditConflict`` and ``ContributionRemoved`` carry ``details`` (both texts) for the error message on the wire.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import errors, values
from domain import group_values as gv
from domain.answer_sheets import AnswerSheet, sheet_id_for
from domain.group_errors import SplitSuperseded, UnknownGroup, UnknownQuestionSet, UnknownSplit
from domain.groups import GroupWork, QuestionSet, Split, group_work_id, question_set_id_for, split_id_for
from domain.planning.groups import Plan, plan_split
from domain.workshop import Workshop

if TYPE_CHECKING:
    from domain.commands import Actor  # not at run time: domain/commands.py may come to import this module

FACILITATOR, PARTICIPANT = "facilitator", "participant"  # the role names of domain/commands.py

Loader = Callable[[UUID], Any]


def _now() -> datetime:
    return datetime.now(UTC)


def _random_seed() -> int:
    return secrets.randbits(32)


@dataclass(frozen=True)
class GroupContext:
    """Who runs a group command, under which id; where a split's seed comes from; the planner to use."""

    actor: Actor
    command_id: str
    seed_source: Callable[[], int] = _random_seed
    planner: Callable[..., Plan] = plan_split
    now: Callable[[], datetime] = _now  # the server's clock: how long ago a removal was, for its undo


@dataclass
class GroupOutcome:
    target: Any  # the aggregate whose events carry the command id
    result: dict[str, Any]
    duplicate: bool = False
    aggregates: list[Any] = field(default_factory=list)  # everything loaded or made: put each in the batch
    recorded_as: str = ""


def current_split_id(load: Loader, workshop_id: UUID) -> UUID | None:
    work = load(group_work_id(workshop_id))
    return work.splits[-1] if isinstance(work, GroupWork) and work.splits else None


@dataclass
class Call:
    """One command being run: its inputs, the aggregate it acts on (None if not made yet), what else it touched."""

    workshop: Workshop
    load: Loader
    ctx: GroupContext
    args: Mapping[str, Any]
    target: Any
    touched: list[Any] = field(default_factory=list)

    @property
    def is_facilitator(self) -> bool:
        return self.ctx.actor.role == FACILITATOR

    @property
    def author(self) -> str:
        """The acting participant's id ("" for the facilitator), checked present in the workshop."""
        if self.is_facilitator:
            return ""
        return self.workshop.present(self.ctx.actor.participant_id or "").id

    def get(self, aggregate_id: UUID, kind: type) -> Any:
        """The aggregate of this kind and workshop with that id, or None."""
        found: Any = self.load(aggregate_id)
        return found if isinstance(found, kind) and getattr(found, "workshop_id", None) == self.workshop.id else None

    def split(self, split_id: UUID) -> Split:
        split: Split | None = self.get(split_id, Split)
        if split is None:
            raise UnknownSplit("no such split in this workshop")
        return split

    def open_split(self, split_id: UUID) -> Split:
        split = self.split(split_id)
        if split.superseded_by is not None:
            raise SplitSuperseded("a newer split replaced this one")
        return split

    def question_set(self) -> QuestionSet:
        found: QuestionSet | None = self.get(gv.uuid(self.args, "question_set_id"), QuestionSet)
        if found is None:
            raise UnknownQuestionSet("no such question set in this workshop")
        return found

    def group_id(self, split: Split, key: str = "group_id") -> str:
        group_id = values.identifier(self.args, key)
        if group_id not in split.groups:
            raise UnknownGroup(f"no group {group_id!r} in this split")
        return group_id


@dataclass(frozen=True)
class GroupSpec:
    roles: frozenset[str]
    handler: Callable[[Call], Any]  # returns the target aggregate
    target: Callable[[UUID, str, Mapping[str, Any]], UUID]
    kind: type


def _new(make: Callable[[UUID, str], UUID]) -> Callable[[UUID, str, Mapping[str, Any]], UUID]:
    return lambda workshop_id, command_id, args: make(workshop_id, command_id)


def _named(key: str) -> Callable[[UUID, str, Mapping[str, Any]], UUID]:
    return lambda workshop_id, command_id, args: gv.uuid(args, key)


def _sheet(workshop_id: UUID, command_id: str, args: Mapping[str, Any]) -> UUID:
    return sheet_id_for(gv.uuid(args, "question_set_id"), values.identifier(args, "group_id"))


def _specs() -> dict[str, GroupSpec]:
    from domain import sheet_commands as sc
    from domain import split_commands as sp

    f, fp = frozenset({FACILITATOR}), frozenset({FACILITATOR, PARTICIPANT})
    split, qs = _named("split_id"), _named("question_set_id")
    return {
        "split_groups": GroupSpec(f, sp.split_groups, _new(split_id_for), Split),
        "move_participant": GroupSpec(f, sp.move_participant, split, Split),
        "place_participant": GroupSpec(fp, sp.place_participant, split, Split),
        "rename_group": GroupSpec(fp, sp.rename_group, split, Split),
        "set_table": GroupSpec(f, sp.set_table, split, Split),
        "set_rapporteur": GroupSpec(fp, sp.set_rapporteur, split, Split),
        "pose_questions": GroupSpec(f, sc.pose_questions, _new(question_set_id_for), QuestionSet),
        "set_sheet_visibility": GroupSpec(f, sc.set_sheet_visibility, qs, QuestionSet),
        "lock_answers": GroupSpec(f, sc.lock_answers, qs, QuestionSet),
        "show_report_back": GroupSpec(f, sc.show_report_back, qs, QuestionSet),
        "add_contribution": GroupSpec(fp, sc.add_contribution, _sheet, AnswerSheet),
        "edit_contribution": GroupSpec(fp, sc.edit_contribution, _sheet, AnswerSheet),
        "remove_contribution": GroupSpec(fp, sc.remove_contribution, _sheet, AnswerSheet),
        "restore_contribution": GroupSpec(fp, sc.restore_contribution, _sheet, AnswerSheet),
        "mark_final": GroupSpec(fp, sc.mark_final, _sheet, AnswerSheet),
    }


GROUP_COMMANDS: dict[str, GroupSpec] = _specs()


def target_id(name: str, workshop_id: UUID, command_id: str, args: Mapping[str, Any]) -> UUID:
    """The id of the aggregate a group command acts on (made by it, for split_groups and pose_questions)."""
    return GROUP_COMMANDS[name].target(workshop_id, command_id, args)


def run_group_command(
    name: str, workshop: Workshop, load: Loader, ctx: GroupContext, args: Mapping[str, Any]
) -> GroupOutcome:
    """Run one group command: answer a retry from the history, check the role, validate, record events."""
    spec = GROUP_COMMANDS.get(name)
    if spec is None:
        raise errors.UnknownCommand(f"unknown command {name[:64]!r}")
    call = Call(workshop, load, ctx, args, None)
    call.target = call.get(spec.target(workshop.id, ctx.command_id, args), spec.kind)
    if call.target is not None and ctx.command_id in call.target.commands:
        result = dict(call.target.commands[ctx.command_id])
        return GroupOutcome(call.target, result, True, [call.target], ctx.command_id)
    if ctx.actor.role not in spec.roles:
        raise errors.Forbidden(f"a {ctx.actor.role} may not run {name}")
    target = spec.handler(call)
    if ctx.command_id not in target.commands:
        # It changed nothing; note it anyway (as the Workshop does) so that a retry is answered as one.
        target.trigger_event(type(target).CommandNoted, command_id=ctx.command_id)
    return GroupOutcome(target, dict(target.commands[ctx.command_id]), False, [target, *call.touched], ctx.command_id)
