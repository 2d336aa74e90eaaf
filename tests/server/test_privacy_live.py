"""Erasure through the server: the token stops working, and the name is gone from views, minutes and exports."""

from __future__ import annotations

from tests.server import support
from tests.server.support import Room


def test_forget_me_ends_the_session_and_leaves_no_name_anywhere(room: Room) -> None:
    ann = room.join(name="Annabelle Quist", organisation="Quist Holdings")
    bob = room.join(name="Bob")
    where = room.one_group_sheet()
    room.ok("add_contribution", {**where, "text": "Shared pilot lines"}, ann["participant_token"])
    room.ok("forget_me", {}, ann["participant_token"])
    support.assert_error(support.command(room.client, room.id, ann["participant_token"], "leave"), "unauthorized")
    dashboard = repr(room.view()["data"])
    assert "Annabelle" not in dashboard and "Quist" not in dashboard
    assert "Shared pilot lines" in dashboard  # the contribution stays, no longer anyone's
    auth = support.bearer(room.facilitator)
    minutes = room.client.get(f"/api/workshops/{room.id}/minutes.md", headers=auth).text
    assert "Annabelle" not in minutes and "Quist" not in minutes and "Shared pilot lines" in minutes
    exported = room.client.get(f"/api/workshops/{room.id}/events.tavolo", headers=auth).content
    assert ann["participant_id"].encode() in exported  # the events stay, sealed
    assert b"Annabelle" not in exported and b"Quist" not in exported
    assert room.view()["data"]["counts"]["joined"] == 1 and bob["participant_id"] in room.view()["data"]["participants"]
