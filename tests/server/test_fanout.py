"""The phones' shared view under load (server/hub.py): with many participant watchers it is rendered less often and
woken a slice per tick, after the facilitator's dashboard; a voter's own ballot still goes out on the next tick, and
every phone ends with the newest state. The hub runs on a clock the test moves by hand: no timing assertions."""

from __future__ import annotations

from typing import Any

import msgpack

from server.hub import Hub, Watcher
from tests.domain.test_polls import PollRoom
from tests.server.support import apply_ops

PHONES = 40


class Room:
    """PHONES participants watching the participant view, a facilitator watching the dashboard, one open poll."""

    def __init__(self, **hub: Any) -> None:
        self.now = 100.0
        self.hub = Hub(interval=0.1, participant_interval=0.3, clock=lambda: self.now, **hub)
        self.r = PollRoom()
        self.names = [f"P{i}" for i in range(PHONES)]
        self.r.people(*self.names)
        self.r.given(self.r.create(), self.r.command("open_poll"))
        self.hub.catch_up(self.r.app)
        self.workshop_id = self.r.s.workshop_id
        self.woken: list[str] = []
        self.states: dict[str, dict[str, Any]] = {}
        self.positions: dict[str, list[int]] = {}
        self.watchers: dict[str, Watcher] = {}
        for name in ["dashboard", *self.names]:
            view = "dashboard" if name == "dashboard" else "participant"
            pid = None if name == "dashboard" else self.r.s.ids[name]
            w = Watcher(self.workshop_id, view, pid, lambda name=name: self.woken.append(name))
            self.watchers[name] = w
            self.hub.watch(w)
        self.receive_all()

    def vote(self, name: str, answer: str = "o1") -> None:
        self.r.given(self.r.vote(name, answer))
        self.hub.catch_up(self.r.app)

    def tick(self, seconds: float = 0.1) -> list[str]:
        """One tick of the hub; who was woken, in order; each woken watcher takes what it is sent."""
        self.now += seconds
        self.woken.clear()
        self.hub.flush()
        woken = list(self.woken)
        self.receive(woken)
        return woken

    def receive(self, names: list[str]) -> None:
        for name in names:
            while (frame := self.hub.next_frame(self.watchers[name], "msgpack")) is not None:
                message = msgpack.unpackb(frame)
                if message["type"] == "snapshot":
                    self.states[name] = message["data"]
                else:
                    self.states[name] = apply_ops(self.states[name], message["ops"])
                self.positions.setdefault(name, []).append(message["position"])

    def receive_all(self) -> None:
        self.receive(["dashboard", *self.names])
        self.woken.clear()

    def turnout(self, name: str) -> int:
        [poll] = self.states[name]["polls"].values()
        voted: int = poll["turnout"]["voted"]
        return voted


def test_with_many_phones_the_shared_part_waits_but_the_voter_and_the_dashboard_do_not() -> None:
    # 40 phones at 100 frames/s: the shared part at most every 0.4 s (not 0.3), woken 10 a tick (0.1 s).
    room = Room(participant_rate=100, slice_min=1)
    assert room.hub.shared_interval(room.workshop_id) == PHONES / 100
    room.tick(1.0)  # the shared part was rendered long ago
    room.receive_all()
    room.vote("P0")
    woken = room.tick(0.1)
    # The facilitator's dashboard first, then the voter's own ballot; nobody else's phone yet.
    assert woken == ["dashboard", "P0"]
    assert room.turnout("dashboard") == 1
    assert room.states["P0"]["me"]["ballots"] == {str(room.r.polls["p"]): {"q1": "o1"}}
    assert room.turnout("P1") == 0
    room.vote("P1")
    assert room.tick(0.1) == ["dashboard", "P1"]  # still within 0.4 s of the last shared render
    assert room.turnout("dashboard") == 2
    # Once 0.4 s have passed the shared part is rendered and its phones woken a slice per tick.
    slices = [room.tick(0.1) for _ in range(8)]
    phones = [name for names in slices for name in names if name != "dashboard"]
    assert all(len(names) <= 10 for names in slices)
    assert sorted(phones) == sorted(room.names)  # each phone once (P0 and P1 too: the new turnout is not theirs)
    assert all(room.turnout(name) == 2 for name in room.names)


def test_every_phone_ends_with_the_newest_state_and_positions_never_go_back() -> None:
    room = Room(participant_rate=100, slice_min=3)
    for i, name in enumerate(room.names[:25]):
        room.vote(name, f"o{1 + i % 3}")
        room.tick(0.05)
    for _ in range(20):  # no more votes: a few shared intervals
        room.tick(0.1)
    newest = room.hub.view(room.workshop_id, "participant", room.r.s.ids["P0"])
    for name in room.names:
        assert room.turnout(name) == 25
        assert room.positions[name] == sorted(room.positions[name])
        assert room.positions[name][-1] == newest["position"]
        expected = room.hub.view(room.workshop_id, "participant", room.r.s.ids[name])["data"]
        assert room.states[name] == expected
    assert room.turnout("dashboard") == 25


def test_a_room_of_a_few_phones_gets_the_shared_part_at_the_usual_pace_all_at_once() -> None:
    room = Room()  # defaults: 5,000 frames/s, at least 500 phones a tick
    assert room.hub.shared_interval(room.workshop_id) == 0.3
    room.tick(1.0)
    room.receive_all()
    room.vote("P3")
    assert room.tick(0.1) == ["dashboard", "P3"]
    ticks = [room.tick(0.1) for _ in range(3)]  # within about 0.3 s of the last shared render
    # Every phone in one tick (P3 too: its own ballot went out before the new turnout was rendered).
    assert sorted(name for woken in ticks for name in woken) == sorted(room.names)
    assert [len(woken) for woken in ticks if woken] == [PHONES]
    assert all(room.turnout(name) == 1 for name in room.names)
