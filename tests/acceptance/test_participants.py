"""README, "Participants": type the 6-character code (no ambiguous letters) at ``/``; a reload or a dropped Wi-Fi
resumes the same identity."""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request

from tests.acceptance.support import Room


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def test_a_code_typed_loosely_finds_the_workshop_and_a_reconnect_keeps_the_same_participant(room: Room) -> None:
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{6}", room.code), room.code  # no 0/O, 1/I/L
    typed = f"{room.code[:3].lower()} {room.code[3:].lower()}"
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(f"{room.server.url}/join?code={urllib.parse.quote(typed)}", timeout=30)
        raise AssertionError("no redirect")
    except urllib.error.HTTPError as e:
        assert e.code in (302, 303, 307) and e.headers["Location"].endswith(f"/j/{room.code}")
    ana = room.join("Ana Ferreira")
    seen = []
    for _ in range(2):  # the phone connects, drops, connects again with the token it kept
        phone = room.watch("participant", ana.token)
        phone.wait(lambda d: d["me"]["id"], what="Ana's view")
        seen.append(phone.data["me"]["id"])
        phone.close()
    assert seen == [ana.participant_id] * 2
    assert len(room.view("dashboard")["participants"]) == 1
