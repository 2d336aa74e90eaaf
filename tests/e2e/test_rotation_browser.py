"""Rotations and the room timer in a real browser: phones follow their tables round by round on the server's clock,
and a laptop whose clock is 7 s fast shows the same remaining time as the projector."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import Server
from tests.e2e.test_browser import TIMEOUT_MS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PEOPLE = [
    ("Ana Ferreira", "Proplast", "IT", "Energy"),
    ("Jan Kowalski", "Silesia Automotive", "PL", "Agrifood"),
    ("Marie Dubois", "Tenerrdis", "FR", "Energy"),
    ("Luca Bianchi", "Lombardy Energy Cluster", "IT", "Agrifood"),
]
SKEW_MS = 7000
# Date.now() and new Date() run 7 s ahead; performance.now() and Date.parse() are left alone.
SKEWED_DATE = """(() => {
  const Real = Date, realNow = Real.now.bind(Real), skew = %d;
  class Skewed extends Real {
    constructor(...args) { if (args.length === 0) super(realNow() + skew); else super(...args); }
    static now() { return realNow() + skew; }
  }
  window.Date = Skewed;
})();"""


def _workshop(server: Server, people: list[tuple[str, str, str, str]]) -> tuple[dict[str, str], list[dict[str, str]]]:
    created = server.request(
        "POST",
        "/api/workshops",
        {"title": "Matchmaking day", "date": "2026-11-22", "language": "en", "sectors": ["Agrifood", "Energy"]},
    )
    joined = [
        server.request(
            "POST",
            "/api/join",
            {"code": created["code"], "name": n, "organisation": o, "country": c, "sector": s},
        )
        for n, o, c, s in people
    ]
    return created, joined


def _command(server: Server, created: dict[str, str], name: str, args: dict[str, Any]) -> dict[str, Any]:
    body = {"id": f"test-{time.monotonic_ns()}", "name": name, "args": args}
    return dict(
        server.request("POST", f"/api/workshops/{created['workshop_id']}/commands", body, created["facilitator_token"])
    )


def _phone(browser: Any, server: Server, wid: str, token: str, skew_ms: int = 0) -> Any:
    """A participant's phone that already joined (its token in localStorage), optionally with a wrong clock."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(f"localStorage.setItem({json.dumps('tavolo:me:' + wid)}, {json.dumps(token)});")
    if skew_ms:
        context.add_init_script(SKEWED_DATE % skew_ms)
    page = context.new_page()
    page.goto(f"{server.url}/w/{wid}/me")
    return page


def _until(check: Callable[[], Any], seconds: float, what: str) -> Any:
    """Wait for check() to return something truthy (CSP forbids wait_for_function's eval in the page)."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_four_phones_follow_their_tables_and_the_rounds_change_by_themselves(browser: Any, server: Server) -> None:
    """The facilitator plans 3 rounds of 10 s of pairs from the dashboard and starts them; each phone shows its
    table and its partner, the projector the table map; the server's clock moves everyone to the next round."""
    from playwright.sync_api import expect

    created, joined = _workshop(server, PEOPLE)
    wid = created["workshop_id"]
    facilitator = browser.new_context(viewport={"width": 1440, "height": 900})
    facilitator.set_default_timeout(TIMEOUT_MS)
    dashboard = facilitator.new_page()
    dashboard.goto(f"{server.url}/w/{wid}/dashboard#k={created['facilitator_token']}&p={created['projector_token']}")
    expect(dashboard.locator("#conn-status")).to_have_attribute("data-state", "connected")
    phones = [_phone(browser, server, wid, p["participant_token"]) for p in joined]
    for phone, person in zip(phones, PEOPLE, strict=True):
        expect(phone.locator("#hello")).to_contain_text(person[0])
    screen = browser.new_context(viewport={"width": 1280, "height": 720})
    screen.set_default_timeout(TIMEOUT_MS)
    projector = screen.new_page()
    projector.goto(f"{server.url}/w/{wid}/projector#k={created['projector_token']}")

    # Plan: pairs, 10-second rounds (1/6 min), 3 rounds, then start.
    dashboard.select_option("#ro-size", "2")
    dashboard.fill("#ro-minutes", str(10 / 60))
    dashboard.fill("#ro-rounds", "3")
    dashboard.click("#ro-plan")
    expect(dashboard.locator("#ro-round")).to_have_text("Planned: 3 rounds")
    expect(dashboard.locator("#ro-quality")).to_contain_text("Repeated pairs")
    expect(dashboard.locator("#ro-tables li")).to_have_count(2)
    expect(phones[0].locator("#my-rotation")).to_be_hidden()  # nothing on the phones before it starts
    dashboard.click("#ro-controls [data-ro=start]")
    expect(dashboard.locator("#ro-round")).to_have_text("Round 1 of 3")

    names = [p[0] for p in PEOPLE]
    partners_by_round: list[dict[str, str]] = []
    for number in (1, 2):
        seen: dict[str, str] = {}
        tables: dict[str, str] = {}
        for phone, name in zip(phones, names, strict=True):
            expect(phone.locator("#rp-round")).to_have_text(f"Round {number} of 3", timeout=20_000)
            tables[name] = phone.get_attribute("#rp-table", "data-table") or ""
            (partner,) = phone.locator("#rp-partners .rp-name").all_inner_texts()
            assert partner in names and partner != name
            seen[name] = partner
        assert all(seen[seen[a]] == a for a in seen), seen  # pairs are mutual
        assert all(tables[a] == tables[seen[a]] for a in seen), tables  # and sit at the same table
        assert sorted(set(tables.values())) == ["1", "2"]
        expect(phones[0].locator("#rp-table")).to_have_text(f"Go to table {tables[names[0]]}")
        expect(projector.locator("#prr-round")).to_have_text(f"Round {number} of 3")
        expect(projector.locator("#prr-tables li")).to_have_count(2)
        expect(projector.locator("#prr-tables")).to_contain_text(names[0])
        partners_by_round.append(seen)
    assert all(partners_by_round[0][a] != partners_by_round[1][a] for a in names)  # someone new each round

    # Round 2: star round 1's partner; the round changes again by itself, then the rotation ends.
    ana = phones[0]
    ana.click("#rp-met-title")
    met = ana.locator("#rp-met li", has_text=partners_by_round[0][names[0]])
    met.locator("button.rp-star").click()
    expect(met.locator("button.rp-star")).to_have_attribute("aria-pressed", "true")
    for phone in phones:
        expect(phone.locator("#rp-round")).to_have_text("Round 3 of 3", timeout=20_000)
    expect(ana.locator("#rp-next")).to_have_text("This is the last round.")
    expect(ana.locator("#rp-round")).to_have_text("The rotation is over", timeout=20_000)
    expect(ana.locator("#rp-met li")).to_have_count(3)  # everyone met everyone
    expect(ana.locator("#rp-met button[aria-pressed=true]")).to_have_count(1)
    expect(projector.locator("#proj-rotation")).to_be_hidden()
    expect(dashboard.locator("#ro-round")).to_have_text("Finished after round 3 of 3")
    expect(dashboard.locator("#ro-new")).to_be_visible()  # a new rotation can be planned
    for context in [facilitator, screen, *(phone.context for phone in phones)]:
        context.close()


def _reading(page: Any, selector: str) -> float:
    """Remaining ms shown, moved to a common instant: remaining + the wall-clock time it was painted at (both pages
    run in one browser, so performance.timeOrigin + performance.now() is one clock for both)."""
    remaining, at = page.evaluate(
        f"() => {{ const n = document.querySelector({json.dumps(selector)});"
        " return [Number(n.dataset.remainingMs), Number(n.dataset.at)]; }"
    )
    return float(remaining) + float(at)


def test_a_laptop_with_a_clock_7_s_fast_shows_the_projectors_remaining_time(browser: Any, server: Server) -> None:
    """Measured: the remaining time on a phone whose Date runs 7 s ahead and on the projector agree within 0.2 s;
    the room timer (a PechaKucha) shows the same slide on both."""
    from playwright.sync_api import expect

    created, joined = _workshop(server, PEOPLE[:2])
    wid = created["workshop_id"]
    rotation = _command(server, created, "create_rotation", {"table_size": 2, "rounds": 2, "round_seconds": 120})
    rid = rotation["result"]["rotation_id"]
    _command(server, created, "start_rotation", {"rotation_id": rid})
    _command(server, created, "start_timer", {"seconds": 400, "segments": 20, "label": "PechaKucha: Ana"})

    phone = _phone(browser, server, wid, joined[0]["participant_token"], skew_ms=SKEW_MS)
    screen = browser.new_context(viewport={"width": 1280, "height": 720})
    screen.set_default_timeout(TIMEOUT_MS)
    projector = screen.new_page()
    projector.goto(f"{server.url}/w/{wid}/projector#k={created['projector_token']}")
    expect(phone.locator("#rp-countdown")).to_have_attribute("data-state", "running")
    expect(projector.locator("#prr-countdown")).to_have_attribute("data-state", "running")
    for page in (phone, projector):  # the welcome and the five pings of the first second
        _until(lambda page=page: page.evaluate("Tavolo.clock.samples()") >= 6, 10, "clock samples")
    skew = phone.evaluate("Date.now() - (performance.timeOrigin + performance.now())")
    assert abs(skew - SKEW_MS) < 50, skew  # the phone's clock really is 7 s fast

    differences = []
    for _ in range(8):
        differences.append(_reading(phone, "#rp-countdown") - _reading(projector, "#prr-countdown"))
        time.sleep(0.1)  # spread the samples over the countdown (not waiting for anything)
    worst = max(differences, key=abs)
    offset = phone.evaluate("Tavolo.clock.offset()")
    print(
        f"\nclock offset measured: phone's estimated offset {offset:.0f} ms (skew {SKEW_MS} ms); "
        f"phone - projector remaining time: median {statistics.median(differences):.1f} ms, worst {worst:.1f} ms "
        f"over {len(differences)} samples"
    )
    assert abs(worst) <= 200, differences

    # The room timer: the same countdown and slide on both (a PechaKucha: 20 slides of 20 s).
    expect(projector.locator("#proj-timer .rt-slide")).to_have_text("Slide 1 of 20")
    expect(phone.locator("#my-timer .rt-slide")).to_have_text("Slide 1 of 20")
    timer_difference = _reading(phone, "#my-timer .rt-countdown") - _reading(projector, "#proj-timer .rt-countdown")
    print(f"room timer: phone - projector {timer_difference:.1f} ms")
    assert abs(timer_difference) <= 200
    phone.context.close()
    screen.close()
