"""Flexible job shops the shared folder does not hold: random instances shaped like Brandimarte's
larger ones (mk06, mk08-mk10; the folder stops at mk05), written as `.fjs` files, so that
`benchmarks/fjsp_bench.py` can set ours beside PyJobShop on instances nobody tuned for.

Each instance: jobs x machines, a number of operations per job, of stations per operation (drawn
without repetition) and a duration per station, all drawn uniformly from the ranges below with a
fixed seed per instance. No best-known value exists for them: compare the two solvers' makespans.

    .venv/bin/python benchmarks/fjsp_generated.py OUT_DIR
    .venv/bin/python benchmarks/fjsp_bench.py OUT_DIR/*.fjs --bounds none --out ...
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

# name: jobs, machines, operations per job, stations per operation, duration (inclusive ranges)
SHAPES = {
    "gen_mk06like": (10, 15, (15, 15), (1, 5), (1, 10)),
    "gen_mk08like": (20, 10, (10, 14), (1, 2), (5, 20)),
    "gen_mk09like": (20, 10, (10, 14), (1, 5), (5, 20)),
    "gen_mk10like": (20, 15, (10, 14), (1, 5), (5, 20)),
}


def instance_text(jobs: int, machines: int, operations: tuple[int, int], stations: tuple[int, int],
                  durations: tuple[int, int], seed: int) -> str:
    """The `.fjs` text: a header (jobs, machines, mean stations per operation), then per job its
    number of operations and for each the number of stations and (station from 1, duration) pairs."""
    rng = random.Random(seed)
    lines, alternatives, total = [], 0, 0
    for _ in range(jobs):
        n_operations = rng.randint(*operations)
        parts = [n_operations]
        for _ in range(n_operations):
            chosen = rng.sample(range(1, machines + 1), rng.randint(*stations))
            parts.append(len(chosen))
            for station in chosen:
                parts += [station, rng.randint(*durations)]
            alternatives += len(chosen)
        total += n_operations
        lines.append(" ".join(map(str, parts)))
    return f"{jobs} {machines} {alternatives / total:.2f}\n" + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", help="where the .fjs files go (created if missing)")
    args = parser.parse_args(argv)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for i, (name, shape) in enumerate(SHAPES.items()):
        (out / f"{name}.fjs").write_text(instance_text(*shape, seed=1000 + i))
        print(out / f"{name}.fjs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
