"""Flood benchmark: 50 voters' ack latency with and without one anonymous websocket flooding pings, and the
server's memory.

    .venv/bin/python bench/flood_bench.py [--voters 50] [--seconds 10] [--server-root DIR] [--markdown]

Starts `tavolo serve` on a fresh SQLite file (from `--server-root`, default this checkout: point it at another
checkout to measure its code), creates a workshop with an open single-choice poll, and joins `--voters` people, each
on a websocket watching the participant view. Phase 1 (unflooded): for `--seconds`, every voter casts a ballot
every `--interval` seconds (changing it each time) and waits for its ack. Phase 2 (flooded): the same, while one
more socket does what docs/security.md#websocket-floods describes: gets the workshop id from the public
`GET /api/codes/{code}`, opens `/ws/{id}`, says hello, shrinks its receive buffer, never reads, and streams
`{"type":"ping"}` frames as fast as it can (the same masked frames, re-sent). Prints the voters' ack p50/p99 in
both phases and their ratio (flooded / unflooded), the frames the flooder got out, the server's RSS before, at its
peak during and after the flood, and how the flooding socket ended (the close code it read afterwards).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect
from websockets.client import ClientProtocol
from websockets.frames import Close, Opcode
from websockets.uri import parse_uri

ROOT = Path(__file__).resolve().parent.parent
POLL = {"title": "Flood bench", "kind": "single", "questions": [{"options": ["Yes", "No"]}], "visibility": "hidden"}


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def request(url: str, method: str = "GET", body: Any = None, token: str | None = None) -> Any:
    req = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def start_server(root: Path, store: str, log: Path, *extra: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--port", str(port), "--store",
                                    store, *extra], stdout=out, stderr=subprocess.STDOUT, cwd=root)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url + "/healthz", timeout=1):
            return process, url
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("server did not start")


class Flooder:
    """One anonymous websocket on a raw TCP socket that never reads after its hello, and streams pings."""

    def __init__(self, url: str, workshop_id: str, receive_buffer: int = 4096) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)))
        self.protocol = ClientProtocol(parse_uri(f"ws://{host}:{port}/ws/{workshop_id}"))
        self.protocol.send_request(self.protocol.connect())
        self.sock.sendall(b"".join(self.protocol.data_to_send()))
        while self.protocol.handshake_exc is None and not self._accepted():
            self.protocol.receive_data(self.sock.recv(65536))
        self.protocol.send_text(json.dumps({"type": "hello"}).encode())
        self.sock.sendall(b"".join(self.protocol.data_to_send()))
        for _ in range(1000):
            self.protocol.send_text(b'{"type":"ping"}')
        self.batch = b"".join(self.protocol.data_to_send())  # 1,000 masked pings, sent again and again
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.frames = 0
        self.texts: list[str] = []  # what close_code() read before the close frame
        self.error: str | None = None

    def _accepted(self) -> bool:
        return any(getattr(e, "status_code", None) == 101 for e in self.protocol.events_received())

    def run(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        try:
            while time.monotonic() < end:
                self.sock.sendall(self.batch)
                self.frames += 1000
        except OSError as e:  # the server closed or dropped the socket
            self.error = type(e).__name__

    def close_code(self, timeout: float = 10) -> int | None:
        """Read what the server sent, up to its close frame: its code (None if none came)."""
        self.sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        with contextlib.suppress(OSError):
            while time.monotonic() < deadline and self.protocol.close_rcvd is None:
                data = self.sock.recv(65536)
                if not data:
                    break
                self.protocol.receive_data(data)
                self.texts += [e.data.decode() for e in self.protocol.events_received() if e.opcode == Opcode.TEXT]
        close: Close | None = self.protocol.close_rcvd
        self.sock.close()
        return close.code if close is not None else None


async def voters_phase(url: str, workshop_id: str, poll_id: str, tokens: list[str], seconds: float,
                       interval: float) -> tuple[list[float], int]:  # fmt: skip
    """Every voter casts a ballot each `interval` for `seconds`: the ack latencies (ms) and the errors."""
    latencies: list[float] = []
    errors = 0
    ws_url = url.replace("http://", "ws://") + f"/ws/{workshop_id}"

    async def voter(i: int, token: str) -> None:
        nonlocal errors
        async with connect(ws_url, max_size=None, ping_interval=None) as ws:
            await ws.send(json.dumps({"type": "hello", "token": token, "view": "participant"}))
            pending: dict[str, float] = {}

            async def read() -> None:
                nonlocal errors
                async for raw in ws:
                    m = json.loads(raw)
                    if m["type"] in ("ack", "error") and m.get("id") in pending:
                        latencies.append((time.monotonic() - pending.pop(m["id"])) * 1000)
                        errors += m["type"] == "error"

            reader = asyncio.create_task(read())
            await asyncio.sleep(interval * i / len(tokens))  # spread the voters over one interval
            end = time.monotonic() + seconds
            answer = 0
            while time.monotonic() < end:
                command_id = str(uuid.uuid4())
                pending[command_id] = time.monotonic()
                answer ^= 1
                await ws.send(json.dumps({"type": "command", "id": command_id, "name": "cast_ballot",
                                          "args": {"poll_id": poll_id, "answer": f"o{answer + 1}"}}))  # fmt: skip
                await asyncio.sleep(interval)
            for _ in range(100):
                if not pending:
                    break
                await asyncio.sleep(0.05)
            errors += len(pending)  # never answered
            reader.cancel()

    await asyncio.gather(*(voter(i, t) for i, t in enumerate(tokens)))
    return latencies, errors


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else float("nan")


def measure(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start_server(Path(args.server_root), f"sqlite:///{tmp}/flood.db", Path(tmp) / "server.log")
        try:
            return _measure(args, process, url)
        finally:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(15)
            if process.poll() is None:
                process.kill()


def _measure(args: argparse.Namespace, process: subprocess.Popen[bytes], url: str) -> dict[str, Any]:
    w = request(url + "/api/workshops", "POST", {"title": "Flood", "date": "2026-11-22", "language": "en"})
    fac = w["facilitator_token"]
    commands = f"{url}/api/workshops/{w['workshop_id']}/commands"
    poll_id = request(commands, "POST", {"id": "p", "name": "create_poll", "args": POLL}, fac)["result"]["poll_id"]
    request(commands, "POST", {"id": "o", "name": "open_poll", "args": {"poll_id": poll_id}}, fac)
    public = request(f"{url}/api/codes/{w['code']}")
    tokens = []
    for i in range(args.voters):
        joined = request(url + "/api/join", "POST", {"code": w["code"], "name": f"Voter {i}", "organisation": "Org",
                                                     "country": "IT", "sector": public["sectors"][0]})  # fmt: skip
        tokens.append(joined["participant_token"])
    calm, calm_errors = asyncio.run(voters_phase(url, public["workshop_id"], poll_id, tokens, args.seconds,
                                                 args.interval))  # fmt: skip
    before = rss_mb(process.pid)
    # The flooder is its own process, so that its sending costs the voters' process nothing.
    flooding = subprocess.Popen([sys.executable, __file__, "--flood", url, public["workshop_id"],
                                 str(args.seconds + 1)], stdout=subprocess.PIPE)  # fmt: skip
    peak = [before]
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.wait(0.2):
            peak.append(rss_mb(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    flooded, flooded_errors = asyncio.run(voters_phase(url, public["workshop_id"], poll_id, tokens, args.seconds,
                                                       args.interval))  # fmt: skip
    flood = json.loads(flooding.communicate(timeout=60)[0])
    sampling.set()
    sampler.join()
    after = rss_mb(process.pid)
    return {
        "calm_p50": pct(calm, 50), "calm_p99": pct(calm, 99), "calm_acks": len(calm), "calm_errors": calm_errors,
        "flood_p50": pct(flooded, 50), "flood_p99": pct(flooded, 99), "flood_acks": len(flooded),
        "flood_errors": flooded_errors, "frames": flood["frames"], "flooder_error": flood["error"],
        "rss_before": before, "rss_peak": max(peak), "rss_after": after, "close_code": flood["close_code"],
    }  # fmt: skip


def table(r: dict[str, Any], markdown: bool) -> str:
    rows = [
        ("voters' ack p50 (ms), unflooded / flooded", f"{r['calm_p50']:.1f} / {r['flood_p50']:.1f}"),
        ("voters' ack p99 (ms), unflooded / flooded", f"{r['calm_p99']:.1f} / {r['flood_p99']:.1f}"),
        ("ack p99 ratio (flooded / unflooded)", f"{r['flood_p99'] / r['calm_p99']:.2f}"),
        ("acks (errors), unflooded / flooded",
         f"{r['calm_acks']} ({r['calm_errors']}) / {r['flood_acks']} ({r['flood_errors']})"),
        ("ping frames the flooder sent", f"{r['frames']:,}" + (f" (then {r['flooder_error']})" if r["flooder_error"]
                                                               else "")),
        ("server RSS (MB) before / peak / after",
         f"{r['rss_before']:.0f} / {r['rss_peak']:.0f} / {r['rss_after']:.0f}"),
        ("flooding socket's close code", str(r["close_code"] or "none: still open")),
    ]  # fmt: skip
    if markdown:
        return "\n".join(["| figure | value |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows)])
    width = max(len(a) for a, _ in rows)
    return "\n".join(f"{a:<{width}}  {b}" for a, b in rows)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--voters", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0, help="each phase (default 10)")
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between one voter's ballots")
    parser.add_argument("--server-root", default=str(ROOT), help="the checkout whose server runs (default: this)")
    parser.add_argument("--markdown", action="store_true")


def flood(url: str, workshop_id: str, seconds: float) -> None:
    """The flooding process: prints what it sent and how its socket ended, as JSON."""
    flooder = Flooder(url, workshop_id)
    flooder.run(seconds)
    code = flooder.close_code()
    print(json.dumps({"frames": flooder.frames, "error": flooder.error, "close_code": code}))


def main(argv: list[str] | None = None) -> int:
    if (argv or sys.argv[1:])[:1] == ["--flood"]:
        url, workshop_id, seconds = (argv or sys.argv[1:])[1:4]
        flood(url, workshop_id, float(seconds))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    result = measure(args)
    print(f"flood: {args.voters} voters, a ballot each {args.interval:g} s, {args.seconds:g} s per phase, "
          f"server from {args.server_root} (pid RSS from /proc), {os.cpu_count()} CPUs")  # fmt: skip
    print(table(result, args.markdown))
    return 0 if result["calm_errors"] == 0 and result["flood_errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
