"""One evaluated layout as the report, the app and the leaderboard show it, and the
placements and decisions (`choices`) that turn a stored candidate back into a layout."""
from __future__ import annotations

from collections.abc import Mapping
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
    # the decisions it sets besides placements (`apply_choices`); empty: the as-is fleet and buffers
    choices: dict[str, int] = field(default_factory=dict, compare=False)

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
        """This candidate as a layout: the base with this candidate's placements and choices."""
        return apply_choices(apply_placements(base, self.placements), self.choices)


def apply_placements(base: Layout, placements: dict[str, list[float]]) -> Layout:
    """The base layout with stations moved to stored [x, y, rotation] placements."""
    return base.with_placements({sid: ((float(p[0]), float(p[1])), int(p[2])) for sid, p in placements.items()})


FLEET = "agv_fleet"  # the choice of the AGV fleet size; a buffer's is "<station>.input_buffer" or ".output_buffer"


def apply_choices(layout: Layout, choices: Mapping[str, int]) -> Layout:
    """The layout with a candidate's decisions: `agv_fleet` (vehicles) and
    `<station>.input_buffer` / `<station>.output_buffer` (lots). Empty: the layout as it is."""
    if not choices:
        return layout
    update: dict = {}
    if FLEET in choices:
        agv = layout.transport.agv.model_copy(update={"fleet_size": int(choices[FLEET])})
        update["transport"] = layout.transport.model_copy(update={"agv": agv})
    buffers: dict[str, dict[str, int]] = {}
    for name, value in choices.items():
        if name != FLEET:
            sid, _, buffer = name.rpartition(".")
            buffers.setdefault(sid, {})[buffer] = int(value)
    if buffers:
        update["stations"] = tuple(s.model_copy(update=buffers[s.id]) if s.id in buffers else s
                                   for s in layout.stations)
    return layout.model_copy(update=update)


def choices_text(choices: Mapping[str, int]) -> str:
    """A candidate's decisions as a planner reads them: '2 AGVs, aoi_1 input buffer 4'."""
    parts = []
    for name, value in sorted(choices.items(), key=lambda kv: (kv[0] != FLEET, kv[0])):
        if name == FLEET:
            parts.append(f"{value} AGV{'s' if value != 1 else ''}")
        else:
            sid, _, buffer = name.rpartition(".")
            parts.append(f"{sid} {buffer.replace('_', ' ')} {value}")
    return ", ".join(parts)


def choice_changes(choices: Mapping[str, int], base: Layout) -> list[str]:
    """What a candidate's decisions change against the as-is layout `base`, one phrase each:
    'runs 2 AGVs instead of 3', 'aoi_1 input buffer 4 lots instead of 6'."""
    out = []
    for name, value in sorted(choices.items(), key=lambda kv: (kv[0] != FLEET, kv[0])):
        if name == FLEET:
            as_is = base.transport.agv.fleet_size
            if value != as_is:
                out.append(f"runs {value} AGV{'s' if value != 1 else ''} instead of {as_is}")
            continue
        sid, _, buffer = name.rpartition(".")
        old = getattr(base.station(sid), buffer)
        if value != old:
            out.append(f"{sid} {buffer.replace('_', ' ')} {value} lots instead of "
                       f"{'no limit' if old is None else old}")
    return out


def placements_of(layout: Layout) -> dict[str, list[float]]:
    """A layout's placements as stored: station id -> [x, y, rotation]."""
    return {sid: [float(p[0]), float(p[1]), int(p[2])] for sid, p in placement.placements(layout).items()}


def all_placed(layout: Layout) -> bool:
    return all(s.position is not None for s in layout.stations)
