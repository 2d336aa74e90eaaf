"""Export and import on every store: the fixture stream loaded into a store, exported from it and imported into a
store of another kind gives byte-identical minutes (Markdown and JSON) and the same stored events; importing it
twice is refused without duplicates."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from domain.application import Tavolo
from projections.minutes import minutes
from projections.minutes_md import render, to_json
from server.archive import ArchiveError, export_events, import_events, read_model_at, workshop_events
from server.stores import store_env

STREAM = Path(__file__).parents[1] / "fixtures" / "workshop-v1.tavolo"
EXPECTED = (Path(__file__).parents[1] / "fixtures" / "workshop-v1.minutes.md").read_text()


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/tavolo.db"
    url: str = request.getfixturevalue("postgres_url")
    return url


def test_round_trip_through_every_store(store_url: str, tmp_path: Path) -> None:
    app = Tavolo(store_env(store_url))
    try:
        with STREAM.open("rb") as f:
            workshop_id, count = import_events(app, f, allow_unsigned=True)
        log = workshop_events(app, workshop_id)
        assert render(minutes(read_model_at(log))) == EXPECTED
        exported = io.BytesIO()
        assert export_events(log, exported) == count
        with STREAM.open("rb") as f, pytest.raises(ArchiveError) as again:
            import_events(app, f, allow_unsigned=True)
        assert again.value.code == "already_exists"
        assert len(workshop_events(app, workshop_id).events) == count  # nothing duplicated
    finally:
        app.close()
    for other_url in ("memory://", f"sqlite:///{tmp_path}/other.db"):
        other = Tavolo(store_env(other_url))
        try:
            exported.seek(0)
            import_events(other, exported, allow_unsigned=True)
            copy = workshop_events(other, workshop_id)
            assert [(s.topic, s.originator_version, s.state) for s in copy.stored] == [
                (s.topic, s.originator_version, s.state) for s in log.stored
            ]
            assert to_json(minutes(read_model_at(copy))) == to_json(minutes(read_model_at(log)))
            assert render(minutes(read_model_at(copy))) == EXPECTED
        finally:
            other.close()
