"""Countries: the one place that reads a country as people write it in registration lists.

``parse_country`` takes an ISO 3166-1 alpha-2 or alpha-3 code, the codes the European Union itself uses where they
differ from ISO (``UK`` for the United Kingdom, ``EL`` for Greece), or a country's name in English or in any of the
EU's official languages (CLDR territory names, through Babel; accents, case and punctuation ignored), and returns the
alpha-2 code stored in events. The join command, profile edits, matchmaking markets and ``tavolo plan`` all use it, so
a list that one accepts the others accept too.

A name that people use for two countries ("Congo", "Korea") is refused rather than guessed: ``ambiguous`` names
both, for the error. Kosovo's ``XK`` is accepted and shown like any other code: ISO has not assigned it, but the EU
and CLDR (hence Babel's names, in every language) use it, and EU programmes list participants from Kosovo.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import defaultdict
from functools import lru_cache

import pycountry
from babel import Locale

# Codes that pycountry (ISO 3166-1) lacks but the EU and CLDR use, with their English name.
EXTRA_CODES = {"XK": "Kosovo"}
COUNTRY_CODES: frozenset[str] = frozenset(c.alpha_2 for c in pycountry.countries) | frozenset(EXTRA_CODES)
# Where the EU's own codes (Interinstitutional Style Guide) differ from ISO 3166-1; registration lists from EU
# programmes use them.
EU_CODES = {"UK": "GB", "EL": "GR"}
_ALPHA_3 = {c.alpha_3: c.alpha_2 for c in pycountry.countries} | {"XKX": "XK"}
# The workshop's languages (domain/values.LANGUAGES) and the EU's other official ones: a registration list at an
# international workshop names countries in the participants' languages ("Deutschland", "Grèce", "Polska").
NAME_LANGUAGES = ("en", "it", "bg", "cs", "da", "de", "el", "es", "et", "fi", "fr", "ga", "hr", "hu", "lt", "lv",
                  "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv")  # fmt: skip
# Names people write that neither pycountry nor CLDR lists (CLDR's English says "Türkiye", not "Turkey").
COMMON_NAMES = {"turkey": "TR", "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB",
                "wales": "GB", "northern ireland": "GB", "u s a": "US", "u k": "GB", "macedonia": "MK",
                "bosnia": "BA", "vatican": "VA", "palestine": "PS", "republic of ireland": "IE",
                "democratic republic of the congo": "CD", "dr congo": "CD", "drc": "CD",
                "republic of the congo": "CG", "republic of korea": "KR", "south korea": "KR", "north korea": "KP",
                "uae": "AE", "ivory coast": "CI", "czech rep": "CZ", "kosovo": "XK"}  # fmt: skip
# Names of two countries: refused, with both named, rather than read as one of them.
AMBIGUOUS = {"congo": ("CG", "CD"), "korea": ("KR", "KP")}


def fold(text: str) -> str:
    """Accents, case, punctuation and repeated spaces ignored: "Côte-d.Ivoire" and "cote d ivoire" fold alike."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.findall(r"\w+", plain))


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    """Every folded country name → its alpha-2 code; a name that two languages give to different countries is left
    out rather than guessed."""
    found: dict[str, set[str]] = defaultdict(set)
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            name = getattr(c, attr, None)
            if name:
                found[fold(name)].add(c.alpha_2)
    for lang in NAME_LANGUAGES:
        territories = Locale.parse(lang).territories
        for code in COUNTRY_CODES:
            name = territories.get(code)
            if name:
                found[fold(name)].add(code)
    for name, code in COMMON_NAMES.items():
        found[name].add(code)
    return {name: next(iter(codes)) for name, codes in found.items() if len(codes) == 1 and name not in AMBIGUOUS}


def warm_up() -> threading.Thread:
    """Build the name table in a background thread (about a second: 24 languages' territory names), so that the
    first join naming a country by name does not wait for it. Called once at server start-up."""
    thread = threading.Thread(target=_names, name="country-names", daemon=True)
    thread.start()
    return thread


def parse_country(value: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of ``value`` (a code or a name, see the module's docstring), or None."""
    given = value.strip()
    code = given.upper()
    if code in COUNTRY_CODES:
        return code
    if code in EU_CODES:
        return EU_CODES[code]
    if code in _ALPHA_3:
        return _ALPHA_3[code]
    name = fold(given).removeprefix("the ")
    return _names().get(name)


def ambiguous(value: str) -> tuple[str, ...]:
    """The codes of the countries ``value`` could name when it names more than one ("Congo": CG and CD), else ()."""
    return AMBIGUOUS.get(fold(value).removeprefix("the "), ())


def english_name(code: str) -> str:
    """The country's English name as CLDR gives it (for error messages: "Congo - Kinshasa")."""
    return str(Locale.parse("en").territories.get(code) or EXTRA_CODES.get(code) or code)


def is_country(code: str) -> bool:
    return code in COUNTRY_CODES
