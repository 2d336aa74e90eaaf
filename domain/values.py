"""Validation of command arguments: untrusted values in, clean values (or a stable error) out."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from domain.countries import is_country
from domain.errors import InvalidArgs, InvalidText, TextTooLong, UnknownCountry, UnknownLanguage, UnknownTimezone

LANGUAGES = ("en", "it")
NAME_MAX = 80
ROLE_MAX = 80
ORGANISATION_MAX = 120
TITLE_MAX = 200
SECTOR_MAX = 80
SECTORS_MAX = 60
AGENDA_MAX = 300
AGENDA_KINDS = ("plenary", "group_work", "poll", "rotation", "matchmaking", "break", "other")
# What kind of organisation someone represents ("" = not said): for breakdowns, minutes and matchmaking.
ORGANISATION_TYPES = ("cluster", "company", "research", "public", "other")

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_DAY_HHMM = re.compile(r"^(\d{4}-\d{2}-\d{2})T(([01]\d|2[0-3]):[0-5]\d)$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43,128}$")
_MISSING = object()
# Bidirectional overrides and isolates can make text display as something else (spoofing a name).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def check_keys(args: Mapping[str, Any], allowed: set[str]) -> None:
    if not all(isinstance(k, str) for k in args):
        raise InvalidArgs("argument names must be strings")
    unknown = sorted(set(args) - allowed)
    if unknown:
        raise InvalidArgs(f"unknown argument(s): {', '.join(ascii(k[:40]) for k in unknown)}")


def text(args: Mapping[str, Any], key: str, max_len: int, *, required: bool = True) -> str:
    """A trimmed single-line text; empty is allowed only when not required."""
    value = args.get(key, _MISSING)
    if value is _MISSING or value is None:
        if required:
            raise InvalidArgs(f"'{key}' is required")
        return ""
    if not isinstance(value, str):
        raise InvalidArgs(f"'{key}' must be a string")
    value = unicodedata.normalize("NFC", value).strip()
    if any(unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") or ch in _BIDI_CONTROLS for ch in value):
        raise InvalidText(f"'{key}' contains control or invalid characters")
    if value and all(unicodedata.category(ch) in ("Cf", "Zs", "Mn", "Me") for ch in value):
        raise InvalidText(f"'{key}' has no visible character")
    if len(value) > max_len:
        raise TextTooLong(f"'{key}' is longer than {max_len} characters")
    if required and not value:
        raise InvalidText(f"'{key}' must not be empty")
    return value


def country(args: Mapping[str, Any], key: str = "country") -> str:
    value = args.get(key)
    if not isinstance(value, str):
        raise InvalidArgs(f"'{key}' must be an ISO 3166-1 alpha-2 code")
    code = value.strip().upper()
    if not is_country(code):
        raise UnknownCountry(f"{value[:10]!a} is not an ISO 3166-1 alpha-2 country code")
    return code


def language(args: Mapping[str, Any], key: str = "language", default: str | None = None) -> str:
    value = args.get(key, default)
    if value not in LANGUAGES:
        raise UnknownLanguage(f"language must be one of {', '.join(LANGUAGES)}")
    return str(value)


def iso_date(args: Mapping[str, Any], key: str = "date") -> str:
    value = args.get(key)
    if not isinstance(value, str):
        raise InvalidArgs(f"'{key}' must be a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise InvalidArgs(f"'{key}' must be a date (YYYY-MM-DD)") from None


def sectors(args: Mapping[str, Any], key: str = "sectors") -> tuple[str, ...]:
    value = args.get(key)
    if not isinstance(value, list | tuple) or not value:
        raise InvalidArgs(f"'{key}' must be a non-empty list of texts")
    if len(value) > SECTORS_MAX:
        raise InvalidArgs(f"at most {SECTORS_MAX} sectors")
    cleaned: list[str] = []
    for item in value:
        one = text({"sector": item}, "sector", SECTOR_MAX)
        if one.casefold() not in {s.casefold() for s in cleaned}:
            cleaned.append(one)
    return tuple(cleaned)


def hhmm(args: Mapping[str, Any], key: str) -> str:
    value = args.get(key)
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not _HHMM.fullmatch(value):
        raise InvalidArgs(f"'{key}' must be a time HH:MM")
    return value


def planned_start(args: Mapping[str, Any], key: str = "planned_start") -> str:
    """A planned start as wall time in the workshop's zone: ``HH:MM`` (on the workshop's date) or
    ``YYYY-MM-DDTHH:MM`` (a programme over several days), or "" (not planned)."""
    value = args.get(key)
    if value is None or value == "":
        return ""
    day = _DAY_HHMM.fullmatch(value) if isinstance(value, str) else None
    if day is None:
        try:
            return hhmm(args, key)
        except InvalidArgs:
            raise InvalidArgs(f"'{key}' must be a time HH:MM or a date and time YYYY-MM-DDTHH:MM") from None
    iso_date({"d": day.group(1)}, "d")
    return str(value)


def timezone(args: Mapping[str, Any], key: str = "timezone", default: str = "UTC") -> str:
    """An IANA time zone name known to this machine's zoneinfo (``Europe/Rome``), or ``default`` if absent."""
    value = args.get(key)
    if value is None or value == "":
        return default
    if not isinstance(value, str) or len(value) > 64 or value not in _zones():
        raise UnknownTimezone(f"'{key}' must be an IANA time zone such as Europe/Rome")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnknownTimezone(f"'{key}' must be an IANA time zone such as Europe/Rome") from None
    return value


_ZONES: set[str] = set()


def zone_names() -> list[str]:
    """Every zone name ``timezone`` accepts on this machine, sorted (the forms offer them as a list)."""
    return sorted(_zones())


def _zones() -> set[str]:
    # Only names of the zone database: ZoneInfo alone would also open arbitrary relative paths.
    if not _ZONES:
        _ZONES.update(available_timezones(), {"UTC"})
    return _ZONES


def minutes(args: Mapping[str, Any], key: str) -> int:
    value = args.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1440:
        raise InvalidArgs(f"'{key}' must be a whole number of minutes from 1 to 1440")
    return value


def choice(args: Mapping[str, Any], key: str, options: tuple[str, ...]) -> str:
    value = args.get(key)
    if value not in options:
        raise InvalidArgs(f"'{key}' must be one of {', '.join(options)}")
    return str(value)


def identifier(args: Mapping[str, Any], key: str) -> str:
    value = args.get(key)
    if not isinstance(value, str) or not 1 <= len(value) <= 64:
        raise InvalidArgs(f"'{key}' must be an id")
    return value


def token(args: Mapping[str, Any], key: str = "token") -> str | None:
    value = args.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not _TOKEN.fullmatch(value):
        raise InvalidArgs(f"'{key}' must be 43-128 URL-safe characters")
    return value
