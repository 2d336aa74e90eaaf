"""The values of B2B meeting scheduling: what goes in (``Instance``), what comes out (``Schedule``), the checks,
the instant upper bound and the finishing steps every method shares (table numbers, what moved, idle time).

The planners (meetings_greedy.py, meetings_cpsat.py) work on ``Problem``: the instance with people as numbers and,
per meeting, the slots where both sides are available. docs/matchmaking.md explains the objective.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Placement = tuple[int, int]  # (slot, table), both 0-based


class MeetingPlanError(ValueError):
    """The instance cannot be scheduled as given (an unknown participant, a meeting with oneself, no slots...)."""

    code = "bad_meeting_instance"


@dataclass(frozen=True)
class Participant:
    """Someone with meetings. ``unavailable``: the slots (0-based) in which they cannot meet."""

    id: str
    unavailable: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Instance:
    """What to schedule: ``slots`` S and ``tables`` T (every slot has T interchangeable tables), the participants,
    the accepted meetings as pairs of participant ids (a meeting is identified by its index in ``meetings``) and,
    when re-scheduling, the ``previous`` (announced) schedule: meeting index -> (slot, table). A previous slot or
    table beyond today's S or T is allowed (the day or the room shrank): that meeting simply cannot stay.
    Constructing an instance checks it and raises ``MeetingPlanError`` with a clear message."""

    slots: int
    tables: int
    participants: Sequence[Participant]
    meetings: Sequence[tuple[str, str]]
    previous: Mapping[int, Placement] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "participants", tuple(self.participants))
        object.__setattr__(self, "meetings", tuple(tuple(m) for m in self.meetings))
        if self.previous is not None:
            object.__setattr__(self, "previous", dict(self.previous))
        _check(self)


@dataclass(frozen=True)
class Move:
    """An announced meeting whose place changed: ``new`` is None when it could not be held any more."""

    meeting: int
    old: Placement
    new: Placement | None

    def to_dict(self) -> dict[str, Any]:
        new_slot, new_table = self.new if self.new is not None else (None, None)
        return {"meeting": self.meeting, "old_slot": self.old[0], "old_table": self.old[1],
                "new_slot": new_slot, "new_table": new_table, "dropped": self.new is None}  # fmt: skip


@dataclass(frozen=True)
class Schedule:
    """A schedule. ``placed``: meeting index -> (slot, table); ``unscheduled``: the meetings not held (sorted).
    ``upper_bound``: no schedule holds more meetings than this (the solver's proof, or the instant bound);
    ``optimal``: the number of meetings held is proven maximal, i.e. equals ``upper_bound``; ``proven_after``:
    the seconds the solver took to prove it (None without a solver's proof). ``idle``: summed over people, the
    slots between their first and last meeting in which they have none. ``kept``: announced meetings at their old
    slot and table; ``moved``: the others, in meeting order. ``method``: "greedy" or "cp-sat"; ``seconds``: the
    wall-clock time taken."""

    placed: Mapping[int, Placement]
    unscheduled: tuple[int, ...]
    upper_bound: int
    optimal: bool
    method: str
    seconds: float
    idle: int
    kept: int = 0
    moved: tuple[Move, ...] = ()
    proven_after: float | None = None
    slots: int = field(default=0, repr=False)

    @property
    def count(self) -> int:
        """The number of meetings held."""
        return len(self.placed)

    def by_slot(self) -> list[list[tuple[int, int]]]:
        """Per slot, its (table, meeting index) pairs in table order."""
        rows: list[list[tuple[int, int]]] = [[] for _ in range(self.slots)]
        for m, (s, t) in self.placed.items():
            rows[s].append((t, m))
        return [sorted(r) for r in rows]

    def to_dict(self) -> dict[str, Any]:
        return {
            "scheduled": [{"meeting": m, "slot": s, "table": t} for m, (s, t) in sorted(self.placed.items())],
            "unscheduled": list(self.unscheduled),
            "count": self.count,
            "upper_bound": self.upper_bound,
            "optimal": self.optimal,
            "method": self.method,
            "seconds": round(self.seconds, 4),
            "proven_after": None if self.proven_after is None else round(self.proven_after, 4),
            "idle": self.idle,
            "kept": self.kept,
            "moved": [mv.to_dict() for mv in self.moved],
        }


def _check(inst: Instance) -> None:
    for name, v in (("slots", inst.slots), ("tables", inst.tables)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise MeetingPlanError(f"{name} must be a whole number of at least 1, not {v!r}")
    seen: set[str] = set()
    for p in inst.participants:
        if not isinstance(p.id, str) or not p.id:
            raise MeetingPlanError(f"a participant's id must be a non-empty string, not {p.id!r}")
        if p.id in seen:
            raise MeetingPlanError(f"participant {p.id!r} is listed twice")
        seen.add(p.id)
        for s in p.unavailable:
            if isinstance(s, bool) or not isinstance(s, int) or not 0 <= s < inst.slots:
                raise MeetingPlanError(f"participant {p.id!r}: unavailable slot {s!r} is not in 0..{inst.slots - 1}")
    pairs: dict[frozenset[str], int] = {}
    for i, pair in enumerate(inst.meetings):
        if len(pair) != 2:
            raise MeetingPlanError(f"meeting {i} must be a pair of participant ids, not {pair!r}")
        for who in pair:
            if who not in seen:
                raise MeetingPlanError(f"meeting {i}: unknown participant {who!r}")
        if pair[0] == pair[1]:
            raise MeetingPlanError(f"meeting {i}: {pair[0]!r} cannot meet themselves")
        key = frozenset(pair)
        if key in pairs:
            raise MeetingPlanError(f"meeting {i} repeats meeting {pairs[key]} ({pair[0]!r} with {pair[1]!r})")
        pairs[key] = i
    places: dict[Placement, int] = {}
    for m, place in (inst.previous or {}).items():
        if isinstance(m, bool) or not isinstance(m, int) or not 0 <= m < len(inst.meetings):
            raise MeetingPlanError(f"previous schedule: {m!r} is not a meeting index (0..{len(inst.meetings) - 1})")
        if len(place) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in place):
            raise MeetingPlanError(f"previous schedule: meeting {m} needs a (slot, table) of whole numbers >= 0")
        here = (place[0], place[1])
        if here in places:
            raise MeetingPlanError(f"previous schedule: meetings {places[here]} and {m} share slot and table")
        places[here] = m


@dataclass
class Problem:
    """An instance as numbers: meeting m joins people ``pairs[m]`` and may be held in the slots ``cand[m]``."""

    slots: int
    tables: int
    people: int
    pairs: list[tuple[int, int]]
    cand: list[list[int]]
    of: list[list[int]]  # person -> their meetings
    previous: dict[int, Placement]

    @classmethod
    def of_instance(cls, inst: Instance) -> Problem:
        index = {p.id: i for i, p in enumerate(inst.participants)}
        free = [[s for s in range(inst.slots) if s not in p.unavailable] for p in inst.participants]
        pairs = [(index[a], index[b]) for a, b in inst.meetings]
        cand = [[s for s in free[a] if s not in inst.participants[b].unavailable] for a, b in pairs]
        of: list[list[int]] = [[] for _ in inst.participants]
        for m, (a, b) in enumerate(pairs):
            of[a].append(m)
            of[b].append(m)
        return cls(inst.slots, inst.tables, len(index), pairs, cand, of, dict(inst.previous or {}))

    def stays(self, m: int) -> int | None:
        """The announced slot meeting m can keep (both still available there), else None."""
        place = self.previous.get(m)
        return place[0] if place is not None and place[0] in self.cand[m] else None


def instant_bound(p: Problem) -> int:
    """An upper bound on the meetings any schedule holds, without a solver: the least of the meetings that have a
    common free slot; half the sum over people of min(their such meetings, the slots they could use); and the
    sum over slots of min(T, people who could meet then // 2, meetings possible then)."""
    feasible = [m for m in range(len(p.pairs)) if p.cand[m]]
    usable: list[set[int]] = [set() for _ in range(p.people)]
    degree = [0] * p.people
    per_slot = [0] * p.slots
    for m in feasible:
        a, b = p.pairs[m]
        degree[a] += 1
        degree[b] += 1
        usable[a].update(p.cand[m])
        usable[b].update(p.cand[m])
        for s in p.cand[m]:
            per_slot[s] += 1
    by_person = sum(min(d, len(u)) for d, u in zip(degree, usable, strict=True)) // 2
    present = [0] * p.slots
    for u in usable:
        for s in u:
            present[s] += 1
    by_slot = sum(min(p.tables, present[s] // 2, per_slot[s]) for s in range(p.slots))
    return min(len(feasible), by_person, by_slot)


def idle_of(slots: Sequence[int]) -> int:
    """Slots between someone's first and last meeting without one (their meetings are in distinct slots)."""
    return max(slots) - min(slots) + 1 - len(slots) if slots else 0


def finish(p: Problem, slot_of: Mapping[int, int], *, upper_bound: int, optimal: bool, method: str,
           seconds: float, proven_after: float | None = None) -> Schedule:  # fmt: skip
    """Number the tables of a slot assignment and report what moved. A meeting kept in its announced slot keeps
    its table (if the room still has it); a moved one takes its old table number if free, else the lowest free."""
    tables: dict[int, set[int]] = {}
    placed: dict[int, Placement] = {}
    rest: list[int] = []
    for m, s in sorted(slot_of.items()):
        old = p.previous.get(m)
        if old is not None and old[0] == s and old[1] < p.tables and old[1] not in tables.setdefault(s, set()):
            placed[m] = (s, old[1])
            tables[s].add(old[1])
        else:
            rest.append(m)
    for m in rest:
        s, old = slot_of[m], p.previous.get(m)
        taken = tables.setdefault(s, set())
        t = old[1] if old is not None and old[1] < p.tables and old[1] not in taken else min(
            t for t in range(p.tables) if t not in taken)  # fmt: skip
        taken.add(t)
        placed[m] = (s, t)
    person_slots: list[list[int]] = [[] for _ in range(p.people)]
    for m, s in slot_of.items():
        for who in p.pairs[m]:
            person_slots[who].append(s)
    moved = tuple(Move(m, old, placed.get(m)) for m, old in sorted(p.previous.items()) if placed.get(m) != old)
    return Schedule(
        placed=dict(sorted(placed.items())),
        unscheduled=tuple(m for m in range(len(p.pairs)) if m not in placed),
        upper_bound=upper_bound,
        optimal=optimal,
        method=method,
        seconds=seconds,
        idle=sum(idle_of(s) for s in person_slots),
        kept=len(p.previous) - len(moved),
        moved=moved,
        proven_after=proven_after if optimal else None,
        slots=p.slots,
    )
