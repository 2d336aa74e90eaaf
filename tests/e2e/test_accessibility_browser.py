"""Every page passes axe-core (vendored, tests/vendor/axe-core) with no serious or critical violation, in Chromium,
with real data on it: home, join, the participant's phone with a poll, group work, a rotation and B2B meetings all
under way, the dashboard, the projector (also during a report-back), replay, the HTML minutes and the not-found page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.support import Room, http
from tests.e2e.conftest import Server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
TIMEOUT_MS = 15_000
BLOCKING = ("serious", "critical")
# Moderate in axe's terms, but each was reported from a real event (a page without a main landmark or a first-level
# heading is hard to find one's way around with a screen reader): they fail too.
ALSO = ("page-has-heading-one", "landmark-one-main", "region", "definition-list", "label-content-name-mismatch")


def violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations (and those of ``ALSO``) on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => JSON.stringify(await axe.run(document, {resultTypes: ['violations']}))")
    found = json.loads(result)["violations"]
    return [v for v in found if v["impact"] in BLOCKING or v["id"] in ALSO]


def describe(where: str, found: list[dict[str, Any]]) -> str:
    lines = []
    for v in found:
        targets = [" ".join(map(str, n["target"])) for n in v["nodes"][:5]]
        lines.append(f"{where}: {v['id']} ({v['impact']}, {len(v['nodes'])} nodes): {v['help']}\n    "
                     + "\n    ".join(f"{t}: {n['failureSummary'].splitlines()[-1].strip()}"
                                     for t, n in zip(targets, v["nodes"], strict=False)))  # fmt: skip
    return "\n".join(lines)


@pytest.fixture
def busy(server: Server) -> Iterator[dict[str, Any]]:
    """A workshop with everything under way at once: an open secret poll, a group split with questions and
    contributions, a running rotation, B2B meetings (one accepted, one scheduled and published), notes."""
    room = Room.create(server, "Energy clusters day", sectors=["Agrifood", "Energy", "Digital & ICT"])
    people = [room.join(n, organisation=o, country=c, sector=s) for n, o, c, s in (
        ("Ana Ferreira", "Proplast", "IT", "Energy"), ("Jan Kowalski", "Silesia Automotive", "PL", "Agrifood"),
        ("Marta Nowak", "Baltic Wind", "PL", "Energy"), ("Luca Bianchi", "Food Valley", "IT", "Digital & ICT"),
    )]  # fmt: skip
    ana, jan, marta, luca = people
    item = room.command("add_agenda_item", {"title": "Welcome", "kind": "plenary"})["result"]["item_id"]
    room.command("start_agenda_item", {"item_id": item})
    split = room.command("split_groups", {"strategy": "balanced", "groups": 2})["result"]["split_id"]
    qs = room.command("pose_questions", {"split_id": split, "questions": ["What do clusters need?"]})["result"][
        "question_set_id"
    ]
    sheet = room.view("participant", ana.token)["me"]["group"]
    group = sheet["group"]["id"]
    question = sheet["question_sets"][0]["questions"][0]["id"]
    room.command("add_contribution", {"question_set_id": qs, "group_id": group, "question_id": question,
                                      "text": "Shared labs"}, token=ana.token)  # fmt: skip
    poll = room.command("create_poll", {"title": "Which priority?", "kind": "single", "secret": True,
                                        "questions": [{"options": ["Skills", "Funding", "Data"]}]})  # fmt: skip
    room.command("open_poll", {"poll_id": poll["result"]["poll_id"]})
    for voter in (ana, jan):  # Ana's phone shows "Your answer"
        room.command("cast_ballot", {"poll_id": poll["result"]["poll_id"], "answer": "o1"}, token=voter.token)
    room.command("set_results_visibility", {"poll_id": poll["result"]["poll_id"], "visibility": "shown"})
    rotation = room.command("create_rotation", {"table_size": 2, "rounds": 3, "round_seconds": 600})
    room.command("start_rotation", {"rotation_id": rotation["result"]["rotation_id"]})
    now = datetime.now(UTC).replace(microsecond=0)
    room.command("configure_matchmaking", {"sessions": [{"start": (now - timedelta(minutes=5)).isoformat(),
                                                         "end": (now + timedelta(hours=2)).isoformat()}],
                                           "slot_minutes": 20, "tables": 4, "requires_acceptance": True})  # fmt: skip
    for p in people:
        room.command("save_match_profile", {"offers": f"{p.name}'s labs", "seeks": "Partners", "sectors": ["Energy"],
                                            "value_chain": "research"}, token=p.token)  # fmt: skip
    accepted = room.command("request_meeting", {"participant_id": jan.participant_id, "note": "Polymers?"},
                            token=ana.token)["result"]["meeting_id"]  # fmt: skip
    room.command("accept_meeting", {"meeting_id": accepted}, token=jan.token)
    room.command("request_meeting", {"participant_id": marta.participant_id}, token=ana.token)
    room.command("add_meeting", {"participant_ids": [marta.participant_id, luca.participant_id]})
    room.command("schedule_meetings")
    room.command("publish_schedule")
    room.command("request_meeting", {"participant_id": luca.participant_id, "note": "Later?"}, token=ana.token)
    room.command("annotate", {"text": "Ana's group met in room 2", "item_id": item})
    yield {"room": room, "people": people, "qs": qs, "split": split, "group": group}
    room.close()


def _context(browser: Any, width: int, height: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True, locale="en-GB",
                                  timezone_id="UTC")  # fmt: skip
    context.set_default_timeout(TIMEOUT_MS)
    return context


def test_every_page_has_no_serious_or_critical_axe_violation(browser: Any, server: Server,
                                                            busy: dict[str, Any]) -> None:  # fmt: skip
    from playwright.sync_api import expect

    room: Room = busy["room"]
    wid, ana = room.workshop_id, busy["people"][0]
    secrets = f"#k={room.facilitator_token}&p={room.projector_token}"
    report: list[str] = []

    def check(where: str, page: Any) -> None:
        report.append(describe(where, violations(page)))

    laptop = _context(browser, 1440, 900)
    page = laptop.new_page()
    page.goto(f"{server.url}/")
    check("home", page)
    page.goto(f"{server.url}/j/{room.code}")
    expect(page.locator("#p-name")).to_be_visible()
    check("join", page)
    page.goto(f"{server.url}/j/NOSUCH")
    check("not found", page)

    page.goto(f"{server.url}/w/{wid}/dashboard{secrets}")
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "connected")
    expect(page.locator("#people-body tr").first).to_be_visible()
    check("dashboard", page)

    projector = laptop.new_page()
    projector.goto(f"{server.url}/w/{wid}/projector#p={room.projector_token}")
    expect(projector.locator("#conn-status")).to_have_attribute("data-state", "connected")
    check("projector", projector)
    room.command("show_report_back", {"question_set_id": busy["qs"], "group_id": busy["group"]})
    expect(projector.locator("body")).to_contain_text("Shared labs")
    check("projector (report-back)", projector)

    page.goto(f"{server.url}/w/{wid}/replay{secrets}")
    page.wait_for_load_state("networkidle")
    check("replay", page)

    minutes = http(server, "GET", f"/api/workshops/{wid}/minutes.html", token=room.facilitator_token)
    page.route(f"{server.url}/minutes-under-test", lambda route: route.fulfill(
        status=200, content_type="text/html; charset=utf-8", body=minutes))  # fmt: skip
    page.goto(f"{server.url}/minutes-under-test")
    check("minutes.html", page)

    phone = _context(browser, 390, 844)
    phone.add_init_script(f"localStorage.setItem({json.dumps('tavolo:me:' + wid)}, {json.dumps(ana.token)});")
    me = phone.new_page()
    me.goto(f"{server.url}/w/{wid}/me")
    expect(me.locator("#hello")).to_contain_text("Ana")
    expect(me.locator("#my-match")).to_be_visible()
    expect(me.locator(".my-answer-box")).to_be_visible()
    expect(me.locator("#my-group")).to_be_visible()
    expect(me.locator("#my-rotation")).to_be_visible()
    check("participant", me)
    # Marta has not voted: her phone shows the ballot itself.
    marta = busy["people"][2]
    phone.add_init_script(f"localStorage.setItem({json.dumps('tavolo:me:' + wid)}, {json.dumps(marta.token)});")
    other = phone.new_page()
    other.goto(f"{server.url}/w/{wid}/me")
    expect(other.locator("#hello")).to_contain_text("Marta")
    expect(other.locator("form.ballot")).to_be_visible()
    check("participant (ballot)", other)

    laptop.close()
    phone.close()
    problems = "\n".join(r for r in report if r)
    assert not problems, "axe-core found serious or critical violations:\n" + problems
