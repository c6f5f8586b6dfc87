"""Lots in transfer batches on AGV legs: the plan against the running twin. The electronics
sample with every product's `transfer_batch` set to each of `--batches` (units; a product's lot
size when that is smaller, `whole` for none), then for each variant:

- the dispatching rules' plan and the simple lower bound (in this process);
- `factory-twin schedule` at its default 10 s, once per `--seeds` value (its own process);
- `factory-twin evaluate --policy fifo`: the running twin driven by first-in-first-out, whose
  vehicles answer calls as they come, 10 replications; its units over its throughput is the
  time the twin needs.

    .venv/bin/python benchmarks/transfer_batch_bench.py [--batches whole,40,20,10] [--seeds 0,1]
        [--out FILE]

A plan much longer than the twin's time under a simple rule is a plan the factory would not follow.
Writes benchmarks/results/transfer_batches.md (or `--out`).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "layouts" / "electronics_assembly.yaml"
sys.path.insert(0, str(ROOT))

from benchmarks.tables import write_markdown  # noqa: E402
from benchmarks.vehicle_routes_bench import sample_problem  # noqa: E402


def variant(folder: Path, batch: str) -> tuple[Path, int]:
    """The sample with `transfer_batch` = `batch` on every product (capped at its lot size); the
    file and the units it makes."""
    data = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    for product in data["products"]:
        if batch != "whole":
            product["transfer_batch"] = min(int(batch), product["lot_size"])
    path = folder / f"electronics_batch_{batch}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path, sum(p["demand"] for p in data["products"])


def command(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optimizer.cli", *args], capture_output=True, text=True,
                          cwd=SAMPLE.parent, env={**os.environ, "PYTHONPATH": str(ROOT)})


def rules(path: Path) -> tuple[int, int]:
    """(the dispatching rules' makespan, the simple lower bound), seconds."""
    from optimizer.dispatch import best_placement, makespan, simple_lower_bound

    problem = sample_problem(path)
    plan = best_placement(problem)
    return round(problem.to_seconds(makespan(problem, plan.placed))), round(problem.to_seconds(simple_lower_bound(problem)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", default="whole,40,20,10")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "transfer_batches.md"))
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    rows = []
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for batch in args.batches.split(","):
            path, units = variant(Path(tmp), batch)
            rule_makespan, bound = rules(path)
            plans = []
            for seed in seeds:
                out = Path(tmp) / f"schedule_{batch}_{seed}.json"
                proc = command(["schedule", str(path), "--seed", str(seed), "--out", str(out)])
                if proc.returncode != 0:
                    plans.append(f"failed: {(proc.stderr.strip().splitlines() or [''])[-1][:80]}")
                    continue
                doc = json.loads(out.read_text(encoding="utf-8"))
                plans.append(f"{doc['makespan']:,.0f} ({doc['solver']})")
            proc = command(["evaluate", str(path), "--policy", "fifo", "--replications", "10", "--workers", "2",
                            "--json"])
            twin = json.loads(proc.stdout)["kpis"]["throughput_per_hour"] if proc.returncode == 0 else None
            twin_cell = "failed" if twin is None else f"{twin['mean']:.1f} ({units / twin['mean'] * 3600:,.0f})"
            rows.append(f"| {batch} | {bound:,} | {rule_makespan:,} | {' / '.join(plans)} | {twin_cell} |")
            print(rows[-1], flush=True)
    write_markdown(
        args.out, "Lots in transfer batches on AGV legs: the plan against the running twin",
        f"The electronics sample with every product's transfer batch set as in the first column (units; whole: "
        f"none). Plan: `factory-twin schedule` at its default 10 s, seeds {args.seeds}, makespan (solver). Twin: "
        f"`factory-twin evaluate --policy fifo --replications 10`, throughput in units/h (mean) and the time its "
        f"units take at that rate, s. `.venv/bin/python benchmarks/transfer_batch_bench.py --batches {args.batches} "
        f"--seeds {args.seeds}`, on {commit}, 1-minute load average {load:.1f} at the start.",
        ["| transfer batch | lower bound (s) | dispatching rules (s) | plan at 10 s (s) | twin, FIFO: units/h (s) |",
         "| --- | ---: | ---: | --- | --- |", *rows], [])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
