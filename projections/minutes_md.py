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
    return format_time(iso, m.language, m.timezone) if len(iso) >= 16 else "—"


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
    return f"{format_day(iso[:10], m.language, m.timezone)} {hm(iso, m)}"


def planned(item: ItemMinutes, m: Minutes) -> str:
    """An item's planned start (wall time typed in the zone), with its day on a programme of several days."""
    start = item.planned_start
    if not start:
        return "—"
    time = format_wall(start[11:16] if len(start) > 5 else start, m.language, m.timezone)
    return f"{format_day(_planned_day(item, m), m.language, m.timezone)} {time}" if days(m) else time


def zone_line(m: Minutes) -> str:
    """The header's promise about times: which zone they are in."""
    return f"all times are {m.zone_label}, from the event log"


def kind_name(kind: str) -> str:
    """An agenda item's or a poll's kind as words: ``group_work`` -> ``group work``."""
    return kind.replace("_", " ")


def _pct(value: Any) -> str:
    return "" if value is None else f"{value:.1f}%"


def percent_header(q: dict[str, Any]) -> str:
    """What a results table's percent column is a share of (ranking: respondents who put it first)."""
    return "% first choice" if q.get("percent_of") == "first_choice" else "%"


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
    t = d["turnout"]
    facts = [kind_name(d["kind"]), "secret ballot" if d["secret"] else "named ballot"]
    facts.append(f"opened {hm(d['opened_at'], m)}")
    facts.append(f"closed {hm(d['closed_at'], m)}" if d["state"] == "closed" else "still open")
    facts.append(f"turnout {t['voted']} of {t['present']} ({t['percent']:.1f}%)")
    lines = [f"### Poll: {md(s.title)}", "", "_" + " · ".join(facts) + "_", ""]
    for q in d["questions"]:
        lines += [f"**{md(q['prompt'] or s.title)}** ({q['respondents']} respondents)", ""]
        summary = q.get("summary")
        if summary:
            parts = [f"{k} {v}" for k, v in summary.items() if v is not None]
            lines += ["_" + ", ".join(parts) + "_", ""] if parts else []
        if q.get("rows"):
            head = ("Word" if q["kind"] == "text" else "Answer", q["unit"].capitalize(), percent_header(q))
            lines += _table(head, [(label, value, _pct(p)) for label, value, p in q["rows"]])
        for answer in q.get("answers", ()):
            lines.append(f"- {md(answer)}")
        if q.get("answers"):
            lines.append("")
    return lines


def _groups(s: Section, m: Minutes) -> list[str]:
    d = s.data
    lines = [f"### Groups: split {d['number']} ({md(d['strategy'])})", ""]
    for g in d["groups"]:
        name = md(g["name"]) or f"Group {g['number']}"
        table = f", table {g['table']}" if g["table"] else ""
        rapporteur = f"; rapporteur {md(g['rapporteur'])}" if g["rapporteur"] else ""
        members = ", ".join(md(name) for name in g["members"]) or "nobody"
        lines.append(f"- **{name}**{table} ({len(g['members'])}{rapporteur}): {members}")
    return [*lines, ""]


def _questions(s: Section, m: Minutes) -> list[str]:
    lines = [f"### Questions: {md(s.title) or 'group work'}", ""]
    for q in s.data["questions"]:
        lines += [f"#### {md(q['prompt'])}", ""]
        for g in q["groups"]:
            final = " (final)" if g["final"] else ""
            lines.append(f"- **{md(g['group'])}**{final}" + ("" if g["by_category"] else ": no answer"))
            for c in g["by_category"]:
                indent = "  "
                if c["category"] or len(g["by_category"]) > 1:
                    lines.append(f"  - _{md(c['category']) or 'untagged'}_")
                    indent = "    "
                for a in c["answers"]:
                    also = other_tags(a, c["category"])
                    tags = f" _(also: {md('; '.join(also))})_" if also else ""
                    lines.append(indent + "- " + md(answer_text(a)).replace("  \n", "  \n" + indent + "  ") + tags)
        lines.append("")
    return lines


def duration(seconds: int) -> str:
    """A length of time as people say it: ``4 min``, ``90 s``, ``1 h 30 min``."""
    if seconds % 60:
        return f"{seconds} s"
    hours, minutes = divmod(seconds // 60, 60)
    return " ".join(p for p in (f"{hours} h" if hours else "", f"{minutes} min" if minutes else "") if p)


def times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def rotation_facts(d: dict[str, Any], m: Minutes) -> list[str]:
    """A rotation's settings and progress, as short phrases (shared by every renderer)."""
    size = "pairs" if d["table_size"] == 2 else f"tables of {d['table_size']}"
    facts = [size, f"rounds of {duration(d['round_seconds'])}"]
    facts.append(f"{d['rounds_held']} of {d['rounds_planned']} rounds held")
    if d["started_at"]:
        facts.append(f"started {hm(d['started_at'], m)}")
        facts.append(f"finished {hm(d['finished_at'], m)}" if d["finished_at"] else "not finished")
    else:
        facts.append("not started")
    return facts


def rotation_lines(d: dict[str, Any]) -> list[str]:
    """The rotation's figures and re-plans as sentences (plain text: escape names where the format needs it)."""
    lines = [
        f"{d['meetings_held']} meetings held at tables; {d['distinct_pairs']} distinct pairs met.",
        f"New people met per person: {d['new_people_mean']:g} on average, {d['new_people_min']} at least "
        f"({d['people']} people).",
    ]
    if d["follow_ups"]:
        lines.append(f"People starred to follow up with: {d['follow_ups']}.")
    return lines


def replan_line(r: dict[str, Any], m: Minutes, name: Callable[[str], str] = str) -> str:
    why = {"joined": "joined", "left": "left", "removed": "was removed"}.get(r["reason"])
    cause = f"{name(r['who'])} {why}" if why and r["who"] else "by the facilitator"
    return f"Re-planned from round {r['from_round']} at {hm(r['at'], m)}: {cause}."


def _rotation(s: Section, m: Minutes) -> list[str]:
    d = s.data
    lines = [f"### Rotation: {md(s.title)}" if s.title else "### Rotation", ""]
    lines += ["_" + " · ".join(rotation_facts(d, m)) + "_", ""]
    lines += [f"- {line}" for line in rotation_lines(d)]
    lines += [f"- {replan_line(r, m, md)}" for r in d["replans"]]
    return [*lines, ""]


MEETING_STATES = (
    ("requests", "requested"), ("accepted", "accepted"), ("declined", "declined"), ("withdrawn", "withdrawn"),
    ("removed", "removed by the facilitator"), ("pending", "still pending"), ("scheduled", "scheduled"),
    ("held", "held"), ("no_show", "no-show"), ("outcomes", "with an outcome recorded"),
)  # fmt: skip


def matchmaking_facts(d: dict[str, Any], m: Minutes) -> list[str]:
    facts = [f"{d['slots']} slots" if d["slots"] != 1 else "1 slot", f"{d['tables']} tables"]
    if d["first_slot"]:
        # The slots' day shows when the workshop or the slots themselves span several days.
        several = days(m) or d["first_slot"][:10] != d["last_slot"][:10]
        facts.append(f"{when(d['first_slot'], m, several)} to {when(d['last_slot'], m, several)}")
    facts.append("requests need acceptance" if d["requires_acceptance"] else "requests accepted at once")
    facts.append(
        f"schedule published (made {hm(d['scheduled_at'], m)})" if d["published"] else "schedule not published"
    )
    return facts


OUTCOME_NAMES = {
    "cooperation_agreement": "Cooperation agreement", "joint_project": "Joint project",
    "follow_up_visit": "Follow-up visit", "further_contact": "Further contact", "no_follow_up": "No follow-up",
    "other": "Other",
}  # fmt: skip


def outcome_name(kind: str) -> str:
    """A meeting outcome's kind (domain/matchmaking.py: OUTCOMES) as words."""
    return OUTCOME_NAMES.get(kind) or kind.replace("_", " ").capitalize()


def _matchmaking(s: Section, m: Minutes) -> list[str]:
    d = s.data
    lines = [f"### {md(s.title)}", "", "_" + " · ".join(matchmaking_facts(d, m)) + "_", ""]
    lines += _table(("Meetings", "Count"), [(label, d["counts"][key]) for key, label in MEETING_STATES])
    if d["outcome_texts"]:
        lines += _table(("Outcome", "Meetings"), [(outcome_name(k), n) for k, n in d["outcomes"] if n])
        for o in d["outcome_texts"]:
            between = " and ".join(cell(n) for n in o["between"])
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
    what = f"Correction ({md(n.corrects)})" if n.corrects else "Note"
    body = md(n.text).replace("  \n", "  \n> ")
    return [f"> **{what}**, added by the facilitator at {hm(n.at, m)}: {body}", ""]


def _item(item: ItemMinutes, m: Minutes) -> list[str]:
    lines = [f"## {item.number}. {md(item.title)}", ""]
    if item.started_at:
        end = f", finished {when(item.finished_at, m)}" if item.finished_at else ", not finished"
        lines += [f"_{kind_name(item.kind)}; started {when(item.started_at, m)}{end}._", ""]
    else:
        lines += [f"_{kind_name(item.kind)}; not held._", ""]
    for s in item.sections:
        lines += _section(s, m)
    for n in item.notes:
        lines += _note(n, m)
    return lines


def _planned(item: ItemMinutes, m: Minutes) -> str:
    start = planned(item, m)
    return f"{start} ({item.duration_min} min)" if item.duration_min else start


def render(m: Minutes) -> str:
    """The minutes as Markdown (the same Minutes always give the same bytes)."""
    a = m.attendance
    lines = [f"# {md(m.title)}", ""]
    lines += [f"- Date: {md(m.date)}", f"- Venue: {md(m.venue) or '—'}"]
    lines.append(f"- Facilitators: {', '.join(md(f) for f in m.facilitators) or 'not recorded'}")
    lines += [f"- As of: {m.as_of[:10]} {hm(m.as_of, m)} ({zone_line(m)})", ""]
    if m.opening:
        lines += [md(m.opening), ""]
    lines += ["## Attendance", ""]
    lines += [f"{a.joined} joined: {a.present} present at the end, {a.left} left, {a.removed} removed.", ""]
    for title, rows in (("Country", a.countries), ("Organisation", a.organisations), ("Sector", a.sectors)):
        if rows:
            lines += _table((title, "People"), rows)
    if m.items:
        lines += ["## Agenda", ""]
        agenda = [
            (i.number, i.title, kind_name(i.kind), _planned(i, m), when(i.started_at, m), when(i.finished_at, m))
            for i in m.items
        ]
        lines += _table(("#", "Item", "Kind", "Planned", "Started", "Finished"), agenda)
    for item in m.items:
        lines += _item(item, m)
    if m.outside:
        lines += ["## Outside the agenda", ""]
        for s in m.outside:
            lines += _section(s, m)
    if m.notes:
        lines += ["## Notes", ""]
        for n in m.notes:
            lines += _note(n, m)
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


def to_json(m: Minutes) -> str:
    """The minutes as JSON: sorted keys, the same bytes for the same Minutes."""
    return json.dumps(asdict(m), sort_keys=True, ensure_ascii=False, indent=1) + "\n"
