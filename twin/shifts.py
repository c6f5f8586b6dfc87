"""Operator shift calendars: when each pool is on shift, in seconds from t = 0, and which
pools can run which station. The plan (`optimizer.problem`) and the running twin
(`twin.sim.operators`) both read the calendar from here, so they agree on every minute.

A calendar repeats every day, or every week when a shift lists its `days`; `time_zero`
places t = 0 on it. Breaks are cut out of their shift and shifts that touch merge into one
on-shift stretch (a 06:00-14:00 and a 14:00-22:00 shift: one stretch with a hand-over).
A manned operation runs inside one stretch (`Calendar.next_fit`).
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from twin.errors import Problem
from twin.model import DAY, WEEK, WEEKDAYS, Layout, OperatorPool, Shift, Station

EPSILON = 1e-6  # s: two times closer than this are the same time


def clock_seconds(text: str) -> float | None:
    """'06:30' -> 23400.0; None when it is not a time of the day (00:00 to 24:00)."""
    hours, minutes = (int(part) for part in text.split(":"))
    seconds = hours * 3600.0 + minutes * 60.0
    return seconds if minutes < 60 and seconds <= DAY else None


def time_zero_seconds(text: str) -> float | None:
    """Seconds from Monday 00:00 of t = 0 ('tue 06:00' -> 108000.0; a bare time is Monday's)."""
    day, _, clock = text.rpartition(" ")
    if day and day not in WEEKDAYS:
        return None
    seconds = clock_seconds(clock)
    if seconds is None or seconds >= DAY:
        return None
    return (WEEKDAYS.index(day) if day else 0) * DAY + seconds


@dataclass(frozen=True)
class Calendar:
    """On-shift windows repeating every `period` seconds: `windows` lie in [0, period),
    sorted and disjoint, in time from t = 0. `period` None: always on shift."""

    period: float | None
    windows: tuple[tuple[float, float], ...] = ()

    def stretches(self, after: float = 0.0) -> Iterator[tuple[float, float]]:
        """The on-shift stretches (start, end) that end after `after`, in order, without end;
        windows that touch across a period boundary form one stretch."""
        if self.period is None or self._always_on():
            yield (-math.inf, math.inf)
            return
        if not self.windows:
            return
        period = self.period
        k = math.floor(after / period) - 1
        pending: tuple[float, float] | None = None
        while True:
            for start, end in self.windows:
                start, end = start + k * period, end + k * period
                if pending is not None and start <= pending[1] + EPSILON:
                    pending = (pending[0], end)
                    continue
                if pending is not None and pending[1] > after + EPSILON:
                    yield pending
                pending = (start, end)
            k += 1

    def _always_on(self) -> bool:
        return self.period is not None and len(self.windows) == 1 and self.windows[0][0] <= EPSILON and self.windows[0][1] >= self.period - EPSILON

    @property
    def longest(self) -> float:
        """The longest on-shift stretch (s); infinite when always on shift."""
        if self.period is None or self._always_on():
            return math.inf
        if not self.windows:
            return 0.0
        lengths = [end - start for start, end in self.windows]
        if self.windows[0][0] <= EPSILON and self.windows[-1][1] >= self.period - EPSILON:
            lengths.append(lengths[0] + lengths[-1])
        return max(lengths)

    def next_fit(self, t: float, duration: float) -> float | None:
        """The earliest time >= t from which `duration` seconds lie inside one stretch; None
        when no stretch is that long."""
        if duration > self.longest + EPSILON:
            return None
        for start, end in self.stretches(t):
            begin = max(t, start)
            if begin + duration <= end + EPSILON:
                return begin
        return None  # pragma: no cover - a stretch as long as `longest` always comes

    def stretch_end(self, t: float) -> float | None:
        """The end of the stretch that holds t (t itself on shift), or None when off shift."""
        for start, end in self.stretches(t):
            return end if start <= t + EPSILON and end > t + EPSILON else None
        return None

    def windows_until(self, until: float) -> list[tuple[float, float]]:
        """The stretches that begin before `until`, clipped to [0, until]."""
        out = []
        for start, end in self.stretches(0.0):
            if start >= until:
                break
            out.append((max(0.0, start), min(end, until)))
        return out

    def on_shift_seconds(self, begin: float, end: float) -> float:
        return sum(max(0.0, min(e, end) - max(s, begin)) for s, e in self.windows_until(end))


def _shift_windows(shift: Shift) -> list[tuple[float, float]]:
    """The shift's working time in one day: [start, end) with its breaks cut out."""
    start, end = clock_seconds(shift.start), clock_seconds(shift.end)
    pieces, at = [], start
    for pause in sorted(shift.breaks, key=lambda b: clock_seconds(b.start)):
        pieces.append((at, clock_seconds(pause.start)))
        at = clock_seconds(pause.end)
    pieces.append((at, end))
    return [(a, b) for a, b in pieces if b > a]


def pool_calendar(pool: OperatorPool, time_zero: str) -> Calendar:
    """The pool's calendar from t = 0 (a layout that `operator_problems` accepts)."""
    if not pool.shifts:
        return Calendar(None)
    weekly = any(shift.days is not None for shift in pool.shifts)
    period = WEEK if weekly else DAY
    zero = time_zero_seconds(time_zero) % period
    raw = []
    for shift in pool.shifts:
        days = range(7) if weekly else (0,)
        for day in days:
            if shift.days is not None and WEEKDAYS[day] not in shift.days:
                continue
            raw += [(day * DAY + a, day * DAY + b) for a, b in _shift_windows(shift)]
    moved = []
    for a, b in raw:  # to time from t = 0, split where the period wraps
        a, b = (a - zero) % period, (a - zero) % period + (b - a)
        moved += [(a, min(b, period))] + ([(0.0, b - period)] if b > period else [])
    merged: list[tuple[float, float]] = []
    for a, b in sorted(moved):
        if merged and a <= merged[-1][1] + EPSILON:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return Calendar(period, tuple(merged))


def can_run(pool: OperatorPool, station: Station) -> bool:
    return station.id in pool.stations or station.kind in pool.kinds


def manned_pools(layout: Layout) -> dict[str, tuple[str, ...]]:
    """Station id -> the pools that can run it, for every manned station: those of kind
    `manual` and those a pool names. Empty without pools: nobody is needed anywhere."""
    pools = layout.operators.pools
    if not pools:
        return {}
    out = {}
    for station in layout.stations:
        able = tuple(p.id for p in pools if can_run(p, station))
        if able or station.kind == "manual":
            out[station.id] = able
    return out


def calendars(layout: Layout) -> dict[str, Calendar]:
    return {pool.id: pool_calendar(pool, layout.operators.time_zero) for pool in layout.operators.pools}


# --- checks ------------------------------------------------------------------------------------


def _clock_problem(path: str, text: str) -> Problem | None:
    if clock_seconds(text) is None:
        return Problem(path, f"'{text}' is outside the day (00:00 to 24:00)")
    return None


def _shift_problems(path: str, shift: Shift) -> list[Problem]:
    problems = [p for name in ("start", "end") if (p := _clock_problem(f"{path}.{name}", getattr(shift, name)))]
    if problems:
        return problems
    start, end = clock_seconds(shift.start), clock_seconds(shift.end)
    if end <= start:
        return [Problem(f"{path}.end", f"must be later than the start ({shift.start}); a night shift is two shifts, "
                        "22:00-24:00 and 00:00-06:00")]
    spans = []
    for b, pause in enumerate(shift.breaks):
        where = f"{path}.breaks[{b}]"
        found = [p for name in ("start", "end") if (p := _clock_problem(f"{where}.{name}", getattr(pause, name)))]
        if found:
            problems += found
            continue
        a, z = clock_seconds(pause.start), clock_seconds(pause.end)
        if z <= a:
            problems.append(Problem(f"{where}.end", f"must be later than the start ({pause.start})"))
        elif a < start or z > end:
            problems.append(Problem(where, f"{pause.start}-{pause.end} lies outside its shift {shift.start}-{shift.end}"))
        elif any(a < z2 and a2 < z for a2, z2, _ in spans):
            other = next(k for a2, z2, k in spans if a < z2 and a2 < z)
            problems.append(Problem(where, f"overlaps break {other}"))
        spans.append((a, z, b))
    return problems


def _overlapping_shifts(path: str, shifts: tuple[Shift, ...]) -> list[Problem]:
    """Two shifts of one pool that run on one day at the same time."""
    problems = []
    for k, shift in enumerate(shifts):
        for m, other in enumerate(shifts[:k]):
            days = set(shift.days or WEEKDAYS) & set(other.days or WEEKDAYS)
            if days and clock_seconds(shift.start) < clock_seconds(other.end) \
                    and clock_seconds(other.start) < clock_seconds(shift.end):
                problems.append(Problem(f"{path}[{k}]", f"overlaps shift {m} ({other.start}-{other.end})"))
    return problems


def operator_problems(layout: Layout) -> list[Problem]:
    """The operators block: unique pool ids, skills that name stations, shifts and breaks
    inside the day and their shift, and an operator for every manual station."""
    ops = layout.operators
    problems = []
    if time_zero_seconds(ops.time_zero) is None:
        problems.append(Problem("operators.time_zero", f"'{ops.time_zero}' is not a weekday (mon ... sun) and a "
                                "time from 00:00 to 23:59"))
    station_ids = {s.id for s in layout.stations}
    seen: set[str] = set()
    for i, pool in enumerate(ops.pools):
        path = f"operators.pools[{i}]"
        if pool.id in seen:
            problems.append(Problem(f"{path}.id", f"duplicate id '{pool.id}'"))
        seen.add(pool.id)
        problems += [Problem(f"{path}.stations", f"no station '{sid}'") for sid in pool.stations if sid not in station_ids]
        if not pool.stations and not pool.kinds:
            problems.append(Problem(path, "give the stations or the kinds of station this pool can run"))
        found = [p for k, shift in enumerate(pool.shifts) for p in _shift_problems(f"{path}.shifts[{k}]", shift)]
        problems += found or _overlapping_shifts(f"{path}.shifts", pool.shifts)
    manned = manned_pools(layout)
    problems += [Problem(f"stations[{i}]", f"manual station '{s.id}' needs an operator: no pool in operators.pools "
                         "can run it") for i, s in enumerate(layout.stations) if s.id in manned and not manned[s.id]]
    if not problems:
        problems += lot_fit_problems(layout, {})
    return problems


def lot_fit_problems(layout: Layout, task_times: Mapping[tuple[str, str], float]) -> list[Problem]:
    """Each manned operation whose largest lot takes longer than the longest on-shift stretch
    of every pool that can run its station (it could never start). Robot-cell cycles come from
    `task_times` (a task not in it is not checked here)."""
    manned = manned_pools(layout)
    if not manned:
        return []
    longest = {pool_id: cal.longest for pool_id, cal in calendars(layout).items()}
    problems = []
    for i, product in enumerate(layout.products):
        units = max(product.lots)
        for j, op in enumerate(product.routing):
            for station in layout.candidate_stations(op):
                if not manned.get(station.id):
                    continue
                seconds = op.lot_seconds(station, units, task_times)
                if seconds is None:
                    continue
                stretch = max(longest[p] for p in manned[station.id])
                if seconds > stretch + EPSILON:
                    problems.append(Problem(
                        f"products[{i}].routing[{j}]",
                        f"a lot of {units} units takes {seconds:g} s on '{station.id}', longer than the longest "
                        f"on-shift stretch ({stretch:g} s) of the operators who can run it"))
    return problems
