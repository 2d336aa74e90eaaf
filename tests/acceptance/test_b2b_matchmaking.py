"""README: B2B matchmaking — profiles, a searchable catalogue, suggested matches, requests, a schedule."""

from __future__ import annotations

import pytest

from tests.acceptance.support import HttpError, Room

MATCH_SESSIONS = {"sessions": [{"start": "2026-11-23T09:00:00+01:00", "end": "2026-11-23T10:00:00+01:00"}],
                  "slot_minutes": 20, "tables": 2}  # fmt: skip


def test_catalogue_only_with_matchmaking_only_profiles_and_never_names_the_anonymous(room: Room) -> None:
    seeker = room.join("Sara Seeker", organisation="Seeker Srl")
    hidden = room.join("Henrik Hidden", organisation="Hidden GmbH", anonymous=True)
    room.join("Ben Bystander", organisation="Bystander BV")
    with pytest.raises(HttpError) as refused:
        room.get("/matchmaking/catalogue", token=seeker.token)
    assert refused.value.status == 409 and refused.value.body["error"]["code"] == "matchmaking_not_configured"
    room.command("configure_matchmaking", MATCH_SESSIONS)
    for person in (seeker, hidden):
        room.command("save_match_profile", {"offers": "Robotic welding", "seeks": "Distributors"}, token=person.token)
    listed = room.get("/matchmaking/catalogue", token=seeker.token)
    assert {p["id"] for p in listed["people"]} == {seeker.participant_id, hidden.participant_id}
    shown = repr(listed) + repr(room.get("/matchmaking/suggestions", token=seeker.token))
    for secret in ("Henrik", "Hidden GmbH", "Bystander"):
        assert secret not in shown
    assert "Henrik Hidden" in repr(room.get("/matchmaking/catalogue"))  # the facilitator still sees the name
