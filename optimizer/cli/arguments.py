"""Argument types shared by every command: each flag is range-checked when it is parsed, so a
bad value is one argparse message and exit 2 (`argument --time-limit: must be ...`), never a
traceback or a run that starts and fails later.

The ranges are what the tools underneath take: CP-SAT's seed is a 32-bit signed integer, a
time limit must be a finite number of seconds, and a worker count beyond a few per core only
makes a machine thrash."""
from __future__ import annotations

import argparse
import math
import os
import stat
from pathlib import Path

from twin.readers import file_problem, os_error_reason

MAX_SEED = 2**31 - 1
MAX_SECONDS = 7 * 24 * 3600.0  # a week: longer than any batch job the tool is meant for
MAX_WORKERS = 1024  # a Ray cluster's CPUs; local processes are capped by `local_worker_limit`
WORKERS_PER_CORE = 4


def local_worker_limit() -> int:
    """Most local worker processes worth starting on this machine."""
    return WORKERS_PER_CORE * (os.cpu_count() or 1)


def check_local_workers(workers: int, backend: str, address: str | None) -> None:
    """Refuse more local workers than the machine can run; a Ray cluster may take more."""
    from twin.errors import InputError

    if not address and workers > local_worker_limit():
        where = "local Ray" if backend == "ray" else "local worker processes"
        raise InputError(f"--workers {workers}: at most {local_worker_limit()} {where} on this "
                         f"machine ({WORKERS_PER_CORE} per core); a Ray cluster (--backend ray "
                         "--address) can take more")


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def seconds(text: str) -> float:
    """A time limit: finite, positive, at most a week."""
    value = _number(text, "a number of seconds")
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    if value > MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_SECONDS:g} s (a week), got {text}")
    return value


def _whole(text: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < low:
        reason = "must not be negative" if low == 0 else f"must be at least {low}"
        raise argparse.ArgumentTypeError(f"{reason}, got {value}")
    if value > high:
        raise argparse.ArgumentTypeError(f"must be at most {high}, got {value}")
    return value


def positive_int(text: str) -> int:
    return _whole(text, 1, 10**9)


def count(text: str) -> int:
    return _whole(text, 0, 10**9)


def seed(text: str) -> int:
    """A random seed as the solvers take it: 0 to 2^31 - 1."""
    return _whole(text, 0, MAX_SEED)


def workers(text: str) -> int:
    return _whole(text, 1, MAX_WORKERS)


def search_workers(text: str) -> int:
    """CP-SAT search workers: threads of this one process, so no more than the machine runs
    (a Ray cluster does not help here)."""
    value = _whole(text, 1, MAX_WORKERS)
    if value > local_worker_limit():
        raise argparse.ArgumentTypeError(f"must be at most {local_worker_limit()} on this machine ({WORKERS_PER_CORE} "
                                         f"per core; CP-SAT's workers are threads of this process), got {value}")
    return value


def fleet_size(text: str) -> int:
    """Vehicles in a fleet, as a layout's `fleet_size` allows: 1 to 1000."""
    return _whole(text, 1, 1000)


def _stat_error(path: Path, exc: OSError) -> str:
    return f"{path}: {os_error_reason(exc)}"


def _mode(path: Path) -> int | None:
    """The file's mode, None when nothing is there; any other failure is the user's message."""
    try:
        return path.stat().st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise argparse.ArgumentTypeError(_stat_error(path, exc)) from None


def output_file(text: str) -> Path:
    """A file to write: its folder exists and is writable, and the path is not a folder or a
    device. An existing regular file is replaced."""
    path = Path(text)
    mode = _mode(path)
    if mode is not None and stat.S_ISDIR(mode):
        raise argparse.ArgumentTypeError(f"{path}: is a folder; give a file name")
    if mode is not None and not stat.S_ISREG(mode):
        raise argparse.ArgumentTypeError(f"{path}: not a regular file")
    _check_parent(path)
    return path


def output_dir(text: str) -> Path:
    """A folder to create or fill: not an existing file, its parent writable."""
    path = Path(text)
    mode = _mode(path)
    if mode is not None and not stat.S_ISDIR(mode):
        raise argparse.ArgumentTypeError(f"{path}: exists and is not a folder")
    if mode is None:
        _check_parent(path)
    elif not os.access(path, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{path}: folder is not writable")
    return path


def _check_parent(path: Path) -> None:
    parent = path.parent if str(path.parent) else Path(".")
    name_max = 255
    try:
        name_max = os.pathconf(parent if parent.exists() else ".", "PC_NAME_MAX")
    except (OSError, ValueError):
        pass
    if len(os.fsencode(path.name)) > name_max:
        raise argparse.ArgumentTypeError(f"{path}: name too long for the file system (at most {name_max} bytes)")
    try:
        parent_mode = parent.stat().st_mode
    except FileNotFoundError:
        # A folder to be made later (run folders) is fine when some ancestor is writable.
        ancestor = next((p for p in parent.parents if p.exists()), Path("."))
        if not os.access(ancestor, os.W_OK | os.X_OK):
            raise argparse.ArgumentTypeError(f"{path}: cannot create {parent} (permission denied)") from None
        return
    except OSError as exc:
        raise argparse.ArgumentTypeError(_stat_error(parent, exc)) from None
    if not stat.S_ISDIR(parent_mode):
        raise argparse.ArgumentTypeError(f"{path}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{path}: folder {parent} is not writable")


def input_file(text: str) -> Path:
    """A file to read: exists, is a regular file (not a folder or a device such as
    /dev/urandom) and is readable."""
    problem = file_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(f"{text}: {problem}")
    return Path(text)
