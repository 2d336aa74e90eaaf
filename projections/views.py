"""The views clients subscribe to, rendered from the workshop read model (JSON-ready dicts).

``online`` (who has a socket open right now) is presence, not history: the server passes it in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Set
from dataclasses import asdict
from typing import Any

from projections.tallies import Tally, breakdown_dimensions, breakdown_view, results_view
from projections.workshop import ParticipantRow, WorkshopModel

VIEWS = ("dashboard", "projector", "participant")


def _ranked(values: Iterable[str]) -> list[list[Any]]:
    counts = Counter(values)
    return [[k, n] for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _present(model: WorkshopModel) -> list[ParticipantRow]:
    return [p for p in model.participants.values() if p.status == "present"]


def _profile(p: ParticipantRow) -> dict[str, Any]:
    return {
        "id": p.id, "name": p.name, "organisation": p.organisation, "country": p.country,
        "sector": p.sector, "role": p.role, "language": p.language,
    }  # fmt: skip


def _workshop(model: WorkshopModel) -> dict[str, Any]:
    return {
        "id": str(model.id),
        "title": model.title,
        "date": model.date,
        "venue": model.venue,
        "language": model.language,
        "sectors": list(model.sectors),
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
    }


def polls(tallies: Iterable[Tally], present: int, facilitator: bool) -> dict[str, Any]:
    """Polls as an audience may see them: the facilitator sees drafts, results always and breakdowns; others see
    polls once opened, and results only while the facilitator shows them."""
    out: dict[str, Any] = {}
    for t in tallies:
        if facilitator:
            view = results_view(t, present, True)
            view["breakdowns"] = {by: breakdown_view(t, by) for by in breakdown_dimensions(t)}
        elif t.state == "draft":
            continue
        else:
            view = results_view(t, present, t.visibility == "shown")
        out[str(t.poll_id)] = view
    return out


def dashboard(model: WorkshopModel, online: Set[str], tallies: Iterable[Tally] = ()) -> dict[str, Any]:
    participants = {
        p.id: {**_profile(p), "joined_at": p.joined_at, "online": p.id in online} for p in _present(model)
    }
    statuses = Counter(p.status for p in model.participants.values())
    return {
        "workshop": {**_workshop(model), "code": model.code, "created_at": model.created_at},
        "participants": participants,
        "counts": counts(model, online),
        "agenda": _agenda(model),
        "current_item": model.current_item,
        "left": statuses["left"],
        "removed": statuses["removed"],
        "polls": polls(tallies, len(participants), facilitator=True),
    }


def projector(model: WorkshopModel, online: Set[str], tallies: Iterable[Tally] = ()) -> dict[str, Any]:
    return {
        "polls": polls(tallies, len(_present(model)), facilitator=False),
        "workshop": {**_workshop(model), "code": model.code},
        "counts": counts(model, online),
        "agenda": _agenda(model),
        "current_item": model.current_item,
        "join_path": f"/j/{model.code}",
    }


def participant_shared(model: WorkshopModel, online: Set[str], tallies: Iterable[Tally] = ()) -> dict[str, Any]:
    """The part of the participant view that is the same for everybody (encoded once per update)."""
    present = _present(model)
    return {
        "polls": polls(tallies, len(present), facilitator=False),
        "workshop": _workshop(model),
        "agenda": _agenda(model),
        "current_item": model.current_item,
        "counts": {"joined": len(present), "online": sum(1 for p in present if p.id in online)},
    }


def me(model: WorkshopModel, participant_id: str) -> dict[str, Any]:
    p = model.participants[participant_id]
    return {**_profile(p), "status": p.status}


def participant(
    model: WorkshopModel,
    online: Set[str],
    participant_id: str,
    tallies: Iterable[Tally] = (),
    ballots: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {**participant_shared(model, online, tallies), "me": {**me(model, participant_id), "ballots": ballots or {}}}


def diff(old: Any, new: Any, path: tuple[str, ...] = (), depth: int = 2) -> list[list[Any]]:
    """Operations turning ``old`` into ``new``: ``["set", path, value]`` and ``["del", path]``.

    Descends into dicts ``depth`` levels (enough to send one changed participant, not the whole table)."""
    if old == new:
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
