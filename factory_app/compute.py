"""The work behind the pages, as plain functions of plain inputs (so Streamlit can cache
them by value and tests can call them directly). Heavy modules are imported inside the
functions that need them, which keeps the app's first view fast.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twin.errors import LayoutError
from twin.io import dump_layout, parse_layout
from twin.model import Layout
from twin.physics import CellFailure, CellReport, Physics


@dataclass
class ScheduleResult:
    """A schedule document (the JSON of `optimizer/schedule.schema.json`) and what the
    independent checker said about it."""

    doc: dict[str, Any]
    check: list[str] = field(default_factory=list)


def layout_key(layout: Layout) -> str:
    """A stable text form of a layout: the cache key of everything computed from it."""
    return dump_layout(layout, "json")


def unplaced(layout: Layout) -> list[str]:
    return [s.id for s in layout.stations if s.position is None]


def schedule_layout(layout_text: str, layout_dir: str | None, physics: Physics, time_limit: float = 5.0,
                    objective: str = "makespan", workers: int = 1) -> ScheduleResult:
    """Schedule one placed layout (CP-SAT, warm-started from a dispatching-rule schedule).
    Raises FactoryTwinError subclasses with plain messages."""
    from optimizer.planning import ScheduleOptions, schedule_layout as solve_layout

    layout = parse_layout(layout_text, "<app>", fmt="json")
    missing = unplaced(layout)
    if missing:
        raise LayoutError(
            f"stations without a position cannot be scheduled: {', '.join(missing)} "
            "(give them an x and y, or let Optimise place them)"
        )
    options = ScheduleOptions(time_limit=time_limit, workers=workers, seed=0, objective=objective)
    result = solve_layout(layout, Path(layout_dir) if layout_dir else None, physics, options)
    return ScheduleResult(result.to_json(), result.check)


def validate_schedule_doc(doc: dict[str, Any]) -> list[str]:
    """Schema errors of a schedule document (empty when it validates)."""
    import jsonschema

    from optimizer.schedule_json import schedule_json_schema

    validator = jsonschema.Draft202012Validator(schedule_json_schema())
    return [f"{'/'.join(map(str, e.absolute_path)) or '(document)'}: {e.message}" for e in validator.iter_errors(doc)]


def cell_reports(layout_text: str, layout_dir: str | None, physics: Physics) -> list[CellReport | CellFailure]:
    """One report per robot cell, or a `CellFailure` saying why the cell cannot be simulated;
    physics results are cached on disk by `physics`."""
    from twin.physics import robot_cells, simulate_layout

    layout = parse_layout(layout_text, "<app>", fmt="json")
    reports, problems = simulate_layout(layout, layout_dir, physics)
    out: list[CellReport | CellFailure] = []
    for i, station in robot_cells(layout):
        if station.id in reports:
            out.append(reports[station.id])
            continue
        where = f"stations[{i}]"
        mine = [str(p) for p in problems if p.path == where or p.path.startswith(where + ".")]
        out.append(CellFailure(station.id, "; ".join(mine) or "this cell could not be simulated"))
    return out


def task_rows(report: CellReport) -> list[dict[str, Any]]:
    """The per-task table of one cell report: cycle time, reach (each unreachable waypoint
    with the reason), collisions, path, speeds."""
    rows = []
    for task in report.tasks:
        speeds = task.peak_joint_speeds
        rows.append({
            "task": task.task_id,
            "cycle time (s)": None if task.cycle_time is None else round(task.cycle_time, 2),
            "reachable": task.reachable,
            "unreachable": "; ".join(f"{u.name}: {u.reason}" for u in task.unreachable),
            "collisions": len(task.collisions),
            "path length (m)": round(task.path_length, 3),
            "peak joint speed (rad/s)": round(max(speeds), 2) if speeds else None,
            "ok": task.ok,
        })
    return rows


def cell_summary(reports: list[CellReport | CellFailure]) -> list[dict[str, Any]]:
    """The Cells page's overview table: one row per robot cell, short columns only (the
    notes are listed under the table by `cell_notes`, so the table fits the page)."""
    summary = []
    for rep in reports:
        if isinstance(rep, CellFailure):
            summary.append({"station": rep.station_id, "robot": "", "ok": False, "tasks": 0, "worst cycle (s)": None,
                            "notes": 1})
            continue
        cycles = [t.cycle_time for t in rep.tasks if t.cycle_time is not None]
        summary.append({"station": rep.station_id, "robot": rep.robot, "ok": rep.ok, "tasks": len(rep.tasks),
                        "worst cycle (s)": round(max(cycles), 2) if cycles else None,
                        "notes": len(rep.problems) + len(rep.warnings)})
    return summary


def cell_notes(reports: list[CellReport | CellFailure]) -> list[tuple[str, str]]:
    """(station, note) for every problem and warning of the cells, in table order."""
    notes = []
    for rep in reports:
        if isinstance(rep, CellFailure):
            notes.append((rep.station_id, rep.error))
        else:
            notes += [(rep.station_id, str(p)) for p in rep.problems] + [(rep.station_id, w) for w in rep.warnings]
    return notes
