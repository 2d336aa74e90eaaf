"""Replay and minutes: what the README promises about the record of a workshop, through a real server."""

from __future__ import annotations

import io

from pypdf import PdfReader

from tests.acceptance.support import Room


def _pdf_text(room: Room) -> str:
    pdf = room.get("/minutes.pdf")
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def test_an_erased_participants_name_and_organisation_are_not_in_the_pdf_minutes(room: Room) -> None:
    """Zelda is in a group (made by organisation), its rapporteur, and in the attendance; once erased, the PDF
    minutes, read back as text, hold neither her name nor her organisation, and the others are still there."""
    zelda = room.join("Zelda Quimby", organisation="Quimbyworks")
    room.join("Ada Lovelace", organisation="Analytical")
    room.join("Bo Diddley", organisation="Analytical")
    split = room.command("split_groups", {"strategy": "by:organisation"})["result"]["split_id"]
    groups = room.view()["groups"]["split"]["groups"]
    hers = next(g["id"] for g in groups if zelda.participant_id in {m["id"] for m in g["members"]})
    room.command("set_rapporteur", {"split_id": split, "group_id": hers, "participant_id": zelda.participant_id})
    before = _pdf_text(room)
    assert "Zelda Quimby" in before and "Quimbyworks" in before  # the reading works: she is there before
    room.command("erase_participant", {"participant_id": zelda.participant_id})
    after = _pdf_text(room)
    assert "Zelda" not in after and "Quimby" not in after, after
    assert "Ada Lovelace" in after and "Analytical" in after
    # Nor do the live group views (the label was her organisation); the other group keeps its label.
    shown = str(room.view()["groups"]["split"]["groups"])
    assert "Quimby" not in shown and "Analytical" in shown
