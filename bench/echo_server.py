"""The baseline for `bench/join_bench.py`, `vote_bench.py`, `answers_bench.py`: Tavolo's stack with nothing behind it.

Same stack as `tavolo serve` (uvicorn + Starlette, `--ws websockets-sansio`, per-message deflate off), same
endpoints and messages as far as `tavolo simulate` uses them, but no event store, no projections and no
coalescing: a `join` is acknowledged at once and pushed to the dashboards as a one-op `update` straight away.
Polls likewise (`--scenario poll`, single or multiple choice): `create_poll`, `open_poll` and `close_poll` are
acknowledged at once, the poll shown to every participant socket when it opens; each `cast_ballot` is counted in a
dict (one ballot per participant, retries by command id answered `duplicate`), acknowledged, and a fake tally
update (`polls.<id>.turnout.voted`) is pushed to the dashboards straight away; closing pushes the counts.
Group work (`--scenario groups`): `split_groups` deals the participants round-robin into the groups asked for,
`pose_questions` records the questions, and `add_contribution` / `edit_contribution` keep each sheet in a dict
(versions checked: a stale `base_version` is answered `edit_conflict` with both texts), acknowledged at once; each
change pushes the group's card and sheet to its members (`me.group`) and the answers side by side to the dashboards
(`groups.question_sets`, as a whole, as Tavolo's diff does), straight away.
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
        self.members: dict[str, set[WebSocket]] = {}  # participant id -> its sockets on the participant view
        self.split: dict[str, Any] | None = None  # {"id", "groups": [{"id", "number", "members": [...]}]}
        self.member_of: dict[str, str] = {}  # participant id -> group id
        self.question_set: dict[str, Any] | None = None  # {"id", "questions"}
        self.sheets: dict[str, dict[str, dict[str, Any]]] = {}  # group id -> contribution id -> contribution


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
            elif message.get("type") == "command" and message.get("name") in GROUP_COMMANDS:
                await _group_command(send, message, me)
            else:
                await send({"type": "error", "id": message.get("id"), "code": "bad_message", "message": "echo"})
    except WebSocketDisconnect:
        pass
    finally:
        STATE.dashboards.discard(websocket)
        STATE.audience.discard(websocket)
        if me["pid"]:
            STATE.members.get(me["pid"], set()).discard(websocket)


async def _hello(websocket: WebSocket, send: Any, message: dict[str, Any]) -> dict[str, str | None]:
    token, view = message.get("token"), message.get("view")
    pid = STATE.tokens.get(token) if token else None
    role = "facilitator" if token == FACILITATOR_TOKEN else "participant" if pid else "anonymous"
    await send({"type": "welcome", "workshop_id": WORKSHOP_ID, "role": role, "participant_id": pid,
                "server_time": 0})  # fmt: skip
    if role == "facilitator" and view == "dashboard":
        data = {"workshop": {"id": WORKSHOP_ID, "sectors": SECTORS}, "participants": STATE.participants,
                "polls": {poll_id: _poll_view(poll_id) for poll_id in STATE.polls},
                "groups": _groups_view()}  # fmt: skip
        await send({"type": "snapshot", "view": "dashboard", "position": STATE.position, "data": data})
        STATE.dashboards.add(websocket)
    elif pid and view == "participant":
        polls = {i: _poll_view(i, results=False) for i, p in STATE.polls.items() if p["state"] != "draft"}
        me = {**STATE.participants[pid], "group": _my_group(pid)}
        data = {"workshop": {"id": WORKSHOP_ID, "sectors": SECTORS}, "me": me, "polls": polls}
        await send({"type": "snapshot", "view": "participant", "position": STATE.position, "data": data})
        STATE.audience.add(websocket)
        STATE.members.setdefault(pid, set()).add(websocket)
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


GROUP_COMMANDS = ("split_groups", "pose_questions", "add_contribution", "edit_contribution")


def _answers(group_id: str) -> dict[str, Any]:
    sheet = STATE.sheets.get(group_id, {})
    questions = (STATE.question_set or {}).get("questions") or []
    answers = {q["id"]: [c for c in sheet.values() if c["question_id"] == q["id"]] for q in questions}
    return {"group_id": group_id, "answered": bool(sheet), "answers": answers}


def _question_sets() -> list[dict[str, Any]]:
    qs, split = STATE.question_set, STATE.split
    if qs is None or split is None:
        return []
    sheets = [_answers(g["id"]) for g in split["groups"]]
    answers = [{"question_id": q["id"], "prompt": q["prompt"],
                "groups": [{"group_id": s["group_id"], "contributions": s["answers"][q["id"]]} for s in sheets]}
               for q in qs["questions"]]  # fmt: skip
    return [{**qs, "answers": answers}]


def _groups_view() -> dict[str, Any] | None:
    if STATE.split is None:
        return None
    return {"split": STATE.split, "history": [], "question_sets": _question_sets(), "position": STATE.position}


def _my_group(pid: str) -> dict[str, Any] | None:
    group_id = STATE.member_of.get(pid)
    if STATE.split is None or group_id is None:
        return None
    group = next(g for g in STATE.split["groups"] if g["id"] == group_id)
    sets = [{**STATE.question_set, "sheet": _answers(group_id), "others": None}] if STATE.question_set else []
    return {"split_id": STATE.split["id"], "group": group, "question_sets": sets, "position": STATE.position}


async def _push_group(group_id: str) -> None:
    """A group's card and sheet to its members' sockets, encoded once per group."""
    group = next(g for g in STATE.split["groups"] if g["id"] == group_id)  # type: ignore[index]
    members = [ws for m in group["members"] for ws in STATE.members.get(m["id"], ())]
    ops = [["set", ["me", "group"], _my_group(group["members"][0]["id"])]]
    await _broadcast(set(members), {"type": "update", "view": "participant", "position": STATE.position, "ops": ops})


async def _group_command(send: Any, message: dict[str, Any], me: dict[str, str | None]) -> None:
    """Just enough of the group commands for `tavolo simulate --scenario groups`: no planner, no storage."""
    command_id, name, args = message["id"], message["name"], message.get("args") or {}
    if command_id in STATE.poll_acks:
        done = STATE.poll_acks[command_id]
        await send({"type": "ack", "id": command_id, "position": done["position"], "result": done["result"],
                    "duplicate": True})  # fmt: skip
        return
    facilitator = name in ("split_groups", "pose_questions")
    pid, group_id = me["pid"], str(args.get("group_id"))
    code = None
    if me["role"] != "facilitator" and (facilitator or STATE.member_of.get(pid or "") != group_id):
        code = "forbidden" if facilitator else "not_a_member"
    elif not facilitator and (STATE.question_set is None or args.get("question_set_id") != STATE.question_set["id"]):
        code = "unknown_question_set"
    sheet = STATE.sheets.setdefault(group_id, {}) if code is None and not facilitator else {}
    contribution = sheet.get(str(args.get("contribution_id"))) if name == "edit_contribution" else None
    details = None
    if code is None and name == "edit_contribution":
        if contribution is None:
            code = "unknown_contribution"
        elif args.get("base_version") != contribution["version"]:
            code = "edit_conflict"
            details = {"contribution_id": contribution["id"], "theirs": dict(contribution),
                       "yours": {"text": args.get("text"), "base_version": args.get("base_version")}}  # fmt: skip
    if code is not None:
        await send({"type": "error", "id": command_id, "code": code, "message": "echo", "details": details})
        return
    STATE.position += 1
    result: dict[str, Any] = {}
    if name == "split_groups":
        count = max(1, int(args.get("groups") or 1))
        split_id = str(uuid.uuid4())
        groups = [{"id": f"g{k + 1}", "number": k + 1, "members": []} for k in range(count)]
        STATE.member_of, STATE.sheets, STATE.question_set = {}, {}, None
        for k, (participant, entry) in enumerate(STATE.participants.items()):
            groups[k % count]["members"].append({"id": participant, "name": entry.get("name", "")})
            STATE.member_of[participant] = groups[k % count]["id"]
        STATE.split = {"id": split_id, "groups": groups}
        result = {"split_id": split_id, "seed": args.get("seed")}
    elif name == "pose_questions":
        questions = [{"id": f"q{k}", "prompt": q if isinstance(q, str) else q.get("prompt")}
                     for k, q in enumerate(args.get("questions") or [], 1)]  # fmt: skip
        STATE.question_set = {"id": str(uuid.uuid4()), "split_id": args.get("split_id"), "questions": questions}
        result = {"question_set_id": STATE.question_set["id"]}
    elif contribution is None:  # add_contribution
        contribution = {"id": f"c{len(sheet) + 1}", "question_id": args.get("question_id"), "text": args.get("text"),
                        "version": 1, "author": pid}  # fmt: skip
        sheet[contribution["id"]] = contribution
    else:
        contribution.update(text=args.get("text"), version=contribution["version"] + 1)
    if contribution is not None:
        result = {"contribution_id": contribution["id"], "version": contribution["version"]}
        await _push_group(group_id)
        ops = [["set", ["groups", "question_sets"], _question_sets()]]
    else:
        for group in STATE.split["groups"] if STATE.split else []:
            await _push_group(group["id"])
        ops = [["set", ["groups"], _groups_view()]]
    await _broadcast(STATE.dashboards, {"type": "update", "view": "dashboard", "position": STATE.position, "ops": ops})
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
