"""The minutes as Markdown: deterministic text from the Minutes value (projections/minutes.py).

Participant text is escaped so that it reads as written and can never become a link, a heading or HTML. A
renderer per section kind (``RENDERERS``): a new capability adds its own beside its section function.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from projections.clock import format_day, format_time, format_wall
from projections.minutes import ItemMinutes, Minutes, Note, Section
from projections.minutes_words import N_, _, day, language, n_, number, percent

_SPECIAL = re.compile(r"([\\`*_\[\]{}<>#|!~])")


def md(text: str) -> str:
    """Participant text as literal Markdown: special characters escaped, lines kept."""
    return _SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")


def cell(text: Any) -> str:
    """A table cell: escaped, on one line."""
    return md(str(text)).replace("  \n", " ")


def hm(iso: str, m: Minutes) -> str:
    """A time of the minutes as the room's clocks showed it, or a dash: the wall time in the workshop's zone in
    the hour cycle of the minutes' language there (``14:30``; ``2:30 PM`` for English in New York), the same rule
    as the phones (projections/clock.py)."""
    return format_time(iso, language(), m.timezone) if len(iso) >= 16 else "—"


def _planned_day(item: ItemMinutes, m: Minutes) -> str:
    # A start typed as HH:MM is on the workshop's date; YYYY-MM-DDTHH:MM carries its own.
    return item.planned_start[:10] if len(item.planned_start) > 5 else m.date[:10]


def days(m: Minutes) -> bool:
    """Whether the workshop spans several days (planned or held): then times show their day too."""
    seen = {_planned_day(i, m) for i in m.items if i.planned_start}
    seen |= {i.started_at[:10] for i in m.items if i.started_at}
    return len(seen - {""}) > 1


def when(iso: str, m: Minutes, several: bool | None = None) -> str:
    """A time of the minutes, with its day (``Wed, 13 May 09:30``) when the workshop spans several days (or
    ``several`` says so)."""
    if not iso or not (days(m) if several is None else several):
        return hm(iso, m)
    return f"{format_day(iso[:10], language(), m.timezone)} {hm(iso, m)}"


def planned(item: ItemMinutes, m: Minutes) -> str:
    """An item's planned start (wall time typed in the zone), with its day on a programme of several days."""
    start = item.planned_start
    if not start:
        return "—"
    time = format_wall(start[11:16] if len(start) > 5 else start, language(), m.timezone)
    return f"{format_day(_planned_day(item, m), language(), m.timezone)} {time}" if days(m) else time


def zone_line(m: Minutes) -> str:
    """The header's promise about times: which zone they are in."""
    return _("all times are %(zone)s, from the event log", zone=m.zone_label)


KIND_NAMES = {
    "plenary": N_("plenary"),
    "group_work": N_("group work"),
    "poll": N_("poll"),
    "rotation": N_("rotation"),
    "matchmaking": N_("matchmaking"),
    "break": N_("break"),
    "other": N_("other"),
    "single": N_("single"),
    "multiple": N_("multiple"),
    "scale": N_("scale"),
    "ranking": N_("ranking"),
    "text": N_("text"),
    "dots": N_("dots"),
    "survey": N_("survey"),
}


def kind_name(kind: str) -> str:
    """An agenda item's or a poll's kind as words in the minutes' language: ``group_work`` -> ``group work``."""
    return _(KIND_NAMES[kind]) if kind in KIND_NAMES else kind.replace("_", " ")


def _pct(value: Any) -> str:
    return "" if value is None else percent(value)


def percent_header(q: dict[str, Any]) -> str:
    """What a results table's percent column is a share of (ranking: respondents who put it first)."""
    return _("Share of first choices") if q.get("percent_of") == "first_choice" else "%"


def answer_text(a: Any) -> str:
    """A group's answer as plain text: older minutes held strings; now ``{"text", "tags"}``."""
    return a if isinstance(a, str) else str(a["text"])


def other_tags(a: Any, category: str) -> list[str]:
    """An answer's tags besides the category it is listed under (it is listed once, with all its tags)."""
    return [] if isinstance(a, str) else [t for t in a["tags"] if t != category]


def _table(head: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _poll(s: Section, m: Minutes) -> list[str]:
    d = s.data
    heading = _("Poll: %(title)s", title=md(s.title))
    lines = [f"### {heading}", "", "_" + " · ".join(poll_facts(d, m)) + "_", ""]
    for q in d["questions"]:
        lines += [f"**{md(q['prompt'] or s.title)}** ({respondents(q['respondents'])})", ""]
        summary = q.get("summary")
        if summary:
            lines += ["_" + summary_text(summary) + "_", ""] if summary_text(summary) else []
        if q.get("rows"):
            head = (_("Word") if q["kind"] == "text" else _("Answer"), unit_name(q["unit"]), percent_header(q))
            lines += _table(head, [(label, value, _pct(p)) for label, value, p in q["rows"]])
        for answer in q.get("answers", ()):
            lines.append(f"- {md(answer)}")
        if q.get("answers"):
            lines.append("")
    return lines


def poll_facts(d: dict[str, Any], m: Minutes) -> list[str]:
    """A poll's kind, ballot, opening, closing and turnout, as short phrases (shared by every renderer)."""
    t = d["turnout"]
    facts = [kind_name(d["kind"]), _("secret ballot") if d["secret"] else _("named ballot")]
    facts.append(_("opened %(time)s", time=hm(d["opened_at"], m)))
    facts.append(_("closed %(time)s", time=hm(d["closed_at"], m)) if d["state"] == "closed" else _("still open"))
    facts.append(_("turnout %(voted)s of %(present)s (%(percent)s)", voted=number(t["voted"]),
                   present=number(t["present"]), percent=percent(t["percent"])))  # fmt: skip
    return facts


def respondents(n: int) -> str:
    return n_("%(count)s respondent", "%(count)s respondents", n)


SUMMARY_NAMES = {
    "mean": N_("mean"),
    "median": N_("median"),
    "nps": N_("NPS"),
    "promoters": N_("promoters"),
    "passives": N_("passives"),
    "detractors": N_("detractors"),
}
UNIT_NAMES = {
    "votes": N_("Votes"),
    "points": N_("Points"),
    "dots": N_("Dots"),
    "answers": N_("Answers"),
    "count": N_("Count"),
    "mentions": N_("Mentions"),
    "people": N_("People"),
}


def summary_text(summary: dict[str, Any]) -> str:
    """A scale's summary (``mean 3.5, median 4``) in the minutes' language."""

    def value(v: Any) -> str:
        if isinstance(v, float):
            return number(v, 2, least=1)  # a mean stays 4.0, as measured, not 4
        return number(v) if isinstance(v, int) and not isinstance(v, bool) else str(v)

    parts = [
        f"{_(SUMMARY_NAMES[k]) if k in SUMMARY_NAMES else k} {value(v)}" for k, v in summary.items() if v is not None
    ]
    return ", ".join(parts)


def unit_name(unit: str) -> str:
    """A results table's value column (``votes`` -> ``Votes``)."""
    return _(UNIT_NAMES[unit]) if unit in UNIT_NAMES else unit.capitalize()


def group_name(g: dict[str, Any], esc: Callable[[str], str] = str) -> str:
    return esc(g["name"]) or _("Group %(number)s", number=g["number"])


_UNNAMED_GROUP = re.compile(r"Group (\d+)")


def answering_group(label: str) -> str:
    """A group as the answers list it: its name, or ``Group 2`` (which the minutes' data holds in English for an
    unnamed group) in the minutes' language."""
    unnamed = _UNNAMED_GROUP.fullmatch(label)
    return _("Group %(number)s", number=unnamed.group(1)) if unnamed else label


def _groups(s: Section, m: Minutes) -> list[str]:
    d = s.data
    heading = _("Groups: split %(number)s (%(strategy)s)", number=d["number"], strategy=md(d["strategy"]))
    lines = [f"### {heading}", ""]
    for g in d["groups"]:
        name = group_name(g, md)
        table = _(", table %(table)s", table=g["table"]) if g["table"] else ""
        rapporteur = _("; rapporteur %(name)s", name=md(g["rapporteur"])) if g["rapporteur"] else ""
        members = ", ".join(md(m) for m in g["members"]) or _("nobody")
        lines.append(f"- **{name}**{table} ({len(g['members'])}{rapporteur}): {members}")
    return [*lines, ""]


def _questions(s: Section, m: Minutes) -> list[str]:
    heading = _("Questions: %(title)s", title=md(s.title) or _("group work"))
    lines = [f"### {heading}", ""]
    for q in s.data["questions"]:
        lines += [f"#### {md(q['prompt'])}", ""]
        for g in q["groups"]:
            final = " " + _("(final)") if g["final"] else ""
            lines.append(
                f"- **{md(answering_group(g['group']))}**{final}" + ("" if g["by_category"] else ": " + _("no answer"))
            )
            for c in g["by_category"]:
                indent = "  "
                if c["category"] or len(g["by_category"]) > 1:
                    lines.append(f"  - _{md(c['category']) or _('untagged')}_")
                    indent = "    "
                for a in c["answers"]:
                    also = other_tags(a, c["category"])
                    tags = " _(" + _("also: %(tags)s", tags=md("; ".join(also))) + ")_" if also else ""
                    lines.append(indent + "- " + md(answer_text(a)).replace("  \n", "  \n" + indent + "  ") + tags)
        lines.append("")
    return lines


def duration(seconds: int) -> str:
    """A length of time as people say it: ``4 min``, ``90 s``, ``1 h 30 min``."""
    if seconds % 60:
        return _("%(seconds)s s", seconds=number(seconds))
    hours, minutes = divmod(seconds // 60, 60)
    parts = (_("%(hours)s h", hours=hours) if hours else "", _("%(minutes)s min", minutes=minutes) if minutes else "")
    return " ".join(p for p in parts if p)


def rotation_facts(d: dict[str, Any], m: Minutes) -> list[str]:
    """A rotation's settings and progress, as short phrases (shared by every renderer)."""
    size = _("pairs") if d["table_size"] == 2 else _("tables of %(size)s", size=d["table_size"])
    facts = [size, _("rounds of %(duration)s", duration=duration(d["round_seconds"]))]
    facts.append(n_("%(held)s of %(count)s round held", "%(held)s of %(count)s rounds held", d["rounds_planned"],
                    held=number(d["rounds_held"])))  # fmt: skip
    if d["started_at"]:
        facts.append(_("started %(time)s", time=hm(d["started_at"], m)))
        facts.append(_("finished %(time)s", time=hm(d["finished_at"], m)) if d["finished_at"] else _("not finished"))
    else:
        facts.append(_("not started"))
    return facts


def rotation_lines(d: dict[str, Any]) -> list[str]:
    """The rotation's figures and re-plans as sentences (plain text: escape names where the format needs it)."""
    lines = [
        _("%(meetings)s meetings held at tables; %(pairs)s distinct pairs met.", meetings=number(d["meetings_held"]),
          pairs=number(d["distinct_pairs"])),
        _("New people met per person: %(mean)s on average, %(min)s at least (%(people)s people).",
          mean=number(d["new_people_mean"], 5), min=number(d["new_people_min"]), people=number(d["people"])),
    ]  # fmt: skip
    if d["follow_ups"]:
        lines.append(_("People starred to follow up with: %(count)s.", count=number(d["follow_ups"])))
    return lines


def replan_line(r: dict[str, Any], m: Minutes, name: Callable[[str], str] = str) -> str:
    why = {"joined": N_("%(name)s joined"), "left": N_("%(name)s left"), "removed": N_("%(name)s was removed")}.get(
        r["reason"]
    )
    cause = _(why, name=name(r["who"])) if why and r["who"] else _("by the facilitator")
    return _("Re-planned from round %(round)s at %(time)s: %(cause)s.", round=r["from_round"], time=hm(r["at"], m),
             cause=cause)  # fmt: skip


def _rotation(s: Section, m: Minutes) -> list[str]:
    d = s.data
    heading = _("Rotation: %(title)s", title=md(s.title)) if s.title else _("Rotation")
    lines = [f"### {heading}", ""]
    lines += ["_" + " · ".join(rotation_facts(d, m)) + "_", ""]
    lines += [f"- {line}" for line in rotation_lines(d)]
    lines += [f"- {replan_line(r, m, md)}" for r in d["replans"]]
    return [*lines, ""]


MEETING_STATES = (
    ("requests", N_("requested")),
    ("accepted", N_("accepted")),
    ("declined", N_("declined")),
    ("withdrawn", N_("withdrawn")),
    ("removed", N_("removed by the facilitator")),
    ("pending", N_("still pending")),
    ("scheduled", N_("scheduled")),
    ("held", N_("held")),
    ("no_show", N_("no-show")),
    ("outcomes", N_("with an outcome recorded")),
)


def matchmaking_facts(d: dict[str, Any], m: Minutes) -> list[str]:
    facts = [
        n_("%(count)s slot", "%(count)s slots", d["slots"]),
        n_("%(count)s table", "%(count)s tables", d["tables"]),
    ]
    if d["first_slot"]:
        # The slots' day shows when the workshop or the slots themselves span several days.
        several = days(m) or d["first_slot"][:10] != d["last_slot"][:10]
        facts.append(_("%(start)s to %(end)s", start=when(d["first_slot"], m, several),
                       end=when(d["last_slot"], m, several)))  # fmt: skip
    facts.append(_("requests need acceptance") if d["requires_acceptance"] else _("requests accepted at once"))
    published = _("schedule published (made %(time)s)", time=hm(d["scheduled_at"], m))
    facts.append(published if d["published"] else _("schedule not published"))
    return facts


OUTCOME_NAMES = {
    "cooperation_agreement": N_("Cooperation agreement"),
    "joint_project": N_("Joint project"),
    "follow_up_visit": N_("Follow-up visit"),
    "further_contact": N_("Further contact"),
    "no_follow_up": N_("No follow-up"),
    "other": N_("Other"),
}


def outcome_name(kind: str) -> str:
    """A meeting outcome's kind (domain/matchmaking.py: OUTCOMES) as words."""
    return _(OUTCOME_NAMES[kind]) if kind in OUTCOME_NAMES else kind.replace("_", " ").capitalize()


def meeting_states() -> list[tuple[str, str]]:
    """The meeting counts' keys and labels in the minutes' language."""
    return [(key, _(label)) for key, label in MEETING_STATES]


def _matchmaking(s: Section, m: Minutes) -> list[str]:
    d = s.data
    lines = [f"### {md(s.title)}", "", "_" + " · ".join(matchmaking_facts(d, m)) + "_", ""]
    lines += _table((_("Meetings"), _("Count")), [(label, d["counts"][key]) for key, label in meeting_states()])
    if d["outcome_texts"]:
        lines += _table((_("Outcome"), _("Meetings")), [(outcome_name(k), n) for k, n in d["outcomes"] if n])
        for o in d["outcome_texts"]:
            between = (" " + _("and") + " ").join(cell(n) for n in o["between"])
            text = f": {cell(o['text'])}" if o["text"] else ""
            lines.append(f"- **{outcome_name(o['outcome'])}** ({between}){text}")
        lines.append("")
    return lines


Renderer = Callable[[Section, Minutes], list[str]]
RENDERERS: dict[str, Renderer] = {
    "poll": _poll, "groups": _groups, "questions": _questions, "rotation": _rotation, "matchmaking": _matchmaking,
}  # fmt: skip


def _section(s: Section, m: Minutes) -> list[str]:
    renderer = RENDERERS.get(s.kind)
    if renderer is None:  # a capability without a Markdown renderer yet: its data, not nothing
        return [f"### {md(s.title)}", "", "```json", json.dumps(s.data, sort_keys=True, indent=2), "```", ""]
    return renderer(s, m)


def _note(n: Note, m: Minutes) -> list[str]:
    body = md(n.text).replace("  \n", "  \n> ")
    added = _(", added by the facilitator at %(time)s", time=hm(n.at, m))
    return [f"> **{note_what(n, md)}**{added}: {body}", ""]


def note_what(n: Note, esc: Callable[[str], str] = str) -> str:
    """A note's label: ``Note``, or ``Correction (attendance)``."""
    return _("Correction (%(what)s)", what=esc(n.corrects)) if n.corrects else _("Note")


def _item(item: ItemMinutes, m: Minutes) -> list[str]:
    lines = [f"## {item.number}. {md(item.title)}", ""]
    if item.started_at:
        lines += [f"_{item_facts(item, m)}._", ""]
    else:
        lines += [f"_{item_facts(item, m)}._", ""]
    for s in item.sections:
        lines += _section(s, m)
    for n in item.notes:
        lines += _note(n, m)
    return lines


def item_facts(item: ItemMinutes, m: Minutes) -> str:
    """An agenda item's kind and when it ran: ``group work; started 09:30, finished 10:15``."""
    if not item.started_at:
        return _("%(kind)s; not held", kind=kind_name(item.kind))
    end = _(", finished %(time)s", time=when(item.finished_at, m)) if item.finished_at else _(", not finished")
    return _("%(kind)s; started %(time)s", kind=kind_name(item.kind), time=when(item.started_at, m)) + end


def _planned(item: ItemMinutes, m: Minutes) -> str:
    start = planned(item, m)
    return start + " (" + _("%(minutes)s min", minutes=item.duration_min) + ")" if item.duration_min else start


def attendance_line(m: Minutes) -> str:
    a = m.attendance
    counts = {"joined": a.joined, "present": a.present, "left": a.left, "removed": a.removed}
    return _("%(joined)s joined: %(present)s present at the end, %(left)s left, %(removed)s removed.",
             **{key: number(n) for key, n in counts.items()})  # fmt: skip


def attendance_tables(m: Minutes) -> list[tuple[str, Any]]:
    """(heading, rows) of the attendance breakdowns, headings in the minutes' language."""
    a = m.attendance
    return [(_("Country"), a.countries), (_("Organisation"), a.organisations), (_("Sector"), a.sectors)]


def as_of_line(m: Minutes) -> str:
    return _("As of: %(date)s %(time)s (%(zone)s)", date=day(m.as_of), time=hm(m.as_of, m), zone=zone_line(m))


AGENDA_HEAD = ("#", N_("Item"), N_("Kind"), N_("Planned"), N_("Started"), N_("Finished"))


def agenda_head() -> tuple[str, ...]:
    return tuple(_(h) if h != "#" else h for h in AGENDA_HEAD)


def render(m: Minutes) -> str:
    """The minutes as Markdown (the same Minutes always give the same bytes)."""
    lines = [f"# {md(m.title)}", ""]
    lines += ["- " + _("Date: %(date)s", date=md(day(m.date))), "- " + _("Venue: %(venue)s", venue=md(m.venue) or "—")]
    facilitators = ", ".join(md(f) for f in m.facilitators) or _("not recorded")
    lines.append("- " + _("Facilitators: %(names)s", names=facilitators))
    lines += [f"- {as_of_line(m)}", ""]
    if m.opening:
        lines += [md(m.opening), ""]
    lines += ["## " + _("Attendance"), ""]
    lines += [attendance_line(m), ""]
    for title, rows in attendance_tables(m):
        if rows:
            lines += _table((title, _("People")), rows)
    if m.items:
        lines += ["## " + _("Agenda"), ""]
        agenda = [
            (i.number, i.title, kind_name(i.kind), _planned(i, m), when(i.started_at, m), when(i.finished_at, m))
            for i in m.items
        ]
        lines += _table(agenda_head(), agenda)
    for item in m.items:
        lines += _item(item, m)
    if m.outside:
        lines += ["## " + _("Outside the agenda"), ""]
        for s in m.outside:
            lines += _section(s, m)
    if m.notes:
        lines += ["## " + _("Notes"), ""]
        for n in m.notes:
            lines += _note(n, m)
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


def to_json(m: Minutes) -> str:
    """The minutes as JSON: sorted keys, the same bytes for the same Minutes."""
    return json.dumps(asdict(m), sort_keys=True, ensure_ascii=False, indent=1) + "\n"
