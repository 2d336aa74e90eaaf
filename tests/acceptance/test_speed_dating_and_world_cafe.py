"""README, "Speed dating and World Café": rotations in pairs where no one meets twice while someone new is possible,
never two colleagues, rounds on the server's clock."""

from __future__ import annotations

from tests.acceptance.support import Room


def test_a_pairs_rotation_on_a_live_server_never_repeats_a_pair_nor_seats_colleagues(room: Room) -> None:
    people = [room.join(f"Person {i}", organisation=f"Org {i // 2}") for i in range(6)]  # three pairs of colleagues
    rotation = room.command("create_rotation", {"table_size": 2, "rounds": 3, "round_seconds": 600,
                                                "avoid": ["organisation"]})["result"]["rotation_id"]  # fmt: skip
    room.command("start_rotation", {"rotation_id": rotation})
    phone = room.watch("participant", people[0].token)
    phone.wait(lambda d: d["rotation"]["current"] == 1 and d["rotation"]["clock"]["state"] == "running",
               what="round 1 running on the phone")  # fmt: skip
    quality = room.view("dashboard")["rotation"]["quality"]
    assert quality["repeated_pairs"] == 0 and quality["violations"]["organisation"] == 0, quality
    room.command("advance_round", {"rotation_id": rotation})
    phone.wait(lambda d: d["rotation"]["current"] == 2, what="round 2 on the phone")
