"""Simulate a layout's robot cells in PyBullet and print their reports.

Per task: cycle time, reachability (failing waypoints and their error), collisions, tool
path length and peak joint speeds. Results are cached on disk (FACTORY_TWIN_CACHE or
~/.cache/factory-twin/cells). Exit code 2, the problems on stderr, when the layout or a robot file is
invalid (checked before any physics) or a task is unreachable, collides or overloads.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from twin.clock import CommandClock
from twin.errors import InputError, LayoutError

from optimizer.cli import arguments
from optimizer.cli.validate import print_problems


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="layout file (YAML or JSON)")
    parser.add_argument("--cell", metavar="ID", help="only this robot-cell station")
    parser.add_argument("--json", action="store_true", help="print the reports as one JSON object")
    parser.add_argument("--render", type=arguments.output_file, metavar="PNG", help="save a picture of the cell (needs --cell when there are several)")
    parser.add_argument("--cache-dir", type=arguments.output_dir, metavar="DIR", help="cache folder (default: FACTORY_TWIN_CACHE or ~/.cache/factory-twin/cells)")
    parser.add_argument("--no-cache", action="store_true", help="simulate again, ignore and do not write the cache")


def _fmt(value: float | None, unit: str = "s") -> str:
    return "-" if value is None else f"{value:.2f} {unit}"


def run(args: argparse.Namespace) -> int:
    from optimizer.cli.progress import progress_on_stderr

    path = Path(args.file)
    clock = CommandClock()
    with progress_on_stderr(clock):
        return _simulate(args, path, clock)


def _simulate(args: argparse.Namespace, path: Path, clock: CommandClock) -> int:
    from twin.io import load_layout
    from twin.physics import Physics, robot_cells, simulate_layout
    from twin.physics.visuals import render_cell
    from twin.validate import layout_problems, robot_problems

    try:  # a layout the other commands refuse is refused here too, robot files included, without physics
        layout = load_layout(path, clock)
        problems = layout_problems(layout, clock=clock) + robot_problems(layout, path.resolve().parent)
    except LayoutError as exc:
        problems = exc.problems
    if problems:
        print_problems(args.file, problems)
        return 2
    cells = [s for _, s in robot_cells(layout)]
    if args.cell is not None:
        ids = [s.id for s in cells]
        if args.cell not in ids:
            raise InputError(f"--cell {args.cell}: no robot cell with that id; robot cells: {', '.join(ids) or 'none'}")
        layout = layout.with_stations([s for s in layout.stations if s.id == args.cell or s.kind != "robot_cell"])
        cells = [s for s in cells if s.id == args.cell]
    with Physics(args.cache_dir, use_cache=not args.no_cache) as physics:
        reports, problems = simulate_layout(layout, path.parent, physics, clock)
    if args.json:
        print(json.dumps({
            "layout": layout.name,
            "cells": {sid: rep.to_dict() for sid, rep in reports.items()},
            "problems": [{"path": p.path, "message": p.message} for p in problems],
        }, indent=2))
    else:
        for sid, rep in reports.items():
            print(f"{sid}  ({rep.robot})")
            for w in rep.warnings:
                print(f"  warning: {w}")
            for t in rep.tasks:
                status = "ok" if t.ok else "FAILED"
                cache = "  [cached]" if t.from_cache else ""
                print(f"  {t.task_id:<20} cycle {_fmt(t.cycle_time):>9}  path {_fmt(t.path_length, 'm'):>8}  "
                      f"payload {t.payload:g} kg  {status}{cache}")
                if t.peak_joint_speeds:
                    print("    peak joint speeds (rad/s): " + " ".join(f"{v:.2f}" for v in t.peak_joint_speeds))
                for u in t.unreachable:
                    print(f"    waypoint {u.index} {u.name}: {u.reason}")
                for c in t.collisions:
                    print(f"    moving to waypoint {c.waypoint}: {c.reason} (depth {c.depth_mm:.1f} mm)")
                if t.overload:
                    print(f"    {t.overload}")
                for w in t.warnings:
                    print(f"    warning: {w}")
    if problems:  # on stderr, as every command says what is wrong (the JSON holds them too)
        print_problems(args.file, problems)
    if args.render:
        if len(cells) != 1:
            raise InputError("--render needs --cell ID when the layout has several robot cells")
        out = render_cell(cells[0], path.parent, args.render)
        if not args.json:
            print(f"saved {out}")
    return 2 if problems else 0
