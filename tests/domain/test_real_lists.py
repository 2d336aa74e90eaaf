"""What real registration lists contain: the EU's country codes, names in people's languages, a sector or a
category typed in another case. Join, profiles, tags and ``tavolo plan`` read them alike."""

from __future__ import annotations

import pytest

from domain import group_values, values
from domain.countries import parse_country
from domain.group_errors import UnknownCategory
from tests.domain.builders import ANONYMOUS, PROFILE, Scenario, then_error, then_events


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("UK", "GB"),  # the EU's code for the United Kingdom
        ("el", "GR"),  # ... and for Greece
        ("GB", "GB"),
        (" it ", "IT"),
        ("DEU", "DE"),  # ISO alpha-3
        ("Deutschland", "DE"),
        ("Grèce", "GR"),
        ("GRECE", "GR"),
        ("Ελλάδα", "GR"),
        ("Italia", "IT"),
        ("Regno Unito", "GB"),
        ("United Kingdom", "GB"),
        ("the Netherlands", "NL"),
        ("Turkey", "TR"),
        ("Côte d'Ivoire", "CI"),
    ],
)
def test_parse_country_reads_codes_and_names(given: str, code: str) -> None:
    assert parse_country(given) == code


@pytest.mark.parametrize("given", ["", "XX", "ZZZ", "Narnia", "EU", "Europe"])
def test_parse_country_refuses_what_is_no_country(given: str) -> None:
    assert parse_country(given) is None


@pytest.mark.parametrize(("given", "stored"), [("UK", "GB"), ("EL", "GR"), ("Deutschland", "DE"), ("Grèce", "GR")])
def test_join_accepts_eu_codes_and_names_and_stores_alpha_2(given: str, stored: str) -> None:
    s = Scenario()
    then_events(s.when(s.join("Ann", country=given)), ("ParticipantJoined", {"country": stored}))


def test_join_matches_the_sector_ignoring_case_and_accents_and_stores_the_workshops_spelling() -> None:
    s = Scenario(sectors=["CleanTech", "Agroalimentare e Caffè"])
    then_events(s.when(s.join("Ann", sector="Cleantech")), ("ParticipantJoined", {"sector": "CleanTech"}))
    bob = s.when(s.join("Bob", sector="agroalimentare e caffe"))
    then_events(bob, ("ParticipantJoined", {"sector": "Agroalimentare e Caffè"}))
    then_error(s.when(s.join("Cy", sector="Tourism")), "unknown_sector")


def test_profile_change_matches_the_sector_ignoring_case() -> None:
    s = Scenario(sectors=["CleanTech", "Energy"])
    s.given(s.join("Ann", sector="Energy"))
    when = s.when(s.command("update_profile", {"sector": "CLEANTECH"}, s.as_("Ann")))
    then_events(when, ("ProfileChanged", {"sector": "CleanTech"}))


def test_match_choice() -> None:
    assert values.match_choice("Offer", ("offer", "demand")) == "offer"
    assert values.match_choice("idee  nuove", ("Idée nuove",)) == "Idée nuove"
    assert values.match_choice("Café", ("Cafe", "Café")) == "Café"  # an exact match wins
    assert values.match_choice("x", ()) is None


def test_contribution_tags_match_categories_ignoring_case() -> None:
    assert group_values.tags(["Offer", "DEMAND"], ("offer", "demand", "idea")) == ("offer", "demand")
    with pytest.raises(UnknownCategory):
        group_values.tags(["gossip"], ("offer",))


def test_join_reports_every_invalid_field_at_once() -> None:
    s = Scenario()
    when = s.when(s.command("join", {"name": "", "organisation": " ", "country": "Narnia", "sector": "Agrifood"},
                            ANONYMOUS))  # fmt: skip
    then_error(when, "invalid_text")  # the first refused field's own code
    fields = when.outcome.error.details["fields"]  # type: ignore[union-attr]
    assert set(fields) == {"name", "organisation", "country"}
    assert fields["country"]["code"] == "unknown_country"
    assert fields["name"]["code"] == "invalid_text" and "name" in fields["name"]["message"]


def test_a_single_refused_field_keeps_its_code() -> None:
    s = Scenario()
    when = s.when(s.command("join", {**PROFILE, "name": "Ann", "country": "XX"}, ANONYMOUS))
    then_error(when, "unknown_country")
    assert set(when.outcome.error.details["fields"]) == {"country"}  # type: ignore[union-attr]


def test_matchmaking_markets_and_sectors_are_read_as_join_reads_them() -> None:
    s = Scenario(sectors=["CleanTech", "Energy"])
    s.given(s.join("Ann", sector="Energy"))
    sessions = [{"start": "2026-11-23T09:00:00+01:00", "end": "2026-11-23T10:00:00+01:00"}]
    s.given(s.command("configure_matchmaking", {"sessions": sessions, "slot_minutes": 20}))
    profile = {"markets": ["UK", "el", "Deutschland", "GB"], "sectors": ["cleantech", "Robotics"]}
    when = s.when(s.command("save_match_profile", profile, s.as_("Ann")))
    assert when.outcome.error is None, when.outcome.error
    (saved,) = [e for e in when.events if type(e).__name__ == "ProfileSaved"]
    assert (list(saved.markets), list(saved.sectors)) == (["GB", "GR", "DE"], ["CleanTech", "Robotics"])


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("Democratic Republic of the Congo", "CD"),
        ("DR Congo", "CD"),
        ("DRC", "CD"),
        ("Republic of the Congo", "CG"),
        ("Republic of Korea", "KR"),
        ("South Korea", "KR"),
        ("North Korea", "KP"),
        ("UAE", "AE"),
        ("Ivory Coast", "CI"),
        ("Czech Rep.", "CZ"),
        ("Kosovo", "XK"),
        ("XK", "XK"),  # the EU's and CLDR's code for Kosovo (pycountry has none)
        ("Kosova", "XK"),
    ],
)
def test_parse_country_reads_the_names_people_write_for_congo_korea_and_others(given: str, code: str) -> None:
    assert parse_country(given) == code


@pytest.mark.parametrize(
    ("given", "named"), [("Congo", ("CG", "CD")), ("the Congo", ("CG", "CD")), ("Korea", ("KR", "KP"))]
)
def test_a_country_name_of_two_countries_is_refused_naming_both(given: str, named: tuple[str, str]) -> None:
    assert parse_country(given) is None
    s = Scenario()
    when = s.when(s.join("Ann", country=given))
    then_error(when, "unknown_country")
    message = when.outcome.error.message if when.outcome.error else ""
    assert all(f"({code})" in message for code in named), message


def test_kosovo_joins_as_xk() -> None:
    s = Scenario()
    then_events(s.when(s.join("Ann", country="Kosovo")), ("ParticipantJoined", {"country": "XK"}))


def test_sectors_that_differ_only_by_accents_or_spaces_are_one_sector() -> None:
    assert values.sectors({"sectors": ["Agri-food", "Agri-fóod", "AGRI-FOOD", "Caffè  e tè", "caffe e te"]}) == (
        "Agri-food",
        "Caffè  e tè",
    )
