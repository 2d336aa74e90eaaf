"""Property test: no HTTP request breaks the server (issue 9's "schemathesis over the HTTP API").

We have no OpenAPI schema, so the fuzzer is driven by the app's own route table (``app.routes``, mounts included):
a route added later is fuzzed without anyone remembering to, and a route this file cannot classify fails the test.

Every route gets every method (its own and others, which must answer 405 with ``Allow``), then hypothesis draws
requests: path parameters (the real workshop's ids, tokens' neighbours, huge, unicode, percent-encoded junk,
``..``), query strings (any keys, repeated keys, huge values), headers (valid and malformed tokens, wrong
Content-Type, Origin, Accept-Language and cookie junk) and bodies (any JSON, deep nesting, invalid UTF-8, truncated
JSON, beyond the body limit, chunked, msgpack, empty). Each answer must be:

- never a 5xx;
- under /api/: a 4xx is JSON ``{"error": {"code", "message"}}`` with a code and status from docs/protocol.md
  (routing's 405 answers ``bad_message`` with 405, as tests/server/test_api.py holds);
- a page: a 4xx is an HTML or text page, never a traceback;
- refused (or a read): nothing written to the store (the notification log does not grow).

Afterwards the server still creates a workshop and runs a command. The cases run are printed in the terminal
summary ("server fuzz cases run").
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import msgpack
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.testclient import TestClient

from tests.server import support
from tests.server.fuzzing import FUZZ, NASTY, Findings, json_values, text
from tests.server.support import CODES, DETAILS, PROFILE, Room

CASES = 3000
LIMIT = 64 * 1024  # the documented body limit (server/api.py MAX_BODY)
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]
ROUTING = {(404, "not_found"), (405, "bad_message")}  # what routing itself answers under /api/

# What each route is, so that its answers are judged right. A route missing here fails the test.
KINDS: dict[str, str] = {
    "/api/workshops": "api",
    "/api/join": "api",
    "/api/workshops/{workshop_id}/commands": "api",
    "/api/workshops/{workshop_id}/views/{view}": "api",
    "/api/workshops/{workshop_id}/polls.csv": "api",
    "/api/workshops/{workshop_id}/polls/{poll_id}/results.csv": "api",
    "/api/codes/{code}": "api",
    "/api/workshops/{workshop_id}/matchmaking/catalogue": "api",
    "/api/workshops/{workshop_id}/matchmaking/suggestions": "api",
    "/api/workshops/{workshop_id}/matchmaking/agenda.ics": "api",
    "/api/workshops/{workshop_id}/matchmaking/meetings.csv": "api",
    "/api/workshops/{workshop_id}/rotations/preview": "api",
    "/api/workshops/{workshop_id}/timeline": "api",
    "/api/workshops/{workshop_id}/notes": "api",
    "/api/workshops/{workshop_id}/replay": "api",
    "/api/workshops/{workshop_id}/minutes.{format}": "api",
    "/api/workshops/{workshop_id}/events.tavolo": "api",
    "/api/workshops/{workshop_id}/reopen": "api",
    "/api/workshops/{workshop_id}/card": "api",
    "/healthz": "ops",
    "/readyz": "ops",
    "/metrics": "ops",
    "/w/{workshop_id}/replay": "page",
    "/": "page",
    "/join": "page",
    "/organiser": "page",
    "/j/{code}": "page",
    "/w/{workshop_id}/dashboard": "page",
    "/w/{workshop_id}/projector": "page",
    "/w/{workshop_id}/qr.svg": "page",
    "/w/{workshop_id}/me": "page",
    "/static/{path}": "static",
    # Its frames are fuzzed in test_fuzz.py; here it gets plain HTTP requests, which no route answers (404).
    "/ws/{workshop_id}": "socket",
}
# Routes deliberately not fuzzed, with the reason (none so far).
EXCLUDED: dict[str, str] = {}


@dataclass(frozen=True)
class Endpoint:
    template: str
    methods: frozenset[str]  # what the route declares (a websocket route: none)
    kind: str


def endpoints(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, frozenset[str]]]:
    """Every route's path template and declared methods, mounts flattened (a mounted app answers any path below
    its mount point: ``{path}``)."""
    for r in routes:
        if isinstance(r, Mount):
            if r.routes:
                yield from endpoints(r.routes, prefix + r.path)
            else:
                yield prefix + r.path + "/{path}", frozenset({"GET", "HEAD"})
        elif isinstance(r, Route):
            yield prefix + r.path, frozenset(r.methods or ())
        elif isinstance(r, WebSocketRoute):
            yield prefix + r.path, frozenset()
        else:
            raise AssertionError(f"a route of a kind this fuzzer does not know: {r!r}")


def classify(app: Any) -> list[Endpoint]:
    found = dict(endpoints(app.routes))
    unknown = sorted(set(found) - set(KINDS) - set(EXCLUDED))
    assert not unknown, f"routes neither fuzzed nor excluded (add them to KINDS or EXCLUDED): {unknown}"
    stale = sorted((set(KINDS) | set(EXCLUDED)) - set(found))
    assert not stale, f"KINDS/EXCLUDED name routes the app no longer has: {stale}"
    return [Endpoint(t, m, KINDS[t]) for t, m in found.items() if t not in EXCLUDED]


# The real things the requests are about.

SESSIONS = {"sessions": [{"start": "2026-11-23T09:00:00+01:00", "end": "2026-11-23T10:00:00+01:00"}],
            "slot_minutes": 20, "tables": 2}  # fmt: skip
POLL = {"title": "Q", "kind": "multiple", "questions": [{"options": ["A", "B", "C"], "max_choices": 2}]}


class Target:
    """A workshop with two people, a published meeting, an open poll with a ballot, an agenda item and a note: so
    that valid requests reach every handler's happy path, CSV, iCalendar and minutes included."""

    def __init__(self, client: TestClient) -> None:
        self.room = room = Room(client)
        self.ann, self.bob = room.join(name="Ann"), room.join(name="Bob", organisation="Org B", country="FR")
        ann, bob = self.ann["participant_token"], self.bob["participant_token"]
        room.ok("configure_matchmaking", SESSIONS)
        meeting = room.ok("request_meeting", {"participant_id": self.bob["participant_id"]}, ann)["result"]
        room.ok("accept_meeting", {"meeting_id": meeting["meeting_id"]}, bob)
        room.ok("schedule_meetings")
        deadline = time.monotonic() + support.DEADLINE
        while not room.view()["data"]["matchmaking"]["schedule"]["optimal"]:  # the solver may still write
            assert time.monotonic() < deadline, "the meeting schedule did not settle"
            time.sleep(0.02)
        room.ok("publish_schedule")
        self.poll = room.ok("create_poll", POLL)["result"]["poll_id"]
        room.ok("open_poll", {"poll_id": self.poll})
        room.ok("cast_ballot", {"poll_id": self.poll, "answer": ["o1"]}, ann)
        room.ok("annotate", {"text": "A note", "item_id": room.add_item("Opening")})
        self.tokens = {"facilitator": room.facilitator, "projector": room.projector, "participant": ann}

    def params(self) -> dict[str, list[str]]:
        """Valid (or nearly valid) values of each path parameter."""
        code = self.room.code
        return {
            "workshop_id": [self.room.id, self.room.id.upper(), str(uuid.UUID(int=1))],
            "poll_id": [self.poll, self.ann["participant_id"], self.poll.upper()],
            "code": [code, code.lower(), f"{code[:3]}-{code[3:]}", f" {code} "],
            "view": ["dashboard", "projector", "participant"],
            "format": ["md", "html", "pdf", "json", "data", "csv"],
            "path": ["css/tavolo.css", "js/home.js", "img/logo.svg", "css/", "", "../server/app.py", "css/../css/x"],
        }


# Strategies.

JUNK_SEGMENTS = ["..", ".", "%2e%2e", "%2E%2E%2F..%2F..%2Fpyproject.toml", "%zz", "%", "%00", "%FF%FE",
                 "%C0%AF", "%ED%A0%80", "a/b", ";x=1", "%3F", "%23", "%2F", "~", "con", "x" * 8000,
                 quote("é" * 3000)]  # fmt: skip


def encoded(value: str) -> str:
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def path_values(real: list[str]) -> st.SearchStrategy[str]:
    """A path segment as sent (already percent-encoded): mostly real values, else junk."""
    return st.one_of(
        st.sampled_from(real).map(encoded),
        st.sampled_from(real).map(encoded),
        st.sampled_from(JUNK_SEGMENTS),
        text.map(encoded),
        st.text(st.characters(exclude_categories=("Cs",)), max_size=40).map(lambda s: quote(s, safe="/%.:@")),
    )


QUERY_KEYS = ["participant_id", "q", "country", "sector", "organisation_type", "position", "at", "lang", "code",
              "poll_id", "view", "token", "k", "format"]  # fmt: skip
QUERY_VALUES = ["-1", "0", "1", "3", "999999999999", "9" * 5000, "1e3", "0x10", "2026-11-22T10:00:00+01:00",
                "2026-11-22", "0001-01-01T00:00:00", "9999-12-31T23:59:59-23:59", "2026-13-45", "now", "it", "xx",
                "it-IT", "IT", "Agrifood", "cluster", "x" * 20_000]  # fmt: skip
RAW_QUERIES = ["&&&", "=", "==", "a=%zz", "%FF=%FE", "a", ";;", "a=1;b=2", "%00=%00", "lang=it&lang=xx", "?"]


def queries(real: list[str]) -> st.SearchStrategy[str]:
    pairs = st.lists(
        st.tuples(
            st.integers(0, 4).flatmap(lambda i: st.sampled_from(QUERY_KEYS) if i else text),  # mostly known keys
            st.one_of(st.sampled_from(QUERY_VALUES + NASTY + real), st.sampled_from(real), text),
        ),
        max_size=6,
    )
    # A key repeated; at most 40,000 characters (httpx refuses URLs over 64 KiB; servers refuse far less).
    joined = pairs.map(lambda ps: "&".join(f"{encoded(k)}={encoded(v)}" for k, v in ps + ps[:1])[:40_000])
    return st.integers(0, 5).flatmap(lambda i: [st.just(""), st.sampled_from(RAW_QUERIES)][i] if i < 2 else joined)


def header_values(special: list[str]) -> st.SearchStrategy[str]:
    """A header value as bytes on the wire would arrive: any byte but CR and LF (which a server's parser takes
    as the end of the header), read as latin-1 the way Starlette decodes headers."""
    anything = st.binary(max_size=60).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"").decode("latin-1"))
    printable = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=60)
    return st.one_of(st.sampled_from(special), anything, printable, st.just("x" * 10_000))


AUTH = ["Bearer", "Bearer ", "bearer x", "Basic dXNlcjpwYXNz", "Bearer " + "t" * 43, "Bearer " + "A" * 10_000,
        "Token abc", "Bearer a b c", "Bearer\tx", "Bearer %00", "Bearer ☃".encode().decode("latin-1")]  # fmt: skip
CONTENT_TYPES = ["application/json", "application/json; charset=latin-1", "text/plain", "application/msgpack",
                 "application/x-www-form-urlencoded", "multipart/form-data; boundary=", "multipart/form-data",
                 "application/json; charset=utf-16", "*/*", ""]  # fmt: skip
LANGUAGES = ["it", "it-IT,it;q=0.9", "en;q=abc", "*", "xx-YY", ";;;", "q=1", ",", "it;q=", "x" * 5000]
ORIGINS = ["null", "http://evil.example", "http://testserver", "file://", "http://[::1"]
COOKIES = ["lang=it", "lang=xx", "lang=", "lang", "=;=;", "lang=it; lang=en", 'lang="it', "k=v" * 2000]


@st.composite
def headers(draw: st.DrawFn, tokens: dict[str, str]) -> list[tuple[str, str]]:
    valid = [f"Bearer {t}" for t in tokens.values()]
    out: list[tuple[str, str]] = []
    auth = draw(st.one_of(st.none(), st.sampled_from(valid), st.sampled_from(valid), header_values(AUTH)))
    if auth is not None:
        out.append(("authorization", auth))
    for name, special in (("content-type", CONTENT_TYPES), ("accept-language", LANGUAGES), ("origin", ORIGINS),
                          ("cookie", COOKIES), ("x-tavolo-organiser-key", ["", "k"]), ("accept", ["*/*", "x"]),
                          ("content-length", ["0", "1", "abc", "-1", "99999999999999999999", " 5"])):  # fmt: skip
        if draw(st.integers(0, 3)) == 0:
            out.append((name, draw(header_values(special))))
    return out


@st.composite
def plausible_bodies(draw: st.DrawFn, code: str) -> Any:
    """Bodies close to what each POST route takes, with fields replaced, removed or added."""
    base = draw(
        st.sampled_from(
            [
                dict(DETAILS),
                {"code": code, **PROFILE},
                {"id": "c-1", "name": "update_workshop", "args": {"venue": "Here"}},
                {"id": "c-2", "name": "annotate", "args": {"text": "Fuzz"}},
                {"id": "c-3", "name": "no_such_command", "args": {}},
            ]
        )
    )
    for key in draw(st.lists(st.sampled_from(sorted(base)), max_size=2, unique=True)):
        del base[key]
    base.update(draw(st.dictionaries(st.sampled_from([*base, "id", "token", "args", "sectors"]), json_values,
                                     max_size=2)))  # fmt: skip
    return base


def dumps(value: Any, ascii_only: bool) -> bytes:
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")  # lone surrogates: bad UTF-8


@st.composite
def bodies(draw: st.DrawFn, code: str) -> bytes | list[bytes] | None:
    """A body as bytes; a list of chunks is sent chunked (no Content-Length), so only the stream can tell."""
    kind = draw(st.integers(0, 11))
    if kind == 0:
        return None
    if kind == 1:
        return draw(st.sampled_from([b"", b"{}", b"[]", b"null", b"0", b'""', b"\x00", b" " * 10]))
    if kind in (2, 3):
        return dumps(draw(plausible_bodies(code)), draw(st.booleans()))
    if kind == 4:
        return dumps(draw(json_values), draw(st.booleans()))
    if kind == 5:  # deep nesting
        depth = draw(st.sampled_from([100, 1000, 30_000]))
        opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
        return opener * depth + b"1" + closer * depth * draw(st.integers(0, 1))
    if kind == 6:  # truncated
        whole = dumps(draw(plausible_bodies(code)), True)
        return whole[: draw(st.integers(0, max(0, len(whole) - 1)))]
    if kind == 7:  # invalid UTF-8
        junk = draw(st.sampled_from([b"\xff\xfe", b"\xc0\xaf", b"\xed\xa0\x80", b"\x80", b"\xf4\x90\x80\x80"]))
        return b'{"title": "' + junk + b'", "code": "' + junk + b'"}'
    if kind == 8:  # beyond the limit, with or without a Content-Length
        size = draw(st.sampled_from([LIMIT, LIMIT + 1, 3 * LIMIT]))
        whole = b'{"title": "' + b"x" * size + b'"}'
        return [whole[i : i + 8192] for i in range(0, len(whole), 8192)] if draw(st.booleans()) else whole
    if kind == 9:
        try:
            return bytes(msgpack.packb(draw(plausible_bodies(code)), use_bin_type=True))
        except (OverflowError, UnicodeEncodeError, ValueError):
            return b"\x80"
    if kind == 10:
        return draw(st.binary(max_size=200))
    return dumps(draw(plausible_bodies(code)), True) * 2  # two objects


@dataclass
class Case:
    endpoint: Endpoint
    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes | list[bytes] | None

    def describe(self) -> str:
        body = self.body if not isinstance(self.body, list) else b"<chunked %d bytes>" % sum(map(len, self.body))
        url = self.path + (f"?{self.query}" if self.query else "")
        return f"{self.method} {url[:200]} headers={self.headers!r:.300} body={body!r:.200}"


def fill(template: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values[m[1]], template)


@st.composite
def cases(draw: st.DrawFn, routes: list[Endpoint], target: Target) -> Case:
    endpoint = draw(st.sampled_from(routes))
    declared = sorted(endpoint.methods)
    method = draw(
        st.one_of(
            st.sampled_from(declared or METHODS),
            st.sampled_from(declared or METHODS),
            st.sampled_from(METHODS),
            st.from_regex(r"\A[A-Z]{1,12}\Z"),
        )
    )
    real = target.params()
    names = re.findall(r"\{(\w+)", endpoint.template)
    missing = [n for n in names if n not in real]
    assert not missing, f"no values for path parameters {missing} of {endpoint.template}: add them to Target.params"
    values = {n: draw(path_values(real[n])) for n in names}
    everything_real = [v for vs in real.values() for v in vs] + [target.ann["participant_id"]]
    return Case(
        endpoint,
        method,
        fill(endpoint.template, values),
        draw(queries(everything_real)),
        draw(headers(target.tokens)),
        draw(bodies(target.room.code)),
    )


# Judging an answer.


def position(client: TestClient) -> int:
    """The last notification id in the store itself (not the views)."""
    return int(client.app.state.services.app.recorder.max_notification_id() or 0)  # type: ignore[attr-defined]


def send(client: TestClient, case: Case) -> Any:
    url = case.path + (f"?{case.query}" if case.query else "")
    content: Any = iter(case.body) if isinstance(case.body, list) else case.body
    headers = [(k.encode(), v.encode("latin-1")) for k, v in case.headers]
    return client.request(case.method, url, content=content, headers=headers)


def judge(case: Case, r: Any, written: int) -> str:
    """The outcome's name for the tally; raises AssertionError when the answer breaks the contract."""
    kind, status = case.endpoint.kind, r.status_code
    ctype = r.headers.get("content-type", "")
    assert status < 500, f"HTTP {status}"
    if case.method == "HEAD":
        assert r.content == b"", "a HEAD answer with a body"
    if status == 405:
        assert r.headers.get("allow"), "a 405 without an Allow header"
    wrote = case.method == "POST" and status in (200, 201)
    assert wrote or written == 0, f"a {status} answer wrote {written} event(s) to the store"
    if status < 400:
        return f"{status}"
    # Judged by the path the server saw: the client drops dot segments (``/api/codes/..`` is ``/api``, no API route).
    if r.request.url.path.startswith("/api/") and case.method != "HEAD":
        assert ctype.startswith("application/json"), f"an API {status} that is not JSON ({ctype})"
        body = r.json()
        assert set(body) == {"error"}, "an API error not shaped {'error': …}"
        error = body["error"]
        assert set(error) <= {"code", "message", "details"} and isinstance(error.get("message"), str), (
            "an API error without a message, or with unknown fields"
        )
        code = error.get("code")
        assert code in CODES, f"an undocumented error code {code!r}"
        assert CODES[code] == status or (status, code) in ROUTING, f"{code} answered {status}, documented {CODES[code]}"
        return f"{status} {code}"
    if case.method != "HEAD":
        assert ctype.startswith(("text/html", "text/plain")), f"a {kind} {status} that is neither HTML nor text"
        assert "Traceback" not in r.text and 'File "' not in r.text, "a traceback in an error page"
    return f"{status}"


def test_every_http_route_answers_any_request_without_a_5xx_and_with_a_documented_error() -> None:
    findings = Findings("http requests", minimum=CASES)
    per_route: dict[str, int] = {}
    started = time.monotonic()
    with support.running() as client:
        routes = classify(client.app)
        target = Target(client)

        def run(case: Case, expect: int | None = None) -> None:
            before = position(client)
            r = send(client, case)
            try:
                findings.outcome(judge(case, r, position(client) - before))
                assert expect is None or r.status_code == expect, f"answered {r.status_code}, not {expect}"
            except AssertionError as e:
                answer = f"{r.status_code} {r.text[:300]}"
                findings.failed(f"{case.endpoint.template}: {e}", f"{case.describe()} -> {answer}")
            per_route[case.endpoint.template] = per_route.get(case.endpoint.template, 0) + 1

        # Every route with every method, valid parameters and a facilitator's token: declared methods answer,
        # others get 405 (a websocket route answers no HTTP request: 404).
        auth = [("authorization", f"Bearer {target.room.facilitator}")]
        for endpoint in routes:
            path = fill(endpoint.template, {k: encoded(v[0]) for k, v in target.params().items()})
            for method in METHODS:
                undeclared = 404 if endpoint.kind == "socket" else 405
                run(Case(endpoint, method, path, "", auth, None), None if method in endpoint.methods else undeclared)

        @settings(FUZZ, max_examples=CASES)
        @given(data=st.data())
        def check(data: st.DataObject) -> None:
            run(data.draw(cases(routes, target)))

        check()

        # The server still serves.
        room = Room(client)
        room.ok("add_agenda_item", {"title": "After the fuzz", "kind": "other"})
        assert client.get("/readyz").status_code == 200
        assert client.get(f"/w/{room.id}/dashboard").status_code == 200
    print(f"{len(routes)} routes in {time.monotonic() - started:.1f} s; cases per route {per_route}")
    findings.check()
    thin = {t: n for t, n in per_route.items() if n < 20}
    assert not thin and len(per_route) == len(routes), f"routes hardly fuzzed: {thin}"
