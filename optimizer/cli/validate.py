"""Check a layout file and print every problem with its field path (exit 2 when invalid).

Structure, references, placement, aisle reachability and robot-cell safety clearance."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from twin.errors import LayoutError, Problem


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="layout file (.yaml, .yml or .json)")


def run(args: argparse.Namespace) -> int:
    from twin.clock import CommandClock
    from twin.io import load_layout
    from twin.physics import Physics
    from twin.validate import all_problems

    from optimizer.cli.progress import progress_on_stderr

    clock = CommandClock()
    with progress_on_stderr(clock):
        try:
            layout = load_layout(args.file, clock)
        except LayoutError as exc:
            print_problems(args.file, exc.problems)
            return 2
        with Physics() as physics:  # the safety check measures robot reach envelopes
            problems = all_problems(layout, Path(args.file).resolve().parent, physics, clock)
    if problems:
        print_problems(args.file, problems)
        return 2
    placed = sum(s.position is not None for s in layout.stations)
    print(f"{args.file}: valid layout '{layout.name}': {len(layout.stations)} stations ({placed} placed), "
          f"{len(layout.products)} products, {sum(len(p.lots) for p in layout.products)} lots")
    return 0


def print_problems(source: str, problems: list[Problem]) -> None:
    """The problem list on stderr, as `validate` and `render` show it."""
    print(f"{source}: {len(problems)} problem{'s' if len(problems) != 1 else ''}", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
