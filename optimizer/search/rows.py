"""One evaluated layout as the report, the app and the leaderboard show it, and the
placements that turn a stored candidate back into a layout."""
from __future__ import annotations

from dataclasses import dataclass, field

from twin.model import Layout

from optimizer import placement


@dataclass(frozen=True)
class CandidateRow:
    """One evaluated layout. Times in seconds, distances in metres, flow distance in
    lot-metres (lot trips x routed metres), area in m^2."""

    seq: int
    key: str
    origin: str
    valid: bool
    problems: tuple[str, ...]
    flow_distance: float | None
    conveyor_length: float | None
    floor_area: float | None
    schedule_status: str | None = None  # None: not scheduled; ok / failed-check / infeasible / error
    makespan: float | None = None
    throughput: float | None = None  # units per hour
    objective_value: float | None = None
    agv_distance: float | None = None
    check_errors: tuple[str, ...] = ()
    solver: str | None = None  # what made its schedule: "cpsat", or "dispatch" (the fallback rule)
    wall_clock_cut: bool = False  # the wall-clock safety net ended its solve: not repeatable by seed
    placements: dict[str, list[float]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_baseline(self) -> bool:
        return self.seq == 0

    @property
    def travel(self) -> float | None:
        """Installed conveyor metres plus AGV metres driven in the schedule."""
        if self.conveyor_length is None or self.agv_distance is None:
            return None
        return self.conveyor_length + self.agv_distance

    @property
    def dispatch_only(self) -> bool:
        """Its schedule is only the dispatch-rule fallback (CP-SAT found nothing in its budget)."""
        return self.solver == "dispatch"

    @property
    def ranked(self) -> bool:
        return self.schedule_status == "ok"

    def layout(self, base: Layout) -> Layout:
        """This candidate as a layout: the base with this candidate's placements."""
        return apply_placements(base, self.placements)


def apply_placements(base: Layout, placements: dict[str, list[float]]) -> Layout:
    """The base layout with stations moved to stored [x, y, rotation] placements."""
    return base.with_placements({sid: ((float(p[0]), float(p[1])), int(p[2])) for sid, p in placements.items()})


def placements_of(layout: Layout) -> dict[str, list[float]]:
    """A layout's placements as stored: station id -> [x, y, rotation]."""
    return {sid: [float(p[0]), float(p[1]), int(p[2])] for sid, p in placement.placements(layout).items()}


def all_placed(layout: Layout) -> bool:
    return all(s.position is not None for s in layout.stations)
