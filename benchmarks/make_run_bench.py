"""The default `make run` (`factory-twin optimize` on the electronics sample with default
settings), timed end to end and split by stage, with the running twin's verdict.

Stage times come from the run database: each stored row carries the time it was written, so
stage 1 (screening) ends with the last candidate, stage 2 (schedules) with the last schedule
and stage 3 (the running twin) with the last replication; the rest (physics before the run,
writing the run folder) is the difference to the wall time of the whole command. Writes
benchmarks/results/make_run.md.

    .venv/bin/python benchmarks/make_run_bench.py [--layout layouts/electronics_assembly.yaml] [--workers 2]
        [--timeout SECONDS] [--profile-schedule]

Not a test: it takes minutes and its numbers depend on what else the machine is doing (the
load average is recorded next to them).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def stage_times(run_dir: Path) -> list[tuple[str, int, float]]:
    """(stage, rows, wall seconds) from the rows' write times in the run database."""
    from optimizer.store import RunStore

    with RunStore.open(run_dir) as store:
        return store.stage_times()


def schedule_sources(run_dir: Path) -> dict[str, int]:
    """How many stored schedules each solver made ("cpsat", or "dispatch": the fallback), and
    how many the wall-clock safety net cut ("wall_clock_cut")."""
    db = sqlite3.connect(run_dir / "run.sqlite")
    try:
        rows = db.execute("SELECT json_extract(schedule_json, '$.solver'), COUNT(*) FROM schedules "
                          "WHERE schedule_json IS NOT NULL GROUP BY 1").fetchall()
        cut = db.execute("SELECT COUNT(*) FROM schedules WHERE json_extract(schedule_json, '$.wall_clock_cut') = 1"
                         ).fetchone()[0]
        return {**{solver or "none": count for solver, count in rows}, "wall_clock_cut": cut}
    finally:
        db.close()


def _children_cpu() -> float:
    """User + system CPU seconds of the finished children of this process (and theirs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def profile_schedule(layout_path: Path, repeats: int = 3) -> list[str]:
    """CPU seconds of one stage-2 schedule of the as-is layout (the search's own options and
    task, the wall-clock net widened to an hour so that a loaded machine cannot cut it), split
    into its steps by wrapping them: load-independent, unlike wall time."""
    import functools
    from collections import defaultdict

    import optimizer.planning as planning
    import optimizer.scheduler as scheduler
    from optimizer.search.budget import operation_count, stage2_options
    from optimizer.search.config import SearchConfig
    from optimizer.search.rows import placements_of
    from optimizer.search.tasks import EvalContext, schedule_task
    from twin.io import load_layout
    from twin.physics import Physics, task_times

    spent: dict[str, float] = defaultdict(float)

    def timed(module, name: str, label: str) -> None:
        inner = getattr(module, name)

        @functools.wraps(inner)
        def wrapper(*args, **kwargs):
            started = time.process_time()
            try:
                return inner(*args, **kwargs)
            finally:
                spent[label] += time.process_time() - started

        setattr(module, name, wrapper)

    for module, name, label in (
            (planning, "layout_problem", "problem (routed legs, operations)"),
            (scheduler.dispatch_mod, "best_placement", "warm start (every dispatching rule)"),
            (scheduler, "_variables", "CP-SAT model build"), (scheduler, "_constraints", "CP-SAT model build"),
            (scheduler, "_objective", "CP-SAT model build"), (scheduler, "_hint", "CP-SAT model build"),
            (scheduler, "_solve", "CP-SAT solve"), (scheduler, "_solution", "read back, re-time vehicles"),
            (scheduler.dispatch_mod, "follow", "read back, re-time vehicles"),
            (planning, "check_schedule", "independent check")):
        timed(module, name, label)
    layout = load_layout(layout_path)
    with Physics() as physics:
        times = task_times(layout, layout_path.parent, physics)
        ctx = EvalContext(layout.model_dump_json(by_alias=True), str(layout_path.parent.resolve()),
                          tuple((s, t, v) for (s, t), v in sorted(times.items())),
                          replace(stage2_options(SearchConfig(), operation_count(layout)), time_limit=3600.0),
                          physics)
        started = time.process_time()
        docs = [json.loads(schedule_task(ctx, (0, placements_of(layout))).schedule_json) for _ in range(repeats)]
        total = (time.process_time() - started) / repeats
    rows = [f"| {label} | {seconds / repeats:.2f} |" for label, seconds in spent.items()]
    rows.append(f"| rest (JSON, summary) | {total - sum(spent.values()) / repeats:.2f} |")
    return ["| step | CPU s |", "| --- | ---: |", *rows, f"| **one schedule** | **{total:.2f}** |", "",
            f"{repeats} schedules: solvers {sorted({d['solver'] for d in docs})}, makespan "
            f"{sorted({d['makespan'] for d in docs})} s, cut by the wall-clock net: "
            f"{sum(d['wall_clock_cut'] for d in docs)}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layout", default=str(ROOT / "layouts" / "electronics_assembly.yaml"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds after which the run is stopped as by Ctrl-C; the table then shows how far it got")
    parser.add_argument("--profile-schedule", action="store_true",
                        help="only print the CPU seconds of one stage-2 schedule of the layout, step by step")
    args = parser.parse_args()
    if args.profile_schedule:
        print("\n".join(profile_schedule(Path(args.layout))))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        load_before = os.getloadavg()[0]
        cpu_before = _children_cpu()
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "optimizer.cli", "optimize", args.layout, "--workers",
                                 str(args.workers), "--out", str(run_dir), "--quiet"],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            stdout, stderr = proc.communicate(timeout=args.timeout)
            stopped = False
        except subprocess.TimeoutExpired:  # Ctrl-C: the run stops cleanly and keeps what it finished
            proc.send_signal(signal.SIGINT)
            stdout, stderr = proc.communicate()
            stopped = True
        wall = time.perf_counter() - started
        cpu = _children_cpu() - cpu_before
        load_after = os.getloadavg()[0]
        if proc.returncode != 0 and not stopped:
            print(stdout, stderr, file=sys.stderr)
            return proc.returncode
        stages = stage_times(run_dir)
        sources = schedule_sources(run_dir)
    lines = [
        "# `make run`: time by stage",
        "",
        f"{datetime.now():%Y-%m-%d %H:%M}, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load average {load_before:.1f} before and {load_after:.1f} after (other work on the machine slows "
        f"every stage), `{Path(args.layout).name}`, {args.workers} local workers, default settings.",
        "",
        *([f"**Not finished: stopped (as by Ctrl-C) after the --timeout of {args.timeout:g} s**; the rows show how far "
           "each stage got.", ""] if stopped else []),
        "| stage | rows | wall (s) |",
        "| --- | ---: | ---: |",
        *[f"| {stage} | {rows} | {seconds:.0f} |" for stage, rows, seconds in stages],
        f"| physics, start-up, the as-is plan (before screening), run folder | | {wall - sum(s for _, _, s in stages):.0f} |",
        f"| **total** | | **{wall:.0f}**{' (stopped)' if stopped else ''} |",
        "",
        f"CPU time of the command and its workers: {cpu:.0f} s (user + system), {cpu / 2:.0f} s of wall clock "
        "on two cores that do nothing else.",
        "",
        f"Schedules by solver (the as-is layout included): {sources.get('cpsat', 0)} CP-SAT plans, "
        f"{sources.get('dispatch', 0)} dispatch-rule fallbacks "
        f"({100 * sources.get('dispatch', 0) / max(1, sources.get('cpsat', 0) + sources.get('dispatch', 0)):.1f} %); "
        f"cut short by the wall-clock safety net: {sources['wall_clock_cut']}.",
        "",
        "Output of the command:",
        "",
        "```",
        (stdout + (stderr if stopped else "")).rstrip(),
        "```",
        "",
    ]
    out = ROOT / "benchmarks" / "results" / "make_run.md"
    out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
