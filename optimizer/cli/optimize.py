"""Search for better layouts: screen thousands of candidates, schedule the best, rank them.

Writes a run folder (default runs/<layout>-<time>) with run.sqlite, best_layout.yaml,
best_schedule.json, best_layout.png and report.md. An interrupted run resumes with --resume.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from twin.errors import LayoutError, Problem

from optimizer.cli import arguments
from optimizer.cli.validate import print_problems
from optimizer.names import Backend, GeneratorName, SearchObjective
from optimizer.search.config import SearchConfig
from optimizer.search.progress import Progress

_DEFAULTS = SearchConfig()
NO_CHECKED_SCHEDULE = 3  # as `schedule` exits when there is no feasible schedule


def add_arguments(parser: argparse.ArgumentParser) -> None:
    d = _DEFAULTS
    parser.add_argument("file", metavar="FILE", help="layout file (.yaml or .json)")
    parser.add_argument("--candidates", type=arguments.positive_int, help=f"candidate layouts to screen (default {d.candidates})")
    parser.add_argument("--shortlist", type=arguments.count, help=f"best-by-flow candidates to schedule (default {d.shortlist})")
    parser.add_argument("--time-limit", type=arguments.seconds,
                        help=f"stage 2's budget per schedule: this / 4 deterministic CP-SAT units per 200 "
                             f"operations, up to twice that below 100 (default {d.time_limit:g})")
    parser.add_argument("--simulate", type=arguments.count, help=f"best designs the running twin judges with the as-is layout (default {d.simulate})")
    parser.add_argument("--replications", type=arguments.count, help=f"replications per design and round (default {d.replications})")
    parser.add_argument("--max-replications", type=arguments.count, help=f"replications a design in contention gets at most (default {d.max_replications})")
    parser.add_argument("--workers", type=arguments.workers, default=d.workers, help=f"worker processes or Ray CPUs (default {d.workers})")
    parser.add_argument("--backend", choices=Backend.names(), default=d.backend, help="local processes (default) or Ray tasks")
    parser.add_argument("--address", help="Ray cluster address (default: start a local Ray)")
    parser.add_argument("--seed", type=arguments.seed, help=f"random seed, 0 to {arguments.MAX_SEED} (default {d.seed})")
    parser.add_argument("--generator", help=f"placement generator: {', '.join(GeneratorName.names())} (default {d.generator})")
    parser.add_argument("--objective", choices=SearchObjective.names(), help=f"ranking objective (default {d.objective})")
    parser.add_argument("--chunk-size", type=arguments.positive_int, default=d.chunk_size, help=f"candidates per screening task (default {d.chunk_size})")
    parser.add_argument("--out", type=arguments.output_dir, metavar="DIR", help="run folder (default runs/<layout>-<timestamp>)")
    parser.add_argument("--resume", metavar="RUN", help="resume the interrupted run in this folder")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _config(args: argparse.Namespace) -> SearchConfig:
    from twin.errors import InputError

    given = {name: getattr(args, name) for name in SearchConfig.RESULT_FIELDS if getattr(args, name, None) is not None}
    if args.resume:
        from optimizer.store import RunStore

        with RunStore.open(args.resume) as store:
            stored = store.get_meta("config") or {}
        clash = [f"--{k.replace('_', '-')} {v} (the run has {stored.get(k)})" for k, v in given.items() if stored.get(k) != v]
        if clash:
            raise InputError("a resumed run keeps its settings; drop " + ", ".join(clash))
        if args.out:
            raise InputError("--out and --resume do not go together: a resumed run stays in its folder")
    arguments.check_local_workers(args.workers, args.backend, args.address)
    return SearchConfig(**given, workers=args.workers, backend=args.backend, address=args.address,
                        chunk_size=args.chunk_size).check()


class _Bar:
    """A tqdm bar over screened + scheduled candidates with the best so far and our own ETA
    (schedules take far longer than screens, so tqdm's rate-based guess would mislead)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None

    def __call__(self, p: Progress) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        total = p.candidates + p.shortlist
        if self.bar is None:
            self.bar = tqdm(total=total, unit="cand", file=sys.stderr, dynamic_ncols=True, mininterval=0.5,
                            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt}{postfix}")
        self.bar.total = total
        self.bar.n = p.screened + p.scheduled
        eta = "–" if p.eta is None else _clock(p.eta)
        best = []
        if p.best_makespan is not None:
            best.append(f"makespan {p.best_makespan:,.0f} s")
        if p.best_flow is not None:
            best.append(f"flow {p.best_flow:,.0f}")
        self.bar.set_description_str(p.stage, refresh=False)
        self.bar.set_postfix_str(
            f"screened {p.screened}/{p.candidates} scheduled {p.scheduled}/{p.shortlist} simulated {p.simulated} "
            f"best {', '.join(best) or '–'} | {_clock(p.elapsed)} elapsed, ETA {eta}", refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _input_problems(file: str) -> list[Problem]:
    """What `validate` would refuse, except the as-is placement (the search re-places stations);
    a big file shows its reading's progress on stderr."""
    from twin.clock import CommandClock
    from twin.io import load_layout
    from twin.validate import search_input_problems

    from optimizer.cli.progress import progress_on_stderr

    clock = CommandClock()
    with progress_on_stderr(clock):
        try:
            layout = load_layout(file, clock)
            clock.stage("validating the layout")
            return search_input_problems(layout)
        except LayoutError as exc:
            return exc.problems


def run(args: argparse.Namespace) -> int:
    # here, not at the top: every command's module is imported to build the parser, and the
    # run pulls in the solver and the physics, which other commands do not need
    from twin.physics import Physics

    from optimizer.report import stage_times_text, verdict_text
    from optimizer.search.run import SearchInterrupted, run_search
    from optimizer.store import DiskFull

    config = _config(args)
    if not args.resume:  # refuse bad input before a run folder exists
        problems = _input_problems(args.file)
        if problems:
            print_problems(args.file, problems)
            return 2
    bar = _Bar(enabled=not args.quiet)
    try:
        with Physics() as physics:
            result = run_search(args.file, config, out_dir=args.out, resume=args.resume, progress=bar, physics=physics)
    except SearchInterrupted as exc:
        bar.close()
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    except DiskFull as exc:  # the run is kept and resumable, as after lost workers
        bar.close()
        print(f"error: {exc}: factory-twin optimize {args.file} --resume {exc.run_dir}", file=sys.stderr)
        return exc.exit_code
    finally:
        bar.close()
    print(f"run folder: {result.run_dir}")
    print(f"screened {result.screened} candidates ({result.valid} valid), scheduled {result.scheduled} "
          f"({result.schedule_ok} passed the schedule checker) in {result.elapsed:.0f} s")
    print(stage_times_text(result))
    if result.best is None and result.config.shortlist == 0:
        print("screening only (--shortlist 0): nothing was scheduled")
        return 0
    if result.best is None:  # nothing to recommend: a failure, whatever was screened
        print(f"error: no candidate has a checked schedule; see {Path(result.run_dir) / 'report.md'}", file=sys.stderr)
        return NO_CHECKED_SCHEDULE
    for line in verdict_text(result):
        print(line)
    gain = result.improvement()
    print("plan and screening figures, best against as-is:")
    for key, label, unit in (("makespan", "makespan", "s"), ("flow_distance", "flow distance", "lot trips x m"),
                             ("floor_area", "floor area", "m2"), ("travel", "travel", "m")):
        row = gain[key]
        if row["best"] is None:
            continue
        as_is = f"{row['as_is']:,.1f}" if row["as_is"] is not None else "–"
        pct = f" ({row['percent']:+.2f} %)" if row["percent"] is not None else ""
        print(f"  {label:14s} as-is {as_is:>14s}  best {row['best']:>14,.1f} {unit}{pct}")
    if result.best.dispatch_only:
        print(f"  (best #{result.best.seq} has only the dispatch fallback schedule, not a CP-SAT plan)")
    print(f"best layout: {Path(result.run_dir) / 'best_layout.yaml'}; report: {Path(result.run_dir) / 'report.md'}")
    return 0
