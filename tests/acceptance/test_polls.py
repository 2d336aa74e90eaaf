"""README, "Polls": secret ballots; results hidden until the facilitator shows them, then live on the projector."""

from __future__ import annotations

import json
from typing import Any

from tests.acceptance.support import Room, open_single_choice_poll


def test_a_secret_ballots_tally_reaches_the_projector_only_once_shown(room: Room) -> None:
    voters = [room.join(f"Voter {i}") for i in range(3)]
    poll = open_single_choice_poll(room, "Which priority?", ["Skills", "Funding"], secret=True)
    projector = room.watch("projector", room.projector_token)
    for voter, answer in zip(voters, ["o1", "o1", "o2"], strict=True):
        room.command("cast_ballot", {"poll_id": poll, "answer": answer}, token=voter.token)
    projector.wait(lambda d: d["polls"][poll]["turnout"]["voted"] == 3, what="three ballots counted")
    assert projector.data["polls"][poll]["results"] is None  # hidden: only the turnout
    room.command("set_results_visibility", {"poll_id": poll, "visibility": "shown"})
    projector.wait(lambda d: d["polls"][poll]["results"], what="the results shown")
    counts = {o["label"]: o["count"] for o in projector.data["polls"][poll]["results"][0]["options"]}
    assert counts == {"Skills": 2, "Funding": 1}
    # Secret: nothing a facilitator can read links a ballot to its voter.
    shown = str(room.view("dashboard")["polls"][poll]) + str(projector.data["polls"][poll])
    assert not any(v.participant_id in shown or v.name in shown for v in voters)


TAP_MIN = 44  # px: the smallest comfortable touch target (WCAG 2.5.5, Apple and Android guidance)


def _turnout_of_closed_poll(room: Room, poll_id: str) -> Any:
    return lambda d: d["polls"][poll_id]["poll"]["state"] == "closed" and d["polls"][poll_id]["turnout"]


def test_a_closed_polls_turnout_stays_frozen_while_people_keep_joining(room: Room) -> None:
    people = [room.join(f"Early {i}") for i in range(3)]
    lunch = {"title": "Lunch", "kind": "single", "questions": [{"options": ["Pizza", "Pasta"]}]}
    poll_id = room.command("create_poll", lunch)["result"]["poll_id"]
    room.command("open_poll", {"poll_id": poll_id})
    room.command("cast_ballot", {"poll_id": poll_id, "answer": "o1"}, token=people[0].token)
    room.command("close_poll", {"poll_id": poll_id})
    dashboard = room.watch("dashboard")
    assert dashboard.wait(_turnout_of_closed_poll(room, poll_id)) == {"voted": 1, "present": 3, "percent": 33.3}
    for i in range(3):
        room.join(f"Late {i}")
    dashboard.wait(lambda d: d["counts"]["joined"] == 6, what="six people in the room")
    assert dashboard.data["polls"][poll_id]["turnout"] == {"voted": 1, "present": 3, "percent": 33.3}
    projector = room.watch("projector", token=room.projector_token)
    assert projector.wait(_turnout_of_closed_poll(room, poll_id))["present"] == 3
    replayed = room.get("/replay")["dashboard"]["polls"][poll_id]["turnout"]
    assert replayed == {"voted": 1, "present": 3, "percent": 33.3}


def test_a_closed_poll_is_reopened_with_its_ballots_and_duplicated_into_a_draft(room: Room) -> None:
    ann, bob = room.join("Ann"), room.join("Bob")
    lunch = {"title": "Lunch", "kind": "single", "questions": [{"options": ["Pizza", "Pasta"]}]}
    poll_id = room.command("create_poll", lunch)["result"]["poll_id"]
    room.command("open_poll", {"poll_id": poll_id})
    room.command("cast_ballot", {"poll_id": poll_id, "answer": "o1"}, token=ann.token)
    room.command("close_poll", {"poll_id": poll_id})
    room.command("reopen_poll", {"poll_id": poll_id})
    room.command("cast_ballot", {"poll_id": poll_id, "answer": "o2"}, token=bob.token)
    dashboard = room.watch("dashboard")
    view = dashboard.wait(lambda d: d["polls"][poll_id]["turnout"]["voted"] == 2 and d["polls"][poll_id])
    assert view["poll"]["state"] == "open"
    assert [o["count"] for o in view["results"][0]["options"]] == [1, 1]

    copy_id = room.command("duplicate_poll", {"poll_id": poll_id}, command_id="dup-lunch")["result"]["poll_id"]
    retry = room.command("duplicate_poll", {"poll_id": poll_id}, command_id="dup-lunch")
    assert retry["result"]["poll_id"] == copy_id and copy_id != poll_id
    copy = dashboard.wait(lambda d: d["polls"][copy_id])
    assert copy["poll"]["state"] == "draft" and copy["turnout"]["voted"] == 0
    assert (copy["poll"]["title"], copy["poll"]["questions"]) == (view["poll"]["title"], view["poll"]["questions"])


def test_the_word_cloud_counts_whole_phrases_and_keeps_emoji(room: Room) -> None:
    answers = ["Best practices", "best practices!", "Market intelligence", "data sharing", "Data sharing.", "🚀", "🚀"]
    people = [room.join(f"Voice {i}") for i in range(len(answers))]
    takeaway = {"title": "Takeaway", "kind": "text", "questions": [{"prompt": "One thing you take home?"}]}
    poll_id = room.command("create_poll", takeaway)["result"]["poll_id"]
    room.command("open_poll", {"poll_id": poll_id})
    for person, answer in zip(people, answers, strict=True):
        room.command("cast_ballot", {"poll_id": poll_id, "answer": answer}, token=person.token)
    room.command("set_results_visibility", {"poll_id": poll_id, "visibility": "shown"})
    projector = room.watch("projector", token=room.projector_token)
    result = projector.wait(lambda d: d["polls"][poll_id]["turnout"]["voted"] == len(answers) and d["polls"][poll_id])
    [question] = result["results"]
    assert question["cloud"] == "phrases"
    assert question["words"] == [
        ["Best practices", 2], ["Data sharing", 2], ["🚀", 2], ["Market intelligence", 1]
    ]  # fmt: skip

    words = {"title": "Words", "kind": "text", "questions": [{"prompt": "And in words?", "cloud": "words"}]}
    words_id = room.command("create_poll", words)["result"]["poll_id"]
    room.command("open_poll", {"poll_id": words_id})
    room.command("cast_ballot", {"poll_id": words_id, "answer": "Data sharing 🚀"}, token=people[0].token)
    dashboard = room.watch("dashboard")
    counted = dashboard.wait(lambda d: d["polls"][words_id]["turnout"]["voted"] == 1 and d["polls"][words_id])
    assert counted["results"][0]["words"] == [["data", 1], ["sharing", 1], ["🚀", 1]]


def test_on_a_phone_the_0_to_10_buttons_and_the_language_switch_are_at_least_44_px(room: Room, browser: Any) -> None:
    ana = room.join("Ana")
    nps = {"title": "Recommend?", "kind": "scale", "questions": [{"prompt": "Would you?", "scale": "0-10"}]}
    poll_id = room.command("create_poll", nps)["result"]["poll_id"]
    room.command("open_poll", {"poll_id": poll_id})
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True,
                                  has_touch=True, locale="en-GB")  # fmt: skip
    context.set_default_timeout(20_000)
    key, token = json.dumps(f"tavolo:me:{room.workshop_id}"), json.dumps(ana.token)
    context.add_init_script(f"localStorage.setItem({key}, {token});")
    page = context.new_page()
    page.goto(f"{room.server.url}/w/{room.workshop_id}/me")
    steps = page.locator(".ballot-scale.eleven .ballot-scale-step")
    steps.nth(10).wait_for()
    targets = [("0-10 button " + str(i), steps.nth(i)) for i in range(11)]
    switch = page.locator(".lang-switch a")
    targets += [("language " + str(switch.nth(i).text_content()), switch.nth(i)) for i in range(switch.count())]
    sizes = {name: target.bounding_box() for name, target in targets}
    small = {n: (round(b["width"], 1), round(b["height"], 1)) for n, b in sizes.items()
             if b["width"] < TAP_MIN or b["height"] < TAP_MIN}  # fmt: skip
    assert small == {}, f"tap targets under {TAP_MIN}x{TAP_MIN} px on a 390-px phone: {small}"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # and nothing overflows the screen
    context.close()


def test_the_dashboard_reopens_and_duplicates_a_closed_poll(room: Room, browser: Any) -> None:
    ana = room.join("Ana")
    lunch = {"title": "Lunch", "kind": "single", "questions": [{"options": ["Pizza", "Pasta"]}]}
    poll_id = room.command("create_poll", lunch)["result"]["poll_id"]
    room.command("open_poll", {"poll_id": poll_id})
    room.command("cast_ballot", {"poll_id": poll_id, "answer": "o1"}, token=ana.token)
    room.command("close_poll", {"poll_id": poll_id})
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(f"{room.server.url}/w/{room.workshop_id}/dashboard#k={room.facilitator_token}&p={room.projector_token}")
    card = page.locator(f"li.poll-card[data-id='{poll_id}']")
    card.locator("button[data-action='duplicate']").click()
    page.wait_for_selector("li.poll-card.state-draft")
    copy_id = page.locator("li.poll-card.state-draft").get_attribute("data-id")
    assert copy_id != poll_id and page.locator("li.poll-card.state-draft .poll-title").text_content() == "Lunch"
    card.locator("button[data-action='reopen']").click()
    page.wait_for_selector(f"li.poll-card.state-open[data-id='{poll_id}']")
    assert room.view()["polls"][poll_id]["turnout"]["voted"] == 1  # the ballot cast before is kept
    context.close()
