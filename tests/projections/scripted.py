"""A scripted workshop for the minutes, run through the application on a fake clock (so its times are fixed).

``python -m tests.projections.scripted FILE`` writes it as an export file: that is how
tests/fixtures/workshop-v1.tavolo was made (by the current version, and kept from then on: see docs/replay.md).
"""

from __future__ import annotations

import contextlib
import itertools
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock
from uuid import UUID

from domain.application import CREATE, Command, Tavolo
from domain.commands import Actor

FACILITATOR = Actor("facilitator")
START = datetime(2026, 11, 22, 9, 25, tzinfo=UTC)
DETAILS: dict[str, Any] = {
    "title": "Clusters meet",
    "date": "2026-11-22",
    "venue": "Bologna",
    "language": "en",
    "sectors": ["Agrifood", "Energy", "Mobility"],
}
PEOPLE = [
    ("Ada", "Cluster X", "IT", "Agrifood"),
    ("Bruno", "Cluster X", "IT", "Energy"),
    ("Chloé", "Pôle Y", "FR", "Agrifood"),
    ("Dan", "Z GmbH", "DE", "Mobility"),
    ("Eva", "Pôle Y", "FR", "Energy"),
    ("Finn", "Z GmbH", "DE", "Agrifood"),
]


class Clock:
    """The time events are stamped with: moves only when the script says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self._ticks = itertools.count()

    def __call__(self) -> datetime:
        # Events of one command get distinct microseconds, so their order is visible in their times.
        return self.now + timedelta(microseconds=next(self._ticks) % 1000)

    def advance(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)
        self._ticks = itertools.count()


@contextlib.contextmanager
def fake_clock(start: datetime = START) -> Iterator[Clock]:
    """Events' timestamps, and the server clock that rotation rounds and the room timer count down from."""
    clock = Clock(start)

    class Now(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return clock.now

    with (
        mock.patch("eventsourcing.domain.datetime_now_with_tzinfo", clock),
        mock.patch("domain.rotation_commands.datetime", Now),
        mock.patch("domain.timers.datetime", Now),
    ):
        yield clock


class Script:
    def __init__(self, app: Tavolo, prefix: str = "s") -> None:
        self.app, self.prefix = app, prefix  # command ids: the workshop's id derives from the first one
        self.ids = itertools.count(1)
        self.workshop_id: UUID | None = None

    def run(self, name: str, args: dict[str, Any], actor: Actor = FACILITATOR) -> dict[str, Any]:
        command = Command(f"{self.prefix}-{next(self.ids)}", name, args, self.workshop_id, actor)
        (outcome,) = self.app.execute([command])
        assert outcome.error is None, (name, outcome.error)
        return outcome.result


def build(app: Tavolo, clock: Clock, tokens: dict[str, str] | None = None) -> UUID:
    """Run the scripted workshop; returns its id. ``tokens``: the facilitator's and projector's, if chosen."""
    s = Script(app)
    created = s.run(CREATE, {**DETAILS, **(tokens or {})}, Actor("anonymous"))
    s.workshop_id = UUID(created["workshop_id"])
    items = {}
    for title, kind, start, minutes in (
        ("Opening", "plenary", "09:30", 30),
        ("Group work", "group_work", "10:00", 45),
        ("Vote on priorities", "poll", "10:45", 15),
        ("Wrap-up", "plenary", "11:00", 15),
    ):
        args = {"title": title, "kind": kind, "planned_start": start, "duration_min": minutes}
        items[title] = s.run("add_agenda_item", args)["item_id"]
    people = {}
    for name, org, country, sector in PEOPLE:
        clock.advance(1)
        profile = {"name": name, "organisation": org, "country": country, "sector": sector}
        people[name] = Actor("participant", s.run("join", profile, Actor("anonymous"))["participant_id"])

    clock.advance(1)
    s.run("start_agenda_item", {"item_id": items["Opening"]})
    poll = {"title": "Which area first?", "kind": "single", "questions": [{"options": ["Skills", "Export"]}]}
    poll_id = s.run("create_poll", poll)["poll_id"]
    clock.advance(5)
    s.run("open_poll", {"poll_id": poll_id})
    for name, choice in (("Ada", "o1"), ("Bruno", "o2"), ("Chloé", "o1"), ("Dan", "o1"), ("Bruno", "o1")):
        clock.advance(0.5)
        s.run("cast_ballot", {"poll_id": poll_id, "answer": choice}, people[name])
    clock.advance(3)
    s.run("close_poll", {"poll_id": poll_id})
    clock.advance(20)
    s.run("leave", {}, people["Finn"])

    clock.advance(1)
    s.run("start_agenda_item", {"item_id": items["Group work"]})
    split_id = s.run("split_groups", {"strategy": "balanced", "groups": 2, "seed": 7})["split_id"]
    s.run("rename_group", {"split_id": split_id, "group_id": "s1g1", "name": "Blue | team"})
    questions = {
        "split_id": split_id,
        "title": "Offers and needs",
        "questions": ["What can we offer?", "What do we need?"],
        "categories": ["Skills", "Money"],
    }
    qs = s.run("pose_questions", questions)["question_set_id"]
    answers = (
        ("s1g1", "q1", "Shared *labs*", ["Skills"]),
        ("s1g1", "q1", "Mentoring", []),
        ("s1g1", "q2", "Seed funds", ["Money"]),
        ("s1g2", "q1", "Export desks", ["Skills"]),
        ("s1g2", "q2", "Training\non export rules", ["Skills"]),
    )
    for group, question, text, tags in answers:
        clock.advance(2)
        where = {"question_set_id": qs, "group_id": group, "question_id": question}
        s.run("add_contribution", {**where, "text": text, "tags": tags})
    s.run("mark_final", {"question_set_id": qs, "group_id": "s1g1"})
    clock.advance(5)
    s.run("annotate", {"text": "Group 2 ran out of time.", "item_id": items["Group work"]})

    clock.advance(10)
    s.run("start_agenda_item", {"item_id": items["Vote on priorities"]})
    secret = {
        "title": "How ready are we?",
        "kind": "scale",
        "secret": True,
        "questions": [{"prompt": "Readiness", "scale": "1-5"}],
    }
    secret_id = s.run("create_poll", secret)["poll_id"]
    s.run("open_poll", {"poll_id": secret_id})
    for name, value in (("Ada", 4), ("Bruno", 3), ("Chloé", 5), ("Eva", 4)):
        clock.advance(0.5)
        s.run("cast_ballot", {"poll_id": secret_id, "answer": value}, people[name])
    clock.advance(4)
    s.run("close_poll", {"poll_id": secret_id})
    s.run("finish_agenda_item", {"item_id": items["Vote on priorities"]})
    clock.advance(2)
    s.run("annotate", {"text": "Bologna, not Modena.", "corrects": "venue in the invitation"})
    return s.workshop_id


def main(path: str) -> None:
    from server.archive import export_events, workshop_events

    with fake_clock() as clock:
        app = Tavolo({"PERSISTENCE_MODULE": "eventsourcing.popo"})
        workshop_id = build(app, clock)
    with open(path, "wb") as out:
        export_events(workshop_events(app, workshop_id), out)


if __name__ == "__main__":
    main(sys.argv[1])


def contribution_with_tags() -> tuple[Any, list[str]]:
    """A small workshop whose one answer carries two multi-word tags: its read model and the tags."""
    from server.archive import read_model_at, workshop_events

    categories = ["offer R&D and innovation", "seek partners abroad"]
    with fake_clock() as clock:
        app = Tavolo({"PERSISTENCE_MODULE": "eventsourcing.popo"})
        s = Script(app, "tags")
        s.workshop_id = UUID(s.run(CREATE, DETAILS, Actor("anonymous"))["workshop_id"])
        profile = {"name": "Ana", "organisation": "Lab", "country": "IT", "sector": DETAILS["sectors"][0]}
        s.run("join", profile, Actor("anonymous"))
        clock.advance(1)
        split_id = s.run("split_groups", {"strategy": "balanced", "groups": 1, "seed": 1})["split_id"]
        qs = s.run("pose_questions", {"split_id": split_id, "questions": ["What?"], "categories": categories})
        where = {"question_set_id": qs["question_set_id"], "group_id": "s1g1", "question_id": "q1"}
        s.run("add_contribution", {**where, "text": "Pilot lines", "tags": categories})
        return read_model_at(workshop_events(app, s.workshop_id)), categories
