"""A real browser: Debian's Chromium driven by Playwright, several contexts as several laptops."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import Server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
TIMEOUT_MS = 15_000


def join(browser: object, server: Server, code: str, name: str, organisation: str, country: str) -> object:
    context = browser.new_context(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{server.url}/")
    page.fill("#join-code-input", code.lower())  # typed in lower case on a phone: still found
    page.press("#join-code-input", "Enter")
    page.wait_for_url(re.compile(rf"/j/{code}$"))
    page.fill("#p-name", name)
    page.fill("#p-organisation", organisation)
    page.select_option("#p-country", country)
    page.select_option("#p-sector", "Energy")
    page.click("#join-submit")
    page.wait_for_url(re.compile(r"/w/[0-9a-f-]+/me$"))
    page.wait_for_selector("#hello:has-text('" + name + "')")
    return page


def test_facilitator_sees_two_participants_join_live_and_a_reload_keeps_identity(
    browser: object, server: Server
) -> None:
    facilitator = browser.new_context()  # type: ignore[attr-defined]
    facilitator.set_default_timeout(TIMEOUT_MS)
    dashboard = facilitator.new_page()
    dashboard.goto(f"{server.url}/")
    dashboard.fill("#f-title", "Cluster matchmaking roadshow")
    dashboard.fill("#f-venue", "Bologna")
    dashboard.fill("#f-sectors", "Agrifood\nEnergy\nDigital & ICT")
    dashboard.click("#create-form button[type=submit]")
    dashboard.check("#saved-ack")  # the "save your links" step comes first
    dashboard.click("#go-dashboard")
    dashboard.wait_for_url(re.compile(r"/w/[0-9a-f-]+/dashboard"))
    code = dashboard.inner_text("#join-code").strip()
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{6}", code), code
    # The secret token left the visible URL (it is kept by the browser).
    assert "#k=" not in dashboard.url

    anna = join(browser, server, code, "Anna <b>Rossi</b>", "Lombardy Energy Cluster", "IT")
    jan = join(browser, server, code, "Jan Kowalski", "Silesia Automotive", "PL")

    # Both appear on the dashboard without a reload, participant text shown as text.
    rows = dashboard.locator("#people-body tr")
    rows.filter(has_text="Jan Kowalski").wait_for()
    rows.filter(has_text="Anna <b>Rossi</b>").wait_for()
    assert dashboard.locator("#people-body b").count() == 0
    dashboard.wait_for_function("document.querySelector('#stat-joined').textContent.trim() === '2'")

    # A reload resumes the same participant: no duplicate on the dashboard.
    participant_id = anna.evaluate("() => Object.keys(localStorage).find(k => k.startsWith('tavolo:me:'))")
    assert participant_id
    anna.reload()
    anna.wait_for_selector("#hello:has-text('Anna')")
    anna.wait_for_function("document.querySelector('#stat-joined').textContent.trim() === '2'")
    assert rows.count() == 2
    dashboard.wait_for_function("document.querySelector('#stat-joined').textContent.trim() === '2'")

    # The facilitator starts an agenda item; participants see it as the current item.
    dashboard.fill("#a-title", "Welcome and introductions")
    dashboard.click("#agenda-add button[type=submit]")
    dashboard.locator("#agenda-list li", has_text="Welcome and introductions").wait_for()
    dashboard.locator("#agenda-list li", has_text="Welcome and introductions").locator(
        "button", has_text="Start"
    ).click()
    jan.wait_for_selector("#now-title:has-text('Welcome and introductions')")  # type: ignore[attr-defined]
    facilitator.close()


def _workshop(server: Server) -> dict[str, str]:
    return dict(
        server.request(
            "POST",
            "/api/workshops",
            {"title": "Energy clusters day", "date": "2026-11-22", "language": "en", "sectors": ["Agrifood", "Energy"]},
        )
    )


def _dashboard_and_marta(browser: object, server: Server) -> tuple[dict[str, str], Any, Any, Any]:
    """A workshop, its dashboard open and connected, and Marta joined from a phone."""
    from playwright.sync_api import expect

    created = _workshop(server)
    wid, fac, proj = created["workshop_id"], created["facilitator_token"], created["projector_token"]
    facilitator = browser.new_context()  # type: ignore[attr-defined]
    facilitator.set_default_timeout(TIMEOUT_MS)
    dashboard = facilitator.new_page()
    dashboard.goto(f"{server.url}/w/{wid}/dashboard#k={fac}&p={proj}")
    expect(dashboard.locator("#conn-status")).to_have_attribute("data-state", "connected")
    marta = join(browser, server, created["code"], "Marta Nowak", "Baltic Wind Cluster", "PL")
    return created, facilitator, dashboard, marta


def test_a_removed_participant_is_told_live_and_stops_reconnecting(browser: object, server: Server) -> None:
    from playwright.sync_api import expect

    created, facilitator, dashboard, marta = _dashboard_and_marta(browser, server)
    wid = created["workshop_id"]
    row = dashboard.locator("#people-body tr", has_text="Marta Nowak")
    row.locator("button[data-remove]").click()
    dashboard.click("#confirm-dialog button[value=ok]")

    # Without a reload, the participant's page says so, forgets the token and does not reconnect.
    expect(marta.locator("#gone-title")).to_have_text("You are no longer in this workshop")  # type: ignore[attr-defined]
    expect(marta.locator("#me-main")).to_be_hidden()  # type: ignore[attr-defined]
    assert marta.evaluate(f"localStorage.getItem('tavolo:me:{wid}')") is None  # type: ignore[attr-defined]
    marta.wait_for_timeout(2000)  # type: ignore[attr-defined]
    expect(marta.locator("#conn-status")).to_have_attribute("data-state", "closed")  # type: ignore[attr-defined]
    expect(dashboard.locator("#stat-removed")).to_have_text("1")
    facilitator.close()


def test_a_facilitator_deletes_the_workshop_and_every_screen_is_told(browser: object, server: Server) -> None:
    from playwright.sync_api import expect

    created, facilitator, dashboard, marta = _dashboard_and_marta(browser, server)
    wid = created["workshop_id"]
    dashboard.locator("#people-body tr", has_text="Marta Nowak").wait_for()

    dashboard.click("#open-settings")
    expect(dashboard.locator("#delete-workshop")).to_be_disabled()
    dashboard.fill("#delete-confirm", "WRONG1")
    expect(dashboard.locator("#delete-workshop")).to_be_disabled()
    dashboard.fill("#delete-confirm", " " + created["code"].lower())  # as typed: spaces and case do not matter
    dashboard.click("#delete-workshop")

    expect(dashboard.locator("#deleted")).to_be_visible()
    expect(dashboard.locator("#dash-body")).to_be_hidden()
    assert dashboard.evaluate(f"localStorage.getItem('tavolo:fac:{wid}')") is None
    expect(marta.locator("#gone-title")).to_have_text("This workshop no longer exists")  # type: ignore[attr-defined]
    assert marta.evaluate(f"localStorage.getItem('tavolo:me:{wid}')") is None  # type: ignore[attr-defined]
    marta.wait_for_timeout(1500)  # type: ignore[attr-defined]
    expect(marta.locator("#conn-status")).to_have_attribute("data-state", "closed")  # type: ignore[attr-defined]
    assert marta.reload().status == 404  # type: ignore[attr-defined]
    facilitator.close()


def test_the_projector_shows_organisations_and_sectors_on_one_screen(browser: object, server: Server) -> None:
    from playwright.sync_api import expect

    facilitator = browser.new_context()  # type: ignore[attr-defined]
    facilitator.set_default_timeout(TIMEOUT_MS)
    dashboard = facilitator.new_page()
    dashboard.goto(f"{server.url}/")
    dashboard.fill("#f-title", "Projector check")
    dashboard.fill("#f-sectors", "Agrifood\nEnergy")
    dashboard.click("#create-form button[type=submit]")
    dashboard.check("#saved-ack")  # the "save your links" step comes first
    dashboard.click("#go-dashboard")
    dashboard.wait_for_url(re.compile(r"/w/[0-9a-f-]+/dashboard$"))
    wid = dashboard.url.rsplit("/", 2)[-2]
    fac = dashboard.evaluate(f"localStorage.getItem('tavolo:fac:{wid}')")
    proj = dashboard.evaluate(f"localStorage.getItem('tavolo:proj:{wid}')")
    assert fac and proj and fac != proj
    # The projector opens with the projector token, never the facilitator's.
    assert dashboard.get_attribute("#open-projector", "href") == f"/w/{wid}/projector#k={proj}"
    code = dashboard.inner_text("#join-code").strip()
    people = [
        ("Anna", "Lombardy Energy Cluster", "IT", "Energy"),
        ("Luca", "Lombardy Energy Cluster", "IT", "Energy"),
        ("Ewa", "Silesia Automotive", "PL", "Agrifood"),
    ]
    for name, organisation, country, sector in people:
        server.request(
            "POST",
            "/api/join",
            {"code": code, "name": name, "organisation": organisation, "country": country, "sector": sector},
        )

    for width, height in [(1280, 720), (1920, 1080)]:
        screen = browser.new_context(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
        screen.set_default_timeout(TIMEOUT_MS)
        projector = screen.new_page()
        projector.goto(f"{server.url}/w/{wid}/projector#k={proj}")
        orgs = projector.locator("#top-organisations li")
        expect(orgs.first).to_contain_text("Lombardy Energy Cluster")
        expect(orgs.first.locator(".bar-count")).to_have_text("2")
        expect(projector.locator("#top-organisations")).to_contain_text("Silesia Automotive")
        expect(projector.locator("#top-sectors li").first).to_contain_text("Energy")
        expect(projector.locator("#stat-joined")).to_have_text("3")
        size = projector.evaluate(
            "() => [document.documentElement.scrollHeight, document.documentElement.scrollWidth,"
            " document.querySelector('#proj-live').getBoundingClientRect().bottom]"
        )
        assert size[0] <= height and size[1] <= width and size[2] <= height, (width, height, size)
        screen.close()
    facilitator.close()


def test_a_reload_in_the_middle_of_joining_finishes_the_same_join(browser: object, server: Server) -> None:
    from playwright.sync_api import expect

    created = _workshop(server)
    wid = created["workshop_id"]
    phone = browser.new_context(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    phone.set_default_timeout(TIMEOUT_MS)
    page = phone.new_page()

    # The join command never reaches the server (the network drops it), then the page is reloaded.
    dropping = [True]

    def drop_join(ws: Any) -> None:
        server_ws = ws.connect_to_server()
        ws.on_message(lambda m: None if dropping[0] and '"command"' in str(m) else server_ws.send(m))

    page.route_web_socket(re.compile(r"/ws/"), drop_join)
    page.goto(f"{server.url}/j/{created['code']}")
    page.fill("#p-name", "Sofia Greco")
    page.fill("#p-organisation", "Apulia Agrifood District")
    page.select_option("#p-country", "IT")
    page.select_option("#p-sector", "Agrifood")
    page.click("#join-submit")
    expect(page.locator("#join-submit")).to_be_disabled()
    pending = page.evaluate(f"JSON.parse(localStorage.getItem('tavolo:pending:{wid}'))")
    token = page.evaluate(f"localStorage.getItem('tavolo:me:{wid}')")
    assert pending["args"]["token"] == token

    dropping[0] = False
    page.reload()  # the join page sends the device to the participant page, which finishes the join
    page.wait_for_url(re.compile(r"/w/[0-9a-f-]+/me"))
    expect(page.locator("#hello")).to_contain_text("Sofia Greco")
    assert page.evaluate(f"localStorage.getItem('tavolo:pending:{wid}')") is None
    assert page.evaluate(f"localStorage.getItem('tavolo:me:{wid}')") == token
    view = server.request("GET", f"/api/workshops/{wid}/views/dashboard", token=created["facilitator_token"])
    assert [p["name"] for p in view["data"]["participants"].values()] == ["Sofia Greco"]
    # A second reload is an ordinary visit: same participant.
    page.reload()
    expect(page.locator("#hello")).to_contain_text("Sofia Greco")
    phone.close()


def test_a_poll_from_the_dashboard_reaches_the_projector_and_three_phones_vote_live(
    browser: object, server: Server
) -> None:
    """The facilitator builds a single-choice poll in the dashboard, opens it and shows its results; the projector
    (opened from the dashboard's link) shows it; three phones vote; the projector's chart follows without reload."""
    from playwright.sync_api import expect

    facilitator = browser.new_context(viewport={"width": 1440, "height": 900})  # type: ignore[attr-defined]
    facilitator.set_default_timeout(TIMEOUT_MS)
    dashboard = facilitator.new_page()
    dashboard.goto(f"{server.url}/")
    dashboard.fill("#f-title", "Alpine clusters day")
    dashboard.fill("#f-sectors", "Agrifood\nEnergy")
    dashboard.click("#create-form button[type=submit]")
    dashboard.check("#saved-ack")  # the "save your links" step comes first
    dashboard.click("#go-dashboard")
    dashboard.wait_for_url(re.compile(r"/w/[0-9a-f-]+/dashboard$"))
    code = dashboard.inner_text("#join-code").strip()

    # Build the poll: a title, the options one per line; saved as a draft, then opened, then results shown.
    question = "Which area should we pursue first?"
    dashboard.click("#poll-new")
    dashboard.fill("#pb-title", question)
    dashboard.click("#pb-create")  # no options yet: refused in the form, nothing sent
    expect(dashboard.locator("#pb-error")).to_contain_text("at least two options")
    dashboard.fill("#pb-questions textarea[name=options]", "Hydrogen valleys\nSmart grids\nAgri-PV\n")
    dashboard.click("#pb-create")
    expect(dashboard.locator("#poll-builder")).to_be_hidden()
    card = dashboard.locator("#poll-list li.poll-card", has_text=question)
    expect(card.locator(".poll-state")).to_have_text("Draft")
    card.locator("button[data-action=open]").click()
    expect(card.locator(".poll-state")).to_have_text("Live")
    card.locator("button[data-action=show]").click()
    expect(card.locator(".badge.shown")).to_have_text("Results shown")

    # The projector, from the dashboard's own link, on another machine.
    href = dashboard.get_attribute("#open-projector", "href")
    assert href and href.startswith("/w/") and "/projector#k=" in href
    screen = browser.new_context(viewport={"width": 1280, "height": 720})  # type: ignore[attr-defined]
    screen.set_default_timeout(TIMEOUT_MS)
    projector = screen.new_page()
    projector.goto(server.url + href)
    expect(projector.locator("#pp-title")).to_have_text(question)
    expect(projector.locator("#pp-join")).to_be_visible()  # the QR code while the poll is open
    expect(projector.locator("#pp-join")).to_contain_text(code)
    rows = projector.locator("#pp-results .chart-row")
    expect(rows).to_have_count(3)
    total = "[...document.querySelectorAll('#pp-results .chart-row')].reduce((n, r) => n + Number(r.dataset.count), 0)"
    assert projector.evaluate(total) == 0
    projector.evaluate("window.notReloaded = true")

    phones = [
        join(browser, server, code, "Anna Rossi", "Lombardy Energy Cluster", "IT"),
        join(browser, server, code, "Jan Kowalski", "Silesia Automotive", "PL"),
        join(browser, server, code, "Marie Dubois", "Tenerrdis", "FR"),
    ]
    for phone, choice in zip(phones, ["Hydrogen valleys", "Hydrogen valleys", "Agri-PV"], strict=True):
        ballot = phone.locator("#polls-me li.poll-me", has_text=question)  # type: ignore[attr-defined]
        ballot.locator("label.ballot-option", has_text=choice).click()
        ballot.locator("button[type=submit]").click()
        expect(ballot.locator(".my-answer-box")).to_contain_text(choice)
        expect(ballot.locator("button[data-action=change]")).to_be_visible()

    # The projector's chart reached three ballots by itself: no reload. (Expectations poll from outside the page:
    # wait_for_function would evaluate a string in it, which the CSP refuses.)
    expect(rows.filter(has_text="Hydrogen valleys")).to_have_attribute("data-count", "2")
    expect(rows.filter(has_text="Agri-PV")).to_have_attribute("data-count", "1")
    expect(rows.filter(has_text="Smart grids")).to_have_attribute("data-count", "0")
    assert projector.evaluate(total) == 3
    assert projector.evaluate("window.notReloaded") is True
    expect(projector.locator("#pp-status .turnout-voted")).to_have_text("3")
    size = projector.evaluate("[document.documentElement.scrollHeight, document.documentElement.scrollWidth]")
    assert size[0] <= 720 and size[1] <= 1280, size
    # The dashboard has the same live count; participants see the results, shown by the facilitator.
    expect(card.locator(".turnout-voted")).to_have_text("3")
    expect(phones[0].locator("#polls-me .poll-results .chart-row").first).to_have_attribute("data-count", "2")  # type: ignore[attr-defined]
    for phone in phones:
        phone.context.close()  # type: ignore[attr-defined]
    screen.close()
    facilitator.close()


def test_six_phones_split_into_two_groups_and_answers_reach_the_group_and_the_dashboard_live(
    browser: object, server: Server
) -> None:
    """The facilitator splits six participants into two random groups from the dashboard and poses a question; one
    member types an answer: it appears on the dashboard's answers board and on the other members' phones of that
    group (not the other group's), without a reload."""
    from playwright.sync_api import expect

    created = _workshop(server)
    wid, fac, proj = created["workshop_id"], created["facilitator_token"], created["projector_token"]
    facilitator = browser.new_context(viewport={"width": 1440, "height": 900})  # type: ignore[attr-defined]
    facilitator.set_default_timeout(TIMEOUT_MS)
    dashboard = facilitator.new_page()
    dashboard.goto(f"{server.url}/w/{wid}/dashboard#k={fac}&p={proj}")
    expect(dashboard.locator("#conn-status")).to_have_attribute("data-state", "connected")
    people = [
        ("Anna Rossi", "Lombardy Energy Cluster", "IT"),
        ("Jan Kowalski", "Silesia Automotive", "PL"),
        ("Marie Dubois", "Tenerrdis", "FR"),
        ("Luca Bianchi", "Lombardy Energy Cluster", "IT"),
        ("Ewa Nowak", "Baltic Wind Cluster", "PL"),
        ("Sofia Greco", "Apulia Agrifood District", "IT"),
    ]
    phones = [join(browser, server, created["code"], *person) for person in people]
    expect(dashboard.locator("#stat-joined")).to_have_text("6")

    dashboard.select_option("#gs-strategy", "random")
    dashboard.check("#gs-form input[name=by][value=groups]")
    dashboard.fill("#gs-count", "2")
    dashboard.click("#gs-split")
    cards = dashboard.locator("#gs-groups li.gs-group")
    expect(cards).to_have_count(2)
    expect(cards.nth(0).locator("li.gs-member")).to_have_count(3)
    expect(cards.nth(1).locator("li.gs-member")).to_have_count(3)

    question = "What does internationalisation mean for an SME?"
    dashboard.fill("#gq-questions", question)
    dashboard.click("#gq-pose")
    board = dashboard.locator("#gq-sets li.gq-set")
    expect(board).to_have_count(1)
    expect(board.locator(".gq-question h5")).to_contain_text(question)

    # Each phone shows its group and the question, live; the groups are the dashboard's.
    for phone in phones:
        expect(phone.locator("#my-group")).to_be_visible()  # type: ignore[attr-defined]
        expect(phone.locator(".sheet-question h3")).to_contain_text(question)  # type: ignore[attr-defined]
    titles = [phone.inner_text("#mg-title") for phone in phones]  # type: ignore[attr-defined]
    writer_group = titles[0]
    same = [p for p, title in zip(phones, titles, strict=True) if title == writer_group and p is not phones[0]]
    others = [p for p, title in zip(phones, titles, strict=True) if title != writer_group]
    assert len(same) == 2 and len(others) == 3, titles
    for phone in phones:
        phone.evaluate("window.notReloaded = true")  # type: ignore[attr-defined]

    answer = "Selling <b>abroad</b>, and also partnering and learning abroad."
    writer = phones[0]
    writer.fill(".sheet-question textarea", answer)  # type: ignore[attr-defined]
    writer.click(".sheet-question form.sheet-add button[type=submit]")  # type: ignore[attr-defined]
    expect(writer.locator(".sheet-item .sheet-text")).to_have_text(answer)  # type: ignore[attr-defined]
    for phone in same:
        expect(phone.locator(".sheet-item .sheet-text")).to_have_text(answer)  # type: ignore[attr-defined]
        expect(phone.locator(".sheet-item .sheet-meta")).to_contain_text("Anna Rossi")  # type: ignore[attr-defined]
    column = board.locator(".gq-column", has_text=writer_group).first
    expect(board.locator(".gq-contributions li .gq-text")).to_have_text([answer])
    expect(column.locator(".gq-text")).to_have_text(answer)
    expect(board.locator(".gq-chip.answered")).to_have_count(1)
    for phone in others:  # the other group's sheet stays empty (visibility: own group only)
        expect(phone.locator(".sheet-item")).to_have_count(0)  # type: ignore[attr-defined]
    assert dashboard.locator("#groups b").count() == 0  # participant text shown as text
    for phone in phones:
        assert phone.evaluate("window.notReloaded") is True  # type: ignore[attr-defined]
        phone.context.close()  # type: ignore[attr-defined]
    facilitator.close()
