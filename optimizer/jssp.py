"""Classic job-shop instances (OR-Library text format) as scheduling problems, and the
benchmark loop behind `factory-twin bench jssp`.

Format: the first line is `n_jobs n_machines`; then one line per job with `machine duration`
pairs in processing order, machines numbered from 0, durations >= 0. Blank lines and lines
starting with `#` are ignored.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

from twin.errors import InputError

from optimizer.instance_files import bench_files, integers, is_int, numbered_lines, read_text
from optimizer.problem import Alternative, Job, Operation, SchedulingProblem


def machine_id(m: int) -> str:
    return f"m{m}"


def parse_jssp(text: str, source: str = "<text>", name: str | None = None) -> SchedulingProblem:
    """A SchedulingProblem from OR-Library job-shop text; InputError names the source and the line."""
    lines = numbered_lines(text)
    if not lines:
        raise InputError(f"{source}: empty file, expected 'n_jobs n_machines' on the first line")
    number, head = lines[0]
    if len(head) != 2 or not all(is_int(t) for t in head):
        raise InputError(f"{source}: line {number}: expected 'n_jobs n_machines', got {' '.join(head)!r}")
    n_jobs, n_machines = int(head[0]), int(head[1])
    if n_jobs < 1 or n_machines < 1:
        raise InputError(f"{source}: line {number}: n_jobs and n_machines must be at least 1")
    rows = lines[1:]
    if len(rows) != n_jobs:
        raise InputError(f"{source}: expected {n_jobs} job lines, found {len(rows)}")
    jobs = []
    for j, (number, tokens) in enumerate(rows):
        values = integers(tokens, source, number)
        if len(tokens) % 2:
            raise InputError(f"{source}: line {number}: odd number of values, expected machine/duration pairs")
        if not tokens:
            raise InputError(f"{source}: line {number}: job {j} has no operations")
        operations = []
        for k in range(0, len(values), 2):
            machine, duration = values[k], values[k + 1]
            if not 0 <= machine < n_machines:
                raise InputError(f"{source}: line {number}: machine {machine} out of range 0..{n_machines - 1}")
            if duration < 0:
                raise InputError(f"{source}: line {number}: negative duration {duration}")
            operations.append(Operation(f"o{k // 2}", (Alternative(machine_id(machine), duration),)))
        jobs.append(Job(id=f"j{j}", operations=tuple(operations), product=f"j{j}", family=f"j{j}"))
    return SchedulingProblem(
        jobs=tuple(jobs),
        capacities={machine_id(m): 1 for m in range(n_machines)},
        name=name if name is not None else Path(source).stem,
    )


def read_jssp(path: str | Path) -> SchedulingProblem:
    """A SchedulingProblem from an OR-Library job-shop file; InputError when it is missing or malformed."""
    return parse_jssp(read_text(path), source=str(path), name=Path(path).stem)


def bench_instances(
    files: Iterable[str | Path], time_limit: float = 10.0, workers: int = 2, seed: int = 0
) -> Iterator[dict]:
    """Solve each file with the CP-SAT scheduler; one checked row per instance (`bench_row`)."""
    return bench_files(files, read_jssp, time_limit=time_limit, workers=workers, seed=seed)
