"""Tabu search on the machine sequences of a plain job shop: the warm start that lets the
CP-SAT scheduler beat CP-SAT's own first hours of search on large classic job shops.

Why: on 15x15 to 20x20 job shops at 10 s and 2 workers, CP-SAT spends its time in one tree
search and a few slow LNS calls (about 30 in 10 s), and ends 5-10 % above the optimum, no
better than the minimal model (benchmarks/jssp_heldout_bench.py). A tabu search in the N5
neighbourhood (Nowicki and Smutnicki, 1996: swap the first two or the last two operations of a
block on a critical path) makes many moves per second with Taillard's O(1) estimate of each
move's makespan, and its schedule, given to CP-SAT as hint and horizon, lets CP-SAT's LNS start
where the tabu search ended. When a stretch of moves finds nothing better, the search restarts
from a schedule on the path between two of the best it has met (path relinking, see `improve`).

The problem is a disjunctive graph: each operation of non-zero length runs on its one station
of capacity 1; a job's operations follow each other with the transport time between their
stations as a lag; a job's first operation starts no earlier than its release (plus the
transport from its origin). `SchedulingProblem.is_job_shop` says which problems have this
form. Operations of zero length take no station, only their place in the job.

The move loop is compiled with numba and runs in slices between which the caller's clock and
cancel event are read: in Python it made 14,000 moves per CPU-second on a 15x15 and 5,400 on
mk05, compiled 358,000 and 148,000 (docs/measurements_log.md, "the tabu search compiled"). Its state
lives in one integer array (rows below) so that a slice can stop and the next go on with the same
moves.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
from numba import njit

from optimizer.problem import Alternative, Job, Operation, SchedulingProblem

Key = tuple[int, int]  # (job index, operation index)
Placed = dict[Key, tuple[str, int, int]]

# Rows of the state array (one column per operation): the station (an index into the graph's
# station names), the duration and release there, the transport lag to the job's next
# operation, the machine predecessor and successor (-1: none), head, tail, a topological order
# sorted by head with each operation's place in it, and scratch rows.
STATION, DUR, REL, LAG, MPREV, MNEXT, HEAD, TAIL, ORDER, POS, MARK, INDEG, STACK, WORK = range(14)
_ROWS = 14
_SAVED = 6  # rows STATION..MNEXT fix a schedule: what the best one keeps
# Scalars of a search: the current makespan, the stamp of `_update`'s marks, moves made,
# moves since the best schedule of the stretch since the last restart, moves since the last new
# best, the best makespan, the tabu table's used slots, the stretch's best makespan, the
# schedules in the elite pool.
_MAKESPAN, _STAMP, _ITERATION, _STALL, _SINCE_BEST, _BEST, _TABU_USED, _PHASE_BEST, _ELITE_COUNT = range(9)
_SCALARS = 9
# Why a slice of the loop returned (0: its budget of moves is spent, the search goes on).
_STOPS = {1: "moves", 2: "bound", 3: "stagnation", 4: "stuck"}
_SLICE = 4096  # the most moves one slice makes (about 10 ms on a 15x15)
_ELITE = 8  # the best distinct schedules of the stretches, between which restarts are relinked
# a relinked restart starts between these shares of the way from one elite schedule to another
_RELINK_FROM, _RELINK_TO = 0.25, 0.5
_UNSET = 1 << 62  # a makespan no schedule reaches


@dataclass
class _Graph:
    """Operations 0..n-1 in (job, operation) order as arrays for the compiled loop: job chains
    (`chains`: row 0 the job predecessor, row 1 the successor, -1 for none), the stations each
    operation may run on (`options`: station, duration and release from the job's release and
    origin, operation o's in columns option_start[o]..option_start[o + 1]), the last operation
    of each job and the transport ticks between stations."""

    keys: list[Key]
    names: list[str]  # station names by index
    chains: np.ndarray
    option_start: np.ndarray
    options: np.ndarray
    lasts: np.ndarray
    ticks: np.ndarray

    @classmethod
    def of(cls, problem: SchedulingProblem) -> "_Graph":
        names = list(problem.capacities)
        index = {s: i for i, s in enumerate(names)}
        keys: list[Key] = []
        prev: list[int] = []
        starts = [0]
        options: list[tuple[int, int, int]] = []
        for j, job in enumerate(problem.jobs):
            for k, op in enumerate(job.operations):
                prev.append(-1 if k == 0 else len(keys) - 1)
                keys.append((j, k))
                for a in op.alternatives:
                    release = problem.release_on(job, a.station) if k == 0 else job.release
                    options.append((index[a.station], a.duration, release))
                starts.append(len(options))
        n = len(keys)
        chains = np.full((2, n), -1, dtype=np.int64)
        chains[0] = prev
        for o, p in enumerate(prev):
            if p >= 0:
                chains[1, p] = o
        ticks = np.array([[problem.transport_ticks(a, b) for b in names] for a in names], dtype=np.int64).reshape(
            len(names), len(names))
        return cls(keys, names, chains, np.array(starts, dtype=np.int64),
                   np.array(options, dtype=np.int64).reshape(-1, 3).T.copy(),
                   np.flatnonzero(chains[1] < 0).astype(np.int64), ticks)


class _State:
    """A schedule of the graph as the state array (rows above) and its scalars, with the
    compiled evaluation behind small methods (the tests drive these one move at a time)."""

    def __init__(self, g: _Graph, stations: list[int], sequences: dict[int, list[int]]) -> None:
        n = len(g.keys)
        self.g = g
        self.st = np.zeros((_ROWS, n), dtype=np.int64)
        self.sc = np.zeros(_SCALARS, dtype=np.int64)
        self.st[STATION] = stations
        self.st[MPREV] = -1
        self.st[MNEXT] = -1
        for o in range(n):
            k = _option(g.option_start, g.options, o, stations[o])
            self.st[DUR, o], self.st[REL, o] = g.options[1, k], g.options[2, k]
            nxt = g.chains[1, o]
            self.st[LAG, o] = g.ticks[stations[o], stations[nxt]] if nxt >= 0 else 0
        for seq in sequences.values():
            for a, b in zip(seq, seq[1:]):
                self.st[MNEXT, a], self.st[MPREV, b] = b, a
        if not self.evaluate():
            raise ValueError("the schedule's machine sequences contradict its jobs' order")

    @property
    def makespan(self) -> int:
        return int(self.sc[_MAKESPAN])

    def evaluate(self) -> bool:
        """Heads, tails and the order by one full pass; False when the sequences make a cycle."""
        return _evaluate(self.g.chains, self.st, self.sc)

    def swap(self, u: int, v: int) -> None:
        _swap(self.st, u, v)

    def evaluate_swap(self, u: int, v: int) -> bool:
        """After `swap(u, v)`: heads and tails updated where they change; False, with the order
        untouched, when the swap made a cycle."""
        return _evaluate_swap(self.g.chains, self.g.lasts, self.st, self.sc, u, v)

    def critical_swaps(self, rng_state: np.ndarray) -> list[tuple[int, int]]:
        """The N5 swaps on one critical path (picked at random when several end at the makespan)."""
        n = self.st.shape[1]
        path, starts = np.empty(n + 1, dtype=np.int64), np.empty(n + 1, dtype=np.int64)
        pairs = np.empty((2 * n + 2, 2), dtype=np.int64)
        count, _ = _critical_swaps(self.g.chains, self.g.lasts, self.st, self.sc, rng_state, path, starts, pairs)
        return [(int(u), int(v)) for u, v in pairs[:count]]


def _sequences(g: _Graph, placed: Placed) -> tuple[list[int], dict[int, list[int]]]:
    """Each operation's station and each station's operations of non-zero length in start order."""
    index = {s: i for i, s in enumerate(g.names)}
    stations = [index[placed[key][0]] for key in g.keys]
    by_station: dict[int, list[tuple[int, int, int]]] = {}
    for o, key in enumerate(g.keys):
        _, _, start = placed[key]
        k = _option(g.option_start, g.options, o, stations[o])
        if g.options[1, k] > 0:
            by_station.setdefault(stations[o], []).append((start, key[0], o))
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
    """A schedule at least as short as `placed` (a feasible schedule of a problem that `is_job_shop`):
    tabu search from its stations and machine sequences until `stop_at` (a `time.monotonic()`
    value), `max_iterations` moves, a schedule as short as `lower_bound`, `patience` moves in
    a row without a better schedule, or `cancel` being set; the best schedule seen, semi-active
    (every operation at its head). The stops other than the clock and `cancel` count moves, so
    under a fixed seed and without `cancel` the result does not depend on the machine's speed.

    Moves: N5 swaps on one critical path, each priced by Taillard's estimate, and for a
    flexible problem every critical operation moved to another of its stations at a safe place.
    Tabu list: a swapped pair may not be swapped back, nor an operation return to the station it
    left, for a tenure drawn around 10 + jobs/machines moves, unless that would beat the best;
    when every move is tabu, a random one is made. After a stretch without improvement
    (`stall_moves`, counted from the stretch's best) the search restarts from a path-relinked
    schedule: the best schedule of each stretch goes into an elite pool (`_ELITE` distinct
    schedules, the longest replaced), and the restart walks from one pool schedule towards
    another (`_relink`); from the best schedule while the pool holds one. On training job shops
    at 5 s the search alone ended shorter than with restarts from the best in 18 of 30 runs on
    20x15 and 20x20 and longer in 6, on random flexible 20x10 ones in 5 of 8 and longer in 1
    (docs/measurements_log.md, "Restarts path-relinked"). Not better, and so not kept: restarts
    kicked away from the best by random moves, independent restarts, starts from other dispatching
    rules, N6 moves (docs/measurements_log.md)."""
    g = _Graph.of(problem)
    stations, sequences = _sequences(g, placed)
    state = _State(g, stations, sequences)
    n = len(g.keys)
    n_machines = max(1, len(sequences))
    base_tenure = 10 + len(problem.jobs) // n_machines
    flexible = int(any(g.option_start[o + 1] - g.option_start[o] > 1 for o in range(n)))
    params = np.array([-1 if max_iterations is None else max_iterations, lower_bound,
                       -1 if patience is None else patience, stall_moves(n), base_tenure, flexible], dtype=np.int64)
    best = state.st[:_SAVED].copy()
    state.sc[_BEST] = state.sc[_PHASE_BEST] = state.sc[_MAKESPAN]
    phase_best = best.copy()
    elite = np.zeros((_ELITE, _SAVED, n), dtype=np.int64)
    elite_makespans = np.zeros(_ELITE, dtype=np.int64)
    rng_state = _rng(seed)
    tabu = _tabu_table(base_tenure)
    found = np.empty((_SLICE, 2), dtype=np.int64)
    improvements: list[tuple[int, int]] = []
    moves = 64  # the slice grows while it takes under 5 ms
    while True:
        if time.monotonic() > stop_at:
            stopped = "clock"
            break
        if cancel is not None and cancel.is_set():
            stopped = "cancelled"
            break
        began = time.monotonic()
        code, count = _search(g.chains, g.option_start, g.options, g.lasts, g.ticks, state.st, best, state.sc,
                              rng_state, tabu, params, found, moves, phase_best, elite, elite_makespans)
        improvements += [(int(i), int(m)) for i, m in found[:count]]
        if code:
            stopped = _STOPS[code]
            break
        if time.monotonic() - began < 0.005:
            moves = min(_SLICE, 2 * moves)
    state.st[:_SAVED] = best
    state.evaluate()
    heads, on = state.st[HEAD].tolist(), state.st[STATION].tolist()
    return Result({key: (g.names[on[o]], 0, heads[o]) for o, key in enumerate(g.keys)},
                  int(state.sc[_BEST]), int(state.sc[_ITERATION]), stopped, tuple(improvements))


def warm_up() -> None:
    """Loads the compiled loop, compiling it first on a fresh install (about 15 s; the
    Makefile's set-up calls this so that no first schedule pays it inside its time limit)."""
    jobs = tuple(Job(f"J{i}", (Operation("o", (Alternative("A", 1 + i), Alternative("B", 2))),), product="p",
                     family="p") for i in range(3))
    problem = SchedulingProblem(jobs=jobs, capacities={"A": 1, "B": 1})
    improve(problem, {(i, 0): ("A", 0, sum(range(1, i + 1))) for i in range(3)}, stop_at=float("inf"),
            max_iterations=10)


def stall_moves(n_operations: int) -> int:
    """Moves without a better schedule after which the search restarts from its best: 20 per
    operation. With 2 per operation (before) it restarted about every 450 moves on a 15x15 and
    ended worse: at 30,000 moves on twelve training 15x15 runs (Taillard seeds 101-106, search
    seeds 0 and 1) a mean makespan of 1,216.0 against 1,207.1, and on 20x15 and 20x20 ones
    1,429 against 1,409 and 1,683 against 1,660; 40 per operation or none did no better."""
    return max(200, 20 * n_operations)


def _tabu_table(base_tenure: int) -> np.ndarray:
    """An empty tabu table: an open-addressing hash table (row 0 the keys, -1 for a free slot,
    row 1 the move until which each is tabu). Entries whose tenure is over are dropped when it
    is half full; at most one entry a move is added and a tenure lasts at most 1.5 x base_tenure
    moves, so in a table of at least 16 x (base_tenure + 2) slots live entries fill under a tenth."""
    size = 1 << max(6, int(16 * (base_tenure + 2)).bit_length())
    return np.stack([np.full(size, -1, dtype=np.int64), np.zeros(size, dtype=np.int64)])


def _rng(seed: int) -> np.ndarray:
    """The state of the loop's xorshift generator (never zero), from the seed."""
    x = (seed * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) % (1 << 64)
    return np.array([x or 1], dtype=np.uint64)


# --------------------------------------------------------------------------------------------
# the compiled loop


@njit(cache=True, nogil=True)
def _below(rng_state: np.ndarray, k: int) -> int:
    """A random integer in [0, k) (xorshift64*)."""
    x = rng_state[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    rng_state[0] = x
    return np.int64((x * np.uint64(2685821657736338717)) >> np.uint64(33)) % k


@njit(cache=True, nogil=True)
def _slot(tabu: np.ndarray, key: int) -> int:
    """The slot of `key` in the tabu table, or the free slot where it would go."""
    mask = tabu.shape[1] - 1
    i = (key * 0x5851F42D4C957F2D) & mask
    while tabu[0, i] != -1 and tabu[0, i] != key:
        i = (i + 1) & mask
    return i


@njit(cache=True, nogil=True)
def _tabu_until(tabu: np.ndarray, key: int) -> int:
    """The move until which `key` is tabu (0: never made tabu, or dropped since)."""
    i = _slot(tabu, key)
    return tabu[1, i] if tabu[0, i] == key else 0


@njit(cache=True, nogil=True)
def _clear_tabu(tabu: np.ndarray, sc: np.ndarray) -> None:
    tabu[0, :] = -1
    tabu[1, :] = 0
    sc[_TABU_USED] = 0


@njit(cache=True, nogil=True)
def _make_tabu(tabu: np.ndarray, sc: np.ndarray, key: int, until: int) -> None:
    """`key` tabu until move `until`; a half-full table first drops the entries that have run out."""
    if 2 * sc[_TABU_USED] >= tabu.shape[1]:
        live = tabu[:, tabu[1] > sc[_ITERATION]].copy()
        _clear_tabu(tabu, sc)
        for j in range(live.shape[1]):
            tabu[:, _slot(tabu, live[0, j])] = live[:, j]
        sc[_TABU_USED] = live.shape[1]
    i = _slot(tabu, key)
    if tabu[0, i] != key:
        tabu[0, i] = key
        sc[_TABU_USED] += 1
    tabu[1, i] = until


@njit(cache=True, nogil=True)
def _option(option_start: np.ndarray, options: np.ndarray, o: int, station: int) -> int:
    """The column of operation o's option on `station`, -1 if it may not run there."""
    for k in range(option_start[o], option_start[o + 1]):
        if options[0, k] == station:
            return k
    return -1


@njit(cache=True, nogil=True)
def _evaluate(chains: np.ndarray, st: np.ndarray, sc: np.ndarray) -> bool:
    """Heads and tails by one topological pass each (Kahn); False on a cycle. The order is kept
    sorted by head (ties in Kahn's order, which keeps a zero-length operation before its
    successor): the operations between two neighbours on a machine are then few, which keeps
    `_evaluate_swap`'s re-sorted stretch short."""
    n = st.shape[1]
    job_prev, job_next = chains[0], chains[1]
    mprev, mnext, dur, lag, head = st[MPREV], st[MNEXT], st[DUR], st[LAG], st[HEAD]
    indeg, stack, order, pos = st[INDEG], st[STACK], st[ORDER], st[POS]
    top = 0
    for o in range(n):
        indeg[o] = (1 if job_prev[o] >= 0 else 0) + (1 if mprev[o] >= 0 else 0)
        head[o] = st[REL, o]
        if indeg[o] == 0:
            stack[top] = o
            top += 1
    count = 0
    while top > 0:
        top -= 1
        o = stack[top]
        order[count] = o
        count += 1
        end = head[o] + dur[o]
        s = job_next[o]
        if s >= 0:
            if end + lag[o] > head[s]:
                head[s] = end + lag[o]
            indeg[s] -= 1
            if indeg[s] == 0:
                stack[top] = s
                top += 1
        s = mnext[o]
        if s >= 0:
            if end > head[s]:
                head[s] = end
            indeg[s] -= 1
            if indeg[s] == 0:
                stack[top] = s
                top += 1
    if count < n:
        return False
    makespan = 0
    keys = np.empty(n, dtype=np.int64)
    for i in range(n):
        keys[i] = head[order[i]]
        if head[i] + dur[i] > makespan:
            makespan = head[i] + dur[i]
    sorted_order = order[np.argsort(keys, kind="mergesort")]
    for i in range(n):
        order[i] = sorted_order[i]
        pos[sorted_order[i]] = i
        st[MARK, i] = 0
        st[TAIL, i] = 0
    sc[_STAMP] = 0
    sc[_MAKESPAN] = makespan
    if n:
        _update(chains, st, sc, n - 1, -1, -1, -1, False, True)
    return True


@njit(cache=True, nogil=True)
def _evaluate_swap(chains: np.ndarray, lasts: np.ndarray, st: np.ndarray, sc: np.ndarray, u: int, v: int) -> bool:
    """Heads and tails after `_swap(u, v)` without a full pass: only the stretch of the
    topological order from u to v is re-sorted (edges from outside it keep their direction),
    heads are recomputed from u's old place on and tails up to v's; False on a cycle, with the
    order untouched (the caller swaps back and calls `_evaluate`)."""
    job_prev, job_next = chains[0], chains[1]
    mprev, mnext, order, pos = st[MPREV], st[MNEXT], st[ORDER], st[POS]
    indeg, stack, work = st[INDEG], st[STACK], st[WORK]
    pu, pv = pos[u], pos[v]
    for i in range(pu, pv + 1):
        o = order[i]
        p, q = job_prev[o], mprev[o]
        indeg[o] = (1 if p >= 0 and pu <= pos[p] <= pv else 0) + (1 if q >= 0 and pu <= pos[q] <= pv else 0)
    top = 0
    for i in range(pv, pu - 1, -1):  # the ready ones leave in the stretch's order
        if indeg[order[i]] == 0:
            stack[top] = order[i]
            top += 1
    count = 0
    while top > 0:
        top -= 1
        o = stack[top]
        work[count] = o
        count += 1
        for s in (job_next[o], mnext[o]):
            if s >= 0 and pu <= pos[s] <= pv:
                indeg[s] -= 1
                if indeg[s] == 0:
                    stack[top] = s
                    top += 1
    if count < pv - pu + 1:
        return False
    for i in range(count):
        order[pu + i] = work[i]
        pos[work[i]] = pu + i
    _update(chains, st, sc, pu, v, u, mnext[u], True, False)
    _update(chains, st, sc, pv, u, v, mprev[v], False, False)
    makespan = 0
    for o in lasts:
        if st[HEAD, o] + st[DUR, o] > makespan:
            makespan = st[HEAD, o] + st[DUR, o]
    sc[_MAKESPAN] = makespan
    return True


@njit(cache=True, nogil=True)
def _update(chains: np.ndarray, st: np.ndarray, sc: np.ndarray, start: int, s1: int, s2: int, s3: int,
            forward: bool, every: bool) -> None:
    """Heads (forward, from place `start` of the topological order on) or tails (backward,
    from `start` down) after the arcs at s1, s2, s3 (-1: none) changed, or at `every`
    operation: an operation's value is recomputed only when it is a seed or a predecessor's
    head (successor's tail) changed, and the pass ends when no such operation is left. After a
    swap on a 15x15 job shop about 70 of the 110 heads from u's place on change (and as many
    tails); skipping the rest made 5-7 % more moves per CPU-second in Python."""
    job_prev, job_next = chains[0], chains[1]
    order, mark, dur, lag, release = st[ORDER], st[MARK], st[DUR], st[LAG], st[REL]
    mprev, mnext = st[MPREV], st[MNEXT]
    values = st[HEAD] if forward else st[TAIL]
    job_on = job_next if forward else job_prev
    machine_on = mnext if forward else mprev
    step = 1 if forward else -1
    sc[_STAMP] += 1
    stamp = sc[_STAMP]
    pending = 0
    if every:
        for o in range(st.shape[1]):
            mark[o] = stamp
        pending = st.shape[1]
    else:
        for o in (s1, s2, s3):
            if o >= 0 and mark[o] != stamp:
                mark[o] = stamp
                pending += 1
    i = start
    while pending > 0:
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


@njit(cache=True, nogil=True)
def _swap(st: np.ndarray, u: int, v: int) -> None:
    """u directly before v on their machine becomes v directly before u."""
    mprev, mnext = st[MPREV], st[MNEXT]
    a, b = mprev[u], mnext[v]
    if a >= 0:
        mnext[a] = v
    if b >= 0:
        mprev[b] = u
    mprev[v], mnext[v] = a, u
    mprev[u], mnext[u] = v, b


@njit(cache=True, nogil=True)
def _reassign(chains: np.ndarray, option_start: np.ndarray, options: np.ndarray, ticks: np.ndarray, st: np.ndarray,
              o: int, station: int, a: int, b: int) -> tuple[int, int, int]:
    """Operation o (of non-zero length) moves to `station` between a and b (-1: an end of its
    sequence); returns where it was (station, predecessor, successor), for undoing."""
    mprev, mnext = st[MPREV], st[MNEXT]
    old, p, s = st[STATION, o], mprev[o], mnext[o]
    if p >= 0:
        mnext[p] = s
    if s >= 0:
        mprev[s] = p
    mprev[o], mnext[o] = a, b
    if a >= 0:
        mnext[a] = o
    if b >= 0:
        mprev[b] = o
    st[STATION, o] = station
    k = _option(option_start, options, o, station)
    st[DUR, o], st[REL, o] = options[1, k], options[2, k]
    nxt, prv = chains[1, o], chains[0, o]
    if nxt >= 0:
        st[LAG, o] = ticks[station, st[STATION, nxt]]
    if prv >= 0:
        st[LAG, prv] = ticks[st[STATION, prv], station]
    return old, p, s


@njit(cache=True, nogil=True)
def _critical_swaps(chains: np.ndarray, lasts: np.ndarray, st: np.ndarray, sc: np.ndarray, rng_state: np.ndarray,
                    path: np.ndarray, starts: np.ndarray, pairs: np.ndarray) -> tuple[int, int]:
    """One critical path into `path`, traced back from an operation that ends at the makespan
    (where both the machine and the job predecessor are critical, the machine one: longer
    blocks, more moves), and its N5 swaps into `pairs`: in every block (a maximal run of
    consecutive operations on one machine) of two or more, its first two operations (except in
    the path's first block) and its last two (except in the last block). Returns the number of
    swaps and the path's length."""
    job_prev = chains[0]
    head, dur, lag, mprev = st[HEAD], st[DUR], st[LAG], st[MPREV]
    makespan = sc[_MAKESPAN]
    ends = 0
    for o in lasts:
        if head[o] + dur[o] == makespan:
            ends += 1
    if ends == 0:
        return 0, 0
    pick = _below(rng_state, ends)
    o = -1
    for e in lasts:
        if head[e] + dur[e] == makespan:
            if pick == 0:
                o = e
                break
            pick -= 1
    length = 0
    path[length] = o
    length += 1
    while True:
        p = mprev[o]
        if p >= 0 and head[p] + dur[p] == head[o]:
            o = p
        else:
            p = job_prev[o]
            if p >= 0 and head[p] + dur[p] + lag[p] == head[o]:
                o = p
            else:
                break
        path[length] = o
        length += 1
    path[:length] = path[:length][::-1].copy()
    blocks = 0
    for i in range(length):
        if not (i > 0 and mprev[path[i]] == path[i - 1] and dur[path[i]] > 0):
            starts[blocks] = i
            blocks += 1
    starts[blocks] = length
    count = 0
    for b in range(blocks):
        first, end = starts[b], starts[b + 1]
        size = end - first
        if size < 2:
            continue
        if b > 0:
            pairs[count, 0], pairs[count, 1] = path[first], path[first + 1]
            count += 1
        if b < blocks - 1 and (size > 2 or b == 0):
            pairs[count, 0], pairs[count, 1] = path[end - 2], path[end - 1]
            count += 1
    return count, length


@njit(cache=True, nogil=True)
def _estimate(chains: np.ndarray, st: np.ndarray, u: int, v: int) -> int:
    """Taillard's estimate of the makespan after swapping u and v (u directly before v): the
    longest path through the two after the swap, from unchanged heads and tails."""
    job_prev, job_next = chains[0], chains[1]
    head, tail, dur, lag, release = st[HEAD], st[TAIL], st[DUR], st[LAG], st[REL]
    a, b = st[MPREV, u], st[MNEXT, v]
    rv = release[v]
    p = job_prev[v]
    if p >= 0:
        rv = max(rv, head[p] + dur[p] + lag[p])
    if a >= 0:
        rv = max(rv, head[a] + dur[a])
    ru = release[u]
    p = job_prev[u]
    if p >= 0:
        ru = max(ru, head[p] + dur[p] + lag[p])
    ru = max(ru, rv + dur[v])
    qu = 0
    s = job_next[u]
    if s >= 0:
        qu = tail[s] + dur[s] + lag[u]
    if b >= 0:
        qu = max(qu, tail[b] + dur[b])
    qv = 0
    s = job_next[v]
    if s >= 0:
        qv = tail[s] + dur[s] + lag[v]
    qv = max(qv, qu + dur[u])
    return max(rv + dur[v] + qv, ru + dur[u] + qu)


@njit(cache=True, nogil=True)
def _by_station(st: np.ndarray, n_stations: int, seq_start: np.ndarray, seq: np.ndarray) -> None:
    """Each station's operations of non-zero length sorted by head, station s's in
    seq[seq_start[s]:seq_start[s + 1]] (for the moves of one path: heads do not change while
    moves are priced)."""
    n = st.shape[1]
    keys = np.empty(n, dtype=np.int64)
    for o in range(n):
        keys[o] = st[HEAD, o]
    seq_start[:] = 0
    for o in range(n):
        if st[DUR, o] > 0:
            seq_start[st[STATION, o] + 1] += 1
    for s in range(n_stations):
        seq_start[s + 1] += seq_start[s]
    fill = seq_start[:n_stations].copy()
    for o in np.argsort(keys, kind="mergesort"):
        if st[DUR, o] > 0:
            seq[fill[st[STATION, o]]] = o
            fill[st[STATION, o]] += 1


@njit(cache=True, nogil=True)
def _relink(chains: np.ndarray, option_start: np.ndarray, options: np.ndarray, ticks: np.ndarray, st: np.ndarray,
            sc: np.ndarray, guide: np.ndarray, rng_state: np.ndarray, out: np.ndarray,
            share_from: float = _RELINK_FROM, share_to: float = _RELINK_TO) -> int:
    """A walk from the schedule in `st` (its saved rows) towards `guide` (the saved rows of another
    schedule): each step takes, on one station, the operation the guide has at the first place
    where the station's two sequences differ and moves it there, from later in the sequence or
    from another station (the stretch from each sequence's start where the two agree grows by
    one); of the stations' steps that make no cycle, the one giving the shortest schedule (ties
    by a coin). The walk makes as many steps as `share_to` of the guide's places that differ at
    the start; the shortest schedule from `share_from` of them on goes into `out` (saved rows)
    and its makespan is returned, -1 if the walk ended before that (at the guide, or with no
    step left that makes no cycle); `st` is left at the walk's end, evaluated.
    Why: a restart between two good schedules keeps what they share and leaves the region the
    last stretch of the search explored (Peng, Lu and Cheng's TS/PR for the job shop, 2015)."""
    n = st.shape[1]
    n_stations = ticks.shape[0]
    seq_start, seq = np.empty(n_stations + 1, dtype=np.int64), np.empty(n, dtype=np.int64)
    guide_start, guide_seq = np.empty(n_stations + 1, dtype=np.int64), np.empty(n, dtype=np.int64)
    other = st.copy()
    other[:_SAVED] = guide
    _evaluate(chains, other, sc)
    _by_station(other, n_stations, guide_start, guide_seq)
    _evaluate(chains, st, sc)
    _by_station(st, n_stations, seq_start, seq)
    differing = 0
    for s in range(n_stations):
        for i in range(guide_start[s + 1] - guide_start[s]):
            differing += _differs(seq_start, seq, guide_start, guide_seq, s, i)
    first_step = max(1, int(share_from * differing))
    last_step = max(first_step, int(share_to * differing))
    best = -1
    for step in range(1, last_step + 1):
        pick, pick_makespan, ties, pick_x, pick_a, pick_b = -1, 0, 0, 0, 0, 0
        for s in range(n_stations):
            i = _first_difference(seq_start, seq, guide_start, guide_seq, s)
            if i < 0:
                continue
            x = guide_seq[guide_start[s] + i]
            b = seq[seq_start[s] + i] if seq_start[s] + i < seq_start[s + 1] else -1
            a = seq[seq_start[s] + i - 1] if i > 0 else -1  # the places before i agree
            old, p, q = _reassign(chains, option_start, options, ticks, st, x, s, a, b)
            feasible = _evaluate(chains, st, sc)
            _reassign(chains, option_start, options, ticks, st, x, old, p, q)
            if feasible and (pick < 0 or sc[_MAKESPAN] < pick_makespan):
                pick, pick_makespan, ties, pick_x, pick_a, pick_b = s, sc[_MAKESPAN], 1, x, a, b
            elif feasible and sc[_MAKESPAN] == pick_makespan:
                ties += 1
                if _below(rng_state, ties) == 0:
                    pick, pick_x, pick_a, pick_b = s, x, a, b
        if pick < 0:
            break
        _reassign(chains, option_start, options, ticks, st, pick_x, pick, pick_a, pick_b)
        _evaluate(chains, st, sc)
        _by_station(st, n_stations, seq_start, seq)
        if step >= first_step and (best < 0 or pick_makespan < best):
            best = pick_makespan
            out[:, :] = st[:_SAVED]
    _evaluate(chains, st, sc)
    return best


@njit(cache=True, nogil=True)
def _differs(seq_start: np.ndarray, seq: np.ndarray, guide_start: np.ndarray, guide_seq: np.ndarray, s: int,
             i: int) -> bool:
    """At place i of station s's guide sequence the other sequence holds another operation or has ended."""
    return i >= seq_start[s + 1] - seq_start[s] or seq[seq_start[s] + i] != guide_seq[guide_start[s] + i]


@njit(cache=True, nogil=True)
def _first_difference(seq_start: np.ndarray, seq: np.ndarray, guide_start: np.ndarray, guide_seq: np.ndarray,
                      s: int) -> int:
    """The first place of station s's guide sequence that `_differs`; -1 where there is none."""
    for i in range(guide_start[s + 1] - guide_start[s]):
        if _differs(seq_start, seq, guide_start, guide_seq, s, i):
            return i
    return -1


@njit(cache=True, nogil=True)
def _add_elite(elite: np.ndarray, makespans: np.ndarray, count: int, schedule: np.ndarray, makespan: int) -> int:
    """`schedule` (saved rows) into the elite pool of `count` schedules, unless the same sequences
    are there already; into a full pool only in place of its longest, when shorter. Returns the
    new count."""
    for e in range(count):
        if makespans[e] == makespan and np.array_equal(elite[e, MNEXT], schedule[MNEXT]) and np.array_equal(
                elite[e, STATION], schedule[STATION]):
            return count
    if count < elite.shape[0]:
        elite[count] = schedule
        makespans[count] = makespan
        return count + 1
    worst = np.argmax(makespans)
    if makespan < makespans[worst]:
        elite[worst] = schedule
        makespans[worst] = makespan
    return count


@njit(cache=True, nogil=True)
def _search(chains: np.ndarray, option_start: np.ndarray, options: np.ndarray, lasts: np.ndarray, ticks: np.ndarray,
            st: np.ndarray, best: np.ndarray, sc: np.ndarray, rng_state: np.ndarray, tabu: np.ndarray, params: np.ndarray,
            found: np.ndarray, moves: int, phase_best: np.ndarray, elite: np.ndarray,
            elite_makespans: np.ndarray) -> tuple[int, int]:
    """Up to `moves` moves of the tabu search (see `improve`); returns why it stopped (0: the
    moves are made, go on) and how many new bests it wrote to `found` (iteration, makespan).
    `phase_best` holds the best schedule of the stretch since the last restart, `elite` the pool
    the restarts relink between.
    Tabu keys: a swap by its pair (lower * n + higher), a station move by n * n + operation *
    stations + station."""
    n = st.shape[1]
    n_stations = ticks.shape[0]
    max_iterations, lower_bound, patience, stall_limit, base_tenure, flexible = (
        params[0], params[1], params[2], params[3], params[4], params[5])
    job_prev, job_next = chains[0], chains[1]
    head, tail, dur, station = st[HEAD], st[TAIL], st[DUR], st[STATION]
    path = np.empty(n + 1, dtype=np.int64)
    starts = np.empty(n + 1, dtype=np.int64)
    pairs = np.empty((2 * n + 2, 2), dtype=np.int64)
    seq_start = np.empty(n_stations + 1, dtype=np.int64)
    seq = np.empty(n, dtype=np.int64)
    made = 0
    count = 0
    while True:
        iteration = sc[_ITERATION]
        if 0 <= max_iterations <= iteration:
            return 1, count
        if sc[_BEST] <= lower_bound:
            return 2, count  # optimal
        if 0 <= patience <= sc[_SINCE_BEST]:
            return 3, count
        if made >= moves:
            return 0, count
        made += 1
        iteration += 1
        sc[_ITERATION] = iteration
        sc[_SINCE_BEST] += 1
        best_makespan = sc[_BEST]
        swaps, length = _critical_swaps(chains, lasts, st, sc, rng_state, path, starts, pairs)
        # the best move that is not tabu (or beats the best), ties broken by a coin; and a
        # random move of all, for when every move is tabu
        kind, value, x1, x2, x3, x4 = -1, 0, 0, 0, 0, 0
        any_kind, a1, a2, a3, a4 = -1, 0, 0, 0, 0
        total = 0
        for i in range(swaps):
            u, v = pairs[i, 0], pairs[i, 1]
            estimate = _estimate(chains, st, u, v)
            total += 1
            if _below(rng_state, total) == 0:
                any_kind, a1, a2 = 0, u, v
            if _tabu_until(tabu, min(u, v) * n + max(u, v)) > iteration and estimate >= best_makespan:
                continue
            if kind < 0 or estimate < value or (estimate == value and _below(rng_state, 2) == 0):
                kind, value, x1, x2 = 0, estimate, u, v
        if flexible:
            sorted_stations = False
            for i in range(length):
                o = path[i]
                if dur[o] == 0:
                    continue
                jp, js = job_prev[o], job_next[o]
                for k in range(option_start[o], option_start[o + 1]):
                    s, duration = options[0, k], options[1, k]
                    if s == station[o] or duration == 0:
                        continue
                    if not sorted_stations:
                        _by_station(st, n_stations, seq_start, seq)
                        sorted_stations = True
                    r0 = options[2, k]
                    if jp >= 0:
                        r0 = max(r0, head[jp] + dur[jp] + ticks[station[jp], s])
                    q0 = tail[js] + dur[js] + ticks[s, station[js]] if js >= 0 else 0
                    key = n * n + o * n_stations + s
                    is_tabu = _tabu_until(tabu, key) > iteration
                    # every place in s's sequence that cannot make a cycle: the operation before
                    # it ends by the time o's job successor starts, and the one after it starts,
                    # counted from the end, no earlier than o's job predecessor's tail allows
                    first, end = seq_start[s], seq_start[s + 1]
                    for place in range(first, end + 1):
                        a = seq[place - 1] if place > first else -1
                        b = seq[place] if place < end else -1
                        if a >= 0 and js >= 0 and head[a] + dur[a] > head[js]:
                            break  # every later place is after a as well
                        if b >= 0 and jp >= 0 and dur[b] + tail[b] > tail[jp]:
                            continue
                        r = max(r0, head[a] + dur[a]) if a >= 0 else r0
                        q = max(q0, tail[b] + dur[b]) if b >= 0 else q0
                        estimate = r + duration + q
                        total += 1
                        if _below(rng_state, total) == 0:
                            any_kind, a1, a2, a3, a4 = 1, o, s, a, b
                        if is_tabu and estimate >= best_makespan:
                            continue
                        if kind < 0 or estimate < value or (estimate == value and _below(rng_state, 2) == 0):
                            kind, value, x1, x2, x3, x4 = 1, estimate, o, s, a, b
        if total == 0:
            return 4, count  # no swap or move on this path: nothing here to change
        if kind < 0:
            kind, x1, x2, x3, x4 = any_kind, a1, a2, a3, a4
        tenure = base_tenure + _below(rng_state, base_tenure // 2 + 1)
        if kind == 0:
            u, v = x1, x2
            _swap(st, u, v)
            if not _evaluate_swap(chains, lasts, st, sc, u, v):  # through zero-length operations: forbidden
                _swap(st, v, u)
                _evaluate(chains, st, sc)
                _make_tabu(tabu, sc, min(u, v) * n + max(u, v), iteration + base_tenure)
                continue
            _make_tabu(tabu, sc, min(u, v) * n + max(u, v), iteration + tenure)
        else:
            o = x1
            old, p, s = _reassign(chains, option_start, options, ticks, st, o, x2, x3, x4)
            if not _evaluate(chains, st, sc):
                _reassign(chains, option_start, options, ticks, st, o, old, p, s)
                _evaluate(chains, st, sc)
                _make_tabu(tabu, sc, n * n + o * n_stations + x2, iteration + base_tenure)
                continue
            _make_tabu(tabu, sc, n * n + o * n_stations + old, iteration + tenure)  # o may not go back there
        if sc[_MAKESPAN] < sc[_PHASE_BEST]:  # a new best of the stretch (a new best overall is one too)
            sc[_PHASE_BEST] = sc[_MAKESPAN]
            phase_best[:, :] = st[:_SAVED]
            sc[_STALL] = 0
            if sc[_MAKESPAN] < best_makespan:
                sc[_BEST] = sc[_MAKESPAN]
                sc[_SINCE_BEST] = 0
                best[:, :] = st[:_SAVED]
                found[count, 0], found[count, 1] = iteration, sc[_MAKESPAN]
                count += 1
        else:
            sc[_STALL] += 1
            if sc[_STALL] >= stall_limit:
                sc[_ELITE_COUNT] = _add_elite(elite, elite_makespans, sc[_ELITE_COUNT], phase_best, sc[_PHASE_BEST])
                if sc[_ELITE_COUNT] >= 2:
                    e1 = _below(rng_state, sc[_ELITE_COUNT])
                    e2 = (e1 + 1 + _below(rng_state, sc[_ELITE_COUNT] - 1)) % sc[_ELITE_COUNT]
                    st[:_SAVED] = elite[e1]
                    if _relink(chains, option_start, options, ticks, st, sc, elite[e2], rng_state, phase_best) < 0:
                        phase_best[:, :] = elite[e1]
                    st[:_SAVED] = phase_best
                else:
                    st[:_SAVED] = best
                _evaluate(chains, st, sc)
                # the next stretch's best is a schedule it moves to, not its start: after a restart
                # from the best, the pool still gains another schedule
                sc[_PHASE_BEST] = _UNSET
                _clear_tabu(tabu, sc)
                sc[_STALL] = 0
