"""Every text field of every command, sent with invisible and spoofing characters slipped in: either refused as
``invalid_text`` or stored without them (domain/text.py). The fields are found in the fuzz tests' valid commands
(``BASE``), so a new command's text is covered when it is added there."""

from __future__ import annotations

from typing import Any

from domain.commands import COMMAND_ROLES
from domain.text import _kept, ignorable
from tests.server import support
from tests.server.support import post_json
from tests.server.test_fuzz import BASE, FAST, Fixture

# Argument names that hold words people typed (not ids, enums, times or codes).
TEXT_KEYS = {
    "name", "organisation", "role", "title", "venue", "label", "prompt", "text", "note", "offers", "seeks",
    "corrects", "options", "questions", "sectors", "categories", "low_label", "high_label", "source",
}  # fmt: skip
SLIPPED = ["\u200b", "\u200d", "\ufeff", "\u200e", "\u200f", "\u061c", "\U000e0041\U000e0042", "\u2060", "\u00ad"]
MULTILINE = {("add_contribution", "text"), ("edit_contribution", "text"), ("annotate", "text")}
EXTRA: dict[str, dict[str, Any]] = {
    "join": {"name": "Ann", "organisation": "Org", "role": "Chair", "country": "IT", "sector": "Agrifood"},
    "create_poll": {"title": "Open", "kind": "open", "questions": [{"prompt": "Ideas?"}]},
}


def _text_leaves(value: Any, path: tuple[Any, ...] = (), under: bool = False) -> list[tuple[Any, ...]]:
    if isinstance(value, str):
        return [path] if under and not value.startswith("$") else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _text_leaves(v, (*path, k), under or k in TEXT_KEYS)]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _text_leaves(v, (*path, i), under)]
    return []


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    if isinstance(value, dict):
        return {k: _replaced(v, path[1:], new) if k == path[0] else v for k, v in value.items()}
    return [_replaced(v, path[1:], new) if i == path[0] else v for i, v in enumerate(value)]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def _hidden(text: str) -> list[str]:
    return [f"U+{ord(c):04X}" for i, c in enumerate(text) if (ignorable(c) and not _kept(text, i)) or c in "\u2028"]


def _send(client: Any, f: Fixture, name: str, args: Any) -> Any:
    body = {"id": support.new_id("txt"), "name": name, "args": f.resolve(args)}
    r = post_json(client, f"/api/workshops/{f.room.id}/commands", body, f.token(next(iter(COMMAND_ROLES[name]))))
    assert r.status_code < 500, r.text
    return r


def test_invisible_characters_in_every_text_field_are_never_stored() -> None:
    fields: set[str] = set()
    with support.running(**FAST) as client:
        app = client.app.state.services.app  # type: ignore[attr-defined]
        for name, base in [*BASE.items(), *EXTRA.items()]:
            paths = _text_leaves(base)
            if not paths:
                continue
            f = Fixture(client)
            for path in paths:
                value: Any = base
                for step in path:
                    value = value[step]
                several = (name, path[-1]) in MULTILINE
                for ch in SLIPPED:
                    before = app.recorder.max_notification_id() or 0
                    # A line separator: a line break in a text of several lines, refused in a single line.
                    r = _send(client, f, name, _replaced(base, path, value[:1] + ch + value[1:] + "\u2028x"))
                    if not several:
                        assert r.status_code != 200, f"{name} {path}: a line separator in a single line was taken"
                        r = _send(client, f, name, _replaced(base, path, value[:1] + ch + value[1:]))
                    fields.add(f"{name}.{'.'.join(map(str, path))}")
                    for n in app.recorder.select_notifications(before + 1, 1000):
                        event = app.mapper.to_domain_event(n)
                        for text in _strings(dict(event.__dict__)):
                            assert not _hidden(text), f"{name} {path} with {ch!a}: stored {text!a}"
    print(f"{len(fields)} text fields: {', '.join(sorted(fields))}")
    assert len(fields) >= 20, sorted(fields)
