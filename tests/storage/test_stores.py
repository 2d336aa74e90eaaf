"""The same domain scenario against every event store: in memory, a SQLite file and PostgreSQL (a schema per
test). Reopening a store rebuilds the same workshop and the same views."""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import OperationalError, ProgrammingError

from domain.application import Command, Outcome, Tavolo
from domain.workshop import Workshop
from projections import views
from projections.workshop import fold
from server.stores import StoreURLError, store_env
from tests.domain.builders import ANONYMOUS, Scenario, event_name, participant, position, stored_events

COUNTRIES = ["IT", "FR", "DE", "ES", "PT"]
ORGANISATIONS = ["Cluster X", "Cluster Y", "Uni Z"]
SECTORS = ["Agrifood", "Energy", "Mobility"]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/tavolo.db"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def durable_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store that outlives its application (so it can be reopened, or shared by two)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/tavolo.db"
    url: str = request.getfixturevalue("postgres_url")
    return url


@contextlib.contextmanager
def opened(url: str, cls: type[Tavolo] = Tavolo, max_participants: int = 5000) -> Iterator[Tavolo]:
    app = cls(store_env(url), max_participants)
    try:
        yield app
    finally:
        app.close()


class Story:
    """Create; 50 joins in one batch; an agenda reordered and started; one leave; a retried join."""

    def __init__(self, app: Tavolo) -> None:
        self.s = s = Scenario(app=app)
        self.joins = [
            s.join(
                f"P{n:02d}",
                country=COUNTRIES[n % 5],
                organisation=ORGANISATIONS[n % 3],
                sector=SECTORS[n % 3],
            )
            for n in range(50)
        ]
        self.join_outcomes = s.given(*self.joins)
        s.given(s.add_item("A"), s.add_item("B", duration_min=30), s.add_item("C", planned_start="11:00"))
        s.given(
            s.command("reorder_agenda", {"item_ids": [s.ids["C"], s.ids["A"], s.ids["B"]]}),
            s.command("start_agenda_item", {"item_id": s.ids["A"]}),
        )
        s.given(s.command("leave", {}, s.as_("P07")))
        self.retry = s.when(self.joins[3])

    def views(self) -> dict[str, Any]:
        model = fold(self.s.workshop_id, stream(self.s.app))
        online = {self.s.ids["P01"], self.s.ids["P07"]}
        return {
            "dashboard": views.dashboard(model, online),
            "projector": views.projector(model, online),
            "participant": views.participant(model, online, self.s.ids["P02"]),
            "position": model.position,
        }


def stream(app: Tavolo) -> list[tuple[int, Any]]:
    return [(n.id, app.mapper.to_domain_event(n)) for n in app.recorder.select_notifications(1, 10_000)]


def state(app: Tavolo, workshop_id: uuid.UUID) -> dict[str, Any]:
    w: Workshop = app.repository.get(workshop_id)
    return {
        "version": w.version,
        "title": w.title,
        "sectors": w.sectors,
        "code": w.code,
        "participants": w.participants,
        "tokens": w.tokens,
        "agenda": w.agenda,
        "current_item": w.current_item,
        "commands": w.commands,
        "hashes": (w.facilitator_token_hash, w.projector_token_hash),
    }


EXPECTED_EVENTS = [
    "Created",
    "JoinCode.Created",
    *["ParticipantJoined"] * 50,
    *["AgendaItemAdded"] * 3,
    "AgendaReordered",
    "AgendaItemStarted",
    "ParticipantLeft",
]


class TestEveryStore:
    def test_a_fresh_store_is_empty(self, store_url: str) -> None:
        with opened(store_url) as app:
            assert position(app) == 0
            assert app.recorder.select_notifications(1, 10) == []

    def test_the_scenario(self, store_url: str) -> None:
        with opened(store_url) as app:
            story = Story(app)
            s = story.s
            events = stored_events(app)
            assert [event_name(e) for e in events] == EXPECTED_EVENTS
            assert [n.id for n in app.recorder.select_notifications(1, 1000)] == list(range(1, 59))

            # 50 joins, one batch: 50 participants, in order, each outcome with its own position.
            ids = [o.result["participant_id"] for o in story.join_outcomes]
            assert len(set(ids)) == 50
            assert [o.position for o in story.join_outcomes] == list(range(3, 53))
            assert [e.name for e in events[2:52]] == [f"P{n:02d}" for n in range(50)]

            # The retry applied nothing and answered with the original participant id.
            retry = story.retry.outcome
            assert retry.duplicate and retry.error is None and story.retry.events == []
            assert retry.result == {"participant_id": ids[3]}
            assert position(app) == 58

            w = s.workshop()
            assert sum(p.status == "present" for p in w.participants.values()) == 49
            assert w.participants[s.ids["P07"]].status == "left"
            assert [i.title for i in w.agenda] == ["C", "A", "B"] and w.current_item == s.ids["A"]
            assert app.workshop_for_code(s.code) == s.workshop_id

            counts = story.views()["dashboard"]["counts"]
            assert counts["joined"] == 49 and counts["online"] == 1
            assert counts["by_country"] == [
                ["ES", 10],
                ["FR", 10],
                ["IT", 10],
                ["PT", 10],
                ["DE", 9],
            ]  # P07 left
            assert counts["by_sector"] == [["Agrifood", 17], ["Energy", 16], ["Mobility", 16]]

    def test_a_store_failure_refuses_the_whole_batch_and_a_retry_applies_it_once(
        self, store_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        with opened(store_url) as app:
            s = Scenario(app=app)
            s.given(s.join("Ann"))
            before = state(app, s.workshop_id)
            batch = [
                s.join("Bob"),
                s.add_item("A"),
                s.command("leave", {}, s.as_("Ann")),
                s.command("add_agenda_item", {"title": ""}),
            ]
            insert = app.recorder.insert_events
            calls = []

            def failing(*args: Any, **kwargs: Any) -> Any:
                calls.append(1)
                if len(calls) == 1:
                    raise OperationalError("disk I/O error")
                return insert(*args, **kwargs)

            monkeypatch.setattr(app.recorder, "insert_events", failing)
            refused = app.execute(batch)
            assert [o.error.code if o.error else None for o in refused] == [
                "unavailable",
                "unavailable",
                "unavailable",
                "invalid_text",
            ]
            assert all(o.events == [] and o.position is None for o in refused)
            assert state(app, s.workshop_id) == before and position(app) == 3

            retried = app.execute(batch)
            assert [o.error.code if o.error else None for o in retried] == [None, None, None, "invalid_text"]
            assert not any(o.duplicate for o in retried)
            again = app.execute(batch[:3])
            assert [o.duplicate for o in again] == [True, True, True]
            assert [event_name(e) for e in stored_events(app, 3)] == [
                "ParticipantJoined",
                "AgendaItemAdded",
                "ParticipantLeft",
            ]


class TestReopening:
    def test_a_reopened_store_rebuilds_the_same_workshop_and_views(self, durable_url: str) -> None:
        with opened(durable_url) as app:
            story = Story(app)
            workshop_id, code = story.s.workshop_id, story.s.code
            before, views_before = state(app, workshop_id), story.views()
            token = story.s.created.result["facilitator_token"]
        with opened(durable_url) as app:
            story.s.app = app
            assert state(app, workshop_id) == before
            assert story.views() == views_before
            assert app.workshop_for_code(code) == workshop_id
            assert token.encode() not in b"".join(n.state for n in app.recorder.select_notifications(1, 100))

            # Command ids are remembered by the recorded history: retries after a restart still apply once.
            [join] = app.execute([story.joins[10]])
            assert join.duplicate and join.result == {
                "participant_id": story.join_outcomes[10].result["participant_id"]
            }
            [create] = app.execute([story.s.created.command])
            assert create.duplicate and create.result == {"workshop_id": str(workshop_id), "code": code}

            # And the log goes on where it stopped.
            [late] = app.execute([story.s.join("Late")])
            assert late.error is None and late.position == 59

    def test_two_applications_on_one_store_see_each_other(self, durable_url: str) -> None:
        with opened(durable_url) as one, opened(durable_url) as two:
            s = Scenario(app=one)
            s.given(s.join("Ann"))
            wid = s.workshop_id
            one.repository.get(wid)  # cached in `one`: it must still see what `two` commits
            [bob] = two.execute([Command("j-bob", "join", _profile("Bob"), wid, ANONYMOUS)])
            [cy] = one.execute([Command("j-cy", "join", _profile("Cy"), wid, ANONYMOUS)])
            assert bob.error is None and cy.error is None
            for app in (one, two):
                workshop: Workshop = app.repository.get(wid)
                assert [p.name for p in workshop.participants.values()] == ["Ann", "Bob", "Cy"]

    def test_a_conflicting_commit_reruns_the_batch_on_the_new_state(self, durable_url: str) -> None:
        # `racer` reads the workshop, then, before it saves, `rival` commits to the same workshop: the save
        # conflicts and the batch runs again on the new state (max_participants makes the new state matter).
        rival_outcomes: list[Outcome] = []

        class Racer(Tavolo):
            name = "Tavolo"  # eventsourcing names a subclass after itself, and PostgreSQL tables after the name
            rival: Tavolo | None = None
            rival_batch: list[Command]

            def save(self, *objs: Any, **kwargs: Any) -> Any:
                rival, self.rival = self.rival, None
                if rival is not None:
                    rival_outcomes.extend(rival.execute(self.rival_batch))
                return super().save(*objs, **kwargs)

        with opened(durable_url, Racer, max_participants=3) as racer, opened(durable_url) as rival:
            s = Scenario(app=racer)
            s.given(s.join("Ann"))
            assert isinstance(racer, Racer)
            racer.rival, racer.rival_batch = rival, [s.join("Bob")]
            outcomes = racer.execute([s.join("Cy"), s.join("Dee")])
            assert [o.error for o in rival_outcomes] == [None]
            assert [o.error.code if o.error else None for o in outcomes] == [None, "workshop_full"]
            assert (outcomes[0].position or 0) > (rival_outcomes[0].position or 0) > 0
            assert [p.name for p in s.workshop().participants.values()] == ["Ann", "Bob", "Cy"]
            assert [event_name(e) for e in stored_events(racer, 3)] == ["ParticipantJoined"] * 2


def _profile(name: str) -> dict[str, Any]:
    return {"name": name, "organisation": "O", "country": "IT", "sector": "Energy"}


class TestSQLite:
    def test_runs_in_wal_mode_with_full_synchronous_commits(self, tmp_path: Path) -> None:
        with opened(f"sqlite:///{tmp_path}/t.db") as app:
            with app.recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute("PRAGMA journal_mode")
                journal = cursor.fetchone()[0]
                cursor.execute("PRAGMA synchronous")
                synchronous = cursor.fetchone()[0]
            # WAL is set by eventsourcing for every file database. synchronous is set neither by Tavolo nor by
            # eventsourcing: it is SQLite's compiled default (FULL = 2 in Debian's and CPython's builds). In
            # WAL mode NORMAL (1) could lose the last acknowledged commits on power loss, breaking the
            # protocol's "ack only after a durable commit".
            assert journal.lower() == "wal"
            assert synchronous == 2, f"PRAGMA synchronous = {synchronous} (SQLite {sqlite3.sqlite_version})"

    def test_the_file_holds_the_events(self, tmp_path: Path) -> None:
        with opened(f"sqlite:///{tmp_path}/sub/dir/t.db") as app:
            Scenario(app=app)
        with contextlib.closing(sqlite3.connect(tmp_path / "sub" / "dir" / "t.db")) as db:
            assert db.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0] == 2


@pytest.mark.postgres
class TestPostgres:
    def test_each_test_has_a_schema_of_its_own(self, postgres_url: str) -> None:
        schema = postgres_url.rpartition("schema=")[2]
        assert schema.startswith("tavolo_test_")
        assert store_env(postgres_url)["POSTGRES_SCHEMA"] == schema
        with opened(postgres_url) as app:
            assert position(app) == 0
            Scenario(app=app)
            assert position(app) == 2

    def test_a_schema_that_does_not_exist_is_reported_at_start_up(self, postgres_url: str) -> None:
        missing = postgres_url.rpartition("schema=")[0] + "schema=tavolo_missing_" + uuid.uuid4().hex[:8]
        with pytest.raises(ProgrammingError, match="does not exist"):
            Tavolo(store_env(missing))


# ------------------------------------------------------------------------------------------------------------
# store_env: which URLs are accepted, and what they become.


class TestStoreURLs:
    def test_memory(self) -> None:
        assert store_env("memory://") == {"PERSISTENCE_MODULE": "eventsourcing.popo"}

    def test_sqlite_absolute_path_and_its_parent_folders(self, tmp_path: Path) -> None:
        path = tmp_path / "new" / "folder" / "t.db"
        env = store_env(f"sqlite:///{path}")
        assert env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"
        assert env["SQLITE_DBNAME"] == str(path)
        assert path.parent.is_dir()

    def test_sqlite_relative_path(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(tmp_path)
        assert store_env("sqlite:///data/t%20x.db")["SQLITE_DBNAME"] == "data/t x.db"
        assert (tmp_path / "data").is_dir()

    def test_postgres(self) -> None:
        env = store_env("postgresql://tav%40olo:p%2Fw@db.example:6543/tavolo%20db?schema=events")
        assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
        assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("tav@olo", "p/w")
        assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DBNAME"]) == (
            "db.example",
            "6543",
            "tavolo db",
        )
        assert env["POSTGRES_SCHEMA"] == "events"

    def test_postgres_defaults(self) -> None:
        env = store_env("postgres+psycopg://u@127.0.0.1/test")
        assert (env["POSTGRES_PORT"], env["POSTGRES_PASSWORD"]) == ("5432", "")
        assert "POSTGRES_SCHEMA" not in env

    @pytest.mark.parametrize(
        "url",
        [
            "",
            "data/tavolo.db",
            "sqlite://",
            "sqlite:///",
            "sqlite:///:memory:",
            "mysql://u@h/db",
            "postgresql://u@h",
            "postgresql://u@h/",
            "redis://127.0.0.1:6379/0",
            "memory",
            "postgresql://u@h:notaport/db",
            "postgresql://u@h:99999/db",
        ],
    )
    def test_bad_urls_are_refused_with_store_url_error(self, url: str) -> None:
        with pytest.raises(StoreURLError):
            store_env(url)


def test_a_participant_actor_reaches_its_workshop_on_every_store(store_url: str) -> None:
    # The actor plumbing on each backend (ids are strings in events, UUIDs in rows).
    with opened(store_url) as app:
        s = Scenario(app=app)
        s.given(s.join("Ann"))
        [o] = app.execute([s.command("update_profile", {"role": "Chair"}, participant(s.ids["Ann"]))])
        assert o.error is None and [event_name(e) for _, e in o.events] == ["ProfileChanged"]
