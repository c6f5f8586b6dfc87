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
import threading
import time
from operator import add
from dataclasses import dataclass

from optimizer.problem import SchedulingProblem

Key = tuple[int, int]  # (job index, operation index)
Placed = dict[Key, tuple[str, int, int]]


def eligible(problem: SchedulingProblem) -> bool:
    """Every station an operation may run on has capacity 1, and there are no changeovers,
    fleets, operators, batch machines or transfer batches: a (flexible) job shop whose schedule
    is fixed by each operation's station and the stations' sequences."""
    for job in problem.jobs:
        if job.batched:
            return False
        for op in job.operations:
            if any(problem.capacities[a.station] != 1 for a in op.alternatives):
                return False
    return (not problem.manned and not problem.batch_sizes
            and not any(problem.has_changeovers(s) for s in problem.capacities)
            and not any(problem.fleet_leg(a, b) for a, b in problem.transport))


@dataclass
class _Graph:
    """Operations 0..n-1 in (job, operation) order with their job chains and the stations
    each may run on; what depends on the chosen stations is kept in `_State`."""

    problem: SchedulingProblem
    keys: list[Key]
    options: list[dict[str, int]]  # station -> duration
    job_prev: list[int]  # -1: the first operation of its job
    job_next: list[int]  # -1: the last
    lasts: list[int]  # the last operation of each job: one of them ends at the makespan

    @classmethod
    def of(cls, problem: SchedulingProblem) -> "_Graph":
        g = cls(problem, [], [], [], [], [])
        for j, job in enumerate(problem.jobs):
            for k, op in enumerate(job.operations):
                g.keys.append((j, k))
                g.options.append({a.station: a.duration for a in op.alternatives})
                g.job_prev.append(-1 if k == 0 else len(g.keys) - 2)
                g.job_next.append(-1)
                if k > 0:
                    g.job_next[-2] = len(g.keys) - 1
        g.lasts = [o for o in range(len(g.keys)) if g.job_next[o] < 0]
        return g

    def release(self, o: int, station: str) -> int:
        """The earliest start of operation o on `station` from its job's release (and the
        transport from the job's origin)."""
        j, k = self.keys[o]
        job = self.problem.jobs[j]
        origin = job.origin if k == 0 else None
        return job.release + (self.problem.transport_ticks(origin, station) if origin else 0)


class _Cycle(Exception):
    """The machine sequences contradict the job chains (a move made a cycle)."""


class _State:
    """Each operation's station and its machine sequence as predecessor/successor arrays,
    with heads (earliest starts) and tails (longest path after an operation's end)."""

    def __init__(self, g: _Graph, stations: list[str], sequences: dict[str, list[int]]) -> None:
        n = len(g.keys)
        self.g = g
        self.station = list(stations)
        self.duration = [g.options[o][stations[o]] for o in range(n)]
        self.release = [g.release(o, stations[o]) for o in range(n)]
        ticks = g.problem.transport_ticks
        self.lag_next = [ticks(stations[o], stations[g.job_next[o]]) if g.job_next[o] >= 0 else 0 for o in range(n)]
        self.on: dict[str, set[int]] = {s: set() for s in g.problem.capacities}
        self.mprev = [-1] * n
        self.mnext = [-1] * n
        for station, seq in sequences.items():
            self.on[station].update(seq)
            for a, b in zip(seq, seq[1:]):
                self.mnext[a], self.mprev[b] = b, a
        self.head = [0] * n
        self.tail = [0] * n
        self.makespan = 0
        self.evaluate()

    def snapshot(self) -> tuple:
        return (list(self.mprev), list(self.mnext), list(self.station), list(self.duration), list(self.release),
                list(self.lag_next), {s: set(ops) for s, ops in self.on.items()})

    def restore(self, snap: tuple) -> None:
        mprev, mnext, station, duration, release, lag_next, on = snap
        self.mprev, self.mnext, self.station, self.duration = list(mprev), list(mnext), list(station), list(duration)
        self.release, self.lag_next, self.on = list(release), list(lag_next), {s: set(ops) for s, ops in on.items()}
        self.evaluate()

    def evaluate(self) -> None:
        """Heads and tails by one topological pass each (Kahn); raises _Cycle."""
        g, mprev, mnext = self.g, self.mprev, self.mnext
        job_prev, job_next, dur, lag = g.job_prev, g.job_next, self.duration, self.lag_next
        n = len(dur)
        indeg = [(job_prev[o] >= 0) + (mprev[o] >= 0) for o in range(n)]
        stack = [o for o in range(n) if indeg[o] == 0]
        order = []
        head = list(self.release)
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
        self.head, self.tail = head, [0] * n
        self.makespan = max(map(add, head, dur), default=0)
        # keep a topological order sorted by head (ties in Kahn's order, which keeps a zero-length
        # operation before its successor): the operations between two neighbours on a machine are
        # then few, which keeps `evaluate_swap`'s re-sorted stretch short
        rank = {o: i for i, o in enumerate(order)}
        self.order = sorted(order, key=lambda o: (head[o], rank[o]))
        self.pos = [0] * n
        self.mark, self.stamp = [0] * n, 0  # for `evaluate_swap`: which operations to recompute
        for i, o in enumerate(self.order):
            self.pos[o] = i
        self._update(n - 1, range(n), forward=False)  # every tail: every operation a seed

    def evaluate_swap(self, u: int, v: int) -> None:
        """Heads and tails after `swap(u, v)` without a full pass: only the stretch of the
        topological order from u to v is re-sorted (edges from outside it keep their direction),
        heads are recomputed from u's old place on and tails up to v's; raises _Cycle with the
        order untouched (the caller swaps back and calls `evaluate`)."""
        g, mprev, mnext, order, pos = self.g, self.mprev, self.mnext, self.order, self.pos
        job_prev, job_next, dur, lag = g.job_prev, g.job_next, self.duration, self.lag_next
        pu, pv = pos[u], pos[v]
        stretch = order[pu:pv + 1]
        indeg = {}
        for o in stretch:
            p, q = job_prev[o], mprev[o]
            indeg[o] = (p >= 0 and pu <= pos[p] <= pv) + (q >= 0 and pu <= pos[q] <= pv)
        ready = [o for o in stretch if not indeg[o]]
        ready.reverse()
        resorted = []
        while ready:
            o = ready.pop()
            resorted.append(o)
            for s in (job_next[o], mnext[o]):
                if s >= 0 and s in indeg:
                    indeg[s] -= 1
                    if not indeg[s]:
                        ready.append(s)
        if len(resorted) < len(stretch):
            raise _Cycle
        order[pu:pv + 1] = resorted
        for i, o in enumerate(resorted, pu):
            pos[o] = i
        self._update(pu, (v, u, mnext[u]), forward=True)
        self._update(pv, (u, v, mprev[v]), forward=False)
        self.makespan = max([self.head[o] + dur[o] for o in g.lasts], default=0)

    def _update(self, start: int, seeds, *, forward: bool) -> None:
        """Heads (forward, from position `start` of the topological order on) or tails
        (backward, from `start` down) after the arcs at `seeds` changed: an operation's is
        recomputed only when it is a seed or a predecessor's head (successor's tail) changed,
        and the pass ends when no such operation is left. After a swap on a 15x15 job shop about
        70 of the 110 heads from u's place on change (and as many tails); skipping the rest made
        5-7 % more moves per CPU-second (same moves, run one after the other at load 5)."""
        g, order, mark, dur, lag, release = self.g, self.order, self.mark, self.duration, self.lag_next, self.release
        job_prev, job_next, mprev, mnext = g.job_prev, g.job_next, self.mprev, self.mnext
        values, step, job_on, machine_on = (self.head, 1, job_next, mnext) if forward else (self.tail, -1, job_prev, mprev)
        self.stamp += 1
        stamp = self.stamp
        pending = 0
        for o in seeds:
            if o >= 0 and mark[o] != stamp:
                mark[o] = stamp
                pending += 1
        i = start
        while pending:
            o = order[i]
            i += step
            if mark[o] != stamp:
                continue
            pending -= 1
            if forward:
                x = release[o]
                p = job_prev[o]
                if p >= 0 and values[p] + dur[p] + lag[p] > x:
                    x = values[p] + dur[p] + lag[p]
                p = mprev[o]
                if p >= 0 and values[p] + dur[p] > x:
                    x = values[p] + dur[p]
            else:
                x = 0
                s = job_next[o]
                if s >= 0:
                    x = values[s] + dur[s] + lag[o]
                s = mnext[o]
                if s >= 0 and values[s] + dur[s] > x:
                    x = values[s] + dur[s]
            if x != values[o]:
                values[o] = x
                for s in (job_on[o], machine_on[o]):
                    if s >= 0 and mark[s] != stamp:
                        mark[s] = stamp
                        pending += 1

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

    def reassign(self, o: int, station: str, a: int, b: int) -> tuple[str, int, int]:
        """Operation o (of non-zero length) moves to `station` between a and b (-1: an end of
        its sequence); returns where it was, for undoing."""
        g, mprev, mnext = self.g, self.mprev, self.mnext
        old = (self.station[o], mprev[o], mnext[o])
        p, s = mprev[o], mnext[o]
        if p >= 0:
            mnext[p] = s
        if s >= 0:
            mprev[s] = p
        self.on[self.station[o]].discard(o)
        mprev[o], mnext[o] = a, b
        if a >= 0:
            mnext[a] = o
        if b >= 0:
            mprev[b] = o
        self.on[station].add(o)
        self.station[o] = station
        self.duration[o] = g.options[o][station]
        self.release[o] = g.release(o, station)
        ticks = g.problem.transport_ticks
        if g.job_next[o] >= 0:
            self.lag_next[o] = ticks(station, self.station[g.job_next[o]])
        if g.job_prev[o] >= 0:
            self.lag_next[g.job_prev[o]] = ticks(self.station[g.job_prev[o]], station)
        return old

    def critical_path(self, rng: random.Random) -> list[int]:
        """One critical path, traced back from an operation that ends at the makespan; where
        both the machine and the job predecessor are critical, the machine one (longer
        blocks, more moves)."""
        g, head, dur, lag = self.g, self.head, self.duration, self.lag_next
        # an operation that ends at the makespan is the last of its job or followed by ones that do
        ends = [o for o in g.lasts if head[o] + dur[o] == self.makespan]
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
                if p >= 0 and head[p] + dur[p] + lag[p] == head[o]:
                    o = p
                else:
                    break
            path.append(o)
        path.reverse()
        return path

    def blocks(self, path: list[int]) -> list[list[int]]:
        """The path cut into blocks: maximal runs of consecutive operations on one machine."""
        blocks: list[list[int]] = []
        for o in path:
            if blocks and self.mprev[o] == blocks[-1][-1] and self.duration[o] > 0:
                blocks[-1].append(o)
            else:
                blocks.append([o])
        return blocks

    def estimate(self, u: int, v: int) -> int:
        """Taillard's estimate of the makespan after swapping u and v (u directly before v):
        the longest path through the two after the swap, from unchanged heads and tails."""
        g, head, tail, dur, lag = self.g, self.head, self.tail, self.duration, self.lag_next
        a, b = self.mprev[u], self.mnext[v]
        rv = self.release[v]
        p = g.job_prev[v]
        if p >= 0:
            rv = max(rv, head[p] + dur[p] + lag[p])
        if a >= 0:
            rv = max(rv, head[a] + dur[a])
        ru = self.release[u]
        p = g.job_prev[u]
        if p >= 0:
            ru = max(ru, head[p] + dur[p] + lag[p])
        ru = max(ru, rv + dur[v])
        qu = 0
        s = g.job_next[u]
        if s >= 0:
            qu = tail[s] + dur[s] + lag[u]
        if b >= 0:
            qu = max(qu, tail[b] + dur[b])
        qv = 0
        s = g.job_next[v]
        if s >= 0:
            qv = tail[s] + dur[s] + lag[v]
        qv = max(qv, qu + dur[u])
        return max(rv + dur[v] + qv, ru + dur[u] + qu)

    def insertions(self, o: int, in_order: dict[str, list[int]]) -> list[tuple[int, str, int, int]]:
        """Moves of operation o to another of its stations, at every place in that station's
        sequence that cannot make a cycle, each with the estimated longest path through o
        there: (estimate, station, a, b) with o going between a and b. A place is safe when
        the operation before it ends by the time o's job successor starts and the one after
        it starts, counted from the end, no earlier than o's job predecessor's tail allows.
        `in_order` keeps each station's operations sorted by head for the moves of one path
        (the heads do not change while moves are priced)."""
        g, head, tail, dur = self.g, self.head, self.tail, self.duration
        ticks = g.problem.transport_ticks
        jp, js = g.job_prev[o], g.job_next[o]
        out = []
        for station, duration in g.options[o].items():
            if station == self.station[o] or duration == 0:
                continue
            r0 = g.release(o, station)
            if jp >= 0:
                r0 = max(r0, head[jp] + dur[jp] + ticks(self.station[jp], station))
            q0 = tail[js] + dur[js] + ticks(station, self.station[js]) if js >= 0 else 0
            seq = in_order.get(station)
            if seq is None:
                seq = in_order[station] = sorted(self.on[station], key=head.__getitem__)
            for i in range(len(seq) + 1):
                a = seq[i - 1] if i > 0 else -1
                b = seq[i] if i < len(seq) else -1
                if a >= 0 and js >= 0 and head[a] + dur[a] > head[js]:
                    break  # every later place is after a as well
                if b >= 0 and jp >= 0 and dur[b] + tail[b] > tail[jp]:
                    continue
                r = max(r0, head[a] + dur[a]) if a >= 0 else r0
                q = max(q0, tail[b] + dur[b]) if b >= 0 else q0
                out.append((r + duration + q, station, a, b))
        return out


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


def _sequences(g: _Graph, placed: Placed) -> tuple[list[str], dict[str, list[int]]]:
    """Each operation's station and each station's operations of non-zero length in start order."""
    stations = [placed[key][0] for key in g.keys]
    by_station: dict[str, list[tuple[int, int, int]]] = {}
    for o, key in enumerate(g.keys):
        station, _, start = placed[key]
        if g.options[o][station] > 0:
            by_station.setdefault(station, []).append((start, key[0], o))
    return stations, {s: [o for _, _, o in sorted(items)] for s, items in by_station.items()}


@dataclass(frozen=True)
class Result:
    """What `improve` found and why it stopped: "bound" (the makespan reached the lower bound),
    "stagnation" (`patience` moves without a better schedule), "moves" (`max_iterations`),
    "clock" (`stop_at`), "cancelled" (`cancel`) or "stuck" (no move on the critical path)."""

    placed: Placed
    makespan: int
    iterations: int
    stopped: str
    improvements: tuple[tuple[int, int], ...]  # (iteration, makespan) of each new best


def improve(problem: SchedulingProblem, placed: Placed, *, stop_at: float, seed: int = 0,
            max_iterations: int | None = None, lower_bound: int = 0, patience: int | None = None,
            cancel: threading.Event | None = None) -> Result:
    """A schedule at least as short as `placed` (a feasible schedule of an `eligible` problem):
    tabu search from its stations and machine sequences until `stop_at` (a `time.monotonic()`
    value), `max_iterations` moves, a schedule as short as `lower_bound`, `patience` moves in
    a row without a better schedule, or `cancel` being set; the best schedule seen, semi-active
    (every operation at its head). The stops other than the clock and `cancel` count moves, so
    under a fixed seed and without `cancel` the result does not depend on the machine's speed.

    Moves: N5 swaps on one critical path, each priced by Taillard's estimate, and for a
    flexible problem every critical operation moved to another of its stations at a safe place
    (`_State.insertions`). Tabu list: a swapped pair may not be swapped back, nor an operation
    return to the station it left, for a tenure drawn around 10 + jobs/machines moves, unless
    that would beat the best; when every move is tabu, a random one is made. After a stretch
    without improvement (`stall_moves`) the search restarts from the best schedule. Not better,
    and so not kept (see the README): restarts kicked away from it by 10 random moves (a mean of
    1,203.7 against 1,204.5 at 10 s on twelve training 15x15 job shops), restarts from a random
    one of the eight best schedules between restarts or from a schedule path-relinked between
    two of them (1,209.9 and 1,208.7 against 1,207.1 in `stall_moves`' training runs)."""
    g = _Graph.of(problem)
    stations, sequences = _sequences(g, placed)
    state = _State(g, stations, sequences)
    rng = random.Random(seed)
    n_machines = max(1, len(sequences))
    base_tenure = 10 + len(problem.jobs) // n_machines
    stall_limit = stall_moves(len(g.keys))
    flexible = any(len(options) > 1 for options in g.options)
    best_makespan = state.makespan
    best = state.snapshot()
    tabu: dict[tuple, int] = {}
    improvements: list[tuple[int, int]] = []
    iteration = stall = since_best = 0
    stopped = "moves"
    while True:
        if max_iterations is not None and iteration >= max_iterations:
            break
        if iteration % 16 == 0 and time.monotonic() > stop_at:
            stopped = "clock"
            break
        if iteration % 16 == 0 and cancel is not None and cancel.is_set():
            stopped = "cancelled"
            break
        if best_makespan <= lower_bound:
            stopped = "bound"  # optimal
            break
        if patience is not None and since_best >= patience:
            stopped = "stagnation"
            break
        iteration += 1
        since_best += 1
        moves = _moves(state, rng, flexible)
        if not moves:
            stopped = "stuck"  # no swap or move on this path: nothing here to change
            break
        chosen, chosen_value = None, None
        for value, move in moves:
            if tabu.get(_tabu_key(move), 0) > iteration and value >= best_makespan:
                continue
            if chosen_value is None or value < chosen_value or (value == chosen_value and rng.random() < 0.5):
                chosen, chosen_value = move, value
        if chosen is None:
            chosen = rng.choice(moves)[1]
        made = _make(state, chosen)
        if made is None:  # a swap through zero-length operations would make a cycle: forbidden
            tabu[_tabu_key(chosen)] = iteration + base_tenure
            continue
        tabu[_tabu_key(made)] = iteration + base_tenure + rng.randrange(base_tenure // 2 + 1)
        if state.makespan < best_makespan:
            best_makespan, stall, since_best = state.makespan, 0, 0
            best = state.snapshot()
            improvements.append((iteration, best_makespan))
        else:
            stall += 1
            if stall >= stall_limit:
                state.restore(best)
                tabu.clear()
                stall = 0
    state.restore(best)
    return Result({key: (state.station[o], 0, state.head[o]) for o, key in enumerate(g.keys)}, best_makespan,
                  iteration, stopped, tuple(improvements))


def _moves(state: _State, rng: random.Random, flexible: bool) -> list[tuple[int, tuple]]:
    """The moves on one critical path, each with its estimated makespan: N5 swaps and, on a
    flexible problem, every critical operation moved to another of its stations."""
    path = state.critical_path(rng)
    moves: list[tuple[int, tuple]] = [(state.estimate(u, v), ("swap", u, v)) for u, v in _n5_moves(state.blocks(path))]
    if flexible:
        in_order: dict[str, list[int]] = {}
        moves += [(value, ("move", o, station, a, b)) for o in path if state.duration[o] > 0
                  for value, station, a, b in state.insertions(o, in_order)]
    return moves


def _make(state: _State, move: tuple) -> tuple | None:
    """Makes `move` and evaluates the new schedule; returns what undoes it, for the tabu list
    (a swapped pair, or the operation and the station it left), or None, with the move undone,
    when it would make a cycle (a swap through zero-length operations)."""
    if move[0] == "swap":
        _, u, v = move
        state.swap(u, v)
        try:
            state.evaluate_swap(u, v)
        except _Cycle:
            state.swap(v, u)
            state.evaluate()
            return None
        return ("swap", u, v)
    _, o, station, a, b = move
    old_station, p, s = state.reassign(o, station, a, b)
    try:
        state.evaluate()
    except _Cycle:
        state.reassign(o, old_station, p, s)
        state.evaluate()
        return None
    return ("move", o, old_station)  # o may not go back there


def stall_moves(n_operations: int) -> int:
    """Moves without a better schedule after which the search restarts from its best: 20 per
    operation. With 2 per operation (before) it restarted about every 450 moves on a 15x15 and
    ended worse: at 30,000 moves on twelve training 15x15 runs (Taillard seeds 101-106, search
    seeds 0 and 1) a mean makespan of 1,216.0 against 1,207.1, and on 20x15 and 20x20 ones
    1,429 against 1,409 and 1,683 against 1,660; 40 per operation or none did no better."""
    return max(200, 20 * n_operations)


def _tabu_key(move: tuple) -> tuple:
    """Swaps by the pair (either order); moves by (operation, station)."""
    if move[0] == "swap":
        _, u, v = move
        return ("swap", min(u, v), max(u, v))
    return ("move", move[1], move[2])
