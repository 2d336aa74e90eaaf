"""B2B matchmaking as participants use it: the catalogue finds people by what they type, best answers first."""

from __future__ import annotations

import urllib.parse

from tests.acceptance.support import Room


def test_catalogue_search_matches_word_beginnings_and_ranks_by_relevance(room: Room) -> None:
    sessions = [{"start": "2026-11-23T09:00:00+01:00", "end": "2026-11-23T10:00:00+01:00"}]
    room.command("configure_matchmaking", {"sessions": sessions, "slot_minutes": 20, "tables": 2})
    people = [
        ("Zoe", "Robotics integrators", "Welding cells"),
        ("Ann", "Agri Coop", "Robot lawn mowers"),
        ("Bob", "Bottle Co", "Packaging for caffè and wine"),
        ("Cy", "Robot Union", "Robot arms"),
    ]
    tokens = {}
    for name, organisation, offers in people:
        person = room.join(name, organisation=organisation)
        tokens[name] = person.token
        room.command("save_match_profile", {"offers": offers}, token=person.token)

    def search(q: str) -> list[str]:
        found = room.get("/matchmaking/catalogue?q=" + urllib.parse.quote(q), token=tokens["Ann"])
        return [p["name"] for p in found["people"]]

    assert search("robot") == ["Cy", "Zoe", "Ann"]  # whole word in the organisation, then a prefix, then offers
    assert search("Robotic") == ["Zoe"]
    assert search("packag") == ["Bob"]
    assert search("CAFFE") == search("caffè") == ["Bob"]
    assert search("robot weld") == ["Zoe"]
