"""A traced replication seen at any moment: each station's state, where the AGVs are and
what they carry, which lots ride a conveyor, which are being worked on, and the units in the factory. The app's
playback draws these frames; nothing here draws.

Vehicles are placed on the straight line between the ports they drive between (the running
twin times a drive by its aisle route, but does not record the route's shape); an empty run
ends where the loaded leg begins, as in `twin.sim.agv.Fleet.carry`.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass

from twin.geometry import input_port, output_port
from twin.model import Layout, Point2
from twin.sim.engine import Replication

# when lanes of one station differ, the station shows the most telling one
STATE_ORDER = ("down", "unmanned", "blocked", "setup", "busy", "starved", "idle")


@dataclass(frozen=True)
class VehicleAt:
    vehicle: int
    x: float
    y: float
    lot: str | None  # None while driving empty


@dataclass(frozen=True)
class Frame:
    time: float
    stations: dict[str, str]  # station id -> state (the most telling of its lanes)
    vehicles: list[VehicleAt]  # vehicles on the move (idle vehicles are not shown)
    working: dict[str, list[str]]  # station id -> lots in process
    wip: float  # units in the factory
    on_belts: list[tuple[str, float, float]] = ()  # (lot, x, y) of lots riding a conveyor


def _points(layout: Layout) -> tuple[dict[str, Point2], dict[str, Point2]]:
    """(input ports, output ports) by station or dock id."""
    ins = {s.id: input_port(s) for s in layout.stations if s.position is not None}
    outs = {s.id: output_port(s) for s in layout.stations if s.position is not None}
    for dock in layout.floor.docks:
        ins[dock.id] = outs[dock.id] = dock.position
    return ins, outs


def _between(a: Point2, b: Point2, share: float) -> tuple[float, float]:
    share = min(max(share, 0.0), 1.0)
    return a[0] + (b[0] - a[0]) * share, a[1] + (b[1] - a[1]) * share


class Playback:
    """Frames of one traced replication (`trace=True`) of `layout`."""

    def __init__(self, run: Replication, layout: Layout):
        if not run.states:
            raise ValueError("the replication was not traced: run it with trace=True")
        self.end = run.end
        self._ins, self._outs = _points(layout)
        self._states = {sid: ([t for t, _, _ in rows], rows) for sid, rows in run.states.items()}
        self._lanes = {sid: sorted({lane for _, lane, _ in rows}) for sid, rows in run.states.items()}
        self._wip_times = [t for t, _ in run.wip_curve]
        self._wip = run.wip_curve
        self._trips = [t for t in run.trips if t.vehicle >= 0]
        self._belt_trips = [t for t in run.trips if t.vehicle < 0 and t.end > t.start]
        self._operations = run.operations

    def states_at(self, time: float) -> dict[str, str]:
        out = {}
        for sid, (times, rows) in self._states.items():
            lanes: dict[int, str] = {}
            for _, lane, state in rows[:bisect.bisect_right(times, time)]:
                lanes[lane] = state
            shown = [s for s in STATE_ORDER if s in lanes.values()]
            out[sid] = shown[0] if shown else "idle"
        return out

    def wip_at(self, time: float) -> float:
        k = bisect.bisect_right(self._wip_times, time) - 1
        return self._wip[k][1] if k >= 0 else 0.0

    def vehicles_at(self, time: float) -> list[VehicleAt]:
        out = []
        for trip in self._trips:
            begin = trip.empty_start  # an AGV trip records when its empty run began
            if not begin <= time < trip.end:
                continue
            pick, drop = self._outs.get(trip.from_station), self._ins.get(trip.to_station)
            if pick is None or drop is None:
                continue
            if begin + trip.empty_seconds <= time < trip.start:  # there ahead of its load: waiting
                out.append(VehicleAt(trip.vehicle, pick[0], pick[1], None))
            elif time < trip.start:  # driving empty to the pick-up
                came = self._ins.get(trip.empty_from, pick)
                x, y = _between(came, pick, (time - begin) / trip.empty_seconds)
                out.append(VehicleAt(trip.vehicle, x, y, None))
            else:
                x, y = _between(pick, drop, (time - trip.start) / max(trip.end - trip.start, 1e-9))
                out.append(VehicleAt(trip.vehicle, x, y, trip.lot))
        return sorted(out, key=lambda v: v.vehicle)

    def belts_at(self, time: float) -> list[tuple[str, float, float]]:
        """Lots on conveyors, on the straight line from the feeding station's output port to
        the next one's input port (a drawn belt route is not followed)."""
        out = []
        for trip in self._belt_trips:
            if trip.start <= time < trip.end:
                pick, drop = self._outs.get(trip.from_station), self._ins.get(trip.to_station)
                if pick is not None and drop is not None:
                    out.append((trip.lot, *_between(pick, drop, (time - trip.start) / (trip.end - trip.start))))
        return out

    def working_at(self, time: float) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for op in self._operations:
            if op.start - op.changeover <= time < op.end:
                out.setdefault(op.station, []).append(op.lot)
        return out

    def frame(self, time: float) -> Frame:
        time = min(max(time, 0.0), self.end)
        return Frame(time, self.states_at(time), self.vehicles_at(time), self.working_at(time), self.wip_at(time),
                     self.belts_at(time))


def state_seconds(run: Replication, since: float = 0.0) -> dict[str, dict[str, float]]:
    """Lane-seconds in each state per station from `since` to the run's end, summed over the
    station's lanes, from the traced timeline (`Replication.stations` holds the same as
    shares, counted by the engine's own bookkeeping)."""
    out: dict[str, dict[str, float]] = {}
    for sid, rows in run.states.items():
        totals: dict[str, float] = {}
        current: dict[int, tuple[float, str]] = {}
        for time, lane, state in rows + [(run.end, lane, "") for lane in {lane for _, lane, _ in rows}]:
            if lane in current:
                began, was = current[lane]
                seconds = max(0.0, time - max(began, since))
                if seconds:
                    totals[was] = totals.get(was, 0.0) + seconds
            current[lane] = (time, state)
        out[sid] = totals
    return out
