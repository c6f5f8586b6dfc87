"""Progress of a long command on stderr, so that long but legal work never looks like a hang.

A timer thread prints the command's `CommandClock.progress_line()` (stage, count done, time
left estimated from the pace so far, or the time limit's bound) once the command has run
`QUIET_SECONDS`, then every `EVERY_SECONDS`. A short command prints nothing; stdout (and with
it any `--json` output) is never touched."""
from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from twin.clock import CommandClock

QUIET_SECONDS = 5.0  # about when a user starts to wonder whether anything is happening
EVERY_SECONDS = 10.0


@contextmanager
def progress_on_stderr(clock: CommandClock, enabled: bool = True) -> Iterator[CommandClock]:
    """Print the clock's progress on stderr while the block runs (nothing when not `enabled`)."""
    stop = threading.Event()

    def tick() -> None:
        wait = QUIET_SECONDS
        while not stop.wait(wait):
            print(f"progress: {clock.progress_line()}", file=sys.stderr, flush=True)
            wait = EVERY_SECONDS

    timer = threading.Thread(target=tick, name="progress", daemon=True)
    if enabled:
        timer.start()
    try:
        yield clock
    finally:
        stop.set()
        if enabled:
            timer.join()
