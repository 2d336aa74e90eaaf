"""The web pages: they render in every language, the catalogues are complete, untrusted text stays text, and
every page carries its security headers."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pycountry
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from starlette.requests import Request
from starlette.testclient import TestClient

from server import i18n
from server.app import create_app
from server.page_strings import JS_PLURALS, JS_STRINGS
from server.pages import CSP, qr_code_svg

ROOT = Path(__file__).parents[2]
LOCALE = ROOT / "web" / "locale"
HOSTILE = '<script>alert("x")</script>'
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@pytest.fixture(scope="module")
def site() -> Iterator[TestClient]:
    """One app for the module (a module-scoped sibling of conftest's ``client``): pages only read."""
    with TestClient(create_app("memory://")) as client:
        yield client


@pytest.fixture(scope="module")
def workshop(site: TestClient) -> dict[str, Any]:
    """A workshop whose facilitator and participant wrote markup everywhere they could."""
    created = site.post(
        "/api/workshops",
        json={
            "title": f"Title {HOSTILE}",
            "date": "2026-11-22",
            "venue": f"Venue {HOSTILE}",
            "language": "it",
            "sectors": ["Agrifood", f"Sector {HOSTILE}"],
        },
    )
    assert created.status_code == 201, created.text
    joined = site.post(
        "/api/join",
        json={
            "code": created.json()["code"],
            "name": f"Name {HOSTILE}",
            "organisation": f"Org {HOSTILE}",
            "country": "IT",
            "sector": "Agrifood",
            "role": f"Role {HOSTILE}",
        },
    )
    assert joined.status_code == 201, joined.text
    return dict(created.json())


def page_paths(workshop: dict[str, Any]) -> list[str]:
    wid, code = workshop["workshop_id"], workshop["code"]
    return ["/", f"/j/{code}", f"/w/{wid}/dashboard", f"/w/{wid}/projector", f"/w/{wid}/me"]


class _Scripts(HTMLParser):
    """Collects <script> tags and any inline style or event-handler attribute (all refused by the CSP)."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))
        self.inline += [f"{tag} {name}" for name, _ in attrs if name == "style" or name.startswith("on")]


@pytest.mark.parametrize("lang", i18n.SUPPORTED)
def test_every_page_renders_in_every_language(site: TestClient, workshop: dict[str, Any], lang: str) -> None:
    italian = i18n.translations("it").gettext("Skip to content")
    for path in page_paths(workshop):
        response = site.get(path, params={"lang": lang})
        assert response.status_code == 200, path
        assert f'<html lang="{lang}"' in response.text, path
        assert response.cookies.get("lang") == lang
        assert (italian in response.text) == (lang == "it"), path


def test_the_browser_language_comes_first_then_the_workshop_language(
    site: TestClient, workshop: dict[str, Any]
) -> None:
    join = f"/j/{workshop['code']}"
    site.cookies.clear()
    assert '<html lang="en"' in site.get(join, headers={"accept-language": "en"}).text
    assert '<html lang="it"' in site.get(join, headers={"accept-language": "ja"}).text
    assert '<html lang="de"' in site.get("/", headers={"accept-language": "ja, de-AT;q=0.8, it;q=0.5"}).text
    site.cookies.set("lang", "en")
    assert '<html lang="en"' in site.get(join).text
    site.cookies.clear()


def test_the_participant_page_says_whether_this_device_chose_a_language(
    site: TestClient, workshop: dict[str, Any]
) -> None:
    """Without a choice (?lang= or the httponly cookie), the participant page follows the participant's language."""
    me = f"/w/{workshop['workshop_id']}/me"
    site.cookies.clear()
    assert 'data-lang-chosen="false"' in site.get(me).text
    assert 'data-lang-chosen="true"' in site.get(me, params={"lang": "en"}).text  # and sets the cookie
    assert 'data-lang-chosen="true"' in site.get(me).text
    site.cookies.clear()
    site.cookies.set("lang", "xx")
    assert 'data-lang-chosen="false"' in site.get(me).text
    site.cookies.clear()


def test_every_page_sets_the_security_headers_and_has_no_inline_code(
    site: TestClient, workshop: dict[str, Any]
) -> None:
    for path in [*page_paths(workshop), "/j/NOSUCH", "/w/not-a-uuid/dashboard"]:
        response = site.get(path)
        assert response.headers["content-security-policy"] == CSP, path
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        parser = _Scripts()
        parser.feed(response.text)
        assert parser.inline == [], path
        for script in parser.scripts:
            assert script.get("src") or script.get("type") == "application/json", (path, script)
    assert "frame-ancestors 'none'" in CSP and "'unsafe-inline'" not in CSP


def test_participant_written_text_is_never_rendered_unescaped(site: TestClient, workshop: dict[str, Any]) -> None:
    for lang in i18n.SUPPORTED:
        for path in page_paths(workshop):
            text = site.get(path, params={"lang": lang}).text
            assert "<script>alert" not in text, path
    join = site.get(f"/j/{workshop['code']}").text
    assert "Title &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in join  # shown, as text


def test_unknown_workshops_and_codes_get_a_friendly_404_with_a_code_box(site: TestClient) -> None:
    for path in ["/j/ZZZZZZ", "/w/00000000-0000-0000-0000-000000000000/me", "/w/nope/dashboard"]:
        response = site.get(path)
        assert response.status_code == 404, path
        assert 'name="code"' in response.text
    assert "ZZZZZZ" in site.get("/j/zz zz-zz").text


def test_join_codes_are_normalised(site: TestClient, workshop: dict[str, Any]) -> None:
    code = workshop["code"]
    typed = f" {code[:3].lower()} {code[3:]}"
    response = site.get("/join", params={"code": typed}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/j/{code}"
    response = site.get(f"/j/{code.lower()}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/j/{code}"
    assert site.get("/join", params={"code": ""}, follow_redirects=False).headers["location"] == "/"


def test_qr_code_is_an_svg_of_the_absolute_join_url(site: TestClient, workshop: dict[str, Any]) -> None:
    response = site.get(f"/w/{workshop['workshop_id']}/qr.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert response.headers["content-security-policy"] == CSP
    root = ET.fromstring(response.content)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    join_url = f"http://testserver/j/{workshop['code']}"
    assert root.findtext(f"{ns}title") == join_url == workshop["join_url"]
    assert response.content == qr_code_svg(join_url)  # the same modules segno makes for that URL
    assert site.get("/w/00000000-0000-0000-0000-000000000000/qr.svg").status_code == 404


def test_static_files_are_served_with_nosniff(site: TestClient) -> None:
    response = site.get("/static/js/tavolo.js")
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"


def _catalogue(path: Path, locale: str | None = None) -> Any:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def test_the_template_catalogue_matches_the_sources() -> None:
    """Fails when a string was added or changed without `pybabel extract` (see server/i18n.py)."""
    with (ROOT / "web" / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    extracted = {message for _, _, message, _, _ in extract_from_dir(ROOT, method_map, options_map)}
    template = {m.id for m in _catalogue(LOCALE / "messages.pot") if m.id}
    assert extracted == template


def _forms(message: Any) -> list[tuple[str, str]]:
    """(English source, translation) of each form: one for a plain message, one per plural form for a plural
    (the first form translates the singular, the others the plural)."""
    if not isinstance(message.id, tuple):
        return [(message.id, message.string)]
    return [(message.id[min(i, 1)], form) for i, form in enumerate(message.string)]


# Completeness and placeholders of every catalogue: tests/server/test_languages.py.


def test_italian_is_a_translation_not_a_copy() -> None:
    catalogue = [m for m in _catalogue(LOCALE / "it" / "LC_MESSAGES" / "messages.po", "it") if m.id]
    copied = [
        source
        for m in catalogue
        for source, form in _forms(m)
        if form == source and len(PLACEHOLDER.sub("", source).split()) > 1
    ]
    assert copied == []


def test_every_string_the_scripts_show_is_handed_to_them() -> None:
    used: set[str] = set()
    plurals: set[tuple[str, str]] = set()
    string = r'"((?:[^"\\]|\\.)*)"'
    for script in (ROOT / "web" / "static" / "js").glob("*.js"):
        source = script.read_text()
        used |= {json.loads(f'"{m}"') for m in re.findall(r"\bt\(" + string, source)}
        plurals |= {
            (json.loads(f'"{a}"'), json.loads(f'"{b}"'))
            for a, b in re.findall(r"\btn\(" + string + r",\s*" + string, source)
        }
    assert len(used) > 40 and len(plurals) > 3
    assert used - set(JS_STRINGS) == set()
    assert plurals - set(JS_PLURALS) == set()


def test_plurals_reach_the_scripts_in_both_forms(site: TestClient, workshop: dict[str, Any]) -> None:
    page = site.get(f"/w/{workshop['workshop_id']}/projector", params={"lang": "it"}).text
    block = re.search(r'<script type="application/json" id="i18n">(.*?)</script>', page, re.S)
    assert block
    plurals = json.loads(block.group(1))["plurals"]
    assert plurals["%(count)s answer"] == ["%(count)s risposta", "%(count)s risposte"]
    assert set(plurals) == {one for one, _ in JS_PLURALS}


def _request(query: str = "", cookie: str = "", accept: str = "") -> Request:
    headers = [(b"cookie", cookie.encode()), (b"accept-language", accept.encode())]
    return Request({"type": "http", "method": "GET", "path": "/", "query_string": query.encode(), "headers": headers})


def test_pick_language_order() -> None:
    """The person's explicit choice, then their stored language, then the browser's, then the workshop's."""
    assert i18n.pick_language(_request("lang=it", "lang=en", "en"), "en") == "it"
    assert i18n.pick_language(_request("lang=xx", "lang=it", "en"), "en") == "it"
    assert i18n.pick_language(_request(cookie="lang=en", accept="it"), "it", stored="it") == "en"
    assert i18n.pick_language(_request(accept="en"), "en", stored="it") == "it"
    assert i18n.pick_language(_request(accept="it"), "en") == "it"
    assert i18n.pick_language(_request(accept="xx-YY"), "it") == "it"
    assert i18n.pick_language(_request(accept="ja;q=1, it-IT;q=0.7, en;q=0.5"), None) == "it"
    assert i18n.pick_language(_request(accept="it;q=0, ja"), None) == "en"


def test_country_names_are_localised_and_sorted_ignoring_accents() -> None:
    names = i18n.country_names("it")
    codes = dict(names)
    assert len(names) == len(list(pycountry.countries)) + 1 and codes["XK"] == "Kosovo"  # Kosovo: the EU's XK
    assert codes["IT"] == "Italia" and codes["DE"] == "Germania"
    assert dict(i18n.country_names("en"))["DE"] == "Germany"
    keys = [i18n.sort_key(name, "it") for _, name in names]
    assert keys == sorted(keys)
    assert i18n.sort_key("Åland", "en") < i18n.sort_key("Albania", "en")  # accents are secondary


def test_rotation_and_timer_screens_are_on_every_live_page_in_both_languages(
    site: TestClient, workshop: dict[str, Any]
) -> None:
    wid = workshop["workshop_id"]
    pages = {
        "dashboard": ("rotation_dashboard.js", 'id="ro-form"', "Pianifica la rotazione"),
        "projector": ("rotation_projector.js", 'id="proj-rotation"', "Cambiate tavolo"),
        "me": ("rotation_participant.js", 'id="my-rotation"', "Cambia tavolo ora!"),
    }
    for page, (script, marker, italian) in pages.items():
        html = site.get(f"/w/{wid}/{page}", params={"lang": "it"}).text
        # The shared countdown comes before the page's module, which comes before the page's own script.
        own = "participant" if page == "me" else page
        assert html.index("js/timer.js") < html.index(f"js/{script}") < html.index(f"js/{own}.js")
        assert marker in html and italian in html, page
