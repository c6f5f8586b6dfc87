"""Schedule a layout's products with CP-SAT and write the schedule JSON.

Loads and validates the layout, measures robot-cell task times with physics, routes the
transport legs, solves, checks the answer independently, writes the JSON, and prints a short
summary. Exit codes: 0 ok, 2 bad input, 3 no feasible schedule.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from twin.errors import InputError

from optimizer.cli import arguments
from optimizer.names import Objective


# What the interpreter's exit takes after the summary is printed (unloading CP-SAT, scipy and
# pybullet): 0.3-0.4 s measured on the samples (README, "The time limit is the whole command");
# the solver stops this much earlier so that the command ends within its limit.
EXIT_SECONDS = 0.4


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="layout file (YAML or JSON)")
    parser.add_argument("--out", type=arguments.output_file, default="schedule.json",
                        help="schedule JSON to write (default schedule.json)")
    parser.add_argument("--time-limit", type=arguments.seconds, default=10.0,
                        help="wall seconds for the whole command: reading, validating, robot cells, solving, "
                             "checking (default 10)")
    parser.add_argument("--workers", type=arguments.search_workers, default=2, help="CP-SAT search workers (default 2)")
    parser.add_argument("--seed", type=arguments.seed, default=0, help=f"0 to {arguments.MAX_SEED} (default 0)")
    parser.add_argument("--objective", choices=Objective.names(), default="makespan")
    parser.add_argument("--solver", default="cpsat", help="cpsat (default) or dispatch")


def run(args: argparse.Namespace) -> int:
    started = args.command_started  # `main`'s start: the limit bounds the whole command
    from twin.clock import CommandClock
    from twin.io import load_layout
    from twin.physics import Physics

    from optimizer.cli.progress import progress_on_stderr
    from optimizer.planning import ScheduleOptions, schedule_layout
    from optimizer.schedule_json import WrongSchedule, schedule_json_text

    path = Path(args.file)
    options = ScheduleOptions(time_limit=args.time_limit, workers=args.workers, seed=args.seed,
                              objective=args.objective, solver=args.solver, started=started,
                              keep_back=EXIT_SECONDS)
    clock = CommandClock(args.time_limit, started)  # stepped by reading, validation and physics
    with progress_on_stderr(clock), Physics() as physics:
        layout = load_layout(path, clock)
        result = schedule_layout(layout, path.resolve().parent, physics, options, source=str(path), clock=clock)
    if result.check:  # a solver bug: say so loudly rather than write a wrong schedule
        raise WrongSchedule("the schedule failed the independent check, so it is not written:\n  "
                            + "\n  ".join(result.check))
    layout, problem, schedule = result.layout, result.problem, result.schedule
    text = schedule_json_text(result.to_json())
    out = Path(args.out)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{out}: cannot write ({exc.strerror or exc})") from None
    figures = result.summary().kpis
    sec = problem.to_seconds
    if args.objective == "makespan":
        print(f"{layout.name}: {schedule.status} ({schedule.solver}), makespan {sec(schedule.makespan):g} s, "
              f"lower bound {sec(schedule.lower_bound):g}, gap {100 * schedule.gap:.1f} %")
    else:
        print(f"{layout.name}: {schedule.status} ({schedule.solver}), weighted tardiness "
              f"{sec(schedule.objective_value):g}, lower bound {sec(schedule.lower_bound):g}, "
              f"gap {100 * schedule.gap:.1f} %, makespan {sec(schedule.makespan):g} s")
    busiest = figures.bottleneck  # the most utilised station; what bounds a line is the twin's to say
    if busiest is not None:
        print(f"busiest station {busiest} ({100 * figures.utilisation[busiest]:.0f} % of the makespan), "
              f"throughput {figures.throughput_per_hour:.1f} units/h")
    print(f"wrote {out}")
    return 0
