"""Property tests: untrusted input never breaks the server.

- Arbitrary JSON values as the arguments of every command, over HTTP and the websocket: the answer is an
  ack or an error with a documented code and status; never a 5xx, never ``internal_error``, never silence.
- Arbitrary bytes and text as websocket frames: an error with a stable code, and the same connection still
  acknowledges a valid command afterwards.

Examples are kept modest (~150 per property) and shrinking is off so that a found bug fails fast; the number
of cases run is printed in the terminal summary ("server fuzz cases run").
"""

from __future__ import annotations

import json
import math
from typing import Any

import msgpack
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from domain.commands import COMMAND_ROLES
from tests.server import support
from tests.server.fuzzing import FUZZ, NASTY, Findings, json_values, kind_of, text
from tests.server.support import CODES, PROFILE, Peer, Room

FAST = {
    "commands_per_second": 1e6,
    "command_burst": 10**6,
    "frames_per_second": 1e6,
    "frame_burst": 10**6,
}  # limits: own tests
REFUSALS = set(CODES) - {"internal_error", "unavailable"}

ARG_NAMES = sorted(
    {
        "name",
        "organisation",
        "country",
        "sector",
        "role",
        "language",
        "token",
        "participant_id",
        "title",
        "date",
        "venue",
        "sectors",
        "item_id",
        "item_ids",
        "kind",
        "planned_start",
        "duration_min",
    }
)
# Argument names: the real ones, unknown ones (which error messages may quote back), anything.
keys = st.one_of(st.sampled_from(ARG_NAMES), st.sampled_from(["colour", "Name", "\ud800", "x\udfff", "é"]), text)
plausible = st.one_of(
    st.sampled_from(NASTY),
    st.integers(-2, 1500),
    json_values,
    st.lists(st.sampled_from(["$item", "$running", "$other", "$poll", "$draft"]), max_size=4),
    st.sampled_from(
        ["$poll", "$draft", "$split", "$group", "$qs", "$question", "$contribution", "$rotation", "$meeting"]
    ),
)
BASE: dict[str, dict[str, Any]] = {
    "join": {**PROFILE, "name": "Fuzzy"},
    "update_profile": {"name": "Renamed", "country": "FR"},
    "leave": {},
    "remove_participant": {"participant_id": "$other"},
    "remove_participants": {"participant_ids": ["$other"]},
    "lock_joins": {},
    "unlock_joins": {},
    "erase_participant": {"participant_id": "$other"},
    "delete_workshop": {"confirm": "$code"},
    "forget_me": {},
    "rotate_link": {"role": "projector", "token": "R" * 43},
    "update_workshop": {"title": "Retitled", "venue": "Elsewhere"},
    "add_agenda_item": {"title": "Added", "kind": "plenary", "planned_start": "10:30", "duration_min": 30},
    "update_agenda_item": {"item_id": "$item", "title": "Changed"},
    "remove_agenda_item": {"item_id": "$item"},
    "reorder_agenda": {"item_ids": ["$running", "$item"]},
    "start_agenda_item": {"item_id": "$item"},
    "finish_agenda_item": {"item_id": "$running"},
    "create_poll": {
        "title": "Lunch",
        "kind": "multiple",
        "questions": [{"options": ["A", "B", "C"], "max_choices": 2}],
    },
    "update_poll": {"poll_id": "$draft", "title": "Changed"},
    "open_poll": {"poll_id": "$draft", "closes_at": "2099-01-01T00:00:00+00:00"},
    "close_poll": {"poll_id": "$poll"},
    "reopen_poll": {"poll_id": "$poll"},
    "duplicate_poll": {"poll_id": "$poll"},
    "set_results_visibility": {"poll_id": "$poll", "visibility": "shown"},
    "set_poll_deadline": {"poll_id": "$poll", "closes_at": None},
    "cast_ballot": {"poll_id": "$poll", "answer": ["o1", "o2"]},
    "split_groups": {"strategy": "balanced", "groups": 2},
    "move_participant": {"split_id": "$split", "participant_id": "$other", "group_id": "$group"},
    "place_participant": {"split_id": "$split", "participant_id": "$other"},
    "rename_group": {"split_id": "$split", "group_id": "$group", "name": "Blue"},
    "set_table": {"split_id": "$split", "group_id": "$group", "table": 4},
    "set_rapporteur": {"split_id": "$split", "group_id": "$group", "participant_id": None},
    "pose_questions": {"split_id": "$split", "questions": [{"prompt": "Needs?", "time_box_min": 5}]},
    "set_sheet_visibility": {"question_set_id": "$qs", "visibility": "all"},
    "lock_answers": {"question_set_id": "$qs"},
    "show_report_back": {"question_set_id": "$qs", "group_id": "$group"},
    "add_contribution": {"question_set_id": "$qs", "group_id": "$group", "question_id": "$question", "text": "Labs"},
    "edit_contribution": {
        "question_set_id": "$qs", "group_id": "$group", "contribution_id": "$contribution",
        "text": "Shared labs", "base_version": 1,
    },
    "remove_contribution": {
        "question_set_id": "$qs", "group_id": "$group", "contribution_id": "$contribution", "base_version": 1,
    },
    "restore_contribution": {"question_set_id": "$qs", "group_id": "$group", "contribution_id": "$contribution"},
    "mark_final": {"question_set_id": "$qs", "group_id": "$group"},
    "create_rotation": {"table_size": 2, "rounds": 3, "round_seconds": 60, "avoid": ["organisation"],
                        "odd": "trio", "hosts": ["$participant"], "must_meet": [["$participant", "$other"]]},
    "start_rotation": {"rotation_id": "$rotation"},
    "pause_rotation": {"rotation_id": "$rotation"},
    "resume_rotation": {"rotation_id": "$rotation"},
    "extend_round": {"rotation_id": "$rotation", "seconds": 30},
    "advance_round": {"rotation_id": "$rotation", "if_round": 1},
    "end_rotation": {"rotation_id": "$rotation"},
    "replan_rotation": {"rotation_id": "$rotation", "absent": ["$other"]},
    "mark_follow_up": {"rotation_id": "$rotation", "participant_id": "$other", "starred": True},
    "start_timer": {"seconds": 400, "segments": 20, "label": "PechaKucha", "agenda_item_id": "$item"},
    "pause_timer": {},
    "resume_timer": {},
    "extend_timer": {"seconds": 60},
    "stop_timer": {},
    "configure_matchmaking": {"sessions": [{"start": "2026-11-23T09:00:00+01:00", "end": "2026-11-23T11:00:00+01:00"}],
                              "slot_minutes": 20, "break_minutes": 5, "tables": 4, "requires_acceptance": True},
    "save_match_profile": {"offers": "Labs", "seeks": "Partners", "sectors": ["Agrifood"], "value_chain": "research",
                           "markets": ["FR", "DE"]},
    "set_availability": {"unavailable": [0, 2], "participant_id": "$other"},
    "request_meeting": {"participant_id": "$other", "note": "Let us talk"},
    "accept_meeting": {"meeting_id": "$meeting"},
    "decline_meeting": {"meeting_id": "$meeting"},
    "withdraw_meeting": {"meeting_id": "$meeting"},
    "add_meeting": {"participant_ids": ["$participant", "$other"], "note": "Facilitator's pick"},
    "remove_meeting": {"meeting_id": "$meeting"},
    "schedule_meetings": {},
    "apply_schedule": {"based_on": 1, "placements": [["$meeting", 0, 0]], "info": {"optimal": True}},
    "publish_schedule": {},
    "mark_attendance": {"meeting_id": "$meeting", "attendance": "held"},
    "record_outcome": {"meeting_id": "$meeting", "outcome": "follow_up_visit", "text": "Visit in March"},
    "annotate": {"text": "A correction", "item_id": "$item", "corrects": "poll 2"},
}  # fmt: skip
ROLES = ["facilitator", "participant", "projector", "anonymous"]


@st.composite
def commands(draw: st.DrawFn) -> tuple[str, Any, str]:
    """A command name, its args and a role: mostly a valid command with a few arguments changed, removed or
    added (so that every validator is reached), sometimes anything at all."""
    name = draw(st.sampled_from(sorted(COMMAND_ROLES)))
    shape = draw(st.integers(0, 9))
    if shape == 0:
        args: Any = draw(json_values)
    elif shape == 1:
        args = draw(st.dictionaries(keys, plausible, max_size=6))
    else:
        args = dict(BASE[name])
        for key in draw(st.lists(st.sampled_from(sorted(args)), max_size=2, unique=True)) if args else []:
            del args[key]
        args.update(draw(st.dictionaries(keys, plausible, max_size=3)))
    documented = next(iter(COMMAND_ROLES[name]))
    role = draw(st.sampled_from([documented] * 3 + ROLES))
    return name, args, role


class Fixture:
    """A fresh workshop per example (so a `leave` or `remove_participant` never spoils the next one)."""

    def __init__(self, client: TestClient) -> None:
        self.room = Room(client)
        self.me = self.room.join()
        self.other = self.room.join(name="Other")
        self.item = self.room.add_item("Planned")
        self.running = self.room.add_item("Running")
        self.room.ok("start_agenda_item", {"item_id": self.running})
        poll = {"title": "Q", "kind": "multiple", "questions": [{"options": ["A", "B", "C"], "max_choices": 2}]}
        self.draft = self.room.ok("create_poll", poll)["result"]["poll_id"]
        self.poll = self.room.ok("create_poll", poll)["result"]["poll_id"]
        self.room.ok("open_poll", {"poll_id": self.poll})
        self.split = self.room.ok("split_groups", {"strategy": "random", "groups": 1})["result"]["split_id"]
        self.qs = self.room.ok("pose_questions", {"split_id": self.split, "questions": ["Q?"]})["result"][
            "question_set_id"
        ]
        groups = self.room.view()["data"]["groups"]
        self.group = groups["split"]["groups"][0]["id"]
        self.question = groups["question_sets"][0]["questions"][0]["id"]
        add = {"question_set_id": self.qs, "group_id": self.group, "question_id": self.question, "text": "First"}
        self.contribution = self.room.ok("add_contribution", add)["result"]["contribution_id"]
        rotation = {"table_size": 2, "rounds": 2, "round_seconds": 600}
        self.rotation = self.room.ok("create_rotation", rotation)["result"]["rotation_id"]
        self.room.ok("configure_matchmaking", BASE["configure_matchmaking"])
        ask = {"participant_id": self.other["participant_id"]}
        self.meeting = self.room.ok("request_meeting", ask, self.me["participant_token"])["result"]["meeting_id"]

    def resolve(self, value: Any) -> Any:
        """Replace placeholders with real ids, so that deeper validation paths are reached."""
        names = {
            "$item": self.item,
            "$running": self.running,
            "$poll": self.poll,
            "$draft": self.draft,
            "$split": self.split,
            "$group": self.group,
            "$qs": self.qs,
            "$question": self.question,
            "$contribution": self.contribution,
            "$rotation": self.rotation,
            "$meeting": self.meeting,
            "$participant": self.me["participant_id"],
            "$other": self.other["participant_id"],
            "$code": self.room.code,
        }
        if isinstance(value, str):
            return names.get(value, value)
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        return value

    def token(self, role: str) -> str | None:
        return {
            "facilitator": self.room.facilitator,
            "participant": self.me["participant_token"],
            "projector": self.room.projector,
            "anonymous": None,
        }[role]


def _ws_answer(answer: dict[str, Any], findings: Findings, context: str, allow_replies: bool = False) -> None:
    if answer["type"] == "ack":
        findings.outcome("ack")
    elif answer["type"] in ("welcome", "pong") and allow_replies:
        findings.outcome(answer["type"])  # the frame happened to be a valid hello or ping
    elif answer["type"] == "error" and answer["code"] in REFUSALS:
        findings.outcome(answer["code"])
    else:
        findings.failed(f"answered {answer['type']} {answer.get('code')}", f"{context} -> {answer}")


def test_arbitrary_args_over_http_get_an_ack_or_a_documented_error() -> None:
    findings = Findings("http command args")
    with support.running(**FAST) as client:

        @FUZZ
        @given(command=commands())
        def check(command: tuple[str, Any, str]) -> None:
            name, args, role = command
            f = Fixture(client)
            body = {"id": support.new_id("fuzz"), "name": name, "args": f.resolve(args)}
            r = support.post_json(client, f"/api/workshops/{f.room.id}/commands", body, f.token(role))
            context = f"{role}: {json.dumps(body)[:300]} -> {r.status_code} {r.text[:200]}"
            answer = r.json()
            if r.status_code == 200 and answer.get("type") == "ack":
                findings.outcome("ack")
                return
            code = answer.get("error", {}).get("code")
            if r.status_code >= 500 or code not in REFUSALS or CODES[code] != r.status_code:
                findings.failed(f"HTTP {r.status_code} {code}", context)
            else:
                findings.outcome(code)

        check()
    findings.check()


def test_arbitrary_args_over_the_websocket_get_an_ack_or_a_documented_error() -> None:
    findings = Findings("websocket command args")
    with support.running(**FAST) as client:

        @FUZZ
        @given(command=commands(), encoding=st.sampled_from(["json", "msgpack"]), bytes_keys=st.booleans())
        def check(command: tuple[str, Any, str], encoding: str, bytes_keys: bool) -> None:
            name, args, role = command
            f = Fixture(client)
            args = f.resolve(args)
            if encoding == "msgpack" and bytes_keys and isinstance(args, dict):
                # msgpack maps may have binary keys; make every other one binary.
                args = {k.encode("utf-8", "surrogatepass") if i % 2 else k: v for i, (k, v) in enumerate(args.items())}
            with Peer(client, f.room.id) as peer:
                peer.hello(f.token(role), encoding=encoding)
                message = {"type": "command", "id": support.new_id("fuzz"), "name": name, "args": args}
                try:
                    peer.send(message, encoding)
                except (OverflowError, UnicodeEncodeError, ValueError):
                    return  # msgpack cannot carry this value; nothing was sent
                context = f"{role}/{encoding}: {message!r:.300}"
                try:
                    answer = peer.answer(message["id"], timeout=3)
                    _ws_answer(answer, findings, context)
                    if name == "delete_workshop" and answer["type"] == "ack":
                        assert peer.wait_closed().code == 4404, "a deleted workshop's socket stays open"
                        return
                    # The connection still works.
                    peer.send({"type": "ping", "t": 1}, encoding)
                    peer.wait(lambda m: m["type"] == "pong", "a pong", timeout=3)
                except AssertionError as e:
                    findings.failed(kind_of(e), f"{context}: {e}")

        check()
    findings.check()


frames = st.one_of(
    st.binary(max_size=300),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=300),
    st.builds(lambda obj: json.dumps(obj), json_values),
    st.builds(
        lambda obj: msgpack.packb(obj, use_bin_type=True),
        st.recursive(
            st.one_of(
                st.none(),
                st.booleans(),
                st.integers(-(2**63), 2**64 - 1),
                st.binary(max_size=8),
                st.text(max_size=8),
            ),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.one_of(st.text(max_size=8), st.binary(max_size=4)), inner, max_size=3)
            ),
            max_leaves=8,
        ),
    ),
    st.builds(
        lambda kind, rest: json.dumps({"type": kind, **rest}),
        st.sampled_from(["hello", "command", "ping", "welcome", "ack"]),
        st.dictionaries(
            st.sampled_from(["id", "name", "args", "token", "view", "position", "t"]), json_values, max_size=4
        ),
    ),
)


def test_arbitrary_frames_get_a_stable_error_and_the_connection_keeps_working() -> None:
    findings = Findings("websocket frames")
    with support.running(**FAST) as client:
        room = Room(client)
        state: dict[str, Any] = {"peer": room.peer(room.facilitator), "n": 0}

        @FUZZ
        @given(frame=frames)
        def check(frame: str | bytes) -> None:
            peer: Peer = state["peer"]
            context = f"frame {frame[:200]!r}"
            try:
                peer.send_raw(frame)
                answer = peer.wait(lambda m: m["type"] in ("error", "ack", "pong", "welcome"), "an answer", timeout=3)
                _ws_answer(answer, findings, context, allow_replies=True)
                if answer["type"] == "error" and answer["code"] in ("unauthorized", "too_large"):
                    assert peer.wait_closed(3).code in (1008, 1009)
                if peer.closed is not None:  # a hello with an unknown token: reconnect, as a client would
                    peer.close()
                    state["peer"] = peer = room.peer(room.facilitator)
                # The same connection acknowledges a valid command afterwards.
                state["n"] += 1
                peer.send({"type": "hello", "token": room.facilitator})  # the frame may have been a hello
                peer.wait(lambda m: m["type"] == "welcome", "welcome", timeout=3)
                ack = peer.run("update_workshop", {"venue": f"Venue {state['n']}"}, timeout=3)
                assert ack["type"] == "ack", f"a valid command was refused: {ack}"
            except AssertionError as e:
                findings.failed(kind_of(e), f"{context}: {e}")
                peer.close()
                state["peer"] = room.peer(room.facilitator)

        try:
            check()
        finally:
            state["peer"].close()
        # Another connection was never disturbed.
        with room.peer(room.facilitator) as other:
            other.acked("add_agenda_item", {"title": "After the fuzz", "kind": "other"})
    findings.check()


NON_FINITE = [float("nan"), float("inf"), float("-inf")]
HUGE = [10**30, -(10**30), 2**63, 2**64, 1e308, -1e308]


def _numeric_leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The paths of the numbers (not booleans) in a command's arguments."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _numeric_leaves(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _numeric_leaves(v, (*path, i))]
    return []


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    if isinstance(value, dict):
        return {k: _replaced(v, path[1:], new) if k == path[0] else v for k, v in value.items()}
    return [_replaced(v, path[1:], new) if i == path[0] else v for i, v in enumerate(value)]


# Numbers the base commands do not carry: every other numeric argument, at its place.
EXTRA_NUMBERS: dict[str, dict[str, Any]] = {
    "create_poll": {"title": "Scale", "kind": "scale", "questions": [{"min": 1, "max": 5}]},
    "split_groups": {"strategy": "random", "groups": 2, "seed": 7},
    "create_rotation": {"table_size": 2, "rounds": 3, "round_seconds": 60, "seed": 7},
}


def test_non_finite_and_huge_numbers_in_every_numeric_argument_are_refused_as_invalid_args() -> None:
    """NaN, +-Infinity (JSON over HTTP and msgpack over the websocket) and huge numbers in every numeric
    argument: NaN and Infinity are ``invalid_args``; a huge number is refused with a documented code; never a 5xx."""
    findings = Findings("non-finite and huge numbers", minimum=100)
    cases = [(name, args) for name, args in BASE.items()] + list(EXTRA_NUMBERS.items())
    with support.running(**FAST) as client:
        for name, base in cases:
            paths = _numeric_leaves(base)
            if not paths:
                continue
            f = Fixture(client)
            role = next(iter(COMMAND_ROLES[name]))
            for path in paths:
                for number in NON_FINITE + HUGE:
                    args = f.resolve(_replaced(base, path, number))
                    body = {"id": support.new_id("num"), "name": name, "args": args}
                    r = support.post_json(client, f"/api/workshops/{f.room.id}/commands", body, f.token(role))
                    code = r.json().get("error", {}).get("code") if r.status_code != 200 else "ack"
                    context = f"{name} {path}={number!r} over HTTP -> {r.status_code} {r.text[:200]}"
                    non_finite = isinstance(number, float) and not math.isfinite(number)
                    if non_finite:
                        if code != "invalid_args":
                            findings.failed(f"{name} {path} non-finite: {code}", context)
                            continue
                    elif r.status_code >= 500 or (code != "ack" and code not in REFUSALS):
                        findings.failed(f"{name} {path} huge: {code}", context)
                        continue
                    findings.outcome(code)
                    if non_finite:
                        # The same over the websocket, in msgpack (which carries NaN and Infinity as floats).
                        with Peer(client, f.room.id) as peer:
                            peer.hello(f.token(role), encoding="msgpack")
                            message = {"type": "command", "id": support.new_id("num"), "name": name, "args": args}
                            peer.send(message, "msgpack")
                            answer = peer.answer(message["id"], timeout=3)
                            if answer.get("code") != "invalid_args":
                                findings.failed(f"{name} {path} non-finite (ws)", f"{context}: {answer}")
                            else:
                                findings.outcome("invalid_args (ws)")
    findings.check()
