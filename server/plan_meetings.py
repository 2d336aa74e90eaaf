"""``tavolo plan meetings``: schedule B2B meetings offline from a JSON file, with the planner live matchmaking uses."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from domain.planning.meetings_model import Instance, MeetingPlanError, Participant, Schedule


def add_parser(sub: Any) -> None:
    meetings = sub.add_parser("meetings", help="give accepted B2B meetings a slot and a table",
                              description="Schedule the meetings of a JSON file: {\"slots\": S, \"tables\": T, "
                              "\"participants\": [{\"id\": ..., \"unavailable\": [slot, ...]}], \"meetings\": "
                              "[[id, id], ...], optional \"previous\": [{\"meeting\": i, \"slot\": s, \"table\": t}]}. "
                              "Slots and tables count from 0.")  # fmt: skip
    meetings.add_argument("--input", required=True, type=Path, help="the instance, as JSON")
    meetings.add_argument("--time-limit", type=float, default=10.0, help="solver seconds (default 10)")
    meetings.add_argument("--seed", type=int, default=0, help="the solver's random seed (default 0)")
    meetings.add_argument("--json", action="store_true", help="print one JSON object: scheduled, upper_bound, ...")
    meetings.set_defaults(func=run)


def read_instance(path: Path) -> Instance:
    """The instance in ``path``; ``MeetingPlanError`` for anything malformed, ``OSError``/``ValueError`` if the
    file cannot be read or is not JSON."""
    data = json.loads(path.read_text(encoding="utf-8"))
    try:
        return _instance(data)
    except TypeError as e:  # unhashable values where ids or slot numbers belong
        raise MeetingPlanError(f"a value has the wrong type: {e}") from e


def _instance(data: Any) -> Instance:
    if not isinstance(data, dict):
        raise MeetingPlanError("the file must hold one JSON object with slots, tables, participants and meetings")
    missing = [k for k in ("slots", "tables", "participants", "meetings") if k not in data]
    if missing:
        raise MeetingPlanError(f"missing {', '.join(missing)}")
    people = data["participants"]
    if not isinstance(people, list) or not all(isinstance(p, dict) and "id" in p for p in people):
        raise MeetingPlanError('participants must be a list of objects like {"id": "p1", "unavailable": [0, 3]}')
    participants = []
    for p in people:
        away = p.get("unavailable", [])
        if not isinstance(away, list):
            raise MeetingPlanError(f"participant {p['id']!r}: unavailable must be a list of slot numbers")
        participants.append(Participant(p["id"], frozenset(away)))
    pairs = data["meetings"]
    if not isinstance(pairs, list) or not all(isinstance(m, list) and len(m) == 2 for m in pairs):
        raise MeetingPlanError('meetings must be a list of pairs of participant ids, like [["p1", "p2"]]')
    previous = None
    if data.get("previous") is not None:
        rows = data["previous"]
        keys = ("meeting", "slot", "table")
        if not isinstance(rows, list) or not all(isinstance(r, dict) and all(k in r for k in keys) for r in rows):
            raise MeetingPlanError('previous must be a list like [{"meeting": 0, "slot": 2, "table": 5}]')
        previous = {r["meeting"]: (r["slot"], r["table"]) for r in rows}
        if len(previous) != len(rows):
            raise MeetingPlanError("previous lists a meeting twice")
    return Instance(data["slots"], data["tables"], participants, [(a, b) for a, b in pairs], previous)


def run(args: argparse.Namespace) -> int:
    if not math.isfinite(args.time_limit) or args.time_limit < 0:
        print("tavolo plan: --time-limit must be a number of seconds >= 0", file=sys.stderr)
        return 2
    try:
        instance = read_instance(args.input)
    except (OSError, UnicodeDecodeError) as e:
        print(f"tavolo plan: cannot read {args.input}: {e}", file=sys.stderr)
        return 2
    except MeetingPlanError as e:
        print(f"tavolo plan: {args.input}: {e}", file=sys.stderr)
        return 2
    except ValueError as e:  # json.JSONDecodeError
        print(f"tavolo plan: {args.input} is not valid JSON: {e}", file=sys.stderr)
        return 2
    # OR-Tools takes longer to import than most plans take to solve: only this subcommand, and only here, loads it.
    from domain.planning.meetings import schedule

    result = schedule(instance, time_limit=args.time_limit, seed=args.seed)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
        return 0
    print_plan(instance, result)
    return 0


def print_plan(instance: Instance, result: Schedule) -> None:
    for slot, rows in enumerate(result.by_slot()):
        print(f"Slot {slot + 1}: {len(rows)} of {instance.tables} tables")
        for table, m in rows:
            a, b = instance.meetings[m]
            print(f"  table {table + 1:>3}  {a} — {b}")
    proof = "optimal" if result.optimal else f"at most {result.upper_bound} possible"
    print(f"{result.count} of {len(instance.meetings)} meetings scheduled ({proof}; {result.method}, "
          f"{result.seconds:.1f} s); idle slots between meetings: {result.idle}")  # fmt: skip
    for m in result.unscheduled:
        a, b = instance.meetings[m]
        print(f"  not scheduled: {a} — {b}")
    for move in result.moved:
        a, b = instance.meetings[move.meeting]
        to = "dropped" if move.new is None else f"slot {move.new[0] + 1}, table {move.new[1] + 1}"
        print(f"  moved: {a} — {b} from slot {move.old[0] + 1}, table {move.old[1] + 1} to {to}")
