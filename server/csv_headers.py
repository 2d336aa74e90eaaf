"""The header row of every CSV Tavolo writes (poll results, the data export's tables, the B2B meetings).

Without a language the header is the machine-readable column ids (``participant_id``), as before: scripts that
read the CSVs keep working. With one (``tavolo minutes --format csv --lang de``, ``?lang=de`` on the HTTP downloads)
the header is the column's name in that language, for people opening the file in a spreadsheet. The rows are the
same either way.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated when a header is written."""
    return message


LABELS = {
    "participant_id": N_("Participant ID"), "name": N_("Name"), "organisation": N_("Organisation"),
    "country": N_("Country"), "sector": N_("Sector"), "role": N_("Role"), "language": N_("Language"),
    "joined_at": N_("Joined at"), "status": N_("Status"), "item_id": N_("Item ID"), "number": N_("Number"),
    "title": N_("Title"), "kind": N_("Kind"), "planned_start": N_("Planned start"),
    "duration_min": N_("Duration (min)"), "started_at": N_("Started at"), "finished_at": N_("Finished at"),
    "id": N_("ID"), "state": N_("State"), "visibility": N_("Visibility"), "secret": N_("Secret"),
    "breakdown": N_("Breakdown"), "closes_at": N_("Closes at"), "opened_at": N_("Opened at"),
    "closed_at": N_("Closed at"), "created_at": N_("Created at"), "groups": N_("Groups"),
    "agenda_item_id": N_("Agenda item ID"), "voters": N_("Voters"), "split_id": N_("Split ID"),
    "split": N_("Split"), "group_id": N_("Group ID"), "group": N_("Group"), "table": N_("Table"),
    "rapporteur": N_("Rapporteur"), "question_set_id": N_("Question set ID"), "question_set": N_("Question set"),
    "question_id": N_("Question ID"), "question": N_("Question"), "contribution_id": N_("Contribution ID"),
    "text": N_("Text"), "tags": N_("Tags"), "final": N_("Final"), "corrects": N_("Corrects"), "at": N_("At"),
    "rotation_id": N_("Rotation ID"), "rotation": N_("Rotation"), "round": N_("Round"), "ended_at": N_("Ended at"),
    "members": N_("Members"), "meeting_id": N_("Meeting ID"), "requester": N_("Requester"),
    "recipient": N_("Recipient"), "by_facilitator": N_("By the facilitator"), "requested_at": N_("Requested at"),
    "slot": N_("Slot"), "slot_start": N_("Slot start"), "attendance": N_("Attendance"), "outcome": N_("Outcome"),
    "outcome_text": N_("Outcome text"), "poll_id": N_("Poll ID"), "poll": N_("Poll"), "row": N_("Row"),
    "item": N_("Item"), "source": N_("Source"), "count": N_("Count"), "percent": N_("Percent"),
    "points": N_("Points"), "first_places": N_("First places"), "rank": N_("Rank"),
    "respondents": N_("Respondents"), "mean": N_("Mean"), "median": N_("Median"), "nps": N_("NPS"),
    "meeting": N_("Meeting"), "start": N_("Start"), "end": N_("End"),
    "requester_organisation": N_("Requester's organisation"), "recipient_organisation": N_("Recipient's organisation"),
    "note": N_("Note"),
}  # fmt: skip


def header(columns: Iterable[str], lang: str | None) -> list[str]:
    """The header row: the column ids without ``lang``, else each column's name in ``lang``."""
    columns = list(columns)
    if not lang:
        return columns
    from server.i18n import translations  # the catalogues are the server's, as for every page

    tr = translations(lang)
    return [tr.gettext(LABELS[c]) if c in LABELS else c for c in columns]


def header_line(columns: Iterable[str], lang: str | None) -> str:
    """The header row as one CSV line (RFC 4180 quoting, CRLF): a translated name may hold a comma."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(header(columns, lang))
    return out.getvalue()
