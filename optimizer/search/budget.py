"""Stage 2's scheduling budget: the same for every design of a run (the as-is layout
included), decided by the seed alone, not by the machine's load, and enough for CP-SAT to
hand back its own plan.

- The budget is in CP-SAT's deterministic time with one search worker, so the schedule
  depends on the seed alone: `time_limit` x `UNITS_PER_SECOND` units for every
  `REFERENCE_OPERATIONS` operations, never less than for `REFERENCE_OPERATIONS`, and up to
  twice that below half of them (2 x (1 - operations / `REFERENCE_OPERATIONS`)): a small
  problem is cheap per unit (54 operations: about 1.3 CPU s a unit, the electronics sample's
  180 about 9 s), and the planted benchmark's 54-operation cells then recovered the planted
  arrangement on 3 of 4 seeds instead of 2 (`benchmarks/planted_bench.py --seeds 1 2 3 4
  --candidates 2000 --shortlist 10 --time-limit 1.5 --workers 2`).
- No LP relaxation (`linearization_level` 0): the one worker's tree search propagates the
  schedule's constraints without solving an LP at its nodes. Measured with
  `benchmarks/stage2_budget_bench.py LAYOUT --seeds 4` on a quiet machine, the previous
  settings (LP on, time_limit / 2 units) against these: CPU s a schedule and mean makespan,
  electronics 5.23 -> 3.99 s and 27,109 -> 25,531 s (every seed), auto_parts 4.28 -> 1.78 s
  and 30,979 -> 31,192 s (0.7 % longer), food_packaging 4.21 -> 2.96 s and 23,553 ->
  23,380 s; lights_out_phone (seed 0, at load 2-3) 65 -> 42 s, 3,551 s both. The `schedule`
  command (two workers, 10 s of wall clock) keeps the LP: there the seed moved the makespan by
  3-4 % and the LP's absence by less (seeds 0-3, mean with and without: electronics 25,681 and
  25,562 s, auto_parts 29,411 and 29,087 s, food_packaging equal).
- Presolve probing is off (`cp_model_probing_level` 0). Measured on the electronics sample
  (180 operations): with it, probing ran three times (about 0.3 s of wall clock and 0.03-0.06
  units each) before the search began, and the warm start's hint became CP-SAT's first
  solution only after about 0.35 units; with twice the lots probing alone took 1.2 units and
  18 s. Without it the hint is CP-SAT's first solution after about 0.05 units.
- The wall clock is only a safety net for pathological cases (`WALL_SECONDS_PER_UNIT`): one
  unit took about 1.4 s on the tiny test factory and 3-4 s on the electronics sample (8 s
  without the LP) on a quiet 2-core machine, and up to 15 s at a load average of 7-10. The earlier net of
  4 x `time_limit` (8 s per unit) fired under such a load, so two runs with one seed
  followed different schedules; a schedule the net does cut is labelled
  (`Schedule.wall_clock_cut`, in the run's rows, the report and the leaderboard).
- A solve that still ends as the dispatch-rule fallback (CP-SAT answered nothing within its
  budget) is tried once more with `RETRY_FACTOR` times both budgets (`schedule_task`).
"""
from __future__ import annotations

from dataclasses import replace

from twin.model import Layout

from optimizer.planning import ScheduleOptions
from optimizer.search.config import SearchConfig

REFERENCE_OPERATIONS = 200  # operations that get time_limit x UNITS_PER_SECOND deterministic-time units
UNITS_PER_SECOND = 0.25
WALL_SECONDS_PER_UNIT = 60.0  # the safety net, per deterministic-time unit
RETRY_FACTOR = 2.0  # a dispatch fallback is retried once with this many times the budget
CPSAT_PARAMETERS = (("cp_model_probing_level", 0), ("linearization_level", 0))


def operation_count(layout: Layout) -> int:
    """The operations of the layout's scheduling problem: one per lot and routing step (the
    same for every candidate of a run, since a candidate only moves stations)."""
    return sum(len(product.lots) * len(product.routing) for product in layout.products)


def stage2_options(config: SearchConfig, operations: int) -> ScheduleOptions:
    """The options every design of stage 2 is scheduled with (the as-is layout included):
    one search worker, the run's seed, a deterministic budget sized to the problem and the
    wall-clock safety net."""
    size = operations / REFERENCE_OPERATIONS
    units = config.time_limit * UNITS_PER_SECOND * max(1.0, size, 2.0 * (1.0 - size))
    return ScheduleOptions(time_limit=WALL_SECONDS_PER_UNIT * units, deterministic_time=units, workers=1,
                           seed=config.seed, objective=config.schedule_objective, solver="cpsat",
                           parameters=CPSAT_PARAMETERS)


def resumed_options(options: ScheduleOptions, stored: dict | None) -> ScheduleOptions:
    """Stage 2's options for a run whose budget is stored (`stored`: the run's
    `schedule_budget` meta): the stored budget and CP-SAT parameters, so a run resumed by a
    newer program still schedules every design alike. A budget stored before its parameters
    were stored ran with presolve probing off alone."""
    if not stored:
        return options
    parameters = tuple((name, value) for name, value in stored.get("parameters", [["cp_model_probing_level", 0]]))
    return replace(options, deterministic_time=stored["deterministic_time"], time_limit=stored["wall_limit"],
                   parameters=parameters)


def retry_options(options: ScheduleOptions) -> ScheduleOptions:
    """The second attempt's options: `RETRY_FACTOR` times the deterministic budget and the net."""
    units = options.deterministic_time
    return replace(options, time_limit=RETRY_FACTOR * options.time_limit,
                   deterministic_time=None if units is None else RETRY_FACTOR * units)
