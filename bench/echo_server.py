"""The baseline for `bench/join_bench.py`: Tavolo's server stack with nothing behind it.

Same stack as `tavolo serve` (uvicorn + Starlette, `--ws websockets-sansio`, per-message deflate off), same
endpoints and messages as far as `tavolo simulate` uses them, but no event store, no projections and no
coalescing: a `join` is acknowledged at once and pushed to the dashboards as a one-op `update` straight away.
What Tavolo adds on top of this is the cost of its model, its storage and its views.

Run alone: `.venv/bin/python bench/echo_server.py --port 8790`.
"""

from __future__ import annotations

import argparse
import json
import uuid
from typing import Any

import msgpack
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

WORKSHOP_ID = "00000000-0000-4000-8000-00000000ec40"
CODE = "ECHO42"
FACILITATOR_TOKEN = "echo-facilitator-token-0123456789abcdefghijkl"  # 43 characters, like a real one
SECTORS = ["Agrifood", "Energy", "Health", "Digital", "Mobility", "Creative Industries"]


class _State:
    def __init__(self) -> None:
        self.position = 0
        self.participants: dict[str, dict[str, Any]] = {}  # participant id -> dashboard entry
        self.tokens: dict[str, str] = {}  # participant token -> participant id
        self.acks: dict[str, dict[str, Any]] = {}  # command id -> result (joins are idempotent by id)
        self.dashboards: set[WebSocket] = set()


STATE = _State()


async def create_workshop(request: Request) -> JSONResponse:
    base = str(request.base_url).rstrip("/")
    return JSONResponse(
        {"workshop_id": WORKSHOP_ID, "code": CODE, "facilitator_token": FACILITATOR_TOKEN,
         "projector_token": "echo-projector", "facilitator_url": f"{base}/w/{WORKSHOP_ID}/dashboard",
         "projector_url": f"{base}/w/{WORKSHOP_ID}/projector", "join_url": f"{base}/j/{CODE}"},
        status_code=201,
    )  # fmt: skip


async def resolve_code(request: Request) -> JSONResponse:
    if request.path_params["code"] != CODE:
        return JSONResponse({"error": {"code": "unknown_code", "message": "no such code"}}, status_code=404)
    return JSONResponse({"workshop_id": WORKSHOP_ID, "title": "Echo", "sectors": SECTORS})


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok", "position": STATE.position})


async def socket(websocket: WebSocket) -> None:
    await websocket.accept()
    binary = False

    async def send(message: dict[str, Any]) -> None:
        if binary:
            await websocket.send_bytes(msgpack.packb(message))
        else:
            await websocket.send_text(json.dumps(message))

    try:
        while True:
            frame = await websocket.receive()
            if frame["type"] == "websocket.disconnect":
                return
            binary = frame.get("bytes") is not None
            message = msgpack.unpackb(frame["bytes"]) if binary else json.loads(frame["text"])
            if message.get("type") == "hello":
                await _hello(websocket, send, message)
            elif message.get("type") == "command" and message.get("name") == "join":
                await _join(send, message)
            else:
                await send({"type": "error", "id": message.get("id"), "code": "bad_message", "message": "echo"})
    except WebSocketDisconnect:
        pass
    finally:
        STATE.dashboards.discard(websocket)


async def _hello(websocket: WebSocket, send: Any, message: dict[str, Any]) -> None:
    token, view = message.get("token"), message.get("view")
    pid = STATE.tokens.get(token) if token else None
    role = "facilitator" if token == FACILITATOR_TOKEN else "participant" if pid else "anonymous"
    await send({"type": "welcome", "workshop_id": WORKSHOP_ID, "role": role, "participant_id": pid,
                "server_time": 0})  # fmt: skip
    if role == "facilitator" and view == "dashboard":
        data = {"workshop": {"id": WORKSHOP_ID, "sectors": SECTORS}, "participants": STATE.participants}
        await send({"type": "snapshot", "view": "dashboard", "position": STATE.position, "data": data})
        STATE.dashboards.add(websocket)
    elif pid and view == "participant":
        data = {"workshop": {"id": WORKSHOP_ID, "sectors": SECTORS}, "me": STATE.participants[pid]}
        await send({"type": "snapshot", "view": "participant", "position": STATE.position, "data": data})


async def _join(send: Any, message: dict[str, Any]) -> None:
    command_id, args = message["id"], message.get("args") or {}
    duplicate = command_id in STATE.acks
    if not duplicate:
        pid = str(uuid.uuid4())
        token = args.get("token") or uuid.uuid4().hex
        STATE.position += 1
        STATE.tokens[token] = pid
        STATE.participants[pid] = {
            "id": pid,
            **{k: v for k, v in args.items() if k != "token"},
            "online": True,
        }
        STATE.acks[command_id] = {"participant_id": pid, "participant_token": token}
        ops = [["set", ["participants", pid], STATE.participants[pid]]]
        update = msgpack.packb({"type": "update", "view": "dashboard", "position": STATE.position, "ops": ops})
        for dashboard in list(STATE.dashboards):
            try:
                await dashboard.send_bytes(update)  # encoded once for every dashboard, as Tavolo does
            except (RuntimeError, WebSocketDisconnect):
                STATE.dashboards.discard(dashboard)
    await send({"type": "ack", "id": command_id, "position": STATE.position, "result": STATE.acks[command_id],
                "duplicate": duplicate})  # fmt: skip


app = Starlette(
    routes=[
        Route("/api/workshops", create_workshop, methods=["POST"]),
        Route("/api/codes/{code}", resolve_code),
        Route("/healthz", healthz),
        WebSocketRoute("/ws/{workshop_id}", socket),
    ]
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8790)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, ws="websockets-sansio", ws_per_message_deflate=False,
                log_level="warning", access_log=False)  # fmt: skip


if __name__ == "__main__":
    main()
