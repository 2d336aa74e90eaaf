"""The configurable limits (``tavolo serve --max-message-bytes --commands-per-second --command-burst
--workshop-commands-per-second --workshop-command-burst``): each refuses what exceeds it with a stable code and
leaves everyone else alone."""

from __future__ import annotations

import json
from typing import Any

import pytest

from server.cli import build_parser, settings_from
from tests.server import support
from tests.server.support import Room, new_id

ITEM = {"title": "Opening", "kind": "plenary"}


def test_the_serve_options_become_the_settings() -> None:
    args = build_parser().parse_args(
        ["serve", "--max-message-bytes", "2048", "--commands-per-second", "5", "--command-burst", "7",
         "--workshop-commands-per-second", "50.5", "--workshop-command-burst", "60"]
    )  # fmt: skip
    s = settings_from(args)
    assert (s.max_message_bytes, s.commands_per_second, s.command_burst) == (2048, 5.0, 7)
    assert (s.workshop_commands_per_second, s.workshop_command_burst) == (50.5, 60)
    defaults = settings_from(build_parser().parse_args(["serve"]))
    assert (defaults.max_message_bytes, defaults.command_burst, defaults.workshop_command_burst) == (65536, 40, 5000)


@pytest.mark.parametrize("option", ["--max-message-bytes", "--command-burst", "--workshop-commands-per-second"])
@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_a_limit_must_be_a_positive_number(option: str, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["serve", option, value])
    assert exit_.value.code == 2 and option in capsys.readouterr().err


def _frame(size: int) -> str:
    """An add_agenda_item frame of exactly ``size`` bytes."""
    base = {"type": "command", "id": "sized", "name": "add_agenda_item", "args": {"title": "", "kind": "plenary"}}
    pad = size - len(json.dumps(base))
    base["args"]["title"] = "x" * pad  # type: ignore[index]
    frame = json.dumps(base)
    assert len(frame) == size
    return frame


def test_the_message_size_limit_is_configurable_for_frames_and_bodies() -> None:
    with support.running(max_message_bytes=1000) as client:
        room = Room(client)
        with room.peer(room.facilitator) as peer:
            peer.send_raw(_frame(1000).replace("x" * 300, "y" * 300, 1))  # at the limit: accepted (then refused
            assert peer.answer("sized")["code"] == "text_too_long"  # by the title's own limit, not the frame's)
            peer.send_raw(_frame(1001))
            error = peer.wait(lambda m: m["type"] == "error", "the error")
            assert error["code"] == "too_large" and "1000 bytes" in error["message"]
            assert peer.wait_closed().code == 1009
        body = {"id": new_id(), "name": "add_agenda_item", "args": {"title": "x" * 1000, "kind": "plenary"}}
        r = support.post_json(client, f"/api/workshops/{room.id}/commands", body, room.facilitator)
        support.assert_error(r, "too_large")
        assert room.ok("add_agenda_item", ITEM)["type"] == "ack"  # small ones still pass


def test_a_flooded_workshop_is_throttled_and_the_other_workshops_are_not() -> None:
    with support.running(workshop_commands_per_second=0.001, workshop_command_burst=6) as client:
        busy, calm = Room(client), Room(client)
        answers: list[dict[str, Any]] = []
        # Six sockets, each well within its own limit: the workshop's limit is what stops the seventh command.
        for i in range(8):
            with busy.peer(busy.facilitator) as peer:
                answers.append(peer.run("add_agenda_item", {"title": f"Item {i}", "kind": "other"}))
        kinds = [a["type"] if a["type"] == "ack" else a["code"] for a in answers]
        assert kinds == ["ack"] * 6 + ["rate_limited"] * 2, kinds
        assert "workshop" in answers[-1]["message"]
        r = support.command(client, busy.id, busy.facilitator, "add_agenda_item", ITEM)
        support.assert_error(r, "rate_limited")
        assert r.headers["retry-after"] == "1"
        r = support.post_json(client, "/api/join", {"code": busy.code, **support.PROFILE})
        support.assert_error(r, "rate_limited")
        for _ in range(6):
            assert calm.ok("add_agenda_item", ITEM)["type"] == "ack"  # another room on the server: unaffected
        assert len(busy.view()["data"]["agenda"]) == 6  # what was refused applied nothing


def test_an_http_client_that_sends_too_fast_is_throttled_per_token() -> None:
    with support.running(commands_per_second=0.001, command_burst=3) as client:
        room = Room(client)
        ann = room.join(name="Ann")
        codes = [support.command(client, room.id, room.facilitator, "add_agenda_item", ITEM).status_code
                 for _ in range(5)]  # fmt: skip
        assert codes == [200, 200, 200, 429, 429], codes
        # Another client (another token) of the same workshop is not slowed by the first one's flood.
        assert support.command(client, room.id, ann["participant_token"], "update_profile", {"name": "A"}).is_success
