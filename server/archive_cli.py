"""``tavolo replay | minutes | export | import``: a workshop's history from any store, on the command line.

WORKSHOP is the workshop's id or its join code; ``--store`` takes the URLs of server/stores.py. Errors print one
line and exit with status 2 (no tracebacks). A progress bar goes to stderr when it is a terminal (or with
``--progress``) while the log is read.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from server.stores import DEFAULT_STORE, StoreURLError

FORMATS = ("md", "html", "pdf", "json", "data", "csv")


class CliError(Exception):
    pass


def parse_time(text: str) -> datetime:
    """An ISO time; without a zone it is UTC (the event log's)."""
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CliError(
            f"--at: not an ISO time: {text!r} (e.g. 2026-11-22T10:30 or 2026-11-22T10:30:00+01:00)"
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


class Bar:
    """A progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, label: str, enabled: bool) -> None:
        self.label, self.enabled, self.drawn = label, enabled, 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self.drawn < 0.1 and done < total):
            return
        self.drawn = now
        share = min(1.0, done / total) if total else 1.0
        filled = int(share * 30)
        sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {share:6.1%} {done}/{total}")
        sys.stderr.flush()

    def end(self) -> None:
        if self.enabled and self.drawn:
            sys.stderr.write("\n")


def _app(store: str) -> Any:
    from domain.application import Tavolo
    from server.stores import store_env

    return Tavolo(store_env(store))


def _log(args: argparse.Namespace, app: Any) -> Any:
    from server.archive import resolve, workshop_events

    bar = Bar("reading events", args.progress or sys.stderr.isatty())
    try:
        return workshop_events(app, resolve(app, args.workshop), bar)
    finally:
        bar.end()


def _moment(args: argparse.Namespace) -> dict[str, Any]:
    return {"at": parse_time(args.at) if args.at else None, "position": getattr(args, "position", None)}


def _replay(args: argparse.Namespace, app: Any) -> int:
    from server.replay import state_at

    log = _log(args, app)
    state = state_at(log, **_moment(args))
    if args.json:
        print(json.dumps(state, sort_keys=True, ensure_ascii=False, indent=1))
        return 0
    d = state["dashboard"]
    w = d["workshop"]
    print(f"{w['title']} — {w['date']} {w['venue']}".rstrip())
    print(f"as of {state['at']} (position {state['position']}, event {state['index']} of {state['events']})")
    c = d["counts"]
    print(f"people: {c['joined']} present, {d['left']} left, {d['removed']} removed")
    current = next((i["title"] for i in d["agenda"] if i["id"] == d["current_item"]), None)
    print(f"running: {current or 'no agenda item'}")
    for item in d["agenda"]:
        print(f"  [{item['status']:>7}] {item['title']}")
    for p in d["polls"].values():
        t = p["turnout"]
        print(f"poll {p['poll']['title']!r}: {p['poll']['state']}, {t['voted']} voted of {t['present']}")
        for q in p["results"] or ():
            rows = q.get("options") or q.get("items") or q.get("distribution") or []
            shown = ", ".join(f"{r.get('label', r.get('value'))}: {r.get('count', r.get('dots', r.get('points')))}"
                              for r in rows)  # fmt: skip
            if shown:
                print(f"  {q['prompt'] or p['poll']['title']}: {shown}")
    groups = d.get("groups") or {}
    if groups.get("split"):
        print(f"groups: {len(groups['split']['groups'])} (split {groups['split']['number']})")
    return 0


def _write(args: argparse.Namespace, data: bytes) -> None:
    if args.output and args.output != "-":
        with open(args.output, "wb") as out:
            out.write(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def _minutes(args: argparse.Namespace, app: Any) -> int:
    from server.archive import read_model_at
    from server.replay import render_minutes

    if args.format in ("pdf", "csv") and not args.output and sys.stdout.isatty():
        raise CliError(f"--format {args.format} is binary: give --output FILE")
    read = read_model_at(_log(args, app), **_moment(args))
    body, _ = render_minutes(read, args.format, args.lang)
    _write(args, body)
    return 0


def _export(args: argparse.Namespace, app: Any) -> int:
    from server.archive import export_events

    log = _log(args, app)
    with open(args.output, "wb") as out:
        count = export_events(log, out, export_key(args))
    signed = "signed" if export_key(args) else "unsigned: give --export-key to sign it"
    print(f"exported {count} events of workshop {log.workshop_id} to {args.output} ({signed})", file=sys.stderr)
    return 0


def _import(args: argparse.Namespace, app: Any) -> int:
    from server.archive import import_events

    try:
        source = open(args.file, "rb")  # noqa: SIM115 - closed below, after the import
    except OSError as e:
        raise CliError(f"cannot read {args.file}: {e.strerror}") from None
    with source:
        workshop_id, count = import_events(app, source, export_key(args), args.allow_unsigned)
    if not export_key(args):
        # Said every time: an unsigned import trusts the file's author for everything in that workshop.
        print("tavolo: warning: the file's origin was not verified (no --export-key): its events were only "
              "checked to belong to its own new workshop", file=sys.stderr)  # fmt: skip
    print(f"imported {count} events: workshop {workshop_id}", file=sys.stderr)
    return 0


KEY_ENV = "TAVOLO_EXPORT_KEY"


def export_key(args: argparse.Namespace) -> bytes | None:
    """The export key from ``--export-key`` or ``TAVOLO_EXPORT_KEY`` (the environment keeps it out of ``ps``)."""
    key = getattr(args, "export_key", None) or os.environ.get(KEY_ENV, "")
    return key.encode("utf-8") if key else None


def add_key_option(p: argparse.ArgumentParser, what: str) -> None:
    """``--export-key``, for serve, export and import (docs/replay.md#trusting-an-import)."""
    p.add_argument("--export-key", metavar="KEY", help=f"{what}; also {KEY_ENV} (preferred: options show in ps)")


def _run(handler: Callable[[argparse.Namespace, Any], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from eventsourcing.persistence import PersistenceError

        from server.archive import ArchiveError

        app = None
        try:
            app = _app(args.store)
            return handler(args, app)
        except ArchiveError as e:
            print(f"tavolo: {e.code}: {e.message}", file=sys.stderr)
        except (CliError, StoreURLError) as e:
            print(f"tavolo: {e}", file=sys.stderr)
        except PersistenceError as e:
            print(f"tavolo: the event store failed: {type(e).__name__}: {e}", file=sys.stderr)
        except OSError as e:
            print(f"tavolo: {e.strerror or e}: {getattr(e, 'filename', '') or ''}", file=sys.stderr)
        finally:
            if app is not None:
                app.close()
        return 2

    return run


def _common(p: argparse.ArgumentParser, workshop: bool = True) -> None:
    p.add_argument("--store", default=DEFAULT_STORE, help=f"event store URL (default {DEFAULT_STORE})")
    if workshop:
        p.add_argument("workshop", metavar="WORKSHOP", help="the workshop's id or join code")
    p.add_argument("--progress", action="store_true", help="show a progress bar even when stderr is not a terminal")


def add_parsers(sub: Any) -> None:
    """Add ``replay``, ``minutes``, ``export`` and ``import`` to the ``tavolo`` command."""
    replay = sub.add_parser("replay", help="print a workshop's state at a moment",
                            description="Print a workshop's state at a moment (default: its end).")  # fmt: skip
    _common(replay)
    replay.add_argument("--at", help="an ISO time (UTC unless it says otherwise)")
    replay.add_argument("--position", type=int, help="a position in the event log, instead of --at")
    replay.add_argument("--json", action="store_true", help="the dashboard and projector views as JSON")
    replay.set_defaults(func=_run(_replay))

    minutes = sub.add_parser("minutes", help="write a workshop's minutes",
                             description="Write a workshop's minutes from its event log.")  # fmt: skip
    _common(minutes)
    minutes.add_argument("--format", choices=FORMATS, default="md",
                         help="md, html, pdf, json (the minutes), data (the whole read model as JSON), "
                              "csv (a zip of CSV tables)")  # fmt: skip
    minutes.add_argument("--at", help="the minutes as of this ISO time")
    minutes.add_argument("--lang", help="the language of the minutes (headings, labels, numbers, dates) and of "
                         "the CSV headers: a catalogue's code (en, it, de…); default: the workshop's")  # fmt: skip
    minutes.add_argument("--output", "-o", help="a file (default: standard output)")
    minutes.set_defaults(func=_run(_minutes))

    export = sub.add_parser("export", help="write a workshop's whole event stream to a portable file",
                            description="Write a workshop's events to one portable, versioned file.")  # fmt: skip
    _common(export)
    export.add_argument("--output", "-o", required=True, help="the file to write")
    add_key_option(export, "sign the file with this key (an HMAC an import with the same key verifies)")
    export.set_defaults(func=_run(_export))

    load = sub.add_parser("import", help="load an exported workshop into a store",
                          description="Load a file written by 'tavolo export' into a store (of any kind).")  # fmt: skip
    _common(load, workshop=False)
    load.add_argument("file", metavar="FILE")
    add_key_option(load, "verify the file's signature with the exporting server's key")
    load.add_argument("--allow-unsigned", action="store_true",
                      help="import a file whose signature is not verified (unsigned, or no key given): only its "
                           "rows' belonging to its own new workshop is checked")  # fmt: skip
    load.set_defaults(func=_run(_import))
