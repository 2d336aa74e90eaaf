"""Participants: what the README promises about joining and being named, through a real server."""

from __future__ import annotations

import pytest

from tests.acceptance.support import HttpError, Room


def test_invisible_characters_in_a_name_are_removed_and_a_blank_looking_name_is_refused(room: Room) -> None:
    """A name with zero-width and direction marks slipped in shows (and is stored) as the plain name, so it cannot
    pass for someone else's; a name drawn only with Hangul fillers or Braille blanks is refused."""
    room.join("Ana Novak")
    spoof = room.join("Ana\u200b No\u200dvak\ufeff\u200e", organisation="Org\u2060")
    people = room.view()["participants"]
    assert people[spoof.participant_id]["name"] == "Ana Novak"
    assert people[spoof.participant_id]["organisation"] == "Org"
    for blank in ("\u3164\u3164", "\u2800", "\u200b\u200d"):
        with pytest.raises(HttpError) as refused:
            room.join(blank)
        assert refused.value.body["error"]["code"] == "invalid_text", ascii(blank)
    with pytest.raises(HttpError) as refused:
        room.join("Ana\u2028Novak")
    assert refused.value.body["error"]["code"] == "invalid_text"
