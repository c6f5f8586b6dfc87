"""A placed layout to a checked schedule, the one way: the `schedule` command, the layout
search and the app all call `schedule_layout`.

Build the scheduling problem (transport legs routed over the aisles, robot-cell cycle times
from physics, in the caller's `Physics` context, unless given), solve it with a solver
picked by name from `optimizer.scheduler.SOLVERS`, and check the answer with the
independent checker.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twin.clock import CommandClock, TimeLimitReached
from twin.model import Layout
from twin.physics import Physics
from twin.physics import task_times as measure_task_times
from twin.validate import validate_layout

from optimizer.kpis import ScheduleSummary, summarise
from optimizer.names import SolverName
from optimizer.problem import SchedulingProblem, layout_problem
from optimizer.schedule import Schedule, check_schedule
from optimizer.schedule_json import schedule_to_json
from optimizer.scheduler import get_solver
from optimizer.vehicle_assignment import assignment_seconds, drive_least_empty


@dataclass(frozen=True)
class ScheduleOptions:
    """How to solve. The budget is `time_limit` wall seconds, or, with `deterministic_time`,
    that many CP-SAT deterministic-time units (which do not depend on the machine's load, so
    with one worker the seed alone decides the result; the wall clock is then only a safety
    net). A wall-clock limit counts from `started` (a `time.monotonic()` value: the `schedule`
    command passes its own start, so the limit bounds the whole command) or else from the
    call, and covers validation, robot-cell measurement, solving and the check; `keep_back`
    seconds of it stay unused for what the caller does after (the command's exit). `parameters`:
    extra CP-SAT parameters by name, for the CP-SAT solver only (the layout search's,
    `optimizer.search.budget`)."""

    time_limit: float = 10.0
    started: float | None = None
    keep_back: float = 0.0
    deterministic_time: float | None = None
    workers: int = 2
    seed: int = 0
    objective: str = "makespan"
    solver: str = "cpsat"
    parameters: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class LayoutSchedule:
    """A layout's schedule, the problem it solves, and what the independent checker found
    (`check`, empty when the schedule is feasible)."""

    layout: Layout
    problem: SchedulingProblem
    schedule: Schedule
    check: list[str]

    def to_json(self) -> dict[str, Any]:
        """The schedule document (`optimizer/schedule.schema.json`)."""
        return schedule_to_json(self.problem, self.schedule, self.layout.name)

    def summary(self) -> ScheduleSummary:
        """Status, numbers in seconds and KPIs, as typed values."""
        return summarise(self.problem, self.schedule)


def schedule_layout(
    layout: Layout,
    layout_dir: Path | None,
    physics: Physics,
    options: ScheduleOptions = ScheduleOptions(),
    *,
    task_times: Mapping[tuple[str, str], float] | None = None,
    validate: bool = True,
    source: str | None = None,
    clock: CommandClock | None = None,
) -> LayoutSchedule:
    """Schedule a placed layout and check the answer independently.

    Robot-cell cycle times are measured in `physics` (robot files next to the layout in
    `layout_dir`) unless `task_times` gives them (a search measures them once per run), and
    so are the robots' reach envelopes that validation checks.
    `validate=False` skips `validate_layout` for a layout the caller has checked already (the
    search's candidates passed the layout checker in stage 1). A wall-clock limit is kept by
    `clock` (default: one counting from `options.started`), which validation and the robot
    cells step, so they stop too when it runs out. Raises LayoutError for an invalid layout
    (`source` names it), InputError for an unknown solver or objective, NoFeasibleSchedule
    when no schedule is found (TimeLimitReached, saying where the time went, when the limit
    ran out before the solver could start)."""
    wall = options.deterministic_time is None
    if clock is None:
        clock = CommandClock(options.time_limit if wall else None, options.started)
    solve_with = get_solver(options.solver)
    if validate:
        layout = validate_layout(layout, layout_dir, physics, source=source or layout.name, clock=clock)
    if task_times is None:
        task_times = measure_task_times(layout, layout_dir, physics, clock)
    clock.stage("building the scheduling problem")
    problem = layout_problem(layout, task_times)
    budget: dict[str, Any] = {"time_limit": options.time_limit}
    assign = True  # the least-empty vehicle assignment after the solver
    if not wall:
        budget["deterministic_time"] = options.deterministic_time
    else:
        budget["time_limit"], assign = _solver_seconds(problem, clock, options.keep_back)
    if options.parameters and SolverName.parse(options.solver) is SolverName.CPSAT:
        budget["parameters"] = dict(options.parameters)
    schedule = solve_with(problem, **budget, workers=options.workers, seed=options.seed, objective=options.objective)
    if assign:  # the same times, the vehicles that drive the least empty
        schedule = drive_least_empty(problem, schedule)
    clock.stage("checking the schedule")
    return LayoutSchedule(layout, problem, schedule, check_schedule(problem, schedule))


CHECK_SECONDS_PER_OPERATION = 2e-4  # the independent check and the JSON, measured at ~1e-4 s each, doubled
# Under a wall-clock limit the least-empty vehicle assignment runs when its estimate is at most
# this share of what is left for the solver (the samples': milliseconds), which then keeps it
# back; a larger one would cost the search more than the empty metres it saves, and the
# solver's vehicles stay (the electronics sample at 25 times its demand: an estimated 28 s).
ASSIGNMENT_SHARE = 0.1


def _solver_seconds(problem: SchedulingProblem, clock: CommandClock, keep_back: float = 0.0) -> tuple[float, bool]:
    """What is left of the wall-clock limit for the solver, keeping back the time the check
    and the JSON need, the caller's `keep_back` and the vehicle assignment's estimate, and
    whether the assignment runs (its estimate at most ASSIGNMENT_SHARE of what is left).
    Raises TimeLimitReached when nothing is left, naming where the time went."""
    clock.stage(f"solving ({problem.n_operations:,} operations)")
    left = clock.left()
    assert left is not None
    left -= CHECK_SECONDS_PER_OPERATION * problem.n_operations + keep_back
    if left <= 0:
        raise TimeLimitReached(clock.overrun("no time left for the solver"))
    assignment = assignment_seconds(problem)
    if assignment <= ASSIGNMENT_SHARE * left:
        return left - assignment, True
    return left, False
