"""Operator pools as the running twin uses them: a manned station's lane takes one operator
of a pool that can run it, at a moment when that operator is on shift and the operation's
mean time fits in the on-shift stretch (as the plan places it), and gives it back at the
end. Work pauses over any break or shift end it runs into (`StationRuntime.work`).

Each pool reports its operators' time as shares: busy (holding an operation while on shift),
idle (on shift, free) and off shift, and its utilisation, busy / on shift.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import simpy

from twin.shifts import EPSILON, Calendar

OPERATOR_STATES = ("busy", "idle", "off_shift")


@dataclass(frozen=True)
class PoolSpec:
    id: str
    size: int
    calendar: Calendar


@dataclass
class PoolRuntime:
    spec: PoolSpec
    env: simpy.Environment
    held: int = 0
    holds: list[list[float]] = field(default_factory=list)  # [taken, given back (inf: still held)]
    _release: simpy.Event | None = None

    def released(self) -> simpy.Event:
        """Fires when the next operator of this pool is given back."""
        if self._release is None:
            self._release = self.env.event()
        return self._release

    def take(self) -> list[float]:
        self.held += 1
        hold = [self.env.now, math.inf]
        self.holds.append(hold)
        return hold

    def give_back(self, hold: list[float]) -> None:
        self.held -= 1
        hold[1] = self.env.now
        event, self._release = self._release, None
        if event is not None:
            event.succeed()

    def shares(self, warmup: float, end: float) -> dict[str, float]:
        """Busy, idle and off-shift shares of the pool's operator time in [warmup, end], and
        the utilisation (busy share of on-shift time)."""
        calendar, size = self.spec.calendar, self.spec.size
        total = size * max(0.0, end - warmup)
        on_shift = size * (max(0.0, end - warmup) if calendar.period is None else calendar.on_shift_seconds(warmup, end))
        busy = 0.0
        for taken, given in self.holds:
            begin, finish = max(taken, warmup), min(given, end)
            if finish > begin:
                busy += finish - begin if calendar.period is None else calendar.on_shift_seconds(begin, finish)
        if total <= 0:
            return {"size": size, "busy": 0.0, "idle": 0.0, "off_shift": 0.0, "utilisation": 0.0}
        return {"size": size, "busy": busy / total, "idle": (on_shift - busy) / total,
                "off_shift": (total - on_shift) / total, "utilisation": busy / on_shift if on_shift > 0 else 0.0}


class Crew:
    """Every pool of one replication and who can run which station."""

    def __init__(self, env: simpy.Environment, pools: dict[str, PoolSpec], manned: dict[str, tuple[str, ...]]):
        self.env = env
        self.pools = {pid: PoolRuntime(spec, env) for pid, spec in pools.items()}
        self.manned = manned

    def needs_operator(self, station: str) -> bool:
        return station in self.manned

    def acquire(self, station: str, seconds: float):
        """Wait for an operator who can run `station`, is free and on shift for the next
        `seconds`; returns (pool, hold)."""
        pools = [self.pools[p] for p in self.manned[station]]
        while True:
            now = self.env.now
            wake = math.inf
            for pool in pools:
                if pool.held >= pool.spec.size:
                    continue
                start = pool.spec.calendar.next_fit(now, seconds)
                if start is not None and start <= now + EPSILON:
                    return pool, pool.take()
                if start is not None:
                    wake = min(wake, start)
            events = [pool.released() for pool in pools]
            if math.isfinite(wake):
                events.append(self.env.timeout(wake - now))
            yield self.env.any_of(events)

    def shares(self, warmup: float, end: float) -> dict[str, dict[str, float]]:
        return {pid: pool.shares(warmup, end) for pid, pool in self.pools.items()}
