"""Replay and minutes, through a live server: what a facilitator downloads after the event."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from tests.acceptance.support import Room, http, open_single_choice_poll
from tests.e2e.conftest import Server

ROME = ZoneInfo("Europe/Rome")


def test_minutes_of_a_workshop_in_rome_show_its_local_times_and_open_with_the_facts(server: Server) -> None:
    room = Room.create(server, title="Green clusters", timezone="Europe/Rome")
    try:
        room.join("Ana", organisation="Cluster Agrifood Emilia-Romagna", country="IT", organisation_type="cluster")
        room.join("Bruno", organisation="Firm B", country="IT", organisation_type="company")
        room.join("Cene", organisation="Lab C", country="SI", organisation_type="research")
        first = room.command("add_agenda_item", {"title": "Welcome", "kind": "plenary",
                                                 "planned_start": "2026-05-12T09:30", "duration_min": 30})  # fmt: skip
        room.command("add_agenda_item", {"title": "Site visits", "kind": "plenary",
                                         "planned_start": "2026-05-13T09:30", "duration_min": 60})  # fmt: skip
        room.command("start_agenda_item", {"item_id": first["result"]["item_id"]})
        started = room.view()["agenda"][0]["started_at"]  # recorded in UTC
        local = datetime.fromisoformat(started).astimezone(ROME)
        assert local.strftime("%H:%M") != datetime.fromisoformat(started).strftime("%H:%M")  # the test can tell

        md = room.get("/minutes.md").decode()
        assert "(all times are Europe/Rome (CET/CEST), from the event log)" in md
        assert re.search(rf"_plenary; started \w+, \d+ \w+ {local:%H:%M}, not finished\._", md), md
        assert "Tue, 12 May 09:30 (30 min)" in md and "Wed, 13 May 09:30 (60 min)" in md  # two days, not one
        opening = md.split("\n\n")[2]
        assert opening.startswith("3 participants from Italy (2) and Slovenia (1) took part.")
        assert "They represented 3 organisations: 1 cluster, 1 company and 1 research organisation" in opening

        page = room.get("/minutes.html").decode()
        assert "all times are Europe/Rome (CET/CEST)" in page and "3 participants from Italy (2)" in page
        assert f"{local:%H:%M}" in page
        # The chart's labels start inside the drawing: none is cut on the left, the long one is whole in <title>.
        assert '<text x="6"' in page and "<title>Cluster Agrifood Emilia-Romagna</title>" in page
        pdf = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(room.get("/minutes.pdf"))).pages)
        pdf = " ".join(pdf.split())  # the PDF wraps lines where it likes
        assert "all times are Europe/Rome (CET/CEST)" in pdf and "3 participants from Italy (2) and Slovenia" in pdf
        assert f"started {local:%a, %-d %b %H:%M}" in pdf  # the day too: the programme spans several days
    finally:
        room.close()


def test_the_italian_minutes_open_in_italian(server: Server) -> None:
    room = Room.create(server, title="Tavolo", language="it", timezone="Europe/Rome")
    try:
        for name in ("Ada", "Bea"):
            room.join(name, country="IT", organisation=f"Org {name}", organisation_type="company")
        md = room.get("/minutes.md").decode()
        # Never "da Italia" (it would be "dall'Italia"): the countries named are the provenance.
        assert "Hanno partecipato 2 persone; provenienza: Italia. Rappresentavano 2 organizzazioni: 2 imprese" in md
    finally:
        room.close()


def test_answers_csv_keeps_multi_word_tags_apart_and_the_minutes_list_an_answer_once(server: Server) -> None:
    room = Room.create(server, title="Offers", timezone="Europe/Rome")
    try:
        ana = room.join("Ana", country="IT")
        split = room.command("split_groups", {"strategy": "random", "groups": 1})["result"]["split_id"]
        categories = ["offer R&D and innovation", "seek partners abroad"]
        qs = room.command("pose_questions", {"split_id": split, "questions": ["What do we bring?"],
                                             "categories": categories})["result"]  # fmt: skip
        groups = room.view()["groups"]
        where = {"question_set_id": qs["question_set_id"], "group_id": groups["split"]["groups"][0]["id"],
                 "question_id": groups["question_sets"][0]["questions"][0]["id"]}  # fmt: skip
        room.command("add_contribution", {**where, "text": "Pilot lines", "tags": categories}, token=ana.token)

        with zipfile.ZipFile(io.BytesIO(room.get("/minutes.csv"))) as z:
            rows = list(csv.DictReader(io.StringIO(z.read("answers.csv").decode())))
        assert [r["tags"].split("; ") for r in rows] == [categories]
        md = room.get("/minutes.md").decode()
        assert md.count("Pilot lines") == 1 and "_(also: seek partners abroad)_" in md
    finally:
        room.close()


def test_minutes_downloads_carry_the_poll_and_a_note_and_replay_goes_back_before_it(room: Room) -> None:
    room.join("Ana Ferreira")
    before = room.view("dashboard")
    assert not before["polls"]
    open_single_choice_poll(room, "Next venue?", ["Graz", "Bologna"])
    room.command("annotate", {"text": "Graz was proposed by the Styrian cluster", "corrects": "poll 1"})
    md = room.get("/minutes.md").decode()
    assert "Next venue?" in md and "Graz was proposed by the Styrian cluster" in md
    html = room.get("/minutes.html").decode()
    assert "<main>" in html and "Next venue?" in html
    assert room.get("/minutes.pdf").startswith(b"%PDF")
    timeline = room.get("/timeline")
    assert timeline
    early = room.get("/replay?position=2")
    assert "Next venue?" not in str(early)
    assert "Next venue?" in str(room.get("/replay"))


def _pdf_text(room: Room) -> str:
    pdf = room.get("/minutes.pdf")
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def test_an_erased_participants_name_and_organisation_are_not_in_the_pdf_minutes(room: Room) -> None:
    """Zelda is in a group (made by organisation), its rapporteur, and in the attendance; once erased, the PDF
    minutes, read back as text, hold neither her name nor her organisation, and the others are still there."""
    zelda = room.join("Zelda Quimby", organisation="Quimbyworks")
    room.join("Ada Lovelace", organisation="Analytical")
    room.join("Bo Diddley", organisation="Analytical")
    split = room.command("split_groups", {"strategy": "by:organisation"})["result"]["split_id"]
    groups = room.view()["groups"]["split"]["groups"]
    hers = next(g["id"] for g in groups if zelda.participant_id in {m["id"] for m in g["members"]})
    room.command("set_rapporteur", {"split_id": split, "group_id": hers, "participant_id": zelda.participant_id})
    before = _pdf_text(room)
    assert "Zelda Quimby" in before and "Quimbyworks" in before  # the reading works: she is there before
    room.command("erase_participant", {"participant_id": zelda.participant_id})
    after = _pdf_text(room)
    assert "Zelda" not in after and "Quimby" not in after, after
    assert "Ada Lovelace" in after and "Analytical" in after
    # Nor do the live group views (the label was her organisation); the other group keeps its label.
    shown = str(room.view()["groups"]["split"]["groups"])
    assert "Quimby" not in shown and "Analytical" in shown


REPLAY_COUNTRIES = ["IT", "FR", "DE", "ES", "PT", "NL", "BE", "AT", "PL", "SI", "HR", "SE", "DK", "FI"]


def _replay_page(browser: Any, room: Room) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, timezone_id="UTC", locale="en-GB")
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(f"{room.server.url}/w/{room.workshop_id}/replay#k={room.facilitator_token}")
    page.wait_for_selector("#rp-position:has-text('/')")
    return context, page


def test_replay_answers_the_workshops_first_moment_and_home_on_the_scrubber_shows_it(room: Room, browser: Any) -> None:
    from playwright.sync_api import expect

    room.join("Ana")
    first = room.get("/timeline")["start"]
    start = datetime.fromisoformat(first["at"])
    for at in (first["at"], start.replace(microsecond=start.microsecond // 1000 * 1000).isoformat()):
        state = http(room.server, "GET", f"/api/workshops/{room.workshop_id}/replay?at={at.replace('+', '%2B')}",
                     token=room.facilitator_token)  # fmt: skip
        assert (state["index"], state["position"]) == (1, first["position"])
        assert state["dashboard"]["counts"]["joined"] == 0  # the workshop as created: nobody yet
    context, page = _replay_page(browser, room)
    page.focus("#rp-scrubber")
    page.keyboard.press("Home")
    # The workshop as created (its creation may record two events in one millisecond): nobody joined yet.
    expect(page.locator("#rp-joined")).to_have_text("0")  # (no wait_for_function: the page's CSP forbids eval)
    assert page.text_content("#rp-time") != "Could not load the replay."
    context.close()


def test_replay_lists_countries_beyond_the_top_twelve_as_and_n_more(room: Room, browser: Any) -> None:
    for i, country in enumerate(REPLAY_COUNTRIES):
        room.join(f"Person {i}", country=country)
    context, page = _replay_page(browser, room)
    page.wait_for_selector("#rp-by-country li.more")
    assert page.locator("#rp-by-country li:not(.more)").count() == 12
    assert page.text_content("#rp-by-country li.more") == "and 2 more countries"
    context.close()


def test_the_replayed_projector_shows_what_the_live_projector_showed_with_a_published_meeting_slot(
    room: Room, browser: Any
) -> None:
    ana, jan = room.join("Ana Ferreira", "Proplast", "IT"), room.join("Jan Kowalski", "Silesia Automotive", "PL")
    now = datetime.now(UTC)
    slot = {"start": (now - timedelta(minutes=2)).isoformat(), "end": (now + timedelta(minutes=30)).isoformat()}
    room.command("configure_matchmaking", {"slots": [slot], "tables": 2})
    room.command("add_meeting", {"participant_ids": [ana.participant_id, jan.participant_id]})
    room.command("schedule_meetings")
    room.command("publish_schedule")
    live_context = browser.new_context(viewport={"width": 1280, "height": 720}, timezone_id="UTC", locale="en-GB")
    live_context.set_default_timeout(20_000)
    live = live_context.new_page()
    live.goto(f"{room.server.url}/w/{room.workshop_id}/projector#k={room.projector_token}")
    live.wait_for_selector("#proj-match:not([hidden]) .pm-table")
    shown = {sel: live.text_content(sel) for sel in ("#pm-label", "#pm-slot", "#pm-tables")}
    assert "Ana Ferreira" in str(shown["#pm-tables"]) and "Jan Kowalski" in str(shown["#pm-tables"])

    context, page = _replay_page(browser, room)  # at the end of the log: the schedule just published
    frame = page.frame_locator("#rp-projector-frame")
    frame.locator("#proj-match:not([hidden]) .pm-table").first.wait_for()
    assert {sel: frame.locator(sel).text_content() for sel in shown} == shown
    assert page.locator("#rp-projector").text_content() != "Nothing on the projector but the join code."
    live_context.close()
    context.close()


def test_minutes_of_an_english_workshop_in_new_york_use_the_12_hour_clock_of_its_phones(server: Server) -> None:
    room = Room.create(server, title="NY clusters", timezone="America/New_York")
    try:
        assert room.view()["workshop"]["hour_cycles"]["en"] == "h12"
        item = room.command("add_agenda_item", {"title": "Welcome", "kind": "plenary", "planned_start": "14:30"})
        room.command("start_agenda_item", {"item_id": item["result"]["item_id"]})
        started = datetime.fromisoformat(room.view()["agenda"][0]["started_at"]).astimezone(
            ZoneInfo("America/New_York")
        )
        clock = re.compile(rf"\b{started:%-I:%M}\s{started:%p}")  # 2:30 PM, as the phones show it
        md = room.get("/minutes.md").decode()
        page = room.get("/minutes.html").decode()
        pdf = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(room.get("/minutes.pdf"))).pages)
        for text in (md, page, pdf):
            assert clock.search(text), text
            assert re.search(r"\b2:30\sPM\b", text), "the planned start typed as 14:30"
            assert f"{started:%H:%M}" not in text or started.hour < 10, text
    finally:
        room.close()


def test_the_minutes_name_the_poll_winner_even_when_it_is_not_the_first_option(server: Server) -> None:
    room = Room.create(server, title="Priorities", timezone="Europe/Rome")
    try:
        people = [room.join(name, country="IT") for name in ("Ada", "Bea", "Cid")]
        poll = {"title": "First?", "kind": "single", "questions": [{"options": ["Skills", "Export"]}]}
        poll_id = room.command("create_poll", poll)["result"]["poll_id"]
        room.command("open_poll", {"poll_id": poll_id})
        for person, answer in zip(people, ("o1", "o2", "o2"), strict=True):
            room.command("cast_ballot", {"poll_id": poll_id, "answer": answer}, token=person.token)
        assert "won with" not in room.get("/minutes.md").decode()  # still open: nobody has won yet
        room.command("close_poll", {"poll_id": poll_id})
        md = room.get("/minutes.md").decode()
        assert "1 poll (“Export” won with 66,7%)" in md, md  # English in Italy: a decimal comma
    finally:
        room.close()


def test_the_replay_shows_a_moment_before_the_zone_changed_in_the_zone_it_had(server: Server, browser: Any) -> None:
    from playwright.sync_api import expect

    room = Room.create(server, title="Moved", timezone="Europe/Rome")
    context = browser.new_context(timezone_id="America/New_York")  # neither zone: the page must not use its own
    try:
        room.command("annotate", {"text": "Opening remark"})
        notes = room.get("/notes")
        started = datetime.fromisoformat(notes["notes"][0]["at"])
        room.command("update_workshop", {"timezone": "Asia/Tokyo"})  # later, the workshop moved to Tokyo
        page = context.new_page()
        page.goto(f"{server.url}/w/{room.workshop_id}/replay?lang=en#k={room.facilitator_token}")
        tokyo = started.astimezone(ZoneInfo("Asia/Tokyo"))
        expect(page.locator("#rp-markers")).to_contain_text(f"{tokyo:%H:%M:%S}")  # the end: Tokyo
        page.locator("#rp-markers button", has_text="Opening remark").click()
        rome = started.astimezone(ROME)
        expect(page.locator("#rp-time")).to_have_text(f"{rome:%H:%M:%S}")  # the zone in force at that moment
        expect(page.locator("#rp-markers")).to_contain_text(f"{rome:%H:%M:%S}")
    finally:
        context.close()
        room.close()


def test_minutes_show_the_day_of_an_item_typed_as_hh_mm_when_the_programme_has_two_days(server: Server) -> None:
    room = Room.create(server, title="Two days", timezone="Europe/Rome", date="2026-11-22")
    try:
        for title, start in (("Welcome", "09:30"), ("Visits", "2026-11-23T10:00")):
            room.command("add_agenda_item", {"title": title, "kind": "plenary", "planned_start": start})
        md = room.get("/minutes.md").decode()
        assert "| 1 | Welcome | plenary | Sun, 22 Nov 09:30 |" in md, md  # the workshop's date, not nothing
        assert "| 2 | Visits | plenary | Mon, 23 Nov 10:00 |" in md
        pdf = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(room.get("/minutes.pdf"))).pages)
        assert "planned Sun, 22 Nov 09:30" in " ".join(pdf.split())
    finally:
        room.close()


def test_an_erased_participants_organisation_is_not_in_the_csv_or_json_data_exports(room: Room) -> None:
    """A split by organisation labels Zelda's group with her organisation; once she is erased, neither the CSV zip's
    groups table nor the JSON data export names it (the minutes already did not), and the other group keeps its."""
    zelda = room.join("Zelda Quimby", organisation="Quimbyworks")
    room.join("Ada Lovelace", organisation="Analytical")
    room.join("Bo Diddley", organisation="Analytical")
    room.command("split_groups", {"strategy": "by:organisation"})
    assert "Quimbyworks" in json.dumps(room.get("/minutes.data"))  # the reading works: the label is there before
    room.command("erase_participant", {"participant_id": zelda.participant_id})
    with zipfile.ZipFile(io.BytesIO(room.get("/minutes.csv"))) as z:
        text = "\n".join(z.read(name).decode() for name in z.namelist())
        groups = list(csv.DictReader(io.StringIO(z.read("groups.csv").decode())))
    assert "Quimby" not in text and {r["group"] for r in groups} == {"", "Analytical"}
    data = json.dumps(room.get("/minutes.data"), ensure_ascii=False)
    assert "Quimby" not in data and "Analytical" in data


def test_the_replay_of_an_italian_workshop_words_its_markers_in_italian(server: Server, browser: Any) -> None:
    from playwright.sync_api import expect

    room = Room.create(server, title="Giornata", language="it")
    context = browser.new_context(locale="it-IT")  # an Italian facilitator's browser
    try:
        for i in range(4):
            room.join(f"Persona {i}", organisation=f"Org {i}")
        room.command("split_groups", {"strategy": "random", "groups": 2})
        rotation = room.command("create_rotation", {"title": "Speed dating", "table_size": 2, "rounds": 2,
                                                    "round_seconds": 600})["result"]["rotation_id"]  # fmt: skip
        room.command("start_rotation", {"rotation_id": rotation})
        room.command("annotate", {"text": "Osservazione"})
        page = context.new_page()
        page.goto(f"{server.url}/w/{room.workshop_id}/replay#k={room.facilitator_token}")
        markers = page.locator("#rp-markers")
        expect(markers).to_contain_text("Nota: Osservazione")
        expect(markers).to_contain_text("Gruppi formati: 2 gruppi")
        expect(markers).to_contain_text("Turno iniziato: Speed dating · 1")
        assert "split" not in markers.inner_text() and "round started" not in markers.inner_text()
    finally:
        context.close()
        room.close()
