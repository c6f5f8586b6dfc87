"""Simulated task reports on disk, one JSON file per task, named by a hash of every input
that affects the result (cell base and fixtures, the task, the robot file and what it
references, the datasheet entry, the physics settings, the pybullet version and
`settings.MODEL_VERSION`), so a stale entry is never read: it is simply never asked for.
Robots' measured reach (`twin.physics.reach`) is kept the same way, by `reach_key`."""
from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

from twin.model import RobotCell, RobotTask
from twin.physics import settings
from twin.physics.reports import TaskReport
from twin.robots import Robot, robot_digest


def default_cache_dir() -> Path:
    """FACTORY_TWIN_CACHE, else ~/.cache/factory-twin/cells."""
    env = os.environ.get("FACTORY_TWIN_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "factory-twin" / "cells"


@lru_cache(maxsize=1)
def pybullet_version() -> str:
    from importlib.metadata import version

    return version("pybullet")


def task_key(cell: RobotCell, task: RobotTask, robot: Robot) -> str:
    """Hash of everything that affects one task's result (not the station's id or place)."""
    data = {
        "model": settings.MODEL_VERSION,
        "physics": settings.physics_key(),
        "pybullet": pybullet_version(),
        "robot": robot_digest(robot),
        "base": cell.base.model_dump(mode="json"),
        "fixtures": [f.model_dump(mode="json") for f in cell.fixtures],
        "task": task.model_dump(mode="json"),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def reach_key(robot: Robot, seed: int) -> str:
    """Hash of everything that affects a robot's measured reach: its kinematics (the robot
    file and what it references), the sampling seed, the pybullet and model versions."""
    data = {"kind": "reach", "model": settings.MODEL_VERSION, "pybullet": pybullet_version(),
            "robot": robot_digest(robot), "seed": seed}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


class ReportCache:
    """Task reports (and reach measurements) in `folder`, by key. A missing, unreadable or
    outdated file is a miss; a folder that cannot be written only costs time."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def read_json(self, key: str) -> dict | None:
        try:
            data = json.loads(self._path(key).read_text())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def write_json(self, key: str, data: dict) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.parent / f".{key}.{os.getpid()}.tmp"
            tmp.write_text(json.dumps(data))
            tmp.replace(path)
        except OSError:
            pass

    def read(self, key: str) -> TaskReport | None:
        data = self.read_json(key)
        if data is None:
            return None
        try:
            report = TaskReport.from_dict(data)
        except TypeError:
            return None
        report.from_cache = True
        return report

    def write(self, key: str, report: TaskReport) -> None:
        self.write_json(key, report.to_dict())
