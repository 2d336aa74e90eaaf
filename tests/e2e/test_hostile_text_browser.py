"""Hostile text in a real browser: script and markup payloads entered as a name, an organisation, a poll answer, a
group contribution and a facilitator's note are shown as text on the dashboard, the projector, a participant's
page and the minutes — never parsed as markup, never run."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.e2e.conftest import Server
from tests.e2e.test_browser import TIMEOUT_MS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NAME = '<img src=x id=pwn-name onerror="window.__xss=1">Eve'
ORG = "<script>window.__xss=2</script>Evil Corp"
ANSWER = '<svg id=pwn-answer onload="window.__xss=3"></svg>synergy'
IDEA = '"><iframe id=pwn-idea srcdoc="<script>parent.__xss=4</script>"></iframe>'
NOTE = "<b id=pwn-note>bold</b> note"
PAYLOADS = (NAME, ORG, ANSWER, IDEA)


def _command(server: Server, workshop: str, token: str, name: str, args: dict[str, Any]) -> dict[str, Any]:
    body = {"id": str(uuid.uuid4()), "name": name, "args": args}
    return dict(server.request("POST", f"/api/workshops/{workshop}/commands", body, token))


def _hostile_workshop(server: Server) -> tuple[str, str, str, str]:
    created = server.request(
        "POST", "/api/workshops", {"title": "Trust day", "date": "2026-11-22", "language": "en", "sectors": ["ICT"]}
    )
    wid, fac = created["workshop_id"], created["facilitator_token"]
    joined = server.request("POST", "/api/join", {"code": created["code"], "name": NAME, "organisation": ORG,
                                                  "country": "IT", "sector": "ICT"})  # fmt: skip
    me = joined["participant_token"]
    poll = _command(server, wid, fac, "create_poll", {"title": "One word?", "kind": "text", "questions": [{}]})
    poll_id = poll["result"]["poll_id"]
    _command(server, wid, fac, "open_poll", {"poll_id": poll_id})
    _command(server, wid, me, "cast_ballot", {"poll_id": poll_id, "answer": ANSWER})
    _command(server, wid, fac, "set_results_visibility", {"poll_id": poll_id, "visibility": "shown"})
    split = _command(server, wid, fac, "split_groups", {"strategy": "random", "groups": 1})["result"]["split_id"]
    qs = _command(server, wid, fac, "pose_questions", {"split_id": split, "questions": ["Ideas?"]})["result"]
    view = server.request("GET", f"/api/workshops/{wid}/views/dashboard", token=fac)["data"]["groups"]
    group, question = view["split"]["groups"][0]["id"], view["question_sets"][0]["questions"][0]["id"]
    _command(server, wid, me, "add_contribution", {"question_set_id": qs["question_set_id"], "group_id": group,
                                                   "question_id": question, "text": IDEA})  # fmt: skip
    _command(server, wid, fac, "show_report_back", {"question_set_id": qs["question_set_id"], "group_id": group})
    _command(server, wid, fac, "annotate", {"text": NOTE})
    return wid, fac, created["projector_token"], me


def _assert_inert(page: Any, *shown: str) -> None:
    from playwright.sync_api import expect

    for text in shown:
        expect(page.locator("body")).to_contain_text(text)  # shown, as text
    assert page.evaluate("window.__xss === undefined"), "a payload ran"
    for element in ("#pwn-name", "#pwn-answer", "#pwn-idea", "#pwn-note"):
        assert page.locator(element).count() == 0, f"{element} was parsed as markup"


def test_payloads_are_text_on_every_screen_and_in_the_minutes(browser: object, server: Server) -> None:
    wid, fac, proj, me = _hostile_workshop(server)
    context = browser.new_context(viewport={"width": 1440, "height": 900})  # type: ignore[attr-defined]
    context.set_default_timeout(TIMEOUT_MS)
    violations: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)

    page.goto(f"{server.url}/w/{wid}/dashboard#k={fac}")
    _assert_inert(page, NAME, ORG, ANSWER, IDEA)
    page.goto(f"{server.url}/w/{wid}/projector#k={proj}")
    _assert_inert(page, IDEA)  # the projector shows the group's answers (report back) and the poll's words
    phone = context.new_page()  # a participant's page keeps its token in the browser's storage
    phone.add_init_script(f"localStorage.setItem('tavolo:me:{wid}', '{me}')")
    phone.goto(f"{server.url}/w/{wid}/me")
    _assert_inert(phone, NAME, IDEA)
    context.set_extra_http_headers({"Authorization": f"Bearer {fac}"})
    # The minutes are a download: load the file as a browser opens it from disk, without the server's CSP, so
    # only escaping stands between a payload and the reader.
    html = context.request.get(f"{server.url}/api/workshops/{wid}/minutes.html").text()
    minutes = context.new_page()
    minutes.set_content(html)
    _assert_inert(minutes, NAME, IDEA, NOTE)
    markdown = context.request.get(f"{server.url}/api/workshops/{wid}/minutes.md").text()
    assert '\\<img src=x id=pwn-name onerror="window.\\_\\_xss=1"\\>Eve' in markdown  # escaped, literal
    assert not violations, violations  # nothing even tried to run inline: it was all text
    context.close()
