"""A robot cell's definition as two tables, and edits of them back into the layout data:
its fixtures (id, box size, pose) and its tasks' waypoints (task, name, the fixture the point
is relative to, position, tool orientation, action), one row each, in order. Like
`factory_app.tables` this is plain data: the page's table edit comes back as rows and the
layout check names what is wrong (`stations[3].cell.fixtures[1].size[2]: must be positive`);
`row_problems` puts those messages on the row and column they concern.

A fixture renamed in its row keeps the waypoints that were relative to it; a waypoint row
naming a task the cell does not have is refused here, with its row and column (tasks are the
routing's names for the cell's work: they are added or renamed in the layout file)."""
from __future__ import annotations

import copy
import re
from typing import Any

from twin.errors import Problem

FIXTURE_COLUMNS = ["id", "width", "depth", "height", "x", "y", "z", "roll", "pitch", "yaw"]
WAYPOINT_COLUMNS = ["task", "name", "relative_to", "x", "y", "z", "roll", "pitch", "yaw", "action"]
ACTIONS = ("none", "grip", "release")
CELL_FRAME = ""  # relative_to blank: the point is in the cell's own frame
_XYZ, _RPY = ("x", "y", "z"), ("roll", "pitch", "yaw")
_SIZE = ("width", "depth", "height")
_DEFAULT_RPY = (180.0, 0.0, 0.0)  # a waypoint's tool points down unless told


class CellTableError(ValueError):
    """A table row that cannot become part of the cell; the message names row and column."""


def fixture_rows(cell: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for f in cell.get("fixtures") or []:
        pose = f.get("pose") or {}
        rows.append({"id": f.get("id"), **dict(zip(_SIZE, f.get("size") or (None,) * 3)),
                     **dict(zip(_XYZ, pose.get("xyz") or (0.0,) * 3)), **dict(zip(_RPY, pose.get("rpy") or (0.0,) * 3))})
    return rows


def waypoint_rows(cell: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for task in cell.get("tasks") or []:
        for wp in task.get("waypoints") or []:
            rows.append({"task": task.get("id"), "name": wp.get("name"), "relative_to": wp.get("relative_to") or CELL_FRAME,
                         **dict(zip(_XYZ, wp.get("xyz") or (None,) * 3)), **dict(zip(_RPY, wp.get("rpy") or _DEFAULT_RPY)),
                         "action": wp.get("action") or "none"})
    return rows


def _cell(data: dict[str, Any], index: int) -> tuple[dict[str, Any], dict[str, Any]]:
    data = copy.deepcopy(data)
    cell = data["stations"][index].get("cell")
    if not cell:
        raise CellTableError(f"station '{data['stations'][index].get('id')}' is not a robot cell")
    return data, cell


def _triple(row: dict[str, Any], names: tuple[str, ...]) -> list[Any]:
    return [row.get(n) for n in names]


def _pose(row: dict[str, Any], key: str, names: tuple[str, ...], into: dict[str, Any]) -> dict[str, Any]:
    """`into` with `key` set to the row's three values; left out (the model's default) when
    all three cells are blank."""
    values = _triple(row, names)
    if any(v is not None for v in values):
        into[key] = values
    return into


def apply_fixtures(data: dict[str, Any], index: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The layout data with station `index`'s fixtures as the rows give them. A fixture whose
    id changed in its row (same place in the table) takes the waypoints relative to it along."""
    data, cell = _cell(data, index)
    old = [f.get("id") for f in cell.get("fixtures") or []]
    cell["fixtures"] = [{"id": row.get("id"), "size": _triple(row, _SIZE),
                         "pose": _pose(row, "rpy", _RPY, _pose(row, "xyz", _XYZ, {}))} for row in rows]
    renamed = {before: row.get("id") for before, row in zip(old, rows)
               if before and row.get("id") and before != row.get("id") and before not in {r.get("id") for r in rows}}
    for task in cell.get("tasks") or []:
        for wp in task.get("waypoints") or []:
            if wp.get("relative_to") in renamed:
                wp["relative_to"] = renamed[wp["relative_to"]]
    return data


def apply_waypoints(data: dict[str, Any], index: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The layout data with station `index`'s tasks' waypoints as the rows give them, each
    task's in the order of its rows (the tasks keep their other fields and their order);
    raises CellTableError for a row whose task the cell does not have."""
    data, cell = _cell(data, index)
    tasks = {t.get("id"): t for t in cell.get("tasks") or []}
    points: dict[str, list[dict[str, Any]]] = {task_id: [] for task_id in tasks}
    for n, row in enumerate(rows, start=1):
        task_id = row.get("task")
        if task_id not in tasks:
            raise CellTableError(f"waypoints row {n}, column 'task': no task {task_id!r} in this cell "
                                 f"(tasks: {', '.join(map(str, tasks)) or 'none'})")
        point = _pose(row, "rpy", _RPY, {"name": row.get("name"), "xyz": _triple(row, _XYZ),
                                          "relative_to": row.get("relative_to") or None,
                                          "action": row.get("action") or "none"})
        points[task_id].append(point)
    for task_id, task in tasks.items():
        task["waypoints"] = points[task_id]
    return data


_FIXTURE = re.compile(r"^cell\.fixtures\[(\d+)\](?:\.(.*))?$")
_WAYPOINT = re.compile(r"^cell\.tasks\[(\d+)\]\.waypoints\[(\d+)\](?:\.(.*))?$")
_FIELDS = {"size": _SIZE, "pose.xyz": _XYZ, "pose.rpy": _RPY, "xyz": _XYZ, "rpy": _RPY}


def _column(rest: str | None) -> str:
    """The table column of a field path inside a row: `size[2]` is 'height', `pose.xyz[0]` 'x'."""
    if not rest:
        return ""
    match = re.match(r"^(.*?)\[(\d)\]$", rest)
    if match and match[1] in _FIELDS and int(match[2]) < 3:
        return _FIELDS[match[1]][int(match[2])]
    return {"pose": "pose", "relative_to": "relative_to"}.get(rest, rest)


def row_problems(problems: list[Problem], index: int, cell: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """The problems of station `index`'s cell as (per fixture row, per waypoint row, the
    rest), each message led by its column: `height: must be positive`."""
    fixtures = [[] for _ in cell.get("fixtures") or []]
    offsets, n = [], 0
    for task in cell.get("tasks") or []:
        offsets.append(n)
        n += len(task.get("waypoints") or [])
    waypoints: list[list[str]] = [[] for _ in range(n)]
    rest = []
    prefix = f"stations[{index}]."
    for problem in problems:
        if not problem.path.startswith(prefix + "cell"):
            continue
        inner = problem.path[len(prefix):]
        f, w = _FIXTURE.match(inner), _WAYPOINT.match(inner)
        if f and int(f[1]) < len(fixtures):
            fixtures[int(f[1])].append(_lead(_column(f[2]), problem.message))
        elif w and int(w[1]) < len(offsets) and offsets[int(w[1])] + int(w[2]) < n:
            waypoints[offsets[int(w[1])] + int(w[2])].append(_lead(_column(w[3]), problem.message))
        else:
            rest.append(str(problem))
    return ["; ".join(m) for m in fixtures], ["; ".join(m) for m in waypoints], rest


def _lead(column: str, message: str) -> str:
    return f"{column}: {message}" if column else message
