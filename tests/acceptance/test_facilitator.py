"""README, "Facilitator": the dashboard link's secret runs the workshop; the projector link carries a read-only
token."""

from __future__ import annotations

import pytest

from tests.acceptance.support import HttpError, Room


def test_the_projector_token_reads_but_cannot_run_the_workshop(room: Room) -> None:
    assert room.command("add_agenda_item", {"title": "Welcome", "kind": "plenary"})["type"] == "ack"
    assert room.view("projector", room.projector_token)["agenda"]
    with pytest.raises(HttpError) as refused:
        room.command("add_agenda_item", {"title": "Hijack", "kind": "plenary"}, token=room.projector_token)
    assert refused.value.status == 403 and refused.value.body["error"]["code"] == "forbidden"
    with pytest.raises(HttpError) as anonymous:
        room.command("add_agenda_item", {"title": "Hijack", "kind": "plenary"}, token="not-a-token")
    assert anonymous.value.status == 401
    with pytest.raises(HttpError):
        room.view("dashboard", token=room.projector_token)
    assert [i["title"] for i in room.view("dashboard")["agenda"]] == ["Welcome"]
