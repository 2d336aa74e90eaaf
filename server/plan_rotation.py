"""``tavolo plan rotation``: plan speed-dating pairs or World-Café tables over several rounds, offline, with the same
planner the live rotation uses."""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from pathlib import Path
from typing import Any

from domain.planning.groups import PlanError
from domain.planning.rotation_goal import hours_minutes, least_met, plan_to_meet_at_least
from domain.planning.rotations import DEFAULT_BUDGET, ODD, Person, RotationPlan, plan_rotation
from server.plan_groups import read_people

ROUND_MINUTES_MAX = 24 * 60  # a round of a day: more is a typo, and the duration must stay printable


class _Usage(ValueError):
    """A bad option value (a host or name that is not on the list)."""


def add_parser(sub: Any) -> None:
    rotation = sub.add_parser("rotation", help="plan rounds of pairs or tables where people meet new people",
                              description="Plan rounds at tables of K (2: speed dating in pairs) so that nobody "
                              "meets the same person twice while someone new is possible.")  # fmt: skip
    who = rotation.add_mutually_exclusive_group(required=True)
    who.add_argument("--participants", type=Path, help="CSV with a header row: name, organisation, country, sector")
    who.add_argument("--count", type=int, help="plan for N anonymous people (0..N-1)")
    rotation.add_argument("--table-size", type=int, required=True, help="people per table (2: pairs)")
    how_many = rotation.add_mutually_exclusive_group(required=True)
    how_many.add_argument("--rounds", type=int, help="number of rounds")
    how_many.add_argument("--meet-at-least", type=int, metavar="M",
                          help="as many rounds as it takes for everyone to meet at least M others "
                          "(the plan is checked; it says how long that takes)")  # fmt: skip
    rotation.add_argument("--round-minutes", type=float, default=4.0,
                          help="minutes per round, for the total duration (default 4)")  # fmt: skip
    rotation.add_argument("--avoid", default="organisation",
                          help="attributes two people at a table should not share, comma-separated "
                          "(default organisation; 'none' for none)")  # fmt: skip
    rotation.add_argument("--prefer-cross", default="sector",
                          help="attributes better not shared, a preference only (default sector; 'none')")  # fmt: skip
    rotation.add_argument("--must-meet", default="", help="pairs to seat together once: A:B,C:D (row indices or names)")
    rotation.add_argument("--hosts", default="",
                          help="table hosts, comma-separated row indices (0-based) or names: table i gets the i-th, "
                          "who stays there every round")  # fmt: skip
    rotation.add_argument("--odd", choices=ODD, default="sit_out", help="pairs with an odd number: sit_out or trio")
    rotation.add_argument("--seed", type=int, default=0, help="seed of the random choices (default 0)")
    rotation.add_argument("--budget", type=int, default=DEFAULT_BUDGET, help=f"search steps (default {DEFAULT_BUDGET})")
    rotation.add_argument("--time-limit", type=float, help="stop the search after this many seconds")
    rotation.add_argument("--json", action="store_true",
                          help='print one JSON object: {"rounds": [{"tables": [[0, 5], ...], "sitting_out": [...]}, '
                          '...], "quality": {...}}')  # fmt: skip
    rotation.set_defaults(func=run)


def _names(value: str) -> tuple[str, ...]:
    items = tuple(v.strip().lower() for v in value.split(",") if v.strip())
    return () if items == ("none",) else items


def _person(token: str, rows: list[dict[str, str]]) -> int:
    token = token.strip()
    if token.isdigit() and int(token) < len(rows):
        return int(token)
    found = [i for i, row in enumerate(rows) if row.get("name", "").casefold() == token.casefold()]
    if len(found) != 1:
        raise _Usage(f"{token!r} is {'not a row index or name' if not found else 'the name of several rows'}")
    return found[0]


def run(args: argparse.Namespace) -> int:
    try:
        if args.participants is not None:
            people, rows = read_people(args.participants)
        else:
            if args.count < 0:
                raise _Usage("--count must be at least 0")
            people, rows = [Person(i) for i in range(args.count)], [{"name": f"P{i}"} for i in range(args.count)]
        hosts = {_person(h, rows): t for t, h in enumerate(h for h in args.hosts.split(",") if h.strip())}
        pairs = [pair.split(":") for pair in args.must_meet.split(",") if pair.strip()]
        if any(len(pair) != 2 for pair in pairs):
            raise _Usage("--must-meet takes pairs A:B, comma-separated")
        must = [(_person(a, rows), _person(b, rows)) for a, b in pairs]
        if args.time_limit is not None and not (math.isfinite(args.time_limit) and args.time_limit > 0):
            raise _Usage("--time-limit must be a positive number of seconds")
        if not 0 < args.round_minutes <= ROUND_MINUTES_MAX:  # also refuses nan and inf, which no duration shows
            raise _Usage(f"--round-minutes must be more than 0 and at most {ROUND_MINUTES_MAX}")
        options: dict[str, Any] = {
            "avoid": _names(args.avoid), "prefer_cross": _names(args.prefer_cross), "must_meet": must, "hosts": hosts,
            "odd": args.odd, "seed": args.seed, "budget": args.budget, "time_limit": args.time_limit,
        }  # fmt: skip
        goal: dict[str, Any] | None = None
        if args.meet_at_least is not None:
            # --time-limit bounds the whole search for the number of rounds, not each plan it tries
            plan = plan_to_meet_at_least(
                people, args.table_size, args.meet_at_least, deadline=args.time_limit, **options
            )
            goal = _goal(plan, people, args, options)
        else:
            plan = plan_rotation(people, args.table_size, args.rounds, **options)
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        print(f"tavolo plan: cannot read {args.participants}: {e}", file=sys.stderr)
        return 2
    except (PlanError, _Usage) as e:
        print(f"tavolo plan: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({**plan.to_dict(), **({"goal": goal} if goal else {})}, ensure_ascii=False))
    else:
        _print(plan, rows, args)
        if goal:
            _print_goal(goal)
    return 0


def _goal(
    plan: RotationPlan, people: list[Person], args: argparse.Namespace, options: dict[str, Any]
) -> dict[str, Any]:
    """What "everyone meets at least M" came to: rounds, least met, total minutes; for pairs with one left over
    sitting out, the same with a table of three instead."""
    minutes = len(plan.rounds) * args.round_minutes
    goal: dict[str, Any] = {
        "meet_at_least": args.meet_at_least, "rounds": len(plan.rounds), "least_met": least_met(plan),
        "round_minutes": args.round_minutes, "total_minutes": minutes, "duration": hours_minutes(minutes * 60),
    }  # fmt: skip
    if args.table_size == 2 and len(people) % 2 and args.odd == "sit_out":
        trio_options = {**options, "odd": "trio"}
        trio = plan_to_meet_at_least(people, 2, args.meet_at_least, deadline=args.time_limit, **trio_options)
        goal["with_trio"] = {"rounds": len(trio.rounds), "total_minutes": len(trio.rounds) * args.round_minutes,
                             "duration": hours_minutes(len(trio.rounds) * args.round_minutes * 60)}  # fmt: skip
    return goal


def _print_goal(goal: dict[str, Any]) -> None:
    print(f"Everyone meets at least {goal['meet_at_least']} others in {goal['rounds']} rounds · {goal['duration']} "
          f"at {goal['round_minutes']:g} min a round.")  # fmt: skip
    trio = goal.get("with_trio")
    if trio and trio["rounds"] < goal["rounds"]:
        print(f"With a table of three instead of sitting out (--odd trio): {trio['rounds']} rounds · "
              f"{trio['duration']}.")  # fmt: skip


def _print(plan: RotationPlan, rows: list[dict[str, str]], args: argparse.Namespace) -> None:
    def who(i: int) -> str:
        row = rows[i]
        name = row.get("name") or f"row {i}"
        details = ", ".join(v for v in (row.get("organisation", ""), row.get("country", "")) if v)
        return f"{name} ({details})" if details else name

    hosts = {h.strip() for h in args.hosts.split(",") if h.strip()}
    for number, r in enumerate(plan.rounds, start=1):
        print(f"Round {number}")
        for t, table in enumerate(r.tables, start=1):
            print(f"  Table {t}: " + "; ".join(who(i) + (" [host]" if str(i) in hosts or rows[i].get("name") in hosts
                                                          else "") for i in table))  # fmt: skip
        if r.sitting_out:
            print("  Sitting out: " + "; ".join(who(i) for i in r.sitting_out))
    q = plan.quality
    kinds = ", ".join(f"{k} {v}" for k, v in q.violations.items())
    print(f"Quality: {q.meetings} meetings, {q.distinct_pairs} new pairs, {q.repeated_pairs} repeated; "
          f"constraint violations {q.constraint_violations} ({kinds})")  # fmt: skip
    if q.sit_outs and max(q.sit_outs.values()):
        print(f"Sit-outs per person: {min(q.sit_outs.values())}-{max(q.sit_outs.values())}")
    print("Everyone met as many new people as their seats allowed." if q.maximal else
          f"{len(q.not_maximal)} people could have met more new people.")  # fmt: skip
    if q.round_bound is not None:
        best = f"; best known schedule: {q.best_known_rounds}" if q.best_known_rounds is not None else ""
        print(f"At most {q.round_bound} rounds of this layout can pass without a repeat{best}. Method: {plan.method}.")
