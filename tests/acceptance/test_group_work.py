"""Group work through a real server: question time boxes one after another; who may change a contribution; a
removal undone within a minute."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.acceptance.support import HttpError, Person, Room


def _one_group(room: Room, *names: str) -> tuple[list[Person], dict[str, str]]:
    """``names`` join and are split into one group, asked one question; the sheet's address for commands."""
    people = [room.join(n, organisation=f"Org {n}") for n in names]
    split_id = room.command("split_groups", {"strategy": "random", "groups": 1})["result"]["split_id"]
    qs = room.command("pose_questions", {"split_id": split_id, "questions": ["Why?"]})["result"]["question_set_id"]
    return people, {"question_set_id": qs, "group_id": "s1g1"}


def _sheet(room: Room, person: Person) -> list[dict[str, Any]]:
    me = room.view("participant", token=person.token)["me"]
    return list(me["group"]["question_sets"][0]["sheet"]["answers"]["q1"])


def _refused(code: str, run: Any) -> None:
    with pytest.raises(HttpError) as refused:
        run()
    assert refused.value.body["error"]["code"] == code


def test_group_time_boxes_of_ten_minutes_per_question_run_one_after_another(room: Room) -> None:
    people = [room.join(n) for n in ("Ann", "Bob")]
    split_id = room.command("split_groups", {"strategy": "random", "groups": 1})["result"]["split_id"]
    questions = [{"prompt": "Why?", "time_box_min": 10}, {"prompt": "How?", "time_box_min": 10}]
    room.command("pose_questions", {"split_id": split_id, "questions": questions})

    for view in (room.view()["groups"], room.view("participant", token=people[0].token)["me"]["group"]):
        [qs] = view["question_sets"]
        posed = datetime.fromisoformat(qs["posed_at"])
        first, second = qs["questions"]
        assert datetime.fromisoformat(first["ends_at"]) == posed + timedelta(minutes=10)
        assert datetime.fromisoformat(second["starts_at"]) == posed + timedelta(minutes=10)
        assert datetime.fromisoformat(second["ends_at"]) == posed + timedelta(minutes=20)


def test_group_members_change_their_own_contributions_the_rapporteur_anyones(room: Room) -> None:
    (ann, bob), sheet = _one_group(room, "Ann", "Bob")
    c1 = room.command("add_contribution", {**sheet, "question_id": "q1", "text": "Shared labs"}, token=ann.token)
    cid = c1["result"]["contribution_id"]
    edit = {**sheet, "contribution_id": cid, "text": "Bob's now", "base_version": 1}

    _refused("not_your_contribution", lambda: room.command("edit_contribution", edit, token=bob.token))
    _refused("not_your_contribution", lambda: room.command("remove_contribution", {**sheet, "contribution_id": cid},
                                                           token=bob.token))  # fmt: skip
    assert [c["text"] for c in _sheet(room, bob)] == ["Shared labs"]

    split_id = room.view()["groups"]["split"]["id"]
    room.command("set_rapporteur", {"split_id": split_id, "group_id": "s1g1", "participant_id": bob.participant_id})
    room.command("edit_contribution", edit, token=bob.token)
    assert [c["text"] for c in _sheet(room, ann)] == ["Bob's now"]
    room.command("edit_contribution", {**edit, "text": "Ann's again", "base_version": 2}, token=ann.token)
    room.command("remove_contribution", {**sheet, "contribution_id": cid}, token=bob.token)
    assert _sheet(room, ann) == []


def test_group_a_removed_contribution_comes_back_with_undo_within_the_minute(room: Room) -> None:
    (ann, bob), sheet = _one_group(room, "Ann", "Bob")
    phone = room.watch("participant", token=bob.token)
    cid = room.command("add_contribution", {**sheet, "question_id": "q1", "text": "Keep me"}, token=ann.token)[
        "result"
    ]["contribution_id"]
    room.command("remove_contribution", {**sheet, "contribution_id": cid}, token=ann.token)
    phone.wait(lambda d: d["me"]["group"]["question_sets"][0]["sheet"]["answers"]["q1"] == [], what="removed")

    room.command("restore_contribution", {**sheet, "contribution_id": cid}, token=ann.token)

    phone.wait(
        lambda d: [c["text"] for c in d["me"]["group"]["question_sets"][0]["sheet"]["answers"]["q1"]] == ["Keep me"],
        what="the contribution back on Bob's phone",
    )
    _refused("not_your_contribution", lambda: room.command("restore_contribution", {**sheet, "contribution_id": cid},
                                                           token=bob.token))  # fmt: skip


def test_group_phone_offers_undo_for_a_minute_after_a_removal(room: Room, browser: Any) -> None:
    """On Ann's phone: Edit and Remove on her own contribution only; after removing it, "Undo" brings it back."""
    from playwright.sync_api import expect

    (ann, bob), sheet = _one_group(room, "Ann", "Bob")
    room.command("add_contribution", {**sheet, "question_id": "q1", "text": "Bob's idea"}, token=bob.token)
    room.command("add_contribution", {**sheet, "question_id": "q1", "text": "Ann's idea"}, token=ann.token)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(20_000)
    key = f"tavolo:me:{room.workshop_id}"
    context.add_init_script(f"localStorage.setItem({key!r}, {ann.token!r});")
    try:
        page = context.new_page()
        page.goto(f"{room.server.url}/w/{room.workshop_id}/me")
        mine = page.locator("li.sheet-item", has_text="Ann's idea")
        theirs = page.locator("li.sheet-item", has_text="Bob's idea")
        expect(mine.locator("button[data-act=remove]")).to_be_visible()
        expect(theirs).to_be_visible()
        expect(theirs.locator("button[data-act=remove]")).to_have_count(0)
        mine.locator("button[data-act=remove]").click()
        page.locator("#confirm-dialog button[value=ok]").click()
        expect(page.locator("li.sheet-item", has_text="Ann's idea")).to_have_count(0)
        page.locator(".sheet-undo button").click()
        expect(page.locator("li.sheet-item", has_text="Ann's idea")).to_be_visible()
        expect(page.locator(".sheet-undo")).to_have_count(0)
    finally:
        context.close()


def test_a_balanced_split_on_a_live_server_spreads_every_country_across_the_groups(room: Room) -> None:
    for i, country in enumerate(["IT", "IT", "PL", "PL", "SI", "SI", "AT", "AT"]):
        room.join(f"Person {i}", organisation=f"Org {i}", country=country)
    room.command("split_groups", {"strategy": "balanced", "groups": 2})
    groups = room.view("dashboard")["groups"]["split"]
    assert sorted(len(g["members"]) for g in groups["groups"]) == [4, 4]
    for g in groups["groups"]:
        assert Counter(m["country"] for m in g["members"]) == {"IT": 1, "PL": 1, "SI": 1, "AT": 1}
    assert groups["quality"]["deviation"]["country"] == 0


def test_a_category_holding_a_semicolon_is_refused_with_its_own_code_and_the_form_says_so_first(
    room: Room, browser: Any
) -> None:
    from playwright.sync_api import expect

    room.join("Ann")
    split_id = room.command("split_groups", {"strategy": "random", "groups": 1})["result"]["split_id"]
    with pytest.raises(HttpError) as refused:
        room.command("pose_questions", {"split_id": split_id, "questions": ["Why?"], "categories": ["offer; demand"]})
    assert (refused.value.status, refused.value.body["error"]["code"]) == (422, "invalid_category")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    key = f"tavolo:fac:{room.workshop_id}"
    context.add_init_script(f"localStorage.setItem({key!r}, {room.facilitator_token!r});")
    try:
        page = context.new_page()
        sent: list[str] = []  # the commands the page sends: the check is made before sending
        page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(str(frame))))
        page.goto(f"{room.server.url}/w/{room.workshop_id}/dashboard?lang=en")
        page.fill("#gq-questions", "Why?")
        page.fill("#gq-categories", "offer; demand, export")
        page.locator("#gq-pose").click()
        expect(page.locator("#gq-error")).to_contain_text("cannot contain “;”")
        assert not [f for f in sent if "pose_questions" in f]
    finally:
        context.close()


def test_a_removed_member_leaves_the_phones_group_card_and_the_projector_and_is_marked_on_the_dashboard(
    room: Room, browser: Any
) -> None:
    (ann, bob, _cleo), sheet = _one_group(room, "Ann Moretti", "Bob Gallo", "Cleo Ricci")
    split_id = room.view()["groups"]["split"]["id"]
    room.command("set_rapporteur", {"split_id": split_id, "group_id": "s1g1", "participant_id": bob.participant_id})
    room.command("remove_participants", {"participant_ids": [bob.participant_id]})
    room.command("show_report_back", {"question_set_id": sheet["question_set_id"], "group_id": "s1g1"})
    # The views: the phone and the projector name only who is still here; the dashboard keeps Bob, marked.
    group = room.view("participant", ann.token)["me"]["group"]["group"]
    assert [m["name"] for m in group["members"]] == ["Ann Moretti", "Cleo Ricci"] and group["rapporteur"] is None
    (shown,) = room.view("projector", room.projector_token)["report_back"]["groups"]
    assert sorted(m["name"] for m in shown["members"]) == ["Ann Moretti", "Cleo Ricci"] and shown["rapporteur"] is None
    (listed,) = room.view()["groups"]["split"]["groups"]
    assert {m["name"]: m["present"] for m in listed["members"]}["Bob Gallo"] is False
    # The pages draw what the views say.
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(20_000)
    try:
        key, token = json.dumps(f"tavolo:me:{room.workshop_id}"), json.dumps(ann.token)
        context.add_init_script(f"localStorage.setItem({key}, {token});")
        phone = context.new_page()
        phone.goto(f"{room.server.url}/w/{room.workshop_id}/me")
        phone.locator("#mg-members li", has_text="Cleo Ricci").wait_for()
        assert "Bob Gallo" not in phone.locator("#my-group").inner_text()
        projector = context.new_page()
        projector.goto(f"{room.server.url}/w/{room.workshop_id}/projector#k={room.projector_token}")
        projector.locator("#pr-members", has_text="Cleo Ricci").wait_for()
        assert "Bob Gallo" not in projector.locator("#pr-members").inner_text()
        dashboard = context.new_page()
        dashboard.goto(f"{room.server.url}/w/{room.workshop_id}/dashboard#k={room.facilitator_token}")
        dashboard.locator(".gs-member.away", has_text="Bob Gallo").wait_for()
    finally:
        context.close()
