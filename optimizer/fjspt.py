"""Flexible job shops with transport by a fleet of AGVs (the fjspt instances of Deroussi and
Norre), and the benchmark loop behind `factory-twin bench fjspt`.

Format (`.txt`): the first line `n_jobs n_machines`; `n_jobs` job lines in the `.fjs` syntax
(read by `optimizer.fjsp.parse_job_lines`); then an `(n_machines + 1) x (n_machines + 1)` travel
time matrix, not necessarily symmetric, whose row and column 0 are the load/unload station
(`LU`) and k machine k (`m1`..`mN`). Blank lines and `#` comments are ignored.

The conventions under which the published optima hold (the shared benchmarks' README): every
AGV starts at L/U at time 0 and every job waits there, so its first operation needs a loaded
trip from L/U; every move between two different machines is a loaded trip by one AGV, which
first drives empty from where it dropped its last job (empty runs use the same matrix); one
job per AGV at a time; loading and unloading take no time; input buffers are unlimited; the
makespan ends with the last operation (the trip back to L/U is not counted). In the scheduling
problem: jobs with origin `LU`, a fleet `agv` with home `LU`, every matrix entry a loaded leg
and an empty run.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Iterable, Iterator

from twin.errors import InputError

from optimizer.fjsp import machine_id, parse_header, parse_job_lines
from optimizer.instance_files import bench_row, integers, numbered_lines, read_text
from optimizer.problem import Job, SchedulingProblem, TransportLeg

LOAD_UNLOAD = "LU"
MOVER = "agv"


def location(index: int) -> str:
    """Row or column `index` of the travel matrix: 0 is L/U, k is machine k."""
    return LOAD_UNLOAD if index == 0 else machine_id(index)


def parse_fjspt(text: str, source: str = "<text>", name: str | None = None, agvs: int = 2) -> SchedulingProblem:
    """A SchedulingProblem with `agvs` vehicles from fjspt text; InputError names the source
    and the line."""
    if agvs < 1:
        raise InputError(f"{source}: the fleet needs at least 1 AGV, got {agvs}")
    lines = numbered_lines(text)
    if not lines:
        raise InputError(f"{source}: empty file, expected 'n_jobs n_machines' on the first line")
    n_jobs, n_machines = parse_header(lines[0], source)
    jobs = parse_job_lines(lines[1:], n_jobs, n_machines, source)
    rows = lines[1 + n_jobs:]
    size = n_machines + 1
    if len(rows) != size:
        raise InputError(f"{source}: expected a {size} x {size} travel-time matrix after the {n_jobs} job lines, "
                         f"found {len(rows)} lines")
    matrix = []
    for number, tokens in rows:
        values = integers(tokens, source, number)
        if len(values) != size:
            raise InputError(f"{source}: line {number}: a travel-time row needs {size} values, got {len(values)}")
        if any(v < 0 for v in values):
            raise InputError(f"{source}: line {number}: travel times must be >= 0")
        matrix.append(values)
    places = range(size)
    return SchedulingProblem(
        jobs=tuple(_from_load_unload(job) for job in jobs),
        capacities={machine_id(m): 1 for m in range(1, size)},
        transport={(location(a), location(b)): TransportLeg(matrix[a][b], mover=MOVER)
                   for a in places for b in places if a != b},
        fleets={MOVER: agvs},
        homes={MOVER: LOAD_UNLOAD},
        empty_runs={MOVER: {(location(a), location(b)): matrix[a][b] for a in places for b in places}},
        name=name if name is not None else Path(source).stem,
    )


def _from_load_unload(job: Job) -> Job:
    return replace(job, origin=LOAD_UNLOAD)


def read_fjspt(path: str | Path, agvs: int = 2) -> SchedulingProblem:
    """A SchedulingProblem from an fjspt file; InputError when it is missing or malformed."""
    return parse_fjspt(read_text(path), source=str(path), name=Path(path).stem, agvs=agvs)


def bench_instances(files: Iterable[str | Path], time_limit: float = 10.0, workers: int = 2, seed: int = 0,
                    agvs: int = 2) -> Iterator[dict]:
    """Solve each file with the CP-SAT scheduler: one checked row per instance (`bench_row`,
    with the number of loaded `trips`)."""
    for file in files:
        yield bench_row(read_fjspt(file, agvs), time_limit=time_limit, workers=workers, seed=seed)
