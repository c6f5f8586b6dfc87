"""Time-weighted bookkeeping with the warm-up left out: shares of time in states, levels
(work in progress) and active periods (for the bottleneck)."""
from __future__ import annotations


class Occupancy:
    """How many of `units` members (lanes of a station, vehicles of a fleet) are in each state,
    integrated over time from `warmup` on."""

    def __init__(self, states: tuple[str, ...], initial: str, units: int, warmup: float):
        self.counts = {state: 0 for state in states}
        self.counts[initial] = units
        self.seconds = {state: 0.0 for state in states}
        self.units = units
        self.warmup = warmup
        self.last = 0.0

    def flush(self, now: float) -> None:
        start = max(self.last, self.warmup)
        if now > start:
            for state, count in self.counts.items():
                if count:
                    self.seconds[state] += count * (now - start)
        self.last = max(self.last, now)

    def move(self, now: float, old: str, new: str, count: int = 1) -> None:
        if old == new or not count:
            return
        self.flush(now)
        self.counts[old] -= count
        self.counts[new] += count

    def shares(self, now: float) -> dict[str, float]:
        """Share of member-time in each state since the warm-up (they sum to 1)."""
        self.flush(now)
        total = sum(self.seconds.values())
        return {state: (value / total if total > 0 else 0.0) for state, value in self.seconds.items()}


class Level:
    """A quantity over time (units in the factory); its time average from `warmup` on."""

    def __init__(self, warmup: float, record: bool = False):
        self.value = 0.0
        self.area = 0.0
        self.warmup = warmup
        self.last = 0.0
        self.curve: list[tuple[float, float]] | None = [(0.0, 0.0)] if record else None  # (time, new value)

    def add(self, now: float, delta: float) -> None:
        start = max(self.last, self.warmup)
        if now > start:
            self.area += self.value * (now - start)
        self.last = max(self.last, now)
        self.value += delta
        if self.curve is not None and delta:
            if self.curve[-1][0] == now:  # one point per moment: lots released together are one step
                self.curve[-1] = (now, self.value)
            else:
                self.curve.append((now, self.value))

    def average(self, now: float) -> float:
        self.add(now, 0.0)
        return self.area / (now - self.warmup) if now > self.warmup else 0.0


class ActivePeriods:
    """Uninterrupted periods in which a station is active on every lane (working, setting up
    or under repair, i.e. neither waiting for work nor blocked): the active-period method's
    bottleneck is the station whose periods last longest on average."""

    def __init__(self, warmup: float):
        self.warmup = warmup
        self.since: float | None = None
        self.total = 0.0
        self.count = 0

    def update(self, now: float, active: bool) -> None:
        if active and self.since is None:
            self.since = now
        elif not active and self.since is not None:
            self._close(now)

    def _close(self, now: float) -> None:
        length = now - max(self.since, self.warmup)
        if length > 0:
            self.total += length
            self.count += 1
        self.since = None

    def mean(self, now: float) -> float:
        if self.since is not None:
            self._close(now)
        return self.total / self.count if self.count else 0.0
