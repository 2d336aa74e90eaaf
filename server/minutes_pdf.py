"""The minutes as PDF, drawn with fpdf2 straight from the Minutes value (pure Python: installs from pip alone,
unlike WeasyPrint, which needs Pango and friends from the system). Charts are drawn as bars.

Text uses DejaVu Sans where the system has it (any script participants write); otherwise the PDF core font,
with characters outside Latin-1 replaced.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF

from projections.minutes import Minutes, Note, Section
from projections.minutes_md import (
    MEETING_STATES,
    answer_text,
    hm,
    kind_name,
    matchmaking_facts,
    other_tags,
    outcome_name,
    planned,
    replan_line,
    rotation_facts,
    rotation_lines,
    when,
    zone_line,
)

logging.getLogger("fontTools").setLevel(logging.WARNING)  # it logs every font subset at INFO

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
FIXED_DATE = datetime(2000, 1, 1, tzinfo=UTC)  # the PDF's creation date: fixed, so the same minutes give the same file


class _Doc(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        self.set_creation_date(FIXED_DATE)
        self.set_auto_page_break(True, margin=15)
        self.unicode = (DEJAVU / "DejaVuSans.ttf").is_file() and (DEJAVU / "DejaVuSans-Bold.ttf").is_file()
        if self.unicode:
            self.add_font("body", "", str(DEJAVU / "DejaVuSans.ttf"))
            self.add_font("body", "B", str(DEJAVU / "DejaVuSans-Bold.ttf"))
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
            self.cell(20, 4.5, f"{value:g}")
            self.set_y(y + 5)
        self.ln(2)


def _note(doc: _Doc, n: Note, m: Minutes) -> None:
    what = f"Correction ({n.corrects})" if n.corrects else "Note"
    doc.para(f"{what}, added by the facilitator at {hm(n.at, m)}: {n.text}", 9, "", 2)


def _section(doc: _Doc, s: Section, m: Minutes) -> None:
    d = s.data
    if s.kind == "poll":
        doc.para(f"Poll: {s.title}", 11, "B", 0.5)
        t = d["turnout"]
        state = f"closed {hm(d['closed_at'], m)}" if d["state"] == "closed" else "still open"
        ballot = "secret ballot" if d["secret"] else "named ballot"
        facts = f"{kind_name(d['kind'])} · {ballot} · opened {hm(d['opened_at'], m)} · {state}"
        doc.para(f"{facts} · turnout {t['voted']} of {t['present']} ({t['percent']:.1f}%)", 8)
        for q in d["questions"]:
            doc.para(f"{q['prompt'] or s.title} ({q['respondents']} respondents)", 9, "B", 0.5)
            doc.bars(q.get("rows") or [])
            if q.get("percent_of") == "first_choice":
                shares = " · ".join(f"{label} {p:.1f}%" for label, _, p in q["rows"])
                doc.para(f"Ranked by Borda points; % first choice: {shares}", 8)
            for a in q.get("answers", ()):
                doc.para(f"• {a}", 8, "", 0.3)
    elif s.kind == "groups":
        doc.para(f"Groups: split {d['number']} ({d['strategy']})", 11, "B", 0.5)
        for g in d["groups"]:
            name = g["name"] or f"Group {g['number']}"
            doc.para(f"{name} ({len(g['members'])}): {', '.join(g['members']) or 'nobody'}", 9, "", 0.5)
    elif s.kind == "questions":
        doc.para(f"Questions: {s.title or 'group work'}", 11, "B", 0.5)
        for q in d["questions"]:
            doc.para(q["prompt"], 10, "B", 0.5)
            for g in q["groups"]:
                doc.para(g["group"] + (" (final)" if g["final"] else ""), 9, "B", 0.3)
                for c in g["by_category"]:
                    prefix = f"[{c['category']}] " if c["category"] else ""
                    for a in c["answers"]:
                        also = other_tags(a, c["category"])
                        tags = f" (also: {'; '.join(also)})" if also else ""
                        doc.para(f"• {prefix}{answer_text(a)}{tags}", 9, "", 0.3)
    elif s.kind == "rotation":
        doc.para(f"Rotation: {s.title}" if s.title else "Rotation", 11, "B", 0.5)
        doc.para(" · ".join(rotation_facts(d, m)), 8)
        for line in [*rotation_lines(d), *(replan_line(r, m) for r in d["replans"])]:
            doc.para(f"• {line}", 9, "", 0.3)
    elif s.kind == "matchmaking":
        doc.para(s.title, 11, "B", 0.5)
        doc.para(" · ".join(matchmaking_facts(d, m)), 8)
        doc.bars([(label, d["counts"][key]) for key, label in MEETING_STATES])
        if d["outcome_texts"]:
            doc.para("Outcomes", 10, "B", 0.5)
            doc.bars([(outcome_name(k), n) for k, n in d["outcomes"] if n])
            for o in d["outcome_texts"]:
                text = f": {o['text']}" if o["text"] else ""
                doc.para(f"• {outcome_name(o['outcome'])} ({' and '.join(o['between'])}){text}", 9, "", 0.3)
    else:
        doc.para(s.title, 11, "B", 0.5)
    doc.ln(2)


def pdf(m: Minutes) -> bytes:
    """The minutes as an A4 PDF."""
    doc = _Doc()
    doc.set_title(doc.t(m.title))
    doc.para(m.title, 18, "B", 1)
    doc.para(f"{m.date}{' · ' + m.venue if m.venue else ''}", 10)
    doc.para(f"Facilitators: {', '.join(m.facilitators) or 'not recorded'}", 9)
    doc.para(f"As of {m.as_of[:10]} {hm(m.as_of, m)} ({zone_line(m)})", 9, "", 4)
    if m.opening:
        doc.para(m.opening, 10, "", 4)
    a = m.attendance
    doc.para("Attendance", 14, "B", 1)
    doc.para(f"{a.joined} joined: {a.present} present at the end, {a.left} left, {a.removed} removed.")
    for title, rows in (("Countries", a.countries), ("Organisations", a.organisations), ("Sectors", a.sectors)):
        if rows:
            doc.para(title, 10, "B", 0.5)
            doc.bars(rows)
    if m.items:
        doc.para("Agenda", 14, "B", 1)
        for i in m.items:
            doc.para(
                f"{i.number}. {i.title} — {kind_name(i.kind)}, planned {planned(i, m)}, "
                f"started {when(i.started_at, m)}, finished {when(i.finished_at, m)}",
                9,
                "",
                0.5,
            )
        doc.ln(3)
    for i in m.items:
        doc.para(f"{i.number}. {i.title}", 14, "B", 1)
        for s in i.sections:
            _section(doc, s, m)
        for n in i.notes:
            _note(doc, n, m)
    if m.outside:
        doc.para("Outside the agenda", 14, "B", 1)
        for s in m.outside:
            _section(doc, s, m)
    if m.notes:
        doc.para("Notes", 14, "B", 1)
        for n in m.notes:
            _note(doc, n, m)
    return bytes(doc.output())
