"""``tavolo plan``: plan offline with the planners the live workshop uses, one module per planner."""

from __future__ import annotations

import argparse
import importlib

# Each module has ``add_parser(subparsers)``, which adds its subcommand and sets ``func``.
PLANNERS = ("server.plan_groups", "server.plan_rotation", "server.plan_meetings")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="what", required=True)
    for name in PLANNERS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:  # a planner that is there but cannot import is a bug, not an absence
                raise
            continue
        module.add_parser(sub)
