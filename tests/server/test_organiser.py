"""The facilitator's access does not rest on one browser: the workshop card, and the organiser's list and reopen."""

from __future__ import annotations

import logging
import re

import pytest

from tests.server import support
from tests.server.support import assert_error, post_json

KEY = "s3cret-organiser-key"
ORGANISER = {"X-Tavolo-Organiser-Key": KEY}
BODY = {"title": "Clusters <meet>", "date": "2026-11-22", "language": "en", "sectors": ["ICT"]}


def test_the_workshop_card_holds_the_dashboard_projector_and_join_links_and_the_code() -> None:
    with support.running() as client:
        w = post_json(client, "/api/workshops", BODY).json()
        path = f"/api/workshops/{w['workshop_id']}/card"
        fac, proj = w["facilitator_token"], w["projector_token"]
        card = client.post(path, json={"projector_token": proj}, headers=support.bearer(fac))
        assert card.status_code == 200, card.text
        assert card.headers["content-type"].startswith("text/html")
        assert "attachment" in card.headers["content-disposition"] and w["code"] in card.headers["content-disposition"]
        assert card.headers["cache-control"] == "no-store"
        html = card.text
        assert w["facilitator_url"].replace("&", "&amp;") in html
        assert w["projector_url"] in html and w["join_url"] in html and w["code"] in html
        assert "Clusters &lt;meet&gt;" in html and "<meet>" not in html  # the title is text
        assert "<svg" in html and "<script" not in html  # the QR inline, nothing to run
        # Only the facilitator, and only with the workshop's real projector token.
        assert_error(client.post(path, json={}, headers=support.bearer(proj)), "forbidden")
        assert_error(client.post(path, json={"projector_token": fac}, headers=support.bearer(fac)), "forbidden")
        assert_error(client.post(path, json={}), "unauthorized")


def test_without_an_organiser_key_nobody_lists_the_workshops() -> None:
    with support.running() as client:
        post_json(client, "/api/workshops", BODY)
        assert_error(client.get("/api/workshops", headers=ORGANISER), "no_organiser_key")
        assert_error(client.post("/api/workshops/x/reopen", json={}, headers=ORGANISER), "no_organiser_key")


def test_an_organiser_lists_workshops_and_reopening_replaces_the_facilitator_link() -> None:
    with support.running(organiser_key=KEY) as client:
        first = client.post("/api/workshops", json={**BODY, "title": "First"}, headers=ORGANISER).json()
        second = client.post("/api/workshops", json={**BODY, "title": "Second"}, headers=ORGANISER).json()
        assert_error(client.get("/api/workshops"), "organiser_key_required")
        assert_error(client.get("/api/workshops", headers={"X-Tavolo-Organiser-Key": "guess"}), "forbidden")
        listed = client.get("/api/workshops", headers=ORGANISER).json()
        assert listed["count"] == 2
        assert [w["title"] for w in listed["workshops"]] == ["Second", "First"]  # newest first
        row = listed["workshops"][1]
        assert row["code"] == first["code"] and row["date"] == "2026-11-22" and row["created_at"]
        assert "facilitator_token" not in repr(listed)

        wid = first["workshop_id"]
        old = first["facilitator_token"]
        assert client.get(f"/api/workshops/{wid}/views/dashboard", headers=support.bearer(old)).status_code == 200
        reopened = client.post(f"/api/workshops/{wid}/reopen", json={}, headers=ORGANISER).json()
        new = reopened["facilitator_token"]
        assert new != old and re.search(rf"/w/{wid}/dashboard#k={re.escape(new)}$", reopened["facilitator_url"])
        assert client.get(f"/api/workshops/{wid}/views/dashboard", headers=support.bearer(new)).status_code == 200
        assert_error(client.get(f"/api/workshops/{wid}/views/dashboard", headers=support.bearer(old)), "unauthorized")
        # The other workshop is untouched; a workshop that does not exist is not found.
        other = support.bearer(second["facilitator_token"])
        assert client.get(f"/api/workshops/{second['workshop_id']}/views/dashboard", headers=other).status_code == 200
        assert_error(client.post("/api/workshops/nope/reopen", json={}, headers=ORGANISER), "not_found")


def test_a_deleted_workshop_is_not_listed() -> None:
    with support.running(organiser_key=KEY) as client:
        w = client.post("/api/workshops", json=BODY, headers=ORGANISER).json()
        deleted = support.command(client, w["workshop_id"], w["facilitator_token"], "delete_workshop",
                                  {"confirm": w["code"]})  # fmt: skip
        assert deleted.status_code == 200, deleted.text
        listed = client.get("/api/workshops", headers=ORGANISER).json()
        assert listed == {"workshops": [], "count": 0}
        assert_error(client.post(f"/api/workshops/{w['workshop_id']}/reopen", json={}, headers=ORGANISER), "not_found")


def test_a_retried_reopen_answers_only_a_link_that_works() -> None:
    """The same reopen ``id`` again: with the token the client chose, the same working link; without one (or with
    another), ``409 token_in_use`` rather than a freshly made token the server never saved."""
    with support.running(organiser_key=KEY) as client:
        w = client.post("/api/workshops", json=BODY, headers=ORGANISER).json()
        wid = w["workshop_id"]
        path = f"/api/workshops/{wid}/reopen"
        first = client.post(path, json={"id": "reopen-1"}, headers=ORGANISER)
        assert first.status_code == 200 and not first.json()["duplicate"]
        token = first.json()["facilitator_token"]
        assert_error(client.post(path, json={"id": "reopen-1"}, headers=ORGANISER), "token_in_use")
        other = {"id": "reopen-1", "facilitator_token": "x" * 43}
        assert_error(client.post(path, json=other, headers=ORGANISER), "token_in_use")
        assert client.get(f"/api/workshops/{wid}/views/dashboard", headers=support.bearer(token)).status_code == 200
        chosen = "c" * 43
        again = {"id": "reopen-2", "facilitator_token": chosen}
        assert client.post(path, json=again, headers=ORGANISER).json()["duplicate"] is False
        retried = client.post(path, json=again, headers=ORGANISER).json()
        assert retried["duplicate"] is True and retried["facilitator_token"] == chosen
        assert client.get(f"/api/workshops/{wid}/views/dashboard", headers=support.bearer(chosen)).status_code == 200


def test_the_organiser_key_cannot_be_guessed_without_limit() -> None:
    """Ten wrong keys from one address, then that address is refused (429 with Retry-After) — even with the right
    key, on the list, on reopen and on creating a workshop — so guessing stops there."""
    with support.running(organiser_key=KEY) as client:
        for n in range(10):
            assert_error(client.get("/api/workshops", headers={"X-Tavolo-Organiser-Key": f"guess-{n}"}), "forbidden")
        for attempt in (
            client.get("/api/workshops", headers=ORGANISER),
            client.post("/api/workshops/x/reopen", json={}, headers={"X-Tavolo-Organiser-Key": "guess"}),
            client.post("/api/workshops", json=BODY, headers=ORGANISER),
        ):
            assert_error(attempt, "rate_limited")
            assert attempt.status_code == 429 and 1 <= int(attempt.headers["retry-after"]) <= 60


def test_a_short_organiser_key_is_warned_about_at_start_up(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="tavolo"), support.running(organiser_key="short"):
        pass
    assert any("organiser key is only 5 characters" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tavolo"), support.running(organiser_key=KEY):
        pass
    assert not any("organiser key" in r.getMessage() for r in caplog.records)
