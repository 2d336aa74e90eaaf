"""A real ``tavolo serve`` on a SQLite file keeps everything across a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import start_server

pytestmark = pytest.mark.slow

COUNTRIES = ["IT", "FR", "DE", "ES", "PL"]


def test_dashboard_shows_the_same_20_participants_after_a_restart(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path}/tavolo.db"
    server = start_server(store, tmp_path / "server.log")
    try:
        workshop = server.request(
            "POST",
            "/api/workshops",
            {
                "title": "Restart",
                "date": "2026-11-22",
                "venue": "Bologna",
                "language": "en",
                "sectors": ["Agrifood", "Energy"],
            },
        )
        joined = {}
        for i in range(20):
            answer = server.request(
                "POST",
                "/api/join",
                {
                    "code": workshop["code"],
                    "name": f"Participant {i}",
                    "organisation": f"Org {i % 4}",
                    "country": COUNTRIES[i % 5],
                    "sector": "Energy" if i % 2 else "Agrifood",
                },
            )
            joined[answer["participant_id"]] = f"Participant {i}"
        path = f"/api/workshops/{workshop['workshop_id']}/views/dashboard"
        before = server.request("GET", path, token=workshop["facilitator_token"])
    finally:
        server.stop()
    assert server.process.returncode is not None

    server = start_server(store, tmp_path / "server.log")
    try:
        after = server.request("GET", path, token=workshop["facilitator_token"])
        names = {pid: p["name"] for pid, p in after["data"]["participants"].items()}
        assert names == joined
        assert after["position"] == before["position"]
        assert after["data"]["counts"] == before["data"]["counts"]
        # The same tokens still work, and new commands continue the same log.
        again = server.request(
            "POST",
            "/api/join",
            {
                "code": workshop["code"],
                "name": "Late",
                "organisation": "Org",
                "country": "IT",
                "sector": "Energy",
            },
        )
        assert again["workshop_id"] == workshop["workshop_id"]
        final = server.request("GET", path, token=workshop["facilitator_token"])
        assert final["data"]["counts"]["joined"] == 21
        assert final["position"] > before["position"]
    finally:
        server.stop()
