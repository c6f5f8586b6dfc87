"""The child process a job runs in: the CLI's own command (`factory-twin schedule`,
`evaluate`, `optimize`), which dies with the server. Run as
`python -m service.child SERVER_PID COMMAND ARGS...`.

With PR_SET_PDEATHSIG the kernel sends SIGTERM when the server dies, even by kill -9; the CLI
turns SIGTERM into a clean stop, so a search marks its run interrupted and keeps all its
finished work for a resume."""
from __future__ import annotations

import os
import signal
import sys


def _die_with(server_pid: int) -> None:
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return  # not Linux: the child finishes its job on its own
    if os.getppid() != server_pid:  # the server died before prctl took effect
        sys.exit(130)


def main(argv: list[str]) -> int:
    _die_with(int(argv[0]))
    from optimizer.cli import main as cli_main

    return cli_main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
