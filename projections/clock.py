"""Times as the room reads them: instants are recorded in UTC; every screen and document shows them in the
workshop's IANA zone, labelled with it, in the hour cycle of the language as spoken where the workshop is.

The hour cycle comes from CLDR (Babel) for the language *and* the zone's country: English in ``Europe/Rome`` is
``en_IT`` (24-hour), English in ``America/New_York`` is ``en_US`` (12-hour). The browser's own locale and zone are
never used: the phones get ``hour_cycles`` from the server (``workshop_clock``) and pass them to Intl.DateTimeFormat.

Pure functions of their arguments (no clock read), so the minutes stay deterministic.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_skeleton

from domain import values


def zone(name: str) -> ZoneInfo:
    """The ZoneInfo of a workshop's zone name (UTC for "", which old read models may carry)."""
    return ZoneInfo(name or "UTC")


@lru_cache(maxsize=256)
def locale(language: str, timezone: str) -> Locale:
    """The CLDR locale of ``language`` as used in the zone's country (``en`` + ``Europe/Rome`` -> ``en_IT``), or the
    language alone where CLDR has no such locale or the zone has no country (UTC)."""
    territory = get_global("zone_territories").get(timezone or "UTC", "")
    if territory and territory != "ZZ":
        try:
            return Locale.parse(f"{language}_{territory}")
        except (UnknownLocaleError, ValueError):
            pass
    return Locale.parse(language or "en")


def hour_cycle(language: str, timezone: str) -> str:
    """``h23`` (24-hour) or ``h12``: what Intl.DateTimeFormat's ``hourCycle`` option takes. A zone of no country
    (UTC, Etc/…) is the technical timescale, written 24-hour in every language (ISO 8601), not the language's
    default country's habit (``en`` alone would be the United States' 12-hour)."""
    if get_global("zone_territories").get(timezone or "UTC", "ZZ") == "ZZ":
        return "h23"
    pattern = str(locale(language, timezone).time_formats["short"].pattern)
    return "h12" if "h" in pattern or "K" in pattern else "h23"


@lru_cache(maxsize=256)
def zone_label(timezone: str, year: int = 2026) -> str:
    """The zone as a header says it: ``Europe/Rome (CET/CEST)``; ``UTC`` alone; the offset where a zone has no
    abbreviation (``Asia/Dubai (+04)``)."""
    name = timezone or "UTC"
    if name == "UTC":
        return "UTC"
    tz = zone(name)
    abbreviations: list[str] = []
    for month in (1, 7):
        abbreviation = datetime(year, month, 1, 12, tzinfo=tz).tzname() or ""
        if abbreviation and abbreviation not in abbreviations:
            abbreviations.append(abbreviation)
    return f"{name} ({'/'.join(abbreviations)})" if abbreviations else name


def workshop_clock(timezone: str, year: int = 2026) -> dict[str, Any]:
    """What a page needs to show times like the minutes do: the zone, its label, and the hour cycle per language."""
    return {
        "timezone": timezone or "UTC",
        "zone_label": zone_label(timezone, year),
        "hour_cycles": {lang: hour_cycle(lang, timezone) for lang in values.LANGUAGES},
    }


def parse(iso: str) -> datetime | None:
    """A recorded instant (ISO 8601, with an offset) as an aware datetime, or None for "" or garbage."""
    try:
        value = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def local_iso(iso: str, timezone: str) -> str:
    """A recorded UTC instant as the same instant in the workshop's zone (``2026-05-12T09:38:00+02:00``): its
    wall time is what people saw on the clock, and the offset keeps it unambiguous. "" stays ""."""
    value = parse(iso) if iso else None
    return value.astimezone(zone(timezone)).isoformat() if value else iso


def _digits(value: datetime, language: str, timezone: str) -> str:
    skeleton = "Hm" if hour_cycle(language, timezone) == "h23" else "hm"
    return str(format_skeleton(skeleton, value, locale=locale(language, timezone)))


def format_time(iso: str, language: str, timezone: str) -> str:
    """An instant's wall time in the zone, in the locale's short form (``09:38``; ``9:38 AM`` in en_US)."""
    value = parse(iso)
    if value is None:
        return "—"
    # Babel formats an aware datetime in UTC unless told a zone: make it naive wall time in the workshop's zone.
    return _digits(value.astimezone(zone(timezone)).replace(tzinfo=None), language, timezone)


def format_wall(hhmm: str, language: str, timezone: str) -> str:
    """A wall time typed in the workshop's zone (``14:30`` of a planned start) in the same form as
    ``format_time`` (``2:30 PM`` for English in New York); anything else is returned as it was typed."""
    try:
        hours, minutes = (int(x) for x in hhmm.split(":"))
        value = datetime(2000, 1, 1, hours, minutes, tzinfo=UTC)  # Babel leaves UTC as it is
    except ValueError:
        return hhmm
    return _digits(value, language, timezone)


def format_day(day: str, language: str, timezone: str) -> str:
    """A calendar day (``2026-05-13``) as a short heading in the language: ``Wed 13 May`` / ``mer 13 mag``."""
    try:
        value = date.fromisoformat(day[:10])
    except ValueError:
        return day
    return str(format_skeleton("MMMEd", value, locale=locale(language, timezone)))
