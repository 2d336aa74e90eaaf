"""A poll's text in other languages (domain/poll_translations.py): recorded by create/update/duplicate, validated
like the original, and folded into the poll view that phones and the projector read."""

from __future__ import annotations

from typing import Any

import pytest

from domain import values
from projections.tallies import fold, poll_view
from tests.domain.test_polls import PollRoom, then, then_error, then_nothing

GERMAN = {"de": {"title": "Mittagessen", "questions": [{"prompt": "Wo?", "options": ["Pizza", "Nudeln", "Salat"]}]}}


@pytest.fixture(autouse=True)
def german(monkeypatch: pytest.MonkeyPatch) -> None:
    """The workshop languages as the server configures them from its catalogues (here: en, it, de)."""
    monkeypatch.setattr(values, "LANGUAGES", ("en", "it", "de"))


@pytest.fixture
def room() -> PollRoom:
    r = PollRoom()
    r.people("Ann")
    return r


def _view(room: PollRoom) -> dict[str, Any]:
    return poll_view(fold(room.polls["p"], enumerate(room.events(), 1)))


def test_create_records_the_translations_after_the_poll_and_the_view_carries_them(room: PollRoom) -> None:
    w = room.when(room.create(translations=GERMAN))
    then(w, "Poll.Created", ("Poll.Translated", {"translations": GERMAN}))
    assert w.outcome.result == {"poll_id": str(room.polls["p"])}
    assert room.poll().translations == GERMAN
    assert _view(room)["translations"] == GERMAN
    assert _view(room)["title"] == "Lunch"  # the original stays the original


def test_a_create_without_translations_records_only_the_poll(room: PollRoom) -> None:
    then(room.when(room.create()), "Poll.Created")
    assert _view(room)["translations"] == {}


def test_update_replaces_them_and_the_same_ones_record_nothing(room: PollRoom) -> None:
    room.given(room.create(translations=GERMAN))
    italian = {"it": {"title": "Pranzo"}}
    then(room.when(room.command("update_poll", {"translations": italian})),
         ("Poll.Translated", {"translations": {"it": {"title": "Pranzo", "questions": []}}}))  # fmt: skip
    then_nothing(room.when(room.command("update_poll", {"translations": italian})))


def test_duplicate_copies_them(room: PollRoom) -> None:
    room.given(room.create(translations=GERMAN))
    w = room.when(room.command("duplicate_poll"))
    then(w, "Poll.Created", ("Poll.Translated", {"translations": GERMAN}))


@pytest.mark.parametrize(
    ("translations", "code"),
    [
        ({"ja": {"title": "昼食"}}, "unknown_language"),
        ({"de": "Mittagessen"}, "invalid_args"),
        ({"de": {"title": "x" * 201}}, "text_too_long"),
        ({"de": {"title": "Mittag\x00"}}, "invalid_text"),
        ({"de": {"questions": [{"prompt": "Wo?"}, {"prompt": "Wann?"}]}}, "invalid_args"),  # one question only
        ({"de": {"questions": [{"options": ["a", "b", "c", "d"]}]}}, "invalid_args"),  # three options only
        ({"de": {"questions": [{"colour": "rot"}]}}, "invalid_args"),
        ({"de": {"summary": "x"}}, "invalid_args"),
        (["de"], "invalid_args"),
    ],
)
def test_bad_translations_are_refused_and_nothing_is_created(room: PollRoom, translations: Any, code: str) -> None:
    then_error(room.when(room.create(translations=translations)), code)
