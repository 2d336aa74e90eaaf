"""README, "Group work": a split balanced across countries (and organisations) on a live server, its measure on the
dashboard."""

from __future__ import annotations

from collections import Counter

from tests.acceptance.support import Room


def test_a_balanced_split_on_a_live_server_spreads_every_country_across_the_groups(room: Room) -> None:
    for i, country in enumerate(["IT", "IT", "PL", "PL", "SI", "SI", "AT", "AT"]):
        room.join(f"Person {i}", organisation=f"Org {i}", country=country)
    room.command("split_groups", {"strategy": "balanced", "groups": 2})
    groups = room.view("dashboard")["groups"]["split"]
    assert sorted(len(g["members"]) for g in groups["groups"]) == [4, 4]
    for g in groups["groups"]:
        assert Counter(m["country"] for m in g["members"]) == {"IT": 1, "PL": 1, "SI": 1, "AT": 1}
    assert groups["quality"]["deviation"]["country"] == 0
