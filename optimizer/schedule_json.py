"""The versioned schedule document (times in seconds; `optimizer/schedule.schema.json`): the
form a schedule takes at the edges (files, the run database, the app's downloads)."""
from __future__ import annotations

import json
import math
from importlib import resources
from typing import Any

import jsonschema

from twin.errors import FactoryTwinError, InputError

from optimizer.kpis import summarise
from optimizer.problem import SchedulingProblem
from optimizer.schedule import Assignment, Schedule, Transport

SCHEMA_VERSION = 1


def schedule_to_json(problem: SchedulingProblem, schedule: Schedule, layout_name: str) -> dict[str, Any]:
    """The versioned schedule document (times in seconds); see optimizer/schedule.schema.json."""
    sec = problem.to_seconds
    summary = summarise(problem, schedule)
    from_physics = {
        (job.id, op.id, alt.station)
        for job in problem.jobs for op in job.operations for alt in op.alternatives if alt.physics
    }
    return {
        "version": SCHEMA_VERSION,
        "layout": layout_name,
        "tick": problem.tick,
        "status": summary.status,
        "solver": summary.solver,
        "wall_clock_cut": schedule.wall_clock_cut,
        "objective": summary.objective,
        "objective_value": summary.objective_value,
        "makespan": summary.makespan,
        "lower_bound": summary.lower_bound,
        "gap": summary.gap,
        "kpis": summary.kpis.to_dict(),
        "operations": [
            {
                "job": a.job, "product": a.product, "lot": a.lot, "operation": a.operation,
                "station": a.station, "lane": a.lane, "start": sec(a.start), "end": sec(a.end),
                "changeover": sec(a.changeover),
                "time_source": "physics" if (a.job, a.operation, a.station) in from_physics else "layout",
                **({"operator_pool": a.pool} if a.pool else {}),
            }
            for a in schedule.assignments
        ],
        **({"operators": [
            {"pool": pool_id, "size": pool.size,
             "on_shift": [[sec(a), sec(b)] for a, b in pool.calendar.windows_until(schedule.makespan)]}
            for pool_id, pool in problem.pools.items()
        ]} if problem.pools else {}),
        "transports": [_transport_json(t, sec) for t in schedule.transports],
    }


def _transport_json(t: Transport, sec) -> dict[str, Any]:
    doc = {"job": t.job, "from": t.from_station, "to": t.to_station, "start": sec(t.start), "end": sec(t.end),
           "mover": t.mover, "distance": t.distance}
    if t.vehicle is not None:
        doc.update(vehicle=t.vehicle, empty_from=t.empty_from, empty_start=sec(t.empty_start),
                   empty_end=sec(t.empty_end))
    if t.batch:
        doc["batch"] = t.batch
    return doc


def schedule_from_json(doc: dict[str, Any]) -> Schedule:
    """The Schedule (in ticks) that `schedule_to_json` wrote. Raises InputError when the
    document does not follow the schema."""
    try:
        jsonschema.validate(doc, schedule_json_schema())
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(document)"
        raise InputError(f"schedule JSON {where}: {exc.message}") from None
    tick = float(doc["tick"])

    def ticks(seconds: float) -> int:
        return int(round(seconds / tick))

    return Schedule(
        status=doc["status"],
        makespan=ticks(doc["makespan"]),
        lower_bound=round(doc["lower_bound"] / tick, 6),
        gap=float(doc["gap"]),
        assignments=tuple(
            Assignment(o["job"], o["product"], o["lot"], o["operation"], o["station"], o["lane"],
                       ticks(o["start"]), ticks(o["end"]), ticks(o["changeover"]), o.get("operator_pool", ""))
            for o in doc["operations"]
        ),
        transports=tuple(
            Transport(t["job"], t["from"], t["to"], ticks(t["start"]), ticks(t["end"]), t["mover"], float(t["distance"]),
                      t.get("vehicle"), t.get("empty_from"),
                      *((ticks(t["empty_start"]), ticks(t["empty_end"])) if "vehicle" in t else (None, None)),
                      int(t.get("batch", 0)))
            for t in doc["transports"]
        ),
        objective=doc["objective"],
        objective_value=round(doc["objective_value"] / tick, 6),
        solver=doc.get("solver", ""),
        wall_clock_cut=bool(doc.get("wall_clock_cut", False)),
    )


class WrongSchedule(FactoryTwinError):
    """A schedule that fails the independent checker or holds NaN or infinity: a bug
    upstream, never written or reported as a success (exit 1)."""


def _non_finite_path(value: Any, path: str = "") -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return path or "(document)"
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, (list, tuple)) else ()
    for key, item in items:
        found = _non_finite_path(item, f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}".lstrip("."))
        if found:
            return found
    return None


def schedule_json_text(doc: dict[str, Any], indent: int | None = 2) -> str:
    """The schedule document as JSON text. NaN and Infinity are not JSON: a document holding
    one is refused (WrongSchedule naming the field), never written."""
    try:
        return json.dumps(doc, indent=indent, allow_nan=False) + "\n"
    except ValueError:
        raise WrongSchedule(f"the schedule's {_non_finite_path(doc)} is not a finite number; "
                                "nothing was written") from None


def schedule_json_schema() -> dict[str, Any]:
    """The JSON Schema of the schedule document, shipped as optimizer/schedule.schema.json."""
    text = resources.files("optimizer").joinpath("schedule.schema.json").read_text(encoding="utf-8")
    return json.loads(text)
