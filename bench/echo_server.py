"""The baseline for `bench/join_bench.py` and `bench/vote_bench.py`: Tavolo's server stack with nothing behind it.

Same stack as `tavolo serve` (uvicorn + Starlette, `--ws websockets-sansio`, per-message deflate off), same
endpoints and messages as far as `tavolo simulate` uses them, but no event store, no projections and no
coalescing: a `join` is acknowledged at once and pushed to the dashboards as a one-op `update` straight away.
Polls likewise (`--scenario poll`, single or multiple choice): `create_poll`, `open_poll` and `close_poll` are
acknowledged at once, the poll shown to every participant socket when it opens; each `cast_ballot` is counted in a
dict (one ballot per participant, retries by command id answered `duplicate`), acknowledged, and a fake tally
update (`polls.<id>.turnout.voted`) is pushed to the dashboards straight away; closing pushes the counts.
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
        self.audience: set[WebSocket] = set()  # sockets on the participant view
        self.poll_acks: dict[str, dict[str, Any]] = {}  # command id -> {"position", "result"}
        self.polls: dict[str, dict[str, Any]] = {}  # poll id -> {"spec", "state", "ballots": {pid: answer}}


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
    me: dict[str, str | None] = {"pid": None, "role": None}

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
                me.update(await _hello(websocket, send, message))
            elif message.get("type") == "command" and message.get("name") == "join":
                await _join(send, message)
            elif message.get("type") == "command" and message.get("name") in POLL_COMMANDS:
                await _poll_command(send, message, me)
            else:
                await send({"type": "error", "id": message.get("id"), "code": "bad_message", "message": "echo"})
    except WebSocketDisconnect:
        pass
    finally:
        STATE.dashboards.discard(websocket)
        STATE.audience.discard(websocket)


async def _hello(websocket: WebSocket, send: Any, message: dict[str, Any]) -> dict[str, str | None]:
    token, view = message.get("token"), message.get("view")
    pid = STATE.tokens.get(token) if token else None
    role = "facilitator" if token == FACILITATOR_TOKEN else "participant" if pid else "anonymous"
    await send({"type": "welcome", "workshop_id": WORKSHOP_ID, "role": role, "participant_id": pid,
                "server_time": 0})  # fmt: skip
    if role == "facilitator" and view == "dashboard":
        data = {"workshop": {"id": WORKSHOP_ID, "sectors": SECTORS}, "participants": STATE.participants,
                "polls": {poll_id: _poll_view(poll_id) for poll_id in STATE.polls}}  # fmt: skip
        await send({"type": "snapshot", "view": "dashboard", "position": STATE.position, "data": data})
        STATE.dashboards.add(websocket)
    elif pid and view == "participant":
        polls = {i: _poll_view(i, results=False) for i, p in STATE.polls.items() if p["state"] != "draft"}
        data = {"workshop": {"id": WORKSHOP_ID, "sectors": SECTORS}, "me": STATE.participants[pid], "polls": polls}
        await send({"type": "snapshot", "view": "participant", "position": STATE.position, "data": data})
        STATE.audience.add(websocket)
    return {"pid": pid, "role": role}


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


POLL_COMMANDS = ("create_poll", "open_poll", "close_poll", "cast_ballot")


def _poll_view(poll_id: str, results: bool = True) -> dict[str, Any]:
    poll = STATE.polls[poll_id]
    view: dict[str, Any] = {
        "poll": {"id": poll_id, "title": poll["spec"].get("title"), "kind": poll["spec"].get("kind"),
                 "state": poll["state"], "questions": poll["spec"].get("questions")},
        "turnout": {"voted": len(poll["ballots"]), "present": len(STATE.participants)},
        "results": None,
    }  # fmt: skip
    if results:
        counts = dict.fromkeys((f"o{k}" for k in range(1, len(poll["options"]) + 1)), 0)
        for answer in poll["ballots"].values():
            for option in [answer] if isinstance(answer, str) else answer:
                counts[option] = counts.get(option, 0) + 1
        options = [{"id": o, "count": n} for o, n in counts.items()]
        view["results"] = [{"question_id": "q1", "respondents": len(poll["ballots"]), "options": options}]
    return view


async def _broadcast(sockets: set[WebSocket], message: dict[str, Any]) -> None:
    frame = msgpack.packb(message)  # encoded once for everyone, as Tavolo does
    for ws in list(sockets):
        try:
            await ws.send_bytes(frame)
        except (RuntimeError, WebSocketDisconnect):
            sockets.discard(ws)


async def _poll_command(send: Any, message: dict[str, Any], me: dict[str, str | None]) -> None:
    """Just enough of the poll commands for `tavolo simulate --scenario poll`: no validation, no storage."""
    command_id, name, args = message["id"], message["name"], message.get("args") or {}
    if command_id in STATE.poll_acks:
        done = STATE.poll_acks[command_id]
        await send({"type": "ack", "id": command_id, "position": done["position"], "result": done["result"],
                    "duplicate": True})  # fmt: skip
        return
    allowed = me["role"] == ("participant" if name == "cast_ballot" else "facilitator")
    poll_id = str(uuid.uuid4()) if name == "create_poll" else str(args.get("poll_id"))
    poll = STATE.polls.get(poll_id)
    code = "forbidden" if not allowed else "unknown_poll" if poll is None and name != "create_poll" else None
    if code is None and name == "cast_ballot" and poll is not None and poll["state"] != "open":
        code = "poll_closed" if poll["state"] == "closed" else "poll_not_open"
    if code is not None:
        await send({"type": "error", "id": command_id, "code": code, "message": "echo"})
        return
    STATE.position += 1
    result: dict[str, Any] = {}
    update = None
    if name == "create_poll":
        options = ((args.get("questions") or [{}])[0] or {}).get("options") or []
        STATE.polls[poll_id] = {"spec": args, "state": "draft", "ballots": {}, "options": options}
        result = {"poll_id": poll_id}
    elif name == "cast_ballot":
        poll["ballots"][me["pid"]] = args.get("answer")  # type: ignore[index]
        voted = len(poll["ballots"])  # type: ignore[index]
        ops = [["set", ["polls", poll_id, "turnout", "voted"], voted]]
        update = {"type": "update", "view": "dashboard", "position": STATE.position, "ops": ops}
    else:
        poll["state"] = "open" if name == "open_poll" else "closed"  # type: ignore[index]
        ops = [["set", ["polls", poll_id], _poll_view(poll_id, results=False)]]
        await _broadcast(STATE.audience, {"type": "update", "view": "participant", "position": STATE.position,
                                          "ops": ops})  # fmt: skip
    if update is None:
        ops = [["set", ["polls", poll_id], _poll_view(poll_id)]]
        update = {"type": "update", "view": "dashboard", "position": STATE.position, "ops": ops}
    await _broadcast(STATE.dashboards, update)
    STATE.poll_acks[command_id] = {"position": STATE.position, "result": result}
    await send({"type": "ack", "id": command_id, "position": STATE.position, "result": result, "duplicate": False})


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
