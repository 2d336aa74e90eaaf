"""``tavolo plan groups``: plan a split offline from a registration list, with the same planner the live split uses."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

from domain.countries import parse_country
from domain.planning.groups import BY, Person, PlanError, plan_split

KNOWN = ("name", "organisation", "country", "sector")


def add_parser(sub: Any) -> None:
    groups = sub.add_parser("groups", help="split a registration list into groups",
                            description="Split the people of a CSV (a header with name, organisation, country, "
                            "sector; other columns usable with --strategy by:COLUMN) into groups.")  # fmt: skip
    groups.add_argument("--participants", required=True, type=Path, help="CSV file with a header row")
    size = groups.add_mutually_exclusive_group()
    size.add_argument("--groups", type=int, help="number of groups")
    size.add_argument("--size", type=int, help="people per group")
    groups.add_argument("--strategy", default="balanced", help="random, balanced or by:FIELD (default balanced)")
    groups.add_argument("--max-size", type=int, help="with by:FIELD, split larger groups to at most this size")
    groups.add_argument("--seed", type=int, default=0, help="seed of the random choices (default 0)")
    groups.add_argument("--json", action="store_true", help="print one JSON object: groups (row indices), quality")
    groups.set_defaults(func=run)


def read_people(path: Path) -> tuple[list[Person], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        rows = [{(k or "").strip().lower(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(f)]
    for i, row in enumerate(rows):
        # The join form's reading of a country (UK, EL, "Deutschland"...), so a list plans as it would join.
        if row.get("country"):
            code = parse_country(row["country"])
            if code is None:
                raise PlanError(f"row {i + 2}: {row['country'][:40]!r} is not a country code or name")
            row["country"] = code
    people = [
        Person(
            index=i, organisation=row.get("organisation", ""), country=row.get("country", ""),
            sector=row.get("sector", ""), attributes={k: v for k, v in row.items() if k not in KNOWN},
        )
        for i, row in enumerate(rows)
    ]  # fmt: skip
    return people, rows


def by_column(strategy: str, rows: list[dict[str, str]]) -> str:
    """``by:FIELD`` with FIELD matched case-insensitively to the CSV's columns (read lower-cased); an unknown
    column is refused, naming the columns there are, rather than putting everyone in one group."""
    if not strategy.startswith(BY) or not rows:
        return strategy
    name = strategy[len(BY) :].strip().lower()
    columns = [c for c in rows[0] if c]
    if name and name not in columns:
        raise PlanError(f"no column {name[:40]!r} to group by; the columns are: {', '.join(columns)}")
    return BY + name


def run(args: argparse.Namespace) -> int:
    if not args.strategy.startswith(BY) and args.groups is None and args.size is None:
        print("tavolo plan: give --groups or --size (by:FIELD needs neither)", file=sys.stderr)
        return 2
    try:
        people, rows = read_people(args.participants)
        strategy = by_column(args.strategy, rows)
        plan = plan_split(
            people, groups=args.groups, size=args.size, strategy=strategy, seed=args.seed, max_size=args.max_size
        )
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        print(f"tavolo plan: cannot read {args.participants}: {e}", file=sys.stderr)
        return 2
    except PlanError as e:
        print(f"tavolo plan: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(plan.to_dict(), ensure_ascii=False))
        return 0
    for number, (members, label) in enumerate(zip(plan.groups, plan.labels, strict=True), start=1):
        print(f"Group {number}{f' ({label})' if label else ''}: {len(members)} people")
        for i in members:
            row = rows[i]
            print(f"  {row.get('name') or f'row {i + 2}'} — {row.get('organisation', '')}, {row.get('country', '')}, "
                  f"{row.get('sector', '')}")  # fmt: skip
    q = plan.quality
    deviation = ", ".join(f"{k} {v:.1%}" for k, v in q.deviation.items())
    print(f"Balance: worst deviation {deviation}; same-organisation pairs {q.same_organisation_pairs} "
          f"(unavoidable {q.unavoidable_pairs}); objective {q.objective:g}")  # fmt: skip
    return 0
