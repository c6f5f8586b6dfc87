"""Simulate a layout (the running twin) over replications and report KPIs with 95 % intervals.

Follows a CP-SAT schedule (--schedule S.json, from `factory-twin schedule`) or a dispatching
rule (--policy fifo|edd|spt). Process-time distributions, breakdowns (MTBF/MTTR), finite
buffers and individual AGVs come from the layout file. Replications run on local worker
processes with common random numbers: the same seed gives the same result for any worker
count. Exit codes: 0 ok, 2 bad input.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from twin.errors import InputError
from twin.sim.replications import STEADY_HORIZON

from optimizer.cli import arguments
from optimizer.names import Backend

MAX_SIMULATED_SECONDS = 366 * 24 * 3600.0  # a year of plant time: 30-day unmanned runs fit
MAX_REPLICATIONS = 10_000


def _simulated_seconds(text: str, low_ok: bool) -> float:
    value = arguments._number(text, "a number of seconds")  # finite, or the shared message
    if value < 0 or (value == 0 and not low_ok):
        raise argparse.ArgumentTypeError(f"must be {'>= 0' if low_ok else 'positive'}, got {text}")
    if value > MAX_SIMULATED_SECONDS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_SIMULATED_SECONDS:g} s (a year), got {text}")
    return value


def horizon_seconds(text: str) -> float:
    return _simulated_seconds(text, low_ok=False)


def warmup_seconds(text: str) -> float:
    return _simulated_seconds(text, low_ok=True)


def replication_count(text: str) -> int:
    value = arguments.positive_int(text)
    if value > MAX_REPLICATIONS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_REPLICATIONS}, got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="layout file (YAML or JSON)")
    control = parser.add_mutually_exclusive_group()
    control.add_argument("--schedule", metavar="S.json", help="follow this schedule (station choices, sequences, start times)")
    control.add_argument("--policy", choices=("fifo", "edd", "spt"), help="dispatching rule (default fifo)")
    parser.add_argument("--replications", type=replication_count, default=10, help="independent runs (default 10)")
    parser.add_argument("--horizon", type=horizon_seconds, help="simulated seconds (default: until every lot is done; "
                        f"{STEADY_HORIZON:g} with a steady demand rate)")
    parser.add_argument("--warmup", type=warmup_seconds, default=0.0, help="seconds left out of the statistics (default 0)")
    parser.add_argument("--seed", type=arguments.seed, default=0, help=f"0 to {arguments.MAX_SEED} (default 0)")
    parser.add_argument("--workers", type=arguments.workers, default=1, help="worker processes (default 1)")
    parser.add_argument("--backend", choices=Backend.names(), default="local",
                        help="replications on local processes (default) or as Ray tasks")
    parser.add_argument("--address", help="Ray cluster address (default: start a local Ray)")
    parser.add_argument("--json", action="store_true", help="print the evaluation document as JSON")
    parser.add_argument("--trace", metavar="OUT.jsonl", type=arguments.output_file,
                        help="write replication 0's operations, trips and failures")


def _read_schedule(path: str):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}") from None


def _mapper(workers: int, backend: str = "local", address: str | None = None):
    """Replications over the search's runner: local processes, or Ray tasks on a local Ray or
    the cluster at `address` (common random numbers make the result the same either way)."""
    from optimizer.runner import make_runner

    def mapper(fn, context, items):
        with make_runner(backend, workers, context, address) as runner:
            yield from runner.map_unordered(fn, items)

    return mapper


def _counted(mapper, clock):
    """`mapper` that steps `clock` as each replication comes back (for the progress line)."""

    def counted(fn, context, items):
        for item, result in mapper(fn, context, items):
            clock.step(f"replication {item}")
            yield item, result

    return counted


def _write_trace(path: str, run) -> None:
    rows = [{"event": "operation", **vars(op)} for op in run.operations]
    rows += [{"event": "trip", "lot": t.lot, "vehicle": t.vehicle, "from": t.from_station, "to": t.to_station,
              "start": t.start, "end": t.end, "empty_seconds": t.empty_seconds, "empty_start": t.empty_start}
             for t in run.trips]
    rows += [{"event": "failure", "station": sid, "lane": lane, "start": down, "end": up}
             for sid, spans in run.failures.items() for lane, down, up in spans]
    rows.sort(key=lambda row: (row["start"], row["event"]))
    try:
        with open(path, "w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row) + "\n")
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from None


def run(args: argparse.Namespace) -> int:
    from twin.clock import CommandClock
    from twin.io import load_layout
    from twin.physics import Physics
    from twin.sim.control import plan_from_schedule
    from twin.sim.kpis import evaluation_document, evaluation_table
    from twin.sim.replications import default_horizon, inline_mapper, prepare, run_replications

    from optimizer.cli.progress import progress_on_stderr

    if args.address and args.backend != "ray":
        raise InputError("--address names a Ray cluster: give it with --backend ray")
    arguments.check_local_workers(args.workers, args.backend, args.address)
    path = Path(args.file)
    clock = CommandClock()
    with progress_on_stderr(clock):
        with Physics() as physics:  # safety clearance and robot-cell cycle times
            layout, factory = prepare(load_layout(path, clock), path.resolve().parent, physics, str(path), clock)
        plan = plan_from_schedule(_read_schedule(args.schedule), factory, args.schedule) if args.schedule else None
        horizon = args.horizon if args.horizon is not None else default_horizon(layout)
        if horizon is not None and args.warmup >= horizon:
            raise InputError(f"--warmup ({args.warmup:g} s) must end before the horizon ({horizon:g} s)")
        policy = args.policy or "fifo"
        clock.stage("simulating replications", total=args.replications)
        runs = run_replications(
            factory, args.replications, _counted(inline_mapper if args.workers == 1 and args.backend == "local"
                                              else _mapper(args.workers, args.backend, args.address), clock),
            policy=policy, plan=plan, seed=args.seed, horizon=horizon, warmup=args.warmup, trace=bool(args.trace),
        )
    doc = evaluation_document(layout.name, runs, control="schedule" if plan else policy, seed=args.seed,
                              horizon=horizon, warmup=args.warmup, fleet_size=factory.agv_fleet)
    if args.trace:
        _write_trace(args.trace, runs[0])
    print(json.dumps(doc, indent=2) if args.json else evaluation_table(doc))
    return 0
