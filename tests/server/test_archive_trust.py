"""``tavolo import`` trusts an export file only for its own new workshop: every row must belong to it (versions
from 1 without gaps, created events naming it, ids derived from it, known event types), its personal keys must be
its own participants', and its signature must verify (or the import is told to take an unsigned file).
Refusals name the row and import nothing."""

from __future__ import annotations

import inspect
import io
import sys
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import msgpack
import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

import domain
from domain.annotations import Notes, notes_id
from domain.application import Tavolo
from domain.polls import Poll
from domain.tokens import hash_token, new_token
from domain.workshop import JoinCode, Workshop
from server.archive import ArchiveError, export_events, import_events, workshop_events
from server.archive_check import DERIVED
from server.cli import main
from server.stores import store_env
from tests.domain.builders import Scenario
from tests.server.archive_attack import link_rotated, rewritten, rows_of, stored_row, with_row

KEY = b"the exporting server's key"
NOTES = get_topic(Notes)


def _app(tmp_path: Path, name: str) -> tuple[str, Tavolo]:
    url = f"sqlite:///{tmp_path}/{name}.db"
    return url, Tavolo(store_env(url))


def _attacker_export(key: bytes | None = None) -> tuple[bytes, Scenario]:
    """The attacker's own workshop (created, its join code, one participant: 3 events), exported."""
    s = Scenario(title="Attacker")
    s.given(s.join("mallory"))
    out = io.BytesIO()
    export_events(workshop_events(s.app, s.workshop_id), out, key)
    return out.getvalue(), s


def _import(app: Tavolo, data: bytes, key: bytes | None = None, allow_unsigned: bool = True) -> tuple[UUID, int]:
    return import_events(app, io.BytesIO(data), key, allow_unsigned)


def test_a_link_rotated_row_for_another_workshop_is_refused_naming_the_row(tmp_path: Path) -> None:
    url, app = _app(tmp_path, "victim")
    victim = Scenario(app, title="Victim")
    before: Workshop = app.repository.get(victim.workshop_id)
    export, attacker = _attacker_export()
    evil = new_token()
    data = with_row(export, link_rotated(victim.workshop_id, before.version + 1, evil))
    with pytest.raises(ArchiveError) as refused:
        _import(app, data)
    assert refused.value.code == "foreign_event" and refused.value.message.startswith("row 4:")
    # Nothing was imported: neither the row nor the attacker's workshop.
    assert not app.recorder.select_events(attacker.workshop_id, limit=1)
    app.close()
    app = Tavolo(store_env(url))  # as after a restart
    after: Workshop = app.repository.get(victim.workshop_id)
    assert after.version == before.version
    assert after.facilitator_token_hash == before.facilitator_token_hash != hash_token(evil)
    app.close()


def test_the_cli_refuses_the_injected_row_with_status_2_and_the_row_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, app = _app(tmp_path, "victim")
    victim = Scenario(app, title="Victim")
    version = victim.workshop().version
    app.close()
    export, _ = _attacker_export()
    path = tmp_path / "edited.tavolo"
    path.write_bytes(with_row(export, link_rotated(victim.workshop_id, version + 1, new_token())))
    capsys.readouterr()
    assert main(["import", "--store", url, "--allow-unsigned", str(path)]) == 2
    err = capsys.readouterr().err
    assert "foreign_event: row 4:" in err and "imported" not in err and "Traceback" not in err


def test_a_genuine_export_still_imports() -> None:
    export, s = _attacker_export()
    other = Tavolo({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    assert _import(other, export) == (s.workshop_id, 3)


def test_versions_must_run_from_one_without_gaps() -> None:
    export, _ = _attacker_export()
    header, rows = rows_of(export)
    rows[2][2] = 3  # the join was version 2 of the workshop
    with pytest.raises(ArchiveError, match=r"^row 3: .*version 3 where this file's version 2 was due"):
        _import(Tavolo({"PERSISTENCE_MODULE": "eventsourcing.popo"}), rewritten(header, rows))


def test_an_unknown_event_type_is_refused_naming_the_row() -> None:
    export, _ = _attacker_export()
    header, rows = rows_of(export)
    rows[1][0] = "domain.workshop:Nothing"
    with pytest.raises(ArchiveError, match=r"^row 2: does not decode") as refused:
        _import(Tavolo({"PERSISTENCE_MODULE": "eventsourcing.popo"}), rewritten(header, rows))
    assert refused.value.code == "bad_file"


def test_an_aggregate_whose_id_is_not_derived_from_the_workshop_is_refused() -> None:
    """Another workshop's notes, planted before it writes its first note (they would then conflict)."""
    export, attacker = _attacker_export()
    victim = Scenario(title="Victim")
    planted = Notes.Created(  # type: ignore[call-arg]
        originator_id=notes_id(victim.workshop_id), originator_version=1, timestamp=datetime.now(UTC),
        command_id="evil", workshop_id=attacker.workshop_id, originator_topic=NOTES,
    )  # fmt: skip
    with pytest.raises(ArchiveError, match=r"^row 4: Notes.Created has id .* not the id derived") as refused:
        _import(victim.app, with_row(export, stored_row(planted)))
    assert refused.value.code == "foreign_event"


def test_a_created_event_naming_another_workshop_is_refused() -> None:
    export, _ = _attacker_export()
    other = uuid_of("somewhere else")
    planted = Notes.Created(  # type: ignore[call-arg]
        originator_id=notes_id(other), originator_version=1, timestamp=datetime.now(UTC),
        command_id="x", workshop_id=other, originator_topic=NOTES,
    )  # fmt: skip
    with pytest.raises(ArchiveError, match=r"^row 4: Notes.Created names another workshop"):
        _import(Tavolo({"PERSISTENCE_MODULE": "eventsourcing.popo"}), with_row(export, stored_row(planted)))


def uuid_of(text: str) -> UUID:
    from uuid import NAMESPACE_URL, uuid5

    return uuid5(NAMESPACE_URL, text)


def test_personal_keys_must_be_the_workshops_own_participants() -> None:
    export, _ = _attacker_export()
    header, rows = rows_of(export)
    header["personal_keys"] = {**header["personal_keys"], "someone-else": b"k" * 32}
    with pytest.raises(ArchiveError, match=r"^header: .*not a participant here"):
        _import(Tavolo({"PERSISTENCE_MODULE": "eventsourcing.popo"}), rewritten(header, rows))


def test_a_participant_id_with_another_key_in_the_store_conflicts() -> None:
    export, s = _attacker_export()
    other = Tavolo({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    other.personal_keys.put(s.ids["mallory"], b"x" * 32)
    with pytest.raises(ArchiveError, match="already has another key") as refused:
        _import(other, export)
    assert refused.value.code == "conflict"


def test_every_aggregate_kind_in_the_domain_says_how_its_id_derives() -> None:
    """A new aggregate must be added to ``DERIVED`` (or its workshops' exports would not import)."""
    import importlib
    import pkgutil

    kinds = set()
    for info in pkgutil.iter_modules(domain.__path__):
        module = importlib.import_module(f"domain.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Aggregate) and cls is not Aggregate and cls.__name__ != "Workshop":
                kinds.add(cls.Created)
    assert len(kinds) >= 11, kinds  # the scan finds them: join codes, polls, groups, rotations, notes, timer…
    assert kinds <= set(DERIVED), sorted(k.__qualname__ for k in kinds - set(DERIVED))


# Signatures.


def test_a_signed_export_imports_with_the_same_key() -> None:
    export, s = _attacker_export(KEY)
    assert "signature" in rows_of(export)[0]
    assert _import(Tavolo({"PERSISTENCE_MODULE": "eventsourcing.popo"}), export, KEY, False)[0] == s.workshop_id


@pytest.mark.parametrize(
    ("change", "key", "allow", "code"),
    [
        ("none", b"another key", False, "bad_signature"),
        ("none", None, False, "unsigned"),
        ("row", KEY, False, "bad_signature"),
        ("row", KEY, True, "bad_signature"),
        ("header", KEY, False, "bad_signature"),
        ("unsigned", None, False, "unsigned"),
        ("unsigned", KEY, False, "unsigned"),
    ],
)
def test_a_signature_that_does_not_verify_is_refused(change: str, key: bytes | None, allow: bool, code: str) -> None:
    export, _ = _attacker_export(None if change == "unsigned" else KEY)
    header, rows = rows_of(export)
    if change == "row":
        rows[2][3] = rows[2][3][:-1] + bytes([rows[2][3][-1] ^ 1])
    if change == "header":
        header["tavolo"] = "9.9.9"
    data = rewritten(header, rows)
    with pytest.raises(ArchiveError) as refused:
        _import(Tavolo({"PERSISTENCE_MODULE": "eventsourcing.popo"}), data, key, allow)
    assert refused.value.code == code


def test_the_cli_signs_with_the_key_from_the_environment_and_verifies_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, app = _app(tmp_path, "a")
    s = Scenario(app, title="Signed")
    app.close()
    out = tmp_path / "w.tavolo"
    monkeypatch.setenv("TAVOLO_EXPORT_KEY", "secret")
    assert main(["export", "--store", url, str(s.workshop_id), "-o", str(out)]) == 0
    assert isinstance(msgpack.Unpacker(io.BytesIO(out.read_bytes())).unpack().get("signature"), dict)
    capsys.readouterr()
    assert main(["import", "--store", f"sqlite:///{tmp_path}/b.db", str(out)]) == 0
    assert "not verified" not in capsys.readouterr().err
    monkeypatch.delenv("TAVOLO_EXPORT_KEY")
    assert main(["import", "--store", f"sqlite:///{tmp_path}/c.db", "--export-key", "wrong", str(out)]) == 2
    assert "bad_signature" in capsys.readouterr().err


def test_a_later_row_of_another_aggregates_event_class_is_refused() -> None:
    """A ``Poll.Closed`` appended to the workshop's own stream decodes, and its version follows: but the workshop
    would not load from it. Refused, naming the row, and nothing imported."""
    export, s = _attacker_export()
    closed = Poll.Closed(  # type: ignore[call-arg]
        originator_id=s.workshop_id, originator_version=3, timestamp=datetime.now(UTC), command_id="x", eligible=1
    )
    other = Tavolo({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    with pytest.raises(ArchiveError, match=r"^row 4: Poll.Closed is not an event of domain.workshop:Workshop") as e:
        _import(other, with_row(export, stored_row(closed)))
    assert e.value.code == "foreign_event" and not other.recorder.select_events(s.workshop_id, limit=1)


@pytest.mark.parametrize("topic", ["antigravity:nothing", "os:system", "tests.server.archive_attack:Evil"])
def test_a_topic_outside_the_domain_is_refused_before_its_module_is_imported(topic: str) -> None:
    export, _ = _attacker_export()
    header, rows = rows_of(export)
    rows[2][0] = topic
    sys.modules.pop("antigravity", None)
    with pytest.raises(ArchiveError, match=r"^row 3: the topic .* is not one of Tavolo's events") as refused:
        _import(Tavolo({"PERSISTENCE_MODULE": "eventsourcing.popo"}), rewritten(header, rows))
    assert refused.value.code == "bad_file" and "antigravity" not in sys.modules


def test_a_created_event_whose_originator_topic_is_another_class_is_refused() -> None:
    """The created event says which class its aggregate is rebuilt as: it must be that aggregate's own."""
    export, attacker = _attacker_export()
    planted = Notes.Created(  # type: ignore[call-arg]
        originator_id=notes_id(attacker.workshop_id), originator_version=1, timestamp=datetime.now(UTC),
        command_id="x", workshop_id=attacker.workshop_id, originator_topic="domain.polls:Poll",
    )  # fmt: skip
    with pytest.raises(ArchiveError, match=r"^row 4: Notes.Created would rebuild its aggregate as 'domain.polls:Poll'"):
        _import(Tavolo({"PERSISTENCE_MODULE": "eventsourcing.popo"}), with_row(export, stored_row(planted)))


@pytest.mark.parametrize("signature", ["a string", ["hmac-sha256"], {"alg": "hmac-sha256", "mac": "é" * 64}, {}])
def test_a_malformed_signature_is_refused_as_bad_signature_not_a_crash(signature: object) -> None:
    export, _ = _attacker_export(KEY)
    header, rows = rows_of(export)
    header["signature"] = signature
    with pytest.raises(ArchiveError) as refused:
        _import(Tavolo({"PERSISTENCE_MODULE": "eventsourcing.popo"}), rewritten(header, rows), KEY, False)
    assert refused.value.code == "bad_signature"


def test_a_refused_insert_leaves_no_personal_keys_behind() -> None:
    """The store already holds the file's join code (another workshop took it): the import is refused as a conflict,
    and the participants' keys it brought are not kept."""
    export, s = _attacker_export()
    other = Tavolo({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    join_code = next(e for e in s.app.recorder.select_events(JoinCode.id_for(s.code)))
    other.recorder.insert_events([join_code])
    with pytest.raises(ArchiveError) as refused:
        _import(other, export)
    assert refused.value.code == "conflict"
    assert other.personal_keys.get(s.ids["mallory"]) is None
