"""Solve public benchmark instances and print one JSON object per instance and line.

`bench jssp FILE...` runs the CP-SAT scheduler on job-shop instances (OR-Library text format);
`bench fjsp FILE...` on flexible job-shop instances (the standard `.fjs` format);
`bench fjspt FILE... [--agvs N]` on flexible job shops with transport by a fleet of AGVs;
`bench qap FILE...` runs the slot-assignment search on QAPLIB instances.
"""
from __future__ import annotations

import argparse
import importlib
import json

from optimizer.cli import arguments

# scheduling families: kind -> (module with `bench_instances`, help)
SCHEDULING = {
    "jssp": ("optimizer.jssp", "job-shop instances (n_jobs n_machines, then machine/duration pairs)"),
    "fjsp": ("optimizer.fjsp", "flexible job-shop instances (.fjs: per operation, k machine/duration pairs)"),
    "fjspt": ("optimizer.fjspt", "flexible job shops with AGVs (.fjs job lines, then the L/U and machine travel matrix)"),
}


def add_scheduling_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags every scheduling family shares: files, time limit, workers, seed, --json."""
    parser.add_argument("files", nargs="+", type=arguments.input_file, metavar="FILE")
    parser.add_argument("--time-limit", type=arguments.seconds, default=10.0, help="seconds per instance (default 10)")
    parser.add_argument("--workers", type=arguments.search_workers, default=2, help="CP-SAT search workers (default 2)")
    parser.add_argument("--seed", type=arguments.seed, default=0)
    parser.add_argument("--json", action="store_true", help="one JSON object per line (the only output format)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="KIND")
    for kind, (_, help_text) in SCHEDULING.items():
        family = kinds.add_parser(kind, help=help_text)
        add_scheduling_arguments(family)
        if kind == "fjspt":
            family.add_argument("--agvs", type=arguments.fleet_size, default=2,
                                help="AGVs, all starting at the L/U station (default 2, as in the published instances)")
    qap = kinds.add_parser("qap", help="QAPLIB instances (n, flow matrix, distance matrix)")
    qap.add_argument("files", nargs="+", type=arguments.input_file, metavar="FILE")
    qap.add_argument("--time-limit", type=arguments.seconds, default=10.0, help="seconds per instance (default 10)")
    qap.add_argument("--seed", type=arguments.seed, default=0)
    qap.add_argument("--json", action="store_true", help="one JSON object per line (the only output format)")


def run(args: argparse.Namespace) -> int:
    if args.kind in SCHEDULING:
        module = importlib.import_module(SCHEDULING[args.kind][0])
        fleet = {"agvs": args.agvs} if args.kind == "fjspt" else {}
        rows = module.bench_instances(args.files, time_limit=args.time_limit, workers=args.workers, seed=args.seed,
                                      **fleet)
    else:
        from optimizer.qap import bench_instances

        rows = bench_instances(args.files, time_limit=args.time_limit, seed=args.seed)
    for row in rows:
        print(json.dumps(row), flush=True)
    return 0
