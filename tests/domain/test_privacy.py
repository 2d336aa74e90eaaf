"""Personal data: sealed in the store, erased for good by destroying a key (crypto-shredding)."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

from domain.application import Tavolo
from domain.personal import MemoryPersonalKeys, SqlitePersonalKeys
from domain.workshop import Workshop
from tests.domain.builders import Scenario, participant, then_error, then_events

NAMES = {"Ann": "Annabelle Quist", "Bob": "Bartholomew Zed"}


def _room(app: Tavolo | None = None) -> Scenario:
    s = Scenario(app=app)
    for alias, name in NAMES.items():
        s.given(s.join(alias, name=name, organisation=f"{name} Holdings", role=f"{name}'s role"))
    return s


def _stored(app: Tavolo) -> bytes:
    return b"".join(n.state for n in app.recorder.select_notifications(1, 100_000))


def test_names_organisations_and_roles_never_reach_the_store_in_clear() -> None:
    s = _room()
    stored = _stored(s.app)
    for name in NAMES.values():
        assert name.encode() not in stored and f"{name} Holdings".encode() not in stored
    assert b"Agrifood" in stored  # categories stay in clear: counts and breakdowns need them
    workshop: Workshop = s.app.repository.get(s.workshop_id)
    assert workshop.participants[s.ids["Ann"]].name == NAMES["Ann"]  # read back in clear while the key lives


def test_forget_me_destroys_the_key_so_a_rebuild_reads_nothing(tmp_path: Path) -> None:
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "t.db")}
    app = Tavolo(env)
    s = _room(app)
    then_events(s.when(s.command("forget_me", {}, s.as_("Ann"))), ("ParticipantErased", {"by": "self"}))
    then_error(s.when(s.command("update_profile", {"name": "Back"}, s.as_("Ann"))), "not_joined")
    app.close()
    reopened = Tavolo(env)
    workshop: Workshop = reopened.repository.get(s.workshop_id)
    ann, bob = workshop.participants[s.ids["Ann"]], workshop.participants[s.ids["Bob"]]
    assert (ann.name, ann.organisation, ann.role, ann.status) == ("", "", "", "erased")
    assert (bob.name, bob.status) == (NAMES["Bob"], "present")  # everyone else untouched
    assert len(workshop.participants) == 2  # still counted as having attended
    keys = SqlitePersonalKeys(str(tmp_path / "t.db.personal-keys"))
    assert keys.get(s.ids["Ann"]) is None and keys.get(s.ids["Bob"]) is not None
    keys.close()
    assert b"Annabelle" not in (tmp_path / "t.db.personal-keys").read_bytes()  # secure delete
    reopened.close()


def test_a_facilitator_erases_someone_who_left_and_a_retry_changes_nothing() -> None:
    keys = MemoryPersonalKeys()
    s = _room(Tavolo(personal_keys=keys))
    bob = s.ids["Bob"]
    s.given(s.command("leave", {}, s.as_("Bob")))
    erase = s.command("erase_participant", {"participant_id": bob}, id="erase-bob")
    then_events(s.when(erase), ("ParticipantErased", {"by": "facilitator"}))
    assert keys.get(bob) is None
    assert s.when(erase).outcome.duplicate
    then_error(s.when(s.command("forget_me", {}, participant(bob))), "not_joined")
    workshop: Workshop = s.app.repository.get(s.workshop_id)
    assert workshop.participants[bob].name == ""


def test_erasing_an_unknown_participant_is_refused() -> None:
    s = _room()
    then_error(s.when(s.command("erase_participant", {"participant_id": "nobody"})), "unknown_participant")


def test_a_named_ballots_organisation_is_sealed_too() -> None:
    keys = MemoryPersonalKeys()
    s = _room(Tavolo(personal_keys=keys))
    poll = s.given(s.command("create_poll", {"title": "Q", "kind": "single", "questions": [{"options": ["A", "B"]}]}))
    poll_id = poll[0].result["poll_id"]
    s.given(s.command("open_poll", {"poll_id": poll_id}))
    s.given(s.command("cast_ballot", {"poll_id": poll_id, "answer": "o1"}, s.as_("Ann")))
    assert b"Annabelle Quist Holdings" not in _stored(s.app)
    s.given(s.command("forget_me", {}, s.as_("Ann")))
    ballots = [
        e for n in s.app.recorder.select_notifications(1, 1000)
        if (e := s.app.mapper.to_domain_event(n)).__class__.__name__ == "BallotCast"
    ]  # fmt: skip
    assert [b.organisation for b in ballots] == [""] and UUID(poll_id)
