"""Cell layout optimisation speed and gain (not a test): candidate cells simulated per second
on 1 and 2 local worker processes and on a local Ray with 2 CPUs, and the cycle-time gain `optimize-cell` finds on every
robot cell of the four sample factories (fresh cache, seed 0). Writes
benchmarks/results/cell_opt.md.

    .venv/bin/python benchmarks/cell_opt_bench.py [--candidates N] [--rate-candidates N]

`--rate-candidates` (default: `--candidates`) sets the candidates of the speed runs: a run of a
few seconds mostly measures starting the worker processes or Ray.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from optimizer.cell_search import optimize_cell  # noqa: E402
from twin.io import load_layout  # noqa: E402
from twin.physics import Physics, robot_cells  # noqa: E402

SAMPLES = ("electronics_assembly", "auto_parts", "food_packaging", "lights_out_phone")
RATE_CELL = ("electronics_assembly", "robot_assembly")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--candidates", type=int, default=40)
    parser.add_argument("--rate-candidates", type=int)
    args = parser.parse_args()
    rate_candidates = args.rate_candidates or args.candidates
    command = f"--candidates {args.candidates}" + (f" --rate-candidates {rate_candidates}" if args.rate_candidates else "")
    lines = ["# Cell layout optimisation (`optimize-cell`)", "",
             f"`benchmarks/cell_opt_bench.py {command}`; {platform.processor() or platform.machine()}, "
             f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start (the machine is shared).", "",
             "## Candidates per second", "", "Ray's seconds include starting a local Ray.", "",
             "| cell | backend | workers | candidates | seconds | per second |", "| --- | --- | --- | --- | --- | --- |"]
    folder = ROOT / "layouts"
    name, cell = RATE_CELL
    layout = load_layout(folder / f"{name}.yaml")
    for backend, workers in (("local", 1), ("local", 2), ("ray", 2)):
        with tempfile.TemporaryDirectory() as cache, Physics(cache) as physics:
            r = optimize_cell(layout, folder, cell, physics, candidates=rate_candidates, seed=0, workers=workers,
                              backend=backend)
        lines.append(f"| {name} / {cell} | {backend} | {workers} | {r.evaluated} | {r.seconds:.1f} | "
                     f"{r.evaluated / r.seconds:.2f} |")
        print(lines[-1], flush=True)
    lines += ["", "## Gain on the sample cells (2 workers, seed 0)", "",
              "| sample | cell | cycle as given (s) | best (s) | gain | feasible / simulated |",
              "| --- | --- | --- | --- | --- | --- |"]
    for name in SAMPLES:
        layout = load_layout(folder / f"{name}.yaml")
        for _, station in robot_cells(layout):
            with tempfile.TemporaryDirectory() as cache, Physics(cache) as physics:
                r = optimize_cell(layout, folder, station.id, physics, candidates=args.candidates, seed=0, workers=2)
            gain = "-" if r.gain is None else f"{100 * r.gain:.1f} %"
            before = "fails" if r.before is None else f"{r.before:.3f}"
            lines.append(f"| {name} | {station.id} | {before} | {r.best:.3f} | {gain} | {r.feasible} / {r.evaluated} |")
            print(lines[-1], flush=True)
    lines += ["", f"Load average {os.getloadavg()[0]:.1f} at the end."]
    out = ROOT / "benchmarks" / "results" / "cell_opt.md"
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
