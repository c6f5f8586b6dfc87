"""What the benchmark-instance readers share (job shop, flexible job shop, with transport):
reading a file with clear errors, numbered lines of tokens, and one checked bench row per
solved instance, so every `factory-twin bench` family reports the same fields the same way."""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Callable, Iterable, Iterator

from twin.errors import InputError

from optimizer.problem import SchedulingProblem

Line = tuple[int, list[str]]  # (1-based line number in the file, whitespace-separated tokens)


def read_text(path: str | Path) -> str:
    """The text of an instance file; InputError naming the file when it is missing or unreadable."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None


def numbered_lines(text: str) -> list[Line]:
    """The non-blank lines that are not `#` comments, each with its line number and tokens."""
    return [
        (number, line.split())
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]


def is_int(token: str) -> bool:
    try:
        int(token)
    except ValueError:
        return False
    return True


def integers(tokens: list[str], source: str, number: int) -> list[int]:
    """The tokens of one line as integers; InputError naming the first one that is not."""
    bad = next((t for t in tokens if not is_int(t)), None)
    if bad is not None:
        raise InputError(f"{source}: line {number}: {bad!r} is not an integer")
    return [int(t) for t in tokens]


def bench_row(problem: SchedulingProblem, *, time_limit: float, workers: int, seed: int) -> dict:
    """Solve with the CP-SAT scheduler: the makespan, the proven lower bound (rounded up: the
    makespan is an integer), optimality, wall seconds, and `valid` from the independent checker;
    with a fleet, the number of its loaded `trips` too."""
    from optimizer.schedule import check_schedule
    from optimizer.scheduler import solve

    started = time.perf_counter()
    schedule = solve(problem, time_limit=time_limit, workers=workers, seed=seed)
    seconds = time.perf_counter() - started
    return {
        "name": problem.name,
        "makespan": schedule.makespan,
        "lower_bound": math.ceil(schedule.lower_bound - 1e-6),
        "optimal": schedule.status == "optimal",
        "seconds": round(seconds, 3),
        "valid": not check_schedule(problem, schedule),
    } | ({"trips": sum(t.mover in problem.fleets for t in schedule.transports)} if problem.fleets else {})


def bench_files(files: Iterable[str | Path], read: Callable[[str | Path], SchedulingProblem], *,
                time_limit: float, workers: int, seed: int) -> Iterator[dict]:
    """Read each file with `read` and solve it: one `bench_row` per file, in order. Before the
    first job shop's clock starts, the tabu search's compiled loop is loaded (about 1 s, as
    CP-SAT's library already is), so the first instance does not pay it in its time limit."""
    loaded = False
    for file in files:
        problem = read(file)
        if not loaded and problem.is_job_shop():
            from optimizer import jobshop_tabu

            jobshop_tabu.warm_up()
            loaded = True
        yield bench_row(problem, time_limit=time_limit, workers=workers, seed=seed)
