"""Tabu search on the machine sequences of a plain job shop: the warm start that lets the
CP-SAT scheduler beat CP-SAT's own first hours of search on large classic job shops.

Why: on 15x15 to 20x20 job shops at 10 s and 2 workers, CP-SAT spends its time in one tree
search and a few slow LNS calls (about 30 in 10 s), and ends 5-10 % above the optimum, no
better than the minimal model (benchmarks/jssp_heldout_bench.py). A tabu search in the N5
neighbourhood (Nowicki and Smutnicki, 1996: swap the first two or the last two operations of a
block on a critical path) makes thousands of moves per second with Taillard's O(1) estimate of
each move's makespan, and its schedule, given to CP-SAT as hint and horizon, lets CP-SAT's LNS
start where the tabu search ended.

The problem is a disjunctive graph: each operation of non-zero length runs on its one station
of capacity 1; a job's operations follow each other with the transport time between their
stations as a lag; a job's first operation starts no earlier than its release (plus the
transport from its origin). `eligible` says which problems have this form. Operations of zero
length take no station, only their place in the job.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass

from optimizer.problem import SchedulingProblem

Key = tuple[int, int]  # (job index, operation index)
Placed = dict[Key, tuple[str, int, int]]


def eligible(problem: SchedulingProblem) -> bool:
    """One station of capacity 1 per operation, no changeovers, fleets, operators, batch
    machines or transfer batches: a job shop whose schedule is fixed by its machine sequences."""
    for job in problem.jobs:
        if job.batched:
            return False
        for op in job.operations:
            if len(op.alternatives) != 1 or problem.capacities[op.alternatives[0].station] != 1:
                return False
    return (not problem.manned and not problem.batch_sizes
            and not any(problem.has_changeovers(s) for s in problem.capacities)
            and not any(problem.fleet_leg(a, b) for a, b in problem.transport))


@dataclass
class _Graph:
    """Operations 0..n-1 in (job, operation) order with their job chains; machine sequences
    are kept apart in `_State`."""

    keys: list[Key]
    station: list[str]
    duration: list[int]
    release: list[int]  # earliest start from the job's release (and its origin's transport)
    job_prev: list[int]  # -1: the first operation of its job
    job_next: list[int]  # -1: the last
    lag_next: list[int]  # transport ticks to job_next

    @classmethod
    def of(cls, problem: SchedulingProblem) -> "_Graph":
        g = cls([], [], [], [], [], [], [])
        for j, job in enumerate(problem.jobs):
            for k, op in enumerate(job.operations):
                station = op.alternatives[0].station
                g.keys.append((j, k))
                g.station.append(station)
                g.duration.append(op.alternatives[0].duration)
                origin = job.origin if k == 0 else None
                g.release.append(job.release + (problem.transport_ticks(origin, station) if origin else 0))
                g.job_prev.append(-1 if k == 0 else len(g.keys) - 2)
                g.job_next.append(-1)
                g.lag_next.append(0)
                if k > 0:
                    g.job_next[-2] = len(g.keys) - 1
                    g.lag_next[-2] = problem.transport_ticks(g.station[-2], station)
        return g


class _Cycle(Exception):
    """The machine sequences contradict the job chains (a swap made a cycle)."""


class _State:
    """Machine sequences as predecessor/successor arrays, with heads (earliest starts) and
    tails (longest path after an operation's end) of the current sequences."""

    def __init__(self, g: _Graph, sequences: dict[str, list[int]]) -> None:
        n = len(g.keys)
        self.g = g
        self.mprev = [-1] * n
        self.mnext = [-1] * n
        for seq in sequences.values():
            for a, b in zip(seq, seq[1:]):
                self.mnext[a], self.mprev[b] = b, a
        self.head = [0] * n
        self.tail = [0] * n
        self.makespan = 0
        self.evaluate()

    def evaluate(self) -> None:
        """Heads and tails by one topological pass each (Kahn); raises _Cycle."""
        g, mprev, mnext = self.g, self.mprev, self.mnext
        job_prev, job_next, dur, lag = g.job_prev, g.job_next, g.duration, g.lag_next
        n = len(dur)
        indeg = [(job_prev[o] >= 0) + (mprev[o] >= 0) for o in range(n)]
        stack = [o for o in range(n) if indeg[o] == 0]
        order = []
        head = list(g.release)
        while stack:
            o = stack.pop()
            order.append(o)
            end = head[o] + dur[o]
            s = job_next[o]
            if s >= 0:
                if end + lag[o] > head[s]:
                    head[s] = end + lag[o]
                indeg[s] -= 1
                if not indeg[s]:
                    stack.append(s)
            s = mnext[o]
            if s >= 0:
                if end > head[s]:
                    head[s] = end
                indeg[s] -= 1
                if not indeg[s]:
                    stack.append(s)
        if len(order) < n:
            raise _Cycle
        tail = [0] * n
        for o in reversed(order):
            t = 0
            s = job_next[o]
            if s >= 0:
                t = tail[s] + dur[s] + lag[o]
            s = mnext[o]
            if s >= 0 and tail[s] + dur[s] > t:
                t = tail[s] + dur[s]
            tail[o] = t
        self.head, self.tail, self.order = head, tail, order
        self.makespan = max((head[o] + dur[o] for o in range(n)), default=0)

    def swap(self, u: int, v: int) -> None:
        """u directly before v on their machine becomes v directly before u."""
        mprev, mnext = self.mprev, self.mnext
        a, b = mprev[u], mnext[v]
        if a >= 0:
            mnext[a] = v
        if b >= 0:
            mprev[b] = u
        mprev[v], mnext[v] = a, u
        mprev[u], mnext[u] = v, b

    def critical_blocks(self, rng: random.Random) -> list[list[int]]:
        """The blocks (maximal runs of consecutive operations on one machine) of one critical
        path, traced back from an operation that ends at the makespan; where both the machine
        and the job predecessor are critical, the machine one (longer blocks, more moves)."""
        g, head, dur = self.g, self.head, self.g.duration
        ends = [o for o in range(len(dur)) if head[o] + dur[o] == self.makespan and dur[o] > 0]
        if not ends:
            return []
        o = rng.choice(ends)
        path = [o]
        while True:
            p = self.mprev[o]
            if p >= 0 and head[p] + dur[p] == head[o]:
                o = p
            else:
                p = g.job_prev[o]
                if p >= 0 and head[p] + dur[p] + g.lag_next[p] == head[o]:
                    o = p
                else:
                    break
            path.append(o)
        path.reverse()
        blocks: list[list[int]] = []
        for o in path:
            if blocks and self.mprev[o] == blocks[-1][-1] and dur[o] > 0:
                blocks[-1].append(o)
            else:
                blocks.append([o])
        return blocks

    def estimate(self, u: int, v: int) -> int:
        """Taillard's estimate of the makespan after swapping u and v (u directly before v):
        the longest path through the two after the swap, from unchanged heads and tails."""
        g, head, tail, dur = self.g, self.head, self.tail, self.g.duration
        a, b = self.mprev[u], self.mnext[v]
        rv = g.release[v]
        p = g.job_prev[v]
        if p >= 0:
            rv = max(rv, head[p] + dur[p] + g.lag_next[p])
        if a >= 0:
            rv = max(rv, head[a] + dur[a])
        ru = g.release[u]
        p = g.job_prev[u]
        if p >= 0:
            ru = max(ru, head[p] + dur[p] + g.lag_next[p])
        ru = max(ru, rv + dur[v])
        qu = 0
        s = g.job_next[u]
        if s >= 0:
            qu = tail[s] + dur[s] + g.lag_next[u]
        if b >= 0:
            qu = max(qu, tail[b] + dur[b])
        qv = 0
        s = g.job_next[v]
        if s >= 0:
            qv = tail[s] + dur[s] + g.lag_next[v]
        qv = max(qv, qu + dur[u])
        return max(rv + dur[v] + qv, ru + dur[u] + qu)


def _n5_moves(blocks: list[list[int]]) -> list[tuple[int, int]]:
    """N5: in every block of two or more, swap its first two operations (except in the path's
    first block) and its last two (except in the last block)."""
    moves = []
    last = len(blocks) - 1
    for i, block in enumerate(blocks):
        if len(block) < 2:
            continue
        if i > 0:
            moves.append((block[0], block[1]))
        if i < last and (len(block) > 2 or i == 0):
            moves.append((block[-2], block[-1]))
    return moves


def _sequences(g: _Graph, placed: Placed) -> dict[str, list[int]]:
    index = {key: o for o, key in enumerate(g.keys)}
    by_station: dict[str, list[tuple[int, int, int]]] = {}
    for key, (station, _, start) in placed.items():
        o = index[key]
        if g.duration[o] > 0:
            by_station.setdefault(station, []).append((start, key[0], o))
    return {s: [o for _, _, o in sorted(items)] for s, items in by_station.items()}


def improve(problem: SchedulingProblem, placed: Placed, *, stop_at: float, seed: int = 0,
            max_iterations: int | None = None) -> Placed:
    """A schedule at least as short as `placed` (a feasible schedule of an `eligible` problem):
    tabu search in N5 from its machine sequences until `stop_at` (a `time.monotonic()` value) or
    `max_iterations` moves; the best schedule seen, semi-active (every operation at its head).

    Tabu list: a swapped pair may not be swapped back for a tenure drawn around 10 + n/m
    moves, unless that would beat the best; when every move is tabu, a random one is made.
    After a long stretch without improvement the search restarts from the best sequences."""
    g = _Graph.of(problem)
    sequences = _sequences(g, placed)
    state = _State(g, sequences)
    rng = random.Random(seed)
    n_machines = max(1, len(sequences))
    base_tenure = 10 + len(problem.jobs) // n_machines
    stall_limit = max(200, 2 * len(g.keys))
    best_makespan = state.makespan
    best_prev, best_next = list(state.mprev), list(state.mnext)
    tabu: dict[tuple[int, int], int] = {}
    iteration = stall = 0
    while max_iterations is None or iteration < max_iterations:
        if iteration % 16 == 0 and time.monotonic() > stop_at:
            break
        iteration += 1
        moves = _n5_moves(state.critical_blocks(rng))
        if not moves:
            break  # one block: a machine busy from a release to the makespan (optimal when all releases are 0)
        chosen, chosen_value = None, None
        for u, v in moves:
            value = state.estimate(u, v)
            pair = (u, v) if u < v else (v, u)
            if tabu.get(pair, 0) > iteration and value >= best_makespan:
                continue
            if chosen_value is None or value < chosen_value or (value == chosen_value and rng.random() < 0.5):
                chosen, chosen_value = (u, v), value
        if chosen is None:
            chosen = rng.choice(moves)
        u, v = chosen
        state.swap(u, v)
        try:
            state.evaluate()
        except _Cycle:  # possible only through zero-length operations; undo and forbid
            state.swap(v, u)
            state.evaluate()
            tabu[(u, v) if u < v else (v, u)] = iteration + base_tenure
            continue
        tabu[(u, v) if u < v else (v, u)] = iteration + base_tenure + rng.randrange(base_tenure // 2 + 1)
        if state.makespan < best_makespan:
            best_makespan, stall = state.makespan, 0
            best_prev, best_next = list(state.mprev), list(state.mnext)
        else:
            stall += 1
            if stall >= stall_limit:
                state.mprev, state.mnext = list(best_prev), list(best_next)
                state.evaluate()
                tabu.clear()
                stall = 0
    state.mprev, state.mnext = best_prev, best_next
    state.evaluate()
    return {key: (g.station[o], 0, state.head[o]) for o, key in enumerate(g.keys)}
