"""Deleting a workshop entirely: what the views forget at once, and what the store loses for good.

``delete_workshop`` records ``Workshop.Deleted``. Every process folds it (``forget``): its views, indexes and
sockets of that workshop go, and it queues a ``Purge``, which its writer thread runs between batches
(``purge_store``), after any batch that loaded the workshop before the deletion was committed:

1. the participants' personal-data keys are destroyed (crypto-shredding: any copy of the rows left in a backup, a
   WAL archive or an export can no longer be read for names) and the keys of the workshop's open secret polls go;
2. every stored event of the workshop's aggregates — the workshop itself, its join code, polls, group work, answer
   sheets, rotations, matchmaking, timer and notes — is deleted in one transaction. Only ``Workshop.Deleted``
   stays: it names nobody, and it makes the workshop unloadable, so a process holding a stale copy cannot write
   to it again (its next save conflicts with that row, and reloading finds no workshop);
3. the library's aggregate cache drops them; on SQLite ``secure_delete`` overwrites the freed pages and the WAL
   is checkpointed and truncated, so the bytes leave the files too.

Every step is idempotent and the deletion of rows is atomic, so a purge interrupted by a crash simply runs again
at the next start: the catch-up then folds the workshop's surviving events, then ``Workshop.Deleted``, and
queues the same purge.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.application import Tavolo
from domain.workshop import JoinCode

if TYPE_CHECKING:
    from server.hub import Hub

log = logging.getLogger("tavolo.purge")


@dataclass(frozen=True)
class Purge:
    workshop_id: UUID
    deleted_version: int  # the workshop's rows below this version go; the ``Deleted`` event itself stays
    aggregates: frozenset[UUID]  # the workshop's other aggregates: all their rows go
    participants: tuple[str, ...]
    polls: tuple[UUID, ...]


def forget(hub: Hub, workshop_id: UUID, deleted_version: int) -> Purge | None:
    """Drop everything the hub holds of a deleted workshop; the purge its store needs (None if the hub never
    saw the workshop: a deletion already purged, folded again at a restart)."""
    model = hub.models.pop(workshop_id, None)
    if model is None:
        return None
    owned: set[UUID] = set()
    for index in (hub.groups, hub.rotations, hub.matchmaking, hub.notes, hub.timers):
        mine = [a for a, w in index.owners.items() if w == workshop_id]
        for aggregate_id in mine:
            del index.owners[aggregate_id]
        owned.update(mine)
    for index in (hub.groups, hub.rotations, hub.matchmaking, hub.notes):
        index.models.pop(workshop_id, None)
    hub.timers.rows.pop(workshop_id, None)
    polls = tuple(t.poll_id for t in hub._polls.pop(workshop_id, []))
    for poll_id in polls:
        hub.tallies.pop(poll_id, None)
    for slot in [s for s in hub.memo.polls if (s[0] if isinstance(s, tuple) else s) in polls]:
        del hub.memo.polls[slot]  # a poll's rendered views, per audience
    for code in [c for c, w in hub.by_code.items() if w == workshop_id]:
        del hub.by_code[code]
        owned.add(JoinCode.id_for(code))
    hub.forget_watchers(workshop_id)
    hub.memo.people.pop(workshop_id, None)
    hub.memo.people.pop((workshop_id, "statuses"), None)
    hub.erased.difference_update(model.participants)  # their keys go with the purge
    return Purge(workshop_id, deleted_version, frozenset(owned | set(polls)), tuple(model.participants), polls)


def purge_store(app: Tavolo, purge: Purge) -> None:
    """Destroy the workshop's keys and delete its stored events (in the writer thread; idempotent)."""
    app.personal_keys.destroy_all(list(purge.participants))
    for poll_id in purge.polls:
        app.keys.discard(poll_id)
    module = type(app.recorder).__module__
    if module.startswith("eventsourcing.sqlite"):
        _purge_sqlite(app.recorder, purge)
    elif module.startswith("eventsourcing.postgres"):
        _purge_postgres(app.recorder, purge)
    else:
        _purge_memory(app.recorder, purge)
    cache = app.repository.cache
    if cache is not None:
        for aggregate_id in (purge.workshop_id, *purge.aggregates):
            with contextlib.suppress(KeyError):
                cache.get(aggregate_id, evict=True)
    log.info(
        "deleted workshop %s: %d aggregates, %d participants' keys",
        purge.workshop_id, len(purge.aggregates) + 1, len(purge.participants),
    )  # fmt: skip


def _purge_sqlite(recorder: Any, purge: Purge) -> None:
    table = recorder.events_table_name
    others = [a.hex for a in purge.aggregates]  # as the library stores them
    with recorder.datastore.transaction(commit=True) as cursor:
        cursor.execute("PRAGMA secure_delete = ON")  # this connection overwrites what it frees
        for start in range(0, len(others), 500):
            chunk = others[start : start + 500]
            cursor.execute(f"DELETE FROM {table} WHERE originator_id IN ({','.join('?' * len(chunk))})", chunk)
        cursor.execute(
            f"DELETE FROM {table} WHERE originator_id = ? AND originator_version < ?",
            (purge.workshop_id.hex, purge.deleted_version),
        )
    # The freed pages are zeroed in the database file when the WAL is copied back; then the WAL is emptied. A
    # reader in the middle of a read holds the WAL back: wait for it a little.
    for attempt in range(10):
        with recorder.datastore.get_connection(commit=True) as connection:
            cursor = connection.cursor()
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy = cursor.fetchone()[0]
        if not busy:
            return
        time.sleep(0.01 * (attempt + 1))
    log.warning("the WAL could not be emptied now (a reader kept it); the deleted bytes leave it at a later checkpoint")


def _purge_postgres(recorder: Any, purge: Purge) -> None:
    from psycopg.sql import SQL, Identifier

    table = SQL("{}.{}").format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
    with recorder.datastore.transaction(commit=True) as cursor:
        cursor.execute(SQL("DELETE FROM {} WHERE originator_id = ANY(%s)").format(table), (list(purge.aggregates),))
        cursor.execute(
            SQL("DELETE FROM {} WHERE originator_id = %s AND originator_version < %s").format(table),
            (purge.workshop_id, purge.deleted_version),
        )


def _purge_memory(recorder: Any, purge: Purge) -> None:
    """The memory store (rehearsals, tests) keeps positions as list indexes: the deleted rows are replaced by the
    deletion marker itself, so positions hold and nothing of the workshop can be read back."""
    with recorder._database_lock:
        index = recorder._stored_events_index
        marker_at = index[str(purge.workshop_id)].get(purge.deleted_version)
        if marker_at is None:
            return
        marker = recorder._stored_events[marker_at]
        gone = [index.pop(str(a), {}) for a in purge.aggregates]
        workshop = index[str(purge.workshop_id)]
        gone.append({v: workshop.pop(v) for v in [v for v in workshop if v < purge.deleted_version]})
        for rows in gone:
            for position in rows.values():
                recorder._stored_events[position] = marker
