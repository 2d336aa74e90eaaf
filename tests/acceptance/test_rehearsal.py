"""README, "Rehearsal": ``tavolo simulate --url http://localhost:8000 --participants 60`` creates a rehearsal
workshop and makes 60 simulated laptops join over real websockets; its last line is JSON with the dashboard link."""

from __future__ import annotations

import json
import re

from tests.acceptance.support import LiveView, http, run_tavolo_command
from tests.e2e.conftest import Server


def test_simulate_twenty_laptops_against_a_live_server_and_see_them_on_the_dashboard(server: Server) -> None:
    done = run_tavolo_command("simulate", "--url", server.url, "--participants", "20", "--quiet", timeout=180)
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["joined"] == 20 and summary["errors"] == 0, summary
    wid = summary["workshop_id"]
    match = re.fullmatch(rf"{re.escape(server.url)}/w/{wid}/dashboard#k=(.+)", summary["facilitator_url"])
    assert match, summary["facilitator_url"]
    token = match.group(1)
    # The link opens the dashboard page, and its secret lets one watch the dashboard live: all twenty are there.
    page = http(server, "GET", f"/w/{wid}/dashboard").decode()
    assert f'data-workshop-id="{wid}"' in page
    dashboard = LiveView(server, wid, token, "dashboard")
    try:
        dashboard.wait(lambda d: len(d["participants"]) == 20, what="twenty simulated participants")
        assert len({p["name"] for p in dashboard.data["participants"].values()}) == 20
    finally:
        dashboard.close()
