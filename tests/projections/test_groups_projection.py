"""The group-work read model and its views: folding event by event equals folding the whole stream, the fold
agrees with the aggregates, and each audience sees what it should (and a hidden sheet is not in the view)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.application import Command
from domain.groups import Split
from projections import workshop as workshop_projection
from projections.group_views import facilitator_view, participant_view, report_back_order, report_back_view
from projections.groups import GroupsIndex, GroupsModel, apply, apply_any, fold
from tests.domain.test_groups import ROOM, GroupRoom


def stream(room: GroupRoom) -> list[tuple[int, Any]]:
    return [(n.id, room.app.mapper.to_domain_event(n)) for n in room.app.recorder.select_notifications(1, 100_000)]


def views(room: GroupRoom, model: GroupsModel, events: list[tuple[int, Any]]) -> dict[str, Any]:
    w = workshop_projection.fold(room.s.workshop_id, events)
    return {
        "facilitator": facilitator_view(model, w),
        "participants": {a: participant_view(model, w, room.id(a)) for a in ROOM},
        "report_back": report_back_view(model, w),
    }


def busy_room() -> GroupRoom:
    """A session with everything in it: a split, moves and a late joiner, names, tables, rapporteurs, questions
    to all and to one group, contributions edited, removed and marked final, a lock, a re-split."""
    r = GroupRoom()
    r.people(*ROOM)
    r.given(r.split(strategy="by:sector", groups=None, size=3))
    r.people("Gus", organisation="Dyn", country="FR", sector="Mobility")
    g1, g2 = r.group_of("Ann"), r.group_of("Bob")
    r.given(
        r.on_split("rename_group", group_id=g1, name="Farmers"),
        r.on_split("set_table", group_id=g2, table=7),
        r.on_split("set_rapporteur", r.as_("Ann"), group_id=g1, participant_id=r.id("Cy")),
        r.pose(categories=["offer", "demand"]),
        r.pose("one", groups=[g2], questions=["Only you?"]),
    )
    r.given(
        r.add("Ann", "Shared labs", tags=["offer"]),
        r.add("Cy", "Funding", question="q2"),
        r.add("Bob", "Grids"),
        r.add("Bob", "Only us", qs="one"),
    )
    r.given(
        r.write("Cy", "edit_contribution", contribution_id="c1", text="Shared labs and data", base_version=1),
        r.write("Cy", "remove_contribution", contribution_id="c2"),
        r.on_split("move_participant", participant_id=r.id("Cy"), group_id=g2),
        r.write("Ann", "mark_final"),
        r.on_set("lock_answers", group_id=g2),
        r.on_set("set_sheet_visibility", visibility="all"),
        r.on_set("show_report_back", group_id=g2),
    )
    r.given(r.on_split("rename_group", group_id=g1, name="Farmers"))  # a no-op, noted
    return r


def test_folding_one_event_at_a_time_equals_folding_the_whole_stream() -> None:
    r = busy_room()
    r.given(r.split("t"), r.pose("later", split="t"))
    events = stream(r)
    live = GroupsModel(r.s.workshop_id)
    for i, (position, event) in enumerate(events, 1):
        apply(live, event, position)
        assert views(r, live, events[:i]) == views(r, fold(r.s.workshop_id, events[:i]), events[:i]), i
    assert live == fold(r.s.workshop_id, events)


def test_the_fold_agrees_with_the_aggregates() -> None:
    r = busy_room()
    model = fold(r.s.workshop_id, stream(r))
    r.app.repository.cache = None  # aggregates rebuilt from their stored events
    split: Split = r.split_of()
    row = model.splits[split.id]
    assert row.member_of == split.member_of
    assert {g.id: (g.members, g.rapporteur, g.name, g.table, g.label) for g in row.groups.values()} == {
        g.id: (g.members, g.rapporteur, g.name, g.table, g.label) for g in split.groups.values()
    }
    assert row.quality == split.quality and model.current == split.id
    for sheet_id, sheet in model.sheets.items():
        aggregate = r.get(sheet_id)
        assert {c: (x.text, x.version, x.removed) for c, x in sheet.contributions.items()} == {
            c: (x.text, x.version, x.removed) for c, x in aggregate.contributions.items()
        }
        assert sheet.final == aggregate.final


def test_routing_by_workshop_ignores_other_workshops() -> None:
    a, b = busy_room(), GroupRoom()
    b.app = a.app  # a second workshop on the same store
    b.s = type(a.s)(app=a.app)
    b.people("Ann", "Bob")
    b.given(b.split(), b.pose())
    b.given(b.add("Ann", "Elsewhere"))
    index = GroupsIndex()
    events = stream(a)
    for position, event in events:
        apply_any(index, event, position)
    assert set(index.models) == {a.s.workshop_id, b.s.workshop_id}
    for room in (a, b):
        # The same model; only ``position`` differs (the fold also counts other workshops' events).
        assert replace(index.models[room.s.workshop_id], position=0) == replace(
            fold(room.s.workshop_id, events), position=0
        )
    assert apply_any(index, object(), 10**9) is None


class TestFacilitatorView:
    def test_groups_balance_answers_side_by_side_and_who_answered(self) -> None:
        r = busy_room()
        events = stream(r)
        view = views(r, fold(r.s.workshop_id, events), events)["facilitator"]
        split = view["split"]
        assert split["strategy"] == "by:sector" and split["quality"]["sizes"] == [2, 4, 1]
        farmers = next(g for g in split["groups"] if g["name"] == "Farmers")
        assert farmers["title"] == "Farmers" and farmers["rapporteur"] is None  # Cy was moved away
        assert {m["name"]: (m["country"], m["organisation"]) for m in farmers["members"]} == {
            "Ann": ("IT", "Acme"),
            "Eve": ("IT", "Cori"),
        }
        assert [p["name"] for p in split["placements"]] == ["Gus", "Cy"]
        assert [p["how"] for p in split["placements"]] == ["planner", "manual"]
        assert next(g for g in split["groups"] if g["label"] == "Mobility")["title"] == "Mobility"
        everyone, only = view["question_sets"]
        assert [q["ends_at"] != "" for q in everyone["questions"]] == [False, True]
        [why, how] = everyone["answers"]
        side_by_side = {g["group_id"]: [c["text"] for c in g["contributions"]] for g in why["groups"]}
        assert side_by_side == {
            r.group_of("Ann"): ["Shared labs and data"],
            r.group_of("Bob"): ["Grids"],
            r.group_of("Gus"): [],
        }
        assert all(g["contributions"] == [] for g in how["groups"])  # Cy's was removed
        status = {s["group_id"]: (s["answered"], s["final"], s["locked"]) for s in everyone["status"]}
        assert status == {
            r.group_of("Ann"): (True, True, False),
            r.group_of("Bob"): (True, False, True),
            r.group_of("Gus"): (False, False, False),
        }
        assert [g["group_id"] for g in only["answers"][0]["groups"]] == [r.group_of("Bob")]
        edited = why["groups"][0]["contributions"][0]
        assert edited["edited"] and edited["author_name"] == "Ann" and edited["tags"] == ["offer"]

    def test_a_resplit_keeps_the_old_one_in_the_history(self) -> None:
        r = busy_room()
        r.given(r.split("t"))
        events = stream(r)
        view = views(r, fold(r.s.workshop_id, events), events)["facilitator"]
        assert [(h["number"], h["superseded"]) for h in view["history"]] == [(1, True), (2, False)]
        assert view["split"]["number"] == 2 and view["question_sets"] == []

    def test_a_late_joiner_is_shown_placed_not_unplaced(self, room: GroupRoom) -> None:
        room.people("Gus")
        events = stream(room)
        view = views(room, fold(room.s.workshop_id, events), events)["facilitator"]
        assert view["split"]["unplaced"] == []
        placed = [m["name"] for g in view["split"]["groups"] for m in g["members"]]
        assert "Gus" in placed


class TestParticipantView:
    def test_own_group_and_sheet_others_only_when_shown(self, posed: GroupRoom) -> None:
        stranger = posed.stranger("Ann")
        posed.given(posed.add("Ann", "Mine"), posed.add(stranger, "Theirs"))
        events = stream(posed)
        model = fold(posed.s.workshop_id, events)
        w = workshop_projection.fold(posed.s.workshop_id, events)
        view = participant_view(model, w, posed.id("Ann"))
        assert view["group"]["id"] == posed.group_of("Ann")
        [qs] = view["question_sets"]
        assert [c["text"] for c in qs["sheet"]["answers"]["q1"]] == ["Mine"]
        assert qs["others"] is None and "Theirs" not in repr(view)
        posed.given(posed.on_set("set_sheet_visibility", visibility="all"))
        events = stream(posed)
        view = participant_view(fold(posed.s.workshop_id, events), w, posed.id("Ann"))
        [other] = view["question_sets"][0]["others"]
        assert other["group_id"] == posed.group_of(stranger) and other["answers"]["q1"][0]["text"] == "Theirs"

    def test_questions_for_other_groups_are_not_shown(self, room: GroupRoom) -> None:
        room.given(room.pose(groups=[room.group_of(room.stranger("Ann"))]))
        events = stream(room)
        w = workshop_projection.fold(room.s.workshop_id, events)
        assert participant_view(fold(room.s.workshop_id, events), w, room.id("Ann"))["question_sets"] == []

    def test_nobody_in_a_group_yet(self) -> None:
        r = GroupRoom()
        r.people("Ann")
        events = stream(r)
        w = workshop_projection.fold(r.s.workshop_id, events)
        view = participant_view(fold(r.s.workshop_id, events), w, r.id("Ann"))
        assert view == {"split_id": None, "group": None, "question_sets": [], "position": 3}


def test_report_back_walks_the_groups_by_table_then_number() -> None:
    r = busy_room()
    events = stream(r)
    model = fold(r.s.workshop_id, events)
    qs = r.sets["q"]
    tables = {g.id: g.table for g in model.splits[r.splits["s"]].groups.values()}
    order = report_back_order(model, qs)
    assert order == sorted(tables, key=lambda g: (tables[g] == 0, tables[g], int(g.split("g")[1])))
    view = report_back_view(model, workshop_projection.fold(r.s.workshop_id, events))
    assert view is not None and view["question_set"]["id"] == str(qs)  # the latest set being reported on
    assert report_back_view(model, workshop_projection.fold(r.s.workshop_id, events), r.sets["one"]) is None
    view = report_back_view(model, workshop_projection.fold(r.s.workshop_id, events), qs)
    assert view is not None and view["order"] == order and view["showing"] == r.group_of("Bob")
    # Only the group on the screen, and only what the screen shows of it: no authors, no organisations.
    assert [g["id"] for g in view["groups"]] == [r.group_of("Bob")]
    text = repr(view)
    assert "author" not in text and "organisation" not in text and "sector" not in text


@pytest.fixture
def room() -> GroupRoom:
    r = GroupRoom()
    r.people(*ROOM)
    r.given(r.split())
    return r


@pytest.fixture
def posed(room: GroupRoom) -> GroupRoom:
    room.given(room.pose())
    return room


def write(r: GroupRoom, who: str, kind: str, contribution_id: str, version: int, text: str) -> Command:
    if kind == "add":
        return r.add(who, text)
    if kind == "edit":
        return r.write(who, "edit_contribution", contribution_id=contribution_id, text=text, base_version=version)
    if kind == "remove":
        return r.write(who, "remove_contribution", contribution_id=contribution_id)
    if kind == "restore":
        return r.write(who, "restore_contribution", contribution_id=contribution_id)
    return r.write(who, "mark_final", final=kind == "final")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(ROOM)),
            st.sampled_from(["add", "edit", "remove", "restore", "final", "unfinal"]),
            st.integers(1, 4),
            st.integers(1, 3),
        ),
        max_size=25,
    )
)
def test_any_sequence_of_writes_folds_the_same_live_and_at_once(writes: list[tuple[str, str, int, int]]) -> None:
    r = GroupRoom()
    r.people(*ROOM)
    r.given(r.split(), r.pose())
    for i, (who, kind, n, version) in enumerate(writes):
        r.execute([write(r, who, kind, f"c{n}", version, f"text {i}")])  # refusals record nothing
    events = stream(r)
    live = GroupsModel(r.s.workshop_id)
    for position, event in events:
        apply(live, event, position)
    assert live == fold(r.s.workshop_id, events)
    for sheet_id, sheet in live.sheets.items():
        assert {c: (x.text, x.version, x.removed) for c, x in sheet.contributions.items()} == {
            c: (x.text, x.version, x.removed) for c, x in r.get(sheet_id).contributions.items()
        }


def test_time_boxes_run_one_after_another() -> None:
    """ "10 minutes per question" for two questions: the second box starts when the first ends, 20 minutes in."""
    from uuid import uuid4

    from projections.group_views import question_set_view
    from projections.groups import QuestionSetRow

    questions = [{"id": "q1", "prompt": "Why?", "time_box_min": 10}, {"id": "q2", "prompt": "How?", "time_box_min": 0},
                 {"id": "q3", "prompt": "Who?", "time_box_min": 10}]  # fmt: skip
    row = QuestionSetRow(uuid4(), uuid4(), "", questions, (), (), "own", "2026-11-22T10:00:00+00:00")
    [q1, q2, q3] = question_set_view(row)["questions"]
    assert q1["ends_at"] == "2026-11-22T10:10:00+00:00"
    assert q2["ends_at"] == ""
    assert (q3["starts_at"], q3["ends_at"]) == ("2026-11-22T10:10:00+00:00", "2026-11-22T10:20:00+00:00")
