"""README, "Replay and minutes": download the minutes (Markdown, HTML, PDF); notes that never rewrite history;
replay at a moment."""

from __future__ import annotations

from tests.acceptance.support import Room, open_single_choice_poll


def test_minutes_downloads_carry_the_poll_and_a_note_and_replay_goes_back_before_it(room: Room) -> None:
    room.join("Ana Ferreira")
    before = room.view("dashboard")
    assert not before["polls"]
    open_single_choice_poll(room, "Next venue?", ["Graz", "Bologna"])
    room.command("annotate", {"text": "Graz was proposed by the Styrian cluster", "corrects": "poll 1"})
    md = room.get("/minutes.md").decode()
    assert "Next venue?" in md and "Graz was proposed by the Styrian cluster" in md
    html = room.get("/minutes.html").decode()
    assert "<main>" in html and "Next venue?" in html
    assert room.get("/minutes.pdf").startswith(b"%PDF")
    timeline = room.get("/timeline")
    assert timeline
    early = room.get("/replay?position=2")
    assert "Next venue?" not in str(early)
    assert "Next venue?" in str(room.get("/replay"))
