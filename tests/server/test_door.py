"""Floods at the door: joins and join code look-ups per client address, the lock on new joins, removing a burst."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from starlette.testclient import TestClient

from server import addresses
from server.app import create_app
from tests.server import support
from tests.server.support import PROFILE, Peer, Room, assert_error, post_json, running

SLOW = {"address_join_burst": 3, "address_joins_per_second": 0.01,
        "address_lookup_burst": 4, "address_lookups_per_second": 0.01}  # fmt: skip


def test_joins_from_one_address_are_limited_with_retry_after_and_others_still_join() -> None:
    with running(**SLOW) as client:
        room = Room(client)
        for _ in range(3):
            room.join()
        r = post_json(client, "/api/join", {"code": room.code, **PROFILE})
        assert_error(r, "rate_limited")
        assert int(r.headers["Retry-After"]) >= 1
        # The websocket join counts for the same address: a new socket per join does not get round it.
        peer = Peer(client, room.id)
        peer.send({"type": "hello"})
        peer.wait(lambda m: m["type"] == "welcome")
        peer.send({"type": "command", "id": "j1", "name": "join", "args": {"code": room.code, **PROFILE}})
        assert peer.wait(lambda m: m["type"] == "error")["code"] == "rate_limited"
        peer.close()
        # Another address (another venue, or a client a trusted proxy names) is not slowed by this one (over a
        # real server: tests/acceptance/test_trust.py).
        assert client.app.state.services.address_wait("join", "192.0.2.7") is None
        assert len(room.view()["data"]["participants"]) == 3


def test_join_code_lookups_are_limited_per_address_on_the_api_and_the_join_page() -> None:
    with running(**SLOW) as client:
        room = Room(client)
        for _ in range(2):
            assert client.get(f"/api/codes/{room.code}").status_code == 200
        assert client.get("/api/codes/ZZZZZZ").status_code == 404  # guesses count too
        assert client.get(f"/j/{room.code}").status_code == 200
        assert_error(client.get(f"/api/codes/{room.code}"), "rate_limited")
        page = client.get(f"/j/{room.code}")
        assert page.status_code == 429 and page.headers["Retry-After"]


def test_the_default_limits_let_a_venue_join_at_once_behind_one_address() -> None:
    # A hundred phones behind one Wi-Fi address join within a second, with the defaults of `tavolo serve`.
    app = create_app("memory://", support.Settings(push_interval=0.02))
    with TestClient(app) as client:
        room = Room(client)
        for _ in range(100):
            room.join()
        # ... while a script from that address is slowed well before it joins hundreds.
        answers = [post_json(client, "/api/join", {"code": room.code, **PROFILE}).status_code for _ in range(200)]
        assert 429 in answers


def test_a_locked_workshop_refuses_new_joins_until_unlocked_and_the_dashboard_shows_it() -> None:
    with running() as client:
        room = Room(client)
        ada = room.join()
        room.ok("lock_joins")
        assert room.view()["data"]["joins_locked"] is True
        assert_error(post_json(client, "/api/join", {"code": room.code, **PROFILE}), "joins_locked")
        peer = Peer(client, room.id)
        peer.send({"type": "hello"})
        peer.wait(lambda m: m["type"] == "welcome")
        peer.send({"type": "command", "id": "j2", "name": "join", "args": PROFILE})
        assert peer.wait(lambda m: m["type"] == "error")["code"] == "joins_locked"
        peer.close()
        # Those already in carry on.
        support.ok(client, room.id, ada["participant_token"], "update_profile", {"role": "Still here"})
        assert_error(support.command(client, room.id, ada["participant_token"], "lock_joins"), "forbidden")
        room.ok("unlock_joins")
        assert room.view()["data"]["joins_locked"] is False
        room.join()


def test_remove_participants_removes_a_burst_at_once_or_nothing() -> None:
    with running() as client:
        room = Room(client)
        real = room.join(name="Real Person")
        burst = [room.join(name=f"Bot {i}")["participant_id"] for i in range(5)]
        bad = support.command(client, room.id, room.facilitator, "remove_participants",
                              {"participant_ids": [*burst, "nobody"]})  # fmt: skip
        assert_error(bad, "unknown_participant")
        assert len(room.view()["data"]["participants"]) == 6  # all or nothing
        for args in ({"participant_ids": []}, {"participant_ids": "x"}, {"participant_ids": [1]}):
            assert_error(support.command(client, room.id, room.facilitator, "remove_participants", args),
                         "invalid_args")  # fmt: skip
        ack = room.ok("remove_participants", {"participant_ids": [*burst, burst[0]]})
        assert ack["result"]["removed"] == 5
        data = room.view()["data"]
        assert list(data["participants"]) == [real["participant_id"]] and data["removed"] == 5
        r = support.command(client, room.id, None, "whatever")
        assert r.status_code == 401


def test_the_door_options_become_the_settings_and_their_defaults_are_the_settings_defaults() -> None:
    from server.cli import build_parser, settings_from
    from server.services import Settings

    args = build_parser().parse_args(["serve", "--address-joins-per-second", "2.5", "--address-join-burst", "30",
                                      "--address-lookups-per-second", "9", "--address-lookup-burst", "90",
                                      "--trusted-proxy", "10.0.0.0/8,fd00::/8",
                                      "--forwarded-allow-ips", "10.0.0.2"])  # fmt: skip
    s = settings_from(args)
    assert (s.address_joins_per_second, s.address_join_burst) == (2.5, 30)
    assert (s.address_lookups_per_second, s.address_lookup_burst) == (9.0, 90)
    # One list of proxies (ranges too; the old --forwarded-allow-ips adds to it): uvicorn's proxy headers and the
    # connection caps both read it.
    assert s.trusted_proxies == ("10.0.0.0/8", "fd00::/8", "10.0.0.2")
    defaults, plain = settings_from(build_parser().parse_args(["serve"])), Settings()
    for name in ("address_joins_per_second", "address_join_burst", "address_lookups_per_second",
                 "address_lookup_burst"):  # fmt: skip
        assert getattr(defaults, name) == getattr(plain, name), name


def test_a_trusted_proxy_that_is_not_an_address_or_a_range_is_refused_by_the_command_line() -> None:
    from server.cli import build_parser

    for wrong in ("10.0.0.0/33", "nginx", "10.0.0.1,,x"):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["serve", "--trusted-proxy", wrong])


def test_an_ipv6_slash_64_is_one_address_and_ipv4_mapped_ipv6_is_its_ipv4_address() -> None:
    assert addresses.key("2001:db8:1:2:aaaa::1") == addresses.key("2001:db8:1:2:ffff:1:2:3") == "2001:db8:1:2::/64"
    assert addresses.key("2001:db8:1:3::1") != addresses.key("2001:db8:1:2::1")
    assert addresses.key("::ffff:192.0.2.9") == addresses.key("192.0.2.9") == "192.0.2.9"
    assert addresses.key("testclient") == "testclient"
    with running(**SLOW) as client:
        services = client.app.state.services
        # A home rotating through its /64 is one bucket (burst 3), as a dual-stack socket's IPv4 peer is.
        assert [services.address_wait("join", f"2001:db8:5:6::{i:x}") is None for i in range(1, 5)] == [True] * 3 + [
            False
        ]
        assert services.address_wait("join", "2001:db8:5:7::1") is None  # the next /64: another home
        for _ in range(3):
            assert services.address_wait("join", "::ffff:198.51.100.4") is None
        assert services.address_wait("join", "198.51.100.4") is not None


def test_a_refused_join_says_how_long_to_wait_in_the_json_body_and_on_the_websocket() -> None:
    with running(**SLOW) as client:
        room = Room(client)
        for _ in range(3):
            room.join()
        r = post_json(client, "/api/join", {"code": room.code, **PROFILE})
        assert_error(r, "rate_limited")
        assert r.json()["error"]["details"]["retry_after"] == int(r.headers["Retry-After"]) >= 1
        peer = Peer(client, room.id)
        peer.send({"type": "hello"})
        peer.wait(lambda m: m["type"] == "welcome")
        peer.send({"type": "command", "id": "j1", "name": "join", "args": {"code": room.code, **PROFILE}})
        error = peer.wait(lambda m: m["type"] == "error")
        assert error["code"] == "rate_limited" and error["details"]["retry_after"] >= 1
        peer.close()


def test_a_websocket_join_refused_by_its_address_does_not_spend_the_rooms_command_budget() -> None:
    with running(**SLOW, workshop_command_burst=6, workshop_commands_per_second=0.01) as client:
        room = Room(client)
        for _ in range(3):
            room.join()  # three of the room's six commands
        peer = Peer(client, room.id)
        peer.send({"type": "hello"})
        peer.wait(lambda m: m["type"] == "welcome")
        for i in range(5):  # refused by the address's limit: the room's budget is untouched
            peer.send({"type": "command", "id": f"j{i}", "name": "join", "args": {"code": room.code, **PROFILE}})
            assert peer.wait(lambda m, i=i: m.get("id") == f"j{i}")["code"] == "rate_limited"
        peer.close()
        room.ok("lock_joins")  # the facilitator still has the room's last commands
        room.ok("unlock_joins")


def test_unknown_join_codes_over_the_address_limit_cost_no_store_read() -> None:
    with running(**SLOW) as client:
        reads = []

        async def fresh() -> None:
            reads.append(1)

        # As with several processes on one store: an unknown code is read from the store before it is refused.
        client.app.state.services.follower = SimpleNamespace(lag=0, fresh=fresh, store_ok=True)
        answers = [client.get("/api/codes/ZZZZZZ").status_code for _ in range(6)]
        answers += [client.get("/j/ZZZZZZ").status_code for _ in range(6)]
        assert answers.count(404) == 4 and answers.count(429) == 8
        assert len(reads) == 4  # only the look-ups the limit allowed read the store


def test_the_shipped_proxy_configs_never_believe_an_address_the_client_wrote() -> None:
    # With '*', uvicorn takes the leftmost X-Forwarded-For entry, which the client writes itself and nginx's
    # $proxy_add_x_forwarded_for keeps: every request could pass for another address (the per-address limits gone).
    from pathlib import Path

    deploy = Path(__file__).parents[2] / "docs" / "deploy"
    compose, nginx = (deploy / "compose.yaml").read_text(), (deploy / "nginx.conf").read_text()
    assert "--trusted-proxy 172.28.0.0/16" in compose and "subnet: 172.28.0.0/16" in compose
    assert "'*'" not in compose and "--forwarded-allow-ips" not in compose
    settings = [line.split() for line in nginx.splitlines() if "X-Forwarded-For" in line and "proxy_set_header" in line]
    assert settings and all(words[2] == "$remote_addr;" for words in settings)
