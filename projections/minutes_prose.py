"""The minutes' opening paragraph: the facts an organiser's report opens with (who came, from where, what was done),
as sentences in the minutes' language, made only from figures in the Minutes value.

Every clause is a true statement of the data, and a clause with nothing to say is left out. Strings go through
gettext (``ngettext`` for every count) so that a language is added by translating its catalogue; country names,
lists ("A, B and C") and percents come from CLDR through Babel in the same language.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from babel import Locale, UnknownLocaleError
from babel.lists import format_list
from babel.numbers import format_decimal, format_percent

from projections.clock import locale

if TYPE_CHECKING:
    from projections.minutes import Minutes, Section


class Translator(Protocol):
    """What the paragraph needs of a gettext catalogue (gettext.NullTranslations, babel's Translations)."""

    def gettext(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str: ...


def _top(rows: Sequence[tuple[str, int]], most: int = 3) -> list[tuple[str, int]]:
    """The first rows of a ranked list, cut before a tie so that "the largest" stays true."""
    top = list(rows[:most])
    while top and len(rows) > len(top) and rows[len(top)][1] == top[-1][1]:
        top.pop()
    return top


class _Words:
    def __init__(self, m: Minutes, t: Translator) -> None:
        self.t = t
        try:
            self.locale = locale(m.language or "en", m.timezone)
        except (UnknownLocaleError, ValueError):
            self.locale = Locale.parse("en")

    def n(self, singular: str, plural: str, count: int, **values: Any) -> str:
        return self.t.ngettext(singular, plural, count) % {"count": count, **values}

    def list(self, items: Sequence[str]) -> str:
        return format_list(list(items), locale=self.locale)

    def country(self, code: str) -> str:
        return str(self.locale.territories.get(code.upper(), code)) if code else self.t.gettext("not said")

    def percent(self, value: float) -> str:
        return format_percent(value / 100, "#,##0.#%", locale=self.locale)

    def number(self, value: float) -> str:
        return format_decimal(value, "#,##0.##", locale=self.locale)


def plural(singular: str, plural: str) -> tuple[str, str]:
    """Marks a plural pair for extraction (web/babel.cfg lists it as a keyword)."""
    return singular, plural


ORGANISATION_TYPES = {  # type -> (singular, plural), both with %(count)d
    "cluster": plural("%(count)d cluster", "%(count)d clusters"),
    "company": plural("%(count)d company", "%(count)d companies"),
    "research": plural("%(count)d research organisation", "%(count)d research organisations"),
    "public": plural("%(count)d public body", "%(count)d public bodies"),
    "other": plural("%(count)d other organisation", "%(count)d other organisations"),
}


def _who(m: Minutes, w: _Words) -> list[str]:
    a = m.attendance
    people = a.joined - a.removed
    if people <= 0:
        return []
    countries = [(code, n) for code, n in a.countries if code]
    few = len(countries) <= 3  # named one by one; more are counted, and the largest named
    if len(countries) == 1:
        where = w.country(countries[0][0])
    elif few:
        where = w.list([f"{w.country(code)} ({n})" for code, n in countries])
    else:
        where = w.n("%(count)d country", "%(count)d countries", len(countries))
    if not countries:
        first = w.n("%(count)d participant took part", "%(count)d participants took part", people)
    elif few:
        # Countries by name: a context of their own, since a language may need to phrase it apart from "from 5
        # countries" (Italian "da" + a country's name needs its article: "dall'Italia", "dai Paesi Bassi").
        first = w.t.npgettext(
            "countries named",
            "%(count)d participant from %(where)s took part", "%(count)d participants from %(where)s took part",
            people,
        ) % {"count": people, "where": where}  # fmt: skip
    else:
        first = w.n("%(count)d participant from %(where)s took part", "%(count)d participants from %(where)s took part",
                    people, where=where)  # fmt: skip
    top = [] if few else _top(countries)
    if top:
        shares = w.list([f"{w.country(code)} ({n})" for code, n in top])
        largest = w.t.ngettext("; the largest share came from %(countries)s",
                               "; the largest shares came from %(countries)s", len(top))  # fmt: skip
        first += largest % {"countries": shares}
    sentences = [first + "."]
    organisations = sum(n for _, n in a.organisation_types)
    if organisations:
        second = w.n("They represented %(count)d organisation", "They represented %(count)d organisations",
                     organisations)  # fmt: skip
        kinds = [w.n(*ORGANISATION_TYPES[k], n) for k, n in a.organisation_types if k in ORGANISATION_TYPES]
        untyped = sum(n for k, n in a.organisation_types if k not in ORGANISATION_TYPES)
        if kinds and untyped:  # the breakdown adds up to the count: those of no stated type are counted too
            kinds.append(w.n("%(count)d of no stated type", "%(count)d of no stated type", untyped))
        if kinds:
            second += ": " + w.list(kinds)
        named = [(s, n) for s, n in a.sectors if s]
        sectors = named if len(named) <= 3 else _top(named)
        if sectors:
            names = {"sectors": w.list([s for s, _ in sectors])}
            if len(sectors) == len(named):
                phrase = w.t.ngettext(
                    "; their sector was %(sectors)s", "; their sectors were %(sectors)s", len(sectors)
                )
            else:
                phrase = w.t.ngettext("; the main sector was %(sectors)s", "; the main sectors were %(sectors)s",
                                      len(sectors))  # fmt: skip
            second += phrase % names
        sentences.append(second + ".")
    return sentences


def _sections(m: Minutes) -> list[Section]:
    found = [s for i in m.items for s in i.sections]
    return found + list(m.outside)


def _winner(poll: dict[str, Any], w: _Words) -> str:
    """Who won a closed poll's first question, if one option clearly did (the most votes, points or dots, and no
    tie for them); "" otherwise. Rows come in the order the options were written, not ranked."""
    if poll.get("state") != "closed" or not poll["questions"]:
        return ""
    q = poll["questions"][0]
    rows = q.get("rows") or []
    if q["kind"] not in ("single", "multiple", "ranking", "dots") or not rows or not q.get("respondents"):
        return ""
    best = max(row[1] for row in rows)
    leaders = [row for row in rows if row[1] == best]
    if len(leaders) > 1 or not best:
        return ""
    label, _, percent = leaders[0]
    if q["kind"] == "ranking":
        label = label.split(". ", 1)[-1]
        return w.t.gettext("“%(option)s” ranked first (%(percent)s first choices)") % {
            "option": label, "percent": w.percent(percent or 0)}  # fmt: skip
    return w.t.gettext("“%(option)s” won with %(percent)s") % {"option": label, "percent": w.percent(percent or 0)}


def _done(m: Minutes, w: _Words) -> list[str]:
    sections = _sections(m)
    clauses = []
    rotations = [s.data for s in sections if s.kind == "rotation" and s.data.get("rounds_held")]
    if rotations:
        rounds = sum(d["rounds_held"] for d in rotations)
        clause = w.n("%(count)d round of speed dating", "%(count)d rounds of speed dating", rounds)
        if len(rotations) == 1 and rotations[0].get("people"):
            mean = float(rotations[0]["new_people_mean"])
            clause += " " + w.n(
                "in which each participant met %(mean)s other on average",
                "in which each participant met %(mean)s others on average",
                1 if mean == 1 else 2, mean=w.number(mean),
            )  # fmt: skip
        clauses.append(clause)
    for s in sections:
        if s.kind != "questions" or not s.data["questions"]:
            continue
        # The groups that answered something, not all those the questions were sent to.
        groups = len({n for q in s.data["questions"] for n, g in enumerate(q["groups"]) if g["by_category"]})
        if not groups:
            continue
        questions = len(s.data["questions"])
        clauses.append(w.t.gettext("%(groups)s answering %(questions)s") % {
            "groups": w.n("%(count)d group", "%(count)d groups", groups),
            "questions": w.n("%(count)d question", "%(count)d questions", questions)})  # fmt: skip
    polls = [s for s in sections if s.kind == "poll"]
    if polls:
        clause = w.n("%(count)d poll", "%(count)d polls", len(polls))
        winners = [x for x in (_winner(s.data, w) for s in polls) if x]
        if winners:
            clause += " (" + "; ".join(winners) + ")"
        clauses.append(clause)
    for s in sections:
        if s.kind == "matchmaking" and s.data["counts"].get("scheduled"):
            c = s.data["counts"]
            clauses.append(w.n("%(count)d meeting held out of %(scheduled)d scheduled",
                               "%(count)d meetings held out of %(scheduled)d scheduled", c["held"],
                               scheduled=c["scheduled"]))  # fmt: skip
    if not clauses:
        return []
    return [w.t.gettext("The programme included %(activities)s.") % {"activities": w.list(clauses)}]


def opening(m: Minutes, translations: Translator) -> str:
    """The opening paragraph of the minutes, in the language of ``translations`` ("" if nothing happened)."""
    w = _Words(m, translations)
    return " ".join(_who(m, w) + _done(m, w))
