"""Slot assignment as a quadratic assignment problem (QAP), solved by robust tabu search.

The layout search places stations on candidate slots so that material flow x travel distance
is small. With flow matrix A (facilities) and distance matrix B (locations), a placement is a
permutation p (facility i sits at location p[i]) and costs

    cost(p) = sum_ij A[i, j] * B[p[i], p[j]].

`solve_qap` is a robust tabu search in the style of Taillard (1991): swap moves, a full table
of swap deltas kept up to date in O(n^2) numpy work per iteration, random tabu tenure,
aspiration by objective and by time, and perturbation restarts from the best layouts when the
search stalls. `read_qaplib` and `bench_instances` serve `factory-twin bench qap`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from twin.errors import InputError

__all__ = ["QapInstance", "QapResult", "read_qaplib", "qap_cost", "solve_qap", "bench_instances"]


@dataclass(frozen=True)
class QapInstance:
    """One QAPLIB instance: flow between facilities and distance between locations (int64)."""

    name: str
    flow: np.ndarray
    dist: np.ndarray

    @property
    def n(self) -> int:
        return int(self.flow.shape[0])


@dataclass(frozen=True)
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


def _full_delta(a: np.ndarray, bp: np.ndarray) -> np.ndarray:
    """Cost change of swapping the locations of facilities r and s, for every pair (r, s).

    `bp` is the distance matrix seen through the permutation (bp[i, j] = B[p[i], p[j]]). Uses
    two matrix products for the sums over all third facilities k, then corrects the k = r, s
    terms; the diagonal is meaningless. O(n^3) flops but only ~20 numpy calls, used at
    (re)starts and to resynchronise float deltas.
    """
    s_mat = a.T @ bp + a @ bp.T
    ds = np.diag(s_mat)
    delta = s_mat + s_mat.T - ds[:, None] - ds[None, :]
    ad = np.diag(a)
    bd = np.diag(bp)
    a_rr, a_ss = ad[:, None], ad[None, :]
    b_rr, b_ss = bd[:, None], bd[None, :]
    a_rs, a_sr = a, a.T
    b_rs, b_sr = bp, bp.T
    # remove k = r and k = s from the sums, add the terms between r and s themselves
    delta -= (a_rr - a_rs) * (b_rs - b_rr) + (a_rr - a_sr) * (b_sr - b_rr)
    delta -= (a_sr - a_ss) * (b_ss - b_sr) + (a_rs - a_ss) * (b_ss - b_rs)
    delta += (a_rr - a_ss) * (b_ss - b_rr) + (a_rs - a_sr) * (b_sr - b_rs)
    return delta


def _delta_rows(a: np.ndarray, bp: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Exact deltas of the swaps (r, s) for the facilities r in `rows` and every s: O(len*n^2).

    After a swap (u, v) the incremental update is only valid for pairs disjoint from {u, v};
    the rows and columns of u and v are recomputed with this.
    """
    # x[q, s, k]: the k-th term of the sum for pair (rows[q], s)
    a_kr = a.T[rows][:, None, :]  # a[k, r]
    b_kr = bp.T[rows][:, None, :]  # bp[k, r]
    a_rk = a[rows][:, None, :]  # a[r, k]
    b_rk = bp[rows][:, None, :]  # bp[r, k]
    x = (a_kr - a.T[None]) * (bp.T[None] - b_kr) + (a_rk - a[None]) * (bp[None] - b_rk)
    total = x.sum(axis=2)
    q = np.arange(len(rows))
    n = a.shape[0]
    idx = np.arange(n)
    total -= x[q[:, None], idx[None, :], rows[:, None]]  # k = r
    total -= x[:, idx, idx]  # k = s
    a_rr = a[rows, rows][:, None]
    b_rr = bp[rows, rows][:, None]
    ad = np.diag(a)[None, :]
    bd = np.diag(bp)[None, :]
    a_rs = a[rows]
    a_sr = a.T[rows]
    b_rs = bp[rows]
    b_sr = bp.T[rows]
    total += (a_rr - ad) * (bd - b_rr) + (a_rs - a_sr) * (b_sr - b_rs)
    return total


def _swap_update(delta: np.ndarray, a: np.ndarray, at: np.ndarray, bp: np.ndarray, r: int, s: int) -> None:
    """Bring the delta table up to date after facilities r and s swapped (bp already swapped).

    Pairs disjoint from {r, s} change by two rank-one-like outer-difference terms (Taillard's
    O(1)-per-pair update, vectorised over the whole table); the rows and columns of r and s
    are recomputed exactly.
    """
    x = a[r] - a[s]
    y = bp[s] - bp[r]
    z = at[r] - at[s]
    w = bp[:, s] - bp[:, r]
    delta += (x[:, None] - x[None, :]) * (y[:, None] - y[None, :])
    delta += (z[:, None] - z[None, :]) * (w[:, None] - w[None, :])
    rows = np.array((r, s))
    exact = _delta_rows(a, bp, rows)
    delta[rows, :] = exact
    delta[:, rows] = exact.T


# --------------------------------------------------------------------------------------------
# the search


def _as_matrices(flow: np.ndarray, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Check shapes and pad the flow with zero-flow dummy facilities up to the location count.

    Integer inputs stay int64 (exact deltas, no drift); anything else becomes float64.
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
    dtype = np.int64 if integral else np.float64
    if not integral and not (np.isfinite(flow).all() and np.isfinite(dist).all()):
        raise InputError("flow and dist must be finite")
    a = np.zeros((m, m), dtype=dtype)
    a[:n, :n] = flow
    return a, dist.astype(dtype, copy=True), n, m


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
) -> QapResult:
    """Place n facilities on m >= n locations minimising flow x distance (robust tabu search).

    - `fixed` pins facilities to locations; they never move.
    - `initial` (a location per facility) is the starting placement, else a random one.
    - `on_solution(perm, cost)` is called with each new best (perm covers real facilities).
    - Stops at `time_limit` seconds or after `max_iterations` swap moves, whichever first;
      with `max_iterations` (and enough time) the same seed gives the same result.

    Asymmetric and float matrices work; more locations than facilities are handled by
    zero-flow dummy facilities, whose moves to and from empty slots are ordinary swaps.
    """
    start = time.perf_counter()
    deadline = start + max(0.0, float(time_limit))
    a, b, n, m = _as_matrices(flow, dist)
    fixed = _check_fixed(fixed, n, m)
    rng = np.random.default_rng(seed)
    perm = _initial_perm(initial, fixed, n, m, rng)
    is_float = a.dtype == np.float64

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
        return float(total) if is_float else int(total)

    best_perm = perm.copy()
    best_cost = exact(perm)
    if on_solution is not None:
        on_solution(best_perm[:n].copy(), best_cost)
    iterations = 0
    restarts = 0
    limit = max_iterations if max_iterations is not None else np.iinfo(np.int64).max

    if moves.any() and limit > 0:
        iterations, restarts, best_perm, best_cost = _tabu_search(
            a, b, perm, moves, movable, rng, deadline, limit, best_perm, best_cost, on_solution, n, is_float, exact
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
    best_perm: np.ndarray,
    best_cost: int | float,
    on_solution: Callable[[np.ndarray, float], None] | None,
    n: int,
    is_float: bool,
    exact: Callable[[np.ndarray], int | float],
) -> tuple[int, int, np.ndarray, int | float]:
    """The Ro-TS loop with perturbation restarts; returns (iterations, restarts, best, cost)."""
    m = a.shape[0]
    k = len(movable)
    at = np.ascontiguousarray(a.T)
    tenure_lo = max(2, int(0.9 * k))
    tenure_hi = max(tenure_lo + 1, int(np.ceil(1.1 * k)))
    aspiration = 5 * k * k  # a placement unseen for this long is forced (Taillard's diversification)
    # Ro-TS alone can circle in one region; after this many moves without a new best, restart
    # from a kicked copy of the best layout (or, every third time, from a random one)
    stall_limit = max(10_000, 20 * aspiration)
    eps = 1e-9 * (1.0 + abs(float(best_cost))) if is_float else 0
    inf = np.inf
    resync_every = 256

    it = 0
    restarts = 0
    p = perm.copy()
    bp = b[np.ix_(p, p)]
    delta = _full_delta(a, bp)
    cost = exact(p)
    tabu = np.zeros((m, m), dtype=np.int64)  # tabu[i, loc]: facility i may not return to loc before this
    tenures = rng.integers(tenure_lo, tenure_hi + 1, size=4096)
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
            bp = b[np.ix_(p, p)]
            delta = _full_delta(a, bp)
            cost = exact(p)
            tabu.fill(it)
        it += 1
        t = tabu[:, p]  # t[r, s] = tabu[r, p[s]]: r moving to s's location
        old = t < it - aspiration
        aspired = (old | old.T | (delta < best_cost - cost - eps)) & moves
        if aspired.any():
            cand = np.where(aspired, delta, inf)
        else:
            free = t < it
            cand = np.where((free | free.T) & moves, delta, inf)
        flat = cand.ravel()
        vmin = flat.min()
        if vmin == inf:  # everything tabu: any move will do
            choices = np.flatnonzero(moves.ravel())
        else:
            choices = np.flatnonzero(flat == vmin)
        idx = choices[0] if len(choices) == 1 else choices[rng.integers(len(choices))]
        r, s = divmod(int(idx), m)

        loc_r, loc_s = p[r], p[s]
        p[r], p[s] = loc_s, loc_r
        cost += delta[r, s]
        bp[[r, s], :] = bp[[s, r], :]
        bp[:, [r, s]] = bp[:, [s, r]]
        j = it & 4095
        if j == 0:
            tenures = rng.integers(tenure_lo, tenure_hi + 1, size=4096)
        tabu[r, loc_r] = it + tenures[j]
        tabu[s, loc_s] = it + tenures[(j + 2048) & 4095]
        _swap_update(delta, a, at, bp, r, s)
        if is_float and it % resync_every == 0:
            delta = _full_delta(a, bp)
            cost = exact(p)

        if cost < best_cost - eps:
            if is_float:
                cost = exact(p)
            if cost < best_cost - eps:
                best_cost = cost
                best_perm = p.copy()
                last_best = it
                if on_solution is not None:
                    on_solution(best_perm[:n].copy(), best_cost)
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
