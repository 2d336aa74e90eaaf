"""Reading a store's events fast: the events ``recorder.select_notifications`` + ``mapper.to_domain_event`` give,
with less work per event. What the server folds at start-up (``Hub.catch_up``) and what replay and the minutes read
(server/archive.py).

Per event the library resolves the topic, finds the id convertor, checks for a cipher and a compressor, and (on
SQLite) builds a ``Notification`` and a fresh ``UUID`` from the id's text. Here:

- the class, the id convertor and the class version are looked up once per topic;
- on SQLite the rows are read as plain tuples, and each originator id's text becomes one shared ``UUID`` (a
  workshop's hundred thousand ballots name a few poll ids): no ``UUID()`` per row, and dictionary lookups keyed by
  the id find the very same object;
- events are made as the library makes them (``object.__new__`` and the state as ``__dict__``), upcasting
  included; the stored bytes are read as they are (no format changes).

Anything else (a cipher or compressor, another transcoder, ids stored as text) goes through the library's mapper.
``tests/server/test_archive_read.py`` checks that both give equal events, on SQLite and in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent, find_id_convertor
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import resolve_topic

from domain.application import Tavolo
from domain.transcoder import MsgpackTranscoder

Row = tuple[int, Any, int, str, bytes]  # position, originator id, originator version, topic, state
IDS_MAX = 200_000  # shared ids kept (a store with more aggregates than this starts afresh: only speed is lost)


class EventReader:
    """Pages of ``(position, event)`` from an application's store, in log order."""

    def __init__(self, app: Tavolo) -> None:
        self.app = app
        mapper = app.mapper
        self._library = (
            mapper.cipher is not None
            or mapper.compressor is not None
            or type(mapper.transcoder) is not MsgpackTranscoder
        )
        self._decode = mapper.transcoder.decode
        recorder = app.recorder
        self._sqlite = (
            isinstance(recorder, SQLiteApplicationRecorder) and recorder.datastore.originator_id_type == "uuid"
        )
        self._topics: dict[tuple[str, type], tuple[type, Callable[[Any], Any], int]] = {}
        self._ids: dict[str, UUID] = {}

    def rows(self, start: int, limit: int) -> list[Row]:
        """Stored rows from position ``start`` on (at most ``limit``), as read."""
        recorder = self.app.recorder
        if not self._sqlite:
            return [
                (n.id, n.originator_id, n.originator_version, n.topic, n.state)
                for n in recorder.select_notifications(start, limit)
            ]
        assert isinstance(recorder, SQLiteApplicationRecorder)
        statement = (
            f"SELECT rowid, originator_id, originator_version, topic, state FROM {recorder.events_table_name} "
            "WHERE rowid>=? ORDER BY rowid LIMIT ?"
        )
        with recorder.datastore.transaction(commit=False) as c:
            cursor = c.sqlite_cursor
            cursor.row_factory = None  # plain tuples, not sqlite3.Row
            cursor.execute(statement, (start, limit))
            found = cursor.fetchall()
        ids = self._ids
        if len(ids) > IDS_MAX:
            ids.clear()
        out: list[Row] = []
        append = out.append
        for position, text, version, topic, state in found:
            originator = ids.get(text)
            if originator is None:
                originator = ids[text] = UUID(text)
            append((position, originator, version, topic, state))
        return out

    def event(self, originator_id: Any, version: int, topic: str, state: bytes) -> Any:
        """One stored event as its domain event (what ``mapper.to_domain_event`` returns)."""
        if self._library:
            return self.app.mapper.to_domain_event(StoredEvent(originator_id, version, topic, state))
        key = (topic, type(originator_id))
        found = self._topics.get(key)
        if found is None:
            cls = resolve_topic(topic)
            found = self._topics[key] = (
                cls,
                find_id_convertor(cls, type(originator_id)),
                getattr(cls, "class_version", 1),
            )
        cls, convert, class_version = found
        try:
            event_state: dict[str, Any] = self._decode(state)
        except Exception:  # the library's mapper reports it (MapperDeserialisationError)
            return self.app.mapper.to_domain_event(StoredEvent(originator_id, version, topic, state))
        event_state["originator_id"] = convert(originator_id)
        event_state["originator_version"] = version
        from_version = event_state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(event_state)
            from_version += 1
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", event_state)
        return event

    def page(self, start: int, limit: int) -> list[tuple[int, Any]]:
        """Events from position ``start`` on (at most ``limit``): ``(position, event)``."""
        event = self.event
        return [(row[0], event(row[1], row[2], row[3], row[4])) for row in self.rows(start, limit)]


def stored(row: Row) -> StoredEvent:
    """A row as the library's ``StoredEvent`` (what the export file writes)."""
    return StoredEvent(row[1], row[2], row[3], row[4])
