"""One workshop's history, read from any store: its events, its read model at any moment, and a portable file.

- ``workshop_events`` reads the notification log once and keeps the events of the workshop's aggregates: the
  workshop itself, and every aggregate whose created event names it (``workshop_id``: its join code, polls, group
  work, splits, question sets, answer sheets, notes -- and any future aggregate that follows the same rule).
- ``fold`` feeds those events (up to a position or a time) into a fresh ``Hub``: the very fold the live server
  runs, so replay and the minutes show what the live views showed. ``read_model`` bundles its folds for the
  minutes.
- ``export_events`` / ``import_events``: the workshop's stored events, verbatim (topic, originator id, version and
  the encoded state, timestamps included), in a versioned msgpack file; imported into a store of any kind, the
  same events give byte-identical minutes (minutes never depend on positions, which differ between stores).
  With an export key the header carries an HMAC of the whole file (``sign``); an import checks it when it has
  the key, and refuses an unsigned file unless told to take one. Every row must be the workshop's own
  (server/archive_check.py) whatever the signature says.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any
from uuid import UUID

import msgpack
from eventsourcing.persistence import IntegrityError, StoredEvent

from domain.application import Tavolo
from domain.tokens import normalise_code
from domain.workshop import Workshop
from projections.minutes import ReadModel
from server.archive_check import ForeignRow, check_keys, check_rows
from server.archive_read import EventReader, stored
from server.hub import Hub

FORMAT = "tavolo-events"
VERSION = 1
TAVOLO_VERSION = "0.1.0"
PAGE = 5000

Progress = Callable[[int, int], None]  # (done, total)


class ArchiveError(Exception):
    """A refusal with a stable code: not_found, bad_file, unknown_version, already_exists, conflict, foreign_event,
    unsigned, bad_signature, unknown_language."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class WorkshopLog:
    """One workshop's events in log order: (position, event) and the stored rows they came from."""

    workshop_id: UUID
    events: list[tuple[int, Any]]
    stored: list[StoredEvent]
    keys: dict[str, bytes] = field(default_factory=dict)  # its participants' personal-data keys (not erased)

    def times(self) -> list[str]:
        return [e.timestamp.isoformat() for _, e in self.events]


def resolve(app: Tavolo, workshop: str) -> UUID:
    """A workshop named by its id or its join code."""
    try:
        workshop_id = UUID(workshop)
    except ValueError:
        found = app.workshop_for_code(normalise_code(workshop))
        if found is None:
            raise ArchiveError("not_found", f"no workshop has the id or join code {workshop!r}") from None
        return found
    if not app.recorder.select_events(workshop_id, limit=1):
        raise ArchiveError("not_found", f"no workshop {workshop_id} in this store")
    return workshop_id


def workshop_events(app: Tavolo, workshop_id: UUID, progress: Progress | None = None) -> WorkshopLog:
    """Every event of the workshop's aggregates, in log order (one pass over the notification log)."""
    total = app.recorder.max_notification_id() or 0
    owned = {workshop_id}
    log = WorkshopLog(workshop_id, [], [])
    reader = EventReader(app)
    start = 1
    while True:
        rows = reader.rows(start, PAGE)
        if not rows:
            break
        for row in rows:
            event = reader.event(row[1], row[2], row[3], row[4])
            if event.originator_id not in owned:
                if getattr(event, "workshop_id", None) != workshop_id:
                    continue
                owned.add(event.originator_id)
            log.events.append((row[0], event))
            log.stored.append(stored(row))  # kept as read, for the export
        start = rows[-1][0] + 1
        if progress is not None:
            progress(rows[-1][0], total)
    if not log.events:
        raise ArchiveError("not_found", f"no workshop {workshop_id} in this store")
    if not isinstance(log.events[0][1], Workshop.Created) or any(
        isinstance(e, Workshop.Deleted) for _, e in log.events
    ):
        raise ArchiveError("not_found", f"workshop {workshop_id} was deleted")
    people = {e.participant_id for _, e in log.events if isinstance(e, Workshop.ParticipantJoined)}
    log.keys = {p: k for p in sorted(people) if (k := app.personal_keys.get(p)) is not None}
    return log


def upto(log: WorkshopLog, position: int | None = None, at: datetime | None = None) -> list[tuple[int, Any]]:
    """The events at or before a position, or recorded at or before a time (all of them without either)."""
    events = log.events
    if position is not None:
        events = [(p, e) for p, e in events if p <= position]
    if at is not None:
        events = [(p, e) for p, e in events if e.timestamp <= at]
    return events


def fold(events: list[tuple[int, Any]]) -> Hub:
    """A fresh hub that has folded these events (the live server's fold; no presence, no ticker)."""
    hub = Hub()
    hub.apply(events)
    return hub


def read_model(hub: Hub, workshop_id: UUID, as_of: str) -> ReadModel:
    """The minutes' input from a hub's folds."""
    return ReadModel(
        workshop=hub.models[workshop_id],
        polls=tuple(hub.polls_of(workshop_id)),
        groups=hub.groups.models.get(workshop_id),
        notes=hub.notes.models.get(workshop_id),
        as_of=as_of,
        extra={
            "rotations": hub.rotations.models.get(workshop_id),
            "matchmaking": hub.matchmaking.models.get(workshop_id),
        },
    )


def read_model_at(log: WorkshopLog, position: int | None = None, at: datetime | None = None) -> ReadModel:
    events = upto(log, position, at)
    if not events:
        raise ArchiveError("not_found", "the workshop did not exist yet at that moment")
    return read_model(fold(events), log.workshop_id, events[-1][1].timestamp.isoformat())


# The portable file.


def _packed_rows(stored_events: list[StoredEvent]) -> Iterator[bytes]:
    packer = msgpack.Packer(use_bin_type=True)
    for s in stored_events:
        originator = s.originator_id if isinstance(s.originator_id, UUID) else UUID(str(s.originator_id))
        yield packer.pack([s.topic, originator.bytes, s.originator_version, bytes(s.state)])


def sign(key: bytes, header: dict[str, Any], rows: Iterator[bytes] | list[bytes]) -> str:
    """The HMAC-SHA256 (hex) of a file: its header without the signature, then its rows, each packed as msgpack
    packs them (the import re-packs what it read, so the MAC covers exactly what is imported)."""
    mac = hmac.new(key, b"tavolo-events/1\0", hashlib.sha256)
    mac.update(msgpack.packb({k: v for k, v in header.items() if k != "signature"}, use_bin_type=True))
    for row in rows:
        mac.update(row)
    return mac.hexdigest()


def export_events(log: WorkshopLog, out: IO[bytes], key: bytes | None = None) -> int:
    """Write the workshop's stored events to ``out``: a header, then one msgpack array per event. With ``key``
    the header carries ``signature``: an HMAC over the header and every row (two passes: nothing is buffered)."""
    header: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "tavolo": TAVOLO_VERSION,
        "workshop_id": str(log.workshop_id),
        "events": len(log.stored),
        # Names, organisations and roles are stored sealed (domain/personal.py): the keys of the participants not
        # erased travel with the file, which is therefore personal data itself (docs/privacy.md).
        "personal_keys": dict(log.keys),
    }
    if key:
        header["signature"] = {"alg": "hmac-sha256", "mac": sign(key, header, _packed_rows(log.stored))}
    out.write(msgpack.packb(header, use_bin_type=True))
    for row in _packed_rows(log.stored):
        out.write(row)
    return len(log.stored)


def read_export(source: IO[bytes]) -> tuple[dict[str, Any], Iterator[StoredEvent]]:
    """The header of an export file (checked) and its stored events."""
    unpacker = msgpack.Unpacker(source, raw=False, max_buffer_size=64 * 1024 * 1024)
    try:
        header = next(unpacker)
    except (StopIteration, ValueError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError):
        raise ArchiveError("bad_file", "not a Tavolo export file (no header)") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ArchiveError("bad_file", "not a Tavolo export file")
    if header.get("version") != VERSION:
        raise ArchiveError(
            "unknown_version",
            f"export format version {header.get('version')!r} is not supported (this Tavolo reads version {VERSION})",
        )

    def events() -> Iterator[StoredEvent]:
        try:
            for row in unpacker:
                topic, originator, version, state = row
                yield StoredEvent(UUID(bytes=originator), int(version), str(topic), bytes(state))
        except (ValueError, TypeError, msgpack.FormatError, msgpack.StackError) as e:
            raise ArchiveError("bad_file", f"the export file is damaged: {e}") from None

    return header, events()


def _verify(header: dict[str, Any], stored_events: list[StoredEvent], key: bytes | None, allow_unsigned: bool) -> None:
    signature = header.get("signature")
    if signature is None:
        if allow_unsigned:
            return
        raise ArchiveError(
            "unsigned",
            "the file is not signed, so where it comes from and whether it was changed cannot be verified; "
            "import it anyway with --allow-unsigned (its rows are still checked to be its own workshop's)",
        )
    if not key:
        if allow_unsigned:  # taken as unsigned: nothing about its origin is verified
            return
        raise ArchiveError(
            "unsigned", "the file is signed: give the exporting server's key (--export-key or TAVOLO_EXPORT_KEY)"
        )
    # Anything but {"alg": "hmac-sha256", "mac": <ASCII text>} is a signature that does not verify (a string, or a
    # non-ASCII mac that compare_digest refuses with TypeError, must not crash the import).
    mac = signature.get("mac") if isinstance(signature, dict) else None
    alg = signature.get("alg") if isinstance(signature, dict) else None
    valid = alg == "hmac-sha256" and isinstance(mac, str) and mac.isascii()
    if not valid or not hmac.compare_digest(str(mac), sign(key, header, _packed_rows(stored_events))):
        raise ArchiveError(
            "bad_signature", "the file's signature does not match: it was changed, or another key signed it"
        )


def import_events(
    app: Tavolo, source: IO[bytes], key: bytes | None = None, allow_unsigned: bool = False
) -> tuple[UUID, int]:
    """Load an export file into the store in one transaction, if it is signed with ``key`` (or ``allow_unsigned``)
    and every row belongs to the workshop it names (server/archive_check.py); refuse a workshop the store already
    has. Nothing is written unless everything passes."""
    header, rows = read_export(source)
    try:
        workshop_id = UUID(str(header.get("workshop_id")))
    except ValueError:
        raise ArchiveError("bad_file", "the export file names no workshop") from None
    stored = list(rows)
    if len(stored) != header.get("events"):
        raise ArchiveError("bad_file", f"the file holds {len(stored)} events, its header says {header.get('events')}")
    _verify(header, stored, key, allow_unsigned)
    if app.recorder.select_events(workshop_id, limit=1):
        raise ArchiveError("already_exists", f"workshop {workshop_id} is already in this store")
    try:
        events = check_rows(app.mapper.to_domain_event, workshop_id, stored)
        keys = check_keys(header.get("personal_keys") or {}, events, app.personal_keys.get)
    except ForeignRow as e:
        raise ArchiveError(e.code, e.message) from None
    # The keys go first (events whose keys are missing would read as erased after a crash between the two), and are
    # taken back if the events are refused: no keys of participants the store does not hold are left behind.
    added = [owner for owner in keys if app.personal_keys.get(owner) is None]
    for owner in added:
        app.personal_keys.put(owner, keys[owner])
    try:
        app.recorder.insert_events(stored)
    except IntegrityError:
        for owner in added:
            app.personal_keys.destroy(owner)
        raise ArchiveError(
            "conflict", "the store already has some of these events (or another workshop took its join code)"
        ) from None
    return workshop_id, len(stored)
