"""The words of the minutes in the language they are produced in: headings and labels through gettext, numbers,
percentages and dates through CLDR (Babel).

Every renderer (Markdown here, HTML and PDF in server/) calls ``_``, ``n_``, ``number``, ``percent`` and ``day``;
``speaking(translations, language)`` sets the language for one rendering. A context variable rather than an argument
threaded through every section renderer, so a capability's renderer stays ``(Section) -> lines``; it is set and
reset around each rendering, so concurrent renderings in other languages never mix. Without ``speaking`` the
minutes are English (the msgids), as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from gettext import NullTranslations
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from projections.minutes_prose import Translator

_ENGLISH = NullTranslations()  # never changed: the msgids are the English text
_translations: ContextVar[Translator] = ContextVar("minutes_translations", default=_ENGLISH)
_language: ContextVar[str] = ContextVar("minutes_language", default="en")


@contextmanager
def speaking(translations: Translator, language: str) -> Iterator[None]:
    """Render the minutes in ``language`` with its catalogue ``translations`` for the duration of the block."""
    t_token, l_token = _translations.set(translations), _language.set(language)
    try:
        yield
    finally:
        _translations.reset(t_token)
        _language.reset(l_token)


def language() -> str:
    """The language the minutes are being rendered in."""
    return _language.get()


def _locale() -> Locale:
    try:
        return Locale.parse(_language.get())
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def N_(message: str) -> str:
    """Mark ``message`` for extraction where it is translated later (a table of labels)."""
    return message


def _(message: str, **values: Any) -> str:
    """``message`` in the minutes' language, its ``%(name)s`` placeholders filled with ``values``."""
    text = _translations.get().gettext(message)
    return text % values if values else text


def n_(singular: str, plural: str, count: int, **values: Any) -> str:
    """The plural form for ``count`` in the minutes' language; ``%(count)s`` is the count as the language writes it."""
    return _translations.get().ngettext(singular, plural, count) % {"count": number(count), **values}


def number(value: float | int, digits: int = 2, least: int = 0) -> str:
    """A number as the minutes' language writes it (``1,234.5`` / ``1.234,5``), with ``least`` to ``digits``
    decimals."""
    decimals = "0" * least + "#" * max(0, digits - least)
    return str(format_decimal(value, "#,##0." + decimals if decimals else "#,##0", locale=_locale()))


def percent(value: float) -> str:
    """A share out of 100 with one decimal as the language writes it: ``42.0%``, ``42,0 %`` in German."""
    loc = _locale()
    pattern = str(loc.percent_formats[None].pattern).replace("0", "0.0", 1)  # the locale's, with one decimal
    return str(format_percent(value / 100, pattern, locale=loc))


def day(iso: str) -> str:
    """A calendar date (``2026-05-12``) as the language writes it in full (``12. maj 2026`` in Slovenian)."""
    try:
        return str(format_date(date.fromisoformat(iso[:10]), "long", locale=_locale()))
    except ValueError:
        return iso
