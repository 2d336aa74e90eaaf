"""The acceptance helpers themselves work against a live server (a workshop, a join, a live dashboard)."""

from __future__ import annotations

from tests.acceptance.support import Room


def test_a_join_reaches_the_live_dashboard(room: Room) -> None:
    dashboard = room.watch("dashboard")
    room.join("Ana Novak", country="SI")
    dashboard.wait(
        lambda d: any(p["name"] == "Ana Novak" for p in d["participants"].values()), what="Ana on the dashboard"
    )
