"""Cross-site requests: a page on another origin must not change state through a visitor's browser."""

from __future__ import annotations

import json

from tests.server.support import DETAILS, PROFILE, create_workshop, running, view


def test_text_plain_form_cannot_create_a_workshop() -> None:
    # What an HTML form with enctype="text/plain" (or a no-cors fetch) sends: no preflight, any origin.
    with running() as client:
        body = json.dumps(DETAILS).encode()
        r = client.post("/api/workshops", content=body, headers={"Content-Type": "text/plain"})
        assert r.status_code == 415, r.text
        assert r.json()["error"]["code"] == "unsupported_media_type"
        assert client.get("/healthz").json()["workshops"] == 0


def test_another_origin_cannot_join_even_with_json() -> None:
    with running() as client:
        w = create_workshop(client)
        body = json.dumps({"code": w["code"], **PROFILE}).encode()
        headers = {"Content-Type": "application/json", "Origin": "http://evil.example"}
        r = client.post("/api/join", content=body, headers=headers)
        assert r.status_code == 403, r.text
        assert r.json()["error"]["code"] == "forbidden"
        assert view(client, w["workshop_id"], w["facilitator_token"], "dashboard")["data"]["participants"] == {}


def test_null_origin_is_refused_and_own_origin_and_scripts_are_accepted() -> None:
    with running(allowed_origins=("https://organiser.example",)) as client:
        body = json.dumps(DETAILS).encode()
        for origin, status in (("null", 403), ("http://testserver", 201), ("https://organiser.example", 201)):
            headers = {"Content-Type": "application/json; charset=utf-8", "Origin": origin}
            r = client.post("/api/workshops", content=body, headers=headers)
            assert r.status_code == status, (origin, r.text)
        r = client.post("/api/workshops", content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 201, r.text  # a script: no Origin


def test_commands_need_json_too() -> None:
    with running() as client:
        w = create_workshop(client)
        body = json.dumps({"id": "c1", "name": "update_details", "args": {"title": "Hijacked"}}).encode()
        headers = {"Content-Type": "text/plain", "Authorization": f"Bearer {w['facilitator_token']}"}
        r = client.post(f"/api/workshops/{w['workshop_id']}/commands", content=body, headers=headers)
        assert r.status_code == 415, r.text
