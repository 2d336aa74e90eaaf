"""Retries apply once, whatever their order: a property test over random histories.

A history is a sequence of commands on one workshop (agenda changes, the venue, ballots that replace each other).
Run once as it is, one command per batch, it gives the reference. Run again with retries of accepted commands (same
command id, same arguments) thrown in at random places after their original — several times, adjacent to later
commands, inside the same batch as their original, in batches of random sizes — it must record exactly the same
events and end in the same state: a retry is answered as a duplicate, never applied a second time, and a late retry
of "start item A" never undoes a later "start item B" nor does an old ballot replace a newer one.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.application import Command, Outcome
from domain.poll_commands import poll_id_for
from domain.polls import Poll
from domain.workshop import Workshop
from tests.domain.builders import Scenario, participant, stored_events

VOTERS = ("Ann", "Bob", "Cy")
ITEMS = ("A", "B", "C")
POLL = {"title": "Which?", "kind": "single", "questions": [{"options": ["X", "Y", "Z"]}]}

Op = tuple[str, str, str]  # (kind, target, value)

ops = st.one_of(
    st.tuples(st.just("venue"), st.just(""), st.sampled_from(["Rome", "Oslo", "Riga", "Porto"])),
    st.tuples(st.sampled_from(["start", "finish"]), st.sampled_from(ITEMS), st.just("")),
    st.tuples(st.just("vote"), st.sampled_from(VOTERS), st.sampled_from(["o1", "o2", "o3"])),
    st.tuples(st.just("close"), st.just(""), st.just("")),
)


class Room:
    """The same setting in each run: three participants, three agenda items, an open poll."""

    def __init__(self) -> None:
        self.s = Scenario()
        self.s.given(*(self.s.join(v) for v in VOTERS), *(self.s.add_item(i) for i in ITEMS))
        self.s.given(self.s.command("create_poll", POLL, id="create:poll"))
        self.poll_id = poll_id_for(self.s.workshop_id, "create:poll")
        self.s.given(self.s.command("open_poll", {"poll_id": str(self.poll_id)}, id="open:poll"))
        self.start = len(stored_events(self.s.app))

    def command(self, number: int, op: Op) -> Command:
        kind, target, value = op
        command_id = f"op-{number}"
        if kind == "venue":
            return self.s.command("update_workshop", {"venue": value}, id=command_id)
        if kind in ("start", "finish"):
            return self.s.command(f"{kind}_agenda_item", {"item_id": self.s.ids[target]}, id=command_id)
        if kind == "vote":
            args = {"poll_id": str(self.poll_id), "answer": value}
            return self.s.command("cast_ballot", args, participant(self.s.ids[target]), id=command_id)
        return self.s.command("close_poll", {"poll_id": str(self.poll_id)}, id=command_id)

    def run(self, batches: list[list[Command]]) -> list[Outcome]:
        return [o for batch in batches for o in self.s.app.execute(batch)]

    def state(self) -> dict[str, Any]:
        """What the history left, in terms that do not depend on the run's random ids."""
        alias = {pid: name for name, pid in self.s.ids.items()}
        events = stored_events(self.s.app)[self.start :]
        ballots = {alias[e.participant_id]: e.answers for e in events if isinstance(e, Poll.BallotCast)}
        workshop: Workshop = self.s.app.repository.get(self.s.workshop_id)
        poll: Poll = self.s.app.repository.get(self.poll_id)
        names = {self.s.workshop_id: "workshop", self.poll_id: "poll"}
        return {
            # Per aggregate: one batch saves aggregate after aggregate, so only each one's own order is fixed.
            "events": sorted(
                (names[e.originator_id], e.originator_version, type(e).__qualname__, e.command_id) for e in events
            ),
            "venue": workshop.venue,
            "agenda": [(alias[i.id], i.status) for i in workshop.agenda],
            "current": alias.get(workshop.current_item or ""),
            "ballots": ballots,
            "poll": poll.state,
        }


@settings(max_examples=60, deadline=None)
@given(history=st.lists(ops, min_size=1, max_size=14), data=st.data())
def test_retries_in_any_order_and_any_batches_apply_once(history: list[Op], data: st.DataObject) -> None:
    reference = Room()
    originals = [reference.command(n, op) for n, op in enumerate(history)]
    accepted = [o.error is None for o in reference.run([[c] for c in originals])]

    room = Room()
    commands = [room.command(n, op) for n, op in enumerate(history)]
    sequence: list[Command] = []
    for n, command in enumerate(commands):
        sequence.append(command)
        earlier = [c for c, ok in zip(commands[: n + 1], accepted, strict=False) if ok]
        if earlier:  # retries of anything accepted so far, the newest included
            sequence += data.draw(st.lists(st.sampled_from(earlier), max_size=3), label=f"retries after {n}")
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(sequence) - 1)), max_size=len(sequence)), label="cuts"))
    batches = [sequence[a:b] for a, b in zip([0, *cuts], [*cuts, len(sequence)], strict=True) if sequence[a:b]]

    outcomes = room.run(batches)

    seen: set[str] = set()
    for command, outcome in zip(sequence, outcomes, strict=True):
        if command.id in seen:  # a retry of an accepted command: acknowledged again, as a duplicate, recording nothing
            assert outcome.error is None and outcome.duplicate and not outcome.events, (command, outcome.error)
        seen.add(command.id)
    assert room.state() == reference.state()
