"""Replay in a real browser: a finished workshop (the scripted one, on fixed times), the scrubber dragged to
before the first poll closed -- before Bruno changed his ballot -- shows the tally as it was then."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.application import Tavolo
from server.stores import store_env
from tests.e2e.conftest import Server, start_server
from tests.e2e.test_browser import TIMEOUT_MS
from tests.projections.scripted import build, fake_clock

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FACILITATOR_TOKEN = "f" * 43
PROJECTOR_TOKEN = "p" * 43


@pytest.fixture
def finished(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    url = f"sqlite:///{tmp_path}/tavolo.db"
    with fake_clock() as clock:
        app = Tavolo(store_env(url))
        workshop_id = build(app, clock, {"facilitator_token": FACILITATOR_TOKEN, "projector_token": PROJECTOR_TOKEN})
        app.close()
    server = start_server(url, tmp_path / "server.log")
    yield server, str(workshop_id)
    server.stop()


def _results(page: object) -> str:
    return str(page.locator("#rp-polls .rp-results").first.text_content())  # type: ignore[attr-defined]


def test_drag_the_scrubber_to_before_a_poll_closed(browser: object, finished: tuple[Server, str]) -> None:
    server, workshop_id = finished
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{server.url}/w/{workshop_id}/replay#k={FACILITATOR_TOKEN}")
    page.wait_for_selector("#rp-polls .rp-poll[data-state='closed']")
    assert _results(page) == "Skills4Export0"  # the end: Bruno's second ballot replaced his first
    assert page.locator(".rp-markers [data-kind='poll_closed']").count() == 2

    start = datetime(2026, 11, 22, 9, 25, tzinfo=UTC).timestamp()
    end = datetime.fromisoformat(page.locator(".rp-markers [data-kind='note']").last.get_attribute("data-at"))
    target = datetime(2026, 11, 22, 9, 39, 45, tzinfo=UTC).timestamp()  # four ballots in, Bruno still for Export
    share = (target - start) / (end.timestamp() - start)
    box = page.locator("#rp-scrubber").bounding_box()
    thumb = 8  # half the thumb: its centre runs from x + 8 to x + width - 8
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] - thumb, y)
    page.mouse.down()
    page.mouse.move(box["x"] + thumb + share * (box["width"] - 2 * thumb), y, steps=12)
    page.mouse.up()

    page.wait_for_selector("#rp-polls .rp-poll[data-state='open']")
    page.wait_for_function("document.querySelector('#rp-polls .rp-results').textContent === 'Skills3Export1'")
    assert "4 " in str(page.locator("#rp-polls .rp-turnout").first.text_content())
    assert ":" in str(page.locator("#rp-time").text_content())  # the moment shown, as a time
    context.close()
