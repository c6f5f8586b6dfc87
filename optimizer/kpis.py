"""A schedule's key figures and summary, in seconds, as typed values: the search, the CLI and
the app read their fields; `to_dict` makes the JSON form at the edges (the schedule document,
the run database)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optimizer.problem import PhysicsTime, SchedulingProblem
from optimizer.schedule import Schedule, peak_overlap, weighted_tardiness


@dataclass(frozen=True)
class Kpis:
    """Key figures of one schedule. Times in seconds, distances in metres."""

    makespan: float
    throughput_per_hour: float  # units per hour of the makespan
    units: int
    lots: int
    utilisation: dict[str, float]  # busy time / (capacity * makespan), per station
    # the most utilised station (busy over the makespan; the JSON's name for it). Being busiest does not
    # make it what bounds the line: the running twin names that by the active-period method
    bottleneck: str | None
    agv_distance: float  # metres driven by AGVs, loaded and empty
    conveyor_distance: float  # metres carried on conveyors
    agv_peak_trips: int  # most AGV trips under way at once (never more than the fleet)
    average_wip: float  # lots on the floor between their first start and last end, averaged over the makespan
    weighted_tardiness: float
    physics_times: tuple[PhysicsTime, ...]  # operation times measured by the robot-cell simulation
    agv_empty_distance: float = 0.0  # of agv_distance, the metres driven empty to the pick-ups

    def to_dict(self) -> dict[str, Any]:
        """The `kpis` object of the schedule document."""
        return {
            "makespan": self.makespan,
            "throughput_per_hour": self.throughput_per_hour,
            "units": self.units,
            "lots": self.lots,
            "utilisation": dict(self.utilisation),
            "bottleneck": self.bottleneck,
            "agv_distance": self.agv_distance,
            "agv_empty_distance": self.agv_empty_distance,
            "conveyor_distance": self.conveyor_distance,
            "agv_peak_trips": self.agv_peak_trips,
            "average_wip": self.average_wip,
            "weighted_tardiness": self.weighted_tardiness,
            "physics_times": [
                {"product": p.product, "operation": p.operation, "station": p.station, "task": p.task,
                 "unit_seconds": p.unit_seconds}
                for p in self.physics_times
            ],
        }


def kpis(problem: SchedulingProblem, schedule: Schedule) -> Kpis:
    """The key figures of `schedule`: makespan, throughput, utilisation per station and the
    bottleneck, AGV travel (loaded legs and the empty runs to each pick-up) and conveyor travel, peak AGV trips, average work in progress, total
    weighted tardiness, and which operation times came from physics."""
    tick = problem.tick
    makespan_s = schedule.makespan * tick
    units = sum(job.units for job in problem.jobs)
    busy: dict[str, int] = {s: 0 for s in problem.capacities}
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    batches = set()  # a batch machine is busy once per batch, however many lots share it
    for a in schedule.assignments:
        if a.station in problem.batch_sizes:
            if (a.station, a.start, a.end) in batches:
                continue
            batches.add((a.station, a.start, a.end))
        busy[a.station] = busy.get(a.station, 0) + (a.end - a.start)
        first[a.job] = min(first.get(a.job, a.start), a.start)
        last[a.job] = max(last.get(a.job, a.end), a.end)
    utilisation = {
        s: (busy[s] / (problem.capacities.get(s, 1) * schedule.makespan) if schedule.makespan else 0.0) for s in busy
    }
    bottleneck = max(utilisation, key=lambda s: (utilisation[s], s)) if utilisation else None
    wip = sum(last[j] - first[j] for j in first) / schedule.makespan if schedule.makespan else 0.0
    agv = [t for t in schedule.transports if t.mover == "agv"]
    peak, _ = peak_overlap((t.start, t.end) for t in agv)
    # a vehicle drives empty from its home or last drop to each pick-up (`Transport.empty_from`);
    # a trip without a vehicle (a plain fleet cap) has no empty leg to count
    empty = sum(problem.empty_distance("agv", t.empty_from, t.from_station) for t in agv if t.vehicle is not None)
    return Kpis(
        makespan=makespan_s,
        throughput_per_hour=units / (makespan_s / 3600.0) if makespan_s > 0 else 0.0,
        units=units,
        lots=len(problem.jobs),
        utilisation={s: round(u, 6) for s, u in utilisation.items()},
        bottleneck=bottleneck,
        agv_distance=round(sum(t.distance for t in agv) + empty, 6),
        agv_empty_distance=round(empty, 6),
        conveyor_distance=round(sum(t.distance for t in schedule.transports if t.mover == "conveyor"), 6),
        agv_peak_trips=peak,
        average_wip=round(wip, 6),
        weighted_tardiness=weighted_tardiness(problem, schedule.assignments) * tick,
        physics_times=tuple(problem.physics_times),
    )


@dataclass(frozen=True)
class ScheduleSummary:
    """What a search records of a schedule: its solver status and its numbers in seconds."""

    status: str  # the solver's: optimal or feasible
    solver: str
    objective: str
    objective_value: float
    makespan: float
    lower_bound: float
    gap: float
    kpis: Kpis


def summarise(problem: SchedulingProblem, schedule: Schedule) -> ScheduleSummary:
    sec = problem.to_seconds
    return ScheduleSummary(
        status=schedule.status, solver=schedule.solver, objective=schedule.objective,
        objective_value=sec(schedule.objective_value), makespan=sec(schedule.makespan),
        lower_bound=sec(schedule.lower_bound), gap=schedule.gap, kpis=kpis(problem, schedule),
    )
