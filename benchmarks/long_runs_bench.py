"""Long unmanned runs of the running twin: a week of the lights-out phone line
(layouts/lights_out_phone.yaml) and 30 days of the auto-parts sample's robot-tended lathe
cell in the FANUC style (the lathe cnc_lathe_1 and its robot robot_tend_lathe, which in the
sample tends lathe 2 as well, taken from layouts/auto_parts.yaml with their breakdown
figures, fed at a steady rate). Each line is
run with its breakdowns and again with them switched off, on the same random numbers
(common random numbers), so the paired difference is what the breakdowns cost. Also the
wall time of one replication. Writes benchmarks/results/long_runs.md.

    .venv/bin/python benchmarks/long_runs_bench.py [--replications 5] [--workers 2]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from benchmarks.tables import write_markdown  # noqa: E402
from twin.io import layout_from_data, load_layout  # noqa: E402
from twin.model import Layout  # noqa: E402
from twin.physics import Physics, task_times  # noqa: E402
from twin.sim.factory import compile_factory  # noqa: E402
from twin.sim.kpis import interval  # noqa: E402
from twin.sim.replications import run_replications  # noqa: E402
from twin.validate import validate_layout  # noqa: E402

DAY = 86_400.0
CELL = ("cnc_lathe_1", "robot_tend_lathe")
CELL_PRODUCT = "steering_knuckle"
CELL_RATE = 40.0  # units/h: the lathe turns a knuckle in 70 s (51/h at most)


def lathe_cell(sample: Layout) -> Layout:
    """The sample's lathe 1 and its tending robot with their belt, making steering knuckles
    at a steady rate (op10 turning and the robot's unload, as in the sample's routing)."""
    data = sample.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["name"] = "auto_parts_lathe_cell"
    data["stations"] = [s for s in data["stations"] if s["id"] in CELL]
    for station in data["stations"]:  # the robot tends lathe 2 too, which this cell leaves out
        if station.get("cell", {}).get("tends"):
            station["cell"]["tends"] = [t for t in station["cell"]["tends"] if t["machine"] in CELL]
    data["transport"]["conveyors"] = [c for c in data["transport"]["conveyors"]
                                      if c["from"] in CELL and c["to"] in CELL]
    product = next(p for p in data["products"] if p["id"] == CELL_PRODUCT)
    product["routing"] = [dict(op, stations=[s for s in op["stations"] if s in CELL]) for op in product["routing"]
                          if set(op.get("stations") or ()) & set(CELL)]
    product.update(rate=CELL_RATE, demand=int(CELL_RATE * 24), release=0.0, arrivals={"kind": "fixed"})  # bar feeder
    product.pop("due", None)
    data["products"] = [product]
    data["changeovers"] = []
    data["operators"] = {"pools": []}
    return layout_from_data(data)


def without_breakdowns(layout: Layout) -> Layout:
    return layout.with_stations([s.model_copy(update={"mtbf": None, "mttr": None}) for s in layout.stations])


def mapper(workers: int):
    from optimizer.runner import make_runner

    def run(fn, context, items):
        with make_runner("local", workers, context) as runner:
            yield from runner.map_unordered(fn, items)

    return run if workers > 1 else None


def measure(layout: Layout, cycles, days: float, replications: int, workers: int) -> dict:
    horizon, warmup = days * DAY, 3_600.0
    out = {}
    for label, variant in (("with breakdowns", layout), ("without", without_breakdowns(layout))):
        factory = compile_factory(variant, cycles)
        start = time.perf_counter()
        runs = run_replications(factory, replications, mapper(workers), seed=0, horizon=horizon, warmup=warmup)
        out[label] = (runs, time.perf_counter() - start)
    return out


def rows_for(name: str, layout: Layout, days: float, result: dict, workers: int) -> list[str]:
    runs, wall = result["with breakdowns"]
    ideal, _ = result["without"]
    rate = sum(p.rate for p in layout.products)
    got = interval([r.throughput_per_hour for r in runs])
    lost = interval([(b.throughput_per_hour - a.throughput_per_hour) * (days * 24 - 1)
                     for a, b in zip(runs, ideal)])
    lead = interval([a.lead_time_s / 60 for a in runs])
    longer = interval([(a.lead_time_s - b.lead_time_s) / 60 for a, b in zip(runs, ideal)])
    down = max(layout.stations, key=lambda s: sum(r.stations[s.id]["down"] for r in runs))
    down_share = interval([r.stations[down.id]["down"] for r in runs])
    per_rep = wall * min(workers, len(runs)) / len(runs)
    return [f"| {name} | {days:g} d | {rate:,.0f} | {got['mean']:,.1f} [{got['ci95_low']:,.1f}, {got['ci95_high']:,.1f}] "
            f"| {lost['mean']:,.0f} [{lost['ci95_low']:,.0f}, {lost['ci95_high']:,.0f}] "
            f"| {lead['mean']:,.1f} | {longer['mean']:+,.1f} [{longer['ci95_low']:+,.1f}, {longer['ci95_high']:+,.1f}] "
            f"| {down.id} {100 * down_share['mean']:.1f} % | {runs[0].bottleneck} | {per_rep:,.1f} s |"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "long_runs.md"))
    args = parser.parse_args()
    layouts = ROOT / "layouts"
    with Physics() as physics:
        lights = validate_layout(load_layout(layouts / "lights_out_phone.yaml"), layouts, physics)
        cell = validate_layout(lathe_cell(load_layout(layouts / "auto_parts.yaml")), layouts, physics)
        cases = [("lights_out_phone (7 days)", lights, 7.0, task_times(lights, layouts, physics)),
                 ("auto_parts lathe cell, FANUC style (30 days)", cell, 30.0, task_times(cell, layouts, physics))]
    rows = ["| line | horizon | design rate (units/h) | throughput (units/h) [95 % CI] | units lost to breakdowns "
            "[95 % CI] | lead time (min) | lead time added by breakdowns (min) [95 % CI] | most down | bottleneck "
            "| wall per replication |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    load_before = os.getloadavg()[0]
    for name, layout, days, cycles in cases:
        print(f"{name}: {args.replications} replications ...", flush=True)
        rows += rows_for(name, layout, days, measure(layout, cycles, days, args.replications, args.workers),
                         args.workers)
    load_after = os.getloadavg()[0]
    write_markdown(args.out, "Long unmanned runs of the running twin",
                   f"`.venv/bin/python benchmarks/long_runs_bench.py --replications {args.replications} --workers "
                   f"{args.workers}`: {args.replications} replications of each line, seed 0, warm-up 1 h, steady "
                   "demand at the design rate, run once with the layout's breakdowns and once without them on "
                   "the same random numbers; the units lost are the paired difference over the horizon.",
                   rows, [f"Load average {load_before:.1f} before, {load_after:.1f} after, on "
                          f"{os.cpu_count()} cores. Wall per replication = wall time x workers / replications."])
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
