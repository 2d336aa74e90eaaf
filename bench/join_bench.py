"""Join benchmark: N simulated laptops join one workshop; Tavolo against a same-stack echo baseline.

    .venv/bin/python bench/join_bench.py --participants 1000 [--markdown]

Starts `bench/echo_server.py` (the same uvicorn + Starlette stack, no storage) and `tavolo serve` on a fresh
SQLite file as subprocesses, one after the other, and runs `tavolo simulate` against each in this process with
the same seed and concurrency. With two or more CPUs the server is pinned to one and the load generator to
another. Prints a table and the ratio Tavolo / baseline; writes no file. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server import simulate  # noqa: E402

STARTUP_TIMEOUT = 60.0
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

# (label, path in the summary, which way is better)
ROWS = [
    ("joined", ("joined",), None),
    ("errors", ("errors",), None),
    ("joins/s", ("joins_per_s",), "higher"),
    ("ack latency p50 (ms)", ("latency_ms", "p50"), "lower"),
    ("ack latency p99 (ms)", ("latency_ms", "p99"), "lower"),
    ("visible on dashboard p50 (ms)", ("visible_latency_ms", "p50"), "lower"),
    ("visible on dashboard p99 (ms)", ("visible_latency_ms", "p99"), "lower"),
    ("server CPU per join (ms)", ("bench", "server_cpu_ms_per_join"), "lower"),
    ("server CPU busy (%)", ("bench", "server_busy_pct"), None),
    ("load generator CPU busy (%)", ("bench", "client_busy_pct"), None),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tavolo_command(port: int, store: str) -> list[str]:
    exe = ROOT / ".venv" / "bin" / "tavolo"
    prefix = [str(exe)] if exe.exists() else [sys.executable, "-m", "server.cli"]
    return [
        *prefix,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--store",
        store,
        "--log-level",
        "warning",
        # every simulated phone joins from this one machine: lift the per-address limits meant for venues
        "--address-join-burst",
        "1000000",
    ]


def _echo_command(port: int) -> list[str]:
    return [
        sys.executable,
        str(ROOT / "bench" / "echo_server.py"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]


@contextlib.contextmanager
def _server(command: list[str], port: int, log: Path, cpu: int | None) -> Iterator[tuple[str, int]]:
    """Run a server subprocess for the block, however it ends; yield (base URL, pid) once /healthz is 200."""
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        if cpu is not None:
            os.sched_setaffinity(process.pid, {cpu})  # before the server starts any thread, so all inherit it
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited with {process.returncode}:\n{log.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url}/healthz not ready after {STARTUP_TIMEOUT:.0f}s:\n{log.read_text()[-2000:]}")
            with contextlib.suppress(OSError), _OPENER.open(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    break
            time.sleep(0.1)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _simulate(url: str, args: argparse.Namespace) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    simulate.add_arguments(parser)
    argv = ["--url", url, "--participants", str(args.participants), "--concurrency", str(args.concurrency),
            "--seed", str(args.seed), "--timeout", str(args.timeout),
            "--encoding", args.encoding]  # fmt: skip
    return simulate.run_sync(simulate.simulate(parser.parse_args(argv)))


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux /proc), or None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measured(name: str, url: str, pid: int, args: argparse.Namespace) -> dict[str, Any]:
    """Simulate, noting how busy the server and this load generator were: when the load generator is near
    100 %, the figures are the client's limit, not the server's."""
    wall, client, server = time.monotonic(), time.process_time(), _cpu_seconds(pid)
    summary = _simulate(url, args)
    wall, client = time.monotonic() - wall, time.process_time() - client
    server_after = _cpu_seconds(pid)
    server = None if server is None or server_after is None else round(server_after - server, 2)
    joined = summary["joined"] or None
    summary["bench"] = {
        "wall_s": round(wall, 3), "server_cpu_s": server, "client_cpu_s": round(client, 3),
        "server_cpu_ms_per_join": server and joined and round(server / joined * 1000, 2),
        "server_busy_pct": server and round(server / wall * 100),
        "client_busy_pct": round(client / wall * 100),
    }  # fmt: skip
    return summary


def _get(summary: dict[str, Any], path: tuple[str, ...]) -> float | None:
    value: Any = summary
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, int | float) else None


def _median(summaries: list[dict[str, Any]], path: tuple[str, ...]) -> float | None:
    values = [v for v in (_get(s, path) for s in summaries) if v is not None]
    return statistics.median(values) if values else None


HEADER = ["", "Tavolo", "baseline (echo)", "Tavolo / baseline"]
Row = tuple[str, tuple[str, ...], str | None]


def table_lines(results: dict[str, list[dict[str, Any]]], rows: list[Row]) -> list[list[str]]:
    """One line per row: label, Tavolo's median, the baseline's median, and their ratio where it means something."""
    lines = []
    for label, path, better in rows:
        ours, base = _median(results["tavolo"], path), _median(results["echo"], path)
        ratio = f"{ours / base:.2f}" if better and ours is not None and base else ""
        lines.append([label, _fmt(ours), _fmt(base), ratio])
    return lines


def render(header: list[str], lines: list[list[str]], markdown: bool, labels: int = 1) -> str:
    """Markdown rows for the docs, or aligned columns for a terminal; the first `labels` columns are text."""
    if markdown:
        rows = [header, [*(["---"] * labels), *(["---:"] * (len(header) - labels))], *lines]
        return "\n".join("| " + " | ".join(row) + " |" for row in rows)
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) if i < labels else cell.rjust(widths[i]) for i, cell in enumerate(row))
        for row in [header, *lines]
    )


def _table(results: dict[str, list[dict[str, Any]]], markdown: bool) -> str:
    return render(HEADER, table_lines(results, ROWS), markdown)


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:.1f}"


def add_arguments(parser: argparse.ArgumentParser, participants: int = 1000) -> None:
    """The options shared by the benchmarks (and `bench/run_all.py`)."""
    parser.add_argument("--participants", type=int, default=participants,
                        help=f"simulated laptops (default {participants})")  # fmt: skip
    parser.add_argument("--concurrency", type=int, default=200, help="joins in flight at once (default 200)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=1, help="runs per server; the table shows medians (default 1)")
    parser.add_argument("--timeout", type=float, default=300.0, help="bound on each simulation, seconds")
    parser.add_argument("--encoding", choices=["msgpack", "json"], default="msgpack", help="frames the clients send")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown rows, for the docs")
    parser.add_argument("--json", action="store_true", help="also print every run's summary as JSON lines")
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and load generator to CPUs")


def placement(args: argparse.Namespace) -> tuple[int | None, int | None]:
    """(server CPU, load generator CPU), or (None, None) when not pinned."""
    cpus = sorted(os.sched_getaffinity(0))
    pin = not args.no_pin and len(cpus) >= 2
    return (cpus[0], cpus[1]) if pin else (None, None)


def compare(
    args: argparse.Namespace, measure: Callable[[str, str, int, argparse.Namespace], dict[str, Any]], label: str
) -> dict[str, list[dict[str, Any]]]:
    """For each run, the echo baseline then Tavolo on a fresh SQLite file, each a subprocess on its own CPU,
    measured by `measure(name, url, server pid, args)` in this process on another CPU; the servers always stopped."""
    server_cpu, client_cpu = placement(args)
    original_affinity = os.sched_getaffinity(0)
    results: dict[str, list[dict[str, Any]]] = {"echo": [], "tavolo": []}
    tmp = Path(tempfile.mkdtemp(prefix="tavolo-bench-"))
    try:
        if client_cpu is not None:
            os.sched_setaffinity(0, {client_cpu})
        for run in range(args.runs):
            for name in ("echo", "tavolo"):
                port = _free_port()
                store = f"sqlite:///{tmp}/bench-{run}.db"
                command = _tavolo_command(port, store) if name == "tavolo" else _echo_command(port)
                with _server(command, port, tmp / f"{name}-{run}.log", server_cpu) as (url, pid):
                    print(f"{label}: run {run + 1}/{args.runs}, {name} at {url}", file=sys.stderr)
                    summary = measure(name, url, pid, args)
                results[name].append(summary)
                if args.json:
                    print(json.dumps({"server": name, "run": run, **summary}, ensure_ascii=False))
    finally:
        os.sched_setaffinity(0, original_affinity)
        shutil.rmtree(tmp, ignore_errors=True)
    return results


def describe_placement(args: argparse.Namespace) -> str:
    server_cpu, client_cpu = placement(args)
    if server_cpu is None:
        return f"{os.cpu_count()} CPUs, not pinned"
    return f"{os.cpu_count()} CPUs, server on CPU {server_cpu}, load generator on CPU {client_cpu}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    results = compare(args, _measured, "join_bench")
    print(
        f"join benchmark: {args.participants} participants, concurrency {args.concurrency}, "
        f"seed {args.seed}, {args.encoding} frames, {args.runs} run(s) per server (medians), "
        f"{describe_placement(args)}"
    )
    print(_table(results, args.markdown))
    everyone = all(s["joined"] == args.participants for runs in results.values() for s in runs)
    return 0 if everyone else 1


if __name__ == "__main__":
    raise SystemExit(main())
