"""Reading run folders for the service: a search's progress and state from its run database
(the one source of truth, also after a crash), and whether a process still holds the run."""
from __future__ import annotations

import fcntl
import os
import sqlite3
from pathlib import Path
from typing import Any

from twin.errors import InputError

from optimizer.store import DB_NAME, LOCK_NAME, RunStore


class LockTable:
    """Which files some process holds an flock on, read once from the kernel's lock table
    (/proc/locks), not by trying the lock: a probe that took the lock, even shared and for a
    moment, could make a starting resume fail. One table serves one look at many run folders
    (the run list), so the table, which holds every lock on the machine, is parsed once."""

    def __init__(self) -> None:
        try:
            table = Path("/proc/locks").read_text()
        except OSError:
            self.held: set[tuple[int, int, int]] | None = None  # not Linux: probe each lock
            return
        self.held = set()
        for line in table.splitlines():
            fields = line.split()
            if "FLOCK" not in fields or "->" in fields:  # "->": a waiter, not a holder
                continue
            for field in fields:
                parts = field.split(":")
                if len(parts) == 3 and all(parts):
                    try:
                        self.held.add((int(parts[0], 16), int(parts[1], 16), int(parts[2])))
                    except ValueError:
                        continue

    def holds(self, run_dir: Path) -> bool:
        """True while some process (a search, a resume, the app) held the run folder's lock
        when the table was read."""
        try:
            st = os.stat(Path(run_dir) / LOCK_NAME)
        except OSError:
            return False
        if self.held is None:
            return _probe(Path(run_dir) / LOCK_NAME)
        return (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino) in self.held


def is_locked(run_dir: Path) -> bool:
    """True while some process holds the run folder's lock (one folder: a fresh table)."""
    return LockTable().holds(run_dir)


def _probe(path: Path) -> bool:
    """Without a lock table (not Linux): try the lock itself."""
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def run_state(run_dir: Path, stored: str, held_before: bool, after: LockTable | None = None) -> str:
    """The stored status, except that a run marked running that no process held before its
    status was read (`held_before`) nor holds now (`after`: a table read after the status,
    else a fresh one) was interrupted (killed before it could say so). One look at the lock,
    after the read, would race the run's end: "running" read, then the run marks itself
    complete and lets go of its lock."""
    if stored == "running" and not held_before and not (after or LockTable()).holds(run_dir):
        return "interrupted"
    return stored


def search_progress(run_dir: Path) -> dict[str, Any] | None:
    """Counts of a search's stages as its run database holds them; None before it exists (or
    while the search is creating its tables)."""
    if not (Path(run_dir) / DB_NAME).is_file():
        return None
    held = is_locked(run_dir)
    try:
        with RunStore.open(run_dir) as store:
            meta = store.meta()
            counts = store.counts()
            simulated = store.simulation_count()
    except (InputError, sqlite3.Error):  # the search is creating it this moment
        return None
    config = meta.get("config") or {}
    return {
        "run_status": run_state(Path(run_dir), meta.get("status", "running"), held),
        "candidates": int(config.get("candidates", 0)), "screened": counts["screened"], "valid": counts["valid"],
        "shortlist": int(config.get("shortlist", 0)), "scheduled": counts["scheduled"],
        "schedule_ok": counts["schedule_ok"], "simulated_replications": simulated,
        "elapsed_seconds": float(meta.get("elapsed", 0.0)),
    }
