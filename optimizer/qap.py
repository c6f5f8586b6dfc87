"""Slot assignment as a quadratic assignment problem (QAP), solved by robust tabu search.

The layout search places stations on candidate slots so that material flow x travel distance
is small. With flow matrix A (facilities) and distance matrix B (locations), a placement is a
permutation p (facility i sits at location p[i]) and costs

    cost(p) = sum_ij A[i, j] * B[p[i], p[j]].

`solve_qap` is a robust tabu search in the style of Taillard (1991): swap moves picked from a
full table of swap deltas (each move evaluated in O(1), the table updated in O(n^2) per move),
random tabu tenure, aspiration by objective and by time, and restarts from the best layout
kicked by a growing number of random swaps when the search stalls (iterated tabu search). The
move loop is compiled with numba: in numpy each move cost about 6x more (n = 20), in plain
Python far more.
`read_qaplib` and `bench_instances` serve `factory-twin bench qap`.

Why one file of about 540 lines: the compiled kernels and their driver share private array
layouts (the delta table, the move lists, the tabu matrix) that no other module should see;
the reader is kept beside them because the benchmark is how the kernels are judged.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
from numba import njit

from twin.errors import InputError

__all__ = ["QapInstance", "QapResult", "read_qaplib", "qap_cost", "solve_qap", "bench_instances"]

# Search rhythm, in units of k^2 moves (k = movable facilities): aspiration by time (Taillard
# used 5) and the stall length that triggers a restart.
_ASPIRATION = 5
_STALL = 5


@dataclass(frozen=True, eq=False)
class QapInstance:
    """One QAPLIB instance: flow between facilities and distance between locations (int64)."""

    name: str
    flow: np.ndarray
    dist: np.ndarray

    @property
    def n(self) -> int:
        return int(self.flow.shape[0])


@dataclass(frozen=True, eq=False)
class QapResult:
    """The best placement found: perm[i] is the location of facility i (real facilities only)."""

    perm: np.ndarray
    cost: int | float
    seconds: float
    iterations: int
    restarts: int


# --------------------------------------------------------------------------------------------
# reading and checking


def read_qaplib(path: str | Path) -> QapInstance:
    """Read a QAPLIB file: `n`, then the n x n flow matrix, then the n x n distance matrix.

    Every problem raises `InputError` naming the file and what is wrong, so the command line
    can print one line instead of a traceback.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a QAPLIB file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    tokens = text.split()
    if not tokens:
        raise InputError(f"{path}: empty file, expected n then two n x n matrices")
    values: list[int] = []
    for index, token in enumerate(tokens, start=1):
        try:
            values.append(int(token))
        except ValueError:
            raise InputError(f"{path}: number {index} ({token!r}) is not an integer") from None
    n = values[0]
    if n <= 0:
        raise InputError(f"{path}: n must be a positive integer, got {n}")
    expected = 1 + 2 * n * n
    if len(values) != expected:
        raise InputError(
            f"{path}: expected {expected} numbers (n={n}, then two {n}x{n} matrices), found {len(values)}"
        )
    data = np.array(values[1:], dtype=np.int64)
    flow = data[: n * n].reshape(n, n)
    dist = data[n * n :].reshape(n, n)
    flow.flags.writeable = False
    dist.flags.writeable = False
    return QapInstance(name=path.stem, flow=flow, dist=dist)


def qap_cost(flow: np.ndarray, dist: np.ndarray, perm: np.ndarray | Iterable[int]) -> int | float:
    """Recompute sum_ij flow[i, j] * dist[perm[i], perm[j]] from scratch.

    Deliberately independent of the search (no deltas), so benchmarks and tests check the
    solver's answer rather than trusting its running total.
    """
    flow = np.asarray(flow)
    dist = np.asarray(dist)
    perm = np.asarray(perm, dtype=np.int64)
    n = flow.shape[0]
    if flow.shape != (n, n) or perm.shape != (n,):
        raise ValueError(f"flow must be n x n and perm of length n (n={n}), got {flow.shape} and {perm.shape}")
    if dist.ndim != 2 or dist.shape[0] != dist.shape[1] or dist.shape[0] < n:
        raise ValueError(f"dist must be m x m with m >= {n}, got {dist.shape}")
    if len(set(perm.tolist())) != n or perm.min(initial=0) < 0 or perm.max(initial=0) >= dist.shape[0]:
        raise ValueError("perm must assign distinct locations in range")
    total = (flow * dist[np.ix_(perm, perm)]).sum()
    return int(total) if np.issubdtype(total.dtype, np.integer) else float(total)


# --------------------------------------------------------------------------------------------
# swap deltas and the search loop, compiled (numba): the loop makes ~10^5-10^7 moves a second,
# which numpy cannot do at n ~ 20-60 where each call costs more than the arithmetic


@njit(cache=True)
def _swap_delta(a: np.ndarray, b: np.ndarray, p: np.ndarray, r: int, s: int) -> float:
    """Cost change of swapping the locations of facilities r and s (Taillard's formula, O(m))."""
    pr, ps = p[r], p[s]
    d = (a[r, r] - a[s, s]) * (b[ps, ps] - b[pr, pr]) + (a[r, s] - a[s, r]) * (b[ps, pr] - b[pr, ps])
    for k in range(p.shape[0]):
        if k != r and k != s:
            pk = p[k]
            d += (a[k, r] - a[k, s]) * (b[pk, ps] - b[pk, pr]) + (a[r, k] - a[s, k]) * (b[ps, pk] - b[pr, pk])
    return d


@njit(cache=True)
def _fill_deltas(a: np.ndarray, b: np.ndarray, p: np.ndarray, mr: np.ndarray, ms: np.ndarray, delta: np.ndarray) -> None:
    """delta[r, s] for every move (r, s), from scratch: O(moves * m)."""
    for i in range(mr.shape[0]):
        delta[mr[i], ms[i]] = _swap_delta(a, b, p, mr[i], ms[i])


@njit(cache=True)
def _update_deltas(
    a: np.ndarray, b: np.ndarray, p: np.ndarray, mr: np.ndarray, ms: np.ndarray, delta: np.ndarray, u: int, v: int
) -> None:
    """Bring delta up to date after facilities u and v swapped (p already swapped): moves that
    share neither facility change by Taillard's O(1) correction, the others are recomputed."""
    pu, pv = p[u], p[v]
    for i in range(mr.shape[0]):
        r, s = mr[i], ms[i]
        if r == u or r == v or s == u or s == v:
            delta[r, s] = _swap_delta(a, b, p, r, s)
        else:
            pr, ps = p[r], p[s]
            delta[r, s] += (a[r, u] - a[r, v] + a[s, v] - a[s, u]) * (b[ps, pu] - b[ps, pv] + b[pr, pv] - b[pr, pu]) + (
                a[u, r] - a[v, r] + a[v, s] - a[u, s]
            ) * (b[pu, ps] - b[pv, ps] + b[pv, pr] - b[pu, pr])


@njit(cache=True)
def _cost(a: np.ndarray, b: np.ndarray, p: np.ndarray) -> float:
    total = 0.0
    for i in range(p.shape[0]):
        for j in range(p.shape[0]):
            total += a[i, j] * b[p[i], p[j]]
    return total


@njit(cache=True)
def _seed_kernel(seed: int) -> None:
    np.random.seed(seed)


@njit(cache=True)
def _kick(p: np.ndarray, movable: np.ndarray, swaps: int) -> None:
    """Random swaps among movable facilities: the restart kick of the iterated search."""
    for _ in range(swaps):
        i = np.random.randint(movable.shape[0])
        j = np.random.randint(movable.shape[0] - 1)
        if j >= i:
            j += 1
        r, s = movable[i], movable[j]
        p[r], p[s] = p[s], p[r]


@njit(cache=True)
def _run_tabu(
    a: np.ndarray,
    b: np.ndarray,
    p: np.ndarray,
    delta: np.ndarray,
    tabu: np.ndarray,
    best_perm: np.ndarray,
    movable: np.ndarray,
    mr: np.ndarray,
    ms: np.ndarray,
    state: np.ndarray,
    costs: np.ndarray,
    stop_at: int,
    goal: float,
    tenure_lo: int,
    tenure_hi: int,
    aspiration: int,
    stall_limit: int,
    eps: float,
    inexact: bool,
) -> int:
    """Robust tabu search moves until iteration `stop_at`, a new best (returns 1) or a best at
    or below `goal` (returns 2); 0 when the iterations ran out. The search state lives in the
    arrays (state = [iteration, last new best, restarts, kick size], costs = [cost, best]) so
    the caller can check the clock and report bests between calls."""
    it, last_best, restarts, kick = state[0], state[1], state[2], state[3]
    cost, best_cost = costs[0], costs[1]
    k = movable.shape[0]
    n_moves = mr.shape[0]
    max_kick = max(3, k // 2)
    code = 0
    while it < stop_at:
        if it - last_best >= stall_limit:
            # restart from the best layout kicked by `kick` random swaps, growing each time it
            # brings nothing new; past half the facilities, from a random layout
            restarts += 1
            last_best = it
            p[:] = best_perm
            if kick > max_kick:
                kick = 2
                for i in range(k - 1, 0, -1):
                    j = np.random.randint(i + 1)
                    r, s = movable[i], movable[j]
                    p[r], p[s] = p[s], p[r]
            else:
                _kick(p, movable, kick)
                kick += 1
            _fill_deltas(a, b, p, mr, ms, delta)
            cost = _cost(a, b, p)
            tabu[:, :] = it
        it += 1
        chosen = -1
        chosen_value = np.inf
        ties = 0
        aspired = False
        improving = best_cost - cost - eps
        for i in range(n_moves):
            r, s = mr[i], ms[i]
            d = delta[r, s]
            tr = tabu[r, p[s]]
            ts = tabu[s, p[r]]
            if tr < it - aspiration or ts < it - aspiration or d < improving:
                if not aspired:  # aspired moves (by time or by a new best) take precedence
                    aspired = True
                    chosen_value = np.inf
            elif aspired or (tr >= it and ts >= it):
                continue  # tabu: both facilities would return to a recent location
            # ties broken uniformly at random (reservoir sampling)
            if d < chosen_value - eps:
                chosen, chosen_value, ties = i, d, 1
            elif d <= chosen_value + eps:
                ties += 1
                if np.random.random() * ties < 1.0:
                    chosen = i
        if chosen < 0:  # every move tabu: take any
            chosen = np.random.randint(n_moves)
        u, v = mr[chosen], ms[chosen]
        loc_u, loc_v = p[u], p[v]
        cost += delta[u, v]
        p[u], p[v] = loc_v, loc_u
        tabu[u, loc_u] = it + np.random.randint(tenure_lo, tenure_hi + 1)
        tabu[v, loc_v] = it + np.random.randint(tenure_lo, tenure_hi + 1)
        if inexact and it % 256 == 0:  # float round-off must not accumulate
            _fill_deltas(a, b, p, mr, ms, delta)
            cost = _cost(a, b, p)
        else:
            _update_deltas(a, b, p, mr, ms, delta, u, v)
        if cost < best_cost - eps:
            cost = _cost(a, b, p)  # exact, no drift
            if cost < best_cost - eps:
                best_cost = cost
                best_perm[:] = p
                last_best = it
                kick = 2
                code = 2 if best_cost <= goal else 1
                break
    state[0], state[1], state[2], state[3] = it, last_best, restarts, kick
    costs[0], costs[1] = cost, best_cost
    return code


# --------------------------------------------------------------------------------------------
# the search


def _as_matrices(flow: np.ndarray, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int, bool]:
    """Check shapes and pad the flow with zero-flow dummy facilities up to the location count.

    Returns (a, b, n, m, integral). Integer data is held in float64, where it stays exact as
    long as every sum is below 2^53, checked here (else it stays int64 for the exact costs and
    the search treats its float copy as inexact).
    """
    flow = np.asarray(flow)
    dist = np.asarray(dist)
    if flow.ndim != 2 or flow.shape[0] != flow.shape[1]:
        raise InputError(f"flow must be a square matrix, got shape {flow.shape}")
    if dist.ndim != 2 or dist.shape[0] != dist.shape[1]:
        raise InputError(f"dist must be a square matrix, got shape {dist.shape}")
    n, m = flow.shape[0], dist.shape[0]
    if m < n:
        raise InputError(f"{n} facilities do not fit on {m} locations")
    integral = all(np.issubdtype(x.dtype, np.integer) or x.dtype == bool for x in (flow, dist))
    if not integral and not (np.isfinite(flow).all() and np.isfinite(dist).all()):
        raise InputError("flow and dist must be finite")
    dtype = np.float64
    if integral and m > 0:
        bound = 16.0 * m * m * float(np.abs(flow).max(initial=0)) * float(np.abs(dist).max(initial=0))
        if bound >= 2.0**53:
            dtype = np.int64
    a = np.zeros((m, m), dtype=dtype)
    a[:n, :n] = flow
    return a, dist.astype(dtype, copy=True), n, m, integral


def _check_fixed(fixed: dict[int, int] | None, n: int, m: int) -> dict[int, int]:
    fixed = dict(fixed or {})
    for facility, location in fixed.items():
        if not 0 <= int(facility) < n:
            raise InputError(f"fixed: facility {facility} is not in 0..{n - 1}")
        if not 0 <= int(location) < m:
            raise InputError(f"fixed: location {location} of facility {facility} is not in 0..{m - 1}")
    if len(set(fixed.values())) != len(fixed):
        raise InputError("fixed: two facilities are pinned to the same location")
    return {int(f): int(loc) for f, loc in fixed.items()}


def _initial_perm(
    initial: np.ndarray | None, fixed: dict[int, int], n: int, m: int, rng: np.random.Generator
) -> np.ndarray:
    """A full permutation of the m locations: fixed facilities pinned, the rest from `initial`
    (real facilities) or random; dummy facilities take the unused locations."""
    perm = np.full(m, -1, dtype=np.int64)
    if initial is not None:
        given = np.asarray(initial, dtype=np.int64)
        if given.shape != (n,):
            raise InputError(f"initial must have one location per facility ({n}), got shape {given.shape}")
        if given.min(initial=0) < 0 or given.max(initial=0) >= m or len(set(given.tolist())) != n:
            raise InputError(f"initial must give distinct locations in 0..{m - 1}")
        for facility, location in fixed.items():
            if given[facility] != location:
                raise InputError(f"initial puts fixed facility {facility} at {given[facility]}, not {location}")
        perm[:n] = given
    else:
        for facility, location in fixed.items():
            perm[facility] = location
    free_locations = np.setdiff1d(np.arange(m), perm[perm >= 0])
    empty = np.flatnonzero(perm < 0)
    perm[empty] = rng.permutation(free_locations)
    return perm


def solve_qap(
    flow: np.ndarray,
    dist: np.ndarray,
    *,
    time_limit: float,
    seed: int = 0,
    fixed: dict[int, int] | None = None,
    initial: np.ndarray | None = None,
    on_solution: Callable[[np.ndarray, float], None] | None = None,
    max_iterations: int | None = None,
    target: float | None = None,
) -> QapResult:
    """Place n facilities on m >= n locations minimising flow x distance (robust tabu search).

    - `fixed` pins facilities to locations; they never move.
    - `initial` (a location per facility) is the starting placement, else a random one.
    - `on_solution(perm, cost)` is called with each new best (perm covers real facilities).
    - Stops at `time_limit` seconds or after `max_iterations` swap moves, whichever first;
      with `max_iterations` (and enough time) the same seed gives the same result.
    - `target` stops the search as soon as a placement costing at most this much is found
      (a known optimum, say: benchmarks measure the time to reach it).
    - The first call in a process loads the compiled search loop (about 0.3 s; on a fresh
      install numba compiles it once, a few seconds) before its clock starts.

    Asymmetric and float matrices work; more locations than facilities are handled by
    zero-flow dummy facilities, whose moves to and from empty slots are ordinary swaps.
    """
    _load_kernel()
    start = time.perf_counter()
    deadline = start + max(0.0, float(time_limit))
    a, b, n, m, integral = _as_matrices(flow, dist)
    fixed = _check_fixed(fixed, n, m)
    rng = np.random.default_rng(seed)
    perm = _initial_perm(initial, fixed, n, m, rng)
    inexact = not integral  # float data: deltas carry round-off, resynchronised now and then

    movable_mask = np.ones(m, dtype=bool)
    movable_mask[list(fixed)] = False
    movable = np.flatnonzero(movable_mask)
    real = np.arange(m) < n
    # a move swaps two movable facilities, at least one of them real (dummy-dummy swaps are no-ops)
    moves = np.triu(np.ones((m, m), dtype=bool), 1)
    moves &= movable_mask[:, None] & movable_mask[None, :]
    moves &= real[:, None] | real[None, :]

    def exact(p: np.ndarray) -> int | float:
        total = (a * b[np.ix_(p, p)]).sum()
        return int(total) if integral else float(total)

    best_perm = perm.copy()
    best_cost = exact(perm)
    if on_solution is not None:
        on_solution(best_perm[:n].copy(), best_cost)
    iterations = 0
    restarts = 0
    limit = max_iterations if max_iterations is not None else np.iinfo(np.int64).max
    goal = -np.inf if target is None else float(target)

    if moves.any() and limit > 0 and best_cost > goal:
        iterations, restarts, best_perm, best_cost = _tabu_search(
            a, b, perm, moves, movable, int(rng.integers(2**31)), deadline, limit, goal, best_perm, best_cost,
            on_solution, n, inexact or a.dtype != np.float64, exact,
        )

    final = best_perm[:n].copy()
    return QapResult(
        perm=final,
        cost=qap_cost(flow, dist, final),
        seconds=time.perf_counter() - start,
        iterations=iterations,
        restarts=restarts,
    )


def _move_lists(moves: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The allowed swaps (r, s) of a boolean move matrix as two index arrays for the kernel."""
    r, s = np.nonzero(moves)
    return np.ascontiguousarray(r, dtype=np.int64), np.ascontiguousarray(s, dtype=np.int64)


_kernel_loaded = False


def _load_kernel() -> None:
    """Compile or load the numba loop once per process on a tiny problem, so that no caller's
    time limit pays for it."""
    global _kernel_loaded
    if _kernel_loaded:
        return
    a = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 3.0, 0.0]])
    start = np.arange(3, dtype=np.int64)
    _tabu_search(
        a, a, start, np.triu(np.ones((3, 3), dtype=bool), 1), start, 0, np.inf, 4, -np.inf, start,
        _cost(a, a, start), None, 3, False, lambda p: _cost(a, a, p),
    )
    _kernel_loaded = True


def _tabu_search(
    a: np.ndarray,
    b: np.ndarray,
    perm: np.ndarray,
    moves: np.ndarray,
    movable: np.ndarray,
    seed: int,
    deadline: float,
    limit: int,
    goal: float,
    best_perm: np.ndarray,
    best_cost: int | float,
    on_solution: Callable[[np.ndarray, float], None] | None,
    n: int,
    inexact: bool,
    exact: Callable[[np.ndarray], int | float],
) -> tuple[int, int, np.ndarray, int | float]:
    """Run the compiled loop in slices of ~10 ms, checking the clock and reporting new bests
    between slices; returns (iterations, restarts, best, cost)."""
    k = len(movable)
    tenure_lo = max(2, int(0.9 * k))
    tenure_hi = max(tenure_lo + 1, int(np.ceil(1.1 * k)))
    aspiration = _ASPIRATION * k * k  # a placement unseen this long is forced (Taillard's diversification)
    stall_limit = _STALL * k * k  # moves without a new best before a restart
    eps = 1e-9 * (1.0 + abs(float(best_cost))) if inexact else 0.0
    mr, ms = _move_lists(moves)
    a, b = a.astype(np.float64), b.astype(np.float64)  # one compiled variant; int64 data runs as inexact
    p = perm.copy()
    best = best_perm.copy()
    delta = np.zeros(a.shape)
    _fill_deltas(a, b, p, mr, ms, delta)
    tabu = np.zeros(a.shape, dtype=np.int64)  # tabu[i, loc]: facility i may not return to loc before this
    state = np.array([0, 0, 0, 2], dtype=np.int64)
    costs = np.array([_cost(a, b, p), float(best_cost)], dtype=np.float64)
    _seed_kernel(seed)
    slice_moves = 256
    while state[0] < limit and time.perf_counter() < deadline:
        began = time.perf_counter()
        done = int(state[0])
        code = _run_tabu(
            a, b, p, delta, tabu, best, movable, mr, ms, state, costs, int(min(limit, done + slice_moves)), goal,
            tenure_lo, tenure_hi, aspiration, stall_limit, eps, inexact,
        )
        if code:
            best_cost = exact(best)
            if on_solution is not None:
                on_solution(best[:n].copy(), best_cost)
            if code == 2:
                break
        elif state[0] > done:  # aim at ~10 ms a slice
            per_move = (time.perf_counter() - began) / (state[0] - done)
            slice_moves = int(min(max(64, 0.01 / max(per_move, 1e-9)), 1 << 22))
    return int(state[0]), int(state[2]), best, best_cost


# --------------------------------------------------------------------------------------------
# benchmark entry point


def bench_instances(files: Iterable[str | Path], time_limit: float, seed: int = 0) -> Iterator[dict]:
    """Solve QAPLIB files one by one for `factory-twin bench qap`, one result dict each.

    The cost is recomputed from the permutation by `qap_cost`, not taken from the search.
    Every file is read before any solving starts, so a bad file fails fast.
    """
    instances = [read_qaplib(path) for path in files]
    for instance in instances:
        result = solve_qap(instance.flow, instance.dist, time_limit=time_limit, seed=seed)
        yield {
            "name": instance.name,
            "cost": qap_cost(instance.flow, instance.dist, result.perm),
            "permutation": [int(x) for x in result.perm],
            "seconds": round(result.seconds, 3),
        }
