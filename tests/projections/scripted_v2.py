"""A second scripted workshop, with the capabilities added after version 1: a rotation (rounds held, a re-plan
after a departure, a star), the room timer (a PechaKucha), B2B matchmaking (slots, profiles, requests accepted,
declined and pending, a schedule, publication, attendance, outcomes) and a participant who asked to be anonymous.

``python -m tests.projections.scripted_v2 FILE`` writes it as an export file: that is how
tests/fixtures/workshop-v2.tavolo was made (kept from then on, like the first: see docs/replay.md). Rounds end by
``advance_round`` (what the server's timer sends at the round's end) on the fake clock.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from domain.application import CREATE, Tavolo
from domain.commands import Actor
from domain.rotations import Rotation
from tests.projections.scripted import Clock, Script, fake_clock

START = datetime(2026, 11, 23, 8, 55, tzinfo=UTC)
DETAILS: dict[str, Any] = {
    "title": "Cluster B2B day",
    "date": "2026-11-23",
    "venue": "Torino",
    "language": "en",
    "sectors": ["Agrifood", "Energy", "Mobility"],
}
PEOPLE = [  # name, organisation, country, sector, anonymous
    ("Ada", "Cluster X", "IT", "Agrifood", False),
    ("Bruno", "Cluster X", "IT", "Energy", False),
    ("Chloé", "Pôle Y", "FR", "Agrifood", False),
    ("Dan", "Z GmbH", "DE", "Mobility", False),
    ("Eva", "Pôle Y", "FR", "Energy", False),
    ("Greta", "Nordlab", "SE", "Mobility", True),
]
SLOTS = [
    {"start": "2026-11-23T10:00:00+00:00", "end": "2026-11-23T10:15:00+00:00"},
    {"start": "2026-11-23T10:15:00+00:00", "end": "2026-11-23T10:30:00+00:00"},
    {"start": "2026-11-23T10:30:00+00:00", "end": "2026-11-23T10:45:00+00:00"},
]


def build(app: Tavolo, clock: Clock) -> UUID:
    """Run the scripted workshop; returns its id."""
    s = Script(app, "v2")  # another workshop id than the first fixture's: both can be in one store
    created = s.run(CREATE, DETAILS, Actor("anonymous"))
    s.workshop_id = UUID(created["workshop_id"])
    items = {}
    for title, kind, start, minutes in (
        ("Speed networking", "plenary", "09:00", 30),
        ("Pitches", "plenary", "09:30", 15),
        ("B2B meetings", "plenary", "10:00", 45),
    ):
        args = {"title": title, "kind": kind, "planned_start": start, "duration_min": minutes}
        items[title] = s.run("add_agenda_item", args)["item_id"]
    people: dict[str, Actor] = {}
    for name, org, country, sector, anonymous in PEOPLE:
        clock.advance(1)
        profile = {"name": name, "organisation": org, "country": country, "sector": sector, "anonymous": anonymous}
        people[name] = Actor("participant", s.run("join", profile, Actor("anonymous"))["participant_id"])
    ids = {name: actor.participant_id for name, actor in people.items()}

    # Speed networking: pairs, 5-minute rounds; Dan leaves after round 2 and the rest is re-planned.
    clock.advance(1)
    s.run("start_agenda_item", {"item_id": items["Speed networking"]})
    plan = {"title": "Meet the clusters", "table_size": 2, "round_seconds": 300, "rounds": 4, "avoid": [],
            "seed": 11, "agenda_item_id": items["Speed networking"]}  # fmt: skip
    rotation = {"rotation_id": s.run("create_rotation", plan)["rotation_id"]}
    clock.advance(1)
    s.run("start_rotation", rotation)
    clock.advance(5)
    s.run("advance_round", {**rotation, "if_round": 1})
    held: Rotation = app.repository.get(UUID(rotation["rotation_id"]))
    partner = next(p for table in held.held[0] for p in table if ids["Ada"] in table and p != ids["Ada"])
    clock.advance(1)
    s.run("mark_follow_up", {**rotation, "participant_id": partner}, people["Ada"])
    clock.advance(4)
    s.run("advance_round", {**rotation, "if_round": 2})
    clock.advance(1)
    s.run("leave", {}, people["Dan"])
    for number in (3, 4):
        clock.advance(5 if number == 3 else 4)
        s.run("advance_round", {**rotation, "if_round": number})
    s.run("annotate", {"text": "Dan left for a call during round 3.", "item_id": items["Speed networking"]})
    clock.advance(2)

    # Pitches on the room timer: a PechaKucha of 20 slides of 20 seconds.
    s.run("start_agenda_item", {"item_id": items["Pitches"]})
    timer = {"seconds": 400, "segments": 20, "label": "PechaKucha", "agenda_item_id": items["Pitches"]}
    s.run("start_timer", timer)
    clock.advance(7)
    s.run("stop_timer", {})
    clock.advance(1)

    # B2B meetings.
    s.run("start_agenda_item", {"item_id": items["B2B meetings"]})
    s.run("configure_matchmaking", {"slots": SLOTS, "tables": 2, "requires_acceptance": True})
    for name, offers, seeks in (
        ("Ada", "Cold-chain logistics", "Partners for a pilot"),
        ("Bruno", "Grid balancing", "Test sites"),
        ("Greta", "A test track", "Energy partners"),
    ):
        s.run("save_match_profile", {"offers": offers, "seeks": seeks}, people[name])
    meetings = {}
    for requester, recipient, answer in (
        ("Ada", "Chloé", "accept"),
        ("Bruno", "Greta", "accept"),
        ("Eva", "Ada", "decline"),
        ("Chloé", "Eva", "accept"),
        ("Eva", "Bruno", None),
    ):
        clock.advance(0.5)
        args = {"participant_id": ids[recipient], "note": f"{requester} would like to meet."}
        meeting = s.run("request_meeting", args, people[requester])["meeting_id"]
        meetings[requester, recipient] = meeting
        if answer is not None:
            s.run(f"{answer}_meeting", {"meeting_id": meeting}, people[recipient])
    clock.advance(1)
    s.run("schedule_meetings", {})
    s.run("publish_schedule", {})
    clock.advance(20)
    for pair, attendance, by in (
        (("Ada", "Chloé"), "held", "Ada"),
        (("Bruno", "Greta"), "held", "Greta"),
        (("Chloé", "Eva"), "no_show", "Chloé"),
    ):
        s.run("mark_attendance", {"meeting_id": meetings[pair], "attendance": attendance}, people[by])
    outcomes = (
        (("Ada", "Chloé"), "joint_project", "A pilot on shared cold storage", "Chloé"),
        (("Bruno", "Greta"), "follow_up_visit", "A visit to the test track in March", "Bruno"),
    )
    for pair, outcome, text, by in outcomes:
        clock.advance(1)
        s.run("record_outcome", {"meeting_id": meetings[pair], "outcome": outcome, "text": text}, people[by])
    clock.advance(2)
    s.run("finish_agenda_item", {"item_id": items["B2B meetings"]})
    return s.workshop_id


def main(path: str) -> None:
    from server.archive import export_events, workshop_events

    with fake_clock(START) as clock:
        app = Tavolo({"PERSISTENCE_MODULE": "eventsourcing.popo"})
        workshop_id = build(app, clock)
    with open(path, "wb") as out:
        export_events(workshop_events(app, workshop_id), out)


if __name__ == "__main__":
    main(sys.argv[1])
