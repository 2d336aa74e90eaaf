"""The minutes as HTML (print-ready, charts as inline SVG), PDF, and the data export (JSON, a zip of CSVs).

Markdown and the minutes' JSON are in projections/minutes_md.py (pure); these need jinja2, fpdf2 and zipfile.
Every output is deterministic: the same read model gives the same bytes (the zip's entries carry a fixed time).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import jinja2
from markupsafe import Markup, escape

from projections import minutes_words
from projections.clock import local_iso
from projections.minutes import Minutes, ReadModel, group_title, shown_name
from projections.minutes_md import (
    agenda_head,
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
    summary_text,
    when,
    zone_line,
)
from projections.tallies import COLUMNS, csv_cell, poll_view, to_csv
from server.csv_headers import header, header_line
from server.pages import WEB_DIR

HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
BAR_WIDTH = 260
CHAR_W = 7  # px per character of a 12 px label, generous (wide letters and digits)
LABEL_MAX_W = 300
# Between an answer's tags in answers.csv: a category, hence a tag, never holds it (domain/group_values.py:
# categories refuses it with invalid_category).
TAG_SEPARATOR = "; "


def svg_bars(rows: Sequence[Sequence[Any]], unit: str = "") -> Markup:
    """A horizontal bar chart of (label, value) rows as inline SVG; labels are escaped text."""
    rows = [(str(r[0]), float(r[1] or 0)) for r in rows]
    if not rows:
        return Markup("")
    top = max(v for _, v in rows) or 1.0
    # The labels' column is as wide as the longest label needs (about 7 px a character at 12 px), up to a cap;
    # a longer label is cut on the right with "…" and read whole in its <title> (a tooltip, and for screen readers).
    line = 22
    label_w = min(LABEL_MAX_W, max(60, 12 + max(len(label) for label, _ in rows) * CHAR_W))
    height = line * len(rows) + 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{label_w + BAR_WIDTH + 60}" '
        f'height="{height}" role="img" aria-label="{escape(unit)}">'
    ]
    for i, (label, value) in enumerate(rows):
        y = i * line + 2
        width = round(BAR_WIDTH * value / top, 1)
        fits = (label_w - 12) // CHAR_W
        shown = label if len(label) <= fits else label[: fits - 1].rstrip() + "…"
        number = minutes_words.number(value)
        parts.append(
            f'<text x="6" y="{y + 15}"><title>{escape(label)}</title>{escape(shown)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{width}" height="15" rx="2"></rect>'
            f'<text x="{label_w + width + 5}" y="{y + 15}">{escape(number)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def outcome_rows(outcomes: Sequence[Sequence[Any]]) -> list[tuple[str, int]]:
    """Outcomes by kind for a chart: those that happened, named as words."""
    return [(outcome_name(kind), n) for kind, n in outcomes if n]


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        svg_bars=svg_bars, hm=hm, kind_name=kind_name, rotation_facts=rotation_facts, rotation_lines=rotation_lines,
        replan_line=replan_line, matchmaking_facts=matchmaking_facts, meeting_states=meeting_states,
        outcome_name=outcome_name, outcome_rows=outcome_rows, answer_text=answer_text, other_tags=other_tags,
        planned=planned, when=when, zone_line=zone_line, poll_facts=poll_facts, respondents=respondents,
        summary_text=summary_text, group_name=group_name, note_what=note_what, as_of_line=as_of_line,
        attendance_line=attendance_line, attendance_tables=attendance_tables, agenda_head=agenda_head,
        item_facts=item_facts, answering_group=answering_group,
        _=minutes_words._, day=minutes_words.day, percent=minutes_words.percent,
        language=minutes_words.language,
    )  # fmt: skip
    return env


_env = _environment()


def html(m: Minutes) -> str:
    """The minutes as one self-contained, print-ready HTML page (no scripts, no external resources)."""
    return _env.get_template("minutes.html").render(m=m)


# The data export: every table of the read model.


def tables(read: ReadModel) -> dict[str, list[dict[str, Any]]]:
    """The read model as tables (what the CSV zip holds, one file each). People are named by ``shown_name``;
    secrets (token hashes) and voters are left out."""
    w = read.workshop
    tz = w.timezone  # every time in the tables is written in the workshop's zone, with its offset
    out: dict[str, list[dict[str, Any]]] = {}
    out["participants"] = [
        {
            "participant_id": p.id,
            "name": shown_name(p),
            "organisation": p.organisation,
            "country": p.country,
            "sector": p.sector,
            "role": p.role,
            "language": p.language,
            "joined_at": local_iso(p.joined_at, tz),
            "status": p.status,
        }
        for p in w.participants.values()
    ]
    out["agenda"] = [
        {
            "item_id": i.id,
            "number": n,
            "title": i.title,
            "kind": i.kind,
            "planned_start": i.planned_start,
            "duration_min": i.duration_min,
            "status": i.status,
            "started_at": local_iso(i.started_at or "", tz),
            "finished_at": local_iso(i.finished_at or "", tz),
        }
        for n, i in enumerate(w.agenda, 1)
    ]
    polls = sorted(read.polls, key=lambda t: (t.created_at, str(t.poll_id)))
    out["polls"] = [
        {k: v for k, v in poll_view(t).items() if k not in ("questions", "translations")} | {"voters": len(t.ballots)}
        for t in polls
    ]
    for row in out["polls"]:
        row["groups"] = " ".join(row["groups"])
        for key in ("created_at", "opened_at", "closed_at", "closes_at"):
            if isinstance(row.get(key), str):
                row[key] = local_iso(row[key], tz)
    g = read.groups
    out["groups"], out["answers"] = [], []
    if g is not None:
        for split in sorted(g.splits.values(), key=lambda s: (s.created_at, s.number)):
            for group in sorted(split.groups.values(), key=lambda x: x.number):
                for member in group.members:
                    out["groups"].append(
                        {
                            "split_id": str(split.id),
                            "split": split.number,
                            "group_id": group.id,
                            "group": group_title(read, split, group),
                            "table": group.table,
                            "participant_id": member,
                            "name": shown_name(w.participants.get(member)),
                            "rapporteur": member == group.rapporteur,
                        }
                    )
        for qs in sorted(g.question_sets.values(), key=lambda q: (q.posed_at, str(q.id))):
            prompts = {q["id"]: q["prompt"] for q in qs.questions}
            for sheet in sorted((s for s in g.sheets.values() if s.question_set_id == qs.id), key=lambda s: s.group_id):
                for c in sorted(sheet.contributions.values(), key=lambda c: int(c.id[1:])):
                    if c.removed:
                        continue
                    out["answers"].append(
                        {
                            "question_set_id": str(qs.id),
                            "question_set": qs.title,
                            "group_id": sheet.group_id,
                            "question_id": c.question_id,
                            "question": prompts.get(c.question_id, ""),
                            "contribution_id": c.id,
                            "text": c.text,
                            # "; " and not a space: categories are phrases ("offer R&D and innovation")
                            "tags": TAG_SEPARATOR.join(c.tags),
                            "final": sheet.final,
                        }
                    )
    out["notes"] = [asdict(n) | {"at": local_iso(n.at, tz)} for n in (read.notes.notes if read.notes else ())]
    out["rotation_meetings"], out["matchmaking_meetings"] = _rotation_rows(read), _match_rows(read)
    return out


def _rotation_rows(read: ReadModel) -> list[dict[str, Any]]:
    """Every rotation's meeting log: one row per table of a round held, members by ``shown_name``."""
    model = read.extra.get("rotations")
    people = read.workshop.participants
    rows = []
    for row in sorted(model.rotations.values(), key=lambda r: (r.created_at, str(r.id))) if model else ():
        for m in row.log:
            rows.append(
                {
                    "rotation_id": str(row.id),
                    "rotation": row.title,
                    "round": m.round,
                    "table": m.table,
                    "ended_at": local_iso(m.at, read.workshop.timezone),
                    "members": "; ".join(shown_name(people.get(p)) for p in m.members),
                }
            )
    return rows


def _match_rows(read: ReadModel) -> list[dict[str, Any]]:
    """Every B2B meeting: its two people by ``shown_name``, status, place, attendance and outcome (never the
    request's note, which only its two people see)."""
    m = read.extra.get("matchmaking")
    if m is None:
        return []
    people = read.workshop.participants
    return [
        {
            "meeting_id": r.id,
            "requester": shown_name(people.get(r.requester)),
            "recipient": shown_name(people.get(r.recipient)),
            "by_facilitator": r.by_facilitator,
            "requested_at": local_iso(r.requested_at, read.workshop.timezone),
            "status": r.status,
            "slot": "" if r.slot is None else r.slot + 1,
            "slot_start": local_iso(m.slots[r.slot]["start"], read.workshop.timezone)
            if r.slot is not None and r.slot < len(m.slots)
            else "",
            "table": "" if r.table is None else r.table + 1,
            "attendance": r.attendance,
            "outcome": r.outcome,
            "outcome_text": r.outcome_text,
        }
        for r in sorted(m.meetings.values(), key=lambda r: (r.requested_at, r.id))
    ]


def data_json(read: ReadModel) -> str:
    """The whole read model as JSON (its tables plus the workshop's details and every poll's results)."""
    w = read.workshop
    data = {
        "workshop": {
            "id": str(w.id),
            "title": w.title,
            "date": w.date,
            "venue": w.venue,
            "language": w.language,
            "timezone": w.timezone,
            "sectors": list(w.sectors),
            "created_at": w.created_at,
            "as_of": read.as_of,
        },
        "tables": tables(read),
        "poll_results": {
            str(t.poll_id): [{"question_id": q.id, **t.counts[q.id].result(10_000)} for q in t.questions]
            for t in sorted(read.polls, key=lambda t: (t.created_at, str(t.poll_id)))
        },
    }
    return json.dumps(data, sort_keys=True, ensure_ascii=False, indent=1) + "\n"


def _csv(rows: list[dict[str, Any]], lang: str | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if rows:
        writer.writerow(header(rows[0].keys(), lang))
        for row in rows:
            writer.writerow([csv_cell(v) for v in row.values()])
    return out.getvalue()


def data_zip(read: ReadModel, lang: str | None = None) -> bytes:
    """A zip of CSV files, one per table, plus every poll's results (poll_results.csv); the header rows are the
    column ids, or their names in ``lang`` (server/csv_headers.py)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        files = {f"{name}.csv": _csv(rows, lang) for name, rows in tables(read).items()}
        polls = sorted(read.polls, key=lambda t: (t.created_at, str(t.poll_id)))
        files["poll_results.csv"] = header_line(COLUMNS, lang) + "".join(to_csv(t).split("\r\n", 1)[1] for t in polls)
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()
