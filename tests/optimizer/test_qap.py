"""Tests of the slot-assignment (QAP) search: reader, cost, deltas, optimality on small
instances checked by brute force, pinned facilities, spare slots, determinism and the CLI."""
from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from optimizer.cli import main
from optimizer.qap import (
    QapInstance,
    _fill_deltas,
    _move_lists,
    _update_deltas,
    bench_instances,
    qap_cost,
    read_qaplib,
    solve_qap,
)
from twin.errors import InputError

QAPLIB = Path(__file__).resolve().parents[3] / "shared/benchmarks/qap"


def brute_force(flow: np.ndarray, dist: np.ndarray, fixed: dict[int, int] | None = None) -> float:
    """The optimum over every injective placement (small n only)."""
    n, m = flow.shape[0], dist.shape[0]
    perms = np.array(list(itertools.permutations(range(m), n)), dtype=np.int64)
    for facility, location in (fixed or {}).items():
        perms = perms[perms[:, facility] == location]
    costs = (flow[None] * dist[perms[:, :, None], perms[:, None, :]]).sum(axis=(1, 2))
    return costs.min()


def random_instance(rng: np.random.Generator, n: int, m: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Asymmetric integer flow and distance with non-zero diagonals: the general case."""
    m = n if m is None else m
    return rng.integers(0, 10, (n, n)), rng.integers(0, 20, (m, m))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# ---------------------------------------------------------------- reading and cost


def test_read_qaplib_parses_n_flow_and_distance(tmp_path):
    path = write(tmp_path, "tiny3.dat", "3\n\n0 1 2\n1 0 3\n2 3 0\n\n0 5 6\n5 0 7\n6 7 0\n")
    instance = read_qaplib(path)
    assert isinstance(instance, QapInstance)
    assert instance.name == "tiny3" and instance.n == 3
    assert instance.flow.dtype == np.int64 and instance.dist.dtype == np.int64
    assert instance.flow.tolist() == [[0, 1, 2], [1, 0, 3], [2, 3, 0]]
    assert instance.dist.tolist() == [[0, 5, 6], [5, 0, 7], [6, 7, 0]]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty file, expected n then two n x n matrices"),
        ("2\n0 1\n1 0\n0 3\n3\n", "expected 9 numbers (n=2, then two 2x2 matrices), found 8"),
        ("2\n0 1\n1 0\n0 3\n3 0 9\n", "expected 9 numbers (n=2, then two 2x2 matrices), found 10"),
        ("2\n0 1\n1 0\n0 3.5\n3 0\n", "number 7 ('3.5') is not an integer"),
        ("2\n0 x\n1 0\n0 3\n3 0\n", "number 3 ('x') is not an integer"),
        ("0\n", "n must be a positive integer, got 0"),
    ],
)
def test_bad_files_name_the_file_and_the_problem(tmp_path, text, problem):
    path = write(tmp_path, "bad.dat", text)
    with pytest.raises(InputError) as info:
        read_qaplib(path)
    assert str(info.value) == f"{path}: {problem}"


def test_missing_file(tmp_path):
    path = tmp_path / "nope.dat"
    with pytest.raises(InputError) as info:
        read_qaplib(path)
    assert str(info.value) == f"{path}: file not found"


def test_cost_is_recomputed_from_the_permutation():
    flow = np.array([[0, 2, 0], [1, 0, 4], [0, 0, 0]])
    dist = np.array([[0, 1, 5], [1, 0, 2], [5, 2, 0]])
    # facility 0 at 2, 1 at 0, 2 at 1: 2*d[2,0] + 1*d[0,2] + 4*d[0,1]
    assert qap_cost(flow, dist, [2, 0, 1]) == 2 * 5 + 1 * 5 + 4 * 1
    assert isinstance(qap_cost(flow, dist, [0, 1, 2]), int)
    assert isinstance(qap_cost(flow * 0.5, dist, [0, 1, 2]), float)
    with pytest.raises(ValueError):
        qap_cost(flow, dist, [0, 0, 1])


# ---------------------------------------------------------------- swap deltas


@pytest.mark.parametrize("kind", ["int", "float", "spare slots"])
def test_delta_table_matches_recomputation_after_a_walk_of_swaps(kind):
    """The compiled table, kept up to date move by move, equals brute-force cost differences."""
    rng = np.random.default_rng(3)
    n, m = (9, 12) if kind == "spare slots" else (9, 9)
    flow, dist = random_instance(rng, n, m)
    if kind == "float":
        flow, dist = flow * rng.random((n, n)), dist * rng.random((m, m))
    a = np.zeros((m, m))
    a[:n, :n] = flow  # dummy facilities: zero flow, as in the search
    b = dist.astype(np.float64)
    perm = rng.permutation(m).astype(np.int64)
    mr, ms = _move_lists(np.triu(np.ones((m, m), dtype=bool), 1))
    delta = np.zeros((m, m))
    _fill_deltas(a, b, perm, mr, ms, delta)
    for _ in range(25):
        base = qap_cost(a, b, perm)
        for r, s in zip(mr, ms):
            moved = perm.copy()
            moved[[r, s]] = moved[[s, r]]
            assert delta[r, s] == pytest.approx(qap_cost(a, b, moved) - base, abs=1e-9)
        r, s = sorted(rng.choice(m, size=2, replace=False))
        perm[[r, s]] = perm[[s, r]]
        _update_deltas(a, b, perm, mr, ms, delta, int(r), int(s))


# ---------------------------------------------------------------- optimality


@pytest.mark.parametrize("seed", range(4))
def test_finds_brute_force_optimum_n7(seed):
    flow, dist = random_instance(np.random.default_rng(100 + seed), 7)
    result = solve_qap(flow, dist, time_limit=20, seed=seed, max_iterations=3000)
    assert result.cost == brute_force(flow, dist)
    assert result.cost == qap_cost(flow, dist, result.perm)
    assert sorted(result.perm.tolist()) == list(range(7))


def test_float_distances_in_metres():
    rng = np.random.default_rng(7)
    points = rng.random((7, 2)) * 30.0
    dist = np.linalg.norm(points[:, None] - points[None], axis=2)
    flow = rng.random((7, 7)) * 5.0
    result = solve_qap(flow, dist, time_limit=20, seed=1, max_iterations=3000)
    assert isinstance(result.cost, float)
    assert result.cost == pytest.approx(brute_force(flow, dist), rel=1e-9)
    assert result.cost == pytest.approx(qap_cost(flow, dist, result.perm), rel=1e-12)


@pytest.mark.parametrize("name", ["nug12", "had12"])
def test_qaplib_known_optimum(name):
    path = QAPLIB / f"{name}.dat"
    if not path.exists():
        pytest.skip(f"{path} not present")
    bks = json.loads((QAPLIB / "bks.json").read_text())[name]["bks"]
    instance = read_qaplib(path)
    result = solve_qap(instance.flow, instance.dist, time_limit=2.0, seed=0)
    assert qap_cost(instance.flow, instance.dist, result.perm) == bks


# ---------------------------------------------------------------- constraints and variants


def test_fixed_facilities_never_move():
    flow, dist = random_instance(np.random.default_rng(11), 7)
    fixed = {0: 6, 4: 1}
    seen: list[np.ndarray] = []
    result = solve_qap(
        flow, dist, time_limit=20, seed=2, fixed=fixed, max_iterations=3000, on_solution=lambda p, c: seen.append(p)
    )
    assert seen
    for perm in [*seen, result.perm]:
        assert all(perm[f] == loc for f, loc in fixed.items())
    assert result.cost == brute_force(flow, dist, fixed)


def test_more_locations_than_facilities():
    flow, dist = random_instance(np.random.default_rng(12), 5, m=8)
    result = solve_qap(flow, dist, time_limit=20, seed=0, max_iterations=3000)
    assert result.perm.shape == (5,)
    assert len(set(result.perm.tolist())) == 5 and result.perm.max() < 8
    assert result.cost == qap_cost(flow, dist, result.perm) == brute_force(flow, dist)


def test_more_locations_with_fixed_facility():
    flow, dist = random_instance(np.random.default_rng(13), 4, m=7)
    result = solve_qap(flow, dist, time_limit=20, seed=0, fixed={2: 5}, max_iterations=3000)
    assert result.perm[2] == 5
    assert result.cost == brute_force(flow, dist, {2: 5})


def test_same_seed_and_iterations_give_the_same_result():
    flow, dist = random_instance(np.random.default_rng(14), 15)
    runs = [solve_qap(flow, dist, time_limit=60, seed=5, max_iterations=1500) for _ in range(2)]
    assert runs[0].perm.tolist() == runs[1].perm.tolist()
    assert runs[0].cost == runs[1].cost
    assert runs[0].iterations == runs[1].iterations == 1500


def test_new_bests_are_reported_in_improving_order():
    flow, dist = random_instance(np.random.default_rng(15), 10)
    reported: list[tuple[list[int], int]] = []
    result = solve_qap(
        flow, dist, time_limit=20, seed=0, max_iterations=2000, on_solution=lambda p, c: reported.append((p.tolist(), c))
    )
    costs = [c for _, c in reported]
    assert costs == sorted(costs, reverse=True) and len(set(costs)) == len(costs)
    assert all(qap_cost(flow, dist, p) == c for p, c in reported)
    assert reported[-1] == (result.perm.tolist(), result.cost)


def test_target_stops_the_search_once_reached():
    flow, dist = random_instance(np.random.default_rng(17), 8)
    optimum = brute_force(flow, dist)
    free_run = solve_qap(flow, dist, time_limit=60, seed=0, max_iterations=4000)
    assert free_run.cost == optimum and free_run.iterations == 4000
    stopped = solve_qap(flow, dist, time_limit=60, seed=0, max_iterations=4000, target=optimum)
    assert stopped.cost == optimum
    assert stopped.iterations < 4000
    # a target the start already meets: no move at all
    start = np.arange(8)
    met = solve_qap(flow, dist, time_limit=60, initial=start, target=qap_cost(flow, dist, start))
    assert met.iterations == 0 and met.perm.tolist() == start.tolist()


def test_initial_layout_is_the_start():
    flow, dist = random_instance(np.random.default_rng(16), 6)
    start = np.array([5, 4, 3, 2, 1, 0])
    result = solve_qap(flow, dist, time_limit=5, initial=start, max_iterations=0)
    assert result.perm.tolist() == start.tolist()
    assert result.cost == qap_cost(flow, dist, start)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fixed": {9: 0}}, "fixed: facility 9 is not in 0..3"),
        ({"fixed": {0: 1, 1: 1}}, "fixed: two facilities are pinned to the same location"),
        ({"initial": np.array([0, 0, 1, 2])}, "initial must give distinct locations in 0..3"),
        ({"initial": np.array([0, 1, 2, 3]), "fixed": {0: 2}}, "initial puts fixed facility 0 at 0, not 2"),
    ],
)
def test_bad_arguments_are_input_errors(kwargs, message):
    flow, dist = random_instance(np.random.default_rng(17), 4)
    with pytest.raises(InputError) as info:
        solve_qap(flow, dist, time_limit=1, **kwargs)
    assert str(info.value) == message


# ---------------------------------------------------------------- bench entry point and CLI


def tiny_file(tmp_path: Path) -> Path:
    flow, dist = random_instance(np.random.default_rng(18), 6)
    numbers = [6, *flow.ravel().tolist(), *dist.ravel().tolist()]
    return write(tmp_path, "tiny6.dat", " ".join(map(str, numbers)) + "\n")


def test_bench_instances_yields_checked_rows(tmp_path):
    path = tiny_file(tmp_path)
    (row,) = list(bench_instances([path], time_limit=0.3, seed=0))
    assert set(row) == {"name", "cost", "permutation", "seconds"}
    instance = read_qaplib(path)
    assert row["name"] == "tiny6"
    assert row["cost"] == qap_cost(instance.flow, instance.dist, row["permutation"])
    assert row["cost"] == brute_force(instance.flow, instance.dist)


def test_cli_prints_one_json_line(tmp_path, capsys):
    path = tiny_file(tmp_path)
    assert main(["bench", "qap", str(path), "--time-limit", "1", "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    row = json.loads(lines[0])
    instance = read_qaplib(path)
    assert row["name"] == "tiny6" and sorted(row["permutation"]) == list(range(6))
    assert row["cost"] == qap_cost(instance.flow, instance.dist, row["permutation"])


def test_cli_bad_file_exits_2_with_a_message(tmp_path, capsys):
    path = write(tmp_path, "short.dat", "2\n0 1\n1 0\n")
    assert main(["bench", "qap", str(path), "--time-limit", "1", "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip() == f"error: {path}: expected 9 numbers (n=2, then two 2x2 matrices), found 5"


def test_many_spare_slots_with_real_distances():
    """The layout-search shape: a few stations on a grid of slots, distances in metres."""
    rng = np.random.default_rng(20)
    xs, ys = np.meshgrid(np.arange(8) * 2.5, np.arange(7) * 3.0)
    slots = np.column_stack([xs.ravel(), ys.ravel()])  # 56 slots: the incremental table
    dist = np.abs(slots[:, None] - slots[None]).sum(axis=2)  # aisle (Manhattan) metres
    flow = np.triu(rng.integers(0, 6, (12, 12)), 1).astype(float)  # one-way material flow
    start = np.concatenate([[0], rng.choice(np.arange(1, 56), size=11, replace=False)])  # station 0 pinned at slot 0
    reported: list[tuple[np.ndarray, float]] = []
    result = solve_qap(flow, dist, time_limit=30, seed=0, initial=start, fixed={0: 0}, max_iterations=400,
                       on_solution=lambda p, c: reported.append((p, c)))
    assert result.perm[0] == 0 and len(set(result.perm.tolist())) == 12
    # the costs the search believed (float data, incremental table) match an independent recomputation
    assert all(c == pytest.approx(qap_cost(flow, dist, p), rel=1e-9) for p, c in reported)
    assert reported[-1][0].tolist() == result.perm.tolist()
    assert result.cost < qap_cost(flow, dist, start)
