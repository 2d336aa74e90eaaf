"""How long the ``tavolo`` command takes to answer, hyperfine-style: the median of N runs of each command line.

.venv/bin/python bench/cli_bench.py [--runs 10] [--people 113] [--markdown]

Each command runs as its own process (``python -m server.cli …``), so the figure is what a user waits for: the
interpreter's start, the imports, the work. ``plan groups`` and ``plan rotation`` plan a generated registration list
of ``--people`` rows (seeded), ``plan meetings`` a 20-person instance. The baseline is ``python -c pass``, the
interpreter alone, in the same run.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def registration_list(path: Path, people: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["name", "organisation", "country", "sector"])
        for i in range(people):
            out.writerow([f"Person {i}", f"org{rng.randrange(30)}", f"c{rng.randrange(12)}", f"s{rng.randrange(6)}"])


def meetings_instance(path: Path, people: int = 20, seed: int = 1) -> None:
    rng = random.Random(seed)
    pairs = {tuple(sorted(rng.sample(range(people), 2))) for _ in range(40)}
    instance = {"slots": 6, "tables": 5, "participants": [{"id": f"p{i}"} for i in range(people)],
                "meetings": [[f"p{a}", f"p{b}"] for a, b in sorted(pairs)]}  # fmt: skip
    path.write_text(json.dumps(instance), encoding="utf-8")


def median_seconds(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--people", type=int, default=113)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        people, instance = Path(tmp) / "people.csv", Path(tmp) / "meetings.json"
        registration_list(people, args.people)
        meetings_instance(instance)
        tavolo = [sys.executable, "-m", "server.cli"]
        commands = {
            "python -c pass (baseline)": [sys.executable, "-c", "pass"],
            "tavolo --help": [*tavolo, "--help"],
            f"tavolo plan groups ({args.people} people, 8 groups)":
                [*tavolo, "plan", "groups", "--participants", str(people), "--groups", "8", "--json"],
            f"tavolo plan rotation ({args.people} people, tables of 6, 5 rounds)":
                [*tavolo, "plan", "rotation", "--participants", str(people), "--table-size", "6", "--rounds", "5",
                 "--time-limit", "1",
                 "--json"],
            "tavolo plan meetings (20 people, 40 requests)":
                [*tavolo, "plan", "meetings", "--input", str(instance), "--time-limit", "1", "--json"],
        }  # fmt: skip
        results = {name: median_seconds(command, args.runs) for name, command in commands.items()}
    if args.markdown:
        print(f"| command | median of {args.runs} runs |\n| --- | --- |")
        for name, seconds in results.items():
            print(f"| {name} | {seconds * 1000:,.0f} ms |")
    else:
        for name, seconds in results.items():
            print(f"{seconds * 1000:8,.0f} ms  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
