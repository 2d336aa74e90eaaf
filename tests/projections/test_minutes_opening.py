"""The minutes' opening paragraph: true statements of the figures, in the minutes' language, with plurals."""

from __future__ import annotations

from typing import Any

from projections.minutes import Attendance, ItemMinutes, Minutes, Section
from projections.minutes_prose import opening
from server.i18n import translations


def _minutes(language: str = "en", **attendance: Any) -> Minutes:
    others = tuple((c, 1) for c in "ABCDEFGHIJKLMNOPQR")  # 18 more countries, one person each
    sectors = (("Environment", 20), ("Green energy", 12), ("Packaging", 6), ("Automotive", 4))
    a = {
        "joined": 43, "present": 40, "left": 2, "removed": 1,
        "countries": (("IT", 9), ("SI", 5), ("AT", 4), ("HU", 3), ("PL", 3), *others),
        "organisations": (), "sectors": sectors,
        "organisation_types": (("cluster", 20), ("company", 12), ("research", 6)),
    } | attendance  # fmt: skip
    poll = {"kind": "single", "respondents": 40, "rows": [["Export", 18, 45.0], ["Skills", 12, 30.0]]}
    rotation = {"rounds_held": 10, "people": 30, "new_people_mean": 9.0}
    questions = {"questions": [{"groups": [{}] * 4} for _ in range(3)]}
    meetings = {"counts": {"scheduled": 200, "held": 187}}
    sections = (
        Section("rotation", "Speed dating", "", "i1", rotation),
        Section("questions", "Offers", "", "i1", questions),
        Section("poll", "Priority", "", "i1", {"questions": [poll]}),
        Section("poll", "Scale", "", "i1", {"questions": [{"kind": "scale", "respondents": 3, "rows": []}]}),
        Section("matchmaking", "B2B", "", "i1", meetings),
    )
    item = ItemMinutes("i1", 1, "Day", "plenary", "", 0, "done", "", "", sections=sections)
    return Minutes("T", "2026-05-12", "", language, (), "", Attendance(**a), (item,), (), (), "Europe/Rome")


def test_the_opening_says_who_came_from_where_and_what_was_done() -> None:
    text = opening(_minutes(), translations("en"))
    assert text == (
        "42 participants from 23 countries took part; the largest shares came from Italy (9), Slovenia (5) and "
        "Austria (4). They represented 38 organisations: 20 clusters, 12 companies and 6 research organisations; "
        "the main sectors were Environment, Green energy and Packaging. The programme included 10 rounds of speed "
        "dating in which each participant met 9 others on average, 4 groups answering 3 questions, 2 polls "
        "(“Export” won with 45%) and 187 meetings held out of 200 scheduled."
    )


def test_the_opening_leaves_out_a_tie_and_what_did_not_happen_and_speaks_italian() -> None:
    countries = (("IT", 3), ("SI", 2), ("AT", 2), ("HU", 2), ("PL", 1))  # a tie for second: only Italy is "largest"
    m = _minutes("it", joined=10, removed=0, countries=countries, organisation_types=(("company", 1),))
    text = opening(m, translations("it"))
    assert text.startswith("Hanno partecipato 10 persone da 5 paesi; i gruppi più numerosi venivano da Italia (3). ")
    assert "Rappresentavano 1 organizzazione: 1 impresa;" in text
    empty = Minutes("T", "", "", "en", (), "", Attendance(0, 0, 0, 0, (), (), ()), (), (), ())
    assert opening(empty, translations("en")) == ""
