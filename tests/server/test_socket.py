"""The websocket protocol against docs/protocol.md: hello, snapshots and coalesced updates, acks after commit,
retries by id, reconnecting, presence, msgpack, bad input, size limits and rate limiting.

Tests never sleep: they read frames until a condition holds, with a deadline (support.Peer.wait)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import msgpack
import pytest
from starlette.testclient import TestClient

from domain.workshop import Workshop
from tests.server import support
from tests.server.support import CODES, DEADLINE, DETAILS, PROFILE, Peer, Room, command, new_id, post_json

ITEM = {"title": "Opening", "kind": "plenary"}


def _services(client: TestClient) -> Any:
    return client.app.state.services  # type: ignore[attr-defined]


# Hello, welcome, snapshot.


def test_hello_is_answered_with_welcome_then_a_snapshot_equal_to_the_http_view(room: Room) -> None:
    room.join()
    room.add_item()
    before = int(time.time() * 1000)
    with room.peer() as peer:
        welcome = peer.hello(room.facilitator, "dashboard")

        assert welcome == {
            "type": "welcome",
            "workshop_id": room.id,
            "role": "facilitator",
            "participant_id": None,
            "server_time": welcome["server_time"],
        }
        assert before - 5000 <= welcome["server_time"] <= int(time.time() * 1000) + 5000
        assert [m["type"] for m in peer.messages] == ["welcome", "snapshot"]
        snapshot = peer.messages[1]
        assert set(snapshot) == {"type", "view", "position", "data"}
        http = room.view("dashboard")
        assert (snapshot["view"], snapshot["position"], snapshot["data"]) == (
            "dashboard",
            http["position"],
            http["data"],
        )


def test_a_participant_hello_names_the_participant_and_sends_their_view(room: Room) -> None:
    p = room.join(name="Grace")
    with room.peer() as peer:
        welcome = peer.hello(p["participant_token"], "participant")
        assert (welcome["role"], welcome["participant_id"]) == ("participant", p["participant_id"])
        data = peer.views["participant"]["data"]
        assert data == room.view("participant", p["participant_token"])["data"]
        assert data["me"]["name"] == "Grace"


def test_a_hello_without_a_view_subscribes_to_nothing(room: Room) -> None:
    with room.peer() as peer:
        peer.hello(room.facilitator)
        room.add_item()
        peer.send({"type": "ping", "t": 12.5})
        pong = peer.wait(lambda m: True, "the next message")
        assert pong["type"] == "pong" and pong["t"] == 12.5 and isinstance(pong["server_time"], int)
        assert [m["type"] for m in peer.messages] == ["welcome", "pong"]


def test_a_ping_before_hello_is_answered(room: Room) -> None:
    with room.peer() as peer:
        peer.send({"type": "ping"})
        assert peer.wait(lambda m: True)["type"] == "pong"


def test_an_unknown_workshop_is_refused_and_the_socket_closed_with_1008(client: TestClient) -> None:
    for workshop_id in (str(uuid.uuid4()), "not-a-uuid"):
        with Peer(client, workshop_id) as peer:
            error = peer.wait(lambda m: True, "the error")
            assert (error["type"], error["code"]) == ("error", "not_found")
            assert peer.wait_closed().code == 1008


def test_an_unknown_token_is_unauthorized_and_closes_with_1008(room: Room) -> None:
    other = Room(room.client)
    for token in ("A" * 43, other.facilitator, "x"):
        with room.peer() as peer:
            peer.send({"type": "hello", "token": token, "view": "projector"})
            error = peer.wait(lambda m: True, "the error")
            assert (error["type"], error["code"], error["id"]) == ("error", "unauthorized", None)
            assert peer.wait_closed().code == 1008


def test_an_origin_other_than_the_host_is_refused_with_1008(room: Room) -> None:
    # Accepted, told why, then closed with 1008 (a refused handshake would look retryable to a browser).
    with Peer(room.client, room.id, headers={"origin": "https://evil.example"}) as evil:
        assert evil.wait(lambda m: m["type"] == "error")["code"] == "forbidden"
        assert evil.wait_closed().code == 1008
    with Peer(room.client, room.id, headers={"origin": "http://testserver"}) as peer:
        assert peer.hello(room.facilitator)["role"] == "facilitator"


def test_a_role_may_not_watch_another_roles_view_and_the_socket_stays_usable(room: Room) -> None:
    token = room.join()["participant_token"]
    with room.peer() as peer:
        peer.send({"type": "hello", "token": token, "view": "dashboard"})
        assert peer.wait(lambda m: m["type"] in ("error", "welcome"))["code"] == "forbidden"
        assert peer.hello(token, "participant")["role"] == "participant"
        assert "dashboard" not in peer.views


def test_hello_again_after_joining_switches_to_the_participant(room: Room) -> None:
    with room.peer() as peer:
        assert peer.hello()["role"] == "anonymous"
        joined = peer.acked("join", {**PROFILE, "name": "Lin"})["result"]
        welcome = peer.hello(joined["participant_token"], "participant")
        assert (welcome["role"], welcome["participant_id"]) == ("participant", joined["participant_id"])
        assert peer.views["participant"]["data"]["me"]["name"] == "Lin"
        assert peer.acked("update_profile", {"name": "Lin Wei"})["duplicate"] is False
        peer.wait_view("participant", lambda d: d["me"]["name"] == "Lin Wei")


# Acks and updates.


def test_an_ack_is_sent_only_after_the_command_is_committed(room: Room) -> None:
    services = _services(room.client)
    original = services.app.save
    entered, release = threading.Event(), threading.Event()

    def held_save(*aggregates: Any, **kwargs: Any) -> Any:
        entered.set()
        assert release.wait(DEADLINE), "the test did not release the commit"
        return original(*aggregates, **kwargs)

    with room.peer(room.facilitator) as peer:
        services.app.save = held_save
        try:
            peer.send({"type": "command", "id": "held", "name": "add_agenda_item", "args": ITEM})
            assert entered.wait(DEADLINE), "the command never reached the store"
            assert peer.silent(0.2), f"something was sent while the commit was held: {peer.messages[-1]}"
            assert room.view()["data"]["agenda"] == []
            release.set()
            ack = peer.answer("held")
        finally:
            release.set()
            services.app.save = original
    assert ack["type"] == "ack"
    recorded = services.app.recorder.select_notifications(ack["position"], 1)
    assert recorded and recorded[0].id == ack["position"]
    event = services.app.mapper.to_domain_event(recorded[0])
    assert isinstance(event, Workshop.AgendaItemAdded) and event.command_id == "held"


def test_every_view_frame_after_an_ack_is_at_or_after_its_position(room: Room) -> None:
    with room.peer(room.facilitator, "dashboard") as peer:
        for n in range(8):
            ack = peer.acked("add_agenda_item", {"title": f"Item {n}", "kind": "other"})
            seen = len(peer.messages)
            item_id = ack["result"]["item_id"]
            state = peer.wait_view(
                "dashboard",
                lambda d, i=item_id: any(x["id"] == i for x in d["agenda"]),
                f"item {n} on the dashboard",
            )
            assert state["position"] >= ack["position"]
            later = [m for m in peer.messages[seen:] if m["type"] in ("update", "snapshot")]
            assert all(m["position"] >= ack["position"] for m in later), (ack, later)


def test_a_command_shows_up_as_an_update_on_another_dashboard(room: Room) -> None:
    with room.peer(room.facilitator, "dashboard") as a, room.peer(room.facilitator, "dashboard") as b:
        item_id = a.acked("add_agenda_item", ITEM)["result"]["item_id"]

        b.wait_view("dashboard", lambda d: [i["id"] for i in d["agenda"]] == [item_id], "the new item on b")
        assert b.messages[-1]["type"] == "update" and b.updates >= 1
        assert b.views["dashboard"]["data"] == room.view()["data"]


def test_a_duplicate_command_id_is_applied_once_with_the_same_result(room: Room) -> None:
    with room.peer(room.facilitator, "dashboard") as dash, room.peer() as anon:
        anon.hello()
        token = "k" * 43
        first = anon.acked("join", {**PROFILE, "token": token}, "join-twice")
        again = anon.acked("join", {**PROFILE, "token": token}, "join-twice")

        assert (first["duplicate"], again["duplicate"]) == (False, True)
        assert again["result"] == first["result"] and again["position"] >= first["position"]
        dash.wait_view(
            "dashboard",
            lambda d: dash.views["dashboard"]["position"] >= again["position"] and d["counts"]["joined"] > 0,
            "the dashboard to reach the duplicate's position",
        )
        assert dash.views["dashboard"]["data"]["counts"]["joined"] == 1
        assert len(dash.views["dashboard"]["data"]["participants"]) == 1

        item = dash.acked("add_agenda_item", ITEM, "add-twice")
        item_again = dash.acked("add_agenda_item", ITEM, "add-twice")
        assert item_again["duplicate"] is True and item_again["result"] == item["result"]
        assert len(room.view()["data"]["agenda"]) == 1


def test_a_command_retried_after_a_reconnect_is_applied_once(room: Room) -> None:
    with room.peer(room.facilitator, "dashboard") as dash:
        first = room.peer()
        first.hello()
        first.send({"type": "command", "id": "join-lost-ack", "name": "join", "args": {**PROFILE, "token": "r" * 43}})
        state = dash.wait_view("dashboard", lambda d: d["counts"]["joined"] == 1, "the first join to be applied")
        first.close()  # the ack was never read: the client must retry

        with room.peer() as second:
            second.hello()
            retry = second.acked("join", {**PROFILE, "token": "r" * 43}, "join-lost-ack")

        assert retry["duplicate"] is True
        assert [retry["result"]["participant_id"]] == list(state["data"]["participants"])
        view = room.view()
        assert view["data"]["counts"]["joined"] == 1 and len(view["data"]["participants"]) == 1


def test_a_reconnecting_client_with_an_old_position_gets_a_fresh_snapshot(room: Room) -> None:
    with room.peer(room.facilitator, "dashboard") as first:
        old = first.views["dashboard"]["position"]
    p = room.join()
    item = room.add_item()
    room.ok("start_agenda_item", {"item_id": item})
    room.ok("update_workshop", {"title": "Renamed"})
    room.ok("remove_participant", {"participant_id": p["participant_id"]})

    with room.peer() as again:
        again.hello(room.facilitator, "dashboard", position=old)
        snapshot = again.messages[-1]
        http = room.view()
        assert snapshot["type"] == "snapshot" and snapshot["position"] > old
        assert (snapshot["position"], snapshot["data"]) == (http["position"], http["data"])


def test_a_reconnected_dashboard_soon_shows_who_came_online_while_nobody_watched(client: TestClient) -> None:
    room, elsewhere = Room(client), Room(client)
    p = room.join()
    with room.peer(room.facilitator, "dashboard"):
        pass  # the dashboard was rendered once; now nobody watches it
    with elsewhere.peer(elsewhere.facilitator, "dashboard") as witness, room.peer(p["participant_token"]):
        assert room.view()["data"]["participants"][p["participant_id"]]["online"] is True
        # The hub pushes every dirty workshop in one pass: once the witness sees a later change of another
        # workshop, the pass that saw this participant come online (with nobody watching) is over.
        elsewhere.add_item()
        witness.wait_view("dashboard", lambda d: len(d["agenda"]) == 1, "the other workshop's update")

        with room.peer(room.facilitator, "dashboard") as again:
            # The snapshot is never behind the log; presence that changed while nobody watched follows on the
            # next tick (a reconnect storm must not re-render the roster once per socket).
            fresh = room.view()["data"]
            again.wait_view("dashboard", lambda d: d == fresh, "presence caught up")


# The zulip test: live updates applied to the first snapshot equal a fresh fetch.


def test_updates_applied_to_the_first_snapshot_equal_the_final_http_views(client: TestClient) -> None:
    room = Room(client)
    first = room.join(name="First")
    dash = room.peer(room.facilitator, "dashboard")
    proj = room.peer(room.projector, "projector")
    part = room.peer(first["participant_token"], "participant")
    try:
        people = [
            room.join(
                name=f"P{n}",
                country=("IT", "FR", "DE")[n % 3],
                sector=DETAILS["sectors"][n % 3],
                organisation=f"Org {n % 4}",
            )
            for n in range(12)
        ]
        items = [room.add_item(f"Item {n}", ("plenary", "break", "poll")[n % 3]) for n in range(5)]
        online = [room.peer(p["participant_token"], "participant") for p in people[:4]]
        for n, p in enumerate(people[:6]):
            room.ok("update_profile", {"name": f"Renamed {n}", "country": "ES"}, token=p["participant_token"])
        room.ok("update_profile", {"organisation": "Moved"}, token=first["participant_token"])
        room.ok("start_agenda_item", {"item_id": items[0]})
        room.ok("start_agenda_item", {"item_id": items[1]})
        room.ok("update_agenda_item", {"item_id": items[2], "title": "Lunch", "duration_min": 45})
        room.ok("reorder_agenda", {"item_ids": list(reversed(items))})
        room.ok("remove_agenda_item", {"item_id": items[3]})
        room.ok("finish_agenda_item", {"item_id": items[1]})
        room.ok("remove_participant", {"participant_id": people[0]["participant_id"]})
        room.ok("leave", token=people[7]["participant_token"])
        room.ok("update_workshop", {"title": "Clusters meet, day 2", "sectors": [*DETAILS["sectors"], "Water"]})
        online[1].close()
        online[2].close()

        for peer, name, token in (
            (dash, "dashboard", room.facilitator),
            (proj, "projector", room.projector),
            (part, "participant", first["participant_token"]),
        ):
            peer.wait(
                lambda m, p=peer, n=name, t=token: n in p.views and p.views[n] == _http(room, n, t),
                f"the {name} view to equal the HTTP view",
            )
            assert peer.updates >= 3, f"{name}: only {peer.updates} updates"
            assert [m["type"] for m in peer.messages].count("snapshot") == 1, f"{name} was sent a second snapshot"
            assert peer.views[name]["data"]["counts"]["joined"] == 11
        # Online now: `first` and people[3]; people[0] is still connected but was removed, so not counted.
        assert dash.views["dashboard"]["data"]["counts"]["online"] == 2
        for peer in online:
            peer.close()
    finally:
        for peer in (dash, proj, part):
            peer.close()


def _http(room: Room, name: str, token: str) -> dict[str, Any]:
    v = room.view(name, token)
    return {"position": v["position"], "data": v["data"]}


# Presence.


def test_presence_follows_participant_sockets(room: Room) -> None:
    p = room.join()
    pid = p["participant_id"]
    with room.peer(room.facilitator, "dashboard") as dash:
        assert dash.views["dashboard"]["data"]["participants"][pid]["online"] is False

        one = room.peer(p["participant_token"], "participant")
        state = dash.wait_view("dashboard", lambda d: d["participants"][pid]["online"], "online")
        assert state["data"]["counts"]["online"] == 1
        one.wait_view("participant", lambda d: d["counts"]["online"] == 1, "the participant to see themselves")

        two = room.peer(p["participant_token"])  # a second tab, no view
        one.close()
        assert room.view()["data"]["participants"][pid]["online"] is True
        two.close()

        state = dash.wait_view("dashboard", lambda d: not d["participants"][pid]["online"], "offline")
        assert state["data"]["counts"]["online"] == 0
        assert room.view()["data"]["counts"]["online"] == 0


# A participant's token stops working when they leave or are removed.


def test_a_token_after_leaving_is_unauthorized_and_the_socket_closed(room: Room) -> None:
    p = room.join()
    with room.peer(p["participant_token"], "participant") as peer:
        assert peer.acked("leave")["duplicate"] is False
        # The open socket gets the final state, then is told and closed: no more updates for a leaver.
        peer.wait_view("participant", lambda d: d["me"]["status"] == "left", "status left")
        assert peer.wait(lambda m: m["type"] == "error")["code"] == "not_joined"
        assert peer.wait_closed().code == 1008
    with room.peer() as peer:
        peer.send({"type": "hello", "token": p["participant_token"], "view": "participant"})
        assert peer.wait(lambda m: m["type"] in ("error", "welcome"))["code"] == "unauthorized"
        assert peer.wait_closed().code == 1008
    _assert_token_refused(room, p["participant_token"])


def test_a_token_after_removal_is_unauthorized_and_the_socket_closed(room: Room) -> None:
    p = room.join()
    room.ok("remove_participant", {"participant_id": p["participant_id"]})
    _assert_token_refused(room, p["participant_token"])
    assert room.view()["data"]["removed"] == 1 and p["participant_id"] not in room.view()["data"]["participants"]


def _assert_token_refused(room: Room, token: str) -> None:
    with room.peer() as peer:
        peer.send({"type": "hello", "token": token, "view": "participant"})
        error = peer.wait(lambda m: True, "the answer to hello")
        assert (error["type"], error["code"]) == ("error", "unauthorized")
        assert peer.wait_closed().code == 1008
    support.assert_error(
        support.command(room.client, room.id, token, "update_profile", {"name": "Back"}), "unauthorized"
    )


# msgpack.


def test_a_msgpack_hello_is_answered_in_msgpack(room: Room) -> None:
    with room.peer() as peer:
        welcome = peer.hello(room.facilitator, "dashboard", encoding="msgpack")
        assert welcome["role"] == "facilitator"
        ack = peer.acked("add_agenda_item", ITEM, encoding="msgpack")
        peer.wait_view("dashboard", lambda d: len(d["agenda"]) == 1)
        answer = peer.run("add_agenda_item", {"title": "Second", "kind": "break"})  # a JSON frame, same answers
        assert answer["type"] == "ack" and answer["position"] > ack["position"]
        peer.send({"type": "ping", "t": 1}, "msgpack")
        peer.wait(lambda m: m["type"] == "pong")
        peer.wait_view("dashboard", lambda d: len(d["agenda"]) == 2)
        assert set(peer.frames) == {"binary"}, peer.frames
        assert peer.views["dashboard"]["data"] == room.view()["data"]


def test_a_msgpack_connection_survives_a_json_ping_with_a_huge_number(room: Room) -> None:
    # JSON has arbitrary-precision integers; msgpack stops at 64 bits. The pong must not kill the connection.
    with room.peer() as peer:
        peer.hello(room.facilitator, encoding="msgpack")
        peer.send({"type": "ping", "t": 10**30})
        first = peer.wait(lambda m: m["type"] in ("pong", "error"), "an answer to the ping", timeout=2)
        assert first["type"] == "error" or first["t"] in (None, 10**30)
        peer.send({"type": "ping", "t": 2}, "msgpack")
        assert peer.wait(lambda m: m["type"] == "pong" and m["t"] == 2, "a second pong")


def test_a_pong_is_always_valid_json(room: Room) -> None:
    # Python's json module accepts NaN and Infinity; a browser's JSON.parse does not.
    with room.peer() as peer:
        for literal in ("NaN", "Infinity", "-Infinity", "1e999"):
            peer.send_raw(f'{{"type": "ping", "t": {literal}}}')
            peer.wait(lambda m: m["type"] in ("pong", "error"), f"the answer to a ping with {literal}")


# Bad input: each is refused with its documented code, nothing is applied, and the server keeps serving.


def _command(name: str, args: Any, command_id: str = "bad-1") -> str:
    return json.dumps({"type": "command", "id": command_id, "name": name, "args": args})


def _msgpack_with_invalid_utf8() -> bytes:
    # {"type": "command", "id": "u1", "name": <str 0xff 0xfe>} -- a str (0xa2) whose bytes are not UTF-8
    return b"\x83\xa4type\xa7command\xa2id\xa2u1\xa4name\xa2\xff\xfe"


BAD_INPUT: list[tuple[str, str, Any, str, str | None]] = [
    # (case, role, frame, code, command id the error names)
    ("malformed-json", "facilitator", '{"type": "command", "id": "x1", ', "bad_frame", None),
    ("json-with-trailing-garbage", "facilitator", '{"type": "ping"} x', "bad_frame", None),
    ("invalid-msgpack", "facilitator", b"\xc1", "bad_frame", None),
    (
        "truncated-msgpack",
        "facilitator",
        msgpack.packb({"type": "command", "id": "t1", "name": "leave"})[:-3],
        "bad_frame",
        None,
    ),
    (
        "msgpack-with-trailing-bytes",
        "facilitator",
        msgpack.packb({"type": "ping"}) + b"\x00",
        "bad_frame",
        None,
    ),
    ("msgpack-with-a-number-key", "facilitator", b"\x81\x01\x02", "bad_frame", None),
    ("empty-text", "facilitator", "", "bad_frame", None),
    ("empty-binary", "facilitator", b"", "bad_frame", None),
    ("json-array", "facilitator", '[{"type": "command", "id": "a1", "name": "leave"}]', "bad_frame", None),
    ("json-string", "facilitator", '"hello"', "bad_frame", None),
    ("json-null", "facilitator", "null", "bad_frame", None),
    ("msgpack-array", "facilitator", msgpack.packb(["command", "x", "leave"]), "bad_frame", None),
    ("unknown-type", "facilitator", '{"type": "teleport"}', "bad_message", None),
    ("no-type", "facilitator", '{"id": "n1", "name": "leave", "args": {}}', "bad_message", None),
    ("type-not-a-string", "facilitator", '{"type": ["command"]}', "bad_message", None),
    (
        "command-without-id",
        "facilitator",
        '{"type": "command", "name": "add_agenda_item", "args": {}}',
        "bad_message",
        None,
    ),
    ("id-too-long", "facilitator", _command("add_agenda_item", ITEM, "x" * 65), "bad_message", None),
    ("id-with-spaces", "facilitator", _command("add_agenda_item", ITEM, "an id"), "bad_message", None),
    ("id-empty", "facilitator", _command("add_agenda_item", ITEM, ""), "bad_message", None),
    (
        "id-with-trailing-newline",
        "facilitator",
        _command("add_agenda_item", ITEM, "abc\n"),
        "bad_message",
        None,
    ),
    (
        "id-not-a-string",
        "facilitator",
        '{"type": "command", "id": 7, "name": "leave", "args": {}}',
        "bad_message",
        None,
    ),
    ("unknown-command", "facilitator", _command("teleport", {}), "unknown_command", "bad-1"),
    (
        "unknown-command-upper-case",
        "facilitator",
        _command("ADD_AGENDA_ITEM", ITEM),
        "unknown_command",
        "bad-1",
    ),
    (
        "args-a-list",
        "facilitator",
        _command("add_agenda_item", ["Opening", "plenary"]),
        "invalid_args",
        "bad-1",
    ),
    ("args-a-string", "facilitator", _command("add_agenda_item", "Opening"), "invalid_args", "bad-1"),
    ("args-null", "facilitator", _command("add_agenda_item", None), "invalid_args", "bad-1"),
    (
        "wrong-arg-type",
        "facilitator",
        _command("add_agenda_item", {"title": 5, "kind": "plenary"}),
        "invalid_args",
        "bad-1",
    ),
    (
        "wrong-arg-type-nested",
        "facilitator",
        _command("add_agenda_item", {"title": {"en": "x"}, "kind": "plenary"}),
        "invalid_args",
        "bad-1",
    ),
    (
        "unknown-arg",
        "facilitator",
        _command("add_agenda_item", {**ITEM, "colour": "red"}),
        "invalid_args",
        "bad-1",
    ),
    (
        "nan-arg",
        "facilitator",
        '{"type": "command", "id": "bad-1", "name": "add_agenda_item", '
        '"args": {"title": "T", "kind": "plenary", "duration_min": NaN}}',
        "invalid_args",
        "bad-1",
    ),
    (
        "deep-nesting-json",
        "facilitator",
        '{"type": "command", "id": "d1", "name": "add_agenda_item", "args": {"title": '
        + "[" * 10000
        + "]" * 10000
        + "}}",
        "bad_frame",
        None,
    ),
    ("deep-nesting-msgpack", "facilitator", b"\x91" * 10000 + b"\xc0", "bad_frame", None),
    (
        "nesting-within-limits",
        "facilitator",
        _command("add_agenda_item", {"title": json.loads("[" * 400 + "]" * 400), "kind": "plenary"}),
        "invalid_args",
        "bad-1",
    ),
    ("invalid-utf8-in-a-binary-frame", "facilitator", _msgpack_with_invalid_utf8(), "bad_frame", None),
    ("json-in-a-binary-frame", "facilitator", b'{"type": "ping"}', "bad_frame", None),
    (
        "control-characters-in-a-title",
        "facilitator",
        _command("add_agenda_item", {"title": "\x1b[31mred", "kind": "plenary"}),
        "invalid_text",
        "bad-1",
    ),
    (
        "control-characters-in-a-name",
        "anonymous",
        _command("join", {**PROFILE, "name": "Ad\x00a"}),
        "invalid_text",
        "bad-1",
    ),
    (
        "newline-in-a-name",
        "anonymous",
        _command("join", {**PROFILE, "name": "Ada\nLovelace"}),
        "invalid_text",
        "bad-1",
    ),
    (
        "unknown-country",
        "anonymous",
        _command("join", {**PROFILE, "country": "XX"}),
        "unknown_country",
        "bad-1",
    ),
    ("too-long-name", "anonymous", _command("join", {**PROFILE, "name": "x" * 81}), "text_too_long", "bad-1"),
    (
        "unknown-sector",
        "anonymous",
        _command("join", {**PROFILE, "sector": "Fishing"}),
        "unknown_sector",
        "bad-1",
    ),
    (
        "unknown-language",
        "anonymous",
        _command("join", {**PROFILE, "language": "xx"}),
        "unknown_language",
        "bad-1",
    ),
    (
        "join-token-too-short",
        "anonymous",
        _command("join", {**PROFILE, "token": "short"}),
        "invalid_args",
        "bad-1",
    ),
    ("participant-command-by-facilitator", "facilitator", _command("leave", {}), "forbidden", "bad-1"),
    (
        "facilitator-command-by-anonymous",
        "anonymous",
        _command("add_agenda_item", ITEM),
        "forbidden",
        "bad-1",
    ),
    (
        "participant-acting-as-another",
        "participant",
        _command("update_profile", {"participant_id": "someone-else", "name": "Mallory"}),
        "invalid_args",
        "bad-1",
    ),
    ("hello-unknown-view", "facilitator", '{"type": "hello", "view": "admin"}', "bad_message", None),
    ("hello-token-not-a-string", "facilitator", '{"type": "hello", "token": 42}', "bad_message", None),
    ("hello-position-not-an-int", "facilitator", '{"type": "hello", "position": "7"}', "bad_message", None),
]


def _valid_command(role: str) -> tuple[str, dict[str, Any]]:
    return {
        "facilitator": ("add_agenda_item", {"title": "Still works", "kind": "other"}),
        "anonymous": ("join", {**PROFILE, "name": "Still works"}),
        "participant": ("update_profile", {"name": "Still works"}),
    }[role]


def _peer_as(room: Room, role: str) -> Peer:
    if role == "facilitator":
        return room.peer(room.facilitator)
    if role == "participant":
        return room.peer(room.join()["participant_token"])
    peer = room.peer()
    peer.hello()
    return peer


@pytest.mark.parametrize(
    ("role", "frame", "code", "command_id"),
    [case[1:] for case in BAD_INPUT],
    ids=[case[0] for case in BAD_INPUT],
)
def test_bad_input_is_refused_with_its_code_and_the_server_keeps_serving(
    room: Room, role: str, frame: Any, code: str, command_id: str | None
) -> None:
    assert code in CODES
    with _peer_as(room, role) as peer:
        before = room.view()

        peer.send_raw(frame)
        error = peer.wait(lambda m: m["type"] in ("error", "ack", "welcome", "pong"), "the answer to the bad frame")

        assert (error["type"], error["code"]) == ("error", code), error
        assert error["id"] == command_id and isinstance(error["message"], str), error
        assert room.view() == before, "a refused frame changed the workshop"
        # The same connection still works...
        name, args = _valid_command(role)
        assert peer.run(name, args)["type"] == "ack"
    # ...and so does another one.
    with room.peer(room.facilitator) as other:
        other.acked("add_agenda_item", {"title": "Other works", "kind": "other"})


@pytest.mark.parametrize("encoding", ["json", "msgpack"])
def test_a_frame_over_64_kib_is_too_large_and_closes_with_1009(room: Room, encoding: str) -> None:
    with room.peer(room.facilitator) as peer, room.peer(room.facilitator) as other:
        big = {
            "type": "command",
            "id": "big",
            "name": "add_agenda_item",
            "args": {"title": "x" * 100_000, "kind": "plenary"},
        }
        peer.send(big, encoding)

        error = peer.wait(lambda m: True, "the error")
        assert (error["type"], error["code"]) == ("error", "too_large")
        assert peer.wait_closed().code == 1009
        other.acked("add_agenda_item", ITEM)
        assert [i["title"] for i in room.view()["data"]["agenda"]] == ["Opening"]


def test_the_frame_limit_counts_bytes_not_characters(room: Room) -> None:
    # 30,000 euro signs are 90,000 bytes of UTF-8: over the 64 KiB limit the error message states in bytes.
    with room.peer(room.facilitator) as peer:
        frame = json.dumps(
            {
                "type": "command",
                "id": "euros",
                "name": "add_agenda_item",
                "args": {"title": "€" * 30_000, "kind": "plenary"},
            },
            ensure_ascii=False,
        )
        assert len(frame) < 64 * 1024 < len(frame.encode())
        peer.send_raw(frame)
        assert peer.wait(lambda m: m["type"] in ("error", "ack"))["code"] == "too_large"


def test_an_error_message_quoting_a_lone_surrogate_is_still_valid_utf8(room: Room) -> None:
    # A JSON text frame may carry "\ud800" as an escape (it is valid UTF-8 on the wire). Errors quote values
    # back; a real transport cannot send a text frame holding an unpaired surrogate (Peer.recv checks).
    with room.peer() as peer:
        peer.hello()
        error = peer.run("join", {**PROFILE, "country": "\ud800"})
        assert error["code"] == "unknown_country"
        error = peer.run("join", {**PROFILE, "\udc00": 1})
        assert error["code"] == "invalid_args"


def test_msgpack_args_with_bytes_and_text_keys_are_invalid_args_not_an_internal_error(room: Room) -> None:
    with room.peer() as peer:
        peer.hello(room.facilitator, encoding="msgpack")
        frame = msgpack.packb(
            {
                "type": "command",
                "id": "keys",
                "name": "add_agenda_item",
                "args": {b"title": "T", "colour": "red", "kind": "plenary"},
            },
            use_bin_type=True,
        )
        peer.send_raw(frame)
        assert peer.answer("keys")["code"] == "invalid_args"


def test_create_workshop_is_not_a_command_on_a_workshop_socket(room: Room) -> None:
    # docs: anonymous may only `join`; creating a workshop is POST /api/workshops, not a websocket command.
    with room.peer() as peer:
        peer.hello()
        answer = peer.run("create_workshop", DETAILS)
        assert (answer["type"], answer.get("code")) == ("error", "unknown_command"), answer
    assert room.client.get("/healthz").json()["workshops"] == 1


# Rate limiting.


def test_a_flood_of_commands_is_rate_limited_without_slowing_other_connections(room: Room) -> None:
    with room.peer(room.facilitator) as flood, room.peer(room.facilitator) as calm:
        ids = [new_id("flood") for _ in range(200)]
        for command_id in ids:
            flood.send(
                {
                    "type": "command",
                    "id": command_id,
                    "name": "update_workshop",
                    "args": {"venue": f"Room {command_id}"},
                }
            )
        calm_ack = calm.run("add_agenda_item", ITEM)

        answers: dict[str, dict[str, Any]] = {}
        while len(answers) < len(ids):
            m = flood.wait(lambda m: m["type"] in ("ack", "error"), f"answers ({len(answers)} of {len(ids)})")
            answers[m["id"]] = m
        kinds = [answers[i]["type"] if answers[i]["type"] == "ack" else answers[i]["code"] for i in ids]

        assert calm_ack["type"] == "ack", calm_ack
        assert set(kinds) == {"ack", "rate_limited"}, set(kinds)
        assert kinds[:40] == ["ack"] * 40  # the burst
        assert kinds.count("rate_limited") >= 50, kinds.count("rate_limited")
        assert calm.run("add_agenda_item", ITEM)["type"] == "ack"
        last_acked = [i for i, kind in zip(ids, kinds, strict=True) if kind == "ack"][-1]
        # The refused ones applied nothing: the venue is the last acknowledged one's.
        assert room.view()["data"]["workshop"]["venue"] == f"Room {last_acked}"


def test_a_removed_participant_is_told_and_disconnected_and_gets_no_more_updates(room: Room) -> None:
    p = room.join()
    with room.peer(p["participant_token"], "participant") as peer:
        room.ok("remove_participant", {"participant_id": p["participant_id"]})
        peer.wait_view("participant", lambda d: d["me"]["status"] == "removed", "status removed")
        assert peer.wait(lambda m: m["type"] == "error")["code"] == "not_joined"
        assert peer.wait_closed().code == 1008


def test_a_retried_create_with_client_chosen_tokens_gets_them_back(client: TestClient) -> None:
    fac, proj = "f" * 43, "p" * 43
    body = {
        "id": "create-once",
        "title": "T",
        "date": "2026-11-22",
        "language": "en",
        "facilitator_token": fac,
        "projector_token": proj,
    }
    first = post_json(client, "/api/workshops", body)
    again = post_json(client, "/api/workshops", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["duplicate"] is True
    for key in ("workshop_id", "code", "facilitator_token", "projector_token"):
        assert again.json()[key] == first.json()[key]
    assert first.json()["facilitator_token"] == fac
    # A retry with other tokens learns nothing secret.
    other = post_json(client, "/api/workshops", {**body, "facilitator_token": "x" * 43})
    assert "facilitator_token" not in other.json()


def test_create_workshop_is_not_a_command_over_http_either(room: Room) -> None:
    r = command(room.client, room.id, room.facilitator, "create_workshop", {"title": "x"})
    assert (r.status_code, r.json()["error"]["code"]) == (400, "unknown_command")


def test_a_rotated_facilitator_link_closes_screens_opened_with_the_old_one(room: Room) -> None:
    new_token = "N" * 43
    with room.peer(room.facilitator, "dashboard") as old_screen:
        room.ok("rotate_link", {"role": "facilitator", "token": new_token})
        closed = old_screen.wait_closed()
        assert closed.code == 1008
    support.assert_error(support.command(room.client, room.id, room.facilitator, "add_agenda_item",
                                         {"title": "T", "kind": "other"}), "unauthorized")  # fmt: skip
    assert support.ok(room.client, room.id, new_token, "add_agenda_item", {"title": "T", "kind": "other"})
    projector = "P" * 43
    support.ok(room.client, room.id, new_token, "rotate_link", {"role": "projector", "token": projector})
    assert support.view(room.client, room.id, projector, "projector")["view"] == "projector"
    support.assert_error(support.command(room.client, room.id, new_token, "rotate_link",
                                         {"role": "projector", "token": projector}), "token_in_use")  # fmt: skip
