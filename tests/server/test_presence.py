"""Who is online across processes (server/presence.py, server/broker.py): each process shares the list of phones
connected to it, the others merge it into their views, and a list that stops coming expires. The real two-process
version is tests/e2e/test_scaleout.py::test_who_is_online_counts_the_phones_on_every_process."""

from __future__ import annotations

import uuid
from collections import Counter

import msgpack

from server.broker import RedisBroker
from server.presence import EXPIRES, RemotePresence

W = uuid.uuid4()


def test_the_views_see_this_process_and_the_others_and_old_lists_expire() -> None:
    remote = RemotePresence()
    local = Counter({"ann": 1}).keys()
    assert remote.merged(W, local) is local  # one process: nothing to merge
    assert remote.update(W, "b", ["bob", "cy"], now=100)
    assert not remote.update(W, "b", ["cy", "bob"], now=101)  # the same list again: no change to show
    assert remote.update(W, "c", ["dee", "ann"], now=102)
    assert set(remote.merged(W, local)) == {"ann", "bob", "cy", "dee"}
    assert remote.expire(now=101 + EXPIRES) == set()  # b's list is just old enough
    assert remote.expire(now=101.5 + EXPIRES) == {W}  # b stopped sending (stopped, or Redis is down)
    assert set(remote.merged(W, local)) == {"ann", "dee"}
    assert remote.update(W, "c", [], now=103)  # c's phones all left
    assert remote.merged(W, local) is local
    remote.update(W, "b", ["bob"], now=104)
    remote.forget(W)  # the workshop was deleted
    assert remote.merged(W, local) is local


def _broker(online: dict[uuid.UUID, list[str]]) -> RedisBroker:
    broker = RedisBroker("redis://127.0.0.1:1/0?prefix=t", lambda position: None)
    broker.local_online = lambda workshop_id: online.get(workshop_id, [])
    return broker


def _sent(messages: list[tuple[str, bytes]]) -> dict[str, list[str]]:
    return {channel: msgpack.unpackb(payload)["on"] for channel, payload in messages}


def test_a_process_sends_its_list_when_it_changes_and_on_heartbeats_then_one_empty_list() -> None:
    other = uuid.uuid4()
    online = {W: ["ann", "bob"], other: []}
    broker = _broker(online)
    assert broker.presence_messages(heartbeat=True) == []  # nothing changed, nothing shared yet
    broker.presence_changed(W)
    broker.presence_changed(other)  # someone came and went: still empty, nothing to say
    assert _sent(broker.presence_messages(heartbeat=False)) == {f"t:{W}": ["ann", "bob"]}
    assert broker.presence_messages(heartbeat=False) == []
    assert _sent(broker.presence_messages(heartbeat=True)) == {f"t:{W}": ["ann", "bob"]}  # refreshed
    online[W] = []
    broker.presence_changed(W)
    assert _sent(broker.presence_messages(heartbeat=False)) == {f"t:{W}": []}  # everyone left: said once
    assert broker.presence_messages(heartbeat=True) == []


def test_another_process_list_reaches_the_views_and_our_own_is_ignored() -> None:
    got: list[tuple[uuid.UUID, str, list[str]]] = []
    hints: list[int] = []
    broker = RedisBroker("redis://127.0.0.1:1/0?prefix=t", hints.append)
    broker.on_presence = lambda w, origin, ids: got.append((w, origin, ids))
    channel = f"t:{W}".encode()
    broker._handle({"channel": channel, "data": msgpack.packb({"on": ["ann"], "o": "elsewhere"})})
    broker._handle({"channel": channel, "data": msgpack.packb({"on": ["me"], "o": broker.origin})})
    broker._handle({"channel": b"t:not-a-uuid", "data": msgpack.packb({"on": ["x"], "o": "elsewhere"})})
    broker._handle({"channel": channel, "data": msgpack.packb({"p": 42, "o": "elsewhere"})})
    assert got == [(W, "elsewhere", ["ann"])]
    assert hints == [42]  # commit hints still go to the follower
