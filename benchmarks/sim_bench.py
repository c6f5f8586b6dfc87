"""The running twin: its speed beside Ciw on one tandem network, one 8-hour replication of
each sample, and the validation table (ours against the exact or Ciw value, with the 95 %
interval). The oracles are the tests' own (tests/twin/sim), so the table shows what the tests
check. Writes benchmarks/results/sim.md.

    .venv/bin/python benchmarks/sim_bench.py [--repeat 3]
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "twin" / "sim")]

import test_ciw_tandem as tandem  # noqa: E402  (the tests' oracles)
from sim_fixtures import instant_factory, line_layout  # noqa: E402
from test_queueing_oracles import erlang_c_time_in_system, two_station_throughput  # noqa: E402

from twin.sim.kpis import interval  # noqa: E402
from twin.sim.replications import run_replications  # noqa: E402

SAMPLES = ["electronics_assembly", "auto_parts", "food_packaging", "lights_out_phone"]
SPEED_HORIZON = 2_000_000.0


def tandem_layout():
    n = len(tandem.SERVICES)
    return line_layout(tandem.SERVICES, rate=tandem.RATE_PER_HOUR, output_buffers=[1] * (n - 1) + [None],
                       input_buffers=[None] + [tandem.ROOM - 1] * (n - 1))


def speed(repeat: int) -> list[str]:
    """Wall time of one long run of the tandem line in each engine; lots through per second."""
    factory = instant_factory(tandem_layout())
    ours, theirs = [], []
    for r in range(repeat):
        start = time.perf_counter()
        run = run_replications(factory, 1, seed=r, horizon=SPEED_HORIZON)[0]
        ours.append((time.perf_counter() - start, run.events, run.completed_units))
        tandem.HORIZON, tandem.WARMUP = SPEED_HORIZON, 0.0
        start = time.perf_counter()
        throughput, _ = tandem.ciw_tandem(r)
        theirs.append((time.perf_counter() - start, throughput * SPEED_HORIZON / 3600))
    wall = statistics.median(t for t, _, _ in ours)
    events = statistics.median(e for _, e, _ in ours)
    lots = statistics.median(u for _, _, u in ours)
    ciw_wall = statistics.median(t for t, _ in theirs)
    ciw_lots = statistics.median(u for _, u in theirs)
    return [
        "| engine | wall (s) | lots through | lots/s | SimPy events/s |",
        "| --- | --- | --- | --- | --- |",
        f"| twin.sim (SimPy) | {wall:.2f} | {lots:.0f} | {lots / wall:,.0f} | {events / wall:,.0f} |",
        f"| Ciw {__import__('ciw').__version__} | {ciw_wall:.2f} | {ciw_lots:.0f} | {ciw_lots / ciw_wall:,.0f} | - |",
    ]


def samples() -> list[str]:
    from twin.io import load_layout
    from twin.physics import Physics, task_times
    from twin.sim.factory import compile_factory

    rows = ["| sample | compile (s) | 8-hour replication (s) | SimPy events | units made | throughput (units/h) |",
            "| --- | --- | --- | --- | --- | --- |"]
    for name in SAMPLES:
        path = ROOT / "layouts" / f"{name}.yaml"
        layout = load_layout(path)
        with Physics() as physics:
            times = task_times(layout, path.parent, physics)
        start = time.perf_counter()
        factory = compile_factory(layout, times)
        compiled = time.perf_counter() - start
        start = time.perf_counter()
        run = run_replications(factory, 1, seed=0, horizon=8 * 3600.0)[0]
        rows.append(f"| {name} | {compiled:.2f} | {time.perf_counter() - start:.3f} | {run.events} | "
                    f"{run.completed_units} | {run.throughput_per_hour:.1f} |")
    return rows


def _cell(figure: dict, digits: int = 2) -> str:
    return f"{figure['mean']:.{digits}f} [{figure['ci95_low']:.{digits}f}, {figure['ci95_high']:.{digits}f}]"


def validation() -> list[str]:
    """The same cases, seeds and sizes as tests/twin/sim."""
    rows = ["| case | figure | ours: mean [95 % CI] | reference | source |", "| --- | --- | --- | --- | --- |"]
    for servers, service, rate in [(1, 60.0, 42.0), (3, 150.0, 60.0)]:
        runs = run_replications(instant_factory(line_layout([service], rate=rate, capacities=[servers])), 10, seed=3,
                                horizon=250_000.0, warmup=20_000.0)
        exact = erlang_c_time_in_system(rate / 3600, 1 / service, servers)
        rows.append(f"| M/M/{servers}, rho {rate / 3600 * service / servers:.2f} | time in system (s) | "
                    f"{_cell(interval([r.lead_time_s for r in runs]))} | {exact:.2f} | Erlang C |")
    layout = line_layout([1.0], lots=1, lot_size=2_000_000, shape={"kind": "fixed"}, mtbf=1000.0, mttr=100.0)
    runs = run_replications(instant_factory(layout), 5, seed=1, horizon=1_000_000.0)
    rows.append(f"| one machine, MTBF 1000 s, MTTR 100 s | availability | "
                f"{_cell(interval([r.stations['s0']['busy'] for r in runs]), 4)} | {1000 / 1100:.4f} | MTBF/(MTBF+MTTR) |")
    mu1, mu2, horizon = 1 / 50, 1 / 55, 200_000.0
    layout = line_layout([50.0, 55.0], lots=int(1.3 * mu1 * horizon), output_buffers=[1, None], input_buffers=[None, 1])
    runs = run_replications(instant_factory(layout), 10, seed=5, horizon=horizon, warmup=20_000.0)
    rows.append(f"| two stations, 2 places between | throughput (units/h) | "
                f"{_cell(interval([r.throughput_per_hour for r in runs]))} | "
                f"{two_station_throughput(mu1, mu2, 2) * 3600:.2f} | Markov chain |")
    tandem.HORIZON, tandem.WARMUP = 150_000.0, 15_000.0
    ours = run_replications(instant_factory(tandem_layout()), tandem.REPLICATIONS, seed=11, horizon=tandem.HORIZON,
                            warmup=tandem.WARMUP)
    theirs = [tandem.ciw_tandem(seed) for seed in range(tandem.REPLICATIONS)]
    for label, ours_values, ciw_values in [
        ("throughput (units/h)", [r.throughput_per_hour for r in ours], [t for t, _ in theirs]),
        ("time in line (s)", [r.lead_time_s for r in ours], [s for _, s in theirs]),
    ]:
        rows.append(f"| tandem of 4, 2 places between | {label} | {_cell(interval(ours_values))} | "
                    f"{_cell(interval(ciw_values))} | Ciw, 10 replications |")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sections = [
        "# Running twin (twin.sim)", "",
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}; "
        "`.venv/bin/python benchmarks/sim_bench.py`", "",
        f"## Speed: tandem of 4 stations with finite buffers, {SPEED_HORIZON:,.0f} s simulated (median of {args.repeat})", "",
        *speed(args.repeat), "",
        "## One 8-hour replication of each sample (FIFO, breakdowns on, robot-cell times from the physics cache)", "",
        *samples(), "",
        "## Validation (the tests' cases)", "",
        *validation(), "",
    ]
    text = "\n".join(sections)
    out = ROOT / "benchmarks" / "results" / "sim.md"
    out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
