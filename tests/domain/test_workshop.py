"""The Workshop: given earlier commands (or events), when a command runs, then these events or this error."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import msgpack
import pytest
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import application, values
from domain.application import CREATE, Command, Tavolo, workshop_id_for
from domain.commands import COMMANDS, Actor, Spec
from domain.tokens import CODE_ALPHABET, CODE_LENGTH, hash_token
from domain.transcoder import MsgpackTranscoder
from domain.workshop import JoinCode, Workshop
from tests.domain.builders import (
    ANONYMOUS,
    DETAILS,
    FACILITATOR,
    MEMORY,
    PROFILE,
    Scenario,
    create,
    event_name,
    new_id,
    participant,
    plain,
    stored_events,
    then_error,
    then_events,
    then_nothing,
)

ANN_TOKEN = "ann-" + "T" * 40  # a client-chosen join token (URL-safe, 44 characters)
STRANGER = str(uuid.uuid4())  # no participant and no agenda item has this id


@pytest.fixture
def room() -> Scenario:
    """Ann is present (joined with her own token), Bob left, Cy was removed; A is running, B is planned."""
    s = Scenario()
    s.given(
        s.join("Ann", token=ANN_TOKEN),
        s.join("Bob", country="FR", organisation="Cluster Y", sector="Energy"),
        s.join("Cy"),
        s.add_item("A"),
        s.add_item("B"),
    )
    s.given(
        s.command("leave", {}, s.as_("Bob")),
        s.command("remove_participant", {"participant_id": s.ids["Cy"]}),
        s.command("start_agenda_item", {"item_id": s.ids["A"]}),
    )
    return s


# ------------------------------------------------------------------------------------------------------------
# Happy paths, command by command.


class TestCreateWorkshop:
    def test_records_the_workshop_and_reserves_its_join_code(self) -> None:
        app = Tavolo(MEMORY)
        command = create(
            "new-workshop", title="  Clusters meet ", venue="", sectors=["Agrifood", " agrifood", "Energy"]
        )
        [outcome] = app.execute([command])
        assert outcome.error is None and not outcome.duplicate
        r = outcome.result
        assert r["workshop_id"] == str(workshop_id_for("new-workshop"))
        created, reserved = stored_events(app)
        assert event_name(created) == "Created" and event_name(reserved) == "JoinCode.Created"
        assert created.originator_id == workshop_id_for("new-workshop")
        assert (created.title, created.date, created.venue, created.language) == (
            "Clusters meet",
            "2026-11-22",
            "",
            "en",
        )
        assert plain(created.sectors) == ["Agrifood", "Energy"]  # trimmed, duplicates (any case) dropped
        assert created.code == r["code"]
        assert created.facilitator_token_hash == hash_token(r["facilitator_token"])
        assert created.projector_token_hash == hash_token(r["projector_token"])
        assert created.command_id == "new-workshop"
        assert reserved.originator_id == JoinCode.id_for(r["code"])
        assert reserved.workshop_id == created.originator_id
        assert app.workshop_for_code(r["code"]) == created.originator_id
        assert [p for p, _ in outcome.events] == [1, 2] and outcome.position == 2

    def test_tokens_are_43_url_safe_characters_and_differ(self) -> None:
        s = Scenario()
        tokens = [s.created.result["facilitator_token"], s.created.result["projector_token"]]
        for token in tokens:
            assert len(token) == 43 and values._TOKEN.match(token)
        assert tokens[0] != tokens[1]

    def test_join_codes_are_six_unambiguous_characters_and_unique(self) -> None:
        app = Tavolo(MEMORY)
        outcomes = app.execute([create() for _ in range(60)])
        codes = [o.result["code"] for o in outcomes]
        assert len(set(codes)) == len(codes)
        for o, code in zip(outcomes, codes, strict=True):
            assert len(code) == CODE_LENGTH == 6
            assert set(code) <= set(CODE_ALPHABET)
            assert app.workshop_for_code(code) == uuid.UUID(o.result["workshop_id"])
        assert not set(CODE_ALPHABET) & set("01OIL")

    def test_a_date_is_normalised(self) -> None:
        app = Tavolo(MEMORY)
        app.execute([create("c", date="20261122")])
        assert stored_events(app)[0].date == "2026-11-22"

    def test_an_unknown_code_finds_no_workshop(self) -> None:
        assert Tavolo(MEMORY).workshop_for_code("ZZZZZZ") is None


class TestJoin:
    def test_records_the_profile_and_a_hashed_generated_token(self) -> None:
        s = Scenario()
        w = s.when(
            s.command(
                "join",
                {
                    "name": " Anna ",
                    "organisation": "Cluster X",
                    "country": "it",
                    "sector": "Energy",
                    "role": "Researcher",
                    "language": "it",
                },
                ANONYMOUS,
            )
        )
        token = w.outcome.result["participant_token"]
        then_events(
            w,
            (
                "ParticipantJoined",
                {
                    "participant_id": w.outcome.result["participant_id"],
                    "name": "Anna",
                    "organisation": "Cluster X",
                    "country": "IT",
                    "sector": "Energy",
                    "role": "Researcher",
                    "language": "it",
                    "token_hash": hash_token(token),
                },
            ),
        )
        assert len(token) == 43
        assert set(w.outcome.result) == {"participant_id", "participant_token"}

    def test_optional_fields_default_to_no_role_and_the_workshop_language(self) -> None:
        s = Scenario(language="it")
        w = s.when(s.command("join", {**PROFILE, "name": "Ann"}, ANONYMOUS))
        then_events(w, ("ParticipantJoined", {"role": "", "language": "it"}))

    def test_a_client_chosen_token_is_stored_hashed_and_not_returned(self) -> None:
        s = Scenario()
        w = s.when(s.command("join", {**PROFILE, "name": "Ann", "token": ANN_TOKEN}, ANONYMOUS))
        then_events(w, ("ParticipantJoined", {"token_hash": hash_token(ANN_TOKEN)}))
        assert set(w.outcome.result) == {"participant_id"}

    def test_text_is_nfc_normalised(self) -> None:
        s = Scenario()
        w = s.when(s.command("join", {**PROFILE, "name": "Nicole\u0301"}, ANONYMOUS))
        then_events(w, ("ParticipantJoined", {"name": "Nicol\u00e9"}))

    @pytest.mark.parametrize(
        "name",
        ["Zo\u00eb \U0001f600", "\u0627\u062d\u0645\u062f", "Ana \U0001f469\U0001f3fd\u200d\U0001f4bb"],
        ids=["emoji", "arabic", "zero-width-joiner-in-an-emoji-sequence"],
    )
    def test_any_script_is_allowed(self, name: str) -> None:
        s = Scenario()
        then_events(
            s.when(s.command("join", {**PROFILE, "name": name}, ANONYMOUS)),
            ("ParticipantJoined", {"name": name}),
        )

    @pytest.mark.parametrize(
        "name",
        ["\u202eevil", "a\u2066b", "\u200b", "\u200b\u200d"],
        ids=["bidi-override", "bidi-isolate", "only-zero-width-space", "only-format-characters"],
    )
    def test_spoofing_and_invisible_names_are_refused(self, name: str) -> None:
        s = Scenario()
        then_error(s.when(s.command("join", {**PROFILE, "name": name}, ANONYMOUS)), "invalid_text")

    def test_a_zero_width_joiner_between_letters_is_removed(self) -> None:
        """It draws nothing between letters: the name would look like one without it (domain/text.py)."""
        s = Scenario()
        w = s.when(s.command("join", {**PROFILE, "name": "Jos\u00e9\u200dMar\u00eda"}, ANONYMOUS))
        then_events(w, ("ParticipantJoined", {"name": "Jos\u00e9Mar\u00eda"}))

    def test_texts_at_their_limits_are_accepted(self) -> None:
        s = Scenario()
        w = s.when(
            s.command("join", {**PROFILE, "name": "n" * 80, "organisation": "o" * 120, "role": "r" * 80}, ANONYMOUS)
        )
        then_events(w, "ParticipantJoined")

    def test_a_participant_who_left_frees_a_seat(self) -> None:
        s = Scenario(max_participants=2)
        s.given(s.join("Ann"), s.join("Bob"))
        then_error(s.when(s.join("Cy")), "workshop_full")
        s.given(s.command("leave", {}, s.as_("Bob")))
        then_events(s.when(s.join("Cy")), "ParticipantJoined")
        then_error(s.when(s.join("Dee")), "workshop_full")
        s.given(s.command("remove_participant", {"participant_id": s.ids["Ann"]}))
        then_events(s.when(s.join("Dee")), "ParticipantJoined")

    def test_the_limit_holds_inside_one_batch(self) -> None:
        s = Scenario(max_participants=2)
        w = s.when(s.join("Ann"), s.join("Bob"), s.join("Cy"))
        assert [o.error.code if o.error else None for o in w.outcomes] == [None, None, "workshop_full"]
        assert [e.name for e in w.events] == ["Ann", "Bob"]


class TestUpdateProfile:
    def test_records_every_field_with_its_new_value(self, room: Scenario) -> None:
        w = room.when(room.command("update_profile", {"name": "Ann B.", "country": "fr"}, room.as_("Ann")))
        then_events(
            w,
            (
                "ProfileChanged",
                {
                    "participant_id": room.ids["Ann"],
                    "name": "Ann B.",
                    "organisation": "Cluster X",
                    "country": "FR",
                    "sector": "Agrifood",
                    "role": "",
                    "language": "en",
                },
            ),
        )
        assert room.workshop().participants[room.ids["Ann"]].name == "Ann B."

    def test_clearing_the_role(self, room: Scenario) -> None:
        room.given(room.command("update_profile", {"role": "Chair"}, room.as_("Ann")))
        then_events(
            room.when(room.command("update_profile", {"role": None}, room.as_("Ann"))),
            ("ProfileChanged", {"role": ""}),
        )

    @pytest.mark.parametrize("args", [{}, {"name": "Ann"}, {"name": "  Ann  ", "country": "it"}])
    def test_the_same_profile_records_nothing(self, room: Scenario, args: dict[str, Any]) -> None:
        then_nothing(room.when(room.command("update_profile", args, room.as_("Ann"))))


class TestLeave:
    def test_records_that_the_participant_left(self, room: Scenario) -> None:
        then_events(
            room.when(room.command("leave", {}, room.as_("Ann"))),
            ("ParticipantLeft", {"participant_id": room.ids["Ann"]}),
        )
        assert room.workshop().participants[room.ids["Ann"]].status == "left"
        then_error(room.when(room.command("update_profile", {"name": "X"}, room.as_("Ann"))), "not_joined")
        then_error(room.when(room.command("leave", {}, room.as_("Ann"))), "not_joined")

    def test_a_token_stays_taken_after_its_participant_left(self, room: Scenario) -> None:
        room.given(room.command("leave", {}, room.as_("Ann")))
        then_error(room.when(room.join("Ann2", token=ANN_TOKEN)), "token_in_use")


class TestRemoveParticipant:
    def test_records_the_removal(self, room: Scenario) -> None:
        then_events(
            room.when(room.command("remove_participant", {"participant_id": room.ids["Ann"]})),
            ("ParticipantRemoved", {"participant_id": room.ids["Ann"]}),
        )
        assert room.workshop().participants[room.ids["Ann"]].status == "removed"
        then_error(room.when(room.command("leave", {}, room.as_("Ann"))), "not_joined")


class TestUpdateWorkshop:
    def test_records_every_detail_with_its_new_value(self, room: Scenario) -> None:
        w = room.when(room.command("update_workshop", {"title": "Renamed", "sectors": ["Energy", "Tourism"]}))
        then_events(
            w,
            (
                "DetailsChanged",
                {
                    "title": "Renamed",
                    "date": "2026-11-22",
                    "venue": "Bologna",
                    "language": "en",
                    "sectors": ["Energy", "Tourism"],
                },
            ),
        )
        workshop = room.workshop()
        assert (workshop.title, workshop.sectors) == ("Renamed", ("Energy", "Tourism"))
        then_events(room.when(room.join("Dee", sector="Tourism")), "ParticipantJoined")

    def test_a_removed_sector_stays_valid_for_who_chose_it_until_they_change_it(self) -> None:
        s = Scenario()
        s.given(s.join("Ann", sector="Agrifood"))
        s.given(s.command("update_workshop", {"sectors": ["Energy"]}))
        then_events(s.when(s.command("update_profile", {"name": "Ann R."}, s.as_("Ann"))), "ProfileChanged")
        then_error(s.when(s.command("update_profile", {"sector": "Tourism"}, s.as_("Ann"))), "unknown_sector")
        then_error(s.when(s.join("Bea", sector="Agrifood")), "unknown_sector")

    def test_all_details_at_once(self, room: Scenario) -> None:
        args = {"title": "T2", "date": "2027-01-31", "venue": "Torino", "language": "it", "sectors": ["A"]}
        then_events(room.when(room.command("update_workshop", args)), ("DetailsChanged", args))

    @pytest.mark.parametrize(
        "args", [{}, {"title": " Clusters meet "}, {"sectors": ["Agrifood", "Energy", "Mobility", "energy"]}]
    )
    def test_the_same_details_record_nothing(self, room: Scenario, args: dict[str, Any]) -> None:
        then_nothing(room.when(room.command("update_workshop", args)))


class TestAddAgendaItem:
    def test_records_the_item_with_defaults(self, room: Scenario) -> None:
        w = room.when(room.command("add_agenda_item", {"title": " Welcome ", "kind": "plenary"}))
        then_events(
            w,
            (
                "AgendaItemAdded",
                {
                    "item_id": w.outcome.result["item_id"],
                    "title": "Welcome",
                    "kind": "plenary",
                    "planned_start": "",
                    "duration_min": 0,
                },
            ),
        )
        assert set(w.outcome.result) == {"item_id"}
        assert [i.title for i in room.workshop().agenda] == ["A", "B", "Welcome"]

    @pytest.mark.parametrize("kind", values.AGENDA_KINDS)
    def test_every_kind_with_a_time_and_duration(self, room: Scenario, kind: str) -> None:
        args = {"title": "X", "kind": kind, "planned_start": "23:59", "duration_min": 1440}
        then_events(room.when(room.command("add_agenda_item", args)), ("AgendaItemAdded", args))

    def test_an_agenda_holds_at_most_300_items(self) -> None:
        s = Scenario()
        s.given(*[s.add_item(f"i{n}") for n in range(values.AGENDA_MAX)])
        then_error(s.when(s.add_item("one too many")), "invalid_args")
        s.given(s.command("remove_agenda_item", {"item_id": s.ids["i0"]}))
        then_events(s.when(s.add_item("fits again")), "AgendaItemAdded")


class TestUpdateAgendaItem:
    def test_records_every_field_with_its_new_value(self, room: Scenario) -> None:
        w = room.when(room.command("update_agenda_item", {"item_id": room.ids["B"], "duration_min": 15}))
        then_events(
            w,
            (
                "AgendaItemChanged",
                {
                    "item_id": room.ids["B"],
                    "title": "B",
                    "kind": "plenary",
                    "planned_start": "",
                    "duration_min": 15,
                },
            ),
        )

    def test_clearing_the_time_and_duration(self, room: Scenario) -> None:
        room.given(
            room.command("update_agenda_item", {"item_id": room.ids["B"], "planned_start": "10:00", "duration_min": 5})
        )
        w = room.when(
            room.command("update_agenda_item", {"item_id": room.ids["B"], "planned_start": "", "duration_min": None})
        )
        then_events(w, ("AgendaItemChanged", {"planned_start": "", "duration_min": 0}))

    def test_the_same_fields_record_nothing(self, room: Scenario) -> None:
        room.given(room.add_item("C", planned_start="09:00", duration_min=30))
        then_nothing(
            room.when(room.command("update_agenda_item", {"item_id": room.ids["C"], "title": "C", "kind": "plenary"}))
        )

    def test_an_item_added_without_time_or_duration_can_be_renamed(self, room: Scenario) -> None:
        # B was added with neither planned_start nor duration_min (both optional): renaming it must not
        # require inventing a duration.
        w = room.when(room.command("update_agenda_item", {"item_id": room.ids["B"], "title": "B, renamed"}))
        then_events(w, ("AgendaItemChanged", {"title": "B, renamed", "planned_start": "", "duration_min": 0}))


class TestRemoveAgendaItem:
    def test_records_the_removal(self, room: Scenario) -> None:
        then_events(
            room.when(room.command("remove_agenda_item", {"item_id": room.ids["B"]})),
            ("AgendaItemRemoved", {"item_id": room.ids["B"]}),
        )
        assert [i.title for i in room.workshop().agenda] == ["A"]

    def test_removing_the_running_item_leaves_nothing_running(self, room: Scenario) -> None:
        then_events(room.when(room.command("remove_agenda_item", {"item_id": room.ids["A"]})), "AgendaItemRemoved")
        assert room.workshop().current_item is None


class TestReorderAgenda:
    def test_records_the_new_order(self, room: Scenario) -> None:
        room.given(room.add_item("C"))
        order = [room.ids["C"], room.ids["A"], room.ids["B"]]
        then_events(
            room.when(room.command("reorder_agenda", {"item_ids": order})),
            ("AgendaReordered", {"item_ids": order}),
        )
        assert [i.title for i in room.workshop().agenda] == ["C", "A", "B"]

    def test_the_same_order_records_nothing(self, room: Scenario) -> None:
        then_nothing(room.when(room.command("reorder_agenda", {"item_ids": [room.ids["A"], room.ids["B"]]})))

    def test_an_empty_agenda_in_no_order(self) -> None:
        s = Scenario()
        then_nothing(s.when(s.command("reorder_agenda", {"item_ids": []})))


class TestStartAgendaItem:
    def test_starting_an_item_finishes_the_running_one(self, room: Scenario) -> None:
        w = room.when(room.command("start_agenda_item", {"item_id": room.ids["B"]}))
        then_events(
            w,
            ("AgendaItemFinished", {"item_id": room.ids["A"]}),
            ("AgendaItemStarted", {"item_id": room.ids["B"]}),
        )
        workshop = room.workshop()
        assert [i.status for i in workshop.agenda] == ["done", "running"]
        assert workshop.current_item == room.ids["B"]

    def test_starting_when_nothing_runs(self) -> None:
        s = Scenario()
        s.given(s.add_item("A"))
        then_events(
            s.when(s.command("start_agenda_item", {"item_id": s.ids["A"]})),
            ("AgendaItemStarted", {"item_id": s.ids["A"]}),
        )

    def test_starting_the_running_item_records_nothing(self, room: Scenario) -> None:
        then_nothing(room.when(room.command("start_agenda_item", {"item_id": room.ids["A"]})))

    def test_a_finished_item_can_run_again(self, room: Scenario) -> None:
        room.given(room.command("finish_agenda_item", {"item_id": room.ids["A"]}))
        then_events(room.when(room.command("start_agenda_item", {"item_id": room.ids["A"]})), "AgendaItemStarted")


class TestFinishAgendaItem:
    def test_records_the_end_of_the_running_item(self, room: Scenario) -> None:
        then_events(
            room.when(room.command("finish_agenda_item", {"item_id": room.ids["A"]})),
            ("AgendaItemFinished", {"item_id": room.ids["A"]}),
        )
        workshop = room.workshop()
        assert workshop.current_item is None and workshop.agenda[0].status == "done"
        then_error(room.when(room.command("finish_agenda_item", {"item_id": room.ids["A"]})), "item_not_running")


# ------------------------------------------------------------------------------------------------------------
# Every error code, command by command. Arguments may name aliases: "@Ann" is Ann's participant id.

MISSING = object()
Build = Callable[[Scenario], Command]


def _resolve(s: Scenario, value: Any) -> Any:
    if isinstance(value, str) and value.startswith("@"):
        return s.ids[value[1:]]
    if isinstance(value, list):
        return [_resolve(s, v) for v in value]
    return value


def _args(s: Scenario, base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    return {k: _resolve(s, v) for k, v in {**base, **changes}.items() if v is not MISSING}


def create_with(**changes: Any) -> Build:
    return lambda s: Command(new_id("create"), CREATE, _args(s, DETAILS, changes), None, ANONYMOUS)


def join_with(**changes: Any) -> Build:
    return lambda s: s.command("join", _args(s, {**PROFILE, "name": "Dee"}, changes), ANONYMOUS)


def as_ann(command: str, **args: Any) -> Build:
    return lambda s: s.command(command, _args(s, {}, args), s.as_("Ann"))


def as_who(command: str, who: str) -> Build:
    return lambda s: s.command(command, {}, participant(s.ids.get(who, who)))


def fac(command: str, **args: Any) -> Build:
    return lambda s: s.command(command, _args(s, {}, args))


def elsewhere(
    workshop_id: Callable[[Scenario], uuid.UUID | None],
    command: str = "add_agenda_item",
    actor: Actor = FACILITATOR,
    **args: Any,
) -> Build:
    """A command on another workshop id (one that does not exist, or is not a workshop)."""
    return lambda s: s.command(command, args or {"title": "X", "kind": "plenary"}, actor, workshop_id=workshop_id(s))


SIXTY_ONE = [f"S{n}" for n in range(61)]

ERRORS = [
    # create_workshop
    pytest.param(create_with(colour="red"), "invalid_args", id="create-unknown-arg"),
    pytest.param(create_with(title=MISSING), "invalid_args", id="create-title-missing"),
    pytest.param(create_with(title=42), "invalid_args", id="create-title-not-text"),
    pytest.param(create_with(title="   "), "invalid_text", id="create-title-blank"),
    pytest.param(create_with(title="T\x00"), "invalid_text", id="create-title-nul"),
    pytest.param(create_with(title="x" * 201), "text_too_long", id="create-title-201"),
    pytest.param(create_with(venue="x" * 201), "text_too_long", id="create-venue-201"),
    pytest.param(create_with(venue="Via\tRoma"), "invalid_text", id="create-venue-tab"),
    pytest.param(create_with(date=MISSING), "invalid_args", id="create-date-missing"),
    pytest.param(create_with(date="22/11/2026"), "invalid_args", id="create-date-format"),
    pytest.param(create_with(date="2026-02-30"), "invalid_args", id="create-date-impossible"),
    pytest.param(create_with(date=20261122), "invalid_args", id="create-date-not-text"),
    pytest.param(create_with(language="ja"), "unknown_language", id="create-language"),
    pytest.param(create_with(sectors=MISSING), "invalid_args", id="create-sectors-missing"),
    pytest.param(create_with(sectors=[]), "invalid_args", id="create-sectors-empty"),
    pytest.param(create_with(sectors="Agrifood"), "invalid_args", id="create-sectors-not-list"),
    pytest.param(create_with(sectors=SIXTY_ONE), "invalid_args", id="create-sectors-61"),
    pytest.param(create_with(sectors=[5]), "invalid_args", id="create-sector-not-text"),
    pytest.param(create_with(sectors=["x" * 81]), "text_too_long", id="create-sector-81"),
    pytest.param(create_with(sectors=["A", " "]), "invalid_text", id="create-sector-blank"),
    # join
    pytest.param(join_with(email="a@b.c"), "invalid_args", id="join-unknown-arg"),
    pytest.param(join_with(name=MISSING), "invalid_args", id="join-name-missing"),
    pytest.param(join_with(name=42), "invalid_args", id="join-name-not-text"),
    pytest.param(join_with(name=""), "invalid_text", id="join-name-empty"),
    pytest.param(join_with(name=" \t "), "invalid_text", id="join-name-blank"),
    pytest.param(join_with(name="A\x00"), "invalid_text", id="join-name-nul-Cc"),
    pytest.param(join_with(name="Ann\nBob"), "invalid_text", id="join-name-newline-Cc"),
    pytest.param(join_with(name="Ann\x7f"), "invalid_text", id="join-name-del-Cc"),
    pytest.param(join_with(name="Ann\ud800"), "invalid_text", id="join-name-surrogate-Cs"),
    pytest.param(join_with(name="Ann\ue000"), "invalid_text", id="join-name-private-use-Co"),
    pytest.param(join_with(name="Ann\u0378"), "invalid_text", id="join-name-unassigned-Cn"),
    pytest.param(join_with(name="n" * 81), "text_too_long", id="join-name-81"),
    pytest.param(join_with(organisation=MISSING), "invalid_args", id="join-organisation-missing"),
    pytest.param(join_with(organisation="o" * 121), "text_too_long", id="join-organisation-121"),
    pytest.param(join_with(role="r" * 81), "text_too_long", id="join-role-81"),
    pytest.param(join_with(role=5), "invalid_args", id="join-role-not-text"),
    pytest.param(join_with(country="XX"), "unknown_country", id="join-country-XX"),
    pytest.param(join_with(country="ZZZ"), "unknown_country", id="join-country-not-alpha-3"),
    pytest.param(join_with(country="Narnia"), "unknown_country", id="join-country-no-such-name"),
    pytest.param(join_with(country=""), "unknown_country", id="join-country-empty"),
    pytest.param(join_with(country=39), "invalid_args", id="join-country-not-text"),
    pytest.param(join_with(country=MISSING), "invalid_args", id="join-country-missing"),
    pytest.param(join_with(sector="Tourism"), "unknown_sector", id="join-sector-unknown"),
    pytest.param(join_with(sector=MISSING), "invalid_args", id="join-sector-missing"),
    pytest.param(join_with(sector=3), "invalid_args", id="join-sector-not-text"),
    pytest.param(join_with(language="ja"), "unknown_language", id="join-language"),
    pytest.param(join_with(token="short"), "invalid_args", id="join-token-short"),
    pytest.param(join_with(token="t" * 42), "invalid_args", id="join-token-42"),
    pytest.param(join_with(token="t" * 129), "invalid_args", id="join-token-129"),
    pytest.param(join_with(token="/" * 43), "invalid_args", id="join-token-not-url-safe"),
    pytest.param(join_with(token=10**50), "invalid_args", id="join-token-not-text"),
    pytest.param(join_with(token=ANN_TOKEN), "token_in_use", id="join-token-of-present"),
    pytest.param(
        lambda s: s.command("join", {**PROFILE, "name": "Bob2", "token": s.tokens["Bob"]}, ANONYMOUS),
        "token_in_use",
        id="join-token-of-left",
    ),
    pytest.param(
        elsewhere(lambda s: uuid.uuid4(), "join", ANONYMOUS, **PROFILE, name="D"),
        "not_found",
        id="join-no-such-workshop",
    ),
    pytest.param(
        elsewhere(lambda s: None, "join", ANONYMOUS, **PROFILE, name="D"),
        "not_found",
        id="join-no-workshop-id",
    ),
    pytest.param(
        elsewhere(lambda s: JoinCode.id_for(s.code), "join", ANONYMOUS, **PROFILE, name="D"),
        "not_found",
        id="join-join-code-id",
    ),
    # update_profile
    pytest.param(as_ann("update_profile", token=ANN_TOKEN), "invalid_args", id="profile-unknown-arg"),
    pytest.param(as_ann("update_profile", name=None), "invalid_args", id="profile-name-null"),
    pytest.param(as_ann("update_profile", name=""), "invalid_text", id="profile-name-empty"),
    pytest.param(as_ann("update_profile", name="n" * 81), "text_too_long", id="profile-name-81"),
    pytest.param(as_ann("update_profile", organisation="\x1bX"), "invalid_text", id="profile-org-escape"),
    pytest.param(as_ann("update_profile", role=123), "invalid_args", id="profile-role-not-text"),
    pytest.param(as_ann("update_profile", country="ZZ"), "unknown_country", id="profile-country"),
    pytest.param(as_ann("update_profile", sector="Tourism"), "unknown_sector", id="profile-sector"),
    pytest.param(as_ann("update_profile", language="ja"), "unknown_language", id="profile-language"),
    pytest.param(as_who("update_profile", "Bob"), "not_joined", id="profile-left"),
    pytest.param(as_who("update_profile", "Cy"), "not_joined", id="profile-removed"),
    pytest.param(as_who("update_profile", STRANGER), "unknown_participant", id="profile-stranger"),
    pytest.param(
        lambda s: s.command("update_profile", {}, Actor("participant")),
        "unknown_participant",
        id="profile-no-participant-id",
    ),
    # leave
    pytest.param(as_ann("leave", reason="bored"), "invalid_args", id="leave-unknown-arg"),
    pytest.param(as_who("leave", "Bob"), "not_joined", id="leave-left"),
    pytest.param(as_who("leave", "Cy"), "not_joined", id="leave-removed"),
    pytest.param(as_who("leave", STRANGER), "unknown_participant", id="leave-stranger"),
    # remove_participant
    pytest.param(fac("remove_participant"), "invalid_args", id="remove-id-missing"),
    pytest.param(fac("remove_participant", participant_id=5), "invalid_args", id="remove-id-not-text"),
    pytest.param(fac("remove_participant", participant_id=""), "invalid_args", id="remove-id-empty"),
    pytest.param(fac("remove_participant", participant_id="x" * 65), "invalid_args", id="remove-id-65"),
    pytest.param(fac("remove_participant", participant_id="@Ann", why="x"), "invalid_args", id="remove-unknown-arg"),
    pytest.param(fac("remove_participant", participant_id=STRANGER), "unknown_participant", id="remove-stranger"),
    pytest.param(fac("remove_participant", participant_id="@Bob"), "not_joined", id="remove-left"),
    pytest.param(fac("remove_participant", participant_id="@Cy"), "not_joined", id="remove-removed"),
    # update_workshop
    pytest.param(fac("update_workshop", code="AAAAAA"), "invalid_args", id="workshop-unknown-arg"),
    pytest.param(fac("update_workshop", date="2026-13-01"), "invalid_args", id="workshop-date"),
    pytest.param(fac("update_workshop", date=None), "invalid_args", id="workshop-date-null"),
    pytest.param(fac("update_workshop", sectors=[]), "invalid_args", id="workshop-sectors-empty"),
    pytest.param(fac("update_workshop", sectors="Energy"), "invalid_args", id="workshop-sectors-not-list"),
    pytest.param(fac("update_workshop", sectors=SIXTY_ONE), "invalid_args", id="workshop-sectors-61"),
    pytest.param(fac("update_workshop", sectors=[None]), "invalid_args", id="workshop-sector-null"),
    pytest.param(fac("update_workshop", title=""), "invalid_text", id="workshop-title-empty"),
    pytest.param(fac("update_workshop", title="t" * 201), "text_too_long", id="workshop-title-201"),
    pytest.param(fac("update_workshop", venue="Bell\x07"), "invalid_text", id="workshop-venue-bell"),
    pytest.param(fac("update_workshop", language="ja"), "unknown_language", id="workshop-language"),
    # add_agenda_item
    pytest.param(fac("add_agenda_item", kind="plenary"), "invalid_args", id="add-title-missing"),
    pytest.param(fac("add_agenda_item", title="X"), "invalid_args", id="add-kind-missing"),
    pytest.param(fac("add_agenda_item", title="X", kind="lunch"), "invalid_args", id="add-kind-unknown"),
    pytest.param(fac("add_agenda_item", title="X", kind="plenary", room="1"), "invalid_args", id="add-unknown-arg"),
    pytest.param(fac("add_agenda_item", title="", kind="plenary"), "invalid_text", id="add-title-empty"),
    pytest.param(fac("add_agenda_item", title="\x1b[31mred", kind="plenary"), "invalid_text", id="add-title-escape"),
    pytest.param(fac("add_agenda_item", title="t" * 201, kind="plenary"), "text_too_long", id="add-title-201"),
    *[
        pytest.param(
            fac("add_agenda_item", title="X", kind="plenary", planned_start=t),
            "invalid_args",
            id=f"add-start-{t!r}",
        )
        for t in ["9:30", "24:00", "12:60", 930, "12:30:00"]
    ],
    *[
        pytest.param(
            fac("add_agenda_item", title="X", kind="plenary", duration_min=d),
            "invalid_args",
            id=f"add-duration-{d!r}",
        )
        for d in [0, 1441, -5, True, "30", 1.5]
    ],
    # update_agenda_item
    pytest.param(fac("update_agenda_item", title="X"), "invalid_args", id="update-item-id-missing"),
    pytest.param(fac("update_agenda_item", item_id=7), "invalid_args", id="update-item-id-not-text"),
    pytest.param(fac("update_agenda_item", item_id=STRANGER), "unknown_agenda_item", id="update-item-unknown"),
    pytest.param(fac("update_agenda_item", item_id="@B", kind="lunch"), "invalid_args", id="update-item-kind"),
    pytest.param(fac("update_agenda_item", item_id="@B", title=""), "invalid_text", id="update-item-title-empty"),
    pytest.param(fac("update_agenda_item", item_id="@B", title="t" * 201), "text_too_long", id="update-item-title-201"),
    pytest.param(fac("update_agenda_item", item_id="@B", status="done"), "invalid_args", id="update-item-unknown-arg"),
    pytest.param(fac("update_agenda_item", item_id="@B", duration_min=0), "invalid_args", id="update-item-duration"),
    pytest.param(
        fac("update_agenda_item", item_id="@B", planned_start="25:00"), "invalid_args", id="update-item-start"
    ),
    # remove_agenda_item
    pytest.param(fac("remove_agenda_item"), "invalid_args", id="remove-item-id-missing"),
    pytest.param(fac("remove_agenda_item", item_id=STRANGER), "unknown_agenda_item", id="remove-item-unknown"),
    pytest.param(fac("remove_agenda_item", item_id="@B", also="@A"), "invalid_args", id="remove-item-unknown-arg"),
    # reorder_agenda
    pytest.param(fac("reorder_agenda"), "invalid_args", id="reorder-ids-missing"),
    pytest.param(
        lambda s: s.command("reorder_agenda", {"item_ids": f"{s.ids['A']},{s.ids['B']}"}),
        "invalid_args",
        id="reorder-ids-not-list",
    ),
    pytest.param(fac("reorder_agenda", item_ids=[1, 2]), "invalid_args", id="reorder-ids-not-text"),
    pytest.param(fac("reorder_agenda", item_ids=["@A", "@B"], by="time"), "invalid_args", id="reorder-unknown-arg"),
    pytest.param(fac("reorder_agenda", item_ids=["@B"]), "invalid_order", id="reorder-one-missing"),
    pytest.param(fac("reorder_agenda", item_ids=["@B", "@A", "@A"]), "invalid_order", id="reorder-twice"),
    pytest.param(fac("reorder_agenda", item_ids=["@B", "@B"]), "invalid_order", id="reorder-twice-one-missing"),
    pytest.param(fac("reorder_agenda", item_ids=["@B", "@A", STRANGER]), "invalid_order", id="reorder-unknown"),
    pytest.param(fac("reorder_agenda", item_ids=[]), "invalid_order", id="reorder-empty"),
    # start_agenda_item
    pytest.param(fac("start_agenda_item"), "invalid_args", id="start-id-missing"),
    pytest.param(fac("start_agenda_item", item_id=STRANGER), "unknown_agenda_item", id="start-unknown"),
    pytest.param(fac("start_agenda_item", item_id="@B", at="10:00"), "invalid_args", id="start-unknown-arg"),
    # finish_agenda_item
    pytest.param(fac("finish_agenda_item"), "invalid_args", id="finish-id-missing"),
    pytest.param(fac("finish_agenda_item", item_id=STRANGER), "unknown_agenda_item", id="finish-unknown"),
    pytest.param(fac("finish_agenda_item", item_id="@B"), "item_not_running", id="finish-planned"),
    pytest.param(fac("finish_agenda_item", item_id="@A", early=True), "invalid_args", id="finish-unknown-arg"),
    # unknown_command (checked before the role), not_found
    pytest.param(fac("drop_workshop"), "unknown_command", id="unknown-command"),
    pytest.param(fac(""), "unknown_command", id="unknown-command-empty"),
    pytest.param(lambda s: s.command("__init__", {}, ANONYMOUS), "unknown_command", id="unknown-command-dunder"),
    pytest.param(elsewhere(lambda s: uuid.uuid4()), "not_found", id="no-such-workshop"),
    pytest.param(elsewhere(lambda s: None), "not_found", id="no-workshop-id"),
    pytest.param(elsewhere(lambda s: JoinCode.id_for(s.code)), "not_found", id="join-code-is-no-workshop"),
    pytest.param(elsewhere(lambda s: workshop_id_for("never-created")), "not_found", id="never-created"),
]


@pytest.mark.parametrize(("build", "code"), ERRORS)
def test_refused_with_its_code_and_nothing_recorded(room: Scenario, build: Build, code: str) -> None:
    then_error(room.when(build(room)), code)


@pytest.mark.parametrize(("build", "code"), ERRORS)
def test_a_refused_command_leaves_the_rest_of_its_batch_applied(room: Scenario, build: Build, code: str) -> None:
    # The three commands share one aggregate object and one save: the middle one must not touch it.
    refused = build(room)
    w = room.when(room.add_item("before"), refused, room.add_item("after"))
    before, middle, after = w.outcomes
    assert before.error is None and after.error is None
    assert middle.error is not None and middle.error.code == code
    assert [(event_name(e), e.command_id) for e in w.events] == [
        ("AgendaItemAdded", "add:before"),
        ("AgendaItemAdded", "add:after"),
    ]
    assert middle.events == [] and middle.position is None
    workshop = room.workshop()
    assert [i.title for i in workshop.agenda] == ["A", "B", "before", "after"]
    assert refused.id not in workshop.commands
    assert [p.status for p in workshop.participants.values()] == ["present", "left", "removed"]


def test_every_error_code_is_exercised() -> None:
    codes = {p.values[1] for p in ERRORS} | {"workshop_full", "forbidden"}
    domain_codes = {
        "invalid_args",
        "text_too_long",
        "invalid_text",
        "unknown_country",
        "unknown_sector",
        "unknown_language",
        "unknown_participant",
        "unknown_agenda_item",
        "not_joined",
        "workshop_full",
        "invalid_order",
        "item_not_running",
        "token_in_use",
        "forbidden",
        "unknown_command",
        "not_found",
    }
    assert domain_codes <= codes


def test_a_finished_item_is_not_running(room: Scenario) -> None:
    room.given(room.command("start_agenda_item", {"item_id": room.ids["B"]}))
    then_error(room.when(room.command("finish_agenda_item", {"item_id": room.ids["A"]})), "item_not_running")


def test_an_unknown_command_is_refused_in_a_fresh_store() -> None:
    app = Tavolo(MEMORY)
    [o] = app.execute([Command("x", "nope", {}, None, ANONYMOUS)])
    assert o.error is not None and o.error.code == "unknown_command"


# ------------------------------------------------------------------------------------------------------------
# Roles: every command by every role; only the cells the protocol allows succeed.

ROLES = ("facilitator", "participant", "projector", "anonymous")
ALLOWED = {
    "create_workshop": {"anonymous"},
    "join": {"anonymous"},
    "update_profile": {"participant"},
    "leave": {"participant"},
    "remove_participant": {"facilitator"},
    "remove_participants": {"facilitator"},
    "lock_joins": {"facilitator"},
    "unlock_joins": {"facilitator"},
    "erase_participant": {"facilitator"},
    "delete_workshop": {"facilitator"},
    "rotate_link": {"facilitator"},
    "forget_me": {"participant"},
    "update_workshop": {"facilitator"},
    "add_agenda_item": {"facilitator"},
    "update_agenda_item": {"facilitator"},
    "remove_agenda_item": {"facilitator"},
    "reorder_agenda": {"facilitator"},
    "start_agenda_item": {"facilitator"},
    "finish_agenda_item": {"facilitator"},
}
VALID_ARGS: dict[str, Callable[[Scenario], dict[str, Any]]] = {
    "create_workshop": lambda s: dict(DETAILS),
    "join": lambda s: {**PROFILE, "name": "Dee"},
    "update_profile": lambda s: {"name": "Ann B."},
    "leave": lambda s: {},
    "remove_participant": lambda s: {"participant_id": s.ids["Ann"]},
    "remove_participants": lambda s: {"participant_ids": [s.ids["Ann"]]},
    "lock_joins": lambda s: {},
    "unlock_joins": lambda s: {},
    "erase_participant": lambda s: {"participant_id": s.ids["Ann"]},
    "delete_workshop": lambda s: {"confirm": s.code.lower()},
    "rotate_link": lambda s: {"role": "projector", "token": "R" * 43},
    "forget_me": lambda s: {},
    "update_workshop": lambda s: {"title": "New title"},
    "add_agenda_item": lambda s: {"title": "C", "kind": "break"},
    "update_agenda_item": lambda s: {"item_id": s.ids["B"], "title": "B2", "duration_min": 10},
    "remove_agenda_item": lambda s: {"item_id": s.ids["B"]},
    "reorder_agenda": lambda s: {"item_ids": [s.ids["B"], s.ids["A"]]},
    "start_agenda_item": lambda s: {"item_id": s.ids["B"]},
    "finish_agenda_item": lambda s: {"item_id": s.ids["A"]},
}


def test_the_role_table_covers_every_command() -> None:
    assert set(ALLOWED) == set(VALID_ARGS) == {*COMMANDS, CREATE}
    for name, spec in COMMANDS.items():
        assert spec.roles == ALLOWED[name], name


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_only_the_allowed_roles_may_run_a_command(room: Scenario, name: str, role: str) -> None:
    actor = Actor(role, room.ids["Ann"] if role == "participant" else None)
    command = room.command(name, VALID_ARGS[name](room), actor, workshop_id=None if name == CREATE else "this")
    w = room.when(command)
    if role in ALLOWED[name]:
        assert w.outcome.error is None, w.outcome.error
        assert w.events and w.outcome.events
    else:
        then_error(w, "forbidden")


# ------------------------------------------------------------------------------------------------------------
# Retries: a command id applies once; the retry gets the original result.


class TestIdempotency:
    def test_a_join_retried_in_the_same_batch(self) -> None:
        s = Scenario()
        join = s.join("Ann")
        w = s.when(join, join)
        first, retry = w.outcomes
        assert not first.duplicate and retry.duplicate and retry.error is None
        assert retry.result == {"participant_id": first.result["participant_id"]}
        assert [event_name(e) for e in w.events] == ["ParticipantJoined"]
        assert retry.events == [] and retry.position is None

    def test_a_join_retried_in_a_later_batch(self) -> None:
        s = Scenario()
        join = s.join("Ann", token=ANN_TOKEN)
        [first] = s.given(join)
        w = s.when(join)
        assert w.outcome.duplicate and w.outcome.result == first.result == {
            "participant_id": first.result["participant_id"]
        }
        assert w.events == []

    def test_an_agenda_item_retried_returns_its_item_id(self) -> None:
        s = Scenario()
        add = s.add_item("A")
        [first] = s.given(add)
        w = s.when(add, add)
        assert [o.duplicate for o in w.outcomes] == [True, True]
        assert all(o.result == {"item_id": first.result["item_id"]} for o in w.outcomes)
        assert w.events == [] and len(s.workshop().agenda) == 1

    def test_a_leave_retried_after_it_applied_is_a_duplicate_not_an_error(self, room: Scenario) -> None:
        leave = room.command("leave", {}, room.as_("Ann"))
        room.given(leave)
        w = room.when(leave)
        assert w.outcome.error is None and w.outcome.duplicate and w.events == []

    def test_a_start_retried_after_another_item_started_does_not_restart_it(self, room: Scenario) -> None:
        start_b = room.command("start_agenda_item", {"item_id": room.ids["B"]})
        room.given(start_b)
        room.given(room.command("start_agenda_item", {"item_id": room.ids["A"]}))
        w = room.when(start_b)
        assert w.outcome.duplicate and w.events == []
        assert room.workshop().current_item == room.ids["A"]

    def test_a_retried_no_op_is_not_applied_later(self, room: Scenario) -> None:
        # "A command retried with the same id is applied once": the first run of `start A` changed nothing
        # (A was running); after B started, its retry must not start A again.
        start_a = room.command("start_agenda_item", {"item_id": room.ids["A"]})
        then_nothing(room.when(start_a))
        room.given(room.command("start_agenda_item", {"item_id": room.ids["B"]}))
        w = room.when(start_a)
        assert w.outcome.error is None
        assert w.events == [], f"the retry recorded {[event_name(e) for e in w.events]}"
        assert room.workshop().current_item == room.ids["B"]

    def test_a_join_retried_by_the_participant_it_created_is_a_duplicate(self) -> None:
        # The ack of a join was lost; the client, now holding its participant token, re-sends the command.
        s = Scenario()
        join = s.join("Ann", token=ANN_TOKEN)
        [first] = s.given(join)
        retry = Command(join.id, join.name, join.args, join.workshop_id, s.as_("Ann"))
        w = s.when(retry)
        assert w.outcome.error is None and w.outcome.duplicate and w.events == []
        assert w.outcome.result == {"participant_id": first.result["participant_id"]}

    def test_a_refused_command_may_be_retried(self) -> None:
        s = Scenario()
        add = s.command("add_agenda_item", {"title": "A", "kind": "plenary"}, id="add")
        then_error(s.when(s.command("add_agenda_item", {"title": ""}, id="add")), "invalid_text")
        then_events(s.when(add), "AgendaItemAdded")

    def test_a_retried_create_finds_the_same_workshop(self) -> None:
        app = Tavolo(MEMORY)
        command = create("create-once")
        first, again = app.execute([command, command])
        [later] = app.execute([command])
        for retry in (again, later):
            assert retry.duplicate and retry.error is None and retry.events == []
            assert retry.result == {"workshop_id": first.result["workshop_id"], "code": first.result["code"]}
        assert [event_name(e) for e in stored_events(app)] == ["Created", "JoinCode.Created"]

    def test_a_retried_create_with_other_details_still_finds_the_first_workshop(self) -> None:
        app = Tavolo(MEMORY)
        [first] = app.execute([create("c1", title="One")])
        [retry] = app.execute([create("c1", title="Two")])
        assert retry.duplicate and retry.result["code"] == first.result["code"]
        assert app.repository.get(workshop_id_for("c1")).title == "One"

    def test_command_ids_belong_to_their_workshop(self) -> None:
        app = Tavolo(MEMORY)
        one, two = Scenario(app=app), Scenario(app=app)
        then_events(
            one.when(one.command("add_agenda_item", {"title": "A", "kind": "poll"}, id="same")),
            "AgendaItemAdded",
        )
        then_events(
            two.when(two.command("add_agenda_item", {"title": "A", "kind": "poll"}, id="same")),
            "AgendaItemAdded",
        )


# ------------------------------------------------------------------------------------------------------------
# Group commit.


class TestBatches:
    def test_one_batch_is_one_save(self, monkeypatch: pytest.MonkeyPatch) -> None:
        s = Scenario()
        saves: list[int] = []
        original = s.app.save

        def counting(*objs: Any, **kwargs: Any) -> Any:
            saves.append(len(objs))
            return original(*objs, **kwargs)

        monkeypatch.setattr(s.app, "save", counting)
        w = s.when(*[s.join(f"P{n}") for n in range(20)], s.add_item("A"), create(), create())
        assert all(o.error is None for o in w.outcomes)
        assert len(saves) == 1
        assert len(w.events) == 20 + 1 + 4

    def test_each_outcome_carries_exactly_its_own_committed_events(self) -> None:
        app = Tavolo(MEMORY)
        w1, w2 = Scenario(app=app), Scenario(app=app)
        before = app.recorder.max_notification_id() or 0
        outcomes = app.execute(
            [
                w1.join("Ann"),
                w2.join("Bob"),
                w1.add_item("A"),
                create("made-here"),
                w2.add_item("B"),
            ]
        )
        stored = {n.id: app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(before + 1, 100)}
        reported = [p for o in outcomes for p, _ in o.events]
        assert sorted(reported) == sorted(stored)
        for o in outcomes:
            assert o.error is None and o.events
            assert o.position == max(p for p, _ in o.events)
            for p, event in o.events:
                assert type(stored[p]) is type(event) and stored[p].originator_id == event.originator_id
        assert [event_name(e) for _, e in outcomes[3].events] == ["Created", "JoinCode.Created"]

    def test_the_same_command_id_in_two_workshops_of_one_batch(self) -> None:
        # Ids are remembered per workshop, so two clients may pick the same one ("1", say). Each outcome must
        # still report its own events and position (the ack's position).
        app = Tavolo(MEMORY)
        w1, w2 = Scenario(app=app), Scenario(app=app)
        a = w1.command("add_agenda_item", {"title": "A", "kind": "poll"}, id="1")
        b = w2.command("add_agenda_item", {"title": "B", "kind": "poll"}, id="1")
        oa, ob = app.execute([a, b])
        assert oa.error is None and ob.error is None
        assert [e.originator_id for _, e in oa.events] == [w1.workshop_id]
        assert [e.originator_id for _, e in ob.events] == [w2.workshop_id]
        assert oa.position is not None and ob.position is not None

    def test_commands_of_a_batch_see_each_other(self) -> None:
        app = Tavolo(MEMORY)
        wid = workshop_id_for("c")
        outcomes = app.execute(
            [
                create("c"),
                Command("j", "join", {**PROFILE, "name": "Ann"}, wid, ANONYMOUS),
                Command("a", "add_agenda_item", {"title": "A", "kind": "plenary"}, wid, FACILITATOR),
            ]
        )
        assert [o.error for o in outcomes] == [None, None, None]
        item = outcomes[2].result["item_id"]
        [start] = app.execute([Command("s", "start_agenda_item", {"item_id": item}, wid, FACILITATOR)])
        assert start.error is None

    def test_a_bug_in_one_command_refuses_only_that_command(
        self, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        s = Scenario()

        def broken(workshop: Workshop, ctx: Any, args: Any) -> dict[str, Any]:
            workshop.trigger_event(
                Workshop.AgendaItemAdded,
                command_id=ctx.command_id,
                item_id="half",
                title="half-done",
                kind="plenary",
                planned_start="",
                duration_min=0,
            )
            raise RuntimeError("a bug")

        monkeypatch.setitem(COMMANDS, "broken", Spec(COMMANDS["add_agenda_item"].roles, broken))
        w = s.when(s.add_item("before"), s.command("broken"), s.add_item("after"))
        assert [o.error.code if o.error else None for o in w.outcomes] == [None, "internal_error", None]
        assert [e.title for e in w.events] == ["before", "after"]
        assert [i.title for i in s.workshop().agenda] == ["before", "after"]
        assert "a bug" in caplog.text


# ------------------------------------------------------------------------------------------------------------
# Join codes.


def test_two_workshops_created_in_one_batch_never_share_a_code(monkeypatch: pytest.MonkeyPatch) -> None:
    # Draw the same code twice (a 1 in 31**6 chance per pair, forced here): the second must pick another.
    draws = iter(["K7PQ3X", "K7PQ3X", "M4RT9Z", "M4RT9Z", "W2XY5V"])
    monkeypatch.setattr(application, "new_join_code", lambda: next(draws))
    app = Tavolo(MEMORY)
    first, second = app.execute([create("one"), create("two")])
    assert first.error is None and second.error is None
    assert first.result["code"] != second.result["code"]
    for o in (first, second):
        assert app.workshop_for_code(o.result["code"]) == uuid.UUID(o.result["workshop_id"])


def test_a_code_taken_by_an_earlier_batch_is_not_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    draws = iter(["K7PQ3X", "K7PQ3X", "M4RT9Z"])
    monkeypatch.setattr(application, "new_join_code", lambda: next(draws))
    app = Tavolo(MEMORY)
    [first] = app.execute([create("one")])
    [second] = app.execute([create("two")])
    assert (first.result["code"], second.result["code"]) == ("K7PQ3X", "M4RT9Z")
    assert app.workshop_for_code("K7PQ3X") == workshop_id_for("one")


# ------------------------------------------------------------------------------------------------------------
# What is stored: msgpack, hashes never tokens, values that replay to the same aggregate.


@pytest.fixture
def history() -> Scenario:
    s = Scenario()
    s.given(s.join("Ann", token=ANN_TOKEN), s.join("Bob"), s.add_item("A"), s.add_item("B"))
    s.given(
        s.command("update_profile", {"country": "FR", "role": "Chair"}, s.as_("Ann")),
        s.command("start_agenda_item", {"item_id": s.ids["A"]}),
        s.command("reorder_agenda", {"item_ids": [s.ids["B"], s.ids["A"]]}),
        s.command("update_workshop", {"sectors": ["Agrifood", "Tourism"]}),
        s.command("leave", {}, s.as_("Bob")),
    )
    s.given(s.command("start_agenda_item", {"item_id": s.ids["B"]}))
    return s


def test_tokens_are_stored_only_as_hashes(history: Scenario) -> None:
    raw = [
        history.created.result["facilitator_token"],
        history.created.result["projector_token"],
        history.tokens["Bob"],
        ANN_TOKEN,
    ]
    notifications = history.app.recorder.select_notifications(1, 1000)
    assert len(notifications) > 10
    stored = b"".join(n.state + n.topic.encode() for n in notifications)
    for token in raw:
        assert token.encode() not in stored
        assert hash_token(token).encode() in stored
    workshop = history.workshop()
    assert not {*raw} & {*workshop.tokens, workshop.facilitator_token_hash, workshop.projector_token_hash}


def test_events_are_stored_as_msgpack_with_extension_types(history: Scenario) -> None:
    for n in history.app.recorder.select_notifications(1, 1000):
        with pytest.raises(ValueError):  # not JSON (UnicodeDecodeError and JSONDecodeError are ValueErrors)
            json.loads(n.state)
        state = msgpack.unpackb(n.state, raw=False)
        assert isinstance(state, dict)
        assert state["timestamp"].code == 1  # ExtType: an ISO datetime with its offset
        assert datetime.fromisoformat(state["timestamp"].data.decode()).utcoffset() is not None
        if n.topic.endswith("JoinCode.Created"):
            assert state["workshop_id"].code == 2 and uuid.UUID(bytes=state["workshop_id"].data)
        if n.topic.endswith("Workshop.Created"):
            assert isinstance(state["sectors"], list) and state["originator_topic"] == "domain.workshop:Workshop"


def test_stored_events_decode_to_the_events_that_were_recorded() -> None:
    s = Scenario()
    outcomes = s.given(s.join("Ann"), s.add_item("A"))
    live = [*s.created.events, *(e for o in outcomes for e in o.events)]
    stored = {n.id: s.app.mapper.to_domain_event(n) for n in s.app.recorder.select_notifications(1, 100)}
    for position, event in live:
        decoded = stored[position]
        assert type(decoded) is type(event)
        assert plain(vars(decoded)) == plain(vars(event))
        assert decoded.timestamp.tzinfo is not None and isinstance(decoded.originator_id, uuid.UUID)


def test_a_replayed_workshop_equals_the_live_one(history: Scenario) -> None:
    live = history.workshop()
    replayed = history.app.repository.get(history.workshop_id, version=live.version)  # bypasses the cache
    assert replayed is not live
    for attribute in (
        "title",
        "date",
        "venue",
        "language",
        "sectors",
        "code",
        "facilitator_token_hash",
        "projector_token_hash",
        "participants",
        "tokens",
        "agenda",
        "current_item",
        "commands",
    ):
        assert getattr(replayed, attribute) == getattr(live, attribute), attribute
    assert isinstance(replayed.sectors, tuple)


def test_a_history_given_as_events() -> None:
    # Given events (not commands): a participant recorded by an older version, with no role and no language.
    s = Scenario()
    w = s.workshop()
    joined = Workshop.ParticipantJoined(
        originator_id=s.workshop_id,
        originator_version=w.version + 1,
        timestamp=datetime.now(UTC),
        command_id="imported-1",
        participant_id="p-imported",
        name="Old Timer",
        organisation="Legacy",
        country="DE",
        sector="Energy",
        role="",
        language="en",
        token_hash=hash_token("x" * 43),
    )
    s.given_events(joined)
    then_events(
        s.when(s.command("update_profile", {"language": "it"}, participant("p-imported"))),
        ("ProfileChanged", {"participant_id": "p-imported", "name": "Old Timer", "language": "it"}),
    )
    w2 = s.when(s.command("join", {**PROFILE, "name": "X"}, ANONYMOUS, id="imported-1"))
    assert w2.outcome.duplicate and w2.outcome.result == {"participant_id": "p-imported"}


# ------------------------------------------------------------------------------------------------------------
# The transcoder, over any nested value an event may hold.

# Offsets in whole seconds (zoneinfo's historical LMT offsets have seconds). CPython 3.11's fromisoformat
# drops a sub-second offset whose seconds are zero ("+00:00:00.000001"); no real zone has one.
_OFFSETS = st.integers(-86_399, 86_399).map(lambda s: timezone(timedelta(seconds=s)))
_AWARE = st.datetimes(timezones=st.one_of(st.just(UTC), _OFFSETS, st.timezones()))
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False)
    | st.text()
    | _AWARE
    | st.uuids()
    | st.decimals(allow_nan=False, allow_infinity=False)
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.tuples(inner, inner) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=24,
)


def _canonical(value: Any) -> Any:
    """A form that == compares strictly: True is not 1, 1 is not 1.0, a datetime keeps its offset."""
    if isinstance(value, dict):
        return ("dict", {k: _canonical(v) for k, v in value.items()})
    if isinstance(value, list | tuple):  # tuples come back as lists (documented)
        return ("list", [_canonical(v) for v in value])
    if isinstance(value, datetime):
        return ("datetime", value.isoformat())
    if isinstance(value, float | Decimal):
        return (type(value).__name__, repr(value))
    return (type(value).__name__, value)


@settings(max_examples=300, deadline=None, database=None)
@given(st.dictionaries(st.text(max_size=12), _VALUES, max_size=6))
def test_the_transcoder_round_trips_any_event_state(state: dict[str, Any]) -> None:
    transcoder = MsgpackTranscoder()
    data = transcoder.encode(state)
    assert isinstance(data, bytes)
    assert _canonical(transcoder.decode(data)) == _canonical(state)


def test_the_transcoder_keeps_an_aware_datetime_and_a_uuid() -> None:
    at = datetime(2026, 11, 22, 10, 30, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
    key = uuid.uuid4()
    decoded = MsgpackTranscoder().decode(MsgpackTranscoder().encode({"at": at, "id": key, "t": ("a", 1)}))
    assert decoded == {"at": at, "id": key, "t": ["a", 1]}
    assert decoded["at"].utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize("value", ["cluster", "company", "research", "public", "other", ""])
def test_an_organisation_type_is_one_of_the_listed_kinds_or_none(value: str) -> None:
    s = Scenario()
    s.given(s.join("Ann", organisation_type=value))
    assert s.app.repository.get(s.workshop_id).participants[s.ids["Ann"]].organisation_type == value


@pytest.mark.parametrize("value", ["Cluster", "ngo", 3, ["cluster"]])
def test_an_unknown_organisation_type_is_refused(value: Any) -> None:
    s = Scenario()
    then_error(s.when(s.join("Ann", organisation_type=value)), "invalid_args")


def test_a_participant_may_ask_not_to_be_named_and_change_their_mind() -> None:
    s = Scenario()
    s.given(s.join("Ann", anonymous=True))
    assert s.app.repository.get(s.workshop_id).participants[s.ids["Ann"]].anonymous is True
    s.given(s.command("update_profile", {"anonymous": False}, s.as_("Ann")))
    assert s.app.repository.get(s.workshop_id).participants[s.ids["Ann"]].anonymous is False
    then_error(s.when(s.join("Bob", anonymous="yes")), "invalid_args")


# ------------------------------------------------------------------------------------------------------------
# Deleting a workshop.


def test_a_deleted_workshop_refuses_every_command_even_later_in_the_same_batch(room: Scenario) -> None:
    room.given(room.join("Ann"))
    w = room.when(
        room.command("delete_workshop", {"confirm": f" {room.code[:3]} {room.code[3:].lower()} "}),
        room.command("add_agenda_item", {"title": "Late", "kind": "break"}),
    )
    deleted, late = w.outcomes
    assert deleted.error is None and [type(e).__name__ for _, e in deleted.events] == ["Deleted"]
    assert late.error is not None and late.error.code == "not_found"
    refused = room.app.execute([room.command("leave", actor=room.as_("Ann"))])[0]
    assert refused.error is not None and refused.error.code == "not_found"


def test_a_workshop_rebuilt_from_a_log_ending_in_its_deletion_does_not_exist(room: Scenario) -> None:
    room.given(room.join("Ann"), room.command("delete_workshop", {"confirm": room.code}))
    assert room.app.repository.cache is not None
    room.app.repository.cache.get(room.workshop_id, evict=True)  # as another process would: from the log
    with pytest.raises(AggregateNotFoundError):
        room.app.repository.get(room.workshop_id)
    # A process holding a copy from before the deletion cannot write to it: its save conflicts with the marker.
    stale = room.app.repository.get(room.workshop_id, version=2)
    stale.trigger_event(Workshop.CommandNoted, command_id="stale")
    with pytest.raises(IntegrityError):
        room.app.save(stale)


@pytest.mark.parametrize("confirm", [None, "", "WRONG1", 123])
def test_deleting_needs_the_join_code_typed(room: Scenario, confirm: Any) -> None:
    args = {} if confirm is None else {"confirm": confirm}
    then_error(room.when(room.command("delete_workshop", args)), "invalid_args" if confirm == 123 else "not_confirmed")


class TestTheDoor:
    def test_a_locked_workshop_refuses_joins_until_unlocked_and_a_retried_join_is_still_answered(self) -> None:
        s = Scenario()
        first = s.join("Ann")
        s.given(first)
        then_events(s.when(s.command("lock_joins", {})), "JoinsLocked")
        then_error(s.when(s.join("Bob")), "joins_locked")
        assert s.when(first).outcome.duplicate  # Ann's retried join is hers, lock or not
        then_events(s.when(s.command("lock_joins", {})), "CommandNoted")  # already locked: nothing changes
        then_events(s.when(s.command("unlock_joins", {})), "JoinsUnlocked")
        then_events(s.when(s.join("Bob")), "ParticipantJoined")

    def test_remove_participants_removes_each_once_all_or_nothing(self, room: Scenario) -> None:
        room.given(room.join("Dee"))
        ann, cy, dee = room.ids["Ann"], room.ids["Cy"], room.ids["Dee"]
        then_error(room.when(room.command("remove_participants", {"participant_ids": [ann, STRANGER]})),
                   "unknown_participant")  # fmt: skip
        then_error(room.when(room.command("remove_participants", {"participant_ids": [ann, cy]})), "not_joined")
        w = room.when(room.command("remove_participants", {"participant_ids": [ann, dee, ann]}))
        then_events(w, ("ParticipantRemoved", {"participant_id": ann}), ("ParticipantRemoved", {"participant_id": dee}))
        assert w.outcome.result["removed"] == 2
        for bad in ([], "x", [5], ["x" * 65], [ann] * 1001):
            then_error(room.when(room.command("remove_participants", {"participant_ids": bad})), "invalid_args")
