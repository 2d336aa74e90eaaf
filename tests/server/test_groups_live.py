"""Group work through the server: late joiners placed, sheets live to the group, conflicts that lose no text."""

from __future__ import annotations

from typing import Any

from tests.server import support
from tests.server.support import Room


def _me(room: Room, token: str) -> dict[str, Any]:
    return dict(support.view(room.client, room.id, token, "participant")["data"]["me"])


def test_a_late_joiner_is_placed_by_the_planner_once_even_if_the_join_is_retried(room: Room) -> None:
    for i in range(4):
        room.join(name=f"P{i}", organisation=f"Org {i}")
    room.ok("split_groups", {"strategy": "balanced", "groups": 2})
    body = {"code": room.code, **support.PROFILE, "name": "Late", "id": "late-join"}
    late = support.post_json(room.client, "/api/join", body).json()
    again = support.post_json(room.client, "/api/join", body)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    group = _me(room, late["participant_token"])["group"]["group"]
    sizes = [len(g["members"]) for g in room.view()["data"]["groups"]["split"]["groups"]]
    assert sorted(sizes) == [2, 3]
    assert any(m["id"] == late["participant_id"] for m in group["members"])


def test_a_contribution_reaches_the_group_live_and_a_stale_edit_keeps_both_texts(room: Room) -> None:
    people = [room.join(name=f"P{i}", organisation=f"Org {i}") for i in range(2)]
    split = room.ok("split_groups", {"strategy": "random", "groups": 1})["result"]["split_id"]
    qs = room.ok("pose_questions", {"split_id": split, "questions": ["What do we offer?"]})["result"]
    groups = room.view()["data"]["groups"]
    group, question = groups["split"]["groups"][0]["id"], groups["question_sets"][0]["questions"][0]["id"]
    where = {"question_set_id": qs["question_set_id"], "group_id": group, "question_id": question}
    ann, bob = (p["participant_token"] for p in people)
    with room.peer(bob, "participant") as peer:
        added = room.ok("add_contribution", {**where, "text": "Shared labs"}, ann)["result"]
        peer.wait_view("participant", lambda d: "Shared labs" in str(d["me"]["group"]), "Ann's text at Bob's")
    sheet = {"question_set_id": qs["question_set_id"], "group_id": group}
    edit = {**sheet, "contribution_id": added["contribution_id"], "base_version": added["version"]}
    room.ok("edit_contribution", {**edit, "text": "Shared test labs"}, ann)
    # Bob may edit Ann's contribution as the group's rapporteur (a member changes only their own)
    room.ok("set_rapporteur", {"split_id": split, "group_id": group, "participant_id": people[1]["participant_id"]})
    r = support.command(room.client, room.id, bob, "edit_contribution", {**edit, "text": "Labs and pilots"})
    error = r.json()["error"]
    assert (r.status_code, error["code"]) == (409, "edit_conflict")
    assert "Labs and pilots" in str(error["details"]["yours"]) and "Shared test labs" in str(error["details"]["theirs"])


def test_a_poll_for_one_group_takes_ballots_only_from_its_members_and_counts_turnout_there(room: Room) -> None:
    people = [room.join(name=f"P{i}", organisation=f"Org {i}") for i in range(4)]
    room.ok("split_groups", {"strategy": "random", "groups": 2})
    group_of = {p["participant_id"]: _me(room, p["participant_token"])["group"]["group"]["id"] for p in people}
    target = group_of[people[0]["participant_id"]]
    poll = {"title": "Q", "kind": "single", "questions": [{"options": ["A", "B"]}], "groups": [target]}
    poll_id = room.ok("create_poll", poll)["result"]["poll_id"]
    room.ok("open_poll", {"poll_id": poll_id})
    for p in people:
        r = support.command(
            room.client, room.id, p["participant_token"], "cast_ballot", {"poll_id": poll_id, "answer": "o1"}
        )
        member = group_of[p["participant_id"]] == target
        assert (r.status_code == 200) is member, r.text
        if not member:
            assert r.json()["error"]["code"] == "not_in_scope"
    turnout = room.view()["data"]["polls"][poll_id]["turnout"]
    assert turnout == {"voted": 2, "present": 2, "percent": 100.0}
