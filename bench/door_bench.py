"""Floods at the door: how fast one client address can join a workshop and look join codes up.

Starts ``tavolo serve`` from a source tree (``--tree``, default this one) with its default limits, then from one
address: 200 joins as fast as one HTTP connection sends them, and code look-ups (unknown codes: guesses) for two
seconds. Prints what got through and the rates. Run against an older checkout to compare (docs/security.md).

    python bench/door_bench.py [--tree /path/to/checkout]
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _call(conn: http.client.HTTPConnection, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    raw = r.read()
    return r.status, json.loads(raw) if raw.startswith(b"{") else raw


def run(tree: Path, joins: int, seconds: float) -> dict[str, Any]:
    port = _port()
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "server.cli", "serve", "--port", str(port), "--store", f"sqlite:///{tmp}/b.db",
               "--log-level", "warning"]  # fmt: skip
        proc = subprocess.Popen(cmd, cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            deadline = time.monotonic() + 60
            while True:
                try:
                    if _call(conn, "GET", "/healthz")[0] == 200:
                        break
                except OSError:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not start")
                time.sleep(0.1)
            status, w = _call(conn, "POST", "/api/workshops", {"title": "Door", "date": "2026-11-22", "language": "en"})
            sector = _call(conn, "GET", f"/api/codes/{w['code']}")[1]["sectors"][0]
            profile = {"code": w["code"], "name": "Flood", "organisation": "Script", "country": "IT", "sector": sector}
            started, accepted, statuses = time.perf_counter(), 0, dict[int, int]()
            for _ in range(joins):
                status, _body = _call(conn, "POST", "/api/join", profile)
                accepted += status == 201
                statuses[status] = statuses.get(status, 0) + 1
            join_seconds = time.perf_counter() - started
            started, looked, found = time.perf_counter(), 0, dict[int, int]()
            while time.perf_counter() - started < seconds:
                status, _body = _call(conn, "GET", f"/api/codes/ZZ{looked % 10000:04d}")
                looked += 1
                found[status] = found.get(status, 0) + 1
            lookup_seconds = time.perf_counter() - started
            return {
                "joins_sent": joins, "joins_accepted": accepted, "join_statuses": statuses,
                "join_seconds": round(join_seconds, 2), "accepted_joins_per_second": round(accepted / join_seconds, 1),
                "lookups_sent": looked, "lookup_statuses": found,
                "answered_lookups_per_second": round(found.get(404, 0) / lookup_seconds, 1),
            }  # fmt: skip
        finally:
            proc.terminate()
            proc.wait(timeout=15)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=ROOT, help="the source tree whose server to start")
    parser.add_argument("--joins", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=2.0, help="how long to look codes up")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.tree, args.joins, args.seconds), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
