"""Stage 2's scheduling budget: the same for every design of a run (the as-is layout
included), and decided by the seed alone, not by the machine's load.

The budget is in CP-SAT's deterministic time (`time_limit` / 2 units) with one search worker,
so the schedule depends on the seed alone. The wall clock is only a safety net for
pathological cases: one unit took about 1.4 s on the tiny test factory and 4 s on the
electronics sample on a quiet 2-core machine, and up to 15 s at a load average of 7-10. The
earlier net of 4 x `time_limit` (8 s per unit) fired under such a load, so two runs with one
seed followed different schedules; a schedule the net does cut is labelled
(`Schedule.wall_clock_cut`, in the run's rows, the report and the leaderboard).
"""
from __future__ import annotations

from optimizer.planning import ScheduleOptions
from optimizer.search.config import SearchConfig

WALL_SECONDS_PER_UNIT = 60.0  # the safety net, per deterministic-time unit


def deterministic_units(config: SearchConfig) -> float:
    """CP-SAT deterministic-time units per schedule."""
    return float(config.time_limit) / 2


def wall_clock_net(config: SearchConfig) -> float:
    """Seconds of wall clock after which a schedule's solve is cut short (and labelled)."""
    return WALL_SECONDS_PER_UNIT * deterministic_units(config)


def stage2_options(config: SearchConfig) -> ScheduleOptions:
    """The options every design of stage 2 is scheduled with: one search worker, the run's
    seed, a deterministic budget and the wall-clock safety net."""
    return ScheduleOptions(time_limit=wall_clock_net(config), deterministic_time=deterministic_units(config),
                           workers=1, seed=config.seed, objective=config.schedule_objective, solver="cpsat")
