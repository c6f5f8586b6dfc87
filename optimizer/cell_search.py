"""Cell layout optimisation with physics in the loop: where a robot cell's fixtures stand and
turn inside its footprint, and where its robot base stands, judged by PyBullet.

Each round proposes a batch of candidates from the best cell so far, with seeded moves:
jitter a fixture, set a fixture beside another one, turn a fixture by 90 degrees, or move
and turn the robot base (with any pedestal it stands on). Waypoints tied to a fixture
(`relative_to`) move with it; absolute ones stay. A candidate is first checked without
physics (everything inside the footprint, fixtures clear of each other and of the base, an
unguarded robot's reach envelope inside the footprint as `twin.safety` demands),
then simulated (reach, collisions, cycle time with the datasheet limits) on
`optimizer.runner`, in parallel; task reports are cached on disk by the hash of their
inputs (`twin.physics.cache`) and a candidate seen before in the run is not simulated again.
The score is the sum of the cell's task cycle times; a candidate with an unreachable
waypoint, a collision or an overload has none. Batches are judged whole and in order, so
the same seed and candidate count give the same answer on any number of workers.
"""
from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from twin.cell_frame import fit_problems, fixture_rect
from twin.errors import LayoutError, Problem
from twin.geometry import Rect
from twin.model import Fixture, Layout, Pose, RobotCell, Station
from twin.physics import Physics, simulate_cell
from twin.physics.reach import envelope_radius

from optimizer.runner import make_runner

GAP = 0.02  # m kept between fixtures, and between a fixture set beside another and it
BASE_CLEARANCE = 0.12  # m from the robot base's axis to any fixture it does not stand on
MAX_ATTEMPTS = 200  # proposals per candidate before a round gives up looking for a new one


@dataclass
class CellSearchResult:
    """What a search found: the cell as given and the best one, with their cycle sums."""

    station_id: str
    before: float | None  # sum of task cycle times as given (None: the given cell fails)
    best: float | None
    cell: RobotCell  # the best cell found (the given one when nothing better was)
    evaluated: int  # candidates simulated
    feasible: int  # of which reached, cleared and carried every task
    seconds: float
    problems: list[str] = field(default_factory=list)  # why the given cell fails, if it does

    @property
    def gain(self) -> float | None:
        """Fraction of the given cycle saved (None when the given cell has no cycle)."""
        if self.before is None or self.best is None:
            return None
        return (self.before - self.best) / self.before

    @property
    def improved(self) -> bool:
        """The best cell carries every task and beats the given one (or the given one fails)."""
        return self.best is not None and (self.before is None or self.best < self.before - 1e-9)

    def to_dict(self) -> dict[str, Any]:
        return {"station": self.station_id, "before": self.before, "best": self.best, "gain": self.gain,
                "evaluated": self.evaluated, "feasible": self.feasible, "seconds": round(self.seconds, 3),
                "problems": self.problems}


def with_cell(layout: Layout, station_id: str, cell: RobotCell) -> Layout:
    """`layout` with `station_id`'s robot cell replaced by `cell` (nothing else changes)."""
    return layout.with_stations([s.model_copy(update={"cell": cell}) if s.id == station_id else s
                                 for s in layout.stations])


def cell_key(cell: RobotCell) -> str:
    """A hash of where the base and the fixtures stand (what a candidate changes)."""
    data = [cell.base.model_dump(mode="json"), [f.model_dump(mode="json") for f in cell.fixtures]]
    return hashlib.blake2b(json.dumps(data, sort_keys=True).encode(), digest_size=16).hexdigest()


def pedestals(cell: RobotCell) -> set[str]:
    """Fixtures the robot base stands on (they move with the base, never on their own)."""
    bx, by, _ = cell.base.xyz
    return {f.id for f in cell.fixtures if fixture_rect(f).contains_point((bx, by))}


def arrangement_problem(station: Station, cell: RobotCell, stands_on: set[str], envelope: float = 0.0) -> str | None:
    """Why a candidate cell cannot be built, without physics; None when it can. `envelope`
    is the robot's horizontal reach: an unguarded cell keeps it inside the footprint, as
    `twin.safety` demands, wherever the base goes."""
    problems = fit_problems(station.model_copy(update={"cell": cell}))
    if problems:
        return problems[0].message
    bx, by, _ = cell.base.xyz
    w, d = station.footprint.width, station.footprint.depth
    if not station.guarded and (abs(bx) + envelope > w / 2 + 1e-9 or abs(by) + envelope > d / 2 + 1e-9):
        return f"the robot's {envelope:.2f} m reach envelope leaves the unguarded footprint"
    rects = [(f.id, fixture_rect(f)) for f in cell.fixtures]
    for k, (a, ra) in enumerate(rects):
        for b, rb in rects[k + 1:]:
            if a not in stands_on and b not in stands_on and ra.gap(rb) < GAP - 1e-9:
                return f"fixtures {a} and {b} are closer than {GAP:g} m"
    base = Rect(cell.base.xyz[0], cell.base.xyz[1], cell.base.xyz[0], cell.base.xyz[1])
    for fid, rect in rects:
        if fid not in stands_on and rect.gap(base) < BASE_CLEARANCE:
            return f"fixture {fid} stands within {BASE_CLEARANCE:g} m of the robot base"
    return None


def _moved(fixture: Fixture, x: float, y: float, yaw: float | None = None) -> Fixture:
    rpy = fixture.pose.rpy if yaw is None else (fixture.pose.rpy[0], fixture.pose.rpy[1], yaw % 360)
    pose = Pose(xyz=(round(x, 3), round(y, 3), fixture.pose.xyz[2]), rpy=rpy)
    return fixture.model_copy(update={"pose": pose})


def propose(cell: RobotCell, rng: np.random.Generator, stands_on: set[str], move_base: bool) -> RobotCell:
    """One seeded move from `cell` (see the module docstring)."""
    movable = [k for k, f in enumerate(cell.fixtures) if f.id not in stands_on]
    kinds = ["jitter", "beside", "turn"] if movable else []
    if move_base or not kinds:
        kinds.append("base")
    kind = kinds[int(rng.integers(len(kinds)))]
    fixtures = list(cell.fixtures)
    if kind == "base":
        bx, by, bz = cell.base.xyz
        dx, dy = rng.normal(0.0, 0.08, 2)
        yaw = cell.base.rpy[2] + float(rng.choice([-15.0, 0.0, 15.0]))
        for k, f in enumerate(fixtures):
            if f.id in stands_on:
                fixtures[k] = _moved(f, f.pose.xyz[0] + dx, f.pose.xyz[1] + dy)
        base = Pose(xyz=(round(bx + dx, 3), round(by + dy, 3), bz), rpy=(cell.base.rpy[0], cell.base.rpy[1], yaw % 360))
        return cell.model_copy(update={"base": base, "fixtures": tuple(fixtures)})
    k = movable[int(rng.integers(len(movable)))]
    f = fixtures[k]
    x, y, _ = f.pose.xyz
    if kind == "jitter":
        sigma = 0.15 if rng.random() < 0.5 else 0.04
        dx, dy = rng.normal(0.0, sigma, 2)
        fixtures[k] = _moved(f, x + dx, y + dy)
    elif kind == "turn":
        fixtures[k] = _moved(f, x, y, f.pose.rpy[2] + 90.0)
    else:  # beside another fixture, on a random side, sliding a little along it
        others = [j for j in range(len(fixtures)) if j != k]
        if not others:
            return propose(cell, rng, stands_on, True)
        j = others[int(rng.integers(len(others)))]
        mine, theirs = fixture_rect(f), fixture_rect(fixtures[j])
        side = int(rng.integers(4))
        slide = float(rng.normal(0.0, 0.05))
        tx, ty, _ = fixtures[j].pose.xyz
        half_w, half_d = (mine.xmax - mine.xmin) / 2, (mine.ymax - mine.ymin) / 2
        gap = GAP + 0.002  # the millimetre rounding of a new place never brings it under GAP
        if side == 0:
            x, y = theirs.xmax + gap + half_w, ty + slide
        elif side == 1:
            x, y = theirs.xmin - gap - half_w, ty + slide
        elif side == 2:
            x, y = tx + slide, theirs.ymax + gap + half_d
        else:
            x, y = tx + slide, theirs.ymin - gap - half_d
        fixtures[k] = _moved(f, x, y)
    return cell.model_copy(update={"fixtures": tuple(fixtures)})


def score(report) -> float | None:
    """Sum of the task cycle times of a cell report; None when any task fails."""
    if not report.ok:
        return None
    return round(sum(t.cycle_time for t in report.tasks), 6)


def evaluate_candidate(context: tuple[Station, str | None, Physics], cell: RobotCell) -> float | None:
    """Runner task: simulate one candidate cell (module level, so workers can unpickle it)."""
    station, layout_dir, physics = context
    try:
        return score(simulate_cell(station.model_copy(update={"cell": cell}), layout_dir, physics))
    except LayoutError:
        return None


def optimize_cell(layout: Layout, layout_dir: Path | str | None, station_id: str, physics: Physics, *,
                  candidates: int = 200, time_limit: float | None = None, seed: int = 0, workers: int = 1,
                  move_base: bool = True, backend: str = "local", address: str | None = None,
                  progress: Callable[[int, float | None], None] | None = None,
                  stop: threading.Event | None = None) -> CellSearchResult:
    """Search the arrangement of one robot cell (see the module docstring) on local worker
    processes or Ray (`backend`, `address` as in `optimizer.runner.make_runner`); the same
    seed gives the same best cell on either. After each batch `progress(simulated, best)` is
    called; setting `stop` ends the search after the batch in hand, with the best so far.
    Raises `LayoutError` when `station_id` is not a robot cell of the layout."""
    station = next((s for s in layout.stations if s.id == station_id), None)
    if station is None or station.kind != "robot_cell" or station.cell is None:
        cells = [s.id for s in layout.stations if s.kind == "robot_cell" and s.cell is not None]
        raise LayoutError(Problem("--cell", f"no robot cell '{station_id}'; robot cells: {', '.join(cells) or 'none'}"))
    started = time.monotonic()
    folder = str(layout_dir) if layout_dir is not None else None
    given = station.cell
    report = simulate_cell(station, folder, physics)
    before = score(report)
    index = next(i for i, s in enumerate(layout.stations) if s.id == station_id)
    problems = [str(p) for p in report.layout_problems(f"stations[{index}]", given)]
    rng = np.random.default_rng(seed)
    stands_on = pedestals(given)
    envelope = 0.0 if station.guarded else envelope_radius(given.robot, folder, physics)
    best_cell, best = given, before
    seen = {cell_key(given)}
    evaluated = feasible = 0
    batch_size = max(4, 2 * workers)
    with make_runner(backend, workers, (station, folder, physics), address) as runner:
        while (evaluated < candidates and (time_limit is None or time.monotonic() - started < time_limit)
               and not (stop is not None and stop.is_set())):
            batch = []
            for _ in range(min(batch_size, candidates - evaluated)):
                for _attempt in range(MAX_ATTEMPTS):
                    trial = propose(best_cell, rng, stands_on, move_base)
                    key = cell_key(trial)
                    if key not in seen and arrangement_problem(station, trial, stands_on, envelope) is None:
                        seen.add(key)
                        batch.append(trial)
                        break
            if not batch:
                break
            results = dict((cell_key(c), s) for c, s in runner.map_unordered(evaluate_candidate, batch))
            evaluated += len(batch)
            for trial in batch:  # in proposal order: the same answer on any number of workers
                value = results[cell_key(trial)]
                if value is None:
                    continue
                feasible += 1
                if best is None or value < best - 1e-9:
                    best_cell, best = trial, value
            if progress is not None:
                progress(evaluated, best)
    return CellSearchResult(station_id, before, best, best_cell, evaluated, feasible, time.monotonic() - started,
                            problems)
