"""Translations, language choice and localised country names for the web pages.

The gettext catalogues in ``web/locale/{lang}/LC_MESSAGES/messages.po`` are the source of truth, and the languages
Tavolo speaks are exactly the catalogues present: adding a language is adding its catalogue (and its line in
``docs/translating.md``), no code change. ``TAVOLO_LOCALE_DIR`` points at another directory of catalogues (the tests
drop a seventh language in that way). The domain reads no files: at import this module hands the list to
``domain.values.configure_languages``, which checks every ``language`` argument against it.

Catalogues are compiled in memory on first use: no build step, no ``.mo`` file in the repository. After changing
strings, refresh the template and the catalogues, then translate what is new (docs/translating.md)::

    pybabel extract -F web/babel.cfg -o web/locale/messages.pot --no-wrap .
    pybabel update -i web/locale/messages.pot -d web/locale --no-wrap --ignore-obsolete
"""

from __future__ import annotations

import os
import unicodedata
from functools import lru_cache
from io import BytesIO
from pathlib import Path

import pycountry
import pyuca
from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from starlette.requests import HTTPConnection

import web
from domain import values
from domain.countries import EXTRA_CODES

FALLBACK = "en"
DEFAULT_LOCALE_DIR = Path(web.__file__).resolve().parent / "locale"


def discover(locale_dir: Path) -> tuple[str, ...]:
    """The languages with a catalogue under ``locale_dir``: English first, then by code."""
    found = {p.parent.parent.name for p in locale_dir.glob("*/LC_MESSAGES/messages.po")}
    return (FALLBACK, *sorted(found - {FALLBACK}))


def own_name(lang: str) -> str:
    """A language's name in itself, as a language switch lists it: ``Deutsch``, ``Slovenščina`` (CLDR)."""
    name = Locale.parse(lang).get_display_name(lang) or lang
    return name[:1].upper() + name[1:]


LOCALE_DIR = DEFAULT_LOCALE_DIR
SUPPORTED: tuple[str, ...] = ()
LANGUAGE_NAMES: dict[str, str] = {}  # each in its own language, for the language switch and the profile form


def configure(locale_dir: Path | None = None) -> None:
    """Serve the catalogues of ``locale_dir`` (default: ``TAVOLO_LOCALE_DIR``, else web/locale), and tell the domain
    which languages it may record."""
    global LOCALE_DIR, SUPPORTED, LANGUAGE_NAMES
    env_dir = os.environ.get("TAVOLO_LOCALE_DIR")
    LOCALE_DIR = (locale_dir or (Path(env_dir) if env_dir else DEFAULT_LOCALE_DIR)).resolve()
    SUPPORTED = discover(LOCALE_DIR)
    LANGUAGE_NAMES = {lang: own_name(lang) for lang in SUPPORTED}
    values.configure_languages(SUPPORTED)


configure()


def normalise(lang: str | None) -> str | None:
    """The supported language a tag such as ``it-IT`` or ``EN_gb`` stands for, or None."""
    if not lang:
        return None
    primary = lang.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in SUPPORTED else None


@lru_cache(maxsize=64)
def _load(lang: str, locale_dir: Path) -> Translations:
    path = locale_dir / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=lang, domain="messages")
    compiled = BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, as gettext's own msgfmt does
    compiled.seek(0)
    return Translations(fp=compiled, domain="messages")


def translations(lang: str) -> Translations:
    """The compiled catalogue of ``lang`` (English for anything unsupported); cached per process."""
    return _load(normalise(lang) or FALLBACK, LOCALE_DIR)


@lru_cache(maxsize=64)
def plural_categories(lang: str) -> dict[str, int]:
    """Which gettext form (index into ``msgstr[]``) each CLDR plural category of ``lang`` takes, read off the
    catalogue's own ``Plural-Forms`` rule: the scripts pick a form with ``Intl.PluralRules(lang).select(n)`` and
    this map, so they need neither the rule nor ``eval`` (the pages' CSP forbids it)."""
    lang = normalise(lang) or FALLBACK
    rule = translations(lang).plural
    cldr = Locale.parse(lang).plural_form
    categories: dict[str, int] = {}
    for n in (*range(0, 1001), 1_000_000, 2_000_000):
        categories.setdefault(str(cldr(n)), int(rule(n)))
    return categories


def _from_accept_language(header: str) -> str | None:
    """The best supported language of an ``Accept-Language`` header, honouring q-values."""
    ranked: list[tuple[float, int, str]] = []
    for order, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        lang = normalise(tag)
        if lang and quality > 0:
            ranked.append((-quality, order, lang))
    return min(ranked)[2] if ranked else None


def pick_language(request: HTTPConnection, default: str | None = None, stored: str | None = None) -> str:
    """The language of a page: the person's explicit choice (``?lang=``, then the ``lang`` cookie), then their
    stored language where the page knows who they are (``stored``), then the browser's ``Accept-Language`` if Tavolo
    has one of its languages, then ``default`` (the workshop's language), then English."""
    for candidate in (request.query_params.get("lang"), request.cookies.get("lang"), stored):
        lang = normalise(candidate)
        if lang:
            return lang
    return _from_accept_language(request.headers.get("accept-language", "")) or normalise(default) or FALLBACK


# Letters a language sorts as letters of their own, after their base letter, where the Unicode default order (DUCET,
# which pyuca implements) only treats them as accented variants: "Łotwa" after "Luksemburg" in Polish, "Čile" after
# "Cipr" in Slovenian, "Ñ" after "N" in Spanish. German and French need nothing: DUCET already puts "Österreich"
# among the O's and "Émirats" among the E's. From CLDR's collation tailorings (common/collation/{pl,sl,es}.xml).
_OWN_LETTERS = {
    "pl": "ąćęłńóśźż",
    "sl": "čšž",
    "es": "ñ",
}
_AFTER = "\U000ffffd"  # a private-use character: DUCET gives it an implicit weight above every letter
_collator = pyuca.Collator()


def sort_key(name: str, lang: str) -> tuple[int, ...]:
    """The Unicode Collation Algorithm key of ``name`` as ``lang`` sorts (case and accents are secondary)."""
    letters = _OWN_LETTERS.get(lang, "")
    if letters:
        out = []
        for ch in name:
            low = ch.lower()
            if low in letters:
                base = unicodedata.normalize("NFD", low)[0] if low != "ł" else "l"
                out.append((base.upper() if ch != low else base) + _AFTER)
            else:
                out.append(ch)
        name = "".join(out)
    return tuple(_collator.sort_key(name))


@lru_cache(maxsize=64)
def _country_names(lang: str) -> tuple[tuple[str, str], ...]:
    territories = Locale.parse(lang).territories
    pairs = [(c.alpha_2, territories.get(c.alpha_2) or c.name) for c in pycountry.countries]
    pairs += [(code, territories.get(code) or name) for code, name in EXTRA_CODES.items()]  # Kosovo (XK)
    return tuple(sorted(pairs, key=lambda pair: (sort_key(pair[1], lang), pair[0])))


def country_names(lang: str) -> list[tuple[str, str]]:
    """Every ISO 3166-1 alpha-2 code (and Kosovo's XK) with its name in ``lang``, sorted as ``lang`` sorts
    (``sort_key``)."""
    return list(_country_names(normalise(lang) or FALLBACK))
