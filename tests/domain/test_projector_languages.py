"""The projector's own language and a second one below (update_workshop: projector_language,
projector_second_language), folded into the workshop view the projector reads."""

from __future__ import annotations

import pytest

from domain import values
from tests.domain.builders import Scenario, then_error, then_events, then_nothing


@pytest.fixture(autouse=True)
def languages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(values, "LANGUAGES", ("en", "it", "de"))


def test_the_projector_gets_its_own_language_and_a_second_one() -> None:
    s = Scenario()
    w = s.when(s.command("update_workshop", {"projector_language": "de", "projector_second_language": "it"}))
    then_events(w, ("ProjectorLanguagesSet", {"language": "de", "second_language": "it"}))
    then_nothing(s.when(s.command("update_workshop", {"projector_language": "de"})))
    # Back to the workshop's language, keeping the second one; then no second language.
    then_events(s.when(s.command("update_workshop", {"projector_language": ""})),
                ("ProjectorLanguagesSet", {"language": "", "second_language": "it"}))  # fmt: skip
    then_events(s.when(s.command("update_workshop", {"projector_second_language": None})),
                ("ProjectorLanguagesSet", {"language": "", "second_language": ""}))  # fmt: skip


def test_details_and_projector_languages_change_in_one_command() -> None:
    s = Scenario()
    w = s.when(s.command("update_workshop", {"title": "Renamed", "projector_second_language": "de"}))
    then_events(w, "DetailsChanged", ("ProjectorLanguagesSet", {"language": "", "second_language": "de"}))


def test_an_unknown_projector_language_is_refused() -> None:
    s = Scenario()
    then_error(s.when(s.command("update_workshop", {"projector_language": "ja"})), "unknown_language")
    then_error(s.when(s.command("update_workshop", {"projector_second_language": 7})), "unknown_language")
