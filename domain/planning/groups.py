"""Splitting a room into small groups: random, balanced (anticlustering) or one group per value of an attribute.

Plain values in (``Person``), a ``Plan`` out: who is in which group (by each person's ``index``) and the quality
figures a facilitator sees. The same inputs and seed give the same plan. The balanced search is in
anticlustering.py; docs/groups.md explains the objective and the guarantees.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from math import ceil, comb
from typing import Any

from domain.planning.anticlustering import Budget, anticluster

ATTRIBUTES = ("country", "sector", "organisation")  # what a balanced split mirrors, in this order
ORG = ATTRIBUTES.index("organisation")
ORG_PAIR_PENALTY = 1000  # in the reported objective: one avoidable pair outweighs any imbalance
MAX_EVALUATIONS = 1_000_000  # swap evaluations per plan: about 1 s of CPython at most; small groups need far fewer
BY = "by:"
STRATEGIES = ("random", "balanced")  # and "by:FIELD"


class PlanError(ValueError):
    """The request cannot be planned (nobody to split, a bad size, an unknown strategy)."""


def key(value: str) -> str:
    """How values compare: "ACME " and "acme" are one organisation; "" is no value (never a shared trait)."""
    return value.strip().casefold()


@dataclass(frozen=True)
class Person:
    """Someone to place. ``index`` identifies them in the plan (a row number, a position in a roster)."""

    index: int
    organisation: str = ""
    country: str = ""
    sector: str = ""
    attributes: Mapping[str, str] = field(default_factory=dict)

    def value(self, name: str) -> str:
        if name in ATTRIBUTES:
            found: str = getattr(self, name)
            return found
        return self.attributes.get(name, "")


@dataclass(frozen=True)
class Quality:
    """How fair a split is. ``deviation``: per attribute, the largest gap between a group's share of a value
    and the room's share of it (0.1 = ten points). ``spread``: per attribute, the largest difference between
    two groups' counts of one value. ``balance``: the squared-count objective; ``objective`` adds
    ORG_PAIR_PENALTY per same-organisation pair; ``unavoidable_pairs``: the fewest such pairs possible."""

    objective: float
    balance: float
    deviation: dict[str, float]
    spread: dict[str, int]
    same_organisation_pairs: int
    unavoidable_pairs: int
    sizes: list[int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "objective": self.objective,
            "balance": self.balance,
            "deviation": dict(self.deviation),
            "spread": dict(self.spread),
            "same_organisation_pairs": self.same_organisation_pairs,
            "unavoidable_pairs": self.unavoidable_pairs,
            "sizes": list(self.sizes),
        }


@dataclass(frozen=True)
class Plan:
    """Groups of people's indexes (each group sorted), a label per group (its value for ``by:``, else "")."""

    groups: list[list[int]]
    quality: Quality
    labels: list[str]
    evaluations: int = 0
    swaps: int = 0
    converged: bool = True  # False only if the search stopped at its budget or time limit

    def to_dict(self) -> dict[str, Any]:
        return {"groups": [list(g) for g in self.groups], "quality": self.quality.to_dict(), "labels": self.labels}


def plan_split(
    people: Sequence[Person],
    *,
    groups: int | None = None,
    size: int | None = None,
    strategy: str = "balanced",
    seed: int = 0,
    max_size: int | None = None,
    max_evaluations: int = MAX_EVALUATIONS,
    time_limit: float | None = None,
) -> Plan:
    """Plan a split. ``groups`` K or ``size`` S (then K = ceil(n / S), so no group exceeds S); ``max_size`` raises
    K until no group exceeds it. ``by:FIELD`` takes no K: one group per value, a value with more than
    ``max_size`` (or ``size``) people split into balanced groups of nearly equal size. A ``time_limit`` (seconds)
    makes the result depend on the machine; without one the plan depends only on the inputs and the seed."""
    n = len(people)
    for name, v in (("groups", groups), ("size", size), ("max_size", max_size)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise PlanError(f"{name} must be a whole number of at least 1")
    if n == 0:
        raise PlanError("nobody to split")
    if len({p.index for p in people}) != n:
        raise PlanError("people's indexes must be unique")
    rng = random.Random(seed)
    budget = Budget(max_evaluations, None if time_limit is None else time.perf_counter() + time_limit)
    if strategy.startswith(BY):
        if not strategy[len(BY) :].strip():
            raise PlanError("by: needs a field name, such as by:sector")
        if groups is not None:
            raise PlanError("a split by attribute takes a maximum group size, not a number of groups")
        caps = [v for v in (size, max_size) if v is not None]
        return _by_attribute(people, strategy[len(BY) :].strip(), min(caps) if caps else None, rng, budget)
    if strategy not in STRATEGIES:
        raise PlanError(f"strategy must be random, balanced or by:FIELD, not {strategy[:40]!r}")
    if (groups is None) == (size is None):
        raise PlanError("give either a number of groups or a group size")
    k = groups if groups is not None else ceil(n / (size or 1))
    k = min(max(k, ceil(n / max_size)) if max_size else k, n)
    if strategy == "random":
        order = list(range(n))
        rng.shuffle(order)
        dealt: list[list[int]] = [order[g::k] for g in range(k)]
        return _plan(people, dealt, [""] * k, _unavoidable(people, k))
    dealt = anticluster(_encode(people), k, ORG, rng, budget)
    return _plan(people, dealt, [""] * k, _unavoidable(people, k), budget)


def measure(groups: Sequence[Sequence[int]], people: Sequence[Person], unavoidable: int | None = None) -> Quality:
    """The quality figures of any grouping of ``people`` (by index), e.g. after manual moves."""
    by_index = {p.index: p for p in people}
    members = [[by_index[i] for i in g] for g in groups]
    sizes = [len(g) for g in members]
    n = sum(sizes)
    deviation: dict[str, float] = {}
    spread: dict[str, int] = {}
    balance = 0.0
    pairs = 0
    for name in ATTRIBUTES:
        counts = [Counter(key(p.value(name)) for p in g) for g in members]
        totals = sum(counts, Counter())
        totals.pop("", None)
        worst, widest = 0.0, 0
        for value, total in totals.items():
            row = [c[value] for c in counts]
            widest = max(widest, max(row) - min(row))
            for count, s in zip(row, sizes, strict=True):
                if s:
                    worst = max(worst, abs(count / s - total / n))
                    balance += (count - s * total / n) ** 2
        deviation[name], spread[name] = round(worst, 4), widest
        if name == "organisation":
            pairs = sum(comb(x, 2) for c in counts for v, x in c.items() if v)
    if unavoidable is None:
        unavoidable = _unavoidable([p for g in members for p in g], len(groups))
    objective = round(balance + ORG_PAIR_PENALTY * pairs, 3)
    return Quality(objective, round(balance, 3), deviation, spread, pairs, unavoidable, sizes)


def place_late_joiner(
    plan_groups: Sequence[Sequence[int]],
    people: Sequence[Person],
    newcomer: Person,
    strategy: str,
    *,
    labels: Sequence[str] | None = None,
    max_size: int | None = None,
) -> int:
    """The group a newcomer joins: for ``by:FIELD`` the smallest group of their value that is below ``max_size``
    (``len(plan_groups)``, i.e. a new group, if there is none); otherwise one of the smallest groups (so sizes
    stay within one) -- for random the first, for balanced the one they share the fewest organisation, then
    country, sector and organisation values with. Ties go to the lower index."""
    by_index = {p.index: p for p in people}
    sizes = [len(g) for g in plan_groups]
    candidates = list(range(len(sizes)))
    if strategy.startswith(BY):
        name = strategy[len(BY) :].strip()
        wanted = key(newcomer.value(name))

        def value_of(g: int) -> str | None:
            if labels is not None:
                return key(labels[g])
            return key(by_index[plan_groups[g][0]].value(name)) if plan_groups[g] else None

        candidates = [g for g in candidates if value_of(g) == wanted and (max_size is None or sizes[g] < max_size)]
    if not candidates:
        return len(sizes)
    smallest = min(sizes[g] for g in candidates)
    candidates = [g for g in candidates if sizes[g] == smallest]
    if strategy == "random":
        return candidates[0]

    mine = [key(newcomer.value(a)) for a in ATTRIBUTES]

    def shared(g: int) -> tuple[int, int, int]:
        same = [0] * len(ATTRIBUTES)
        for i in plan_groups[g]:
            for a, name in enumerate(ATTRIBUTES):
                if mine[a] and key(by_index[i].value(name)) == mine[a]:
                    same[a] += 1
        return same[ORG], sum(same), g

    return min(candidates, key=shared)


# ------------------------------------------------------------------------------------------------------------


def _plan(
    people: Sequence[Person], dealt: list[list[int]], labels: list[str], unavoidable: int, budget: Budget | None = None
) -> Plan:
    groups = [sorted(people[p].index for p in g) for g in dealt]
    quality = measure(groups, people, unavoidable)
    if budget is None:
        return Plan(groups, quality, labels)
    return Plan(groups, quality, labels, budget.evaluations, budget.swaps, budget.converged)


def _even_pairs(total: int, k: int) -> int:
    """Pairs among ``total`` people spread as evenly as possible over ``k`` groups."""
    q, r = divmod(total, k)
    return r * comb(q + 1, 2) + (k - r) * comb(q, 2)


def _unavoidable(people: Sequence[Person], k: int) -> int:
    counts = Counter(key(p.organisation) for p in people)
    counts.pop("", None)
    return sum(_even_pairs(t, k) for t in counts.values()) if k else 0


def _by_attribute(people: Sequence[Person], name: str, cap: int | None, rng: random.Random, budget: Budget) -> Plan:
    blocks: dict[str, list[int]] = {}
    for p, person in enumerate(people):
        blocks.setdefault(key(person.value(name)), []).append(p)
    dealt: list[list[int]] = []
    labels: list[str] = []
    unavoidable = 0
    for value in sorted(blocks, key=lambda v: (v == "", v)):  # people without a value last, in their own group
        block = blocks[value]
        k = 1 if cap is None else ceil(len(block) / cap)
        subset = [people[p] for p in block]
        dealt += [[block[q] for q in g] for g in anticluster(_encode(subset), k, ORG, rng, budget)]
        labels += [_commonest(people[p].value(name).strip() for p in block)] * k
        unavoidable += _unavoidable(subset, k)
    return _plan(people, dealt, labels, unavoidable, budget)


def _commonest(spellings: Iterable[str]) -> str:
    """A value's name for its group: its most common spelling, ties to the first in sorted order, so the label
    does not depend on which row happens to come first."""
    counts = Counter(spellings)
    return min(counts, key=lambda s: (-counts[s], s))


def _encode(people: Sequence[Person]) -> list[list[int]]:
    """Per attribute, each person's value as a number 0..m-1 (-1: no value)."""
    cats: list[list[int]] = []
    for name in ATTRIBUTES:
        keys = [key(p.value(name)) for p in people]
        ids = {v: i for i, v in enumerate(sorted(set(keys) - {""}))}
        cats.append([ids.get(v, -1) for v in keys])
    return cats
