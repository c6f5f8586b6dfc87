"""Render a layout in 3D: an offscreen PNG (3/4 view, or a plan view with --top), or a glTF
(.gltf, .glb) or VTK (.vtm, .vtk) file that other tools open. With --schedule, stations can
be coloured by their utilisation in that schedule."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from twin.errors import InputError, LayoutError

from optimizer.cli import arguments

from optimizer.cli.validate import print_problems

OUTPUT_SUFFIXES = (".png", ".gltf", ".glb", ".vtm", ".vtk")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="layout file (.yaml, .yml or .json)")
    parser.add_argument("--schedule", type=arguments.input_file, metavar="JSON", help="schedule document (from `factory-twin schedule`)")
    parser.add_argument("--color-by", choices=("kind", "utilisation"), default=None,
                        help="station colours (default: utilisation with --schedule, else kind)")
    parser.add_argument("--top", action="store_true", help="plan view from above instead of the 3/4 view")
    parser.add_argument("--out", type=arguments.output_file, required=True, metavar="PATH",
                        help=f"output file; its suffix picks the format: {', '.join(OUTPUT_SUFFIXES)}")
    parser.add_argument("--size", default="1600x1000", metavar="WxH", help="PNG size in pixels (default 1600x1000)")


def _read_schedule(path: str) -> dict:
    from twin.limits import limit
    from twin.readers import UnreadableFile, read_text_file

    try:  # a schedule is about as big as its layout: the same bounded read and limit
        text = read_text_file(path, limit("file_bytes"), "FACTORY_TWIN_MAX_FILE_BYTES")
    except UnreadableFile as exc:
        raise InputError(f"{path}: schedule file: {exc}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}") from None
    if not isinstance(doc, dict):
        raise InputError(f"{path}: must hold a JSON object (a factory-twin schedule document)")
    return doc


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise InputError(f"--size {text!r}: give width x height in pixels, like 1600x1000") from None
    if not (64 <= w <= 8192 and 64 <= h <= 8192):
        raise InputError(f"--size {text!r}: each side must be 64 to 8192 pixels")
    return w, h


def run(args: argparse.Namespace) -> int:
    from twin.clock import CommandClock
    from twin.io import load_layout
    from twin.validate import layout_problems

    from optimizer.cli.progress import progress_on_stderr

    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise InputError(f"--out {args.out}: unknown format '{suffix or out.name}': use one of {', '.join(OUTPUT_SUFFIXES)}")
    size = _size(args.size)
    clock = CommandClock()
    with progress_on_stderr(clock):
        try:
            layout = load_layout(args.file, clock)
            problems = layout_problems(layout, clock=clock)
            if problems:
                raise LayoutError(problems)
        except LayoutError as exc:
            print_problems(args.file, exc.problems)
            return 2
        schedule_doc = _read_schedule(args.schedule) if args.schedule else None
        color_by = args.color_by or ("utilisation" if schedule_doc is not None else "kind")

        from twin.physics import Physics
        from twin.scene import build_scene, export_scene, render_scene_png

        clock.stage(f"building the 3D scene ({len(layout.stations):,} stations)")
        try:
            with Physics() as physics:  # the robots' meshes come from their URDFs
                scene = build_scene(layout, Path(args.file).parent, schedule_doc, color_by, physics=physics)
        except InputError as exc:
            where = f"{args.schedule}: " if args.schedule and str(exc).startswith("schedule") else ""
            raise InputError(where + str(exc)) from None
        except LayoutError as exc:
            print_problems(args.file, exc.problems)
            return 2
        clock.stage(f"writing {out}")
        if suffix == ".png":
            render_scene_png(scene, out, top_view=args.top, window_size=size)
        else:
            export_scene(scene, out)
    counts = {k: len(scene.of_kind(k)) for k in ("station", "robot", "conveyor", "agv_route", "flow")}
    print(f"{out}: {layout.name}, {len(layout.stations)} stations, {counts['robot']} robots, "
          f"{counts['agv_route']} AGV routes, {counts['flow']} flows, coloured by {color_by}")
    return 0
