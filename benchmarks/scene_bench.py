"""Time the 3D scene for each sample factory: building it cold (robot visuals and link meshes
read for the first time in the process) and warm (cached), and rendering the 3/4 and plan
PNGs offscreen. Writes benchmarks/results/scene.md and the README pictures in docs/images/.

    .venv/bin/python benchmarks/scene_bench.py [--repeat 3] [--no-images]
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ["electronics_assembly", "auto_parts", "food_packaging"]


def _timed(fn, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def synthetic_30():
    """A 30-station factory (6 x 5 grid, 6 Panda cells, one routing through every station):
    the size the issue's 2 s build target names."""
    from twin.io import layout_from_data

    cell = {"robot": "panda", "fixtures": [{"id": "feeder", "size": [0.3, 0.2, 0.1], "pose": {"xyz": [0.45, -0.3, 0.05]}}],
            "tasks": [{"id": "pick", "waypoints": [{"name": "a", "xyz": [0.45, -0.3, 0.3], "action": "grip"},
                                                   {"name": "b", "xyz": [0.45, 0.3, 0.3], "action": "release"}]}]}
    stations = []
    for k in range(30):
        row, col = divmod(k, 6)
        robot = k % 5 == 2
        station = {"id": f"s{k:02d}", "kind": "robot_cell" if robot else ("machine", "manual", "inspection")[k % 3],
                   "footprint": {"width": 2.0, "depth": 2.0} if robot else {"width": 3.0, "depth": 2.0},
                   "position": [4.0 + col * 8.0, 3.5 + row * 6.0]}
        if robot:
            station["cell"] = cell
        stations.append(station)
    routing = [{"id": f"op{k}", "stations": [s["id"]], "time": 10.0} for k, s in enumerate(stations)]
    data = {"name": "synthetic_30", "floor": {"width": 48.0, "depth": 30.0, "grid": 1.0, "aisle_width": 1.8,
                                               "docks": [{"id": "in", "kind": "receiving", "position": [0.0, 15.0]},
                                                         {"id": "out", "kind": "shipping", "position": [48.0, 15.0]}]},
            "stations": stations, "products": [{"id": "p", "family": "f", "demand": 100, "lot_size": 10,
                                                 "routing": routing}]}
    return layout_from_data(data)


def bench(repeat: int, images: bool) -> list[dict]:
    from twin import scene as sc
    from twin.io import load_layout
    from twin.scene.robots import _read_mesh  # the mesh cache, emptied for each cold build
    from twin.physics import Physics

    physics = Physics()  # one context for the run: a robot's meshes are loaded once, as in the app
    rows = []
    for name in SAMPLES + ["synthetic_30"]:
        path = ROOT / "layouts" / f"{name}.yaml"
        if name == "synthetic_30":
            layout = synthetic_30()
        elif not path.is_file():
            print(f"{name}: {path} missing, skipped", file=sys.stderr)
            continue
        else:
            layout = load_layout(path)
        _read_mesh.cache_clear()
        cold, scene = _timed(sc.build_scene, layout, path.parent, physics=physics)
        warm = [_timed(sc.build_scene, layout, path.parent, physics=physics)[0] for _ in range(repeat)]
        out_dir = ROOT / "docs" / "images" if images and name in SAMPLES else Path("/tmp") / "scene_bench"
        three_d = [_timed(sc.render_scene_png, scene, out_dir / f"{name}_3d.png")[0] for _ in range(repeat)]
        top = [_timed(sc.render_scene_png, scene, out_dir / f"{name}_top.png", top_view=True)[0] for _ in range(repeat)]
        triangles = sum(p.mesh.n_cells for p in scene)
        row = {
            "sample": name,
            "stations": len(layout.stations),
            "robots": len(scene.of_kind("robot")),
            "parts": len(scene),
            "cells": triangles,
            "cold": cold,
            "warm": statistics.median(warm),
            "png_3d": statistics.median(three_d),
            "png_top": statistics.median(top),
        }
        rows.append(row)
        print(f"{name}: {row['stations']} stations, {row['robots']} robots, {row['parts']} parts, "
              f"build cold {cold:.2f} s, warm {row['warm']:.3f} s, PNG 3/4 {row['png_3d']:.2f} s, "
              f"plan {row['png_top']:.2f} s")
    return rows


def write_report(rows: list[dict], repeat: int) -> Path:
    import pyvista as pv
    import vtk

    lines = [
        "# 3D scene benchmark",
        "",
        "`benchmarks/scene_bench.py`: build the scene (`twin.scene.build_scene`) for each sample factory and",
        "render it offscreen at 1600 x 1000 (`render_scene_png`, SSAA on, Mesa EGL software rendering).",
        "*Cold* is the first build in the process: PyBullet loads each robot to read its visuals in the",
        "home pose and every link mesh is read from disk; *warm* reuses both caches (median of",
        f"{repeat}). The PNG times exclude building the scene. Target: build under 2 s for 30 stations.",
        "The first row's cold time also pays the first imports of pybullet and the mesh readers;",
        "`synthetic_30` is a generated 30-station grid with 6 Panda cells (see `synthetic_30()`).",
        "",
        "| sample | stations | robots | parts | mesh cells | build cold (s) | build warm (s) | PNG 3/4 (s) | PNG plan (s) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(f"| {r['sample']} | {r['stations']} | {r['robots']} | {r['parts']} | {r['cells']:,} | "
                     f"{r['cold']:.2f} | {r['warm']:.3f} | {r['png_3d']:.2f} | {r['png_top']:.2f} |")
    lines += [
        "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, pyvista {pv.__version__}, "
        f"VTK {vtk.vtkVersion.GetVTKVersion()}; 2 cores shared with other work, so times are indicative.",
        "",
        "Reproduce: `.venv/bin/python benchmarks/scene_bench.py` (also rewrites `docs/images/<sample>_3d.png`",
        "and `docs/images/<sample>_top.png`).",
        "",
    ]
    out = ROOT / "benchmarks" / "results" / "scene.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-images", action="store_true", help="do not rewrite docs/images")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    rows = bench(args.repeat, not args.no_images)
    print(write_report(rows, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
