"""Categorical anticlustering: split people into k groups of nearly equal size so that every group mirrors the
whole on each attribute, and people sharing the pair attribute (organisation) meet as little as possible.

Works on numbers only: ``cats[a][p]`` is person p's value of attribute a as 0..m-1, or -1 for no value. The
objective, minimised lexicographically:

1. pairs: people in one group with the same value of attribute ``pair`` (same organisation);
2. balance: sum over attributes a, groups g and values c of (count(g, c) - size(g) * total(c) / n) ** 2.

The start (``deal``) reaches the fewest pairs possible; the exchange search then only takes swaps that keep
them and lower the balance. Everything is integer arithmetic on n x (count - expected count), so the result
depends on the inputs and the seed only (not on floating point or the machine), unless a deadline is given.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass


@dataclass
class Budget:
    """How much search a plan may spend: swap evaluations, and optionally a perf_counter deadline."""

    evaluations_left: int
    deadline: float | None = None
    evaluations: int = 0
    swaps: int = 0
    converged: bool = True  # False once the budget stopped a search before it reached a local optimum

    def spend(self, evaluations: int) -> bool:
        self.evaluations += evaluations
        self.evaluations_left -= evaluations
        if self.evaluations_left <= 0 or (self.deadline is not None and time.perf_counter() > self.deadline):
            self.converged = False
        return self.converged


def anticluster(cats: list[list[int]], k: int, pair: int, rng: random.Random, budget: Budget) -> list[list[int]]:
    """Person numbers per group: the deal, improved by the exchange search while the budget lasts."""
    if k == 1:
        return [list(range(len(cats[0])))]
    group = deal(cats, k, pair, rng)
    if budget.converged:
        _Exchange(cats, group, k, pair).run(budget)
    dealt: list[list[int]] = [[] for _ in range(k)]
    for p, g in enumerate(group):
        dealt[g].append(p)
    return dealt


def deal(cats: list[list[int]], k: int, pair: int, rng: random.Random) -> list[int]:
    """Each person's group. The people of each value of ``pair`` stand in a row (rows ordered by their most common
    values of the other attributes, ties at random), dealt round the groups like cards: any k consecutive people
    land in k different groups, so each such value is spread as evenly as it can be (the fewest pairs possible)
    and the sizes differ by at most one."""
    blocks: dict[int, list[int]] = {}
    for p, v in enumerate(cats[pair]):
        blocks.setdefault(v if v >= 0 else -1 - p, []).append(p)  # no value: a row of one's own
    others = [a for a in range(len(cats)) if a != pair]

    def profile(p: int) -> list[int]:
        return [cats[a][p] for a in others]

    def mode(block: list[int]) -> list[int]:
        return [Counter(cats[a][p] for p in block).most_common(1)[0][0] for a in others]

    rows = sorted((mode(b), rng.random(), b) for b in blocks.values())
    order = [p for *_, b in rows for p in sorted(b, key=profile)]
    labels = list(range(k))
    rng.shuffle(labels)
    group = [0] * len(order)
    for q, p in enumerate(order):
        group[p] = labels[q % k]
    return group


class _Exchange:
    """The exchange search. For a swap of i (in A) and j (in B) the change splits into a part of i's, a part of
    j's and a correction where they share values:

        pairs:   P(i) + Q(j) - 2 [same pair value]
        balance: G(i) + H(j) - 2n x (number of attributes with the same value)      (in units of 2/n)

    A swap can only lower the balance if some value c is over-represented in A against B by more than one
    person (n x 1 in ``dev`` units), so only those (A, B, c) are searched, giving i with value c; j's are
    taken in order of H and cut off by a bound. No swap left means no swap anywhere lowers the objective."""

    def __init__(self, cats: list[list[int]], group: list[int], k: int, pair: int) -> None:
        self.cats, self.group, self.k, self.pair, self.n = cats, group, k, pair, len(group)
        self.types = list(zip(*cats, strict=True))
        self.members: list[list[int]] = [[] for _ in range(k)]
        for p, g in enumerate(group):
            self.members[g].append(p)
        self.sizes = [len(m) for m in self.members]
        self.totals = [Counter(c for c in cat if c >= 0) for cat in cats]
        self.dev = [
            [[-size * totals[c] for c in range(max(totals, default=-1) + 1)] for size in self.sizes]
            for totals in self.totals
        ]
        for p, g in enumerate(group):
            for cat, dev in zip(cats, self.dev, strict=True):
                if cat[p] >= 0:
                    dev[g][cat[p]] += self.n

    def costs(self, p: int, a: int, b: int) -> tuple[int, int]:
        """(pairs, balance) that p alone changes by moving from group a to group b."""
        n, balance = self.n, 0
        for c, dev in zip(self.types[p], self.dev, strict=True):
            if c >= 0:
                balance += n - dev[a][c] + dev[b][c]
        o = self.types[p][self.pair]
        if o < 0:
            return 0, balance
        dev, total = self.dev[self.pair], self.totals[self.pair][o]
        return 1 - (dev[a][o] - dev[b][o] + (self.sizes[a] - self.sizes[b]) * total) // n, balance

    def swap(self, i: int, j: int) -> None:
        a, b = self.group[i], self.group[j]
        for ci, cj, dev in zip(self.types[i], self.types[j], self.dev, strict=True):
            if ci != cj:
                if ci >= 0:
                    dev[a][ci] -= self.n
                    dev[b][ci] += self.n
                if cj >= 0:
                    dev[b][cj] -= self.n
                    dev[a][cj] += self.n
        self.members[a].remove(i)
        self.members[b].remove(j)
        self.members[a].append(j)
        self.members[b].append(i)
        self.group[i], self.group[j] = b, a

    def best_swap(self, a: int, b: int, cat: list[int], c: int) -> tuple[tuple[int, int] | None, int]:
        """The swap of someone with value c in a for someone without it in b that lowers the balance most
        (keeping the pairs), if any; and the number of swaps evaluated."""
        n, pair, types = self.n, self.pair, self.types
        bound = 2 * n * (len(self.cats) - 1)  # the most that shared values (all but c's attribute) can take off
        takers = sorted((*self.costs(j, b, a)[::-1], j) for j in self.members[b] if cat[j] != c)
        best, found, evaluations = 0, None, len(takers)
        for i in self.members[a]:
            if cat[i] != c:
                continue
            pairs_i, balance_i = self.costs(i, a, b)
            evaluations += 1
            ti = types[i]
            for balance_j, pairs_j, j in takers:
                if balance_i + balance_j - bound >= best:
                    break
                evaluations += 1
                tj = types[j]
                shared = [x == y >= 0 for x, y in zip(ti, tj, strict=True)]
                if pairs_i + pairs_j - 2 * shared[pair] != 0:
                    continue  # never add a pair (and the start has the fewest: none can be taken away)
                balance = balance_i + balance_j - 2 * n * sum(shared)
                if balance < best:
                    best, found = balance, (i, j)
        return found, evaluations

    def run(self, budget: Budget) -> None:
        # (a, b, attribute, value) -> both groups' change counts when no swap helped: unchanged groups, same answer.
        fruitless: dict[tuple[int, int, int, int], tuple[int, int]] = {}
        changes = [0] * self.k
        improved = True
        while improved:
            improved = False
            for attribute, (cat, dev) in enumerate(zip(self.cats, self.dev, strict=True)):
                for c in range(len(dev[0])):
                    while True:  # after a swap this value's column changed: look at it again
                        column = [row[c] for row in dev]
                        order = sorted(range(self.k), key=column.__getitem__)
                        found, evaluations = None, 0
                        for a in reversed(order):
                            if column[a] - column[order[0]] <= self.n:
                                break  # no group holds more than one person's worth of c over another
                            for b in order:
                                if found or column[a] - column[b] <= self.n:
                                    break
                                if fruitless.get((a, b, attribute, c)) == (changes[a], changes[b]):
                                    continue
                                found, spent = self.best_swap(a, b, cat, c)
                                evaluations += spent
                                if found is None:
                                    fruitless[a, b, attribute, c] = (changes[a], changes[b])
                            if found:
                                break
                        if not budget.spend(evaluations):
                            return
                        if found is None:
                            break
                        for g in (self.group[found[0]], self.group[found[1]]):
                            changes[g] += 1
                        self.swap(*found)
                        budget.swaps += 1
                        improved = True
