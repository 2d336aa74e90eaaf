"""Validation of command arguments: untrusted values in, clean values (or a stable error) out."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from domain.countries import is_country
from domain.errors import InvalidArgs, InvalidText, TextTooLong, UnknownCountry, UnknownLanguage
from domain.text import clean_line, clean_lines

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
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43,128}$")
_MISSING = object()


def check_keys(args: Mapping[str, Any], allowed: set[str]) -> None:
    if not all(isinstance(k, str) for k in args):
        raise InvalidArgs("argument names must be strings")
    unknown = sorted(set(args) - allowed)
    if unknown:
        raise InvalidArgs(f"unknown argument(s): {', '.join(ascii(k[:40]) for k in unknown)}")


def finite_numbers(args: Any) -> None:
    """Refuse NaN and +-Infinity anywhere in a command's arguments (JSON parsers and msgpack both carry them): no
    argument means them, and arithmetic on them raises (``int(nan)``) or spreads silently (``nan < x`` is false)."""
    pending = [("", args)]
    while pending:  # a loop, not recursion: arguments can nest deeper than the stack
        key, value = pending.pop()
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidArgs(f"'{key[:40]}' must be a finite number" if key else "numbers must be finite")
        if isinstance(value, dict):
            pending.extend((k if isinstance(k, str) else key, v) for k, v in value.items())
        elif isinstance(value, list | tuple):
            pending.extend((key, v) for v in value)


def text(args: Mapping[str, Any], key: str, max_len: int, *, required: bool = True, identity: bool = False) -> str:
    """A trimmed single-line text, cleaned by domain/text.py (``identity``: a person's or organisation's name, which
    may not mix look-alike scripts in a word); empty is allowed only when not required."""
    value = args.get(key, _MISSING)
    if value is _MISSING or value is None:
        if required:
            raise InvalidArgs(f"'{key}' is required")
        return ""
    if not isinstance(value, str):
        raise InvalidArgs(f"'{key}' must be a string")
    return _sized(clean_line(value, key, identity=identity), key, max_len, required)


def multiline(args: Mapping[str, Any], key: str, max_len: int, *, required: bool = True) -> str:
    """A trimmed text of several lines (contributions, notes, open answers): each line cleaned as ``text`` does,
    line separators turned into ``\\n``."""
    value = args.get(key)
    if not isinstance(value, str):
        raise InvalidArgs(f"'{key}' is required and must be a string")
    return _sized(clean_lines(value, key), key, max_len, required)


def _sized(value: str, key: str, max_len: int, required: bool) -> str:
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
