"""README: the facilitator — one dashboard to run the room: the roster, the agenda, the door."""

from __future__ import annotations

import pytest

from tests.acceptance.support import HttpError, Room


def test_the_facilitator_locks_the_door_and_removes_a_burst_of_joins_at_once(room: Room) -> None:
    dashboard = room.watch("dashboard")
    early = room.join("Early Bird")
    burst = [room.join(f"Flood {i}", organisation="Script") for i in range(12)]
    # The burst shows on the dashboard, newest first by joined_at, so the facilitator can tell it apart.
    dashboard.wait(lambda d: len(d["participants"]) == 13, what="everyone on the dashboard")
    room.command("lock_joins")
    dashboard.wait(lambda d: d["joins_locked"] is True, what="the lock on the dashboard")
    with pytest.raises(HttpError) as refused:
        room.join("Late Flood")
    assert refused.value.status == 409 and refused.value.body["error"]["code"] == "joins_locked"
    ack = room.command("remove_participants", {"participant_ids": [p.participant_id for p in burst]})
    assert ack["result"]["removed"] == 12
    dashboard.wait(lambda d: list(d["participants"]) == [early.participant_id] and d["removed"] == 12,
                   what="only the early bird left")  # fmt: skip
    # A removed token no longer works; the early bird carries on.
    with pytest.raises(HttpError) as gone:
        room.view("participant", token=burst[0].token)
    assert gone.value.status == 401
    assert room.view("participant", token=early.token)["me"]["name"] == "Early Bird"
    room.command("unlock_joins")
    room.join("Real Latecomer")
    dashboard.wait(lambda d: len(d["participants"]) == 2 and not d["joins_locked"], what="the door open again")
