"""Polls: given earlier commands, when a poll command runs, then these events or this error.

``PollRoom`` runs poll commands the way domain/application.py will once they are wired: a batch loads the
workshop and each poll, runs ``run_poll_command``, saves every aggregate in one ``app.save`` on the real
Tavolo application (memory://, msgpack) and discards the keys of polls it closed. Events are read back from
the store.
"""

from __future__ import annotations

import os
import stat
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.application import AggregateNotFoundError
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.application import Command, Outcome
from domain.commands import Actor
from domain.errors import DomainError
from domain.poll_commands import (
    POLL_COMMANDS,
    PollContext,
    after_commit,
    poll_id_for,
    run_poll_command,
    target_poll_id,
)
from domain.polls import Poll
from domain.secret import FilePollKeys, MemoryPollKeys, PollKeys, kept_cells, sweep, voter_tag
from domain.tokens import hash_token
from domain.workshop import Workshop
from tests.domain.builders import FACILITATOR, Scenario, When, new_id, plain, position, stored_events

OPTIONS = ["Pizza", "Pasta", "Salad"]
SINGLE: dict[str, Any] = {
    "title": "Lunch",
    "kind": "single",
    "questions": [{"prompt": "Where?", "options": OPTIONS}],
}


def poll_event_name(event: Any) -> str:
    return type(event).__qualname__


class PollRoom:
    """A workshop on the real application, with polls created by alias (``create:<alias>`` command ids)."""

    def __init__(self, keys: PollKeys | None = None, **details: Any) -> None:
        self.s = Scenario(**details)
        self.app = self.s.app
        self.keys: PollKeys = keys if keys is not None else MemoryPollKeys()
        self.polls: dict[str, UUID] = {}
        self.groups: dict[str, frozenset[str]] = {}  # participant id -> their groups

    # Participants.

    def people(self, *aliases: str, **profile: Any) -> None:
        self.s.given(*(self.s.join(a, **profile) for a in aliases))

    def as_(self, alias: str) -> Actor:
        return self.s.as_(alias)

    # Commands.

    def command(
        self,
        name: str,
        args: Mapping[str, Any] | None = None,
        actor: Actor = FACILITATOR,
        *,
        id: str | None = None,
        poll: str = "p",
    ) -> Command:
        full = dict(args or {})
        if name != "create_poll" and poll in self.polls:
            full.setdefault("poll_id", str(self.polls[poll]))
        return self.s.command(name, full, actor, id=id or new_id(name))

    def create(self, alias: str = "p", **settings: Any) -> Command:
        self.polls[alias] = poll_id_for(self.s.workshop_id, f"create:{alias}")
        return self.command("create_poll", {**SINGLE, **settings}, id=f"create:{alias}")

    def vote(
        self, alias: str, answer: Any = None, *, answers: Any = None, poll: str = "p", id: str | None = None
    ) -> Command:
        args = {"answers": answers} if answers is not None else {"answer": answer}
        return self.command("cast_ballot", args, self.as_(alias), id=id, poll=poll)

    # Running them as the application will.

    def execute(self, commands: list[Command]) -> list[tuple[Outcome, str]]:
        aggregates: dict[UUID, Any] = {}
        outcomes: list[tuple[Outcome, str]] = []
        for c in commands:
            try:
                assert c.workshop_id is not None
                if c.workshop_id not in aggregates:
                    aggregates[c.workshop_id] = self.app.repository.get(c.workshop_id)
                workshop: Workshop = aggregates[c.workshop_id]
                poll_id = target_poll_id(c.name, workshop.id, c.id, c.args)
                poll = aggregates.get(poll_id) or self._load(poll_id)
                groups = self.groups.get(c.actor.participant_id or "", frozenset())
                made = self._load(poll_id_for(workshop.id, c.id)) if c.name == "duplicate_poll" else None
                ctx = PollContext(c.actor, c.id, self.keys, groups)
                out = run_poll_command(c.name, workshop, poll, ctx, c.args, made)
            except DomainError as e:
                outcomes.append((Outcome(c, error=e), ""))
                continue
            aggregates[out.poll.id] = out.poll
            outcomes.append((Outcome(c, result=out.result, duplicate=out.duplicate), out.recorded_as))
        recordings = self.app.save(*aggregates.values())
        after_commit([r.domain_event for r in recordings], self.keys)
        by_ref = {(self.poll_of(o), ref): o for o, ref in outcomes if not o.error and not o.duplicate}
        for r in recordings:
            o = by_ref.get((r.domain_event.originator_id, getattr(r.domain_event, "command_id", "")))
            if o is not None:
                o.events.append((r.notification.id, r.domain_event))
                o.position = r.notification.id
        return outcomes

    def poll_of(self, o: Outcome) -> UUID:
        assert o.command.workshop_id is not None
        if o.command.name == "duplicate_poll":
            return poll_id_for(o.command.workshop_id, o.command.id)
        return target_poll_id(o.command.name, o.command.workshop_id, o.command.id, o.command.args)

    def _load(self, poll_id: UUID) -> Poll | None:
        try:
            poll: Any = self.app.repository.get(poll_id)
        except AggregateNotFoundError:
            return None
        return poll if isinstance(poll, Poll) else None

    def given(self, *commands: Command) -> None:
        for o, _ in self.execute(list(commands)):
            assert o.error is None, f"given {o.command.name} refused: {o.error.code}: {o.error.message}"

    def when(self, *commands: Command) -> When:
        before = position(self.app)
        outcomes = [o for o, _ in self.execute(list(commands))]
        return When(outcomes, stored_events(self.app, before))

    def poll(self, alias: str = "p") -> Poll:
        poll: Poll = self.app.repository.get(self.polls[alias])
        return poll

    def events(self, alias: str = "p") -> list[Any]:
        return [e for e in stored_events(self.app) if e.originator_id == self.polls[alias]]

    def notifications(self, alias: str = "p") -> list[Any]:
        return [n for n in self.app.recorder.select_notifications(1, 100_000) if n.originator_id == self.polls[alias]]


def then(when: When, *expected: tuple[str, Mapping[str, Any]] | str) -> None:
    """Accepted, and recorded exactly these poll events (names and the fields given)."""
    outcome = when.outcome
    assert outcome.error is None, f"refused: {outcome.error.code}: {outcome.error.message}"
    assert not outcome.duplicate
    assert [poll_event_name(e) for e in when.events] == [e if isinstance(e, str) else e[0] for e in expected]
    for event, spec in zip(when.events, expected, strict=True):
        for key, value in ({} if isinstance(spec, str) else spec[1]).items():
            assert plain(getattr(event, key)) == plain(value), (poll_event_name(event), key)
    assert [type(e) for _, e in outcome.events] == [type(e) for e in when.events]


def then_nothing(when: When) -> None:
    """Accepted and changed nothing: only a note of the command id is recorded, so a retry stays a retry."""
    assert when.outcome.error is None, when.outcome.error
    assert [poll_event_name(e) for e in when.events] == ["Poll.CommandNoted"]


def then_error(when: When, code: str) -> None:
    outcome = when.outcome
    assert outcome.error is not None, f"accepted, recording {[poll_event_name(e) for e in when.events]}"
    assert outcome.error.code == code, f"{outcome.error.code}: {outcome.error.message}"
    assert when.events == [] and outcome.result == {}


@pytest.fixture
def room() -> PollRoom:
    """Ann, Bob and Cy are present; poll ``p`` (single choice over Pizza, Pasta, Salad) is a draft."""
    r = PollRoom()
    r.people("Ann", "Bob", "Cy")
    r.given(r.create())
    return r


@pytest.fixture
def open_room(room: PollRoom) -> PollRoom:
    room.given(room.command("open_poll"))
    return room


# ------------------------------------------------------------------------------------------------------------
# Creating and editing.


class TestCreatePoll:
    def test_records_a_hidden_draft_whose_id_derives_from_the_command(self) -> None:
        r = PollRoom()
        w = r.when(r.create())
        then(
            w,
            (
                "Poll.Created",
                {
                    "workshop_id": r.s.workshop_id,
                    "title": "Lunch",
                    "kind": "single",
                    "secret": False,
                    "visibility": "hidden",
                    "closes_at": "",
                    "groups": [],
                    "breakdown": "",
                    "command_id": "create:p",
                    "questions": [
                        {
                            "id": "q1",
                            "kind": "single",
                            "prompt": "Where?",
                            "options": [
                                {"id": "o1", "label": "Pizza", "source": ""},
                                {"id": "o2", "label": "Pasta", "source": ""},
                                {"id": "o3", "label": "Salad", "source": ""},
                            ],
                        }
                    ],
                },
            ),
        )
        assert w.outcome.result == {"poll_id": str(r.polls["p"])}
        assert r.polls["p"] == poll_id_for(r.s.workshop_id, "create:p")
        assert r.poll().state == "draft"

    def test_a_retried_create_is_answered_with_the_same_poll(self, room: PollRoom) -> None:
        w = room.when(room.create())
        assert w.outcome.duplicate and w.outcome.result == {"poll_id": str(room.polls["p"])}
        assert w.events == []

    def test_only_the_facilitator_creates(self) -> None:
        r = PollRoom()
        r.people("Ann")
        w = r.when(r.command("create_poll", SINGLE, r.as_("Ann")))
        then_error(w, "forbidden")

    def test_options_keep_given_ids_and_sources(self) -> None:
        r = PollRoom()
        items = [{"id": "g1:c4", "label": "Shared labs", "source": "group:g1/contribution:c4"}, "Open data"]
        r.given(r.create(kind="dots", questions=[{"options": items, "dots": 5, "max_per_item": 2}]))
        [q] = r.poll().questions
        assert [(o.id, o.label, o.source) for o in q.options] == [
            ("g1:c4", "Shared labs", "group:g1/contribution:c4"),
            ("o2", "Open data", ""),
        ]
        assert (q.dots, q.max_per_item) == (5, 2)

    def test_a_survey_holds_questions_of_several_kinds(self) -> None:
        r = PollRoom()
        questions = [
            {"kind": "scale", "scale": "0-10", "prompt": "Recommend?"},
            {"kind": "text"},
            {"kind": "multiple", "options": OPTIONS, "max_choices": 2},
        ]
        r.given(r.create(kind="survey", questions=questions))
        assert [(q.id, q.kind) for q in r.poll().questions] == [
            ("q1", "scale"),
            ("q2", "text"),
            ("q3", "multiple"),
        ]

    def test_closes_at_is_kept_in_utc(self) -> None:
        r = PollRoom()
        r.given(r.create(closes_at="2026-11-22T10:30:00+01:00"))
        assert r.poll().closes_at == "2026-11-22T09:30:00+00:00"

    def test_a_named_poll_ignores_a_breakdown_setting(self) -> None:
        r = PollRoom()
        r.given(r.create(breakdown="country"))
        assert r.poll().breakdown == ""

    @pytest.mark.parametrize(
        ("settings", "code"),
        [
            ({"kind": "poll"}, "invalid_args"),
            ({"title": ""}, "invalid_text"),
            ({"title": "x" * 201}, "text_too_long"),
            ({"questions": []}, "invalid_args"),
            (
                {"questions": [{"options": OPTIONS}, {"options": OPTIONS}]},
                "invalid_args",
            ),  # one question unless survey
            (
                {"questions": [{"kind": "multiple", "options": OPTIONS}]},
                "invalid_args",
            ),  # kind must match the poll's
            ({"questions": [{"options": ["Only"]}]}, "invalid_args"),
            (
                {"questions": [{"options": [{"id": "a", "label": "A"}, {"id": "a", "label": "B"}]}]},
                "invalid_args",
            ),
            ({"questions": [{"options": [{"id": "a b", "label": "A"}, "B"]}]}, "invalid_args"),
            ({"questions": [{"options": [5, 6]}]}, "invalid_args"),
            (
                {"questions": [{"options": OPTIONS, "max_choices": 2}]},
                "invalid_args",
            ),  # not a key of single choice
            ({"kind": "multiple", "questions": [{"options": OPTIONS, "max_choices": 4}]}, "invalid_args"),
            ({"kind": "scale", "questions": [{"scale": "1-7"}]}, "invalid_args"),
            ({"kind": "dots", "questions": [{"options": OPTIONS}]}, "invalid_args"),  # dots required
            (
                {"kind": "dots", "questions": [{"options": OPTIONS, "dots": 3, "max_per_item": 4}]},
                "invalid_args",
            ),
            ({"kind": "survey", "questions": [{"kind": "survey"}]}, "invalid_args"),
            ({"kind": "survey", "questions": [{"kind": "text"}] * 31}, "invalid_args"),
            ({"secret": "yes"}, "invalid_args"),
            ({"secret": True, "breakdown": "organisation"}, "invalid_args"),
            ({"closes_at": "2026-11-22T10:30:00"}, "invalid_args"),  # no UTC offset
            ({"closes_at": "tomorrow"}, "invalid_args"),
            ({"visibility": "public"}, "invalid_args"),
            ({"groups": "g1"}, "invalid_args"),
            ({"agenda_item_id": "nope"}, "unknown_agenda_item"),
            ({"colour": "red"}, "invalid_args"),
        ],
    )
    def test_refuses_bad_settings(self, settings: dict[str, Any], code: str) -> None:
        r = PollRoom()
        then_error(r.when(r.create(**settings)), code)


class TestUpdatePoll:
    def test_changes_what_is_given_and_keeps_the_rest(self, room: PollRoom) -> None:
        w = room.when(room.command("update_poll", {"title": "Dinner", "secret": True, "breakdown": "sector"}))
        then(w, ("Poll.Edited", {"title": "Dinner", "secret": True, "breakdown": "sector", "kind": "single"}))
        assert [o.label for o in room.poll().questions[0].options] == OPTIONS

    def test_the_same_settings_record_nothing(self, room: PollRoom) -> None:
        then_nothing(room.when(room.command("update_poll", {"title": "Lunch"})))

    def test_only_a_draft_can_be_edited(self, open_room: PollRoom) -> None:
        then_error(open_room.when(open_room.command("update_poll", {"title": "Dinner"})), "poll_not_draft")


# ------------------------------------------------------------------------------------------------------------
# Lifecycle.


class TestLifecycle:
    def test_draft_open_closed(self, room: PollRoom) -> None:
        then(
            room.when(room.command("open_poll", {"closes_at": "2026-11-22T10:00:00Z"})),
            ("Poll.Opened", {"closes_at": "2026-11-22T10:00:00+00:00"}),
        )
        assert room.poll().state == "open"
        then(room.when(room.command("close_poll")), "Poll.Closed")
        assert room.poll().state == "closed"

    def test_opening_an_open_poll_and_closing_a_closed_one_change_nothing(self, open_room: PollRoom) -> None:
        then_nothing(open_room.when(open_room.command("open_poll")))
        open_room.given(open_room.command("close_poll"))
        then_nothing(open_room.when(open_room.command("close_poll", id="close:timer")))

    def test_a_closed_poll_is_not_opened_again_by_open_poll(self, open_room: PollRoom) -> None:
        open_room.given(open_room.command("close_poll"))
        then_error(open_room.when(open_room.command("open_poll")), "poll_closed")

    def test_closing_records_who_could_vote_then(self, open_room: PollRoom) -> None:
        then(open_room.when(open_room.command("close_poll")), ("Poll.Closed", {"eligible": 3}))

    def test_a_closed_poll_is_reopened_with_its_ballots_and_a_new_deadline(self, open_room: PollRoom) -> None:
        open_room.given(open_room.vote("Ann", "o1"), open_room.command("close_poll"))
        then(
            open_room.when(open_room.command("reopen_poll", {"closes_at": "2026-11-22T11:00:00Z"})),
            ("Poll.Reopened", {"closes_at": "2026-11-22T11:00:00+00:00"}),
        )
        poll = open_room.poll()
        assert (poll.state, poll.closes_at, list(poll.voters)) == (
            "open",
            "2026-11-22T11:00:00+00:00",
            [open_room.s.ids["Ann"]],
        )
        then(open_room.when(open_room.vote("Bob", "o2")), "Poll.BallotCast")
        then_nothing(open_room.when(open_room.command("reopen_poll")))  # open already

    def test_reopening_clears_the_old_deadline_unless_given_a_new_one(self, room: PollRoom) -> None:
        room.given(room.command("open_poll", {"closes_at": "2026-11-22T10:00:00Z"}), room.command("close_poll"))
        then(room.when(room.command("reopen_poll")), ("Poll.Reopened", {"closes_at": ""}))

    def test_a_draft_or_a_closed_secret_poll_is_not_reopened(self, room: PollRoom) -> None:
        then_error(room.when(room.command("reopen_poll")), "poll_not_open")
        room.given(
            room.create("s", secret=True), room.command("open_poll", poll="s"), room.command("close_poll", poll="s")
        )
        then_error(room.when(room.command("reopen_poll", poll="s")), "secret_poll_closed")

    def test_a_poll_is_duplicated_into_a_new_draft_with_its_settings(self, open_room: PollRoom) -> None:
        open_room.given(open_room.vote("Ann", "o1"), open_room.command("close_poll"))
        when = open_room.when(open_room.command("duplicate_poll", id="dup-1"))
        new_id = poll_id_for(open_room.s.workshop_id, "dup-1")
        assert when.outcome.result == {"poll_id": str(new_id)}
        [created] = when.events
        assert (poll_event_name(created), created.originator_id) == ("Poll.Created", new_id)
        copy: Poll = open_room.app.repository.get(new_id)
        assert copy.state == "draft" and copy.voters == {}
        assert copy.settings() == {**open_room.poll().settings(), "closes_at": ""}
        retry = open_room.when(open_room.command("duplicate_poll", id="dup-1"))
        assert retry.outcome.duplicate and retry.outcome.result == {"poll_id": str(new_id)} and retry.events == []

    def test_only_a_facilitator_duplicates_an_existing_poll(self, room: PollRoom) -> None:
        then_error(room.when(room.command("duplicate_poll", {}, room.as_("Ann"))), "forbidden")
        then_error(room.when(room.command("duplicate_poll", {"poll_id": str(uuid.uuid4())})), "unknown_poll")

    def test_a_draft_cannot_be_closed(self, room: PollRoom) -> None:
        then_error(room.when(room.command("close_poll")), "poll_not_open")

    @pytest.mark.parametrize("state", ["draft", "open", "closed"])
    def test_results_can_be_shown_and_hidden_at_any_time(self, room: PollRoom, state: str) -> None:
        room.given(
            *[
                room.command(n)
                for n in {"draft": [], "open": ["open_poll"], "closed": ["open_poll", "close_poll"]}[state]
            ]
        )
        then(
            room.when(room.command("set_results_visibility", {"visibility": "shown"})),
            ("Poll.VisibilityChanged", {"visibility": "shown"}),
        )
        then_nothing(room.when(room.command("set_results_visibility", {"visibility": "shown"})))
        then_error(room.when(room.command("set_results_visibility", {"visibility": "all"})), "invalid_args")

    def test_the_deadline_moves_while_open_and_not_after(self, open_room: PollRoom) -> None:
        then(
            open_room.when(open_room.command("set_poll_deadline", {"closes_at": "2026-11-22T10:05:00+00:00"})),
            ("Poll.DeadlineChanged", {"closes_at": "2026-11-22T10:05:00+00:00"}),
        )
        then(
            open_room.when(open_room.command("set_poll_deadline", {"closes_at": None})),
            ("Poll.DeadlineChanged", {"closes_at": ""}),
        )
        open_room.given(open_room.command("close_poll"))
        then_error(open_room.when(open_room.command("set_poll_deadline", {"closes_at": None})), "poll_closed")

    def test_participants_do_not_manage_polls(self, room: PollRoom) -> None:
        for name in ("update_poll", "open_poll", "close_poll", "set_results_visibility", "set_poll_deadline"):
            then_error(room.when(room.command(name, {}, room.as_("Ann"))), "forbidden")

    def test_a_poll_of_another_workshop_or_no_poll_is_unknown(self, room: PollRoom) -> None:
        other = PollRoom()
        other.given(other.create())
        then_error(room.when(room.command("open_poll", {"poll_id": str(other.polls["p"])})), "unknown_poll")
        then_error(room.when(room.command("open_poll", {"poll_id": str(uuid.uuid4())})), "unknown_poll")
        then_error(room.when(room.command("open_poll", {"poll_id": "not-a-uuid"})), "invalid_args")

    def test_every_command_has_roles(self) -> None:
        assert set(POLL_COMMANDS) == {
            "create_poll",
            "update_poll",
            "open_poll",
            "close_poll",
            "reopen_poll",
            "duplicate_poll",
            "set_results_visibility",
            "set_poll_deadline",
            "cast_ballot",
        }
        assert {n for n, s in POLL_COMMANDS.items() if "participant" in s.roles} == {"cast_ballot"}


# ------------------------------------------------------------------------------------------------------------
# Ballots.

SURVEY: dict[str, Any] = {
    "kind": "survey",
    "questions": [
        {"kind": "single", "options": OPTIONS},
        {"kind": "multiple", "options": OPTIONS, "max_choices": 2},
        {"kind": "scale", "scale": "1-5"},
        {"kind": "ranking", "options": OPTIONS},
        {"kind": "text"},
        {"kind": "dots", "options": OPTIONS, "dots": 4, "max_per_item": 2},
    ],
}


@pytest.fixture
def survey() -> PollRoom:
    r = PollRoom()
    r.people("Ann", "Bob")
    r.given(r.create(**SURVEY), r.command("open_poll"))
    return r


class TestCastBallot:
    def test_a_named_ballot_records_the_participant_and_their_profile(self, open_room: PollRoom) -> None:
        w = open_room.when(open_room.vote("Ann", "o2"))
        then(
            w,
            (
                "Poll.BallotCast",
                {
                    "participant_id": open_room.s.ids["Ann"],
                    "answers": {"q1": "o2"},
                    "country": "IT",
                    "sector": "Agrifood",
                    "organisation": "Cluster X",
                },
            ),
        )
        assert w.events[0].command_id == w.outcome.command.id
        assert w.outcome.result == {} and w.outcome.position == w.outcome.events[-1][0]

    def test_answers_are_stored_in_canonical_form(self, survey: PollRoom) -> None:
        answers = {
            "q2": ["o3", "o1"],
            "q3": 4,
            "q4": ["o3", "o1"],
            "q5": "  More\r\nbreaks  ",
            "q6": {"o3": 2, "o2": 0, "o1": 1},
        }
        w = survey.when(survey.vote("Ann", answers=answers))
        then(
            w,
            (
                "Poll.BallotCast",
                {
                    "answers": {
                        "q2": ["o1", "o3"],
                        "q3": 4,
                        "q4": ["o3", "o1"],
                        "q5": "More\nbreaks",
                        "q6": {"o1": 1, "o3": 2},
                    }
                },
            ),
        )

    def test_a_new_ballot_replaces_the_voters_earlier_one(self, open_room: PollRoom) -> None:
        open_room.given(open_room.vote("Ann", "o1"))
        then(open_room.when(open_room.vote("Ann", "o3")), ("Poll.BallotCast", {"answers": {"q1": "o3"}}))
        assert list(open_room.poll().voters) == [open_room.s.ids["Ann"]]

    def test_a_retried_ballot_is_answered_from_the_history_and_recorded_once(self, open_room: PollRoom) -> None:
        open_room.given(open_room.vote("Ann", "o1", id="ballot-1"))
        open_room.given(open_room.vote("Ann", "o2", id="ballot-2"))
        w = open_room.when(open_room.vote("Ann", "o1", id="ballot-1"))  # the first one again, after a change
        assert w.outcome.duplicate and w.events == []
        assert [e.answers for e in open_room.events() if isinstance(e, Poll.BallotCast)] == [
            {"q1": "o1"},
            {"q1": "o2"},
        ]

    def test_a_retry_in_the_same_batch_applies_once(self, open_room: PollRoom) -> None:
        w = open_room.when(open_room.vote("Ann", "o1", id="b"), open_room.vote("Ann", "o1", id="b"))
        assert [o.duplicate for o in w.outcomes] == [False, True]
        assert [poll_event_name(e) for e in w.events] == ["Poll.BallotCast"]

    def test_a_retry_after_a_restart_is_still_a_duplicate(self, open_room: PollRoom) -> None:
        open_room.given(open_room.vote("Ann", "o1", id="b"))
        open_room.app.repository.cache = None  # no cached aggregate: the retry is recognised from the events
        w = open_room.when(open_room.vote("Ann", "o1", id="b"))
        assert w.outcome.duplicate and w.events == []

    def test_not_before_opening_nor_after_closing(self, room: PollRoom) -> None:
        then_error(room.when(room.vote("Ann", "o1")), "poll_not_open")
        room.given(room.command("open_poll"), room.command("close_poll"))
        then_error(room.when(room.vote("Ann", "o1")), "poll_closed")

    def test_a_ballot_after_closing_in_the_same_batch_is_refused(self, open_room: PollRoom) -> None:
        w = open_room.when(open_room.vote("Ann", "o1"), open_room.command("close_poll"), open_room.vote("Bob", "o2"))
        assert [o.error.code if o.error else None for o in w.outcomes] == [None, None, "poll_closed"]

    def test_only_present_participants_vote(self, open_room: PollRoom) -> None:
        then_error(open_room.when(open_room.command("cast_ballot", {"answer": "o1"})), "forbidden")
        open_room.s.given(open_room.s.command("leave", {}, open_room.as_("Cy")))
        then_error(open_room.when(open_room.vote("Cy", "o1")), "not_joined")

    def test_a_group_poll_takes_ballots_from_its_groups_only(self) -> None:
        r = PollRoom()
        r.people("Ann", "Bob")
        r.groups[r.s.ids["Ann"]] = frozenset({"g1"})
        r.given(r.create(groups=["g1", "g2"]), r.command("open_poll"))
        then(r.when(r.vote("Ann", "o1")), "Poll.BallotCast")
        then_error(r.when(r.vote("Bob", "o1")), "not_in_scope")

    @pytest.mark.parametrize(
        ("answers", "code"),
        [
            ({"q1": "o9"}, "invalid_choice"),
            ({"q1": ["o1"]}, "invalid_choice"),
            ({"q2": []}, "invalid_choice"),
            ({"q2": ["o1", "o1"]}, "invalid_choice"),
            ({"q2": ["o1", "o2", "o3"]}, "too_many_choices"),
            ({"q2": "o1"}, "invalid_args"),
            ({"q3": 6}, "invalid_choice"),
            ({"q3": 0}, "invalid_choice"),
            ({"q3": True}, "invalid_choice"),
            ({"q3": 4.0}, "invalid_choice"),
            ({"q4": ["o1", "o9"]}, "invalid_choice"),
            ({"q4": ["o2", "o2"]}, "invalid_choice"),
            ({"q5": "x" * 501}, "text_too_long"),
            ({"q5": "   "}, "invalid_text"),
            ({"q5": "a\u202eb"}, "invalid_text"),
            ({"q5": 5}, "invalid_args"),
            ({"q6": {"o1": 3}}, "too_many_dots"),
            ({"q6": {"o1": 2, "o2": 2, "o3": 1}}, "too_many_dots"),
            ({"q6": {"o1": 0}}, "invalid_choice"),
            ({"q6": {"o9": 1}}, "invalid_choice"),
            ({"q6": {"o1": -1}}, "invalid_args"),
            ({"q6": ["o1"]}, "invalid_args"),
            ({"q7": "o1"}, "unknown_question"),
            ({}, "empty_ballot"),
        ],
    )
    def test_refuses_bad_answers(self, survey: PollRoom, answers: dict[str, Any], code: str) -> None:
        then_error(survey.when(survey.vote("Ann", answers=answers)), code)

    def test_answer_is_only_for_a_poll_of_one_question(self, survey: PollRoom) -> None:
        then_error(survey.when(survey.vote("Ann", "o1")), "invalid_args")
        w = survey.when(survey.command("cast_ballot", {"answer": "o1", "answers": {}}, survey.as_("Ann")))
        then_error(w, "invalid_args")
        then_error(survey.when(survey.command("cast_ballot", {"answers": ["o1"]}, survey.as_("Ann"))), "invalid_args")

    def test_a_survey_ballot_answers_any_subset(self, survey: PollRoom) -> None:
        then(
            survey.when(survey.vote("Ann", answers={"q5": "Good"})),
            ("Poll.BallotCast", {"answers": {"q5": "Good"}}),
        )


# ------------------------------------------------------------------------------------------------------------
# Secret ballots.


@pytest.fixture
def secret() -> PollRoom:
    r = PollRoom()
    r.people("Ann", "Bob", "Cy")
    r.given(r.create(secret=True), r.command("open_poll"))
    return r


class TestSecretBallots:
    def test_a_secret_ballot_records_a_keyed_tag_and_a_keyed_command_id(self, secret: PollRoom) -> None:
        key = secret.keys.get(secret.polls["p"])
        assert key is not None and len(key) == 32
        w = secret.when(secret.vote("Ann", "o1", id="ann-ballot-1"))
        then(
            w,
            (
                "Poll.SecretBallotCast",
                {"voter_tag": voter_tag(key, secret.s.ids["Ann"]), "cell": "", "answers": {"q1": "o1"}},
            ),
        )
        [event] = w.events
        assert event.command_id != "ann-ballot-1" and len(event.command_id) == 64
        assert not hasattr(event, "participant_id")

    def test_secret_ballots_carry_the_opening_time_not_the_time_of_voting(self, secret: PollRoom) -> None:
        secret.given(secret.vote("Ann", "o1"), secret.vote("Bob", "o2"))
        opened = next(e for e in secret.events() if isinstance(e, Poll.Opened))
        ballots = [e for e in secret.events() if isinstance(e, Poll.SecretBallotCast)]
        assert {e.timestamp for e in ballots} == {opened.timestamp}

    def test_one_ballot_per_voter_replacement_and_retry_still_hold(self, secret: PollRoom) -> None:
        secret.given(secret.vote("Ann", "o1", id="a1"), secret.vote("Bob", "o2"))
        secret.given(secret.vote("Ann", "o3", id="a2"))
        w = secret.when(secret.vote("Ann", "o1", id="a1"))
        assert w.outcome.duplicate and w.events == []
        assert len(secret.poll().voters) == 2

    def test_the_key_goes_when_the_closing_is_committed(self, secret: PollRoom) -> None:
        poll_id = secret.polls["p"]
        secret.given(secret.vote("Ann", "o1", id="a1"))
        secret.given(secret.command("close_poll"))
        assert secret.keys.get(poll_id) is None and poll_id not in secret.keys.poll_ids()
        # Without the key even a retry cannot be recognised: it is refused, never counted.
        then_error(secret.when(secret.vote("Ann", "o1", id="a1")), "poll_closed")

    def test_a_poll_that_lost_its_key_refuses_ballots(self, secret: PollRoom) -> None:
        secret.keys.discard(secret.polls["p"])
        then_error(secret.when(secret.vote("Ann", "o1")), "poll_key_missing")

    def test_tags_differ_between_polls(self, secret: PollRoom) -> None:
        secret.given(secret.create("q", secret=True), secret.command("open_poll", poll="q"))
        secret.given(secret.vote("Ann", "o1"), secret.vote("Ann", "o1", poll="q"))
        tags = [e.voter_tag for a in ("p", "q") for e in secret.events(a) if isinstance(e, Poll.SecretBallotCast)]
        assert len(set(tags)) == 2

    def test_no_participant_id_token_or_command_id_in_the_stored_poll_events(self) -> None:
        r = PollRoom()
        names = [f"Person{i}" for i in range(8)]
        r.people(*names[:4], country="IT")
        r.people(*names[4:], country="FR", sector="Energy")
        r.given(r.create(**SURVEY, secret=True, breakdown="country"), r.command("open_poll"))
        for i, name in enumerate(names):
            answers = {"q1": "o1", "q3": 1 + i % 5, "q5": "fine", "q6": {"o2": 1}}
            r.given(r.vote(name, answers=answers, id=f"{name}-ballot-1"))
            if i % 2:
                r.given(r.vote(name, answers={"q1": "o2"}, id=f"{name}-ballot-2"))  # a change of mind
            if i % 3 == 0:
                r.when(r.vote(name, answers=answers, id=f"{name}-ballot-1"))  # a retry
        r.given(r.command("close_poll"))
        secrets: list[bytes] = []
        for name in names:
            pid = r.s.ids[name]
            token = r.s.tokens[name]
            secrets += [
                pid.encode(),
                UUID(pid).bytes,
                UUID(pid).hex.encode(),
                token.encode(),
                hash_token(token).encode(),
                bytes.fromhex(hash_token(token)),
                name.encode(),
                f"join:{name}".encode(),
                f"{name}-ballot".encode(),
            ]
        stored = r.notifications()
        assert sum(1 for n in stored if n.topic.endswith("SecretBallotCast")) == 8 + 4
        for n in stored:
            for needle in secrets:
                assert needle not in n.state, (n.topic, needle)
                assert needle.decode("latin-1") not in n.topic
        # Breakdown cells are coarse: 4 IT and 4 FR are both below the threshold of 5: all "other".
        assert {e.cell for e in r.events() if isinstance(e, Poll.SecretBallotCast)} == {""}
        assert r.keys.poll_ids() == []


class TestSecretBreakdownCells:
    def test_a_value_shared_by_fewer_than_five_present_people_is_stored_as_other(self) -> None:
        r = PollRoom()
        r.people(*[f"It{i}" for i in range(6)], country="IT")
        r.people(*[f"Fr{i}" for i in range(5)], country="FR")
        r.people("De0", country="DE")
        r.given(r.create(secret=True, breakdown="country"), r.command("open_poll"))
        r.given(r.vote("It0", "o1"), r.vote("Fr0", "o1"), r.vote("De0", "o1"))
        # DE alone would be singled out; "other" holding only DE would too, so FR (the smallest) joins it.
        assert [e.cell for e in r.events() if isinstance(e, Poll.SecretBallotCast)] == ["IT", "", ""]

    def test_a_voters_cell_is_fixed_by_their_first_ballot(self) -> None:
        r = PollRoom()
        r.people(*[f"It{i}" for i in range(5)], country="IT")
        r.given(r.create(secret=True, breakdown="country"), r.command("open_poll"))
        r.given(r.vote("It0", "o1"))
        r.s.given(r.s.command("leave", {}, r.as_("It4")))  # IT drops below the threshold
        r.given(r.vote("It0", "o2"), r.vote("It1", "o2"))
        assert [e.cell for e in r.events() if isinstance(e, Poll.SecretBallotCast)] == ["IT", "IT", ""]


@settings(max_examples=300, deadline=None, database=None)
@given(st.dictionaries(st.text(min_size=1, max_size=3), st.integers(1, 12), max_size=8), st.integers(0, 6))
def test_kept_cells_never_single_anyone_out(counts: dict[str, int], other: int) -> None:
    kept = kept_cells(counts, 5, other)
    assert all(counts[v] >= 5 for v in kept)
    rest = other + sum(n for v, n in counts.items() if v not in kept)
    assert rest == 0 or rest >= 5 or not kept  # "other" is empty, large enough, or everyone (no breakdown)


# ------------------------------------------------------------------------------------------------------------
# Key stores.


@pytest.fixture(params=["memory", "files"])
def keys(request: pytest.FixtureRequest, tmp_path: Path) -> PollKeys:
    return MemoryPollKeys() if request.param == "memory" else FilePollKeys(tmp_path / "keys")


class TestPollKeys:
    def test_create_get_discard(self, keys: PollKeys) -> None:
        a, b = uuid.uuid4(), uuid.uuid4()
        key = keys.create(a)
        assert len(key) == 32 and keys.get(a) == key and keys.create(a) == key
        assert keys.get(b) is None
        assert keys.create(b) != key
        assert keys.poll_ids() == sorted([a, b])
        keys.discard(a)
        keys.discard(a)  # no error the second time
        assert keys.get(a) is None and keys.poll_ids() == [b]

    def test_sweep_discards_the_keys_of_polls_not_open(self, keys: PollKeys) -> None:
        open_, closed = uuid.uuid4(), uuid.uuid4()
        keys.create(open_), keys.create(closed)
        assert sweep(keys, {open_}) == [closed]
        assert keys.poll_ids() == [open_]

    def test_files_are_private_and_survive_a_restart(self, tmp_path: Path) -> None:
        directory = tmp_path / "keys"
        poll_id = uuid.uuid4()
        old = os.umask(0o022)
        try:
            key = FilePollKeys(directory).create(poll_id)
        finally:
            os.umask(old)
        path = directory / f"{poll_id}.key"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        assert path.read_bytes() == key
        assert FilePollKeys(directory).get(poll_id) == key  # a new process finds it

    def test_discarding_overwrites_the_file_before_removing_it(self, tmp_path: Path) -> None:
        store = FilePollKeys(tmp_path / "keys")
        poll_id = uuid.uuid4()
        store.create(poll_id)
        witness = tmp_path / "witness"
        os.link(store.directory / f"{poll_id}.key", witness)  # a second name for the same inode
        store.discard(poll_id)
        assert not (store.directory / f"{poll_id}.key").exists()
        assert witness.read_bytes() == bytes(32)
        assert FilePollKeys(store.directory).get(poll_id) is None

    def test_a_damaged_key_file_is_an_error_not_a_new_key(self, tmp_path: Path) -> None:
        store = FilePollKeys(tmp_path / "keys")
        poll_id = uuid.uuid4()
        (store.directory / f"{poll_id}.key").write_bytes(b"short")
        with pytest.raises(OSError, match="damaged"):
            store.get(poll_id)

    def test_an_interrupted_create_leaves_nothing_behind(self, tmp_path: Path) -> None:
        directory = tmp_path / "keys"
        directory.mkdir()
        (directory / f"{uuid.uuid4()}.tmp").write_bytes(b"half")
        assert list(FilePollKeys(directory).directory.iterdir()) == []
