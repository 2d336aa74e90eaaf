"""The search behind rotation plans: tables of people over rounds, as few repeated meetings as possible (the Social
Golfer Problem), under weighted pair costs. Works on numbers only: people are 0..n-1, a round is a list of tables,
a table a list of people. rotations.py turns people and options into these numbers and back.

Cost of a plan (integers, so the result depends on the inputs and the seed only): for each pair with c meetings
(history included), ``static * c + REPEAT * C(c, 2) + MUST * [must meet and c == 0]``. ``static`` carries the
avoided attributes (AVOID each) and the preferred-cross ones (PREFER each). The weights are far apart, so the
search trades in this order: avoided pairs, then unmet must-meet pairs, then repeats, then preferences.

The search is a tabu search on swaps of two people between tables of one round (Dotú & Van Hentenryck 2005):
each step takes the best swap that involves someone in conflict, in a round picked at random among those with
conflicts; a swap may not put someone back at a table they left in that round for a few steps; after a while
without improvement it restarts from the best plan with a few random swaps.
"""

from __future__ import annotations

import itertools
import random
import time
from dataclasses import dataclass

PREFER = 1
REPEAT = 1_000
MUST = 1_000_000
AVOID = 100_000_000
PERTURB_AFTER = 100  # steps without a new best before restarting from the best plan, shaken
TENURE = (4, 12)  # steps a person may not return to the table they left (random in this range)
PATIENCE = 20  # restarts without a new best before giving up (the plan is then probably as good as it gets)

Tables = list[list[int]]


@dataclass
class Budget:
    """How much search a plan may spend: steps (swaps made), and optionally a perf_counter deadline."""

    steps_left: int
    deadline: float | None = None
    steps: int = 0
    converged: bool = True  # False once the budget stopped the search before it ran out of ideas

    def spend(self) -> bool:
        self.steps += 1
        self.steps_left -= 1
        if self.steps_left < 0 or (self.deadline is not None and time.perf_counter() > self.deadline):
            self.converged = False
        return self.converged


class Search:
    """A plan under improvement. ``static`` and ``must`` are flat n x n (symmetric); ``prior`` counts the meetings
    already held; ``pinned`` people (table hosts) never move."""

    def __init__(
        self, n: int, rounds: list[Tables], static: list[int], must: list[int], prior: list[int], pinned: set[int]
    ) -> None:
        self.n, self.static, self.must, self.prior, self.pinned = n, static, must, prior, pinned
        self.partners = [[q for q in range(n) if must[p * n + q]] for p in range(n)]
        self.load([[list(t) for t in tables] for tables in rounds])

    def load(self, rounds: list[Tables]) -> None:
        n = self.n
        self.rounds = rounds
        self.where = [[-1] * n for _ in rounds]
        self.count = list(self.prior)
        self.cost = sum(MUST for i, m in enumerate(self.must) if m and self.prior[i] == 0) // 2
        for r, tables in enumerate(rounds):
            for t, table in enumerate(tables):
                for a, b in itertools.combinations(table, 2):
                    self.cost += self.add(a, b)
                    self.count[a * n + b] += 1
                    self.count[b * n + a] += 1
                for p in table:
                    self.where[r][p] = t

    def add(self, a: int, b: int) -> int:
        """What one more meeting of a and b costs."""
        i = a * self.n + b
        c = self.count[i]
        return self.static[i] + REPEAT * c - (MUST if c == 0 and self.must[i] else 0)

    def rem(self, a: int, b: int) -> int:
        """What one meeting fewer of a and b costs (negative: it saves)."""
        i = a * self.n + b
        c = self.count[i]
        return -(self.static[i] + REPEAT * (c - 1) - (MUST if c == 1 and self.must[i] else 0))

    def conflicted(self, r: int) -> list[int]:
        """The movable people of round r who sit with someone costly, or have a must-meet partner not met yet."""
        n, count, static, where, pinned = self.n, self.count, self.static, self.where[r], self.pinned
        found: set[int] = set()
        for table in self.rounds[r]:
            for i, p in enumerate(table):
                row = p * n
                for q in table[i + 1 :]:
                    if static[row + q] or count[row + q] > 1:
                        found.add(p)
                        found.add(q)
        for p, partners in enumerate(self.partners):
            if partners and where[p] >= 0 and any(count[p * n + q] == 0 and where[q] >= 0 for q in partners):
                found.add(p)
        return sorted(found - pinned)

    def run(self, rng: random.Random, budget: Budget, floor: int = 0) -> None:
        """Improve the plan while the budget lasts, or until its cost is down to ``floor`` (a lower bound); the
        best plan found is left loaded."""
        best_cost, best = self.cost, [[list(t) for t in tables] for tables in self.rounds]
        tabu: dict[tuple[int, int, int], int] = {}
        stalled = restarts = 0
        rounds = len(self.rounds)
        while self.cost > floor and restarts < PATIENCE:
            start = rng.randrange(rounds)  # a round with conflicts, from a random one on
            r, movers = start, self.conflicted(start)
            while not movers and (r + 1) % rounds != start:
                r = (r + 1) % rounds
                movers = self.conflicted(r)
            if not movers or not budget.spend():
                break
            found = self.best_move(r, movers, tabu, best_cost, budget.steps, rng)
            move = None if found is None else (r, *found)
            if move is not None:
                r, a, b, delta = move
                ta, tb = self.where[r][a], self.where[r][b]
                self.swap(r, a, b, delta)
                tabu[r, a, ta] = tabu[r, b, tb] = budget.steps + rng.randint(*TENURE)
            if self.cost < best_cost:
                best_cost, best = self.cost, [[list(t) for t in tables] for tables in self.rounds]
                stalled = restarts = 0
                continue
            stalled += 1
            if stalled >= PERTURB_AFTER:
                # only preferences left to gain: give up after a while; conflicts left: go on while the budget lasts
                stalled, restarts = 0, restarts + (best_cost - floor < REPEAT)
                self.load([[list(t) for t in tables] for tables in best])
                tabu.clear()
                for _ in range(rng.randint(1, 3)):
                    self.shake(rng)
        if self.cost > best_cost:
            self.load(best)

    def best_move(
        self,
        r: int,
        movers: list[int],
        tabu: dict[tuple[int, int, int], int],
        best_cost: int,
        step: int,
        rng: random.Random,
    ) -> tuple[int, int, int] | None:
        """The best allowed swap (a, b, cost change) of a conflicted person a with anyone b at another table.

        The change is leave(a) + leave(b) + join(a, b's table) + join(b, a's table) - 2 add(a, b), where join
        counts the whole table (so b itself, taken off again by the last term)."""
        tables, where, pinned, n = self.rounds[r], self.where[r], self.pinned, self.n
        add, rem = self.add, self.rem
        leave = {p: sum(rem(p, q) for q in table if q != p) for table in tables for p in table}
        joins: dict[int, dict[int, int]] = {}  # table -> person -> cost of joining it

        def join(t: int) -> dict[int, int]:
            if t not in joins:
                joins[t] = {p: sum(add(p, q) for q in tables[t]) for p in range(n) if where[p] >= 0}
            return joins[t]

        chosen: tuple[int, int, int] | None = None
        ties = 0
        for a in movers:
            ta = where[a]
            b_joins = join(ta)
            a_out = leave[a]
            for tb, table in enumerate(tables):
                if tb == ta:
                    continue
                a_in = a_out + sum(add(a, q) for q in table)
                a_tabu = tabu.get((r, a, tb), 0) > step
                for b in table:
                    if b in pinned:
                        continue
                    delta = a_in + leave[b] + b_joins[b] - 2 * add(a, b)
                    if chosen is not None and delta > chosen[2]:
                        continue
                    if (a_tabu or tabu.get((r, b, ta), 0) > step) and self.cost + delta >= best_cost:
                        continue
                    if chosen is None or delta < chosen[2]:
                        chosen, ties = (a, b, delta), 1
                    else:
                        ties += 1
                        if rng.randrange(ties) == 0:
                            chosen = (a, b, delta)
        return chosen

    def swap(self, r: int, a: int, b: int, delta: int | None = None) -> None:
        n, count, where = self.n, self.count, self.where[r]
        ta, tb = where[a], where[b]
        mates, others = self.rounds[r][ta], self.rounds[r][tb]
        if delta is None:
            delta = sum(self.rem(a, q) + self.add(b, q) for q in mates if q != a)
            delta += sum(self.rem(b, q) + self.add(a, q) for q in others if q != b)
        for leaving, joining, table in ((a, b, mates), (b, a, others)):
            for q in table:
                if q != leaving:
                    count[leaving * n + q] -= 1
                    count[q * n + leaving] -= 1
                    count[joining * n + q] += 1
                    count[q * n + joining] += 1
        mates[mates.index(a)] = b
        others[others.index(b)] = a
        where[a], where[b] = tb, ta
        self.cost += delta

    def shake(self, rng: random.Random) -> None:
        """One random swap of two movable people at different tables of a random round."""
        r = rng.randrange(len(self.rounds))
        movable = [p for table in self.rounds[r] for p in table if p not in self.pinned]
        if len(movable) < 2:
            return
        for _ in range(10):
            a, b = rng.sample(movable, 2)
            if self.where[r][a] != self.where[r][b]:
                self.swap(r, a, b)
                return


def greedy_round(
    search: Search, seated: list[int], sizes: list[int], hosts: dict[int, int], rng: random.Random
) -> Tables:
    """One more round, built greedily against the meetings so far: hosts at their tables, then each person (those
    with the most costly company first) at the open table where they add the least cost."""
    tables: Tables = [[] for _ in sizes]
    for p, t in hosts.items():
        tables[t].append(p)
    order = [p for p in seated if p not in hosts]
    rng.shuffle(order)
    n, static, count = search.n, search.static, search.count
    trouble = {p: sum(1 for q in seated if static[p * n + q] or count[p * n + q]) for p in order}
    order.sort(key=lambda p: -trouble[p])
    for p in order:
        best_t, best_cost = -1, 0
        for t in rng.sample(range(len(sizes)), len(sizes)):
            if len(tables[t]) < sizes[t]:
                cost = sum(search.add(p, q) for q in tables[t])
                # ties go to the emptier table, so early people spread out and leave room to avoid each other
                if best_t < 0 or (cost, len(tables[t])) < (best_cost, len(tables[best_t])):
                    best_t, best_cost = t, cost
        tables[best_t].append(p)
    return tables


# ---- known designs ------------------------------------------------------------------------------------------


def design(groups: int, size: int, rounds: int, node_limit: int = 20_000) -> list[Tables] | None:
    """Rounds of a published construction for ``groups`` tables of ``size`` with no pair meeting twice, at most
    ``rounds`` of them, or None when none is known here. Verified before it is returned.

    - n = p^d people (p prime) at tables of p^t: the cosets of t-dimensional subspaces of GF(p)^d that meet only
      in 0 (a partial spread; complete for t = 1: the parallel classes of lines of the affine space, which reach
      the bound (n - 1)/(s - 1), e.g. 5-5-6, 7-7-8, 9-3-13; and 4-4-5 with t = 2).
    - 15 people at 5 tables of 3 (Kirkman's schoolgirls, 7 rounds): a packing of the lines of PG(3, 2).
    """
    n = groups * size
    found = _kirkman15() if (groups, size) == (5, 3) else _spread_design(n, size, rounds, node_limit)
    if not found:
        return None
    found = found[:rounds]
    return found if verified(found, n, size) else None


def verified(rounds: list[Tables], n: int, size: int) -> bool:
    """Each round seats everyone once at tables of ``size``, and no pair meets twice."""
    seen: set[tuple[int, int]] = set()
    for tables in rounds:
        if sorted(p for t in tables for p in t) != list(range(n)) or any(len(t) != size for t in tables):
            return False
        for table in tables:
            for pair in itertools.combinations(sorted(table), 2):
                if pair in seen:
                    return False
                seen.add(pair)
    return True


def _prime_power(n: int) -> tuple[int, int] | None:
    for p in range(2, n + 1):
        if n % p == 0:
            d = 0
            while n % p == 0:
                n, d = n // p, d + 1
            return (p, d) if n == 1 else None
    return None


def _spread_design(n: int, size: int, rounds: int, node_limit: int) -> list[Tables] | None:
    point, block = _prime_power(n), _prime_power(size)
    if point is None or block is None or point[0] != block[0] or n > 729 or size < 2:
        return None
    p, d = point
    t = block[1]
    if t >= d:
        return None

    def plus(x: int, y: int) -> int:
        total, scale = 0, 1
        while x or y:
            total += ((x % p + y % p) % p) * scale
            x, y, scale = x // p, y // p, scale * p
        return total

    def times(c: int, x: int) -> int:
        total, scale = 0, 1
        while x:
            total += ((c * (x % p)) % p) * scale
            x, scale = x // p, scale * p
        return total

    def span(basis: tuple[int, ...]) -> frozenset[int]:
        points = {0}
        for v in basis:
            points = {plus(q, times(c, v)) for q in points for c in range(p)}
        return frozenset(points)

    want = min(rounds, (n - 1) // (size - 1))
    if t == 1:  # every direction: one vector per line through 0, the first nonzero digit being 1
        chosen = sorted({span((v,)) for v in range(1, n)}, key=min)
    else:
        subspaces = sorted({s for basis in itertools.combinations(range(1, n), t) if len(s := span(basis)) == size},
                           key=sorted)  # fmt: skip
        chosen = _disjoint(subspaces, want, node_limit)
    classes = []
    for sub in chosen[:want]:
        cosets: dict[frozenset[int], None] = {}
        for x in range(n):
            cosets.setdefault(frozenset(plus(x, v) for v in sub), None)
        classes.append([sorted(c) for c in cosets])
    return classes


def _disjoint(subspaces: list[frozenset[int]], want: int, node_limit: int) -> list[frozenset[int]]:
    """As many of the subspaces as a bounded depth-first search finds (up to ``want``) that pairwise meet in 0."""
    best: list[frozenset[int]] = []
    nodes = 0

    def extend(chosen: list[frozenset[int]], used: frozenset[int], start: int) -> bool:
        nonlocal best, nodes
        if len(chosen) > len(best):
            best = list(chosen)
        if len(chosen) == want:
            return True
        for i in range(start, len(subspaces)):
            nodes += 1
            if nodes > node_limit:
                return True
            s = subspaces[i]
            if len(s & used) == 1 and extend([*chosen, s], used | s, i + 1):
                return True
        return False

    extend([], frozenset({0}), 0)
    return best


def _kirkman15() -> list[Tables]:
    """Kirkman's fifteen schoolgirls: the 35 lines {a, b, a xor b} of PG(3, 2) (points 1..15) packed into 7
    spreads of 5 disjoint lines, found by a small exact-cover search."""
    lines = sorted({tuple(sorted((a, b, a ^ b))) for a in range(1, 16) for b in range(1, 16) if a != b})
    spreads: list[frozenset[tuple[int, ...]]] = []

    def cover(chosen: list[tuple[int, ...]], points: set[int]) -> None:
        if len(chosen) == 5:
            spreads.append(frozenset(chosen))
            return
        first = min(set(range(1, 16)) - points)
        for line in lines:
            if first in line and not points & set(line):
                cover([*chosen, line], points | set(line))

    cover([], set())
    spreads = sorted(set(spreads), key=sorted)

    def pack(chosen: list[frozenset[tuple[int, ...]]], used: frozenset[tuple[int, ...]]) -> list[Tables] | None:
        if len(chosen) == 7:
            return [[[p - 1 for p in line] for line in sorted(s)] for s in chosen]
        first = next(line for line in lines if line not in used)
        for s in spreads:
            if first in s and not s & used:
                found = pack([*chosen, s], used | s)
                if found:
                    return found
        return None

    return pack([], frozenset()) or []
