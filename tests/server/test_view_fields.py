"""Each view carries only what its screen shows: every field of the dashboard, projector and participant payloads,
with groups, polls, a rotation, matchmaking and a timer all active, must be on that view's list
(projections/view_fields.py). A new field fails here until someone decides who may see it."""

from __future__ import annotations

from typing import Any

from projections.view_fields import ALLOWED, unlisted
from tests.server.support import Room, running


def _busy_room(room: Room) -> dict[str, Any]:
    """Everything at once: people (one anonymous), a running item, a poll shown, groups reporting back with
    contributions, a running rotation, published matchmaking with profiles and a meeting, a running timer."""
    people = [room.join(name=f"P{i}", organisation=f"Org {i}", country=["IT", "FR", "DE"][i % 3]) for i in range(5)]
    people.append(room.join(name="Anon", organisation="Hidden Org", anonymous=True))
    tokens = [p["participant_token"] for p in people]
    item = room.ok("add_agenda_item", {"title": "A", "kind": "plenary", "planned_start": "10:30", "duration_min": 30})
    room.ok("start_agenda_item", {"item_id": item["result"]["item_id"]})
    room.ok("annotate", {"text": "A note"})
    lunch = {"title": "Lunch", "kind": "multiple", "questions": [{"options": ["A", "B"], "max_choices": 1}]}
    poll = room.ok("create_poll", lunch)["result"]["poll_id"]
    room.ok("open_poll", {"poll_id": poll})
    room.ok("cast_ballot", {"poll_id": poll, "answer": ["o1"]}, tokens[0])
    room.ok("set_results_visibility", {"poll_id": poll, "visibility": "shown"})
    split = room.ok("split_groups", {"strategy": "balanced", "groups": 2})["result"]["split_id"]
    groups = room.view()["data"]["groups"]["split"]["groups"]
    g = groups[0]
    room.ok("set_rapporteur", {"split_id": split, "group_id": g["id"], "participant_id": g["members"][0]["id"]})
    room.ok("set_table", {"split_id": split, "group_id": g["id"], "table": 3})
    qs = room.ok("pose_questions", {"split_id": split, "questions": [{"prompt": "Needs?", "time_box_min": 5}],
                                    "categories": ["offer"]})["result"]["question_set_id"]  # fmt: skip
    member = next(tokens[i] for i, p in enumerate(people) if p["participant_id"] == g["members"][0]["id"])
    room.ok("add_contribution", {"question_set_id": qs, "group_id": g["id"], "question_id": "q1", "text": "Labs",
                                 "tags": ["offer"]}, member)  # fmt: skip
    room.ok("set_sheet_visibility", {"question_set_id": qs, "visibility": "all"})
    room.ok("show_report_back", {"question_set_id": qs, "group_id": g["id"]})
    rotation = room.ok("create_rotation", {"table_size": 2, "rounds": 2, "round_seconds": 60})["result"]
    room.ok("start_rotation", {"rotation_id": rotation["rotation_id"]})
    room.ok("start_timer", {"seconds": 300, "label": "Talk"})
    room.ok("configure_matchmaking", {"sessions": [{"start": "2026-11-23T09:00:00+01:00",
                                                    "end": "2026-11-23T10:00:00+01:00"}],
                                      "slot_minutes": 20, "tables": 2})  # fmt: skip
    for t in tokens[:2]:
        room.ok("save_match_profile", {"offers": "Labs", "seeks": "Partners", "markets": ["FR"]}, t)
    meeting = room.ok("request_meeting", {"participant_id": people[1]["participant_id"], "note": "Hi"}, tokens[0])
    room.ok("accept_meeting", {"meeting_id": meeting["result"]["meeting_id"]}, tokens[1])
    room.ok("schedule_meetings")
    room.ok("publish_schedule")
    return {"member": member, "first": tokens[0]}


def test_every_view_carries_only_listed_fields() -> None:
    with running() as client:
        room = Room(client)
        who = _busy_room(room)
        payloads = {
            "dashboard": room.view("dashboard")["data"],
            "projector": room.view("projector")["data"],
            "participant": room.view("participant", who["member"])["data"],
        }
        assert payloads["projector"]["report_back"] and payloads["projector"]["rotation"]
        assert payloads["projector"]["matchmaking"] and payloads["participant"]["me"]["group"]
        for view, data in payloads.items():
            assert unlisted(data, ALLOWED[view]) == [], view


def test_the_projector_shows_no_sheet_while_nothing_is_reported_back() -> None:
    with running() as client:
        room = Room(client)
        _busy_room(room)
        qs = room.view()["data"]["groups"]["question_sets"][-1]
        room.ok("show_report_back", {"question_set_id": qs["id"], "group_id": None})
        projector = room.view("projector")["data"]
        assert projector["report_back"] is None
        assert "Labs" not in repr(projector) and "author" not in repr(projector)
