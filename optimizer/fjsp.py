"""Flexible job-shop instances (the standard `.fjs` format) as scheduling problems, and the
benchmark loop behind `factory-twin bench fjsp`.

Format: the first line is `n_jobs n_machines [average machines per operation]`; then one line
per job: the number of operations, then for each operation the number k of machines that can
do it followed by k pairs `machine duration`, machines numbered from 1. Blank lines and lines
starting with `#` are ignored. A machine listed twice for one operation keeps its shorter
duration (a scheduler would never pick the longer one).

The job block is parsed by `parse_job_line` / `parse_job_lines`, which the flexible job shop
with transport (`.txt` files: the same job lines followed by a travel-time matrix) reuses.
Stations are `m1`..`mN` and jobs `j1`..`jN`, numbered as in the file.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Iterable, Iterator

from twin.errors import InputError

from optimizer.instance_files import Line, bench_files, integers, is_int, numbered_lines, read_text
from optimizer.problem import Alternative, Job, Operation, SchedulingProblem

HEADER = "'n_jobs n_machines [machines per operation]'"


def machine_id(m: int) -> str:
    """The station of machine `m` (numbered from 1, as in the file)."""
    return f"m{m}"


def parse_header(line: Line, source: str) -> tuple[int, int]:
    """(n_jobs, n_machines) from the first line; the optional average is read and ignored."""
    number, tokens = line
    if len(tokens) not in (2, 3) or not all(is_int(t) for t in tokens[:2]) or not all(_finite(t) for t in tokens[2:]):
        raise InputError(f"{source}: line {number}: expected {HEADER}, got {' '.join(tokens)!r}")
    n_jobs, n_machines = int(tokens[0]), int(tokens[1])
    if n_jobs < 1 or n_machines < 1:
        raise InputError(f"{source}: line {number}: n_jobs and n_machines must be at least 1")
    return n_jobs, n_machines


def parse_job_line(line: Line, n_machines: int, source: str, job: int) -> Job:
    """Job number `job` (from 1) from its line: `n_ops`, then per operation `k` and k
    `machine duration` pairs. InputError names the source, the line and the operation."""
    number, tokens = line
    values = integers(tokens, source, number)
    where = f"{source}: line {number}"
    if not values or values[0] < 1:
        got = values[0] if values else "nothing"
        raise InputError(f"{where}: a job needs at least 1 operation, got {got}")
    n_ops, at = values[0], 1
    operations = []
    for o in range(1, n_ops + 1):
        if at >= len(values):
            raise InputError(f"{where}: the line ends after {o - 1} of {n_ops} operations")
        k, at = values[at], at + 1
        if k < 1:
            raise InputError(f"{where}: operation {o}: needs at least 1 machine, got {k}")
        if at + 2 * k > len(values):
            raise InputError(f"{where}: operation {o}: the line ends inside its {k} machine/duration pairs")
        durations: dict[int, int] = {}
        for machine, duration in zip(values[at:at + 2 * k:2], values[at + 1:at + 2 * k:2]):
            if not 1 <= machine <= n_machines:
                raise InputError(f"{where}: operation {o}: machine {machine} out of range 1..{n_machines}")
            if duration < 0:
                raise InputError(f"{where}: operation {o}: negative duration {duration} on machine {machine}")
            durations[machine] = min(duration, durations.get(machine, duration))
        at += 2 * k
        operations.append(
            Operation(f"o{o}", tuple(Alternative(machine_id(m), d) for m, d in durations.items()))
        )
    if at != len(values):
        raise InputError(f"{where}: {len(values) - at} extra value(s) after the last of {n_ops} operations")
    return Job(id=f"j{job}", operations=tuple(operations), product=f"j{job}", family=f"j{job}")


def parse_job_lines(lines: list[Line], n_jobs: int, n_machines: int, source: str) -> tuple[Job, ...]:
    """The job block: exactly `n_jobs` lines (the caller passes the lines that follow the header)."""
    if len(lines) < n_jobs:
        raise InputError(f"{source}: expected {n_jobs} job lines, found {len(lines)}")
    return tuple(parse_job_line(line, n_machines, source, j) for j, line in enumerate(lines[:n_jobs], start=1))


def parse_fjs(text: str, source: str = "<text>", name: str | None = None) -> SchedulingProblem:
    """A SchedulingProblem (one lane per machine, no transport) from `.fjs` text."""
    lines = numbered_lines(text)
    if not lines:
        raise InputError(f"{source}: empty file, expected {HEADER} on the first line")
    n_jobs, n_machines = parse_header(lines[0], source)
    jobs = parse_job_lines(lines[1:], n_jobs, n_machines, source)
    if len(lines) > n_jobs + 1:
        raise InputError(f"{source}: line {lines[n_jobs + 1][0]}: unexpected line after the {n_jobs} job lines")
    return SchedulingProblem(
        jobs=jobs,
        capacities={machine_id(m): 1 for m in range(1, n_machines + 1)},
        name=name if name is not None else Path(source).stem,
    )


def read_fjs(path: str | Path) -> SchedulingProblem:
    """A SchedulingProblem from a `.fjs` file; InputError when it is missing or malformed."""
    return parse_fjs(read_text(path), source=str(path), name=Path(path).stem)


def bench_instances(
    files: Iterable[str | Path], time_limit: float = 10.0, workers: int = 2, seed: int = 0
) -> Iterator[dict]:
    """Solve each file with the CP-SAT scheduler; one checked row per instance (`bench_row`)."""
    return bench_files(files, read_fjs, time_limit=time_limit, workers=workers, seed=seed)


def _finite(token: str) -> bool:
    try:
        return math.isfinite(float(token))
    except ValueError:
        return False
