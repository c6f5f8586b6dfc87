"""Screening throughput of the layout search, 1 and 2 workers, local processes and Ray.

The candidates are generated once up front (the same `mixed` sequence a run uses), so the
numbers measure stage 1 itself: checker, aisle routing, flow distance, area, plus the
backend's overhead (pickling, chunking, result transport). Each configuration first screens
one warm-up chunk per worker (process or Ray start-up is not throughput), then the timed
candidates. Writes benchmarks/results/search.md.

    .venv/bin/python benchmarks/search_bench.py [--layout layouts/electronics_assembly.yaml] [--candidates 2000]

Not a test: it is slow and its numbers depend on what else the machine is doing.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer import placement  # noqa: E402
from optimizer.planning import ScheduleOptions  # noqa: E402
from optimizer.runner import make_runner  # noqa: E402
from optimizer.search.rows import placements_of  # noqa: E402
from optimizer.search.tasks import Candidate, EvalContext, screen_chunk  # noqa: E402
from twin.physics import Physics  # noqa: E402
from twin.io import load_layout  # noqa: E402


def _items(layout, n: int, seed: int) -> list[Candidate]:
    return [Candidate(seq, placement.candidate_key(cand), "mixed", placements_of(cand))
            for seq, cand in enumerate(placement.generate("mixed", layout, n, seed), start=1)]


def _chunks(items: list[Candidate], size: int) -> list[list[Candidate]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def measure(backend: str, workers: int, ctx: EvalContext, items: list[Candidate], chunk: int, repeat: int) -> dict:
    """Best and median rate over `repeat` timed passes on one runner (the machine is shared,
    so the best pass is the one least disturbed by other work)."""
    started = time.perf_counter()
    rates = []
    with make_runner(backend, workers, ctx) as runner:
        list(runner.map_unordered(screen_chunk, _chunks(items[: chunk * workers], chunk)))  # warm-up
        startup = time.perf_counter() - started
        for _ in range(repeat):
            valid = 0
            t0 = time.perf_counter()
            for _, records in runner.map_unordered(screen_chunk, _chunks(items, chunk)):
                valid += sum(r.valid for r in records)
            rates.append(len(items) / (time.perf_counter() - t0))
    rates.sort()
    return {"backend": backend, "workers": workers, "candidates": len(items), "valid": valid, "best": rates[-1],
            "median": rates[len(rates) // 2], "startup": startup, "repeat": repeat}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layout", default=str(ROOT / "layouts" / "electronics_assembly.yaml"))
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--chunk-size", type=int, default=50)
    parser.add_argument("--backends", default="local,ray")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per configuration (default 3)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "search.md"))
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    layout_path = Path(args.layout).resolve()
    layout = load_layout(layout_path)
    t0 = time.perf_counter()
    items = _items(layout, args.candidates, seed=0)
    gen_seconds = time.perf_counter() - t0
    text = layout.model_dump_json(by_alias=True)
    ctx = EvalContext(layout_json=text, layout_dir=str(layout_path.parent), task_times=(),
                      schedule_options=ScheduleOptions(time_limit=1.0, workers=1), physics=Physics())
    rows = []
    for backend in args.backends.split(","):
        for workers in (1, 2):
            row = measure(backend, workers, ctx, items, args.chunk_size, args.repeat)
            print(f"{backend:5s} {workers} worker(s): best {row['best']:7.1f}, median {row['median']:7.1f} candidates/s "
                  f"(start-up {row['startup']:.1f} s)", flush=True)
            rows.append(row)

    lines = [
        "# Layout search: screening throughput",
        "",
        f"Measured {datetime.now():%Y-%m-%d %H:%M} on {platform.node() or 'this machine'} "
        f"({os.cpu_count()} cores, shared with other work: load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after), Python {platform.python_version()}.",
        f"Layout `{layout_path.relative_to(ROOT) if layout_path.is_relative_to(ROOT) else layout_path}` "
        f"({len(layout.stations)} stations); {len(items)} candidates from the `mixed` generator (seed 0), "
        f"chunks of {args.chunk_size}; stage 1 = independent layout checker + aisle routing + flow distance + area.",
        "",
        f"Each configuration: {args.repeat} timed passes over all candidates after a warm-up chunk per worker; "
        "best and median pass. Local with 1 worker runs inline in the calling process (what a 1-worker run does).",
        "",
        "| backend | workers | candidates/s (best) | candidates/s (median) | start-up (s) | speed-up vs 1 worker (best / median) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    one = {r["backend"]: r for r in rows if r["workers"] == 1}
    for r in rows:
        b = one[r["backend"]]
        lines.append(f"| {r['backend']} | {r['workers']} | {r['best']:.1f} | {r['median']:.1f} | {r['startup']:.1f} | "
                     f"{r['best'] / b['best']:.2f}x / {r['median'] / b['median']:.2f}x |")
    lines += [
        "",
        f"Generating the {len(items)} candidates in one process took {gen_seconds:.1f} s "
        f"({len(items) / gen_seconds:.0f} candidates/s). In a run the parent generates while the workers screen, "
        "so a run's stage 1 goes no faster than the generator.",
        "",
        f"Reproduce: `.venv/bin/python benchmarks/search_bench.py --candidates {args.candidates}`",
        "",
    ]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
