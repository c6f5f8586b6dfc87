"""Ctrl-C (or SIGTERM) while native code holds the main thread.

Python runs a signal's handler only when the main thread next executes Python code, so a
Ctrl-C during CP-SAT's `Solve` (which may run for the whole time limit, and does not catch
SIGINT itself: that belongs to the caller) would wait until the solver returns: a long,
silent wait that looks like a hang. `stop_on_interrupt(stop)` watches the interpreter's
signal wakeup file descriptor from a helper thread and calls `stop()` (the solver's
`StopSearch`) as soon as SIGINT or SIGTERM arrives; the native call then returns and the
pending signal is handled as usual (KeyboardInterrupt, exit code 130 in the command line).

Only in the main thread, and only when no one else (an asyncio loop, a server) already owns
the wakeup descriptor; otherwise it does nothing.
"""
from __future__ import annotations

import os
import select
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

STOPPING_SIGNALS = {int(signal.SIGINT), int(signal.SIGTERM)}


@contextmanager
def stop_on_interrupt(stop: Callable[[], None]) -> Iterator[None]:
    """Call `stop()` from a helper thread when SIGINT or SIGTERM arrives during the block."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    try:
        previous = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    except ValueError:  # not the main interpreter
        os.close(read_fd)
        os.close(write_fd)
        yield
        return
    if previous != -1:  # someone else's: give it back and leave the signals to them
        signal.set_wakeup_fd(previous)
        os.close(read_fd)
        os.close(write_fd)
        yield
        return
    finished = threading.Event()

    def watch() -> None:
        while not finished.is_set():
            ready, _, _ = select.select([read_fd], [], [], 0.2)
            if ready and STOPPING_SIGNALS & set(os.read(read_fd, 64)):
                stop()
                return

    watcher = threading.Thread(target=watch, name="stop-on-interrupt", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        finished.set()
        signal.set_wakeup_fd(-1)
        try:  # wake the watcher now (0 is no signal) rather than at its next 0.2-s poll
            os.write(write_fd, b"\0")
        except BlockingIOError:  # the pipe is full of signal bytes: it wakes anyway
            pass
        watcher.join()
        os.close(read_fd)
        os.close(write_fd)
