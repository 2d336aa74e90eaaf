"""Who may do what: every command and every view against every role, over HTTP and over the websocket.

The expected matrix comes from docs/protocol.md (the command table's role column and the views section), not
from the server's own tables, so the two cannot drift together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from domain.commands import COMMAND_ROLES
from domain.group_commands import GROUP_COMMANDS
from tests.server import support
from tests.server.support import PROFILE, PROTOCOL, Peer, Room, assert_error

ROLES = (
    "facilitator",
    "co-facilitator",
    "participant",
    "other-workshop-participant",
    "projector",
    "anonymous",
)
VIEWS = {
    "dashboard": {"facilitator"},
    "projector": {"facilitator", "projector"},
    "participant": {"participant"},
}


def _documented_roles() -> dict[str, str]:
    table = PROTOCOL.split("## Commands", 1)[1].split("##", 1)[0]
    return {m[1]: m[2] for m in re.finditer(r"^\| `([a-z_]+)` \| ([a-z]+) \|", table, re.M)}


DOCUMENTED = _documented_roles()
# Group commands depend on membership as well as role (a participant acts only on their own group): they have
# their own matrix below and in tests/domain/test_groups.py.
# Matchmaking commands open to both facilitators and participants depend on being one side of the meeting: their
# matrix is in tests/server/test_matchmaking_live.py.
COMMANDS = {name: roles for name, roles in COMMAND_ROLES.items() if name not in GROUP_COMMANDS and len(roles) == 1}


def test_every_command_has_a_documented_role() -> None:
    assert set(DOCUMENTED) - set(GROUP_COMMANDS) == set(COMMANDS)
    assert set(DOCUMENTED.values()) <= {"facilitator", "participant", "anonymous"}


def _allowed(name: str, role: str) -> bool:
    documented = DOCUMENTED[name]
    return role == documented or (role == "co-facilitator" and documented == "facilitator")


@dataclass
class Scene:
    """A workshop with a participant (the actor), a second participant, an agenda item planned and one
    running; and another workshop with a participant of its own."""

    room: Room
    participant: dict[str, Any]
    other_participant: dict[str, Any]
    stranger: dict[str, Any]
    planned: str
    running: str
    draft_poll: str
    open_poll: str
    draft_rotation: str = ""
    running_rotation: str = ""
    meeting: str = ""
    schedule_version: int = 0  # what schedule_meetings returned: apply_schedule names it as ``based_on``

    def token(self, role: str) -> str | None:
        return {
            "facilitator": self.room.facilitator,
            "co-facilitator": self.room.facilitator,
            "participant": self.participant["participant_token"],
            "other-workshop-participant": self.stranger["participant_token"],
            "projector": self.room.projector,
            "anonymous": None,
        }[role]

    def args(self, name: str) -> dict[str, Any]:
        return {
            "join": {**PROFILE, "name": "Newcomer"},
            "update_profile": {"name": "Changed"},
            "leave": {},
            "remove_participant": {"participant_id": self.other_participant["participant_id"]},
            "remove_participants": {"participant_ids": [self.other_participant["participant_id"]]},
            "lock_joins": {},
            "unlock_joins": {},
            "erase_participant": {"participant_id": self.other_participant["participant_id"]},
            "delete_workshop": {"confirm": self.room.code},
            "forget_me": {},
            "rotate_link": {"role": "projector", "token": "R" * 43},
            "update_workshop": {"title": "Changed"},
            "add_agenda_item": {"title": "Added", "kind": "other"},
            "update_agenda_item": {"item_id": self.planned, "title": "Changed"},
            "remove_agenda_item": {"item_id": self.planned},
            "reorder_agenda": {"item_ids": [self.running, self.planned]},
            "start_agenda_item": {"item_id": self.planned},
            "finish_agenda_item": {"item_id": self.running},
            "create_poll": {"title": "Q", "kind": "single", "questions": [{"options": ["A", "B"]}]},
            "update_poll": {"poll_id": self.draft_poll, "title": "Changed"},
            "open_poll": {"poll_id": self.draft_poll},
            "close_poll": {"poll_id": self.open_poll},
            "reopen_poll": {"poll_id": self.open_poll},
            "duplicate_poll": {"poll_id": self.open_poll},
            "set_results_visibility": {"poll_id": self.open_poll, "visibility": "shown"},
            "set_poll_deadline": {"poll_id": self.open_poll, "closes_at": "2099-01-01T00:00:00+00:00"},
            "cast_ballot": {"poll_id": self.open_poll, "answer": "o1"},
            "create_rotation": {"table_size": 2, "rounds": 1},
            "start_rotation": {"rotation_id": self.draft_rotation},
            "pause_rotation": {"rotation_id": self.running_rotation},
            "resume_rotation": {"rotation_id": self.running_rotation},
            "extend_round": {"rotation_id": self.running_rotation, "seconds": 60},
            "advance_round": {"rotation_id": self.running_rotation},
            "end_rotation": {"rotation_id": self.running_rotation},
            "replan_rotation": {"rotation_id": self.running_rotation},
            "mark_follow_up": {
                "rotation_id": self.running_rotation,
                "participant_id": self.other_participant["participant_id"],
                "starred": True,
            },
            "start_timer": {"seconds": 60, "label": "Talk"},
            "pause_timer": {},
            "resume_timer": {},
            "extend_timer": {"seconds": 30},
            "stop_timer": {},
            "configure_matchmaking": {
                "slots": [{"start": "2026-11-23T09:00:00+01:00", "end": "2026-11-23T09:20:00+01:00"}],
                "tables": 3,
            },
            "save_match_profile": {"offers": "Pilot lines", "seeks": "Distributors"},
            "request_meeting": {"participant_id": self.other_participant["participant_id"], "note": "Hello"},
            "add_meeting": {
                "participant_ids": [self.participant["participant_id"], self.other_participant["participant_id"]]
            },
            "remove_meeting": {"meeting_id": self.meeting},
            "schedule_meetings": {},
            "apply_schedule": {
                "based_on": self.schedule_version,
                "placements": [[self.meeting, 1, 2]],
                "info": {"optimal": True},
            },
            "publish_schedule": {},
            "annotate": {"text": "A note for the minutes."},
        }[name]


def _scene(client: TestClient, command: str = "") -> Scene:
    room = Room(client)
    participant = room.join(name="Actor")
    other = room.join(name="Bystander")
    planned, running = room.add_item("Planned"), room.add_item("Running")
    room.ok("start_agenda_item", {"item_id": running})
    stranger = Room(client).join(name="Stranger")
    poll = {"title": "Q", "kind": "single", "questions": [{"options": ["A", "B"]}]}
    draft = room.ok("create_poll", poll)["result"]["poll_id"]
    opened = room.ok("create_poll", poll)["result"]["poll_id"]
    room.ok("open_poll", {"poll_id": opened})
    rotation = {"table_size": 2, "rounds": 2, "round_seconds": 600}
    draft_rotation = room.ok("create_rotation", rotation)["result"]["rotation_id"]
    running_rotation = room.ok("create_rotation", rotation)["result"]["rotation_id"]  # two people: they meet
    room.ok("start_rotation", {"rotation_id": running_rotation})
    room.ok("start_timer", {"seconds": 600})
    third = room.join(name="Third")
    slots = [{"start": f"2026-11-23T09:{m:02d}:00+01:00", "end": f"2026-11-23T09:{m + 20:02d}:00+01:00"}
             for m in (0, 20)]  # fmt: skip
    room.ok("configure_matchmaking", {"slots": slots, "tables": 3})
    pair = [other["participant_id"], third["participant_id"]]
    meeting = room.ok("add_meeting", {"participant_ids": pair})["result"]["meeting_id"]
    schedule_version = room.ok("schedule_meetings")["result"]["schedule_version"]
    if command == "create_rotation":  # one rotation at a time: the running one must end first
        room.ok("end_rotation", {"rotation_id": running_rotation})
    return Scene(
        room,
        participant,
        other,
        stranger,
        planned,
        running,
        draft,
        opened,
        draft_rotation,
        running_rotation,
        meeting,
        schedule_version,
    )


CELLS = [(name, role) for name in sorted(COMMANDS) for role in ROLES]


@pytest.mark.parametrize(("name", "role"), CELLS, ids=[f"{n}-{r}" for n, r in CELLS])
def test_a_command_over_http_succeeds_only_for_its_documented_role(client: TestClient, name: str, role: str) -> None:
    scene = _scene(client, name)
    before = scene.room.view()

    r = support.command(client, scene.room.id, scene.token(role), name, scene.args(name))

    if role in ("anonymous", "other-workshop-participant"):
        # No token, or a token of another workshop: the commands endpoint needs a token of this one.
        assert_error(r, "unauthorized")
    elif _allowed(name, role):
        assert r.status_code == 200, r.text
        assert r.json()["type"] == "ack" and r.json()["position"] > before["position"]
        return
    else:
        assert_error(r, "forbidden")
    assert scene.room.view() == before, "a refused command changed the workshop"


@pytest.mark.parametrize(("name", "role"), CELLS, ids=[f"{n}-{r}" for n, r in CELLS])
def test_a_command_over_the_websocket_succeeds_only_for_its_documented_role(
    client: TestClient, name: str, role: str
) -> None:
    scene = _scene(client, name)
    before = scene.room.view()
    token = scene.token(role)
    with Peer(client, scene.room.id) as first, Peer(client, scene.room.id) as peer:
        if role == "co-facilitator":  # a second browser with the same facilitator token, the first still open
            first.hello(token, "dashboard")
        peer.send({"type": "hello", **({"token": token} if token else {})})
        welcome = peer.wait(lambda m: m["type"] in ("welcome", "error"), "the answer to hello")

        if role == "other-workshop-participant":
            assert (welcome["type"], welcome["code"]) == ("error", "unauthorized")
            assert peer.wait_closed().code == 1008
        else:
            expected_role = "facilitator" if role == "co-facilitator" else role
            assert (welcome["type"], welcome["role"]) == ("welcome", expected_role)
            answer = peer.run(name, scene.args(name))
            if _allowed(name, role):
                assert answer["type"] == "ack", answer
                assert answer["position"] > before["position"]
                if name == "delete_workshop":  # every socket of the workshop is closed, the other browser's too
                    assert peer.wait_closed().code == 4404 and first.wait_closed().code == 4404
                    r = client.get(f"/api/workshops/{scene.room.id}/views/dashboard", headers=support.bearer(token))
                    assert_error(r, "not_found")
                elif role == "co-facilitator":
                    first.wait_view(
                        "dashboard",
                        lambda d: scene.room.view()["data"] == d,
                        "the first browser to see the change",
                    )
                return
            assert (answer["type"], answer["code"]) == ("error", "forbidden"), answer
    assert scene.room.view() == before, "a refused command changed the workshop"


VIEW_CELLS = [(view, role) for view in VIEWS for role in ROLES]


def _may_watch(view: str, role: str) -> bool:
    return ("facilitator" if role == "co-facilitator" else role) in VIEWS[view]


@pytest.mark.parametrize(("view", "role"), VIEW_CELLS, ids=[f"{v}-{r}" for v, r in VIEW_CELLS])
def test_a_view_over_http_is_readable_only_by_its_roles(client: TestClient, view: str, role: str) -> None:
    scene = _scene(client)
    r = client.get(f"/api/workshops/{scene.room.id}/views/{view}", headers=support.bearer(scene.token(role)))

    if _may_watch(view, role):
        assert r.status_code == 200, r.text
        assert (r.json()["view"], r.json()["position"]) == (view, scene.room.position())
    elif role in ("anonymous", "other-workshop-participant"):
        assert_error(r, "unauthorized")
    else:
        assert_error(r, "forbidden")


@pytest.mark.parametrize(("view", "role"), VIEW_CELLS, ids=[f"{v}-{r}" for v, r in VIEW_CELLS])
def test_a_view_over_the_websocket_is_watchable_only_by_its_roles(client: TestClient, view: str, role: str) -> None:
    scene = _scene(client)
    token = scene.token(role)
    with Peer(client, scene.room.id) as peer:
        peer.send({"type": "hello", "view": view, **({"token": token} if token else {})})
        answer = peer.wait(lambda m: m["type"] in ("welcome", "error"), "the answer to hello")

        if _may_watch(view, role):
            assert answer["type"] == "welcome", answer
            snapshot = peer.wait(lambda m: m["type"] == "snapshot", "the snapshot")
            assert snapshot["view"] == view
        elif role == "other-workshop-participant":
            assert answer["code"] == "unauthorized"
            assert peer.wait_closed().code == 1008
        else:
            assert (answer["type"], answer["code"]) == ("error", "forbidden"), answer
            peer.send({"type": "ping", "t": 1})  # refused, not disconnected; and no view frames were sent
            assert peer.wait(lambda m: True)["type"] == "pong"
            assert "snapshot" not in [m["type"] for m in peer.messages]


# A participant acts only as themselves.


def test_update_profile_changes_only_the_caller(client: TestClient) -> None:
    scene = _scene(client)
    actor, other = scene.participant["participant_id"], scene.other_participant["participant_id"]
    token = scene.participant["participant_token"]

    support.assert_error(
        support.command(client, scene.room.id, token, "update_profile", {"participant_id": other, "name": "Mallory"}),
        "invalid_args",
    )
    support.ok(client, scene.room.id, token, "update_profile", {"name": "Renamed", "country": "FR"})

    people = scene.room.view()["data"]["participants"]
    assert (people[actor]["name"], people[actor]["country"]) == ("Renamed", "FR")
    assert (people[other]["name"], people[other]["country"]) == ("Bystander", "IT")
    assert scene.room.view("participant", token)["data"]["me"]["name"] == "Renamed"


def test_leave_removes_only_the_caller_and_takes_no_participant_id(client: TestClient) -> None:
    scene = _scene(client)
    actor, other = scene.participant["participant_id"], scene.other_participant["participant_id"]
    token = scene.participant["participant_token"]

    support.assert_error(
        support.command(client, scene.room.id, token, "leave", {"participant_id": other}), "invalid_args"
    )
    support.ok(client, scene.room.id, token, "leave")

    people = scene.room.view()["data"]["participants"]
    assert actor not in people and other in people
    assert scene.room.view()["data"]["left"] == 1


def test_a_participant_socket_acts_as_its_own_participant(client: TestClient) -> None:
    scene = _scene(client)
    with scene.room.peer(scene.participant["participant_token"], "participant") as peer:
        peer.acked("update_profile", {"organisation": "Mine"})
        peer.wait_view("participant", lambda d: d["me"]["organisation"] == "Mine")
        assert peer.views["participant"]["data"]["me"]["id"] == scene.participant["participant_id"]
    people = scene.room.view()["data"]["participants"]
    assert people[scene.other_participant["participant_id"]]["organisation"] == "Cluster X"


def test_a_participant_view_shows_only_the_callers_personal_details(client: TestClient) -> None:
    scene = _scene(client)
    data = scene.room.view("participant", scene.participant["participant_token"])["data"]
    assert data["me"]["name"] == "Actor"
    # The one other person named is the partner the rotation seats them with: name, organisation, country, sector.
    rotation = data["me"].pop("rotation")
    assert {k for p in rotation["now"]["partners"] for k in p} == {"id", "name", "organisation", "country", "sector"}
    text = repr(data)
    assert "Bystander" not in text and scene.other_participant["participant_id"] not in text
    assert scene.room.facilitator not in text and scene.room.code not in text


GROUP_ROLES = ("facilitator", "member", "non-member", "projector", "anonymous")


def _group_scene(client: TestClient) -> tuple[Room, dict[str, str | None], dict[str, Any]]:
    room = Room(client)
    people = [room.join(name=f"P{i}", organisation=f"Org {i}") for i in range(4)]
    split = room.ok("split_groups", {"strategy": "random", "groups": 2})["result"]["split_id"]
    mine = support.view(room.client, room.id, people[0]["participant_token"], "participant")["data"]["me"]["group"]
    group = mine["group"]["id"]

    def group_of(p: dict[str, Any]) -> str:
        me = support.view(room.client, room.id, p["participant_token"], "participant")["data"]["me"]
        return str(me["group"]["group"]["id"])

    outsider = next(p for p in people[1:] if group_of(p) != group)
    qs = room.ok("pose_questions", {"split_id": split, "questions": ["What do we offer?"]})["result"]
    question = support.view(room.client, room.id, room.facilitator, "dashboard")["data"]["groups"]
    tokens = {
        "facilitator": room.facilitator, "member": people[0]["participant_token"],
        "non-member": outsider["participant_token"], "projector": room.projector, "anonymous": None,
    }  # fmt: skip
    return room, tokens, {"split": split, "group": group, "qs": qs["question_set_id"], "dashboard": question}


def test_group_commands_follow_role_and_membership(client: TestClient) -> None:
    room, tokens, ids = _group_scene(client)
    qid = ids["dashboard"]["question_sets"][0]["questions"][0]["id"]
    add = {"question_set_id": ids["qs"], "group_id": ids["group"], "question_id": qid, "text": "Shared labs"}
    rename = {"split_id": ids["split"], "group_id": ids["group"], "name": "Blue"}
    expected = {
        ("add_contribution", "facilitator"): "ack", ("add_contribution", "member"): "ack",
        ("add_contribution", "non-member"): "not_a_member", ("add_contribution", "projector"): "forbidden",
        ("add_contribution", "anonymous"): "unauthorized",
        ("rename_group", "facilitator"): "ack", ("rename_group", "member"): "ack",
        ("rename_group", "non-member"): "not_a_member", ("rename_group", "projector"): "forbidden",
        ("lock_answers", "facilitator"): "ack", ("lock_answers", "member"): "forbidden",
        ("lock_answers", "non-member"): "forbidden", ("lock_answers", "projector"): "forbidden",
    }  # fmt: skip
    args = {"add_contribution": add, "rename_group": rename, "lock_answers": {"question_set_id": ids["qs"]}}
    for (name, role), outcome in expected.items():
        if name == "lock_answers" and role == "facilitator":
            continue  # run last: it would refuse the contributions
        r = support.command(client, room.id, tokens[role], name, args[name])
        got = "ack" if r.status_code == 200 else r.json()["error"]["code"]
        assert got == outcome, (name, role, r.text)
    r = support.command(client, room.id, tokens["facilitator"], "lock_answers", args["lock_answers"])
    assert r.status_code == 200, r.text
