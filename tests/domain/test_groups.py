"""Group work: given earlier commands, when a group command runs, then these events or this error.

``GroupRoom`` runs group commands the way domain/application.py will once they are wired: a batch keeps one
copy of each aggregate (``load``), runs ``run_group_command`` per command, and saves every aggregate in one
``app.save`` on the real Tavolo application (memory://, msgpack). Events are read back from the store, so they
are what a replay sees.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.application import AggregateNotFoundError

from domain.answer_sheets import AnswerSheet, sheet_id_for
from domain.application import Command, Outcome
from domain.commands import Actor
from domain.errors import DomainError
from domain.group_commands import GROUP_COMMANDS, GroupContext, current_split_id, run_group_command, target_id
from domain.group_errors import ConflictError
from domain.groups import Split, question_set_id_for, split_id_for
from domain.planning.groups import Plan
from tests.domain.builders import FACILITATOR, Scenario, When, new_id, plain, position, stored_events

# Six people from three organisations, two countries, two sectors.
ROOM: dict[str, dict[str, str]] = {
    "Ann": {"organisation": "Acme", "country": "IT", "sector": "Agrifood"},
    "Bob": {"organisation": "Acme", "country": "IT", "sector": "Energy"},
    "Cy": {"organisation": "Bolt", "country": "DE", "sector": "Agrifood"},
    "Dee": {"organisation": "Bolt", "country": "DE", "sector": "Energy"},
    "Eve": {"organisation": "Cori", "country": "IT", "sector": "Agrifood"},
    "Fay": {"organisation": "Cori", "country": "DE", "sector": "Energy"},
}


def name(event: Any) -> str:
    return type(event).__qualname__


class GroupRoom:
    """A workshop on the real application; splits and question sets by alias (``split:<alias>``,
    ``pose:<alias>`` command ids); seeds from a counter, so splits are reproducible."""

    def __init__(self) -> None:
        self.s = Scenario()
        self.app = self.s.app
        self.seeds = itertools.count(1000)
        self.splits: dict[str, UUID] = {}
        self.sets: dict[str, UUID] = {}
        self.later = timedelta(0)  # how far ahead of the real clock the server's clock runs (to test the undo limit)

    # People.

    def people(self, *aliases: str, **profile: Any) -> None:
        self.s.given(*(self.s.join(a, **{**ROOM.get(a, {}), **profile}) for a in aliases))

    def as_(self, alias: str) -> Actor:
        return self.s.as_(alias)

    def id(self, alias: str) -> str:
        return self.s.ids[alias]

    # Commands.

    def command(
        self, name: str, args: Mapping[str, Any] | None = None, actor: Actor = FACILITATOR, *, id: str | None = None
    ) -> Command:
        return self.s.command(name, dict(args or {}), actor, id=id or new_id(name))

    def split(self, alias: str = "s", actor: Actor = FACILITATOR, **args: Any) -> Command:
        self.splits[alias] = split_id_for(self.s.workshop_id, f"split:{alias}")
        return self.command("split_groups", {"strategy": "balanced", "groups": 2, **args}, actor, id=f"split:{alias}")

    def on_split(self, command: str, /, actor: Actor = FACILITATOR, split: str = "s", **args: Any) -> Command:
        return self.command(command, {"split_id": str(self.splits[split]), **args}, actor)

    def pose(self, alias: str = "q", split: str = "s", **args: Any) -> Command:
        self.sets[alias] = question_set_id_for(self.s.workshop_id, f"pose:{alias}")
        base = {"split_id": str(self.splits[split]), "questions": ["Why?", {"prompt": "How?", "time_box_min": 10}]}
        return self.command("pose_questions", {**base, **args}, id=f"pose:{alias}")

    def on_set(self, command: str, /, actor: Actor = FACILITATOR, qs: str = "q", **args: Any) -> Command:
        return self.command(command, {"question_set_id": str(self.sets[qs]), **args}, actor)

    def write(self, who: str, command: str, /, group: str | None = None, qs: str = "q", **args: Any) -> Command:
        """A sheet command by ``who`` (an alias, or "facilitator") on ``group`` (default: who's own group)."""
        actor = FACILITATOR if who == "facilitator" else self.as_(who)
        group = group or self.group_of(who)
        return self.on_set(command, actor, qs, group_id=group, **args)

    def add(self, who: str, text: str, question: str = "q1", **args: Any) -> Command:
        return self.write(who, "add_contribution", question_id=question, text=text, **args)

    # Running them as the application will.

    def execute(self, commands: list[Command]) -> list[Outcome]:
        batch: dict[UUID, Any] = {}

        def load(aggregate_id: UUID) -> Any:
            if aggregate_id not in batch:
                try:
                    batch[aggregate_id] = self.app.repository.get(aggregate_id)
                except AggregateNotFoundError:
                    return None
            return batch[aggregate_id]

        outcomes: list[Outcome] = []
        for c in commands:
            assert c.workshop_id is not None
            ctx = GroupContext(
                c.actor, c.id, seed_source=lambda: next(self.seeds), now=lambda: datetime.now(UTC) + self.later
            )
            try:
                out = run_group_command(c.name, load(c.workshop_id), load, ctx, c.args)
            except DomainError as e:
                outcomes.append(Outcome(c, error=e))
                continue
            for aggregate in out.aggregates:
                batch[aggregate.id] = aggregate
            outcomes.append(Outcome(c, out.result, None, out.duplicate, None, out.target.id, out.recorded_as))
        recordings = self.app.save(*batch.values())
        by_ref = {(o.target, o.recorded_as): o for o in outcomes if not o.error and not o.duplicate}
        for r in recordings:
            o = by_ref.get((r.domain_event.originator_id, getattr(r.domain_event, "command_id", "")))
            if o is not None:
                o.events.append((r.notification.id, r.domain_event))
                o.position = r.notification.id
        return outcomes

    def given(self, *commands: Command) -> list[Outcome]:
        outcomes = self.execute(list(commands))
        for o in outcomes:
            assert o.error is None, f"given {o.command.name} refused: {o.error.code}: {o.error.message}"
        return outcomes

    def when(self, *commands: Command) -> When:
        before = position(self.app)
        return When(self.execute(list(commands)), stored_events(self.app, before))

    # State.

    def get(self, aggregate_id: UUID) -> Any:
        return self.app.repository.get(aggregate_id)

    def split_of(self, alias: str = "s") -> Split:
        split: Split = self.get(self.splits[alias])
        return split

    def get_or_none(self, aggregate_id: UUID) -> Any:
        try:
            return self.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def aliases(self, ids: list[str]) -> list[str]:
        by_id = {v: k for k, v in self.s.ids.items()}
        return [by_id[i] for i in ids]

    def group_of(self, who: str, split: str = "s") -> str:
        return self.split_of(split).member_of[self.id(who)]

    def sheet(self, group: str, qs: str = "q") -> AnswerSheet:
        sheet: AnswerSheet = self.get(sheet_id_for(self.sets[qs], group))
        return sheet

    def mates(self, who: str) -> list[str]:
        """The others in who's group, by alias."""
        split = self.split_of()
        return [a for a in self.aliases(split.groups[split.member_of[self.id(who)]].members) if a != who]

    def stranger(self, who: str) -> str:
        """Someone in another group than who's."""
        return next(a for a in ROOM if a in self.s.ids and self.group_of(a) != self.group_of(who))


def make_rapporteur(r: GroupRoom, alias: str) -> None:
    r.given(r.on_split("set_rapporteur", group_id=r.group_of(alias), participant_id=r.id(alias)))


def created(when: When) -> Any:
    """The Split.Created event a split command recorded."""
    return next(e for e in when.events if name(e) == "Split.Created")


def then(when: When, *expected: tuple[str, Mapping[str, Any]] | str) -> None:
    """Accepted, and recorded exactly these events (names and the fields given), each with the command's id.
    One aggregate's events in this order; events of several aggregates in any order (the batch's)."""
    outcome = when.outcome
    assert outcome.error is None, f"refused: {outcome.error.code}: {outcome.error.message}"
    assert not outcome.duplicate
    names = [e if isinstance(e, str) else e[0] for e in expected]
    if len({e.originator_id for e in when.events}) == 1:
        assert [name(e) for e in when.events] == names
    assert sorted(name(e) for e in when.events) == sorted(names)
    remaining = list(when.events)
    events = []
    for n in names:
        events.append(next(e for e in remaining if name(e) == n))
        remaining.remove(events[-1])
    for event, spec in zip(events, expected, strict=True):
        assert event.command_id == outcome.command.id
        for key, value in ({} if isinstance(spec, str) else spec[1]).items():
            assert plain(getattr(event, key)) == plain(value), (name(event), key)
    assert outcome.events and outcome.position == outcome.events[-1][0]


def then_nothing(when: When, aggregate: str) -> None:
    """Accepted and changed nothing: only a note of the command id, so that a retry stays a retry."""
    assert when.outcome.error is None, f"{when.outcome.error.code}: {when.outcome.error.message}"
    assert [name(e) for e in when.events] == [f"{aggregate}.CommandNoted"]


def then_error(when: When, code: str) -> DomainError:
    outcome = when.outcome
    assert outcome.error is not None, f"accepted, recording {[name(e) for e in when.events]}"
    assert outcome.error.code == code, f"{outcome.error.code}: {outcome.error.message}"
    assert when.events == [] and outcome.result == {}
    return outcome.error


@pytest.fixture
def room() -> GroupRoom:
    """Ann..Fay present, split ``s`` into two balanced groups."""
    r = GroupRoom()
    r.people(*ROOM)
    r.given(r.split())
    return r


@pytest.fixture
def posed(room: GroupRoom) -> GroupRoom:
    """... and question set ``q`` (q1 "Why?", q2 "How?" with a 10-minute box) posed to both groups, with
    the categories offer and demand."""
    room.given(room.pose(categories=["offer", "demand"]))
    return room


# ------------------------------------------------------------------------------------------------------------
# Splitting the room.


class TestSplitGroups:
    def test_records_the_planners_result_the_seed_and_the_index(self) -> None:
        r = GroupRoom()
        r.people(*ROOM)
        w = r.when(r.split())
        then(
            w,
            ("Split.Created", {"number": 1, "strategy": "balanced", "seed": 1000, "replaces": None}),
            ("GroupWork.Created", {"workshop_id": r.s.workshop_id}),
            ("GroupWork.SplitMade", {"split_id": r.splits["s"]}),
        )
        assert w.outcome.result == {"split_id": str(r.splits["s"]), "seed": 1000}
        made = created(w)
        assert [g["id"] for g in made.groups] == ["s1g1", "s1g2"]
        assert [(g["number"], g["table"], g["name"], g["label"]) for g in made.groups] == [
            (1, 1, "", ""),
            (2, 2, "", ""),
        ]
        members = [m for g in made.groups for m in g["members"]]
        assert sorted(members) == sorted(r.id(a) for a in ROOM)
        assert made.quality["sizes"] == [3, 3]
        assert made.quality["same_organisation_pairs"] == 0  # three organisations of two: avoidable
        assert current_split_id(r.get_or_none, r.s.workshop_id) == r.splits["s"]

    def test_a_given_seed_is_recorded_and_reproduces_the_split(self) -> None:
        def groups_with(seed: int) -> list[Any]:
            r = GroupRoom()
            r.people(*ROOM)
            w = r.when(r.split(strategy="random", groups=None, size=2, seed=seed))
            assert created(w).seed == seed
            return [sorted(r.aliases(g["members"])) for g in created(w).groups]

        assert groups_with(7) == groups_with(7)
        assert len(groups_with(7)) == 3

    def test_by_attribute_makes_pure_groups_capped_in_size(self) -> None:
        r = GroupRoom()
        r.people(*ROOM)
        w = r.when(r.split(strategy="by:sector", groups=None, max_size=2))
        groups = created(w).groups
        assert [g["label"] for g in groups] == ["Agrifood", "Agrifood", "Energy", "Energy"]
        for g in groups:
            assert {ROOM[a]["sector"] for a in r.aliases(g["members"])} == {g["label"]}
            assert 1 <= len(g["members"]) <= 2

    def test_only_people_present_are_split(self) -> None:
        r = GroupRoom()
        r.people(*ROOM)
        r.s.given(r.s.command("leave", {}, r.as_("Fay")))
        w = r.when(r.split())
        assert sorted(m for g in created(w).groups for m in g["members"]) == sorted(r.id(a) for a in ROOM if a != "Fay")

    def test_a_new_split_supersedes_the_current_one_which_stays_as_it_was(self, room: GroupRoom) -> None:
        before = {g.id: list(g.members) for g in room.split_of().groups.values()}
        w = room.when(room.split("t", groups=3))
        then(
            w,
            ("Split.Created", {"number": 2, "replaces": room.splits["s"]}),
            ("GroupWork.SplitMade", {"split_id": room.splits["t"]}),
            ("Split.Superseded", {"by_split_id": room.splits["t"]}),
        )
        assert [g["id"] for g in created(w).groups] == ["s2g1", "s2g2", "s2g3"]
        old = room.split_of()
        assert {g.id: g.members for g in old.groups.values()} == before and old.superseded_by == room.splits["t"]
        then_error(room.when(room.on_split("rename_group", group_id="s1g1", name="Old")), "split_superseded")

    def test_replay_applies_the_recorded_result_and_never_plans_again(
        self, room: GroupRoom, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        recorded = room.split_of()

        def no_planning(*args: Any, **kwargs: Any) -> Plan:
            raise AssertionError("the planner ran on replay")

        monkeypatch.setattr("domain.planning.groups.anticluster", no_planning)
        monkeypatch.setattr("domain.planning.groups.measure", no_planning)
        room.app.repository.cache = None  # rebuilt from the stored events
        replayed: Split = room.app.repository.get(room.splits["s"])
        assert {g.id: g.members for g in replayed.groups.values()} == {
            g.id: g.members for g in recorded.groups.values()
        }
        assert replayed.seed == 1000 and replayed.quality == recorded.quality

    def test_a_retry_is_answered_from_the_history_without_planning_again(self, room: GroupRoom) -> None:
        w = room.when(room.split())
        assert w.outcome.duplicate and w.outcome.result == {"split_id": str(room.splits["s"]), "seed": 1000}
        assert w.events == [] and next(room.seeds) == 1001  # the seed source was not asked again

    def test_nobody_present(self) -> None:
        r = GroupRoom()
        then_error(r.when(r.split()), "nobody_to_split")

    def test_only_the_facilitator_splits(self) -> None:
        r = GroupRoom()
        r.people("Ann")
        then_error(r.when(r.split(actor=r.as_("Ann"))), "forbidden")

    @pytest.mark.parametrize(
        "args",
        [
            {"strategy": "shuffle"},
            {"strategy": "by:name", "groups": None, "size": 2},
            {"strategy": "by:sector"},  # takes a size, not a number of groups
            {"groups": None},
            {"size": 2},  # and groups: 2
            {"groups": 0},
            {"groups": True},
            {"groups": 501},
            {"seed": -1},
            {"seed": 2**32},
            {"colour": "red"},
        ],
    )
    def test_refuses_bad_arguments(self, args: dict[str, Any]) -> None:
        r = GroupRoom()
        r.people(*ROOM)
        then_error(r.when(r.split(**args)), "invalid_args")


class TestMoveAndPlace:
    def test_the_facilitator_moves_a_participant_and_the_balance_is_measured_again(self, room: GroupRoom) -> None:
        ann, source = room.id("Ann"), room.group_of("Ann")
        to = "s1g2" if source == "s1g1" else "s1g1"
        w = room.when(room.on_split("move_participant", participant_id=ann, group_id=to))
        then(w, ("Split.ParticipantMoved", {"participant_id": ann, "from_group": source, "to_group": to}))
        quality = w.events[0].quality
        assert sorted(quality["sizes"]) == [2, 4]
        assert room.split_of().member_of[ann] == to and room.split_of().quality == quality

    def test_moving_into_ones_own_group_changes_nothing(self, room: GroupRoom) -> None:
        w = room.when(room.on_split("move_participant", participant_id=room.id("Ann"), group_id=room.group_of("Ann")))
        then_nothing(w, "Split")

    def test_a_moved_rapporteur_stops_reporting_for_the_old_group(self, room: GroupRoom) -> None:
        old = room.group_of("Ann")
        room.given(room.on_split("set_rapporteur", group_id=old, participant_id=room.id("Ann")))
        other = room.group_of(room.stranger("Ann"))
        room.given(room.on_split("move_participant", participant_id=room.id("Ann"), group_id=other))
        assert room.split_of().groups[old].rapporteur == ""

    @pytest.mark.parametrize(
        ("args", "code"),
        [
            ({"participant_id": "nobody", "group_id": "s1g1"}, "unknown_participant"),
            ({"group_id": "s9g9"}, "unknown_group"),
            ({"group_id": "s1g1", "split_id": "not-a-uuid"}, "invalid_args"),
            ({"group_id": "s1g1", "split_id": "00000000-0000-0000-0000-000000000000"}, "unknown_split"),
        ],
    )
    def test_refuses(self, room: GroupRoom, args: dict[str, Any], code: str) -> None:
        then_error(room.when(room.on_split("move_participant", **{"participant_id": room.id("Ann"), **args})), code)

    def test_only_the_facilitator_moves_people(self, room: GroupRoom) -> None:
        cmd = room.on_split("move_participant", room.as_("Ann"), participant_id=room.id("Ann"), group_id="s1g1")
        then_error(room.when(cmd), "forbidden")

    def test_a_late_joiner_is_placed_where_the_balance_is_kept(self) -> None:
        r = GroupRoom()
        r.people(*ROOM)
        r.people("Hal", organisation="Dyn", country="FR", sector="Mobility")
        r.people("Ivo", organisation="Eko", country="FR", sector="Mobility")
        r.given(r.split())
        r.people("Gus", organisation="Dyn", country="IT", sector="Agrifood")  # placed as they join
        away_from_hal = "s1g1" if r.group_of("Hal") == "s1g2" else "s1g2"  # same size: the one without Dyn
        assert r.group_of("Gus") == away_from_hal
        sizes = sorted(len(g.members) for g in r.split_of().groups.values())
        assert sizes == [4, 5]

    def test_a_late_joiner_is_placed_as_they_join_and_only_once(self, room: GroupRoom) -> None:
        room.people("Gus")  # joining after the split places them in the same transaction
        assert room.group_of("Gus") in room.split_of().groups
        then_error(room.when(room.on_split("place_participant", room.as_("Gus"))), "already_placed")
        cmd = room.on_split("place_participant", room.as_("Ann"), participant_id=room.id("Gus"))
        then_error(room.when(cmd), "forbidden")  # only oneself

    def test_a_late_joiner_of_a_new_value_gets_a_new_group_in_a_split_by_attribute(self) -> None:
        r = GroupRoom()
        r.people(*ROOM)
        r.given(r.split(strategy="by:country", groups=None, size=3))
        r.people("Gus", country="FR")
        assert r.group_of("Gus") == "s1g3" and r.split_of().groups["s1g3"].label == "FR"
        r.people("Hal", country="FR")
        assert r.group_of("Hal") == "s1g3"
        r.people("Ivo", country="IT")  # the IT group is full (3): a second IT group
        assert r.group_of("Ivo") not in ("s1g1", "s1g2", "s1g3")
        assert r.split_of().groups[r.group_of("Ivo")].label == "IT"


class TestNamesTablesRapporteurs:
    def test_the_facilitator_or_a_member_names_a_group(self, room: GroupRoom) -> None:
        group = room.group_of("Ann")
        then(
            room.when(room.on_split("rename_group", group_id=group, name=" Blue ")),
            ("Split.GroupRenamed", {"name": "Blue"}),
        )
        w = room.when(room.on_split("rename_group", room.as_("Ann"), group_id=group, name="Azure"))
        then(w, ("Split.GroupRenamed", {"group_id": group, "name": "Azure"}))
        then_nothing(room.when(room.on_split("rename_group", room.as_("Ann"), group_id=group, name="Azure")), "Split")

    @pytest.mark.parametrize(
        ("text", "code"), [("x" * 81, "text_too_long"), ("a\x00b", "invalid_text"), (5, "invalid_args")]
    )
    def test_names_are_validated_like_other_text(self, room: GroupRoom, text: Any, code: str) -> None:
        then_error(room.when(room.on_split("rename_group", group_id="s1g1", name=text)), code)

    def test_a_participant_cannot_rename_another_group(self, room: GroupRoom) -> None:
        other = room.group_of(room.stranger("Ann"))
        then_error(
            room.when(room.on_split("rename_group", room.as_("Ann"), group_id=other, name="Ours")), "not_a_member"
        )

    def test_tables(self, room: GroupRoom) -> None:
        then(room.when(room.on_split("set_table", group_id="s1g1", table=12)), ("Split.TableSet", {"table": 12}))
        then(room.when(room.on_split("set_table", group_id="s1g1", table=None)), ("Split.TableSet", {"table": 0}))
        then_error(room.when(room.on_split("set_table", group_id="s1g1", table=1000)), "invalid_args")
        then_error(room.when(room.on_split("set_table", room.as_("Ann"), group_id="s1g1", table=3)), "forbidden")

    def test_the_facilitator_chooses_a_rapporteur_among_the_members(self, room: GroupRoom) -> None:
        group = room.group_of("Ann")
        w = room.when(room.on_split("set_rapporteur", group_id=group, participant_id=room.id("Ann")))
        then(w, ("Split.RapporteurChosen", {"participant_id": room.id("Ann"), "chosen_by": "facilitator"}))
        stranger = room.id(room.stranger("Ann"))
        then_error(room.when(room.on_split("set_rapporteur", group_id=group, participant_id=stranger)), "not_a_member")

    def test_the_group_chooses_its_rapporteur_and_only_its_own(self, room: GroupRoom) -> None:
        group, mate = room.group_of("Ann"), room.mates("Ann")[0]
        w = room.when(room.on_split("set_rapporteur", room.as_("Ann"), group_id=group, participant_id=room.id(mate)))
        then(w, ("Split.RapporteurChosen", {"participant_id": room.id(mate), "chosen_by": "group"}))
        then(
            room.when(room.on_split("set_rapporteur", room.as_("Ann"), group_id=group, participant_id=None)),
            ("Split.RapporteurChosen", {"participant_id": ""}),
        )
        other = room.group_of(room.stranger("Ann"))
        cmd = room.on_split("set_rapporteur", room.as_("Ann"), group_id=other, participant_id=room.id("Ann"))
        then_error(room.when(cmd), "not_a_member")

    def test_a_participant_who_left_can_do_nothing(self, room: GroupRoom) -> None:
        room.s.given(room.s.command("leave", {}, room.as_("Ann")))
        then_error(
            room.when(room.on_split("rename_group", room.as_("Ann"), group_id=room.group_of("Ann"), name="X")),
            "not_joined",
        )


class TestQuestionSets:
    def test_posed_to_every_group_with_time_boxes_and_categories(self, room: GroupRoom) -> None:
        w = room.when(room.pose(title="Internationalisation", categories=["offer", "Offer", "demand"]))
        then(
            w,
            (
                "QuestionSet.Created",
                {
                    "split_id": room.splits["s"],
                    "title": "Internationalisation",
                    "questions": [
                        {"id": "q1", "prompt": "Why?", "time_box_min": 0},
                        {"id": "q2", "prompt": "How?", "time_box_min": 10},
                    ],
                    "groups": [],
                    "categories": ["offer", "demand"],
                    "visibility": "own",
                },
            ),
        )
        assert w.outcome.result == {"question_set_id": str(room.sets["q"])}

    def test_different_questions_for_different_groups(self, room: GroupRoom) -> None:
        room.given(room.pose("a", groups=["s1g1"]), room.pose("b", groups=["s1g2"], questions=["Who?"]))
        ann_set = "a" if room.group_of("Ann") == "s1g1" else "b"
        other_set = "b" if ann_set == "a" else "a"
        then(room.when(room.add("Ann", "Us", qs=ann_set)), "AnswerSheet.Created", "AnswerSheet.ContributionAdded")
        cmd = room.write("Ann", "add_contribution", qs=other_set, question_id="q1", text="Us")
        then_error(room.when(cmd), "not_in_scope")

    @pytest.mark.parametrize(
        ("args", "code"),
        [
            ({"questions": []}, "invalid_args"),
            ({"questions": ["?"] * 31}, "invalid_args"),
            ({"questions": [{"prompt": ""}]}, "invalid_text"),
            ({"questions": [{"prompt": "Why?", "time_box_min": 0}]}, "invalid_args"),
            ({"questions": [{"prompt": "Why?", "colour": 1}]}, "invalid_args"),
            ({"groups": ["s1g9"]}, "unknown_group"),
            ({"groups": "s1g1"}, "invalid_args"),
            ({"categories": [""]}, "invalid_text"),
            ({"visibility": "public"}, "invalid_args"),
            ({"split_id": "00000000-0000-0000-0000-000000000000"}, "unknown_split"),
        ],
    )
    def test_refuses(self, room: GroupRoom, args: dict[str, Any], code: str) -> None:
        then_error(room.when(room.pose(**args)), code)

    def test_a_category_holding_a_semicolon_is_refused_with_its_own_code(self, room: GroupRoom) -> None:
        # answers.csv joins an answer's tags with "; ": a category holding ';' would read as two.
        then_error(room.when(room.pose(categories=["offer; demand"])), "invalid_category")

    def test_only_the_facilitator_poses_and_not_to_a_superseded_split(self, room: GroupRoom) -> None:
        cmd = room.command("pose_questions", {"split_id": str(room.splits["s"]), "questions": ["?"]}, room.as_("Ann"))
        then_error(room.when(cmd), "forbidden")
        room.given(room.split("t"))
        then_error(room.when(room.pose()), "split_superseded")

    def test_visibility(self, posed: GroupRoom) -> None:
        then(
            posed.when(posed.on_set("set_sheet_visibility", visibility="all")),
            ("QuestionSet.VisibilityChanged", {"visibility": "all"}),
        )
        then_nothing(posed.when(posed.on_set("set_sheet_visibility", visibility="all")), "QuestionSet")
        then_error(posed.when(posed.on_set("set_sheet_visibility", posed.as_("Ann"), visibility="own")), "forbidden")

    def test_locking_all_then_unlocking_one(self, posed: GroupRoom) -> None:
        then(posed.when(posed.on_set("lock_answers")), ("QuestionSet.LockChanged", {"all_groups": True, "groups": []}))
        then_error(posed.when(posed.add("Ann", "Late")), "answers_locked")
        mine = posed.group_of("Ann")
        w = posed.when(posed.on_set("lock_answers", group_id=mine, locked=False))
        other = "s1g1" if mine == "s1g2" else "s1g2"
        then(w, ("QuestionSet.LockChanged", {"all_groups": False, "groups": [other]}))
        then(posed.when(posed.add("Ann", "In time")), "AnswerSheet.Created", "AnswerSheet.ContributionAdded")
        then_error(posed.when(posed.add(posed.stranger("Ann"), "Late")), "answers_locked")
        then(
            posed.when(posed.on_set("lock_answers", locked=False)),
            ("QuestionSet.LockChanged", {"all_groups": False, "groups": []}),
        )
        then_nothing(posed.when(posed.on_set("lock_answers", locked=False)), "QuestionSet")

    def test_report_back_steps_through_the_groups(self, posed: GroupRoom) -> None:
        then(
            posed.when(posed.on_set("show_report_back", group_id="s1g2")),
            ("QuestionSet.ReportBackMoved", {"group_id": "s1g2"}),
        )
        then(
            posed.when(posed.on_set("show_report_back", group_id=None)),
            ("QuestionSet.ReportBackMoved", {"group_id": ""}),
        )
        then_error(posed.when(posed.on_set("show_report_back", group_id="s1g7")), "unknown_group")

    def test_an_unknown_question_set(self, room: GroupRoom) -> None:
        cmd = room.command("set_sheet_visibility", {"question_set_id": str(room.splits["s"]), "visibility": "all"})
        then_error(room.when(cmd), "unknown_question_set")  # a split's id is not a question set's


class TestContributions:
    def test_a_member_adds_and_the_first_contribution_opens_the_sheet(self, posed: GroupRoom) -> None:
        group = posed.group_of("Ann")
        w = posed.when(posed.add("Ann", "  Shared labs\nand data  ", tags=["demand", "offer"]))
        then(
            w,
            (
                "AnswerSheet.Created",
                {"question_set_id": posed.sets["q"], "group_id": group, "split_id": posed.splits["s"]},
            ),
            (
                "AnswerSheet.ContributionAdded",
                {
                    "contribution_id": "c1",
                    "question_id": "q1",
                    "author_id": posed.id("Ann"),
                    "text": "Shared labs\nand data",
                    "tags": ["offer", "demand"],
                },
            ),
        )
        assert w.outcome.result == {"contribution_id": "c1", "version": 1}
        assert w.outcome.target == sheet_id_for(posed.sets["q"], group)
        w = posed.when(posed.add(posed.mates("Ann")[0], "Training", question="q2"))
        then(w, ("AnswerSheet.ContributionAdded", {"contribution_id": "c2", "question_id": "q2"}))

    def test_the_facilitator_may_write_on_any_sheet(self, posed: GroupRoom) -> None:
        w = posed.when(posed.write("facilitator", "add_contribution", group="s1g2", question_id="q1", text="Hint"))
        then(w, "AnswerSheet.Created", ("AnswerSheet.ContributionAdded", {"author_id": ""}))

    def test_a_participant_cannot_write_on_another_groups_sheet(self, posed: GroupRoom) -> None:
        other = posed.group_of(posed.stranger("Ann"))
        cmd = posed.write("Ann", "add_contribution", group=other, question_id="q1", text="Sneaky")
        then_error(posed.when(cmd), "not_a_member")
        posed.given(posed.add(posed.stranger("Ann"), "Theirs"))
        for command, args in (
            ("edit_contribution", {"contribution_id": "c1", "text": "Mine", "base_version": 1}),
            ("remove_contribution", {"contribution_id": "c1"}),
            ("mark_final", {}),
        ):
            then_error(posed.when(posed.write("Ann", command, group=other, **args)), "not_a_member")

    @pytest.mark.parametrize(
        ("args", "code"),
        [
            ({"text": ""}, "invalid_text"),
            ({"text": "   \n  "}, "invalid_text"),
            ({"text": "x" * 2001}, "text_too_long"),
            ({"text": "bell\x07"}, "invalid_text"),
            ({"text": "evil\u202etxt"}, "invalid_text"),
            ({"text": 5}, "invalid_args"),
            ({"question_id": "q9"}, "unknown_question"),
            ({"tags": ["gossip"]}, "unknown_category"),
            ({"tags": "offer"}, "invalid_args"),
            ({"colour": "red"}, "invalid_args"),
            ({"group": "s1g9"}, "unknown_group"),
        ],
    )
    def test_refuses(self, posed: GroupRoom, args: dict[str, Any], code: str) -> None:
        then_error(
            posed.when(posed.write("Ann", "add_contribution", **{"question_id": "q1", "text": "Ok", **args})), code
        )

    def test_edit_from_the_current_version(self, posed: GroupRoom) -> None:
        make_rapporteur(posed, posed.mates("Ann")[0])  # the rapporteur may change anyone's contribution
        mate = posed.mates("Ann")[0]
        posed.given(posed.add("Ann", "Labs"))
        w = posed.when(posed.write(mate, "edit_contribution", contribution_id="c1", text="Shared labs", base_version=1))
        then(
            w,
            (
                "AnswerSheet.ContributionEdited",
                {"text": "Shared labs", "version": 2, "editor_id": posed.id(mate), "tags": []},
            ),
        )
        assert w.outcome.result == {"contribution_id": "c1", "version": 2}
        w = posed.when(
            posed.write(
                "Ann", "edit_contribution", contribution_id="c1", text="Shared labs", tags=["offer"], base_version=2
            )
        )
        then(w, ("AnswerSheet.ContributionEdited", {"tags": ["offer"], "version": 3}))
        then_nothing(
            posed.when(
                posed.write("Ann", "edit_contribution", contribution_id="c1", text="Shared labs", base_version=3)
            ),
            "AnswerSheet",
        )

    def test_two_members_editing_at_once_lose_nothing(self, posed: GroupRoom) -> None:
        make_rapporteur(posed, posed.mates("Ann")[0])  # the rapporteur may change anyone's contribution
        mate = posed.mates("Ann")[0]
        posed.given(posed.add("Ann", "Labs"))
        first = posed.write("Ann", "edit_contribution", contribution_id="c1", text="Labs, shared", base_version=1)
        second = posed.write(mate, "edit_contribution", contribution_id="c1", text="Labs and data", base_version=1)
        w = posed.when(first, second)  # one batch: the first wins, the second is told
        assert w.outcomes[0].error is None and [name(e) for e in w.events] == ["AnswerSheet.ContributionEdited"]
        error = then_error(When(w.outcomes[1:], []), "edit_conflict")
        assert isinstance(error, ConflictError)
        assert error.details == {
            "contribution_id": "c1",
            "yours": {"text": "Labs and data", "tags": [], "base_version": 1},
            "theirs": {"text": "Labs, shared", "tags": [], "version": 2, "editor": posed.id("Ann")},
        }
        # The second writer merges both and edits from the version they were shown.
        merged = posed.write(
            mate, "edit_contribution", contribution_id="c1", text="Labs, shared, and data", base_version=2
        )
        then(posed.when(merged), ("AnswerSheet.ContributionEdited", {"version": 3}))

    def test_a_stale_edit_that_says_the_same_changes_nothing(self, posed: GroupRoom) -> None:
        make_rapporteur(posed, posed.mates("Ann")[0])  # the rapporteur may change anyone's contribution
        posed.given(
            posed.add("Ann", "Labs"),
            posed.write("Ann", "edit_contribution", contribution_id="c1", text="Lab", base_version=1),
        )
        w = posed.when(
            posed.write(posed.mates("Ann")[0], "edit_contribution", contribution_id="c1", text="Lab", base_version=1)
        )
        then_nothing(w, "AnswerSheet")

    def test_editing_a_removed_contribution_hands_the_text_back(self, posed: GroupRoom) -> None:
        make_rapporteur(posed, posed.mates("Ann")[0])  # the rapporteur may change anyone's contribution
        posed.given(posed.add("Ann", "Labs"), posed.write("Ann", "remove_contribution", contribution_id="c1"))
        w = posed.when(
            posed.write(
                posed.mates("Ann")[0], "edit_contribution", contribution_id="c1", text="Keep me", base_version=1
            )
        )
        error = then_error(w, "contribution_removed")
        assert isinstance(error, ConflictError) and error.details["yours"]["text"] == "Keep me"

    @pytest.mark.parametrize(
        ("args", "code"),
        [
            ({"contribution_id": "c9", "base_version": 1}, "unknown_contribution"),
            ({"contribution_id": "c1"}, "invalid_args"),  # base_version is required
            ({"contribution_id": "c1", "base_version": 0}, "invalid_args"),
            ({"contribution_id": "c1", "base_version": 1, "tags": ["gossip"]}, "unknown_category"),
        ],
    )
    def test_edit_refuses(self, posed: GroupRoom, args: dict[str, Any], code: str) -> None:
        posed.given(posed.add("Ann", "Labs"))
        then_error(posed.when(posed.write("Ann", "edit_contribution", **{"text": "New", **args})), code)

    def test_remove(self, posed: GroupRoom) -> None:
        make_rapporteur(posed, posed.mates("Ann")[0])  # the rapporteur may change anyone's contribution
        posed.given(
            posed.add("Ann", "Labs"),
            posed.write("Ann", "edit_contribution", contribution_id="c1", text="Lab", base_version=1),
        )
        stale = posed.write(posed.mates("Ann")[0], "remove_contribution", contribution_id="c1", base_version=1)
        error = then_error(posed.when(stale), "edit_conflict")
        assert isinstance(error, ConflictError) and error.details["theirs"]["text"] == "Lab"
        w = posed.when(posed.write(posed.mates("Ann")[0], "remove_contribution", contribution_id="c1", base_version=2))
        then(
            w, ("AnswerSheet.ContributionRemoved", {"contribution_id": "c1", "by_id": posed.id(posed.mates("Ann")[0])})
        )
        assert posed.sheet(posed.group_of("Ann")).contributions["c1"].removed
        then_nothing(posed.when(posed.write("Ann", "remove_contribution", contribution_id="c1")), "AnswerSheet")
        then(posed.when(posed.add("Ann", "Next")), ("AnswerSheet.ContributionAdded", {"contribution_id": "c2"}))
        then(
            posed.when(
                posed.write("facilitator", "remove_contribution", group=posed.group_of("Ann"), contribution_id="c2")
            ),
            ("AnswerSheet.ContributionRemoved", {"by_id": ""}),
        )

    def test_a_member_edits_and_removes_only_their_own(self, posed: GroupRoom) -> None:
        mate = posed.mates("Ann")[0]
        posed.given(posed.add("Ann", "Labs"))
        edit = posed.write(mate, "edit_contribution", contribution_id="c1", text="Mine now", base_version=1)
        then_error(posed.when(edit), "not_your_contribution")
        then_error(posed.when(posed.write(mate, "remove_contribution", contribution_id="c1")), "not_your_contribution")
        then(
            posed.when(posed.write("Ann", "edit_contribution", contribution_id="c1", text="Lab", base_version=1)),
            ("AnswerSheet.ContributionEdited", {"editor_id": posed.id("Ann")}),
        )
        then(
            posed.when(posed.write("Ann", "remove_contribution", contribution_id="c1")),
            ("AnswerSheet.ContributionRemoved", {"by_id": posed.id("Ann")}),
        )

    def test_the_rapporteur_and_the_facilitator_change_anyones(self, posed: GroupRoom) -> None:
        mate, group = posed.mates("Ann")[0], posed.group_of("Ann")
        posed.given(posed.add("Ann", "Labs"), posed.add("Ann", "Data"))
        make_rapporteur(posed, mate)
        then(
            posed.when(posed.write(mate, "edit_contribution", contribution_id="c1", text="Lab", base_version=1)),
            ("AnswerSheet.ContributionEdited", {"editor_id": posed.id(mate)}),
        )
        then(
            posed.when(posed.write(mate, "remove_contribution", contribution_id="c1")),
            "AnswerSheet.ContributionRemoved",
        )
        then(
            posed.when(posed.write("facilitator", "remove_contribution", group=group, contribution_id="c2")),
            ("AnswerSheet.ContributionRemoved", {"by_id": ""}),
        )

    def test_a_removal_is_undone_within_a_minute(self, posed: GroupRoom) -> None:
        posed.given(posed.add("Ann", "Labs"), posed.write("Ann", "remove_contribution", contribution_id="c1"))
        then_error(
            posed.when(posed.write(posed.mates("Ann")[0], "restore_contribution", contribution_id="c1")),
            "not_your_contribution",
        )
        posed.later = timedelta(seconds=55)
        w = posed.when(posed.write("Ann", "restore_contribution", contribution_id="c1"))
        then(w, ("AnswerSheet.ContributionRestored", {"contribution_id": "c1", "by_id": posed.id("Ann")}))
        c = posed.sheet(posed.group_of("Ann")).contributions["c1"]
        assert not c.removed and (c.text, c.version) == ("Labs", 1)
        then_nothing(posed.when(posed.write("Ann", "restore_contribution", contribution_id="c1")), "AnswerSheet")

    def test_only_who_removed_it_the_rapporteur_or_the_facilitator_restore_it(self, posed: GroupRoom) -> None:
        """Ann's contribution removed by the rapporteur or the facilitator stays removed for Ann; the remover, the
        rapporteur and the facilitator may bring it back within the minute."""
        mate, group = posed.mates("Ann")[0], posed.group_of("Ann")
        posed.given(posed.add("Ann", "Labs"), posed.add("Ann", "Data"))
        make_rapporteur(posed, mate)
        posed.given(
            posed.write(mate, "remove_contribution", contribution_id="c1"),
            posed.write("facilitator", "remove_contribution", group=group, contribution_id="c2"),
        )
        posed.later = timedelta(seconds=30)
        for cid in ("c1", "c2"):
            then_error(
                posed.when(posed.write("Ann", "restore_contribution", contribution_id=cid)), "not_your_contribution"
            )
        then(
            posed.when(posed.write(mate, "restore_contribution", contribution_id="c2")),
            ("AnswerSheet.ContributionRestored", {"contribution_id": "c2", "by_id": posed.id(mate)}),
        )
        then(
            posed.when(posed.write("facilitator", "restore_contribution", group=group, contribution_id="c1")),
            ("AnswerSheet.ContributionRestored", {"contribution_id": "c1", "by_id": ""}),
        )

    def test_a_removal_older_than_a_minute_stands(self, posed: GroupRoom) -> None:
        posed.given(posed.add("Ann", "Labs"), posed.write("Ann", "remove_contribution", contribution_id="c1"))
        posed.later = timedelta(seconds=61)
        then_error(posed.when(posed.write("Ann", "restore_contribution", contribution_id="c1")), "undo_expired")
        assert posed.sheet(posed.group_of("Ann")).contributions["c1"].removed


class TestFinalAnswers:
    def test_the_rapporteur_marks_final_and_then_nobody_edits_until_unmarked(self, posed: GroupRoom) -> None:
        group, mate = posed.group_of("Ann"), posed.mates("Ann")[0]
        posed.given(
            posed.add("Ann", "Labs"), posed.on_split("set_rapporteur", group_id=group, participant_id=posed.id("Ann"))
        )
        then_error(posed.when(posed.write(mate, "mark_final")), "not_rapporteur")
        then(
            posed.when(posed.write("Ann", "mark_final")),
            ("AnswerSheet.FinalMarked", {"final": True, "by_id": posed.id("Ann")}),
        )
        then_error(posed.when(posed.add(mate, "More")), "answers_final")
        then_error(
            posed.when(posed.write(mate, "edit_contribution", contribution_id="c1", text="L", base_version=1)),
            "answers_final",
        )
        then_nothing(posed.when(posed.write("Ann", "mark_final")), "AnswerSheet")
        then(
            posed.when(posed.write("facilitator", "mark_final", group=group, final=False)),
            ("AnswerSheet.FinalMarked", {"final": False, "by_id": ""}),
        )
        then(posed.when(posed.add(mate, "More")), "AnswerSheet.ContributionAdded")

    def test_without_a_rapporteur_any_member_marks_final_even_an_empty_sheet(self, posed: GroupRoom) -> None:
        then(
            posed.when(posed.write("Ann", "mark_final")),
            "AnswerSheet.Created",
            ("AnswerSheet.FinalMarked", {"final": True}),
        )

    def test_a_locked_sheet_cannot_be_marked(self, posed: GroupRoom) -> None:
        posed.given(posed.on_set("lock_answers"))
        then_error(posed.when(posed.write("Ann", "mark_final")), "answers_locked")


class TestRetries:
    def test_a_retried_contribution_is_added_once_even_after_later_changes(self, posed: GroupRoom) -> None:
        add = posed.add("Ann", "Labs")
        posed.given(add)
        posed.given(
            posed.add("Ann", "Data"),
            posed.write("Ann", "edit_contribution", contribution_id="c1", text="L", base_version=1),
        )
        w = posed.when(add)
        assert w.outcome.duplicate and w.outcome.result == {"contribution_id": "c1", "version": 1} and w.events == []
        assert len(posed.sheet(posed.group_of("Ann")).contributions) == 2

    def test_a_retried_edit_is_a_duplicate_not_a_conflict(self, posed: GroupRoom) -> None:
        posed.given(posed.add("Ann", "Labs"))
        edit = posed.write("Ann", "edit_contribution", contribution_id="c1", text="Lab", base_version=1)
        posed.given(edit)
        w = posed.when(edit)
        assert (
            w.outcome.error is None
            and w.outcome.duplicate
            and w.outcome.result == {"contribution_id": "c1", "version": 2}
        )

    def test_a_retried_no_op_stays_a_no_op(self, room: GroupRoom) -> None:
        rename = room.on_split("rename_group", group_id="s1g1", name="")
        room.given(rename)
        room.given(room.on_split("rename_group", group_id="s1g1", name="Blue"))
        w = room.when(rename)  # not applied late: the name stays Blue
        assert w.outcome.duplicate and w.events == [] and room.split_of().groups["s1g1"].name == "Blue"

    def test_the_same_retry_in_one_batch(self, posed: GroupRoom) -> None:
        add = posed.add("Ann", "Labs")
        w = posed.when(add, add)
        assert [o.duplicate for o in w.outcomes] == [False, True]
        assert [name(e) for e in w.events] == ["AnswerSheet.Created", "AnswerSheet.ContributionAdded"]


class TestSupersededAnswers:
    def test_sheets_of_a_superseded_split_are_history(self, posed: GroupRoom) -> None:
        posed.given(posed.add("Ann", "Labs"))
        group = posed.group_of("Ann")
        posed.given(posed.split("t"))
        then_error(
            posed.when(posed.write("Ann", "add_contribution", group=group, question_id="q1", text="x")),
            "split_superseded",
        )


def test_every_command_has_a_target_and_roles() -> None:
    for command, spec in GROUP_COMMANDS.items():
        assert spec.roles <= {"facilitator", "participant"}, command
    wid = UUID(int=1)
    assert target_id("split_groups", wid, "c1", {}) == split_id_for(wid, "c1")
    assert target_id("pose_questions", wid, "c1", {}) == question_set_id_for(wid, "c1")
    args = {"question_set_id": str(UUID(int=2)), "group_id": "s1g1"}
    assert target_id("add_contribution", wid, "c1", args) == sheet_id_for(UUID(int=2), "s1g1")


def test_unknown_command(room: GroupRoom) -> None:
    then_error(room.when(room.command("dance")), "unknown_command")
