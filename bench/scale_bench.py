"""Scale-out benchmark: the vote storm against 1, 2 and 4 `tavolo serve` processes on PostgreSQL + Redis, and memory
per connected participant.

    .venv/bin/python bench/scale_bench.py [--processes 1 2 4] [--participants 2000] [--vote-window 2]
                                          [--memory 2000 5000] [--markdown]

For each process count: a fresh PostgreSQL schema and Redis channel prefix, that many `tavolo serve --store
postgresql://… --broker redis://…` processes on one machine, and one load generator (this process, uvloop) that
spreads participants round-robin over the processes' URLs, as a load balancer without sticky sessions would:
joins over HTTP, one participant-view websocket each, then everyone casts one ballot at a moment drawn uniformly
over `--vote-window` seconds. The facilitator's dashboard is on the *last* process, so with two or more processes
every tally it shows travelled through the store and Redis. Figures: ballots acked per second (acked / (last ack -
first send)), ack p50/p99, ballot → dashboard tally p50/p99 (the k-th ballot sent is "seen" when the dashboard's
turnout first reaches k), ballots refused (by error code), the CPU of the server processes and of the load
generator itself, and the storm's wall time. The 1-process run is the same-run baseline: the ratio
column is N processes / 1 process. The offered rate is participants / vote window (1,000 ballots/s by default, the
target), so ballots acked/s cannot exceed it: to find the capacity, shorten the window.

Memory: with `--memory N` the same stack (one process) holds N idle connected participants; the figure is the
growth of the server's resident memory from before the sockets opened (everyone already joined) to after, per
socket. Needs PostgreSQL on 127.0.0.1:5432 (database `test`, trust) and Redis on 127.0.0.1:6379.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import gc
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import msgpack  # noqa: E402
import psycopg  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from server.simulate_common import apply_ops, percentiles, run_sync  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379/0"
TARGET_BALLOTS_PER_S = 1000
TARGET_P99_MS = 300
TARGET_KB_PER_PARTICIPANT = 50
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Stack:
    """N `tavolo serve` processes on a fresh schema and Redis prefix."""

    def __init__(self, processes: int, log_dir: Path, server_args: tuple[str, ...] = ()) -> None:
        self.schema = f"tavolo_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {self.schema}")
        store, broker = f"{PG}?schema={self.schema}", f"{REDIS}?prefix=bench_{uuid.uuid4().hex[:8]}"
        self.urls: list[str] = []
        self.procs: list[subprocess.Popen[bytes]] = []
        log_dir.mkdir(parents=True, exist_ok=True)
        for i in range(processes):
            port = _free_port()
            out = (log_dir / f"server-{processes}-{i}.log").open("wb")
            cmd = [sys.executable, "-m", "server.cli", "serve", "--port", str(port), "--store", store, "--broker",
                   broker, "--log-level", "warning", "--max-participants", "20000",
                   # thousands of joins from this one machine: not the venue the per-address limits are set for
                   "--address-join-burst", "1000000", "--address-lookup-burst", "1000000", *server_args]  # fmt: skip
            self.procs.append(subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT))
            self.urls.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 180  # a busy machine: start-up folds the log and imports a lot
        for url in self.urls:
            while True:
                with contextlib.suppress(OSError), _OPENER.open(url + "/readyz", timeout=1) as r:
                    if r.status == 200:
                        break
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{url} did not start")
                time.sleep(0.1)

    def gc_full(self) -> dict[str, float]:
        """The servers' full garbage collections so far, all processes together (server/heap.py's histogram):
        cumulative counts by bucket bound ("le" in seconds), plus "sum" (seconds in all)."""
        totals: dict[str, float] = collections.defaultdict(float)
        prefix = "tavolo_gc_full_collection_seconds"
        for url in self.urls:
            with _OPENER.open(url + "/metrics", timeout=10) as r:
                for line in r.read().decode().splitlines():
                    name, _, value = line.rpartition(" ")
                    if name == prefix + "_sum":
                        totals["sum"] += float(value)
                    elif name.startswith(prefix + "_bucket"):
                        totals[name.partition('le="')[2].partition('"')[0]] += float(value)
        return dict(totals)

    def rss_kb(self) -> int:
        total = 0
        for p in self.procs:
            for line in Path(f"/proc/{p.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return total

    def cpu_s(self) -> float:
        total = 0.0
        tick = os.sysconf("SC_CLK_TCK")
        for p in self.procs:
            fields = Path(f"/proc/{p.pid}/stat").read_text().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {self.schema} CASCADE")


def _http(method: str, url: str, body: dict[str, Any] | None = None, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    for attempt in range(5):
        try:
            with _OPENER.open(request, timeout=30) as r:
                return json.loads(r.read())
        except OSError:
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))
    return None


def setup(stack: Stack, participants: int) -> tuple[str, str, list[tuple[str, str]]]:
    """A workshop and its participants, joined round-robin through every process: (id, facilitator, [(url, token)])."""
    base = stack.urls[0]
    w = _http("POST", base + "/api/workshops", {"title": "Scale", "date": "2026-11-22", "language": "en"})
    sector = _http("GET", f"{base}/api/codes/{w['code']}")["sectors"][0]

    def join(i: int) -> tuple[str, str]:
        url = stack.urls[i % len(stack.urls)]
        body = {"code": w["code"], "name": f"P{i}", "organisation": f"Org {i % 50}", "country": "IT", "sector": sector}
        return url, _http("POST", url + "/api/join", body)["participant_token"]

    with ThreadPoolExecutor(32) as pool:
        people = list(pool.map(join, range(participants)))
    return w["workshop_id"], w["facilitator_token"], people


async def _socket(url: str, workshop_id: str, token: str, view: str) -> Any:
    ws = await connect(url.replace("http", "ws", 1) + f"/ws/{workshop_id}", max_size=None, compression=None,
                       open_timeout=60, ping_interval=None)  # fmt: skip
    await ws.send(msgpack.packb({"type": "hello", "token": token, "view": view}))
    return ws


async def connect_all(workshop_id: str, people: list[tuple[str, str]], concurrency: int = 200) -> list[Any]:
    gate = asyncio.Semaphore(concurrency)

    async def one(url: str, token: str) -> Any:
        async with gate:
            return await _socket(url, workshop_id, token, "participant")

    return list(await asyncio.gather(*(one(u, t) for u, t in people)))


async def _drain(ws: Any, acks: dict[str, float], refused: dict[str, str] | None = None) -> None:
    with contextlib.suppress(Exception):
        async for frame in ws:
            if isinstance(frame, bytes) and (b"ack" in frame[:16] or b"error" in frame[:16]):
                message = msgpack.unpackb(frame)
                if message.get("type") == "ack":
                    acks[message["id"]] = time.perf_counter()
                elif message.get("type") == "error" and refused is not None:
                    refused[message["id"]] = message.get("code", "?")


async def vote_storm(stack: Stack, participants: int, window: float, seed: int) -> dict[str, Any]:
    workshop_id, fac, people = await asyncio.to_thread(setup, stack, participants)
    sockets = await connect_all(workshop_id, people)
    acks: dict[str, float] = {}
    refused: dict[str, str] = {}  # command id -> error code (a real client would retry "unavailable")
    readers = [asyncio.create_task(_drain(ws, acks, refused)) for ws in sockets]
    dashboard = await _socket(stack.urls[-1], workshop_id, fac, "dashboard")
    seen: list[tuple[float, int]] = []  # (when, turnout voted) on the dashboard
    base = stack.urls[0]
    poll = {"title": "Storm", "kind": "single", "questions": [{"options": ["A", "B", "C"]}]}
    cmd = f"{base}/api/workshops/{workshop_id}/commands"
    poll_id = (await asyncio.to_thread(_http, "POST", cmd, {"id": "p", "name": "create_poll", "args": poll}, fac))[
        "result"]["poll_id"]  # fmt: skip
    state: dict[str, Any] = {}

    async def follow() -> None:
        nonlocal state
        async for frame in dashboard:
            message = msgpack.unpackb(frame) if isinstance(frame, bytes) else json.loads(frame)
            if message.get("type") == "snapshot":
                state = message["data"]
            elif message.get("type") == "update":
                state = apply_ops(state, message["ops"])
            else:
                continue
            with contextlib.suppress(KeyError, TypeError):
                seen.append((time.perf_counter(), int(state["polls"][poll_id]["turnout"]["voted"])))

    follower = asyncio.create_task(follow())
    await asyncio.to_thread(_http, "POST", cmd, {"id": "o", "name": "open_poll", "args": {"poll_id": poll_id}}, fac)
    await asyncio.sleep(1.0)  # every phone has the open poll (participant views are pushed every 0.3 s)
    rng = random.Random(seed)
    sent: dict[str, float] = {}
    gc0 = await asyncio.to_thread(stack.gc_full)
    # The load generator holds 5,000 sockets too: its own full collections would stall its sends and its reading
    # of the dashboard, and count as the servers' latency. It collects now and not again until the storm is over.
    gc.collect()
    gc.disable()
    cpu0, client0, t0 = stack.cpu_s(), _own_cpu_s(), time.perf_counter()

    async def ballot(ws: Any, at: float) -> None:
        await asyncio.sleep(max(0.0, t0 + at - time.perf_counter()))
        cid = uuid.uuid4().hex
        sent[cid] = time.perf_counter()
        args = {"poll_id": poll_id, "answer": f"o{rng.randint(1, 3)}"}
        await ws.send(msgpack.packb({"type": "command", "id": cid, "name": "cast_ballot", "args": args}))

    await asyncio.gather(*(ballot(ws, rng.uniform(0, window)) for ws in sockets))
    deadline = time.perf_counter() + 60

    def settled() -> bool:  # every ballot answered, and the dashboard counts every one acked
        return len(acks) + len(refused) >= len(sent) and bool(seen) and seen[-1][1] >= len(acks)

    while not settled() and time.perf_counter() < deadline:
        await asyncio.sleep(0.02)
    cpu1, client1, t1 = stack.cpu_s(), _own_cpu_s(), time.perf_counter()
    gc.enable()
    gc1 = await asyncio.to_thread(stack.gc_full)
    follower.cancel()
    for task in readers:
        task.cancel()
    await asyncio.gather(follower, *readers, return_exceptions=True)
    await asyncio.gather(dashboard.close(), *(ws.close() for ws in sockets), return_exceptions=True)
    sends = sorted(sent.values())
    acked = [acks[c] - sent[c] for c in sent if c in acks]
    tally: list[float] = []
    j = 0
    for k, at in enumerate(sends, start=1):  # the k-th ballot sent is seen when the turnout first reaches k
        while j < len(seen) and seen[j][1] < k:
            j += 1
        if j < len(seen):
            tally.append(max(0.0, seen[j][0] - at))
    last_ack = max((acks[c] for c in sent if c in acks), default=t1)
    return {
        "processes": len(stack.urls), "participants": participants, "ballots_sent": len(sent),
        "ballots_acked": len(acked), "ballots_refused": len(refused),
        "refused_codes": dict(collections.Counter(refused.values())), "tally_total": seen[-1][1] if seen else 0,
        "offered_per_s": round(participants / window, 1),
        "ballots_per_s": round(len(acked) / max(1e-9, last_ack - sends[0]), 1) if sends else 0,
        "ack_ms": percentiles(acked), "tally_ms": percentiles(tally),
        "server_cpu_s": round(cpu1 - cpu0, 2), "client_cpu_s": round(client1 - client0, 2),
        "wall_s": round(t1 - t0, 2), **_collections(gc0, gc1),
    }  # fmt: skip


def _collections(before: dict[str, float], after: dict[str, float]) -> dict[str, Any]:
    """Full collections during the storm: how many, their total and (bound of) the longest, in ms."""
    delta = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in after}
    count = delta.pop("+Inf", 0.0)
    total = delta.pop("sum", 0.0)
    bounds = sorted((float(b), n) for b, n in delta.items())
    longest = next((b for b, n in bounds if n >= count), None) if count else 0.0
    return {"gc_full": int(count), "gc_full_ms": round(total * 1000, 1),
            "gc_longest_ms": None if longest is None else longest * 1000}  # fmt: skip


async def memory(stack: Stack, participants: int) -> dict[str, Any]:
    workshop_id, _, people = await asyncio.to_thread(setup, stack, participants)
    await asyncio.sleep(1.0)
    before = stack.rss_kb()
    sockets = await connect_all(workshop_id, people)
    drains = [asyncio.create_task(_drain(ws, {})) for ws in sockets]
    await asyncio.sleep(2.0)  # snapshots sent, presence pushed
    after = stack.rss_kb()
    for task in drains:
        task.cancel()
    await asyncio.gather(*drains, return_exceptions=True)
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    per = round((after - before) / participants, 1)
    return {"participants": participants, "rss_before_mb": round(before / 1024, 1),
            "rss_after_mb": round(after / 1024, 1), "kb_per_participant": per}  # fmt: skip


def _own_cpu_s() -> float:
    """CPU seconds of this process, the load generator (is the client the bottleneck?)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _raise_fd_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def run(args: argparse.Namespace) -> dict[str, Any]:
    _raise_fd_limit()
    logs = Path(args.logs)
    results: dict[str, Any] = {"votes": {}, "memory": []}
    for n in args.processes:
        runs = []
        for r in range(args.runs):
            stack = Stack(n, logs, tuple(args.server_arg))
            try:
                runs.append(run_sync(vote_storm(stack, args.participants, args.vote_window, args.seed + r)))
            finally:
                stack.stop()
            print(f"scale_bench: {n} process(es), run {r + 1}: {json.dumps(runs[-1])}", file=sys.stderr)
        results["votes"][n] = runs
    for n in args.memory:
        stack = Stack(1, logs, tuple(args.server_arg))
        try:
            results["memory"].append(run_sync(memory(stack, n)))
        finally:
            stack.stop()
        print(f"scale_bench: memory {json.dumps(results['memory'][-1])}", file=sys.stderr)
    return results


def _median(runs: list[dict[str, Any]], *path: str) -> float | None:
    values = []
    for run_ in runs:
        value: Any = run_
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, int | float):
            values.append(float(value))
    return statistics.median(values) if values else None


def table(results: dict[str, Any], markdown: bool) -> str:
    counts = sorted(results["votes"])
    rows: list[list[str]] = []
    head = ["figure", *(f"{n} process{'es' if n > 1 else ''}" for n in counts),
            *(f"ratio {n}/{counts[0]}" for n in counts[1:])]  # fmt: skip
    for label, path, better in (
        ("ballots acked", ("ballots_acked",), None), ("ballots refused", ("ballots_refused",), None),
        ("dashboard tally total", ("tally_total",), None),
        ("ballots offered/s", ("offered_per_s",), None), ("ballots acked/s", ("ballots_per_s",), "higher"),
        ("ack p50 (ms)", ("ack_ms", "p50"), "lower"),
        ("ack p99 (ms)", ("ack_ms", "p99"), "lower"), ("ballot → dashboard p50 (ms)", ("tally_ms", "p50"), "lower"),
        ("ballot → dashboard p99 (ms)", ("tally_ms", "p99"), "lower"),
        ("server CPU, all processes (s)", ("server_cpu_s",), None),
        ("load generator CPU (s)", ("client_cpu_s",), None), ("storm wall time (s)", ("wall_s",), None),
        ("full GC collections in the storm, all processes", ("gc_full",), None),
        ("... their total (ms)", ("gc_full_ms",), None), ("... the longest, at most (ms)", ("gc_longest_ms",), None),
    ):  # fmt: skip
        values = [_median(results["votes"][n], *path) for n in counts]
        base = values[0]
        ratios = [f"{v / base:.2f}" if better and v is not None and base else "" for v in values[1:]]
        rows.append([label, *("-" if v is None else f"{v:g}" for v in values), *ratios])
    for m in results["memory"]:
        rows.append([f"memory per connected participant, {m['participants']} idle (KB)", str(m["kb_per_participant"]),
                     *([""] * (len(head) - 2))])  # fmt: skip
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [head, *rows])


def verdict(results: dict[str, Any]) -> str:
    """Met: at least the target rate offered, every ballot acked and on the dashboard, dashboard p99 under target.
    (Acked/s cannot reach the offered rate: the last acks come after the last send. A stack that could not keep
    up would build a backlog, and the dashboard's p99 would grow with it.)"""
    parts = []
    for n in sorted(results["votes"]):
        runs = results["votes"][n]
        offered = _median(runs, "offered_per_s")
        p99 = _median(runs, "tally_ms", "p99")
        counted = all(r["ballots_acked"] == r["participants"] == r["tally_total"] for r in runs)
        ok = (offered or 0) >= TARGET_BALLOTS_PER_S and counted and p99 is not None and p99 < TARGET_P99_MS
        parts.append(f"{n}p: {offered} ballots/s offered, {'all' if counted else 'NOT all'} counted, dashboard p99 "
                     f"{p99} ms {'met' if ok else 'NOT met'}")  # fmt: skip
    for m in results["memory"]:
        ok = m["kb_per_participant"] < TARGET_KB_PER_PARTICIPANT
        parts.append(f"{m['participants']} connected: {m['kb_per_participant']} KB each {'met' if ok else 'NOT met'}")
    return (f"targets ({TARGET_BALLOTS_PER_S} ballots/s, every one counted, with dashboard p99 < {TARGET_P99_MS} ms; "
            f"< {TARGET_KB_PER_PARTICIPANT} KB per participant): " + "; ".join(parts))  # fmt: skip


def everyone_counted(results: dict[str, Any]) -> bool:
    return all(r["ballots_acked"] == r["participants"] == r["tally_total"] for runs in results["votes"].values()
               for r in runs)  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4], help="process counts (1 2 4)")
    parser.add_argument("--participants", type=int, default=2000, help="voters per storm (2000)")
    parser.add_argument("--vote-window", type=float, default=2.0, help="ballots spread over this many seconds (2)")
    parser.add_argument("--memory", type=int, nargs="*", default=[2000, 5000],
                        help="idle participants (2000 5000); --memory alone: no memory figure")  # fmt: skip
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--logs", default="/tmp/tavolo-scale-bench", help="server logs go here")
    parser.add_argument("--server-arg", action="append", default=[], metavar="ARG",
                        help="pass ARG to every `tavolo serve` (e.g. --server-arg=--no-heap-freeze)")  # fmt: skip
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    results = run(args)
    print(f"scale benchmark: {args.participants} voters over {args.vote_window:g} s per storm, processes "
          f"{args.processes} on PostgreSQL + Redis, round-robin, {args.runs} run(s) (medians), seed {args.seed}, "
          f"{os.cpu_count()} CPUs shared by servers, PostgreSQL, Redis and the load generator")  # fmt: skip
    print(table(results, args.markdown))
    print(verdict(results))
    if args.json:
        print(json.dumps(results))
    return 0 if everyone_counted(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
