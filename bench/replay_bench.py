"""Replay and minutes on long logs: generate a workshop of N events in SQLite, rebuild every projection from it
(the hub's fold, as at server start-up), make the minutes of a smaller workshop, and -- as the same-run baselines --
a bare loop that reads the same rows through the library and msgpack-decodes them, and one that reads and maps them
with the rebuild's own reader (server/archive_read.py) without folding them.

    .venv/bin/python bench/replay_bench.py [--events 1000000] [--minutes-events 100000] [--dir /tmp]

Generation writes ballots straight to a poll aggregate and saves them in batches of 10,000 (one transaction each),
after a workshop, 2,000 joins and the poll were made through the application; it is timed apart.
Targets: rebuild >= 100,000 events/s; minutes of a 100,000-event workshop in under 3 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from domain.application import CREATE, Command, Tavolo
from domain.commands import Actor
from domain.polls import Poll
from domain.transcoder import MsgpackTranscoder
from projections.minutes import minutes
from projections.minutes_md import render
from server.archive import read_model_at, workshop_events
from server.archive_read import EventReader
from server.hub import Hub
from server.stores import store_env

FACILITATOR = Actor("facilitator")
COUNTRIES = ["IT", "FR", "DE", "ES", "PT", "NL"]
SECTORS = ["Agrifood", "Energy", "Mobility"]
BATCH = 10_000


def _run(app: Tavolo, commands: list[Command]) -> list[Any]:
    outcomes = app.execute(commands)
    for o in outcomes:
        assert o.error is None, o.error
    return outcomes


def generate(url: str, events: int, people: int = 2000) -> tuple[UUID, int, float]:
    """A workshop of about ``events`` events; returns its id, the events written and the seconds taken."""
    t0 = time.perf_counter()
    app = Tavolo(store_env(url))
    details = {"title": "Bench", "date": "2026-11-22", "language": "en", "sectors": SECTORS}
    (created,) = _run(app, [Command("bench", CREATE, details, None, Actor("anonymous"))])
    wid = UUID(created.result["workshop_id"])
    joins = []
    for i in range(people):
        profile = {"name": f"P{i}", "organisation": f"Org {i % 97}", "country": COUNTRIES[i % 6],
                   "sector": SECTORS[i % 3]}  # fmt: skip
        joins.append(Command(f"j{i}", "join", profile, wid, Actor("anonymous")))
    pids = [o.result["participant_id"] for k in range(0, people, 500) for o in _run(app, joins[k : k + 500])]
    poll = {"title": "Which first?", "kind": "single", "questions": [{"options": ["A", "B", "C", "D"]}]}
    (made,) = _run(app, [Command("poll", "create_poll", poll, wid, FACILITATOR)])
    poll_id = UUID(made.result["poll_id"])
    _run(app, [Command("open", "open_poll", {"poll_id": str(poll_id)}, wid, FACILITATOR)])
    written = app.recorder.max_notification_id() or 0
    aggregate: Poll = app.repository.get(poll_id)
    i = 0
    while written < events:
        for _ in range(min(BATCH, events - written)):
            pid = pids[i % people]
            aggregate.trigger_event(
                Poll.BallotCast, command_id=f"b{i}", participant_id=pid, answers={"q1": f"o{1 + i % 4}"},
                country=COUNTRIES[i % 6], sector=SECTORS[i % 3], organisation=f"Org {i % 97}",
            )  # fmt: skip
            i += 1
            written += 1
        app.save(aggregate)
    app.close()
    return wid, written, time.perf_counter() - t0


def rebuild(url: str) -> tuple[int, float]:
    """Every projection rebuilt from the store, as the server does at start-up."""
    app = Tavolo(store_env(url))
    t0 = time.perf_counter()
    count = Hub().catch_up(app, page=10_000)
    seconds = time.perf_counter() - t0
    app.close()
    return count, seconds


def bare(url: str) -> tuple[int, float]:
    """Baseline: read the same rows and msgpack-decode their state, nothing else."""
    app = Tavolo(store_env(url))
    decode = MsgpackTranscoder().decode
    t0 = time.perf_counter()
    count, start = 0, 1
    while True:
        page = app.recorder.select_notifications(start, 10_000)
        if not page:
            break
        for n in page:
            decode(n.state)
        count += len(page)
        start = page[-1].id + 1
    seconds = time.perf_counter() - t0
    app.close()
    return count, seconds


def bare_reader(url: str) -> tuple[int, float]:
    """Second baseline: the same rows read and decoded by server/archive_read.py (the rebuild's own reader), mapped
    to events but folded nowhere."""
    app = Tavolo(store_env(url))
    reader = EventReader(app)
    t0 = time.perf_counter()
    count, start = 0, 1
    while True:
        rows = reader.rows(start, 10_000)
        if not rows:
            break
        for row in rows:
            reader.event(row[1], row[2], row[3], row[4])
        count += len(rows)
        start = rows[-1][0] + 1
    seconds = time.perf_counter() - t0
    app.close()
    return count, seconds


def minutes_time(url: str, workshop_id: UUID) -> tuple[float, float]:
    """Seconds to read the workshop from the store and fold it, and to make and render its minutes."""
    app = Tavolo(store_env(url))
    t0 = time.perf_counter()
    read = read_model_at(workshop_events(app, workshop_id))
    t1 = time.perf_counter()
    text = render(minutes(read))
    t2 = time.perf_counter()
    assert "Which first?" in text
    app.close()
    return t1 - t0, t2 - t1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--minutes-events", type=int, default=100_000)
    parser.add_argument("--dir", default=None, help="where the SQLite files go (default: a temporary folder)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        big, small = f"sqlite:///{folder}/big.db", f"sqlite:///{folder}/small.db"
        _, written, gen_s = generate(big, args.events)
        count, rebuild_s = rebuild(big)
        bare_count, bare_s = bare(big)
        reader_count, reader_s = bare_reader(big)
        small_id, small_written, _ = generate(small, args.minutes_events)
        read_s, render_s = minutes_time(small, small_id)
    rows = [
        ("events generated", f"{written:,}", f"{written / gen_s:,.0f} events/s ({gen_s:.1f} s)"),
        ("rebuild all projections (hub fold)", f"{count:,}", f"{count / rebuild_s:,.0f} events/s ({rebuild_s:.1f} s)"),
        ("baseline: read + msgpack-decode", f"{bare_count:,}", f"{bare_count / bare_s:,.0f} events/s ({bare_s:.1f} s)"),
        ("rebuild / baseline", "", f"{(count / rebuild_s) / (bare_count / bare_s):.2f}"),
        ("baseline 2: the rebuild's reader, read + decode + map", f"{reader_count:,}",
         f"{reader_count / reader_s:,.0f} events/s ({reader_s:.1f} s)"),
        ("rebuild / baseline 2", "", f"{(count / rebuild_s) / (reader_count / reader_s):.2f}"),
        (f"minutes of a {small_written:,}-event workshop", "", f"{read_s + render_s:.2f} s "
         f"(read + fold {read_s:.2f} s, minutes + Markdown {render_s:.3f} s)"),
    ]  # fmt: skip
    for name, n, figure in rows:
        print(f"| {name} | {n} | {figure} |")
    ok = count / rebuild_s >= 100_000 and read_s + render_s < 3
    print(f"targets (rebuild >= 100,000 events/s, minutes < 3 s): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
