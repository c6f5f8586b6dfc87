"""`Physics`: everything robot-cell physics keeps, owned by one object built at an edge (a CLI
command, the app, a worker process) and passed to whatever needs physics. A function that
takes a `Physics` may start PyBullet; one that does not, never does.

It holds the report cache on disk and the in-process caches: the loaded worlds (one client
per robot model), measured reach envelopes and robot visuals. `clear()` forgets the
in-process caches, `close()` also disconnects the clients (use it as a context manager).
A `Physics` pickles as its settings, so a worker that receives one starts with its own
clients and empty caches; a forked child forgets the parent's clients the same way.
"""
from __future__ import annotations

import os
import threading
import weakref
from pathlib import Path
from typing import Any

from twin.physics.cache import ReportCache, default_cache_dir
from twin.physics.world import WorldPool


class Physics:
    """The physics context of one process. `cache_dir` (default `default_cache_dir()`) holds
    simulated task reports; with `use_cache=False` nothing is read from or written to it."""

    def __init__(self, cache_dir: Path | str | None = None, use_cache: bool = True):
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.use_cache = use_cache
        self.cache: ReportCache | None = ReportCache(self.cache_dir) if use_cache else None
        self.lock = threading.RLock()  # one simulation at a time: the worlds are shared (threads, e.g. the app)
        self.worlds = WorldPool()
        self.reach: dict[str, Any] = {}  # `cache.reach_key` -> Reach
        self.envelopes: dict[tuple[str, str | None], float] = {}  # (robot name, layout folder) -> radius
        self.visuals: dict[str, list] = {}  # (urdf:digest) -> robot visuals at home
        _LIVE.add(self)

    def clear(self) -> None:
        """Forget every in-process cache (the disk cache stays) and close the clients."""
        with self.lock:
            self.worlds.close()
            self.reach.clear()
            self.envelopes.clear()
            self.visuals.clear()

    def close(self) -> None:
        with self.lock:
            self.worlds.close()

    def __enter__(self) -> "Physics":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        return {"cache_dir": str(self.cache_dir), "use_cache": self.use_cache}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["cache_dir"], state["use_cache"])

    def __repr__(self) -> str:
        return f"Physics(cache_dir={str(self.cache_dir)!r}, use_cache={self.use_cache})"

    def _after_fork(self) -> None:
        self.lock = threading.RLock()  # a thread of the parent may have held it at the fork
        self.worlds.forget()


_LIVE: "weakref.WeakSet[Physics]" = weakref.WeakSet()


def _forget_parent_clients() -> None:
    for physics in list(_LIVE):
        physics._after_fork()


os.register_at_fork(after_in_child=_forget_parent_clients)
