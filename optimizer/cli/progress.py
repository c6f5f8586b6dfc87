"""Progress of a long command on stderr, so that long but legal work never looks like a hang.

A timer thread prints the command's `CommandClock.progress_line()` (stage, count done, time
left estimated from the pace so far, or the time limit's bound) once the command has run
`QUIET_SECONDS`, then every `EVERY_SECONDS`. A short command prints nothing; stdout (and with
it any `--json` output) is never touched. Lines go to a terminal; when stderr is a file or a
pipe (a batch job's log, a test), only with `FACTORY_TWIN_PROGRESS=1` (`0` turns them off
everywhere)."""
from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from twin.clock import CommandClock

QUIET_SECONDS = 5.0  # about when a user starts to wonder whether anything is happening
EVERY_SECONDS = 10.0


def progress_wanted() -> bool:
    """Whether to print progress: FACTORY_TWIN_PROGRESS=1 or 0 if set, else when stderr is a terminal."""
    setting = os.environ.get("FACTORY_TWIN_PROGRESS", "").strip()
    if setting in ("0", "1"):
        return setting == "1"
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed
        return False


@contextmanager
def progress_on_stderr(clock: CommandClock) -> Iterator[CommandClock]:
    """Print the clock's progress on stderr while the block runs, when `progress_wanted()`."""
    enabled = progress_wanted()
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
