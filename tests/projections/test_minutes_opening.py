"""The minutes' opening paragraph: true statements of the figures, in the minutes' language, with plurals, made
from a workshop run through the application and folded into minutes (not hand-sorted rows)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.application import CREATE, Tavolo
from domain.commands import Actor
from projections.minutes import Attendance, Minutes, minutes
from projections.minutes_prose import opening
from server.archive import read_model_at, workshop_events
from server.i18n import translations
from tests.projections.scripted import DETAILS, Script, fake_clock

PEOPLE = (  # name, organisation (two spellings of one), its type, country
    ("Ada", "Cluster X", "cluster", "IT"),
    ("Bruno", "cluster x ", "cluster", "IT"),
    ("Carla", "Lab Y", "research", "IT"),
    ("Dan", "Z d.o.o.", "company", "SI"),
    ("Eva", "W GmbH", "", "AT"),
    ("Feri", "V Kft", "company", "HU"),
    ("Gosia", "U sp.", "", "PL"),
)


def _workshop(language: str = "en") -> Minutes:
    """Seven people, a closed poll won by its second option, a poll still open, questions one group answered."""
    with fake_clock() as clock:
        app = Tavolo({"PERSISTENCE_MODULE": "eventsourcing.popo"})
        s = Script(app, "opening")
        s.workshop_id = UUID(s.run(CREATE, {**DETAILS, "language": language}, Actor("anonymous"))["workshop_id"])
        people = {}
        for name, org, kind, country in PEOPLE:
            clock.advance(1)
            profile = {
                "name": name,
                "organisation": org,
                "organisation_type": kind,
                "country": country,
                "sector": "Energy",
            }
            people[name] = Actor("participant", s.run("join", profile, Actor("anonymous"))["participant_id"])

        def poll(options: list[str], votes: dict[str, str], close: bool) -> None:
            args = {"title": "Which first?", "kind": "single", "questions": [{"options": options}]}
            poll_id = s.run("create_poll", args)["poll_id"]
            s.run("open_poll", {"poll_id": poll_id})
            for name, choice in votes.items():
                clock.advance(0.5)
                s.run("cast_ballot", {"poll_id": poll_id, "answer": choice}, people[name])
            if close:
                s.run("close_poll", {"poll_id": poll_id})

        # The winner is the second option written (o2: Export), not the first row of the results.
        poll(["Skills", "Export", "Money"], {"Ada": "o1", "Bruno": "o2", "Carla": "o2", "Dan": "o3"}, True)
        poll(["Now", "Later"], {"Ada": "o1", "Bruno": "o1"}, False)  # still open: nobody "won" yet
        clock.advance(1)
        split_id = s.run("split_groups", {"strategy": "balanced", "groups": 2, "seed": 7})["split_id"]
        qs = s.run("pose_questions", {"split_id": split_id, "questions": ["Offer?", "Need?"]})["question_set_id"]
        where = {"question_set_id": qs, "group_id": "s1g1", "question_id": "q1"}
        s.run("add_contribution", {**where, "text": "Labs", "tags": []})  # group 2 never answers
        return minutes(read_model_at(workshop_events(app, s.workshop_id)), translations=translations(language))


def test_the_opening_says_who_came_from_where_and_what_was_done() -> None:
    m = _workshop()
    assert m.opening == (
        "7 participants from 5 countries took part; the largest share came from Italy (3). They represented 6 "
        "organisations: 2 companies, 1 cluster, 1 research organisation, and 2 of no stated type; their sector "
        "was Energy. The programme included 1 group answering 2 questions and 2 polls (“Export” won with 50%)."
    )
    # The Organisation table counts organisations by the same rule as the paragraph: one "Cluster X" of two people.
    assert ("Cluster X", 2) in m.attendance.organisations and len(m.attendance.organisations) == 6


def test_the_opening_in_italian_never_puts_da_before_a_countrys_name() -> None:
    text = _workshop("it").opening
    assert text.startswith("Hanno partecipato 7 persone da 5 paesi; paese più rappresentato: Italia (3). ")
    assert "1 gruppo con risposte a 2 domande" in text  # one group: no plural verb
    assert "«Export» ha vinto" in text and "da Italia" not in text
    named = Attendance(3, 3, 0, 0, (("IT", 2), ("NL", 1)), (), ())
    few = Minutes("T", "", "", "it", (), "", named, (), (), (), "Europe/Rome")
    assert opening(few, translations("it")) == "Hanno partecipato 3 persone; provenienza: Italia (2) e Paesi Bassi (1)."


def _minutes(language: str = "en", **attendance: Any) -> Minutes:
    a = {
        "joined": 10, "present": 10, "left": 0, "removed": 0, "countries": (), "organisations": (),
        "sectors": (), "organisation_types": (),
    } | attendance  # fmt: skip
    return Minutes("T", "2026-05-12", "", language, (), "", Attendance(**a), (), (), (), "Europe/Rome")


def test_the_opening_leaves_out_a_tie_and_what_did_not_happen_and_speaks_italian() -> None:
    countries = (("IT", 3), ("SI", 2), ("AT", 2), ("HU", 2), ("PL", 1))  # a tie for second: only Italy is "largest"
    m = _minutes("it", countries=countries, organisation_types=(("company", 1),))
    text = opening(m, translations("it"))
    assert text.startswith("Hanno partecipato 10 persone da 5 paesi; paese più rappresentato: Italia (3). ")
    assert "Rappresentavano 1 organizzazione: 1 impresa." in text
    empty = Minutes("T", "", "", "en", (), "", Attendance(0, 0, 0, 0, (), (), ()), (), (), ())
    assert opening(empty, translations("en")) == ""
