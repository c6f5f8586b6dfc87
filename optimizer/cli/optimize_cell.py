"""Search one robot cell's arrangement with physics in the loop: fixture places and turns and
the robot base, inside the footprint, each candidate simulated in PyBullet (reach,
collisions, cycle time), in parallel, cached by hash.

Prints the cycle as given, the best found and the gain. `--apply` writes the best cell back
into FILE (atomically, the file as it was kept beside it as `<name>.bak.<suffix>`), so
`schedule`, `evaluate` and `optimize` of FILE use its cycle time from then on; `--out`
writes the layout with the best cell elsewhere instead. Waypoints tied to a fixture
(`relative_to`) move with it. Exit code 2 when no arrangement, the given one included,
carries every task."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from optimizer.cli import arguments
from optimizer.names import Backend

DEFAULT_CANDIDATES = 200


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=arguments.input_file, metavar="FILE", help="layout file (YAML or JSON)")
    parser.add_argument("--cell", required=True, metavar="ID", help="the robot-cell station to arrange")
    parser.add_argument("--candidates", type=arguments.positive_int, default=DEFAULT_CANDIDATES,
                        help=f"candidate cells to simulate (default {DEFAULT_CANDIDATES})")
    parser.add_argument("--time-limit", type=arguments.seconds, help="stop after this many seconds (default: none)")
    parser.add_argument("--seed", type=arguments.seed, default=0, help=f"random seed, 0 to {arguments.MAX_SEED} (default 0)")
    parser.add_argument("--workers", type=arguments.workers, default=1, help="worker processes or Ray CPUs (default 1)")
    parser.add_argument("--backend", choices=Backend.names(), default="local", help="local processes (default) or Ray tasks")
    parser.add_argument("--address", help="Ray cluster address (default: start a local Ray)")
    parser.add_argument("--keep-base", action="store_true", help="move only the fixtures, not the robot base")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--apply", action="store_true",
                       help="write the best cell into FILE when it is better (FILE as it was kept as NAME.bak.SUFFIX)")
    where.add_argument("--out", type=arguments.output_file, metavar="FILE", help="write the layout with the best cell here")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--cache-dir", type=arguments.output_dir, metavar="DIR",
                        help="cache folder (default: FACTORY_TWIN_CACHE or ~/.cache/factory-twin/cells)")
    parser.add_argument("--no-cache", action="store_true", help="simulate every candidate afresh, write no cache")


def summary_line(result) -> str:
    """One line: the cycle as given, the best, the gain and the rate."""
    rate = result.evaluated / result.seconds if result.seconds > 0 else 0.0
    given = "fails as given" if result.before is None else f"{result.before:.3f} s as given"
    if result.best is None:
        best = "no candidate carries every task"
    elif result.gain is None:
        best = f"best {result.best:.3f} s"
    else:
        best = f"best {result.best:.3f} s ({100 * result.gain:.1f} % shorter)"
    return (f"{result.station_id}: cycle {given}, {best}; {result.evaluated} candidates simulated "
            f"({result.feasible} feasible) in {result.seconds:.1f} s ({rate:.1f} per second)")


def backup_path(path: Path) -> Path:
    """Where `--apply` keeps the file as it was: beside it, still a layout file by its suffix
    (`auto_parts.yaml` -> `auto_parts.bak.yaml`), so it can be opened or copied back."""
    return path.with_name(f"{path.stem}.bak{path.suffix}")


def apply_to_file(path: Path, original: bytes, text: str) -> Path:
    """Replace `path` with `text` atomically after keeping `original` (its bytes when the
    search started) as the backup; refused when the file changed meanwhile, so an edit made
    during the search is never overwritten. Returns the backup's path."""
    from twin.errors import InputError
    from twin.io import write_text_atomic

    try:
        if path.read_bytes() != original:
            raise InputError(f"{path}: changed while optimize-cell ran; not applied (run it again, or use --out)")
        backup = backup_path(path)
        write_text_atomic(backup, original.decode("utf-8"))
        write_text_atomic(path, text)
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    return backup


def run(args: argparse.Namespace) -> int:
    from twin.io import dump_layout, load_layout, save_layout
    from twin.physics import Physics

    from optimizer.cell_search import optimize_cell, with_cell

    arguments.check_local_workers(args.workers, args.backend, args.address)
    original = args.file.read_bytes() if args.apply else b""  # before loading: any later change is seen
    layout = load_layout(args.file)
    with Physics(args.cache_dir, use_cache=not args.no_cache) as physics:
        result = optimize_cell(layout, args.file.resolve().parent, args.cell, physics, candidates=args.candidates,
                               time_limit=args.time_limit, seed=args.seed, workers=args.workers,
                               move_base=not args.keep_base, backend=args.backend, address=args.address)
    notes: dict[str, str | None] = {}  # what was written, for the summary (applied: None when FILE is unchanged)
    best_layout = with_cell(layout, args.cell, result.cell)
    if args.out is not None and result.best is not None:
        save_layout(best_layout, args.out)
        notes["saved"] = str(args.out)
    if args.apply:
        if result.improved:
            fmt = "json" if args.file.suffix.lower() == ".json" else "yaml"
            notes["backup"] = str(apply_to_file(args.file, original, dump_layout(best_layout, fmt)))
            notes["applied"] = str(args.file)
        else:
            notes["applied"] = None
    if args.json:
        print(json.dumps({**result.to_dict(), **notes}, indent=2))
    else:
        print(summary_line(result))
        for problem in result.problems:
            print(f"  as given: {problem}")
        if "saved" in notes:
            print(f"saved {notes['saved']}")
        if notes.get("applied") is not None:
            print(f"applied to {notes['applied']} (as it was: {notes['backup']})")
        elif "applied" in notes:
            print(f"{args.file} unchanged: no arrangement beats the given one")
    return 0 if result.best is not None else 2

