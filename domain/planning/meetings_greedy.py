"""The fast meeting scheduler: most-constrained first, then short ejection chains for what is left, then moves that
shorten people's idle time. Fully deterministic (no randomness, no clock). It is what the facilitator sees at once,
the CP-SAT model's warm start, and its fallback.
"""

from __future__ import annotations

import heapq

from domain.planning.meetings_model import Problem

POLISH_PASSES = 4  # idle-time passes over all meetings; later passes rarely find anything
DEPTH = 1


class Board:
    """A partial slot assignment with O(1) place/remove and an undo log for trial ejections."""

    def __init__(self, p: Problem) -> None:
        self.p = p
        self.at: list[list[int]] = [[-1] * p.slots for _ in range(p.people)]  # person, slot -> meeting or -1
        self.busy = [bytearray(p.slots) for _ in range(p.people)]
        self.load = [0] * p.slots
        self.slot_of: dict[int, int] = {}
        self.log: list[tuple[int, int, bool]] = []  # (meeting, slot, placed?)

    def free(self, m: int, s: int) -> bool:
        a, b = self.p.pairs[m]
        return self.load[s] < self.p.tables and not self.busy[a][s] and not self.busy[b][s]

    def place(self, m: int, s: int) -> None:
        for who in self.p.pairs[m]:
            self.at[who][s] = m
            self.busy[who][s] = 1
        self.load[s] += 1
        self.slot_of[m] = s
        self.log.append((m, s, True))

    def remove(self, m: int) -> None:
        s = self.slot_of.pop(m)
        for who in self.p.pairs[m]:
            self.at[who][s] = -1
            self.busy[who][s] = 0
        self.load[s] -= 1
        self.log.append((m, s, False))

    def undo(self, mark: int) -> None:
        while len(self.log) > mark:
            m, s, placed = self.log.pop()
            if placed:
                self.remove(m)
            else:
                self.place(m, s)
            self.log.pop()

    def idle(self, who: int) -> int:
        row = self.busy[who]
        first = row.find(1)
        return 0 if first < 0 else row.rfind(1) - first + 1 - row.count(1)


def greedy(p: Problem) -> dict[int, int]:
    """Meeting index -> slot for as many meetings as the heuristic finds room for."""
    board = Board(p)
    # Announced meetings that still fit stay where they were, those whose table still exists first.
    for m in sorted(p.previous, key=lambda m: (p.previous[m][1] >= p.tables, m)):
        s = p.stays(m)
        if s is not None and board.free(m, s):
            board.place(m, s)
    _most_constrained_first(board)
    kept = {m for m, s in board.slot_of.items() if s == p.stays(m)}
    for banned in (kept, set()):  # first without moving announced meetings; only then at their expense
        for m in range(len(p.pairs)):
            if m not in board.slot_of and p.cand[m]:
                _insert(board, m, DEPTH, banned | {m})
    _polish(board, kept)
    board.log.clear()
    return dict(board.slot_of)


def polish(p: Problem, slot_of: dict[int, int]) -> dict[int, int]:
    """``slot_of`` (any feasible assignment) after single moves that shorten idle time; announced meetings in their
    slot stay."""
    board = Board(p)
    for m, s in slot_of.items():
        board.place(m, s)
    _polish(board, {m for m, s in slot_of.items() if s == p.stays(m)})
    return dict(board.slot_of)


def _most_constrained_first(board: Board) -> None:
    p = board.p
    opts = {m: {s for s in p.cand[m] if board.free(m, s)} for m in range(len(p.pairs)) if m not in board.slot_of}
    demand = [0] * p.slots  # pending meetings that could still use each slot
    for slots in opts.values():
        for s in slots:
            demand[s] += 1
    pending = [0] * p.people
    for m in opts:
        for who in p.pairs[m]:
            pending[who] += 1
    usable = [len({s for x in p.of[who] for s in p.cand[x]}) for who in range(p.people)]
    spare = [u - len(p.of[who]) for who, u in enumerate(usable)]  # < 0: cannot hold all their meetings

    def tier(m: int) -> int:  # a meeting between two over-booked people is the first to give way
        a, b = p.pairs[m]
        return int(spare[a] < 0 and spare[b] < 0)

    heap = [(tier(m), len(o), 0, m) for m, o in opts.items()]
    heapq.heapify(heap)
    while heap:
        _, size, _, m = heapq.heappop(heap)
        if m not in opts or size != len(opts[m]):
            continue  # a stale entry: the meeting was placed or lost options since it was pushed
        choices = opts.pop(m)
        a, b = p.pairs[m]
        pending[a] -= 1
        pending[b] -= 1
        for s in choices:
            demand[s] -= 1
        if not choices:
            continue  # left to the ejection chains
        s = min(choices, key=lambda s: _cost(board, opts, demand, m, s))
        board.place(m, s)
        touched = [x for x in (*p.of[a], *p.of[b]) if x in opts and s in opts[x]]
        if board.load[s] == p.tables:
            touched = [x for x in opts if s in opts[x]]
        for x in touched:
            opts[x].discard(s)
            demand[s] -= 1
            xa, xb = p.pairs[x]
            heapq.heappush(heap, (tier(x), len(opts[x]), -(pending[xa] + pending[xb]), x))


def _cost(board: Board, opts: dict[int, set[int]], demand: list[int], m: int, s: int) -> tuple[float, int, int]:
    """What taking slot s for meeting m costs: the options it takes from the two people's other pending meetings
    (each weighted by how few they have) and its share of a slot in demand; then the idle time it adds."""
    p = board.p
    lost = 0.0
    for who in p.pairs[m]:
        for x in p.of[who]:
            if x != m and x in opts and s in opts[x]:
                lost += 1.0 / len(opts[x])
    room = p.tables - board.load[s]
    lost += demand[s] / (room * max(1, len(opts))) if room else 0.0
    idle = 0
    for who in p.pairs[m]:
        row = board.busy[who]
        first = row.find(1)
        if first >= 0:
            last = row.rfind(1)
            idle += first - s - 1 if s < first else s - last - 1 if s > last else -1
    return (lost, idle, s)


def _insert(board: Board, m: int, depth: int, banned: set[int]) -> bool:
    """Place meeting m, ejecting the meetings in its way (up to ``depth`` levels deep) and re-placing them
    elsewhere; leave the board as it was if that fails."""
    p = board.p
    for s in p.cand[m]:
        if board.free(m, s):
            board.place(m, s)
            return True
    if depth == 0:
        return False
    a, b = p.pairs[m]
    for s in p.cand[m]:
        blockers = [x for x in {board.at[a][s], board.at[b][s]} if x >= 0]
        if any(x in banned for x in blockers):
            continue
        if board.load[s] - len(blockers) < p.tables:
            extras: list[int | None] = [None]
        else:  # the slot is full: one more meeting has to leave it
            extras = [x for x in board.slot_of if board.slot_of[x] == s and x not in blockers and x not in banned]
        for extra in extras:
            ejected = blockers if extra is None else [*blockers, extra]
            mark = len(board.log)
            for x in ejected:
                board.remove(x)
            board.place(m, s)
            if all(_insert(board, x, depth - 1, banned | {m}) for x in ejected):
                return True
            board.undo(mark)
    return False


def _polish(board: Board, kept: set[int]) -> None:
    """Move single meetings to free slots while that shortens its two people's idle time."""
    p = board.p
    for _ in range(POLISH_PASSES):
        improved = False
        for m in sorted(board.slot_of):
            if m in kept:
                continue
            s, (a, b) = board.slot_of[m], p.pairs[m]
            before = board.idle(a) + board.idle(b)
            best, target = before, s
            board.remove(m)
            for s2 in p.cand[m]:
                if s2 != s and board.free(m, s2):
                    board.place(m, s2)
                    after = board.idle(a) + board.idle(b)
                    if after < best:
                        best, target = after, s2
                    board.remove(m)
            board.place(m, target)
            improved |= target != s
        if not improved:
            return
