"""The workshop read model and its views: folding event by event equals folding the whole stream, and applying
live updates (``views.diff`` ops, as the browser applies them) to an old view equals a fresh fetch."""

from __future__ import annotations

import copy
import json
import random
from collections import Counter
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.application import Command, Outcome, Tavolo
from projections import views
from projections.workshop import WorkshopModel, apply, fold
from tests.domain.builders import ANONYMOUS, MEMORY, Scenario, participant

SETTINGS = settings(max_examples=25, deadline=None, database=None)

NAMES = ["Ann", "Bob", "Cy", "Dee", "Eve", "Fay", "Gus"]
COUNTRIES = ["IT", "FR", "DE", "ES"]
ORGANISATIONS = ["Cluster X", "Cluster Y", "Uni Z"]
SECTOR_SETS = [["Agrifood", "Energy", "Mobility"], ["Energy", "Tourism"], ["Agrifood", "Energy"]]
TITLES = ["Welcome", "Pitches", "Coffee", "Groups", "Wrap-up"]
KINDS = ["plenary", "group_work", "poll", "break"]

_index = st.integers(0, 1000)
ACTION = st.one_of(
    st.tuples(
        st.just("join"),
        st.sampled_from(NAMES),
        st.sampled_from(COUNTRIES),
        st.sampled_from(ORGANISATIONS),
        _index,
    ),
    st.tuples(
        st.just("profile"),
        _index,
        st.sampled_from(["name", "organisation", "country", "sector", "role", "language"]),
        _index,
    ),
    st.tuples(st.just("leave"), _index),
    st.tuples(st.just("remove"), _index),
    st.tuples(st.just("workshop"), st.sampled_from(SECTOR_SETS), st.sampled_from(TITLES)),
    st.tuples(st.just("add"), st.sampled_from(TITLES), st.sampled_from(KINDS)),
    st.tuples(st.just("change"), _index, st.sampled_from(TITLES), st.integers(1, 90)),
    st.tuples(st.just("remove_item"), _index),
    st.tuples(st.just("reorder"), _index),
    st.tuples(st.just("start"), _index),
    st.tuples(st.just("finish"), _index),
    st.tuples(st.just("elsewhere"), st.sampled_from(TITLES)),
)
HISTORIES = st.lists(st.lists(ACTION, min_size=1, max_size=4), min_size=1, max_size=15)


class History:
    """Runs generated actions as batches of commands on a workshop (and a neighbour, whose events
    interleave)."""

    def __init__(self) -> None:
        self.app = Tavolo(MEMORY)
        self.s = Scenario(app=self.app)
        self.neighbour = Scenario(app=self.app)
        self.raw_tokens = [
            self.s.created.result["facilitator_token"],
            self.s.created.result["projector_token"],
        ]
        self.n = 0

    def command(self, action: tuple[Any, ...]) -> Command:
        s, kind = self.s, action[0]
        w = s.workshop()
        present = [p for p in w.participants.values() if p.status == "present"] or list(w.participants.values())
        items = [i.id for i in w.agenda] or ["no-such-item"]
        self.n += 1
        if kind == "join":
            _, name, country, organisation, i = action
            profile = {
                "name": name,
                "organisation": organisation,
                "country": country,
                "sector": w.sectors[i % len(w.sectors)],
            }
            return s.command("join", profile, ANONYMOUS, id=f"join:{name}{self.n}")
        if kind in ("profile", "leave", "remove") and not present:
            return s.join(f"Late{self.n}")
        if kind == "profile":
            _, i, field, j = action
            who = present[i % len(present)]
            value = {
                "name": NAMES[j % len(NAMES)] + "!",
                "organisation": ORGANISATIONS[j % len(ORGANISATIONS)],
                "country": COUNTRIES[j % len(COUNTRIES)],
                "sector": w.sectors[j % len(w.sectors)],
                "role": ["", "Chair", "Speaker"][j % 3],
                "language": ["en", "it"][j % 2],
            }[field]
            return s.command("update_profile", {field: value}, participant(who.id))
        if kind == "leave":
            return s.command("leave", {}, participant(present[action[1] % len(present)].id))
        if kind == "remove":
            return s.command("remove_participant", {"participant_id": present[action[1] % len(present)].id})
        if kind == "workshop":
            return s.command("update_workshop", {"sectors": action[1], "title": action[2]})
        if kind == "add":
            return s.command("add_agenda_item", {"title": action[1], "kind": action[2]})
        if kind == "change":
            _, i, title, minutes = action
            return s.command(
                "update_agenda_item",
                {
                    "item_id": items[i % len(items)],
                    "title": title,
                    "duration_min": minutes,
                    "planned_start": "10:30",
                },
            )
        if kind == "remove_item":
            return s.command("remove_agenda_item", {"item_id": items[action[1] % len(items)]})
        if kind == "reorder":
            order = list(items if w.agenda else [])
            random.Random(action[1]).shuffle(order)
            return s.command("reorder_agenda", {"item_ids": order})
        if kind == "start":
            return s.command("start_agenda_item", {"item_id": items[action[1] % len(items)]})
        if kind == "finish":
            target = w.current_item if w.current_item and action[1] % 3 else items[action[1] % len(items)]
            return s.command("finish_agenda_item", {"item_id": target})
        assert kind == "elsewhere"
        return self.neighbour.command("add_agenda_item", {"title": action[1], "kind": "poll"})

    def run(self, batches: list[list[tuple[Any, ...]]], setup: bool = True) -> list[Outcome]:
        """Run the batches after a first one (unless ``setup`` is false) giving them something to act on."""
        outcomes: list[Outcome] = []
        first = [
            ("join", "Ann", "IT", "Cluster X", 0),
            ("join", "Bob", "FR", "Cluster Y", 1),
            ("join", "Cy", "IT", "Cluster Y", 2),
            ("add", "Welcome", "plenary"),
            ("add", "Coffee", "break"),
        ]
        for batch in ([first] if setup else []) + batches:
            done = self.app.execute([self.command(a) for a in batch])
            for o in done:
                if "participant_token" in o.result:
                    self.raw_tokens.append(o.result["participant_token"])
            outcomes += done
        return outcomes

    def stream(self) -> list[tuple[int, Any]]:
        return [(n.id, self.app.mapper.to_domain_event(n)) for n in self.app.recorder.select_notifications(1, 10_000)]


def online_of(model: WorkshopModel) -> set[str]:
    """Every other participant is online (including some who left: presence is not membership)."""
    return set(sorted(model.participants)[::2])


def render(model: WorkshopModel) -> dict[str, Any]:
    online = online_of(model)
    return {
        "dashboard": views.dashboard(model, online),
        "projector": views.projector(model, online),
        "participant_shared": views.participant_shared(model, online),
        **{f"participant:{pid}": views.participant(model, online, pid) for pid in sorted(model.participants)},
    }


# The browser's op application (web/static/js/tavolo.js applyOps), in Python.
_UNSAFE = ("__proto__", "constructor", "prototype")


def apply_ops(root: Any, ops: list[list[Any]]) -> Any:
    for op in ops:
        path = op[1] or []
        if not path:
            root = copy.deepcopy(op[2]) if op[0] == "set" else {}
            continue
        if any(str(key) in _UNSAFE for key in path):
            continue
        parent = root
        for key in path[:-1]:
            if not isinstance(parent.get(key), dict | list):
                parent[key] = {}
            parent = parent[key]
        last = path[-1]
        if op[0] == "set":
            parent[last] = copy.deepcopy(op[2])
        elif isinstance(parent, list):
            del parent[int(last)]
        else:
            parent.pop(last, None)
    return root


def wire(value: Any) -> Any:
    """What the client receives: the value through JSON."""
    return json.loads(json.dumps(value))


# ------------------------------------------------------------------------------------------------------------


@SETTINGS
@given(HISTORIES)
def test_folding_event_by_event_equals_folding_the_stream(batches: list[list[tuple[Any, ...]]]) -> None:
    h = History()
    h.run(batches)
    stream = h.stream()
    wid = h.s.workshop_id
    model = WorkshopModel(wid)
    rendered: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (a view as rendered then, a deep copy of it)
    for i, (position, event) in enumerate(stream):
        apply(model, event, position)
        fresh = fold(wid, stream[: i + 1])
        assert model == fresh
        now = render(model)
        assert now == render(fresh)
        rendered.append((now, copy.deepcopy(now)))
    # A rendered view is a value: folding later events must not change views already sent.
    for then, snapshot in rendered:
        assert then == snapshot
    assert model.position == stream[-1][0]


@SETTINGS
@given(HISTORIES)
def test_the_model_agrees_with_the_aggregate(batches: list[list[tuple[Any, ...]]]) -> None:
    h = History()
    h.run(batches)
    model = fold(h.s.workshop_id, h.stream())
    w = h.s.workshop()
    assert (model.title, model.date, model.venue, model.language, model.sectors, model.code) == (
        w.title,
        w.date,
        w.venue,
        w.language,
        w.sectors,
        w.code,
    )
    assert model.current_item == w.current_item
    assert [(i.id, i.title, i.kind, i.planned_start, i.duration_min, i.status) for i in model.agenda] == [
        (i.id, i.title, i.kind, i.planned_start, i.duration_min, i.status) for i in w.agenda
    ]
    fields = ("id", "name", "organisation", "country", "sector", "role", "language", "token_hash", "status")
    assert {pid: tuple(getattr(p, f) for f in fields) for pid, p in model.participants.items()} == {
        pid: tuple(getattr(p, f) for f in fields) for pid, p in w.participants.items()
    }
    running = [i for i in model.agenda if i.status == "running"]
    assert [i.id for i in running] == ([model.current_item] if model.current_item else [])
    for item in model.agenda:
        assert (item.started_at is not None) == (item.status != "planned")
        assert (item.finished_at is not None) == (item.status == "done")


@SETTINGS
@given(HISTORIES)
def test_views_hold_no_secrets_and_correct_sorted_counts(batches: list[list[tuple[Any, ...]]]) -> None:
    h = History()
    h.run(batches)
    model = fold(h.s.workshop_id, h.stream())
    w = h.s.workshop()
    secrets = [*h.raw_tokens, w.facilitator_token_hash, w.projector_token_hash, *w.tokens]
    rendered = render(model)
    for name, view in rendered.items():
        text = json.dumps(view)
        for secret in secrets:
            assert secret not in text, name

    present = [p for p in w.participants.values() if p.status == "present"]
    online = online_of(model)
    for view in (rendered["dashboard"], rendered["projector"]):
        counts = view["counts"]
        assert counts["joined"] == len(present)
        assert counts["online"] == len([p for p in present if p.id in online])
        for key, field in (
            ("by_country", "country"),
            ("by_organisation", "organisation"),
            ("by_sector", "sector"),
        ):
            expected = Counter(getattr(p, field) for p in present)
            assert dict(map(tuple, counts[key])) == expected
            assert counts[key] == sorted(counts[key], key=lambda kv: (-kv[1], kv[0]))
    dashboard = rendered["dashboard"]
    assert set(dashboard["participants"]) == {p.id for p in present}
    statuses = Counter(p.status for p in w.participants.values())
    assert (dashboard["left"], dashboard["removed"]) == (statuses["left"], statuses["removed"])
    for p in w.participants.values():
        me = rendered[f"participant:{p.id}"]["me"]
        assert (me["id"], me["name"], me["status"]) == (p.id, p.name, p.status)
    assert rendered["projector"]["join_path"] == f"/j/{w.code}"
    assert "participants" not in rendered["projector"]


@SETTINGS
@given(HISTORIES)
def test_live_updates_applied_to_an_old_view_equal_a_fresh_fetch(
    batches: list[list[tuple[Any, ...]]],
) -> None:
    # What the hub sends: the first render whole, then ops. What a client holds after applying them in
    # order must be what a client fetching the view now receives.
    h = History()
    h.run(batches)
    wid = h.s.workshop_id
    model = WorkshopModel(wid)
    held: dict[str, Any] = {}  # the client's copy of each view
    sent: dict[str, Any] = {}  # the server's last render of each view
    for position, event in h.stream():
        apply(model, event, position)
        for name, view in render(model).items():
            ops = wire(views.diff(sent[name], view)) if name in sent else [["set", [], wire(view)]]
            held[name] = apply_ops(held.get(name, {}), ops)
            sent[name] = view
            assert held[name] == wire(view), name
    fresh = render(fold(wid, h.stream()))
    assert {k: held[k] for k in fresh} == wire(fresh)


# ------------------------------------------------------------------------------------------------------------
# views.diff over any nested values.

_KEYS = st.sampled_from(["a", "b", "c", "id", "0"])
_LEAVES = st.none() | st.integers(-3, 3) | st.text(max_size=3)
_TREES = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=16,
)
_ROOTS = st.dictionaries(_KEYS, _TREES, max_size=5)


@settings(max_examples=400, deadline=None, database=None)
@given(_ROOTS, _ROOTS, st.integers(0, 4))
def test_diff_ops_turn_the_old_view_into_the_new(old: dict[str, Any], new: dict[str, Any], depth: int) -> None:
    ops = views.diff(old, new, depth=depth)
    assert apply_ops(wire(old), wire(ops)) == new
    assert (ops == []) == (old == new)


@settings(max_examples=100, deadline=None, database=None)
@given(_TREES, _TREES)
def test_diff_of_any_two_values(old: Any, new: Any) -> None:
    assert apply_ops(copy.deepcopy(old), views.diff(old, new)) == new


def test_diff_descends_two_levels_so_one_changed_participant_is_one_op() -> None:
    old = {"participants": {"p1": {"name": "Ann", "country": "IT"}, "p2": {"name": "Bob"}}, "left": 0}
    new = {"participants": {"p1": {"name": "Anna", "country": "IT"}, "p3": {"name": "Cy"}}, "left": 1}
    assert views.diff(old, new) == [
        ["del", ["participants", "p2"]],
        ["set", ["participants", "p1"], {"name": "Anna", "country": "IT"}],
        ["set", ["participants", "p3"], {"name": "Cy"}],
        ["set", ["left"], 1],
    ]
    assert views.diff(new, new) == []
    assert views.diff({"a": 1}, [1]) == [["set", [], [1]]]


def test_events_of_other_workshops_move_the_position_only() -> None:
    h = History()
    h.run([[("join", "Ann", "IT", "Cluster X", 0)], [("elsewhere", "Pitches")]], setup=False)
    stream = h.stream()
    model = fold(h.s.workshop_id, stream)
    assert model.position == stream[-1][0]
    assert [i.title for i in model.agenda] == []
    assert [p.name for p in model.participants.values()] == ["Ann"]


@pytest.mark.parametrize("language", ["en", "it"])
def test_a_single_workshop_renders_before_anyone_joins(language: str) -> None:
    s = Scenario(language=language)
    stream = [(n.id, s.app.mapper.to_domain_event(n)) for n in s.app.recorder.select_notifications(1, 10)]
    model = fold(s.workshop_id, stream)
    dashboard = views.dashboard(model, set())
    assert dashboard["workshop"]["code"] == s.code and dashboard["workshop"]["language"] == language
    assert dashboard["counts"] == {
        "joined": 0,
        "online": 0,
        "by_country": [],
        "by_organisation": [],
        "by_sector": [],
        "by_organisation_type": [],
    }
    assert dashboard["agenda"] == [] and dashboard["current_item"] is None
    assert isinstance(UUID(dashboard["workshop"]["id"]), UUID)
    assert views.projector(model, set())["join_path"] == f"/j/{s.code}"
