"""Slot assignment as a quadratic assignment problem (QAP), solved by robust tabu search.

The layout search places stations on candidate slots so that material flow x travel distance
is small. With flow matrix A (facilities) and distance matrix B (locations), a placement is a
permutation p (facility i sits at location p[i]) and costs

    cost(p) = sum_ij A[i, j] * B[p[i], p[j]].

`solve_qap` is a robust tabu search in the style of Taillard (1991): swap moves picked from a
full table of swap deltas (each move evaluated in O(1)), random tabu tenure, aspiration by
objective and by time, and perturbation restarts from the best layout when the search stalls.
The table is vectorised, since Python loops over pairs would be ~100x slower at n = 20: up to
`_DENSE_MAX` locations it is recomputed from a closed form with two small matrix products
(fewest numpy calls), above that it is updated incrementally in O(m^2).
`read_qaplib` and `bench_instances` serve `factory-twin bench qap`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from twin.errors import InputError

__all__ = ["QapInstance", "QapResult", "read_qaplib", "qap_cost", "solve_qap", "bench_instances"]

# Up to this many locations the delta table is recomputed each move with two small matrix
# products (fewer numpy calls); above it, it is updated in O(m^2). Measured crossover, not a
# correctness matter: both give identical tables for integer data.
_DENSE_MAX = 48
# Search rhythm, in units of k^2 moves (k = movable facilities): aspiration by time (Taillard
# used 5) and the stall length that triggers a restart.
_ASPIRATION = 5
_STALL = 20


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
# swap deltas


def _pair_term(m: np.ndarray) -> np.ndarray:
    """G[r, s] = M[r, r] + M[s, s] - M[r, s] - M[s, r]: what swapping r and s does to M's terms."""
    d = m.diagonal()
    return d[:, None] + d[None, :] - m - m.T


def _full_delta(a: np.ndarray, bp: np.ndarray, ga: np.ndarray | None = None) -> np.ndarray:
    """Cost change of swapping the locations of facilities r and s, for every pair (r, s).

    `bp` is the distance matrix seen through the permutation (bp[i, j] = B[p[i], p[j]]) and
    `ga` is `_pair_term(a)` (constant, so callers pass it in). Taillard's swap delta, summed
    over all third facilities k with two matrix products, simplifies to

        delta = G(A) * G(Bp) - G(A^T Bp + A Bp^T)

    with G = `_pair_term`. O(n^3) flops but only ~12 numpy calls: for the n <= ~60 of layout
    search this is cheaper than an O(n^2) update, whose per-call overhead dominates. The
    diagonal is meaningless.
    """
    if ga is None:
        ga = _pair_term(a)
    return ga * _pair_term(bp) - _pair_term(a.T @ bp + a @ bp.T)


def _delta_rows(a: np.ndarray, at: np.ndarray, bp: np.ndarray, ga: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Exact deltas of the swaps (r, s) for the facilities r in `rows` and every s: O(len*n^2).

    The same identity as `_full_delta`, restricted to a few rows: S = A^T Bp + A Bp^T is needed
    only in rows and columns `rows` and on its diagonal.
    """
    ab = a * bp
    ds = ab.sum(axis=0) + ab.sum(axis=1)  # diag(S)
    s_rows = at[rows] @ bp + a[rows] @ bp.T  # S[r, :]
    s_cols = bp.T[rows] @ a + bp[rows] @ at  # S[:, r], as rows
    bd = bp.diagonal()
    g_bp = bd[rows][:, None] + bd[None, :] - bp[rows] - bp.T[rows]
    return ga[rows] * g_bp + s_rows + s_cols - ds[rows][:, None] - ds[None, :]


def _swap_update(
    delta: np.ndarray, a: np.ndarray, at: np.ndarray, bp: np.ndarray, ga: np.ndarray, r: int, s: int
) -> None:
    """Bring the delta table up to date after facilities r and s swapped (bp already swapped).

    Pairs disjoint from {r, s} change by two outer-difference terms (Taillard's O(1)-per-pair
    update, vectorised over the table); the rows and columns of r and s are recomputed
    exactly. O(n^2): used when there are many locations, where O(n^3) would cost more.
    """
    x = a[r] - a[s]
    y = bp[s] - bp[r]
    z = at[r] - at[s]
    w = bp[:, s] - bp[:, r]
    delta += (x[:, None] - x[None, :]) * (y[:, None] - y[None, :])
    delta += (z[:, None] - z[None, :]) * (w[:, None] - w[None, :])
    rows = np.array((r, s))
    exact = _delta_rows(a, at, bp, ga, rows)
    delta[rows, :] = exact
    delta[:, rows] = exact.T


# --------------------------------------------------------------------------------------------
# the search


def _as_matrices(flow: np.ndarray, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int, bool]:
    """Check shapes and pad the flow with zero-flow dummy facilities up to the location count.

    Returns (a, b, n, m, integral). The search computes in float64 because BLAS matrix
    products are several times faster than numpy's integer ones; integer data stays exact
    as long as every sum is below 2^53, checked here (else it stays int64).
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


def _perturb(perm: np.ndarray, movable: np.ndarray, rng: np.random.Generator, strength: int) -> np.ndarray:
    """Random swaps among movable facilities: the restart kick of the iterated search."""
    perm = perm.copy()
    for _ in range(strength):
        r, s = rng.choice(movable, size=2, replace=False)
        perm[r], perm[s] = perm[s], perm[r]
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

    Asymmetric and float matrices work; more locations than facilities are handled by
    zero-flow dummy facilities, whose moves to and from empty slots are ordinary swaps.
    """
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
            a, b, perm, moves, movable, rng, deadline, limit, goal, best_perm, best_cost, on_solution, n, inexact,
            exact,
        )

    final = best_perm[:n].copy()
    return QapResult(
        perm=final,
        cost=qap_cost(flow, dist, final),
        seconds=time.perf_counter() - start,
        iterations=iterations,
        restarts=restarts,
    )


def _tabu_search(
    a: np.ndarray,
    b: np.ndarray,
    perm: np.ndarray,
    moves: np.ndarray,
    movable: np.ndarray,
    rng: np.random.Generator,
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
    """The Ro-TS loop with perturbation restarts; returns (iterations, restarts, best, cost)."""
    m = a.shape[0]
    k = len(movable)
    at = np.ascontiguousarray(a.T)
    ga = _pair_term(a)
    dense = m <= _DENSE_MAX  # recompute the delta table (few big calls) or update it (O(m^2))
    tenure_lo = max(2, int(0.9 * k))
    tenure_hi = max(tenure_lo + 1, int(np.ceil(1.1 * k)))
    aspiration = _ASPIRATION * k * k  # a placement unseen this long is forced (Taillard's diversification)
    # Ro-TS alone can circle in one region; after this many moves without a new best, restart
    # from a kicked copy of the best layout (or, every third time, from a random one)
    stall_limit = max(10_000, _STALL * k * k)
    eps = 1e-9 * (1.0 + abs(float(best_cost))) if inexact else 0
    inf = np.inf
    resync_every = 256
    # Ties between equal deltas are broken at random (degenerate instances have many) by adding
    # noise smaller than any real difference: < 1/2 for integer data, ~1e-9 relative for floats.
    # A window into a random pool, moved every move, is far cheaper than fresh draws.
    scale = 0.49 if not inexact else 1e-9 * (1.0 + float(np.abs(a).max()) * float(np.abs(b).max()))
    pool = rng.random(8 * m * m + 1031) * scale
    pool_span = len(pool) - m * m

    it = 0
    restarts = 0
    p = perm.copy()
    bp = b.take(p, axis=0).take(p, axis=1)
    delta = _full_delta(a, bp, ga)
    cost = exact(p)
    tabu = np.zeros((m, m), dtype=np.int64)  # tabu[i, loc]: facility i may not return to loc before this
    tenures = rng.integers(tenure_lo, tenure_hi + 1, size=4096)
    all_moves = np.flatnonzero(moves.ravel())
    last_best = 0
    while it < limit:
        if (it & 15) == 0 and time.perf_counter() >= deadline:
            break
        if it - last_best >= stall_limit:
            restarts += 1
            last_best = it
            if restarts % 3 == 0:
                p = best_perm.copy()
                p[movable] = rng.permutation(p[movable])
            else:
                p = _perturb(best_perm, movable, rng, int(rng.integers(max(2, k // 4), max(3, k // 2) + 1)))
            bp = b.take(p, axis=0).take(p, axis=1)
            delta = _full_delta(a, bp, ga)
            cost = exact(p)
            tabu.fill(it)
        it += 1
        t = tabu.take(p, axis=1)  # t[r, s] = tabu[r, p[s]]: r moving to s's location
        old = t < it - aspiration
        aspired = (old | old.T | (delta < best_cost - cost - eps)) & moves
        if aspired.any():
            cand = np.where(aspired, delta, inf)
        else:
            free = t < it
            cand = np.where((free | free.T) & moves, delta, inf)
        offset = (it * 7919) % pool_span
        cand += pool[offset : offset + m * m].reshape(m, m)
        idx = int(cand.argmin())
        if cand.flat[idx] == inf:  # every move tabu: take any
            idx = int(all_moves[rng.integers(len(all_moves))])
        r, s = divmod(idx, m)

        loc_r, loc_s = p[r], p[s]
        p[r], p[s] = loc_s, loc_r
        cost += delta[r, s]
        bp = b.take(p, axis=0).take(p, axis=1)
        j = it & 4095
        if j == 0:
            tenures = rng.integers(tenure_lo, tenure_hi + 1, size=4096)
        tabu[r, loc_r] = it + tenures[j]
        tabu[s, loc_s] = it + tenures[(j + 2048) & 4095]
        if dense:
            delta = _full_delta(a, bp, ga)
        else:
            _swap_update(delta, a, at, bp, ga, r, s)
        if inexact and it % resync_every == 0:  # float round-off must not accumulate
            if not dense:
                delta = _full_delta(a, bp, ga)
            cost = exact(p)

        if cost < best_cost - eps:
            cost = exact(p)  # exact value and type for the caller, no drift
            if cost < best_cost - eps:
                best_cost = cost
                best_perm = p.copy()
                last_best = it
                if on_solution is not None:
                    on_solution(best_perm[:n].copy(), best_cost)
                if best_cost <= goal:
                    break
    return it, restarts, best_perm, best_cost


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
