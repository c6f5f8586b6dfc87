"""Serve factory-twin over HTTP: validate and schedule layouts, evaluate and search as jobs.

Binds to 127.0.0.1 by default; any other address needs --token-file, and every request then
carries `Authorization: Bearer TOKEN`. The OpenAPI document is at /openapi.json.

The service is the `service` package, a layer above `optimizer`: it is imported only when
this command runs (the one upward import, allowed by name in tests/test_layering.py), so the
other commands never load FastAPI."""
from __future__ import annotations

import argparse
from pathlib import Path

from optimizer.cli import arguments
from optimizer.names import Backend


def _port(text: str) -> int:
    return arguments._whole(text, 1, 65535)


def _max_jobs(text: str) -> int:
    return arguments._whole(text, 1, 64)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=8000, help="port (default 8000)")
    parser.add_argument("--workspace", type=arguments.output_dir, default=Path("."), metavar="DIR",
                        help="folder for uploaded layouts and job runs (default: the current folder)")
    parser.add_argument("--token-file", type=arguments.input_file, metavar="F",
                        help="file holding the token every request must carry (required off 127.0.0.1)")
    parser.add_argument("--max-jobs", type=_max_jobs, default=1, help="jobs running at once; the rest queue (default 1)")
    parser.add_argument("--backend", choices=Backend.names(), default="local",
                        help="search jobs' backend unless a job names its own (default local)")
    parser.add_argument("--address", help="the Ray cluster of the ray backend (default: each job starts a local Ray)")


def run(args: argparse.Namespace) -> int:
    from service.server import serve
    from service.settings import ServiceSettings, read_token

    token = read_token(args.token_file) if args.token_file else None
    return serve(ServiceSettings(workspace=args.workspace, host=args.host, port=args.port, token=token,
                                 max_jobs=args.max_jobs, backend=args.backend, address=args.address))
