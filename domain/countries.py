"""ISO 3166-1 alpha-2 country codes accepted in profiles (from pycountry, kept current upstream)."""

from __future__ import annotations

import pycountry

COUNTRY_CODES: frozenset[str] = frozenset(c.alpha_2 for c in pycountry.countries)


def is_country(code: str) -> bool:
    return code in COUNTRY_CODES
