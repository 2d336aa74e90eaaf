"""Translations, language choice and localised country names for the web pages.

The gettext catalogues in ``web/locale/{lang}/LC_MESSAGES/messages.po`` are the source of truth. They are
compiled in memory on first use: no build step, no ``.mo`` file in the repository. After changing strings,
refresh the template and the catalogues, then translate what is new in ``it``::

    pybabel extract -F web/babel.cfg -o web/locale/messages.pot --no-wrap .
    pybabel update -i web/locale/messages.pot -d web/locale --no-wrap --ignore-obsolete
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from io import BytesIO
from pathlib import Path

import pycountry
from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from starlette.requests import HTTPConnection

import web
from domain.countries import EXTRA_CODES

SUPPORTED = ("en", "it")
FALLBACK = "en"
LOCALE_DIR = Path(web.__file__).resolve().parent / "locale"
LANGUAGE_NAMES = {"en": "English", "it": "Italiano"}  # each in its own language, for the language switch


def normalise(lang: str | None) -> str | None:
    """The supported language a tag such as ``it-IT`` or ``EN_gb`` stands for, or None."""
    if not lang:
        return None
    primary = lang.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in SUPPORTED else None


@lru_cache(maxsize=len(SUPPORTED))
def _load(lang: str) -> Translations:
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=lang, domain="messages")
    compiled = BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, as gettext's own msgfmt does
    compiled.seek(0)
    return Translations(fp=compiled, domain="messages")


def translations(lang: str) -> Translations:
    """The compiled catalogue of ``lang`` (English for anything unsupported); cached per process."""
    return _load(normalise(lang) or FALLBACK)


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


def pick_language(request: HTTPConnection, default: str | None = None) -> str:
    """The language of a page: ``?lang=``, then the ``lang`` cookie, then ``default`` (the workshop's
    language), then ``Accept-Language``, then English."""
    for candidate in (request.query_params.get("lang"), request.cookies.get("lang"), default):
        lang = normalise(candidate)
        if lang:
            return lang
    return _from_accept_language(request.headers.get("accept-language", "")) or FALLBACK


def _sort_key(name: str) -> str:
    """Accent- and case-insensitive, so that Åland sorts with the As and Émirats with the Es."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


@lru_cache(maxsize=len(SUPPORTED))
def _country_names(lang: str) -> tuple[tuple[str, str], ...]:
    territories = Locale.parse(lang).territories
    pairs = [(c.alpha_2, territories.get(c.alpha_2) or c.name) for c in pycountry.countries]
    pairs += [(code, territories.get(code) or name) for code, name in EXTRA_CODES.items()]  # Kosovo (XK)
    return tuple(sorted(pairs, key=lambda pair: (_sort_key(pair[1]), pair[0])))


def country_names(lang: str) -> list[tuple[str, str]]:
    """Every ISO 3166-1 alpha-2 code (and Kosovo's XK) with its name in ``lang``, sorted by that name."""
    return list(_country_names(normalise(lang) or FALLBACK))
