"""The default `make run` (`factory-twin optimize` on the electronics sample with default
settings), timed end to end and split by stage, with the running twin's verdict.

Stage times come from the run database: each stored row carries the time it was written, so
stage 1 (screening) ends with the last candidate, stage 2 (schedules) with the last schedule
and stage 3 (the running twin) with the last replication; the rest (physics before the run,
writing the run folder) is the difference to the wall time of the whole command. Writes
benchmarks/results/make_run.md.

    .venv/bin/python benchmarks/make_run_bench.py [--layout layouts/electronics_assembly.yaml] [--workers 2]
        [--timeout SECONDS]

Not a test: it takes minutes and its numbers depend on what else the machine is doing (the
load average is recorded next to them).
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layout", default=str(ROOT / "layouts" / "electronics_assembly.yaml"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds after which the run is stopped as by Ctrl-C; the table then shows how far it got")
    args = parser.parse_args()
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
