"""The fast reader (server/archive_read.py) gives the events the library's recorder and mapper give, on SQLite
(its own query) and in memory (the library's), and the hub folds them to the same views."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest

from domain.application import Tavolo
from server.archive import import_events
from server.archive_read import EventReader
from server.hub import Hub
from server.replay import views

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture(params=["memory", "sqlite"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Tavolo:
    env = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if request.param == "sqlite":
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "t.db")}
    found = Tavolo(env)
    for name in ("workshop-v1.tavolo", "workshop-v2.tavolo"):
        with (FIXTURES / name).open("rb") as f:
            import_events(found, f, allow_unsigned=True)
    return found


def test_the_reader_gives_the_library_s_events(app: Tavolo) -> None:
    library = [(n.id, app.mapper.to_domain_event(n)) for n in app.recorder.select_notifications(1, 1000)]
    reader = EventReader(app)
    fast = reader.page(1, 60) + reader.page(61, 1000)  # two pages: ids are shared across pages
    assert len(fast) == len(library) == 108
    for (p, a), (q, b) in zip(library, fast, strict=True):
        assert p == q and type(a) is type(b) and a.__dict__ == b.__dict__
    assert isinstance(fast[0][1].originator_id, UUID)


def test_a_catch_up_through_the_reader_folds_the_same_views(app: Tavolo) -> None:
    fast = Hub()
    assert fast.catch_up(app, page=7) == 108
    slow = Hub()
    slow.apply((n.id, app.mapper.to_domain_event(n)) for n in app.recorder.select_notifications(1, 1000))
    assert fast.position == slow.position
    for workshop_id in slow.models:
        assert views(fast, workshop_id) == views(slow, workshop_id)
        for pid in slow.models[workshop_id].participants:
            assert fast.view(workshop_id, "participant", pid) == slow.view(workshop_id, "participant", pid)
