"""README, "Languages": English and Italian. The workshop's language is the participants' default; everyone can
switch."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

from tests.acceptance.support import Room
from tests.e2e.conftest import Server


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
