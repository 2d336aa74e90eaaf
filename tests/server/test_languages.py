"""The languages of the room: every catalogue complete, plural forms as CLDR says, a language as a drop-in, countries
sorted as each language sorts them, and the order in which a page picks its language (docs/translating.md)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel import Locale
from babel.messages.pofile import read_po
from starlette.requests import Request
from starlette.testclient import TestClient

from domain import values
from server import i18n, pages
from server.app import create_app

ROOT = Path(__file__).parents[2]
LOCALE = ROOT / "web" / "locale"
# gettext's %(name)s / %(name)d and Python's {name}: a translation keeps exactly the placeholders of its source.
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")
COUNTS = (1, 2, 3, 5, 21, 22, 25, 101, 102)
# CLDR's plural categories of those counts, written out by hand from the CLDR plural rules (not computed with
# Babel, which the code under test uses): what a Polish or Slovenian reader expects.
EXPECTED_CATEGORIES = {
    "en": ("one", "other", "other", "other", "other", "other", "other", "other", "other"),
    "it": ("one", "other", "other", "other", "other", "other", "other", "other", "other"),
    "de": ("one", "other", "other", "other", "other", "other", "other", "other", "other"),
    "fr": ("one", "other", "other", "other", "other", "other", "other", "other", "other"),
    "es": ("one", "other", "other", "other", "other", "other", "other", "other", "other"),
    "pt": ("one", "other", "other", "other", "other", "other", "other", "other", "other"),
    "pl": ("one", "few", "few", "many", "many", "few", "many", "many", "few"),
    "sl": ("one", "two", "few", "other", "other", "other", "other", "one", "two"),
}


def _catalogue(path: Path, locale: str | None = None) -> Any:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def _placeholders(text: str) -> list[str]:
    return sorted(a or b for a, b in PLACEHOLDER.findall(text))


def _forms(message: Any) -> list[tuple[str, str]]:
    """(English source, translation) per form: the first plural form translates the singular, the others the plural."""
    if not isinstance(message.id, tuple):
        return [(message.id, message.string)]
    return [(message.id[min(i, 1)], form) for i, form in enumerate(message.string)]


def catalogue_problems(po: Path, pot: Path, lang: str) -> list[str]:
    """Everything wrong with one catalogue against the template: missing or extra messages, fuzzy or empty ones, a
    plural with the wrong number of forms, a placeholder lost, added or renamed."""
    template = {m.id for m in _catalogue(pot) if m.id}
    catalogue = _catalogue(po, lang)
    messages = {m.id: m for m in catalogue if m.id}
    problems = [f"missing: {msgid!r}" for msgid in template - set(messages)]
    problems += [f"not in the template: {msgid!r}" for msgid in set(messages) - template]
    for msgid, message in messages.items():
        if "fuzzy" in message.flags:
            problems.append(f"fuzzy: {msgid!r}")
        if lang == "en" and not any(form for _, form in _forms(message)):
            continue  # English falls back to the msgid
        if isinstance(msgid, tuple) and len(message.string) != catalogue.num_plurals:
            problems.append(f"{len(message.string)} forms, not {catalogue.num_plurals}: {msgid!r}")
        for source, form in _forms(message):
            # A plural's form may name the count where the English singular does not: Slovenian's "one" form
            # also serves 101, 201… (and French's 0), so it must say the number. Any other placeholder must match.
            allowed = [_placeholders(s) for s in msgid] if isinstance(msgid, tuple) else [_placeholders(source)]
            if not form.strip():
                problems.append(f"empty: {msgid!r}")
            elif _placeholders(form) not in allowed:
                problems.append(f"placeholders {_placeholders(form)} != {_placeholders(source)}: {msgid!r}")
    return problems


@pytest.mark.parametrize("lang", i18n.discover(LOCALE))
def test_catalogue_is_complete_with_the_same_placeholders(lang: str) -> None:
    """Every catalogue present: every message of the template, none fuzzy or empty, placeholders kept."""
    problems = catalogue_problems(LOCALE / lang / "LC_MESSAGES" / "messages.po", LOCALE / "messages.pot", lang)
    assert problems == [], f"{len(problems)} problems in {lang}, first: {problems[:5]}"


def test_catalogue_check_catches_a_lost_placeholder_and_an_empty_or_fuzzy_message(tmp_path: Path) -> None:
    po = (LOCALE / "it" / "LC_MESSAGES" / "messages.po").read_text()
    assert catalogue_problems(LOCALE / "it" / "LC_MESSAGES" / "messages.po", LOCALE / "messages.pot", "it") == []
    broken = po.replace('msgstr[0] "%(count)s risposta"', 'msgstr[0] "%(conteggio)s risposta"', 1)
    broken = broken.replace('msgid "Connected"\nmsgstr "Connesso"', '#, fuzzy\nmsgid "Connected"\nmsgstr "Connesso"')
    broken = broken.replace('msgid "Copied"\nmsgstr "Copiato"', 'msgid "Copied"\nmsgstr ""')
    assert broken.count("conteggio") == 1 and '#, fuzzy\nmsgid "Connected"' in broken and 'msgstr ""\n\n' in broken
    (tmp_path / "messages.po").write_text(broken)
    problems = " | ".join(catalogue_problems(tmp_path / "messages.po", LOCALE / "messages.pot", "it"))
    assert "placeholders" in problems and "fuzzy: 'Connected'" in problems and "empty: 'Copied'" in problems


@pytest.mark.parametrize("lang", i18n.discover(LOCALE))
def test_plural_rule_of_each_catalogue_gives_cldr_categories(lang: str) -> None:
    """The catalogue's Plural-Forms picks, for 1, 2, 3, 5, 21, 22, 25, 101, 102, the form of CLDR's category, and
    ngettext renders that form with the count."""
    expected = EXPECTED_CATEGORIES.get(lang)
    if expected is None:
        pytest.skip(f"no hand-written expectations for {lang}: add a row to EXPECTED_CATEGORIES")
    categories = i18n.plural_categories(lang)
    tr = i18n.translations(lang)
    po = {m.id: m for m in _catalogue(LOCALE / lang / "LC_MESSAGES" / "messages.po", lang) if m.id}
    one, other = "%(count)s answer", "%(count)s answers"
    forms = list(po[(one, other)].string)
    for n, category in zip(COUNTS, expected, strict=True):
        assert str(Locale.parse(lang).plural_form(n)) == category, (lang, n)
        assert tr.plural(n) == categories[category], (lang, n, category)
        if all(forms):  # an untranslated catalogue (the completeness test reports it) renders English
            assert tr.ngettext(one, other, n) % {"count": n} == forms[categories[category]] % {"count": n}, (lang, n)


def test_polish_and_slovenian_have_their_own_forms() -> None:
    """Polish has three forms for integers (one, few, many), Slovenian four (one, two — the dual —, few, other)."""
    assert i18n.plural_categories("pl") == {"one": 0, "few": 1, "many": 2}
    assert i18n.plural_categories("sl") == {"one": 0, "two": 1, "few": 2, "other": 3}
    assert i18n.plural_categories("en") == {"one": 0, "other": 1}


def test_scripts_get_every_plural_form_and_the_category_of_each() -> None:
    client = pages._client_strings("it")
    assert client["plurals"]["%(count)s answer"] == ["%(count)s risposta", "%(count)s risposte"]
    assert client["plural_categories"] == {"one": 0, "other": 1, "many": 1}


def test_collation_follows_the_language() -> None:
    """Österreich among the O's in German; Łotwa after Litwa (and after every L) in Polish; Č after C in Slovenian."""
    de = [name for _, name in i18n.country_names("de")]
    assert de.index("Oman") < de.index("Österreich") < de.index("Pakistan")
    assert de.index("Norwegen") < de.index("Österreich")
    pl = [name for _, name in i18n.country_names("pl")]
    assert pl.index("Litwa") < pl.index("Luksemburg") < pl.index("Łotwa") < pl.index("Madagaskar")
    sl = [name for _, name in i18n.country_names("sl")]
    assert sl.index("Ciper") < sl.index("Češka") < sl.index("Danska")
    # English keeps accents secondary: Åland among the A's.
    en = [name for _, name in i18n.country_names("en")]
    assert en.index("Albania") > en.index("Åland Islands") > en.index("Afghanistan")


def _request(query: str = "", cookie: str = "", accept: str = "") -> Request:
    headers = [(b"cookie", cookie.encode()), (b"accept-language", accept.encode())]
    return Request({"type": "http", "method": "GET", "path": "/", "query_string": query.encode(), "headers": headers})


def test_accept_language_comes_after_the_persons_choice_and_before_the_workshops() -> None:
    pick = i18n.pick_language
    assert pick(_request("lang=pl", "lang=de", "fr"), "it", stored="sl") == "pl"  # ?lang= first
    assert pick(_request(cookie="lang=de", accept="fr"), "it", stored="sl") == "de"  # then the cookie
    assert pick(_request(accept="fr"), "it", stored="sl") == "sl"  # then the participant's stored language
    assert pick(_request(accept="de-AT,de;q=0.9,en;q=0.5"), "it") == "de"  # then the browser's
    assert pick(_request(accept="ja, zh;q=0.8"), "it") == "it"  # then the workshop's
    assert pick(_request(accept="ja"), None) == "en"  # then English


def test_every_language_is_listed_in_its_own_name() -> None:
    assert i18n.LANGUAGE_NAMES["de"] == "Deutsch" and i18n.LANGUAGE_NAMES["sl"] == "Slovenščina"
    assert i18n.LANGUAGE_NAMES["pl"] == "Polski" and i18n.LANGUAGE_NAMES["it"] == "Italiano"
    assert tuple(values.LANGUAGES) == i18n.SUPPORTED


@pytest.fixture
def seventh_language(tmp_path: Path) -> Iterator[str]:
    """A copy of the catalogues plus Dutch (a copy of Italian's, its header saying nl): a language dropped in."""
    shutil.copytree(LOCALE, tmp_path / "locale")
    nl = tmp_path / "locale" / "nl" / "LC_MESSAGES"
    nl.mkdir(parents=True)
    po = (LOCALE / "it" / "LC_MESSAGES" / "messages.po").read_text()
    (nl / "messages.po").write_text(po.replace('"Language: it\\n"', '"Language: nl\\n"'))
    i18n.configure(tmp_path / "locale")
    try:
        yield "nl"
    finally:
        i18n.configure()


def test_a_seventh_language_is_one_catalogue_and_no_code(seventh_language: str) -> None:
    """A dropped-in catalogue is served, listed in its own name, accepted by the domain and chosen from the
    browser's Accept-Language; and the completeness check covers it."""
    assert seventh_language in i18n.SUPPORTED and seventh_language in values.LANGUAGES
    assert i18n.LANGUAGE_NAMES[seventh_language] == "Nederlands"
    assert (
        catalogue_problems(i18n.LOCALE_DIR / "nl" / "LC_MESSAGES" / "messages.po", LOCALE / "messages.pot", "nl") == []
    )
    with TestClient(create_app("memory://")) as client:
        home = client.get("/", headers={"accept-language": "nl-BE,nl;q=0.9"}).text
        assert '<html lang="nl"' in home and "Nederlands" in home
        created = client.post("/api/workshops", json={"title": "Drop-in", "date": "2026-05-12", "language": "nl"})
        assert created.status_code in (200, 201), created.text
        block = re.search(r'<script type="application/json" id="i18n">(.*?)</script>', home, re.S)
        assert block and json.loads(block.group(1))["plural_categories"]["one"] == 0


def _scripted_read() -> Any:
    from server.archive import read_model_at, workshop_events
    from tests.projections.test_minutes import scripted

    app, workshop_id = scripted()
    return read_model_at(workshop_events(app, workshop_id))


def test_minutes_are_rendered_in_the_chosen_language_and_english_without_one() -> None:
    from server.replay import render_minutes

    read = _scripted_read()
    italian = render_minutes(read, "md", "it")[0].decode()
    assert "## Presenze" in italian and "- Data: 22 novembre 2026" in italian and "affluenza 4 su 6 (66,7%)" in italian
    assert "## Attendance" not in italian and "turnout" not in italian
    html = render_minutes(read, "html", "it")[0].decode()
    assert '<html lang="it">' in html and "<h2>Presenze</h2>" in html and "Sondaggio: Which area first?" in html
    english = render_minutes(read, "md")[0].decode()  # the workshop's language: English
    assert "## Attendance" in english and "- Date: November 22, 2026" in english
    with pytest.raises(Exception, match="no catalogue"):
        render_minutes(read, "md", "xx")


def test_the_pdf_keeps_polish_and_slovenian_letters_with_the_shipped_font(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the system's DejaVu, the PDF embeds the Latin subset shipped in web/fonts: no letter becomes "?"."""
    import io

    from pypdf import PdfReader

    from server import minutes_pdf
    from server.replay import render_minutes

    monkeypatch.setattr(minutes_pdf, "DEJAVU", Path("/nonexistent"))
    assert minutes_pdf.fonts() == (minutes_pdf.SHIPPED / "DejaVuSans-Latin.ttf",
                                   minutes_pdf.SHIPPED / "DejaVuSans-Bold-Latin.ttf")  # fmt: skip
    body = render_minutes(_scripted_read(), "pdf", "pl")[0]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    assert "Włochy" in text and "listopada" in text  # Italy, November: CLDR's Polish
    from fpdf import FPDF

    doc = FPDF()
    doc.add_font("x", "", str(minutes_pdf.SHIPPED / "DejaVuSans-Latin.ttf"))
    doc.set_font("x", "", 10)
    doc.add_page()
    letters = "ąęłńśźż čšž ĄĘŁŃŚŹŻ ČŠŽ äöüß éèçœ ñ ãõ"
    doc.cell(0, 5, letters)
    assert letters in PdfReader(io.BytesIO(bytes(doc.output()))).pages[0].extract_text()


def test_csv_headers_are_column_ids_unless_a_language_is_asked_for() -> None:
    from projections.tallies import COLUMNS
    from server.csv_headers import LABELS, header
    from server.minutes_render import tables

    assert header(["participant_id", "name"], None) == ["participant_id", "name"]
    assert header(["participant_id", "name"], "it") == ["ID partecipante", "Nome"]
    seen = {column for rows in tables(_scripted_read()).values() for row in rows[:1] for column in row}
    assert (seen | set(COLUMNS)) - set(LABELS) == set()
