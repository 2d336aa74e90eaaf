"""Rotations: who sits with whom, round after round — speed dating in pairs, or World-Café tables of k (the Social
Golfer Problem) — so that people meet as many different people as they can.

Plain values in (``Person``, options), a ``RotationPlan`` out: per round, tables of people's ``index`` values and
who sits out, and the quality figures a facilitator sees. Same inputs and seed, same plan (unless a
``time_limit`` stops the search). docs/rotations.md explains the method and the guarantees; the search itself is
in golfer.py.

- Pairs without constraints: the circle method (fix one person, rotate the rest): n even, n - 1 rounds meet
  everyone exactly once; n odd, one person sits out per round, each in turn (or, with ``odd="trio"``, joins a
  table as a third).
- Tables of k: as many tables as needed (ceil(n / k)), sizes as even as possible (never more than k). A verified
  published design serves the instance when there is one (golfer.design), otherwise a greedy start.
- Either start then goes to a tabu search that removes, in this order, pairs sharing an ``avoid`` attribute,
  unmet ``must_meet`` pairs, repeated meetings, and pairs sharing a ``prefer_cross`` attribute.
- Re-planning: ``history`` holds the rounds already held; their meetings count as met, they are never changed,
  and the plan holds only the rounds still to come, for the people present now.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from math import comb
from typing import Any

from domain.planning import golfer
from domain.planning.groups import Person, PlanError, key

__all__ = [
    "BEST_KNOWN",
    "DEFAULT_BUDGET",
    "Person",
    "Quality",
    "RotationError",
    "RotationPlan",
    "Round",
    "measure",
    "plan_rotation",
    "rounds_that_fit",
    "table_sizes",
]

ODD = ("sit_out", "trio")
DEFAULT_BUDGET = 10_000  # search steps (swaps): real rooms stop long before; hard instances at the bound use it all
# Most rounds known without a repeat for g tables of s (OEIS A107431, CSPLib 10): (g, s) -> rounds
BEST_KNOWN = {(3, 3): 4, (4, 3): 4, (4, 4): 5, (5, 3): 7, (5, 4): 5, (5, 5): 6, (6, 3): 8, (6, 4): 7, (6, 5): 6,
              (6, 6): 3, (7, 3): 10, (7, 4): 9, (8, 4): 10, (9, 3): 13, (10, 4): 13, (11, 3): 16, (13, 3): 19,
              (13, 5): 16}  # fmt: skip


class RotationError(PlanError):
    """The request cannot be planned (too few people, a bad table size, a host at a table that does not exist)."""

    details: dict[str, int] | None = None  # figures a screen can word the refusal from (people, most)


@dataclass(frozen=True)
class Round:
    """One round: ``tables[t]`` is who sits at table t (people's indexes, ascending); ``sitting_out`` who waits."""

    tables: list[list[int]]
    sitting_out: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"tables": [list(t) for t in self.tables], "sitting_out": list(self.sitting_out)}


@dataclass(frozen=True)
class Quality:
    """How good a plan is, over its rounds, counting the ``history`` rounds as already met.

    ``meetings`` = ``distinct_pairs`` (pairs meeting for the first time) + ``repeated_pairs`` (meetings of a pair
    that had met before, in the history or earlier in the plan). ``constraint_violations`` sums ``violations``:
    per avoided attribute, meetings of two people sharing a value; ``must_meet``, listed pairs who never meet.
    ``same_value_meetings``: per preferred-cross attribute, meetings of two people sharing a value (soft).
    ``sit_outs``: rounds each present person sits out in the plan. ``met``: how many people each person meets
    for the first time; ``not_maximal``: those who could have met more (fewer than their seats or the people
    left to meet allow). ``round_bound``: most rounds this table layout can have without a repeat (pairs: n - 1,
    or n when one sits out; tables of s: (n - 1) // (s - 1)); ``best_known_rounds``: the best schedule known for
    g tables of s, where listed."""

    rounds: int
    meetings: int
    distinct_pairs: int
    repeated_pairs: int
    most_meetings_of_a_pair: int
    constraint_violations: int
    violations: dict[str, int]
    same_value_meetings: dict[str, int]
    sit_outs: dict[int, int]
    met: dict[int, int]
    not_maximal: list[int]
    table_sizes: list[int]
    round_bound: int | None
    best_known_rounds: int | None

    @property
    def maximal(self) -> bool:
        """Everyone met as many new people as their seats allowed."""
        return not self.not_maximal

    @property
    def sit_out_spread(self) -> int:
        return max(self.sit_outs.values(), default=0) - min(self.sit_outs.values(), default=0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rounds": self.rounds,
            "meetings": self.meetings,
            "distinct_pairs": self.distinct_pairs,
            "repeated_pairs": self.repeated_pairs,
            "most_meetings_of_a_pair": self.most_meetings_of_a_pair,
            "constraint_violations": self.constraint_violations,
            "violations": dict(self.violations),
            "same_value_meetings": dict(self.same_value_meetings),
            "sit_outs": {str(i): c for i, c in self.sit_outs.items()},
            "sit_out_spread": self.sit_out_spread,
            "met": {str(i): c for i, c in self.met.items()},
            "maximal": self.maximal,
            "not_maximal": list(self.not_maximal),
            "table_sizes": list(self.table_sizes),
            "round_bound": self.round_bound,
            "best_known_rounds": self.best_known_rounds,
        }


@dataclass(frozen=True)
class RotationPlan:
    """The rounds to hold (after any ``history``), their quality, and how they were found: ``method`` is
    "circle", "design" or "greedy" (the start), "+search" when the tabu search then changed something;
    ``steps`` the search steps spent; ``converged`` False only if the budget or time limit stopped the search."""

    rounds: list[Round]
    quality: Quality
    method: str
    steps: int = 0
    converged: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "rounds": [r.to_dict() for r in self.rounds],
            "quality": self.quality.to_dict(),
            "method": self.method,
            "steps": self.steps,
            "converged": self.converged,
        }


History = Sequence[Round | Sequence[Sequence[int]]]


def table_sizes(people: int, table_size: int, odd: str = "sit_out") -> tuple[list[int], int]:
    """(sizes of the tables, largest first; how many sit out) for one round. Tables of k: ceil(n / k) tables, as
    even as possible (so 10 people at tables of 4 sit 4, 3, 3). Pairs with n odd: one sits out, or with
    ``odd="trio"`` one table has three."""
    if table_size == 2 and people % 2 and (odd == "sit_out" or people == 1):
        return [2] * (people // 2), 1
    count = people // 2 if table_size == 2 else -(-people // table_size)
    q, r = divmod(people, count)
    return [q + 1] * r + [q] * (count - r), 0


def rounds_that_fit(minutes_available: float, round_minutes: float, changeover_minutes: float = 0) -> int:
    """How many rounds fit in the time: each round takes ``round_minutes``, with ``changeover_minutes`` between
    two rounds (none after the last)."""
    if round_minutes <= 0 or changeover_minutes < 0:
        raise RotationError("a round must last some time, and a changeover cannot be negative")
    return max(0, int((minutes_available + changeover_minutes) // (round_minutes + changeover_minutes)))


def plan_rotation(
    people: Sequence[Person],
    table_size: int,
    rounds: int,
    *,
    avoid: Sequence[str] = ("organisation",),
    prefer_cross: Sequence[str] = ("sector",),
    must_meet: Iterable[tuple[int, int]] = (),
    hosts: Mapping[int, int] | None = None,
    odd: str = "sit_out",
    history: History = (),
    seed: int = 0,
    budget: int = DEFAULT_BUDGET,
    time_limit: float | None = None,
) -> RotationPlan:
    """Plan ``rounds`` rounds at tables of ``table_size`` (2: pairs) for ``people`` (those present now).

    ``avoid``: attributes two people at a table should not share (a value "" is never shared); kept wherever
    possible, counted in ``quality.violations`` where not. ``prefer_cross``: attributes better not shared, a
    preference only. ``must_meet``: pairs of indexes to seat together at least once (such a pair is never an
    avoid violation; pairs with someone absent are ignored). ``hosts``: person index -> table number (0-based);
    a host stays at that table every round. ``odd``: with pairs and n odd, "sit_out" (one per round, in turn:
    sit-out counts differ by at most one) or "trio". ``history``: rounds already held (``Round`` or lists of
    tables of indexes), never changed; their meetings count as met. ``budget``: search steps; ``time_limit``
    (seconds) stops it earlier, making the plan depend on the machine."""
    n = len(people)
    for name, v, low in (("table_size", table_size, 2), ("rounds", rounds, 1), ("budget", budget, 0)):
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise RotationError(f"{name} must be a whole number of at least {low}")
    if odd not in ODD:
        raise RotationError(f"odd must be sit_out or trio, not {str(odd)[:40]!r}")
    if n < 2:
        raise RotationError("a rotation needs at least two people")
    pos = {p.index: i for i, p in enumerate(people)}
    if len(pos) != n:
        raise RotationError("people's indexes must be unique")
    sizes, sitting = table_sizes(n, table_size, odd)
    pinned = _hosts(hosts or {}, pos, len(sizes))
    must = [0] * (n * n)
    for a, b in must_meet:
        if a == b:
            raise RotationError(f"must_meet pairs someone with themselves ({a})")
        if a in pos and b in pos:
            must[pos[a] * n + pos[b]] = must[pos[b] * n + pos[a]] = 1
    static = _static(people, avoid, prefer_cross, must)
    prior = [0] * (n * n)
    waited = [0] * n
    for held in history:
        tables, out = (held.tables, held.sitting_out) if isinstance(held, Round) else (held, [])
        for table in tables:
            here = [pos[i] for i in table if i in pos]
            for a, b in combinations(here, 2):
                prior[a * n + b] += 1
                prior[b * n + a] += 1
        for i in out:
            if i in pos:
                waited[pos[i]] += 1

    rng = random.Random(seed)
    search = golfer.Search(n, [], static, must, prior, set(pinned))
    planned: list[golfer.Tables] = []
    method = "greedy"
    if table_size == 2 and not pinned and not any(prior):
        planned, method = _circle(n, rounds, odd, rng), "circle"
    elif not sitting and not pinned and not any(prior) and all(s == table_size for s in sizes):
        order = list(range(n))
        rng.shuffle(order)  # which design point each person is: the seed's choice, as for the greedy start
        found = golfer.design(len(sizes), table_size, rounds) or []
        planned, method = [[[order[p] for p in t] for t in tables] for tables in found], "design" if found else method
    turn = list(range(n))
    rng.shuffle(turn)
    for _ in range(len(planned), rounds):
        search.load([*planned])
        seated = list(range(n))
        if sitting:  # the fewest sit-outs in this plan, then in the history, then in the seed's order
            done = Counter(p for tables in planned for p in set(range(n)).difference(*tables))
            movable = [p for p in range(n) if p not in pinned]
            seated.remove(min(movable, key=lambda p: (done[p], waited[p], turn.index(p))))
        planned.append(golfer.greedy_round(search, seated, sizes, pinned, rng))
    search.load(planned)
    if method == "circle" and odd == "trio" and n % 2:
        planned = _seat_trios(search, planned)
        search.load(planned)

    spent = golfer.Budget(budget, None if time_limit is None else time.perf_counter() + time_limit)
    before = search.cost
    if before > 0 and budget > 0:
        # no plan can repeat fewer meetings than it holds beyond the pairs not met yet: stop there
        meetings = sum(len(t) * (len(t) - 1) // 2 for tables in search.rounds for t in tables)
        fresh = n * (n - 1) // 2 - sum(1 for c in prior if c) // 2
        search.run(rng, spent, golfer.REPEAT * max(0, meetings - fresh))
        if search.cost < before:
            method += "+search"
    index = [p.index for p in people]
    result = []
    for tables in search.rounds:
        seated_now = {p for t in tables for p in t}
        result.append(Round([sorted(index[p] for p in t) for t in tables],
                            sorted(index[p] for p in range(n) if p not in seated_now)))  # fmt: skip
    quality = measure(result, people, history=history, avoid=avoid, prefer_cross=prefer_cross, must_meet=must_meet)
    return RotationPlan(result, quality, method, spent.steps, spent.converged)


def measure(
    rounds: Sequence[Round],
    people: Sequence[Person],
    *,
    history: History = (),
    avoid: Sequence[str] = ("organisation",),
    prefer_cross: Sequence[str] = ("sector",),
    must_meet: Iterable[tuple[int, int]] = (),
) -> Quality:
    """The quality figures of any rounds for ``people`` (those present), e.g. a plan edited by hand or a random
    one. Meetings with someone not in ``people`` are not counted."""
    by_index = {p.index: p for p in people}
    n = len(by_index)
    met: Counter[tuple[int, int]] = Counter()
    for held in history:
        for table in held.tables if isinstance(held, Round) else held:
            met.update(combinations(sorted(i for i in table if i in by_index), 2))
    before = set(met)
    must = {(min(a, b), max(a, b)) for a, b in must_meet if a in by_index and b in by_index}
    meetings = repeated = 0
    violations = dict.fromkeys(avoid, 0)
    same = dict.fromkeys(prefer_cross, 0)
    seats = dict.fromkeys(by_index, 0)
    sit_outs = dict.fromkeys(by_index, 0)
    sizes: set[int] = set()
    for r in rounds:
        for table in r.tables:
            here = sorted(i for i in table if i in by_index)
            sizes.add(len(table))
            for i in here:
                seats[i] += len(here) - 1
            for pair in combinations(here, 2):
                meetings += 1
                repeated += 1 if met[pair] else 0
                met[pair] += 1
                one, other = by_index[pair[0]], by_index[pair[1]]
                for name in avoid:
                    if pair not in must and _shared(one, other, name):
                        violations[name] += 1
                for name in prefer_cross:
                    same[name] += 1 if _shared(one, other, name) else 0
        for i in r.sitting_out:
            if i in sit_outs:
                sit_outs[i] += 1
    violations["must_meet"] = sum(1 for pair in must if not met[pair])
    new: Counter[int] = Counter()
    for a, b in set(met) - before:
        new[a] += 1
        new[b] += 1
    known = Counter(i for pair in before for i in pair)
    not_maximal = [i for i in by_index if new[i] < min(seats[i], n - 1 - known[i])]
    bound = best = None
    if rounds:
        layout = sorted((len(t) for t in rounds[0].tables), reverse=True)
        bound = _round_bound(sum(layout) + len(rounds[0].sitting_out), layout, bool(rounds[0].sitting_out))
        if not rounds[0].sitting_out and len(set(layout)) == 1:
            g, s = len(layout), layout[0]
            best = 2 * g - 1 if s == 2 else BEST_KNOWN.get((g, s))
    return Quality(
        rounds=len(rounds),
        meetings=meetings,
        distinct_pairs=meetings - repeated,
        repeated_pairs=repeated,
        most_meetings_of_a_pair=max(met.values(), default=0),
        constraint_violations=sum(violations.values()),
        violations=violations,
        same_value_meetings=same,
        sit_outs=sit_outs,
        met={i: new[i] for i in by_index},
        not_maximal=sorted(not_maximal),
        table_sizes=sorted(sizes),
        round_bound=bound,
        best_known_rounds=best,
    )


# ------------------------------------------------------------------------------------------------------------


def _shared(a: Person, b: Person, name: str) -> bool:
    value = key(a.value(name))
    return bool(value) and value == key(b.value(name))


def _round_bound(n: int, layout: list[int], sit_outs: bool) -> int | None:
    """Most rounds without a repeat: by pairs, C(n, 2) over the meetings per round; without sit-outs also by
    person, who meets at least s_min - 1 new people per round among n - 1."""
    per_round = sum(comb(s, 2) for s in layout)
    if per_round == 0:
        return None
    bound = comb(n, 2) // per_round
    if not sit_outs and min(layout) > 1:
        bound = min(bound, (n - 1) // (min(layout) - 1))
    return bound


def _hosts(hosts: Mapping[int, int], pos: Mapping[int, int], tables: int) -> dict[int, int]:
    pinned: dict[int, int] = {}
    for person, table in hosts.items():
        if person not in pos:
            raise RotationError(f"host {person} is not among the people")
        if isinstance(table, bool) or not isinstance(table, int) or not 0 <= table < tables:
            raise RotationError(f"host {person}'s table must be 0..{tables - 1} (there are {tables} tables)")
        pinned[pos[person]] = table
    if len(set(pinned.values())) != len(pinned):
        raise RotationError("two hosts at one table")
    return pinned


def _static(people: Sequence[Person], avoid: Sequence[str], prefer: Sequence[str], must: list[int]) -> list[int]:
    """Per pair (flat n x n), what one meeting costs: AVOID per avoided attribute shared, PREFER per preferred-cross
    one; nothing for a must-meet pair."""
    n = len(people)
    static = [0] * (n * n)
    for names, weight in ((avoid, golfer.AVOID), (prefer, golfer.PREFER)):
        for name in names:
            blocks: dict[str, list[int]] = {}
            for p, person in enumerate(people):
                if value := key(person.value(name)):
                    blocks.setdefault(value, []).append(p)
            for block in blocks.values():
                for a, b in combinations(block, 2):
                    if not must[a * n + b]:
                        static[a * n + b] += weight
                        static[b * n + a] += weight
    return static


def _circle(n: int, rounds: int, odd: str, rng: random.Random) -> list[golfer.Tables]:
    """The circle method: seat m = n (or n + 1 with a ghost) on a circle, fix one, rotate the rest one step a
    round; round r pairs position i with position -i (mod m - 1) around the fixed one. After m - 1 rounds every
    pair has met once; more rounds start the cycle again. Whoever faces the ghost sits out (each once per cycle).
    With ``odd="trio"`` the sitting-out person is placed later (_seat_trios)."""
    people = list(range(n))
    rng.shuffle(people)
    ghost = -1
    if n % 2:
        people.append(ghost)
    m = len(people)
    fixed, ring = people[-1], people[:-1]
    planned = []
    for r in range(rounds):
        turn = r % (m - 1)
        spun = ring[turn:] + ring[:turn]
        pairs = [(fixed, spun[0])] + [(spun[i], spun[m - 1 - i]) for i in range(1, m // 2)]
        tables = [sorted(pair) for pair in pairs if ghost not in pair]
        out = [p for pair in pairs if ghost in pair for p in pair if p != ghost]
        planned.append([*tables, out] if out and odd == "trio" else tables)
    return planned


def _seat_trios(search: golfer.Search, planned: list[golfer.Tables]) -> list[golfer.Tables]:
    """For trios: the one left over each round (a table of one) joins the pair where they add the least cost."""
    search.load([])
    seated: list[golfer.Tables] = []
    for tables in planned:
        pairs = [list(t) for t in tables if len(t) == 2]
        for alone in [t[0] for t in tables if len(t) == 1]:
            best = min(range(len(pairs)), key=lambda t: (sum(search.add(alone, q) for q in pairs[t]), t))
            pairs[best].append(alone)
        seated.append(pairs)
        search.load([*seated])
    return seated
