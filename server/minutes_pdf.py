"""The minutes as PDF, drawn with fpdf2 straight from the Minutes value (pure Python: installs from pip alone,
unlike WeasyPrint, which needs Pango and friends from the system). Charts are drawn as bars.

Text uses DejaVu Sans where the system has it (any script participants write); otherwise the Latin subset of DejaVu
Sans shipped in web/fonts (Latin, Latin Extended A/B and punctuation: every letter of Tavolo's languages, ą ę ł ń ś ź
ż č š ž included), so the minutes never lose a Polish or Slovenian letter. Words, numbers and dates come from
projections/minutes_words.py, in the language the minutes are produced in.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF

import web
from projections.minutes import Minutes, Note, Section
from projections.minutes_md import (
    answer_text,
    answering_group,
    as_of_line,
    attendance_line,
    attendance_tables,
    group_name,
    hm,
    item_facts,
    kind_name,
    matchmaking_facts,
    meeting_states,
    note_what,
    other_tags,
    outcome_name,
    planned,
    poll_facts,
    replan_line,
    respondents,
    rotation_facts,
    rotation_lines,
    when,
)
from projections.minutes_words import _, day, number, percent

logging.getLogger("fontTools").setLevel(logging.WARNING)  # it logs every font subset at INFO

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
SHIPPED = Path(web.__file__).resolve().parent / "fonts"  # DejaVu Sans, Latin subset (licence beside it)


def fonts() -> tuple[Path, Path] | None:
    """The regular and bold TTF to embed: the system's full DejaVu Sans, else the shipped Latin subset."""
    for regular, bold in (
        (DEJAVU / "DejaVuSans.ttf", DEJAVU / "DejaVuSans-Bold.ttf"),
        (SHIPPED / "DejaVuSans-Latin.ttf", SHIPPED / "DejaVuSans-Bold-Latin.ttf"),
    ):
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


FIXED_DATE = datetime(2000, 1, 1, tzinfo=UTC)  # the PDF's creation date: fixed, so the same minutes give the same file


class _Doc(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        self.set_creation_date(FIXED_DATE)
        self.set_auto_page_break(True, margin=15)
        found = fonts()
        self.unicode = found is not None
        if found is not None:
            self.add_font("body", "", str(found[0]))
            self.add_font("body", "B", str(found[1]))
            self.family = "body"
        else:
            self.family = "helvetica"
        self.add_page()

    def t(self, text: str) -> str:
        return text if self.unicode else text.encode("latin-1", "replace").decode("latin-1")

    def para(self, text: str, size: float = 10, style: str = "", gap: float = 1.5) -> None:
        self.set_font(self.family, style, size)
        self.multi_cell(0, size * 0.5, self.t(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(gap)

    def fit(self, text: str, width: float) -> str:
        """Text cut on the right with "…" to fit ``width`` mm in the current font (a right-aligned cell would
        otherwise spill over the margin on the left: "luster Agrifood Emilia-Rom…")."""
        if self.get_string_width(text) <= width:
            return text
        ellipsis = "…" if self.unicode else "..."
        while text and self.get_string_width(text + ellipsis) > width:
            text = text[:-1]
        return text.rstrip() + ellipsis

    def bars(self, rows: Sequence[Sequence[Any]]) -> None:
        values = [(str(r[0]), float(r[1] or 0)) for r in rows]
        if not values:
            return
        top = max(v for _, v in values) or 1.0
        self.set_font(self.family, "", 8)
        for label, value in values:
            if self.will_page_break(5):
                self.add_page()
            y = self.get_y()
            self.set_xy(self.l_margin, y)
            self.cell(55, 4.5, self.fit(self.t(label), 54), align="R")
            width = 90 * value / top
            self.set_fill_color(42, 111, 176)
            if width > 0:
                self.rect(self.l_margin + 57, y + 0.7, width, 3.2, style="F")
            self.set_xy(self.l_margin + 59 + width, y)
            self.cell(20, 4.5, number(value))
            self.set_y(y + 5)
        self.ln(2)


def _note(doc: _Doc, n: Note, m: Minutes) -> None:
    added = _(", added by the facilitator at %(time)s", time=hm(n.at, m))
    doc.para(f"{note_what(n)}{added}: {n.text}", 9, "", 2)


def _section(doc: _Doc, s: Section, m: Minutes) -> None:
    d = s.data
    if s.kind == "poll":
        doc.para(_("Poll: %(title)s", title=s.title), 11, "B", 0.5)
        doc.para(" · ".join(poll_facts(d, m)), 8)
        for q in d["questions"]:
            doc.para(f"{q['prompt'] or s.title} ({respondents(q['respondents'])})", 9, "B", 0.5)
            doc.bars(q.get("rows") or [])
            if q.get("percent_of") == "first_choice":
                shares = " · ".join(f"{label} {percent(p)}" for label, _points, p in q["rows"])
                doc.para(_("Ranked by Borda points; share of first choices:") + " " + shares, 8)
            for a in q.get("answers", ()):
                doc.para(f"• {a}", 8, "", 0.3)
    elif s.kind == "groups":
        doc.para(_("Groups: split %(number)s (%(strategy)s)", number=d["number"], strategy=d["strategy"]), 11, "B", 0.5)
        for g in d["groups"]:
            members = ", ".join(g["members"]) or _("nobody")
            doc.para(f"{group_name(g)} ({len(g['members'])}): {members}", 9, "", 0.5)
    elif s.kind == "questions":
        doc.para(_("Questions: %(title)s", title=s.title or _("group work")), 11, "B", 0.5)
        for q in d["questions"]:
            doc.para(q["prompt"], 10, "B", 0.5)
            for g in q["groups"]:
                doc.para(answering_group(g["group"]) + (" " + _("(final)") if g["final"] else ""), 9, "B", 0.3)
                for c in g["by_category"]:
                    prefix = f"[{c['category']}] " if c["category"] else ""
                    for a in c["answers"]:
                        also = other_tags(a, c["category"])
                        tags = " (" + _("also: %(tags)s", tags="; ".join(also)) + ")" if also else ""
                        doc.para(f"• {prefix}{answer_text(a)}{tags}", 9, "", 0.3)
    elif s.kind == "rotation":
        doc.para(_("Rotation: %(title)s", title=s.title) if s.title else _("Rotation"), 11, "B", 0.5)
        doc.para(" · ".join(rotation_facts(d, m)), 8)
        for line in [*rotation_lines(d), *(replan_line(r, m) for r in d["replans"])]:
            doc.para(f"• {line}", 9, "", 0.3)
    elif s.kind == "matchmaking":
        doc.para(s.title, 11, "B", 0.5)
        doc.para(" · ".join(matchmaking_facts(d, m)), 8)
        doc.bars([(label, d["counts"][key]) for key, label in meeting_states()])
        if d["outcome_texts"]:
            doc.para(_("Outcomes"), 10, "B", 0.5)
            doc.bars([(outcome_name(k), n) for k, n in d["outcomes"] if n])
            for o in d["outcome_texts"]:
                text = f": {o['text']}" if o["text"] else ""
                between = (" " + _("and") + " ").join(o["between"])
                doc.para(f"• {outcome_name(o['outcome'])} ({between}){text}", 9, "", 0.3)
    else:
        doc.para(s.title, 11, "B", 0.5)
    doc.ln(2)


def pdf(m: Minutes) -> bytes:
    """The minutes as an A4 PDF."""
    doc = _Doc()
    doc.set_title(doc.t(m.title))
    doc.para(m.title, 18, "B", 1)
    doc.para(f"{day(m.date)}{' · ' + m.venue if m.venue else ''}", 10)
    doc.para(_("Facilitators: %(names)s", names=", ".join(m.facilitators) or _("not recorded")), 9)
    doc.para(as_of_line(m), 9, "", 4)
    if m.opening:
        doc.para(m.opening, 10, "", 4)
    doc.para(_("Attendance"), 14, "B", 1)
    doc.para(attendance_line(m))
    for title, rows in attendance_tables(m):
        if rows:
            doc.para(title, 10, "B", 0.5)
            doc.bars(rows)
    if m.items:
        doc.para(_("Agenda"), 14, "B", 1)
        for i in m.items:
            times = _("planned %(planned)s, started %(started)s, finished %(finished)s", planned=planned(i, m),
                      started=when(i.started_at, m), finished=when(i.finished_at, m))  # fmt: skip
            doc.para(f"{i.number}. {i.title} — {kind_name(i.kind)}, {times}", 9, "", 0.5)
        doc.ln(3)
    for i in m.items:
        doc.para(f"{i.number}. {i.title}", 14, "B", 1)
        doc.para(item_facts(i, m), 8, "", 1)
        for s in i.sections:
            _section(doc, s, m)
        for n in i.notes:
            _note(doc, n, m)
    if m.outside:
        doc.para(_("Outside the agenda"), 14, "B", 1)
        for s in m.outside:
            _section(doc, s, m)
    if m.notes:
        doc.para(_("Notes"), 14, "B", 1)
        for n in m.notes:
            _note(doc, n, m)
    return bytes(doc.output())
