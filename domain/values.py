"""Validation of command arguments: untrusted values in, clean values (or a stable error) out."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from domain.countries import ambiguous, english_name, parse_country
from domain.errors import (
    DomainError,
    InvalidArgs,
    InvalidText,
    TextTooLong,
    UnknownCountry,
    UnknownLanguage,
    UnknownTimezone,
)
from domain.text import clean_line, clean_lines

# The languages a workshop or a participant may choose: the catalogues the server has. The domain reads no files, so
# the server configures it at start (server/i18n.py calls configure_languages with the catalogues it found); a
# seventh language is a catalogue, not a code change. English and Italian until then.
LANGUAGES: tuple[str, ...] = ("en", "it")
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


def every_field(checks: Mapping[str, Callable[[], Any]]) -> dict[str, Any]:
    """Each field's clean value; if any is refused, the first refusal (its code unchanged) with every refused field
    in ``details.fields`` ({field: {code, message}}), so a form can show all its errors at once."""
    out: dict[str, Any] = {}
    refused: dict[str, DomainError] = {}
    for field, check in checks.items():
        try:
            out[field] = check()
        except DomainError as e:
            refused[field] = e
    if refused:
        first = next(iter(refused.values()))
        first.details = {"fields": {f: {"code": e.code, "message": e.message} for f, e in refused.items()}}
        raise first
    return out


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
            # ascii(): a key may hold lone surrogates, which the JSON answer could not encode (a 500, found by fuzzing)
            raise InvalidArgs(f"{key[:40]!a} must be a finite number" if key else "numbers must be finite")
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
    """An ISO 3166-1 alpha-2 code, read from a code or a name as ``domain.countries.parse_country`` reads it."""
    value = args.get(key)
    if not isinstance(value, str):
        raise InvalidArgs(f"'{key}' must be a country code or name")
    code = parse_country(value[:100])
    if code is None and (both := ambiguous(value[:100])):
        named = " or ".join(f"{english_name(c)} ({c})" for c in both)
        raise UnknownCountry(f"{value[:40]!a} may name more than one country: {named}")
    if code is None:
        raise UnknownCountry(f"{value[:40]!a} is not a country code (ISO 3166-1, or the EU's UK/EL) or name")
    return code


def configure_languages(codes: Iterable[str]) -> None:
    """Set the languages ``language()`` accepts (the application's configuration: the catalogues present)."""
    global LANGUAGES
    LANGUAGES = tuple(codes)


def language(args: Mapping[str, Any], key: str = "language", default: str | None = None) -> str:
    """A supported language code (``LANGUAGES``), else ``unknown_language``."""
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
        if match_choice(one, cleaned) is None:  # "Agri-food" and "Agri-fóod" are one sector, as commands read them
            cleaned.append(one)
    return tuple(cleaned)


def _folded(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def match_choice(given: str, allowed: Iterable[str]) -> str | None:
    """The item of ``allowed`` that ``given`` names — exactly, or else ignoring case, accents and repeated spaces
    ("Cleantech" names "CleanTech") — in the spelling of ``allowed``; None if it names none."""
    options = list(allowed)
    if given in options:
        return given
    wanted = _folded(given)
    return next((o for o in options if _folded(o) == wanted), None)


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
