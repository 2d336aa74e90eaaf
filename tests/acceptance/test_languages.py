"""README, "Languages": English and Italian. The workshop's language is the participants' default; everyone can
switch."""

from __future__ import annotations

import io
import json
import re
import urllib.request
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_percent

from server import i18n
from tests.acceptance.support import Room, open_single_choice_poll, run_tavolo_command, wait_for
from tests.e2e.conftest import Server, start_server


def _page(server: Server, path: str, cookie: str = "") -> tuple[str, str, str]:
    """The page's html lang, its text and the cookie it sets, for a browser that sends ``cookie`` (no
    Accept-Language: the workshop decides)."""
    request = urllib.request.Request(server.url + path, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        html = response.read().decode()
        set_cookie = response.headers.get("Set-Cookie", "") or ""
    lang = re.search(r'<html[^>]*\blang="([a-z]+)"', html)
    assert lang, html[:300]
    return lang.group(1), html, set_cookie


def test_an_italian_workshop_speaks_italian_and_anyone_can_switch_to_english(server: Server) -> None:
    room = Room.create(server, "Giornata dei cluster", language="it")
    try:
        # The join page and the phone's page are in the workshop's language.
        lang, html, _ = _page(server, f"/j/{room.code}")
        assert lang == "it" and "Partecipa al workshop" in html
        marta = room.join("Marta Rossi")
        lang, html, _ = _page(server, f"/w/{room.workshop_id}/me")
        assert lang == "it" and "Programma" in html
        # The participant's own language starts as the workshop's...
        assert room.view("participant", marta.token)["me"]["language"] == "it"
        # ...and switching is remembered: the page in English, and a cookie that keeps it so.
        lang, html, cookie = _page(server, f"/w/{room.workshop_id}/me?lang=en")
        assert lang == "en" and "Agenda" in html and "lang=en" in cookie
        lang, _, _ = _page(server, f"/j/{room.code}", cookie="lang=en")
        assert lang == "en"
        room.command("update_profile", {"language": "en"}, token=marta.token)
        assert room.view("participant", marta.token)["me"]["language"] == "en"
        # The dashboard and projector follow the workshop's language too.
        assert _page(server, f"/w/{room.workshop_id}/dashboard")[0] == "it"
        assert _page(server, f"/w/{room.workshop_id}/projector")[0] == "it"
    finally:
        room.close()


@pytest.mark.parametrize("lang", ["sl", "it"])
def test_tavolo_minutes_lang_writes_every_heading_label_number_and_date_in_that_language(
    tmp_path: Path, lang: str
) -> None:
    """``tavolo minutes --lang sl``: headings and labels are the catalogue's, the date and the percentages are CLDR's
    for the language, whatever the workshop's own language (English here). Needs the language's catalogue."""
    store = f"sqlite:///{tmp_path}/tavolo.db"
    server = start_server(store, tmp_path / "server.log")
    try:
        room = Room.create(server, "Cluster roadshow", date="2026-11-22")
        ana, bo = room.join("Ana Ferreira", country="PT"), room.join("Bo Berg", country="SE")
        poll = open_single_choice_poll(room, "Next venue?", ["Bologna", "Graz"])
        room.command("cast_ballot", {"poll_id": poll, "answer": "o1"}, token=ana.token)
        room.command("close_poll", {"poll_id": poll})
        assert bo.token
        room.close()
    finally:
        server.stop()
    out = tmp_path / "minutes.md"
    run_tavolo_command("minutes", "--store", store, room.workshop_id, "--lang", lang, "--output", str(out))
    md = out.read_text(encoding="utf-8")
    tr = i18n.translations(lang)
    for heading in ("Attendance", "Country", "Organisation", "People"):
        assert tr.gettext(heading) != heading, f"{heading!r} is not translated into {lang}"
        assert tr.gettext(heading) in md and f"## {heading}\n" not in md and f"| {heading} |" not in md, heading
    day = format_date(date(2026, 11, 22), "long", locale=lang)
    assert "- " + tr.gettext("Date: %(date)s") % {"date": day} in md
    assert tr.gettext("Poll: %(title)s") % {"title": "Next venue?"} in md
    pattern = str(Locale.parse(lang).percent_formats[None].pattern).replace("0", "0.0", 1)
    half = format_percent(0.5, pattern, locale=lang)  # 1 voter of 2 present
    assert half in md and "50.0%" not in md
    for english in ("secret ballot", "named ballot", "turnout", "respondents", "joined:", "Facilitators"):
        assert english not in md, english
    # The CSVs speak it too when asked: their header rows.
    zipped = tmp_path / "data.zip"
    run_tavolo_command("minutes", "--store", store, room.workshop_id, "--format", "csv", "--lang", lang,
                       "--output", str(zipped))  # fmt: skip
    with zipfile.ZipFile(io.BytesIO(zipped.read_bytes())) as z:
        header = z.read("participants.csv").decode().splitlines()[0]
    assert header.split(",")[1] == tr.gettext("Name") and "participant_id" not in header


# A participant's journey on a 390-px phone in one language: the join page, their page with a group question, a
# ballot, the rotation card and the agenda, the .ics of their meetings, and the dashboard's main panels. The two
# browser tests below walk it: one looks for English words, one for text that overflows its box.

LOCALE = Path(__file__).resolve().parents[2] / "web" / "locale"
LANGUAGES = i18n.discover(LOCALE)
# The facilitator's and participants' own words: content, shown as written in any language (README, Languages).
CONTENT = ("Werkstatt 2026", "Ceramica", "Vino", "Quale futuro?", "Torre", "Ponte", "Lia Moretti", "Bo Berg",
           "Fornace Srl", "Cantina Spa", "Idee condivise", "Lavoro comune")  # fmt: skip


def english_words(lang: str) -> list[tuple[str, re.Pattern[str]]]:
    """What counts as an English word on a page in ``lang``: each msgid of the template whose translation in
    ``lang`` differs from it, as a word-bounded pattern (hyphenated compounds are words; a placeholder matches
    anything; only messages with at least four letters of their own, so that "OK" or "%(n)s." never match by
    accident)."""
    from babel.messages.pofile import read_po

    tr = i18n.translations(lang)
    with (LOCALE / "messages.pot").open("rb") as f:
        template = [m.id for m in read_po(f) if m.id]
    words: list[tuple[str, re.Pattern[str]]] = []
    for msgid in template:
        for source in msgid if isinstance(msgid, tuple) else (msgid,):
            translated = tr.ngettext(msgid[0], msgid[1], 2 if source == msgid[1] else 1) if isinstance(msgid, tuple) \
                else tr.gettext(source)  # fmt: skip
            literal = re.sub(r"%\(\w+\)[sd]|\{\w+\}", "", source)
            if translated == source or len(re.findall(r"[A-Za-z]", literal)) < 4:
                continue
            parts = re.split(r"%\(\w+\)[sd]|\{\w+\}", source)
            # A hyphen binds as a letter does: "Open" in German's "Open-Source-Moderation" is part of a German word.
            pattern = r"(?<![\w-])" + ".+?".join(re.escape(p) for p in parts) + r"(?![\w-])"
            words.append((source, re.compile(pattern)))
    return words


VISIBLE_TEXT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const parent = node.parentElement;
    if (!text || !parent || parent.closest("script, style, template, [hidden], .visually-hidden")) continue;
    if (!parent.getClientRects().length) continue;  // not rendered (display: none, a closed <details>…)
    out.push(text);
  }
  return out;
}"""

OVERFLOWS = """() => {
  const out = [], page = document.documentElement;
  // Against the phone's 390 px, not innerWidth: a mobile browser widens its layout viewport to fit what overflows.
  if (page.scrollWidth > 391) out.push("the page: " + page.scrollWidth + "px wide");
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest("[hidden], .visually-hidden, script, style, svg") || !el.getClientRects().length) continue;
    if (!Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const style = getComputedStyle(el);
    if (style.display === "inline" || ["auto", "scroll"].includes(style.overflowX)) continue;
    const cls = typeof el.className === "string" && el.className ? "." + el.className.split(" ")[0] : "";
    const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + cls;
    const text = el.textContent.trim().slice(0, 60);
    if (el.scrollWidth > el.clientWidth + 1) {
      out.push(name + " overflows (" + el.scrollWidth + " > " + el.clientWidth + "): " + text);
    }
    const clips = ["hidden", "clip"].includes(style.overflowY) || style.textOverflow === "ellipsis";
    if (clips && el.scrollHeight > el.clientHeight + 1) {
      out.push(name + " is cut (" + el.scrollHeight + " > " + el.clientHeight + "): " + text);
    }
  }
  return out;
}"""


def _english_on(page: Any, lang: str, where: str) -> list[str]:
    words = english_words(lang)
    found = []
    for text in page.evaluate(VISIBLE_TEXT):
        for content in CONTENT:
            text = text.replace(content, " ")
        found += [f"{where}: {source!r} in {text!r}" for source, pattern in words if pattern.search(text)]
    return found


def _journey(browser: Any, server: Server, lang: str, check: Any) -> None:
    """Walk the participant's journey in ``lang``, calling ``check(page, where)`` at each screen."""
    from playwright.sync_api import expect

    room = Room.create(server, "Werkstatt 2026", sectors=["Ceramica", "Vino"], venue="Torre")
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale=lang, accept_downloads=True)  # fmt: skip
    context.set_default_timeout(20_000)
    try:
        bo = room.join("Bo Berg", organisation="Cantina Spa", country="SE", sector="Vino")
        page = context.new_page()
        page.goto(f"{server.url}/j/{room.code}")  # the phone's Accept-Language picks the language
        assert page.evaluate("document.documentElement.lang") == lang
        check(page, "join page")
        page.fill("#p-name", "Lia Moretti")
        page.fill("#p-organisation", "Fornace Srl")
        page.select_option("#p-country", "DE")
        page.select_option("#p-sector", "Ceramica")
        page.click("#join-submit")
        page.wait_for_url(re.compile(r"/w/[0-9a-f-]+/me"))
        page.wait_for_selector("#hello:has-text('Lia Moretti')")
        assert page.evaluate("document.documentElement.lang") == lang
        room.command("add_agenda_item", {"title": "Idee condivise", "kind": "group_work", "duration_min": 30})
        split = room.command("split_groups", {"strategy": "random", "groups": 1})["result"]["split_id"]
        room.command("pose_questions", {"split_id": split, "questions": ["Quale futuro?"]})
        page.locator(".sheet-question textarea").fill("Lavoro comune")
        page.click(".sheet-question form.sheet-add button[type=submit]")
        expect(page.locator(".sheet-item .sheet-text")).to_have_text("Lavoro comune")
        check(page, "participant page, group question answered")
        poll = open_single_choice_poll(room, "Quale futuro?", ["Torre", "Ponte"])
        page.locator(f'form.ballot[data-id="{poll}"] label.ballot-option').first.click()
        page.locator(f'form.ballot[data-id="{poll}"] button[type=submit]').click()
        page.wait_for_function(f"""() => !document.querySelector('form.ballot[data-id="{poll}"]')""")
        check(page, "participant page, voted")
        rotation = room.command("create_rotation", {"table_size": 2, "rounds": 1, "round_seconds": 600})
        room.command("start_rotation", {"rotation_id": rotation["result"]["rotation_id"]})
        expect(page.locator("#my-rotation")).to_be_visible()
        check(page, "participant page, rotation card")
        me = room.view("dashboard")["participants"]
        lia = next(pid for pid, p in me.items() if p["name"] == "Lia Moretti")
        room.command("configure_matchmaking", {"sessions": [{"start": "2026-11-22T11:00:00+01:00",
                     "end": "2026-11-22T12:00:00+01:00"}], "slot_minutes": 20, "tables": 2})  # fmt: skip
        room.command("add_meeting", {"participant_ids": [lia, bo.participant_id]})
        room.command("schedule_meetings")
        room.command("publish_schedule")
        expect(page.locator("#mp-ics")).to_be_visible()
        check(page, "participant page, agenda")
        with page.expect_download() as download:
            page.click("#mp-ics")
        ics = Path(download.value.path()).read_text(encoding="utf-8")
        check(ics, "the .ics agenda")
        dashboard = context.new_page()
        dashboard.goto(f"{server.url}/w/{room.workshop_id}/dashboard#k={room.facilitator_token}")
        expect(dashboard.locator("#conn-status")).to_have_attribute("data-state", "connected")
        check(dashboard, "dashboard")
    finally:
        context.close()
        room.close()


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_a_phone_in_each_language_joins_answers_votes_reads_its_rotation_and_agenda_without_one_english_word(
    server: Server, browser: Any, lang: str
) -> None:
    """A phone set to ``lang`` (Accept-Language) meets no English word — an English message of the catalogue whose
    translation differs — on any screen of the journey, nor in the .ics it downloads. Content (the facilitator's and
    participants' own words) is left out: it is shown as written."""
    found: list[str] = []

    def check(page: Any, where: str) -> None:
        if isinstance(page, str):  # the .ics file: its text lines
            words = english_words(lang)
            lines = [line.split(":", 1)[-1] for line in page.splitlines() if line.startswith(("SUMMARY", "LOCATION",
                     "X-WR-CALNAME", "DESCRIPTION"))]  # fmt: skip
            for text in lines:
                for content in CONTENT:
                    text = text.replace(content, " ")
                found.extend(f"{where}: {s!r} in {text!r}" for s, p in words if p.search(text))
        elif where != "dashboard":
            found.extend(_english_on(page, lang, where))

    _journey(browser, server, lang, check)
    assert found == [], "\n".join(found[:30])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_at_390_px_no_text_overflows_its_box_in_any_language(server: Server, browser: Any, lang: str) -> None:
    """German and Polish words are long: on a 390-px phone no text element of the join page, the participant page
    (group question, ballot, rotation card, agenda) or the dashboard's main panels is wider than its box, nor cut."""
    found: list[str] = []

    def check(page: Any, where: str) -> None:
        if not isinstance(page, str):
            found.extend(f"{where}: {problem}" for problem in page.evaluate(OVERFLOWS))

    _journey(browser, server, lang, check)
    assert found == [], "\n".join(found[:30])


PLURAL_COUNTS = (1, 2, 3, 5, 21, 22, 25, 101, 102)
# CLDR's categories of those counts, by hand from the CLDR plural rules (Polish: few for 2-4 except 12-14, many
# otherwise; Slovenian: one/two/few by the last two digits, so 101 is "one" and 102 "two" — the dual).
PLURAL_CATEGORIES = {
    "pl": ("one", "few", "few", "many", "many", "few", "many", "many", "few"),
    "sl": ("one", "two", "few", "other", "other", "other", "other", "one", "two"),
}


def test_the_scripts_choose_each_languages_plural_form_by_its_cldr_rule(server: Server, browser: Any) -> None:
    """``Tavolo.tn`` in Chromium, on a page in each language: the form of the count's CLDR category (Polish 22
    "few", 25 "many"; Slovenian 102 "two"), as the catalogue orders its forms, with the count in the language's
    digits. No plural rule is evaluated in the page (its CSP forbids eval)."""
    context = browser.new_context()
    try:
        page = context.new_page()
        for lang in LANGUAGES:
            page.goto(f"{server.url}/?lang={lang}")
            script = """(counts) => counts.map(n => [new Intl.PluralRules(document.documentElement.lang).select(n),
                Tavolo.tn("%(count)s answer", "%(count)s answers", n)])"""
            got = page.evaluate(script, list(PLURAL_COUNTS))
            client = json.loads(page.locator("#i18n").text_content() or "{}")
            forms, categories = client["plurals"]["%(count)s answer"], client["plural_categories"]
            expected = PLURAL_CATEGORIES.get(lang) or tuple("one" if n == 1 else "other" for n in PLURAL_COUNTS)
            for n, category, (intl, text) in zip(PLURAL_COUNTS, expected, got, strict=True):
                assert intl == category, (lang, n, intl)
                form = forms[min(categories.get(category, 99), len(forms) - 1)]
                assert text == form.replace("%(count)s", str(n)), (lang, n, text)
    finally:
        context.close()


def test_a_poll_in_two_languages_reaches_a_german_phone_in_german_and_the_projector_in_both(
    room: Room, browser: Any
) -> None:
    """The facilitator writes a poll in English and German: a phone set to German shows the German question and
    options (and votes by them); the projector, set to show German as its second language, shows the English
    title with the German one smaller below."""
    from playwright.sync_api import expect

    ana = room.join("Ana")
    poll = {
        "title": "Where do we meet next?",
        "kind": "single",
        "questions": [{"options": ["By the sea", "In the mountains"]}],
        "translations": {"de": {"title": "Wo treffen wir uns das nächste Mal?",
                                "questions": [{"options": ["Am Meer", "In den Bergen"]}]}},
    }  # fmt: skip
    poll_id = room.command("create_poll", poll)["result"]["poll_id"]
    room.command("open_poll", {"poll_id": poll_id})
    room.command("update_workshop", {"projector_second_language": "de"})
    phone_context = browser.new_context(viewport={"width": 390, "height": 844}, locale="de-DE")
    screen_context = browser.new_context(viewport={"width": 1600, "height": 900}, locale="en-GB")
    try:
        key, token = json.dumps(f"tavolo:me:{room.workshop_id}"), json.dumps(ana.token)
        phone_context.add_init_script(f"localStorage.setItem({key}, {token});")
        phone = phone_context.new_page()
        phone.goto(f"{room.server.url}/w/{room.workshop_id}/me?lang=de")
        card = phone.locator("#polls-me li.poll-me")
        expect(card).to_contain_text("Wo treffen wir uns das nächste Mal?")
        expect(card.locator(".ballot-option-label")).to_have_text(["Am Meer", "In den Bergen"])
        card.locator("label.ballot-option").nth(1).click()
        card.locator("button[type=submit]").click()
        wait_for(lambda: room.view()["polls"][poll_id]["turnout"]["voted"] == 1, what="the German ballot counted")
        projector = screen_context.new_page()
        projector.goto(f"{room.server.url}/w/{room.workshop_id}/projector#k={room.projector_token}")
        expect(projector.locator("#pp-title")).to_have_text("Where do we meet next?")
        expect(projector.locator("#pp-second")).to_have_text("Wo treffen wir uns das nächste Mal?")
        expect(projector.locator("#pp-second")).to_have_attribute("lang", "de")
        sizes = projector.evaluate("""() => [document.getElementById("pp-title"), document.getElementById("pp-second")]
            .map(el => parseFloat(getComputedStyle(el).fontSize))""")  # fmt: skip
        assert sizes[1] < sizes[0], sizes  # the second language is smaller, below
    finally:
        phone_context.close()
        screen_context.close()


def test_italian_dashboard_counts_in_plurals_and_asks_about_one_participant_in_the_singular(server: Server) -> None:
    import json

    room = Room.create(server, "Plurali", language="it")
    try:
        _, html, _ = _page(server, f"/w/{room.workshop_id}/dashboard")
        block = re.search(r'<script type="application/json" id="i18n">(.*?)</script>', html, re.S)
        assert block
        i18n = json.loads(block.group(1))
        one, many = i18n["plurals"]["Remove the selected participant? They will need the join code to come back."]
        assert one.startswith("Rimuovere il partecipante selezionato?") and "%(count)s partecipanti" in many
        # The matchmaking counters, read as the dashboard's script reads them: every label a plural.
        script = (Path(__file__).resolve().parents[2] / "web/static/js/match_dashboard.js").read_text()
        figures = re.search(r"function figures\(c\) \{(.*?)\n    \}", script, re.S)
        assert figures
        labels = [i18n["strings"].get(m, m) for m in re.findall(r'\bt\("([^"]+)"\)', figures.group(1))]
        assert {"Accettati", "Pianificati", "Svolti"} <= set(labels) and "Accettato" not in labels
    finally:
        room.close()
