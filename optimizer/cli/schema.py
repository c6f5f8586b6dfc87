"""Print a JSON Schema: `schema layout` (layout files), `schema schedule` (schedule JSON) or
`schema evaluation` (the `evaluate --json` document)."""
from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=("layout", "schedule", "evaluation"), help="which document's schema")


def run(args: argparse.Namespace) -> int:
    if args.kind == "layout":
        from twin.io import layout_json_schema

        schema = layout_json_schema()
    elif args.kind == "evaluation":
        from twin.sim.kpis import evaluation_json_schema

        schema = evaluation_json_schema()
    else:
        from optimizer.schedule_json import schedule_json_schema

        schema = schedule_json_schema()
    print(json.dumps(schema, indent=2))
    return 0
