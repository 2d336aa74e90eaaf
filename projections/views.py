"""The views clients subscribe to, rendered from the workshop read model (JSON-ready dicts).

``online`` (who has a socket open right now) is presence, not history: the server passes it in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Set
from dataclasses import asdict, dataclass
from typing import Any

from projections.clock import workshop_clock
from projections.tallies import Tally, breakdown_dimensions, breakdown_view, results_view
from projections.workshop import ParticipantRow, WorkshopModel

VIEWS = ("dashboard", "projector", "participant")
# Live breakdowns: by organisation there is a cell per organisation (often one person each): not worth a live
# push to the dashboard, and too close to naming people (it stays in the CSV export of a named poll).
LIVE_BREAKDOWNS = ("country", "sector", "organisation_type")


class Memo:
    """Remembers the costly parts of the views by what they depend on, so that a tick re-renders only what
    changed (a vote storm changes a tally, not the 2,000-row roster)."""

    def __init__(self) -> None:
        self.people: dict[Any, tuple[Any, Any]] = {}
        self.polls: dict[Any, tuple[Any, Any]] = {}

    @staticmethod
    def get(store: dict[Any, tuple[Any, Any]], slot: Any, key: Any, make: Any) -> Any:
        hit = store.get(slot)
        if hit is not None and hit[0] == key:
            return hit[1]
        value = make()
        store[slot] = (key, value)
        return value


def _ranked(values: Iterable[str]) -> list[list[Any]]:
    counts = Counter(values)
    return [[k, n] for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _present(model: WorkshopModel) -> list[ParticipantRow]:
    return [p for p in model.participants.values() if p.status == "present"]


def _profile(p: ParticipantRow) -> dict[str, Any]:
    return {
        "id": p.id, "name": p.name, "organisation": p.organisation, "organisation_type": p.organisation_type,
        "country": p.country, "sector": p.sector, "role": p.role, "language": p.language, "anonymous": p.anonymous,
    }  # fmt: skip


def _workshop(model: WorkshopModel) -> dict[str, Any]:
    return {
        "id": str(model.id),
        "title": model.title,
        "date": model.date,
        "venue": model.venue,
        "language": model.language,
        "projector_language": model.projector_language,
        "projector_second_language": model.projector_second_language,
        "sectors": list(model.sectors),
        **workshop_clock(model.timezone, int(model.date[:4]) if model.date[:4].isdigit() else 2026),
    }


def _agenda(model: WorkshopModel) -> list[dict[str, Any]]:
    return [asdict(i) for i in model.agenda]


def counts(model: WorkshopModel, online: Set[str]) -> dict[str, Any]:
    present = _present(model)
    return {
        "joined": len(present),
        "online": sum(1 for p in present if p.id in online),
        "by_country": _ranked(p.country for p in present),
        "by_organisation": _ranked(p.organisation for p in present),
        "by_sector": _ranked(p.sector for p in present),
        "by_organisation_type": _ranked(p.organisation_type for p in present),
    }


def poll(t: Tally, present: int, facilitator: bool) -> dict[str, Any]:
    if facilitator:
        view = results_view(t, present, True)
        dims = [by for by in breakdown_dimensions(t) if by in LIVE_BREAKDOWNS]
        view["breakdowns"] = {by: breakdown_view(t, by) for by in dims}
        return view
    return results_view(t, present, t.visibility == "shown")


def polls(
    tallies: Iterable[Tally],
    present: int,
    facilitator: bool,
    memo: Memo | None = None,
    group_sizes: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """Polls as an audience may see them: the facilitator sees drafts, results always and breakdowns; others see
    polls once opened, and results only while the facilitator shows them. A poll for some groups counts turnout
    against those groups' members (``group_sizes``)."""
    out: dict[str, Any] = {}
    for t in tallies:
        if not facilitator and t.state == "draft":
            continue
        could = sum((group_sizes or {}).get(g, 0) for g in t.groups) if t.groups else present
        key = (t.position, could)
        if memo is None:
            out[str(t.poll_id)] = poll(t, could, facilitator)
        else:
            make = lambda t=t, could=could: poll(t, could, facilitator)  # noqa: E731
            out[str(t.poll_id)] = Memo.get(memo.polls, (t.poll_id, facilitator), key, make)
    return out


def _people(model: WorkshopModel, online: Set[str], memo: Memo | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The roster rows and the counts: they change with workshop events and presence only."""

    def make() -> tuple[dict[str, Any], dict[str, Any]]:
        rows = {p.id: {**_profile(p), "joined_at": p.joined_at, "online": p.id in online} for p in _present(model)}
        return rows, counts(model, online)

    if memo is None:
        return make()
    result: tuple[dict[str, Any], dict[str, Any]] = Memo.get(
        memo.people, model.id, (model.version, frozenset(online)), make
    )
    return result


@dataclass(frozen=True)
class PollSources:
    """What the polls of a view are rendered from: the tallies, the memo, and the groups' sizes (for polls
    scoped to groups)."""

    tallies: Iterable[Tally] = ()
    memo: Memo | None = None
    group_sizes: Mapping[str, int] | None = None


def _polls(sources: PollSources | None, present: int, facilitator: bool) -> dict[str, Any]:
    if sources is None:
        return {}
    return polls(sources.tallies, present, facilitator, sources.memo, sources.group_sizes)


def dashboard(
    model: WorkshopModel,
    online: Set[str],
    sources: PollSources | None = None,
) -> dict[str, Any]:
    memo = sources.memo if sources else None
    participants, room = _people(model, online, memo)

    def count_statuses() -> Counter[str]:
        return Counter(p.status for p in model.participants.values())

    # By the model's version: a vote storm leaves the roster alone, and counting 5,000 rows per tick showed up.
    statuses = count_statuses() if memo is None else Memo.get(memo.people, (model.id, "statuses"), model.version,
                                                                count_statuses)  # fmt: skip
    return {
        "workshop": {**_workshop(model), "code": model.code, "created_at": model.created_at},
        "participants": participants,
        "counts": room,
        "agenda": _agenda(model),
        "current_item": model.current_item,
        "left": statuses["left"],
        "removed": statuses["removed"],
        "joins_locked": model.joins_locked,
        "polls": _polls(sources, len(participants), True),
    }


def projector(
    model: WorkshopModel,
    online: Set[str],
    sources: PollSources | None = None,
) -> dict[str, Any]:
    participants, room = _people(model, online, sources.memo if sources else None)
    return {
        "polls": _polls(sources, len(participants), False),
        "workshop": {**_workshop(model), "code": model.code},
        "counts": room,
        "agenda": _agenda(model),
        "current_item": model.current_item,
        "join_path": f"/j/{model.code}",
    }


def participant_shared(
    model: WorkshopModel,
    online: Set[str],
    sources: PollSources | None = None,
) -> dict[str, Any]:
    """The part of the participant view that is the same for everybody (encoded once per update)."""
    participants, room = _people(model, online, sources.memo if sources else None)
    return {
        "polls": _polls(sources, len(participants), False),
        "workshop": _workshop(model),
        "agenda": _agenda(model),
        "current_item": model.current_item,
        "counts": {"joined": room["joined"], "online": room["online"]},
    }


def me(model: WorkshopModel, participant_id: str) -> dict[str, Any]:
    p = model.participants[participant_id]
    return {**_profile(p), "status": p.status}


def participant(
    model: WorkshopModel,
    online: Set[str],
    participant_id: str,
    sources: PollSources | None = None,
    ballots: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {**participant_shared(model, online, sources), "me": {**me(model, participant_id), "ballots": ballots or {}}}


def diff(old: Any, new: Any, path: tuple[str, ...] = (), depth: int = 2) -> list[list[Any]]:
    """Operations turning ``old`` into ``new``: ``["set", path, value]`` and ``["del", path]``.

    Descends into dicts ``depth`` levels (enough to send one changed participant, not the whole table)."""
    if old is new or old == new:  # memoised parts come back as the very same object: no walk needed
        return []
    if depth == 0 or not isinstance(old, dict) or not isinstance(new, dict):
        return [["set", list(path), new]]
    ops: list[list[Any]] = [["del", [*path, k]] for k in old if k not in new]
    for k, v in new.items():
        if k not in old:
            ops.append(["set", [*path, k], v])
        else:
            ops.extend(diff(old[k], v, (*path, k), depth - 1))
    return ops
