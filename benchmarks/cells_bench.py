"""Robot-cell physics speed (not a test): simulated seconds per wall second and wall time per
task, and the sample factories' cells cold (empty cache, fresh process) and warm (cached).

Targets: >= 100x real time and < 1 s wall per task for the Panda; a sample factory's cells in
< 10 s cold and < 0.1 s warm. Writes benchmarks/results/cells.md.

    .venv/bin/python benchmarks/cells_bench.py
"""
from __future__ import annotations

import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twin.model import Station  # noqa: E402

CELLS = {
    "panda pick-and-place (0.5 kg)": {
        "robot": "panda",
        "fixtures": [{"id": "feeder", "size": [0.3, 0.2, 0.1], "pose": {"xyz": [0.45, -0.3, 0.05]}},
                     {"id": "nest", "size": [0.3, 0.2, 0.1], "pose": {"xyz": [0.45, 0.3, 0.05]}}],
        "tasks": [{"id": "pick_place", "payload": 0.5, "waypoints": [
            {"name": "approach", "xyz": [0.45, -0.3, 0.3]},
            {"name": "pick", "xyz": [0.45, -0.3, 0.13], "action": "grip"},
            {"name": "lift", "xyz": [0.45, -0.3, 0.3]},
            {"name": "above_place", "xyz": [0.45, 0.3, 0.3]},
            {"name": "place", "xyz": [0.45, 0.3, 0.13], "action": "release"},
            {"name": "retreat", "xyz": [0.45, 0.3, 0.3]}]}],
    },
    "kuka_iiwa machine tending (2 kg)": {
        "robot": "kuka_iiwa",
        "fixtures": [{"id": "blank_rack", "size": [0.3, 0.25, 0.3], "pose": {"xyz": [0.5, -0.35, 0.15]}},
                     {"id": "machine_vise", "size": [0.3, 0.25, 0.25], "pose": {"xyz": [0.5, 0.35, 0.125]}}],
        "tasks": [{"id": "load_machine", "payload": 2.0, "gripper_close": 0.3, "gripper_open": 0.3, "waypoints": [
            {"name": "approach", "xyz": [0.5, -0.35, 0.5]},
            {"name": "pick", "xyz": [0.5, -0.35, 0.33], "action": "grip"},
            {"name": "lift", "xyz": [0.5, -0.35, 0.5]},
            {"name": "above_vise", "xyz": [0.5, 0.35, 0.5]},
            {"name": "place", "xyz": [0.5, 0.35, 0.28], "action": "release"},
            {"name": "retreat", "xyz": [0.5, 0.35, 0.5]}]}],
    },
}

FACTORY_SCRIPT = """
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from twin.io import load_layout
from twin.cells import simulate_layout
path = Path(sys.argv[1])
layout = load_layout(path)
t1 = time.perf_counter()
reports, problems = simulate_layout(layout, path.parent, sys.argv[2])
t2 = time.perf_counter()
print(json.dumps({"load": t1 - t0, "simulate": t2 - t1, "problems": [str(p) for p in problems],
    "cells": {sid: [(t.task_id, t.cycle_time, t.path_length, t.payload, t.from_cache) for t in r.tasks] for sid, r in reports.items()},
    "robots": {sid: r.robot for sid, r in reports.items()}}))
"""


def bench_task(name: str, cell: dict, repeats: int = 5) -> dict:
    from twin.cells import simulate_cell

    station = Station.model_validate({"id": "bench", "kind": "robot_cell", "footprint": {"width": 2.2, "depth": 2.2},
                                      "cell": cell})
    simulate_cell(station, ROOT, use_cache=False)  # warm up: import, first client
    walls, cycle = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        report = simulate_cell(station, ROOT, use_cache=False)
        walls.append(time.perf_counter() - start)
        cycle = report.tasks[0].cycle_time
    wall = statistics.median(walls)
    physics = sum(m.duration for m in report.tasks[0].moves)
    # the task alone (IK + physics), the scene (robot URDF, fixtures) already loaded
    from twin.cells import _Scene, _simulate_task, shared_client
    from twin.robots import resolve_robot

    task_walls = []
    for _ in range(repeats):
        scene = _Scene(shared_client(), station.cell, resolve_robot(cell["robot"], ROOT))
        start = time.perf_counter()
        _simulate_task(scene, station.cell.tasks[0])
        task_walls.append(time.perf_counter() - start)
    task_wall = statistics.median(task_walls)
    return {"name": name, "cycle": cycle, "physics": physics, "wall": wall, "realtime": physics / wall,
            "task_wall": task_wall, "task_realtime": physics / task_wall}


def bench_factory(path: Path) -> dict:
    with tempfile.TemporaryDirectory() as cache:
        runs = []
        for _ in range(2):  # cold, then warm, each in a fresh process
            start = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", FACTORY_SCRIPT, str(path), cache], cwd=ROOT,
                                 capture_output=True, text=True, check=True).stdout
            runs.append((time.perf_counter() - start, json.loads(out.strip().splitlines()[-1])))
    return {"file": path.name, "cold": runs[0], "warm": runs[1]}


def main() -> int:
    tasks = [bench_task(name, cell) for name, cell in CELLS.items()]
    factories = [bench_factory(p) for p in sorted((ROOT / "layouts").glob("*.yaml"))]
    lines = [
        "# Robot-cell physics benchmark",
        "",
        f"`.venv/bin/python benchmarks/cells_bench.py` on {platform.machine()}, {platform.python_version()}, "
        f"2 shared cores; physics at 240 Hz.",
        "",
        "## Per task (uncached, median of 5, after one warm-up)",
        "",
        "| task | cycle (s) | simulated motion (s) | wall, whole cell (s) | x real time | wall, task only (s) | x real time, task only |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for t in tasks:
        lines.append(f"| {t['name']} | {t['cycle']:.2f} | {t['physics']:.2f} | {t['wall']:.3f} | {t['realtime']:.0f} | "
                     f"{t['task_wall']:.3f} | {t['task_realtime']:.0f} |")
    lines += ["", "Whole cell: `simulate_cell` uncached (reset, load the robot URDF and fixtures, IK, physics). "
              "Task only: IK and physics with the scene loaded. Targets: >= 100x real time and < 1 s wall per task "
              "for the Panda. The machine's 2 cores are shared with other jobs, so figures vary by +-50 %.", "",
              "## Sample factories (each in a fresh process; cold = empty cache, warm = second run)", "",
              "| layout | cells | tasks | cold: simulate (s) | cold: process (s) | warm: simulate (s) | warm: process (s) | problems |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for f in factories:
        cold, warm = f["cold"][1], f["warm"][1]
        n_tasks = sum(len(v) for v in cold["cells"].values())
        lines.append(f"| {f['file']} | {len(cold['cells'])} | {n_tasks} | {cold['simulate']:.2f} | {f['cold'][0]:.2f} | "
                     f"{warm['simulate']:.3f} | {f['warm'][0]:.2f} | {len(cold['problems'])} |")
    lines += ["", "Targets: < 10 s cold and < 0.1 s warm (the `simulate` columns: cell physics or cache reads, "
              "without interpreter start-up and layout parsing).", "", "## Cycle times of the sample cells", "",
              "| layout | cell | robot | task | payload (kg) | cycle (s) | tool path (m) |",
              "| --- | --- | --- | --- | ---: | ---: | ---: |"]
    for f in factories:
        cold = f["cold"][1]
        for sid, rows in cold["cells"].items():
            for task_id, cycle, path, payload, _ in rows:
                c = "unreachable" if cycle is None else f"{cycle:.2f}"
                lines.append(f"| {f['file']} | {sid} | {cold['robots'][sid]} | {task_id} | {payload:g} | {c} | {path:.2f} |")
        for p in cold["problems"]:
            lines.append(f"\nproblem in {f['file']}: {p}")
    text = "\n".join(lines) + "\n"
    out = ROOT / "benchmarks" / "results" / "cells.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
