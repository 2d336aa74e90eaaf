"""README, "Languages": English and Italian. The workshop's language is the participants' default; everyone can
switch."""

from __future__ import annotations

import io
import re
import urllib.request
import zipfile
from datetime import date
from pathlib import Path

import pytest
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_percent

from server import i18n
from tests.acceptance.support import Room, open_single_choice_poll, run_tavolo_command
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
