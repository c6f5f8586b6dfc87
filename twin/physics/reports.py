"""What a simulation reports, as typed objects; `to_dict`/`from_dict` only at the edges (the
disk cache, `simulate --json`). Each finding carries its `reason`, the sentence shown to a
user, in the dict form too."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from twin.cell_frame import anchor_note
from twin.errors import Problem
from twin.model import RobotCell
from twin.physics import settings


@dataclass
class Unreachable:
    index: int
    name: str
    error_mm: float
    orientation_error_deg: float

    @property
    def reason(self) -> str:
        text = f"unreachable: end-effector error {self.error_mm:.1f} mm"
        if self.orientation_error_deg > settings.ORIENT_TOLERANCE_DEG:
            text += f", orientation error {self.orientation_error_deg:.1f} deg"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "reason": self.reason}


@dataclass
class Collision:
    link: str  # robot link (or "payload")
    other: str  # "fixture <id>", "floor", or a robot link (self-collision)
    kind: str  # fixture | floor | self
    time: float  # s into the cycle
    waypoint: int  # index of the waypoint the robot was moving to
    depth_mm: float
    force: float

    @property
    def reason(self) -> str:
        return f"collision: {self.link} hits {self.other} at t={self.time:.2f} s"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "reason": self.reason}


@dataclass
class MoveReport:
    to_waypoint: int
    name: str
    duration: float  # simulated seconds until settled
    profile_time: float  # commanded profile length
    joint_displacement: list[float]  # rad, per arm joint
    settle_time: float
    tracking_error: float = 0.0  # rad: largest joint lag behind the commanded profile during the move


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "reason"}


@dataclass
class TaskReport:
    task_id: str
    cycle_time: float | None
    reachable: bool
    unreachable: list[Unreachable] = field(default_factory=list)
    collisions: list[Collision] = field(default_factory=list)
    path_length: float = 0.0  # m travelled by the tool centre point in one cycle
    peak_joint_speeds: list[float] = field(default_factory=list)  # rad/s per arm joint
    moves: list[MoveReport] = field(default_factory=list)
    gripper_time: float = 0.0
    payload: float = 0.0
    overload: str | None = None
    warnings: list[str] = field(default_factory=list)
    from_cache: bool = False

    @property
    def ok(self) -> bool:
        return self.reachable and not self.collisions and self.overload is None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["unreachable"] = [u.to_dict() for u in self.unreachable]
        out["collisions"] = [c.to_dict() for c in self.collisions]
        out["ok"] = self.ok
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TaskReport":
        data = {k: v for k, v in data.items() if k != "ok"}
        data["unreachable"] = [Unreachable(**_fields(u)) for u in data.get("unreachable", [])]
        data["collisions"] = [Collision(**_fields(c)) for c in data.get("collisions", [])]
        data["moves"] = [MoveReport(**m) for m in data.get("moves", [])]
        return cls(**data)


@dataclass
class CellReport:
    station_id: str
    robot: str
    tasks: list[TaskReport]
    problems: list[Problem] = field(default_factory=list)  # cell-level, paths relative to the station
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(t.ok for t in self.tasks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "station": self.station_id,
            "robot": self.robot,
            "ok": self.ok,
            "problems": [str(p) for p in self.problems],
            "warnings": list(self.warnings),
            "tasks": [t.to_dict() for t in self.tasks],
        }

    def layout_problems(self, prefix: str, cell: RobotCell) -> list[Problem]:
        """Every problem as a `Problem` with a layout field path under `prefix` (the station);
        a waypoint tied to a fixture says which fixture, and where it now is."""
        out = [Problem(f"{prefix}.{p.path}" if p.path else prefix, p.message) for p in self.problems]
        for j, (task, rep) in enumerate(zip(cell.tasks, self.tasks)):
            tpath = f"{prefix}.cell.tasks[{j}]"
            for u in rep.unreachable:
                out.append(Problem(f"{tpath}.waypoints[{u.index}]", u.reason + anchor_note(cell, j, u.index)))
            for c in rep.collisions:
                out.append(Problem(f"{tpath}.waypoints[{c.waypoint}]", c.reason + anchor_note(cell, j, c.waypoint)))
            if rep.overload:
                out.append(Problem(f"{tpath}.payload", rep.overload))
        return out


@dataclass
class CellFailure:
    """A robot cell that could not be simulated at all (its robot cannot be loaded, say)."""

    station_id: str
    error: str
