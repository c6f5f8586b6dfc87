"""The `factory-twin` command. Each subcommand lives in its own module in this package and
exposes `add_arguments(parser)` and `run(args) -> int`; errors become messages and exit codes."""
from __future__ import annotations

import argparse
import importlib
import signal
import sys
import time

from twin.errors import FactoryTwinError

# subcommand name -> module in this package
COMMANDS: dict[str, str] = {
    "validate": "validate",
    "schedule": "schedule",
    "schema": "schema",
    "bench": "bench",
    "simulate": "simulate",
    "optimize": "optimize",
    "recheck": "recheck",
    "render": "render",
    "evaluate": "evaluate",
    "optimize-cell": "optimize_cell",
    "serve": "serve",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="factory-twin",
        description="Digital-twin factory planner: validate, schedule, simulate, optimise, render, evaluate, serve.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(f"optimizer.cli.{module_name}")
        doc = [line.replace("%", "%%") for line in (module.__doc__ or "").strip().splitlines()]  # argparse formats help
        command = sub.add_parser(name, help=doc[0] if doc else None, description=" ".join(doc) or None)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def _stop_on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM (a service manager, `kill`, a batch scheduler's time limit) stops the command
    the way Ctrl-C does: a search marks its run interrupted and can be resumed."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    # a command's time limit counts from here: building the parser imports every subcommand's
    # module (pydantic and the layout model), 0.4-0.6 s of the `schedule` command's 10 s
    started = time.monotonic()
    parser = build_parser()
    args = parser.parse_args(argv)
    args.command_started = started
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        return int(args._run(args) or 0)
    except FactoryTwinError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
