"""Progress of a run for progress bars: counts, best so far and an ETA."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from optimizer.search.config import SearchConfig


@dataclass(frozen=True)
class Progress:
    """A snapshot for progress bars: stage is 'start', 'screen', 'schedule', 'simulate', 'report'
    or 'done'."""

    stage: str
    screened: int
    candidates: int
    valid: int
    scheduled: int
    shortlist: int  # schedules in stage 2 (the as-is layout included)
    best_makespan: float | None
    best_flow: float | None
    elapsed: float
    eta: float | None
    simulated: int = 0  # replications simulated in stage 3 (the as-is layout included)


class Tracker:
    """Counts, best-so-far and an ETA for the progress callback."""

    def __init__(self, config: SearchConfig, counts: dict[str, int], callback: Callable[[Progress], None] | None,
                 elapsed_before: float, shortlist_total: int):
        self.config = config
        self.callback = callback
        self.screened = counts["screened"]
        self.valid = counts["valid"]
        self.scheduled = counts["scheduled"]
        self.simulated = 0
        self.shortlist_total = shortlist_total
        self.best_flow: float | None = None
        self.best_makespan: float | None = None
        self.started = time.monotonic()
        self.elapsed_before = elapsed_before
        self.stage = "start"
        self._screen_t0: float | None = None
        self._screen_n0 = self.screened
        self._sched_t0: float | None = None
        self._sched_n0 = self.scheduled

    def elapsed(self) -> float:
        return self.elapsed_before + time.monotonic() - self.started

    def begin(self, stage: str) -> None:
        self.stage = stage
        if stage == "screen":
            self._screen_t0, self._screen_n0 = time.monotonic(), self.screened
        if stage == "schedule":
            self._sched_t0, self._sched_n0 = time.monotonic(), self.scheduled
        self.emit()

    def eta(self) -> float | None:
        now = time.monotonic()
        c = self.config
        per_schedule = (c.time_limit + 0.5) / c.workers
        if self._sched_t0 is not None and self.scheduled > self._sched_n0:
            per_schedule = (now - self._sched_t0) / (self.scheduled - self._sched_n0)
        left_schedules = max(0, self.shortlist_total - self.scheduled)
        if self.stage in ("schedule", "simulate", "report", "done"):
            return left_schedules * per_schedule
        if self._screen_t0 is None or self.screened <= self._screen_n0:
            return None
        rate = (self.screened - self._screen_n0) / max(1e-6, now - self._screen_t0)
        return (c.candidates - self.screened) / rate + left_schedules * per_schedule

    def emit(self) -> None:
        if self.callback is None:
            return
        self.callback(Progress(
            stage=self.stage, screened=self.screened, candidates=self.config.candidates, valid=self.valid,
            scheduled=self.scheduled, shortlist=self.shortlist_total, best_makespan=self.best_makespan,
            best_flow=self.best_flow, elapsed=self.elapsed(), eta=self.eta(), simulated=self.simulated,
        ))
