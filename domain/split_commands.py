"""Commands on splits: split the room, move and place participants, name groups, number tables, choose
rapporteurs. Each returns the split it acted on; domain/group_commands.py dispatches them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain import errors, values
from domain import group_values as gv
from domain.group_errors import AlreadyPlaced, NobodyToSplit, NotAMember
from domain.groups import GroupWork, Split, group_work_id, split_id_for
from domain.planning.groups import BY, Person, PlanError, measure, place_late_joiner
from domain.workshop import Participant, Workshop

if TYPE_CHECKING:
    from domain.group_commands import Call


def person(index: int, p: Participant) -> Person:
    """A participant as the planner sees them."""
    return Person(index, p.organisation, p.country, p.sector, {"role": p.role, "language": p.language})


def _present(workshop: Workshop) -> list[Participant]:
    return [p for p in workshop.participants.values() if p.status == "present"]


def split_groups(call: Call) -> Split:
    """Split the participants present into groups (facilitator): ``strategy`` random | balanced | by:FIELD;
    ``groups`` K or ``size`` S (for by:FIELD, ``size`` or ``max_size`` caps a group); ``seed`` optional. The
    result is recorded as it is; the previous split (if any) is superseded and kept."""
    args = call.args
    values.check_keys(args, {"strategy", "groups", "size", "max_size", "seed"})
    strategy = gv.strategy(args)
    requested = {k: gv.count(args, k) for k in ("groups", "size", "max_size")}
    given_seed = gv.seed(args)
    present = _present(call.workshop)
    if not present:
        raise NobodyToSplit("nobody is present to split")
    work: GroupWork | None = call.get(group_work_id(call.workshop.id), GroupWork)
    previous = call.split(work.splits[-1]) if work is not None and work.splits else None
    seed = given_seed if given_seed is not None else call.ctx.seed_source() & gv.SEED_MAX
    try:
        plan = call.ctx.planner(
            [person(i, p) for i, p in enumerate(present)],
            groups=requested["groups"] or None,
            size=requested["size"] or None,
            strategy=strategy,
            seed=seed,
            max_size=requested["max_size"] or None,
        )
    except PlanError as e:
        raise errors.InvalidArgs(str(e)) from None
    number = len(work.splits) + 1 if work is not None else 1
    groups = tuple(
        {
            "id": f"s{number}g{g}",
            "number": g,
            "name": "",
            "label": label,
            "table": g,
            "members": [present[i].id for i in m],
        }
        for g, (m, label) in enumerate(zip(plan.groups, plan.labels, strict=True), 1)
    )
    wid, cid = call.workshop.id, call.ctx.command_id
    split: Split = Split._create(
        Split.Created,
        id=split_id_for(wid, cid),
        command_id=cid,
        workshop_id=wid,
        number=number,
        strategy=strategy,
        seed=seed,
        requested=requested,
        groups=groups,
        quality=plan.quality.to_dict(),
        replaces=previous.id if previous is not None else None,
    )
    if work is None:
        work = GroupWork._create(GroupWork.Created, id=group_work_id(wid), command_id=cid, workshop_id=wid)
    work.trigger_event(GroupWork.SplitMade, command_id=cid, split_id=split.id)
    call.touched.append(work)
    if previous is not None:
        previous.trigger_event(Split.Superseded, command_id=cid, by_split_id=split.id)
        call.touched.append(previous)
    return split


def _quality(workshop: Workshop, split: Split, participant_id: str, group_id: str) -> dict[str, Any]:
    """The balance figures once ``participant_id`` is in ``group_id`` (counting the members present)."""
    present = _present(workshop)
    index = {p.id: i for i, p in enumerate(present)}
    groups = {g.id: [index[m] for m in g.members if m in index and m != participant_id] for g in split.groups.values()}
    groups[group_id].append(index[participant_id])
    unavoidable = split.quality.get("unavoidable_pairs") if split.strategy.startswith(BY) else None
    return measure(list(groups.values()), [person(i, p) for i, p in enumerate(present)], unavoidable).to_dict()


def _member_or_facilitator(call: Call, split: Split, group_id: str) -> None:
    if not call.is_facilitator and split.member_of.get(call.author) != group_id:
        raise NotAMember("only the group's members (and the facilitator) may do this")


def move_participant(call: Call) -> Split:
    """Move a participant to another group (facilitator); one in no group yet is put there."""
    values.check_keys(call.args, {"split_id", "participant_id", "group_id"})
    split = call.open_split(gv.uuid(call.args, "split_id"))
    group_id = call.group_id(split)
    p = call.workshop.present(values.identifier(call.args, "participant_id"))
    from_group = split.member_of.get(p.id, "")
    if from_group != group_id:
        quality = _quality(call.workshop, split, p.id, group_id)
        split.trigger_event(
            Split.ParticipantMoved,
            command_id=call.ctx.command_id,
            participant_id=p.id,
            from_group=from_group,
            to_group=group_id,
            quality=quality,
        )
    return split


def place_participant(call: Call) -> Split:
    """Place someone who is in no group yet (a late joiner) where the planner keeps the balance -- or in a group
    of their value for a by:FIELD split, a new one if none has room. The facilitator places anyone; a
    participant places themselves."""
    values.check_keys(call.args, {"split_id", "participant_id"})
    split = call.open_split(gv.uuid(call.args, "split_id"))
    if call.is_facilitator:
        p = call.workshop.present(values.identifier(call.args, "participant_id"))
    else:
        p = call.workshop.present(call.author)
        if call.args.get("participant_id", p.id) != p.id:
            raise errors.Forbidden("a participant may only place themselves")
    if p.id in split.member_of:
        raise AlreadyPlaced(f"already in group {split.member_of[p.id]}")
    present = _present(call.workshop)
    index = {q.id: i for i, q in enumerate(present)}
    people = [person(i, q) for i, q in enumerate(present)]
    groups = list(split.groups.values())
    by = split.strategy.startswith(BY)
    caps = [v for v in (split.requested.get("size", 0), split.requested.get("max_size", 0)) if v]
    choice = place_late_joiner(
        [[index[m] for m in g.members if m in index] for g in groups],
        people,
        people[index[p.id]],
        split.strategy,
        labels=[g.label for g in groups] if by else None,
        max_size=min(caps) if by and caps else None,
    )
    cid = call.ctx.command_id
    if choice < len(groups):
        group_id = groups[choice].id
    else:  # a by:FIELD value without a group with room: a new group for it
        number = max(g.number for g in groups) + 1
        group_id = f"s{split.number}g{number}"
        label = people[index[p.id]].value(split.strategy[len(BY) :]).strip()
        split.trigger_event(
            Split.GroupAdded, command_id=cid, group_id=group_id, number=number, label=label, table=number
        )
    quality = _quality(call.workshop, split, p.id, group_id)
    split.trigger_event(
        Split.ParticipantPlaced, command_id=cid, participant_id=p.id, group_id=group_id, quality=quality
    )
    return split


def rename_group(call: Call) -> Split:
    """Name a group ("" gives back its default name): the facilitator, or one of its members."""
    values.check_keys(call.args, {"split_id", "group_id", "name"})
    split = call.open_split(gv.uuid(call.args, "split_id"))
    group_id = call.group_id(split)
    _member_or_facilitator(call, split, group_id)
    name = values.text(call.args, "name", gv.GROUP_NAME_MAX, required=False)
    if name != split.groups[group_id].name:
        split.trigger_event(Split.GroupRenamed, command_id=call.ctx.command_id, group_id=group_id, name=name)
    return split


def set_table(call: Call) -> Split:
    """Give a group a table number, 1-999 (null or 0: none)."""
    values.check_keys(call.args, {"split_id", "group_id", "table"})
    split = call.open_split(gv.uuid(call.args, "split_id"))
    group_id = call.group_id(split)
    table = gv.count(call.args, "table", gv.TABLE_MAX, zero=True)
    if table != split.groups[group_id].table:
        split.trigger_event(Split.TableSet, command_id=call.ctx.command_id, group_id=group_id, table=table)
    return split


def set_rapporteur(call: Call) -> Split:
    """Choose a group's rapporteur among its members (null: none): the facilitator, or a member of the group."""
    values.check_keys(call.args, {"split_id", "group_id", "participant_id"})
    split = call.open_split(gv.uuid(call.args, "split_id"))
    group_id = call.group_id(split)
    _member_or_facilitator(call, split, group_id)
    chosen = ""
    if call.args.get("participant_id") not in (None, ""):
        chosen = call.workshop.present(values.identifier(call.args, "participant_id")).id
        if split.member_of.get(chosen) != group_id:
            raise NotAMember("the rapporteur must be a member of the group")
    if chosen != split.groups[group_id].rapporteur:
        split.trigger_event(
            Split.RapporteurChosen,
            command_id=call.ctx.command_id,
            group_id=group_id,
            participant_id=chosen,
            chosen_by="facilitator" if call.is_facilitator else "group",
        )
    return split
