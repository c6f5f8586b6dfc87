"""A search run as the Optimise page shows it: the leaderboard with the as-is layout as a
row, the screened layouts (also of a run that was stopped before anything was scheduled),
and the points of the Pareto chart. Plain functions of a run's result and database, so they
are tested without a browser; numbers are rounded to what a planner reads and every column
names its unit."""
from __future__ import annotations

from pathlib import Path
from typing import Any

AS_IS = "as-is"
SCREENED_SHOWN = 5000  # screened layouts read for the chart and the table (best by flow distance)

# column -> what it measures (the column's help text)
COLUMNS: dict[str, str] = {
    "makespan (s)": "planned makespan: the CP-SAT (or dispatch-rule) schedule",
    "throughput (units/h)": "planned throughput",
    "simulated makespan (s)": "mean over the running twin's replications",
    "simulated throughput (units/h)": "mean over the running twin's replications",
    "flow distance (unit·m)": "units moved times routed metres, summed over the routings",
    "floor area (m²)": "area of the rectangle holding every placed station",
    "travel (m)": "installed conveyor metres plus AGV metres driven in the schedule",
    "conveyor (m)": "installed conveyor metres",
}


def _round(value: float | None, digits: int) -> float | int | None:
    if value is None:
        return None
    return int(round(value)) if digits == 0 else round(float(value), digits)


def design_label(row: Any) -> str:
    return AS_IS if row.is_baseline else f"#{row.seq} ({row.origin})"


def schedule_label(row: Any) -> str | None:
    """What made the design's schedule, and whether the wall-clock safety net cut its solve."""
    if row.solver is None:
        return None
    label = "dispatch fallback" if row.dispatch_only else "CP-SAT"
    return label + (" (wall-clock cut)" if row.wall_clock_cut else "")


def leaderboard_row(row: Any, sim: Any = None) -> dict[str, Any]:
    """One design: the plan's figures, and the running twin's where it simulated the design."""
    throughput = sim.kpi("throughput_per_hour") if sim is not None else None
    interval = None
    if throughput is not None and throughput.get("ci95_low") is not None:
        interval = f"{throughput['ci95_low']:,.1f} – {throughput['ci95_high']:,.1f}"
    from optimizer.search.rows import choices_text

    return {
        "design": design_label(row),
        "fleet & buffers": choices_text(row.choices) if getattr(row, "choices", None) else "as-is",
        "schedule": schedule_label(row),
        "simulated throughput (units/h)": None if throughput is None else _round(throughput["mean"], 1),
        "95 % CI (units/h)": interval,
        "simulated makespan (s)": None if sim is None else _round(sim.kpi("makespan_s")["mean"], 0),
        "makespan (s)": _round(row.makespan, 0),
        "throughput (units/h)": _round(row.throughput, 1),
        "flow distance (unit·m)": _round(row.flow_distance, 0),
        "floor area (m²)": _round(row.floor_area, 1),
        "travel (m)": _round(row.travel, 0),
        "conveyor (m)": _round(row.conveyor_length, 1),
        "status": row.schedule_status,
    }


def simulated_by_seq(result: Any) -> dict[int, Any]:
    decision = result.decision
    return {d.seq: d for d in ([decision.baseline, *decision.ranking] if decision else []) if d is not None}


def leaderboard(result: Any, limit: int = 25) -> list[dict[str, Any]]:
    """The as-is layout first (the yardstick), then the best `limit` designs, best first."""
    simulated = simulated_by_seq(result)
    rows = [r for r in result.leaderboard if not r.is_baseline][:limit]
    out = [leaderboard_row(r, simulated.get(r.seq)) for r in rows]
    if result.baseline is not None:
        out.insert(0, leaderboard_row(result.baseline, simulated.get(0)))
    return out


def screened_candidates(run_dir: Path | str, limit: int = SCREENED_SHOWN) -> list[Any]:
    """The as-is layout and the `limit` valid screened layouts with the shortest flow
    distance, with their stage-2 results where they have one (CandidateRow each)."""
    from optimizer.search.results import candidate_rows
    from optimizer.store import RunStore

    with RunStore.open(run_dir) as store:
        seqs = {r.seq for r in store.best_by_flow(limit)} | store.scheduled_seqs() | {0}
        return candidate_rows(store, seqs)


def screened_table(rows: list[Any], limit: int = 25) -> list[dict[str, Any]]:
    """The best screened layouts by flow distance (the as-is layout first)."""
    ordered = sorted((r for r in rows if not r.is_baseline and r.valid and r.flow_distance is not None),
                     key=lambda r: (r.flow_distance, r.seq))[:limit]
    base = [r for r in rows if r.is_baseline]
    return [{
        "design": design_label(r),
        "flow distance (unit·m)": _round(r.flow_distance, 0),
        "floor area (m²)": _round(r.floor_area, 1),
        "conveyor (m)": _round(r.conveyor_length, 1),
        "scheduled": "yes" if r.schedule_status is not None else "no",
    } for r in base + ordered]


AXES = {  # chart axis -> (row attribute, title with unit)
    "makespan": ("makespan", "makespan (s)"),
    "flow_distance": ("flow_distance", "flow distance (unit·m)"),
    "floor_area": ("floor_area", "floor area (m²)"),
    "travel": ("travel", "travel (m)"),
    "conveyor_length": ("conveyor_length", "conveyor (m)"),
}


def chart_points(rows: list[Any]) -> list[dict[str, Any]]:
    """Every valid screened layout as a chart point: its metrics, whether it was scheduled,
    and whether it is the as-is layout."""
    out = []
    for r in rows:
        if not r.valid and not r.is_baseline:
            continue
        point = {axis: getattr(r, attr) for axis, (attr, _) in AXES.items()}
        point.update(label=design_label(r), as_is=r.is_baseline, scheduled=r.ranked)
        out.append(point)
    return out


def explanation_lines(run_dir: Path | str) -> list[str]:
    """Why the running twin's best design wins against the as-is layout (or what it changes
    when it does not), as the report's Markdown lines without its heading; [] when the run
    has no simulated comparison."""
    from optimizer.report import why_markdown
    from optimizer.search.explain import explain
    from optimizer.search.results import result_from_store, stored_layout
    from optimizer.store import RunStore

    with RunStore.open(run_dir) as store:
        result = result_from_store(store)
        rows = ([result.baseline] if result.baseline else []) + result.leaderboard
        why = explain(store, stored_layout(store), result.decision, rows)
    return [] if why is None else why_markdown(why, result.decision)[1:]


def simulated_points(result: Any) -> list[dict[str, Any]]:
    """The simulated designs as points of the cost chart: annual cost, the lower 95 % bound of
    throughput, lead time, whether on the Pareto front of the three, whether the as-is layout."""
    from optimizer.search.decide import throughput_low

    decision = result.decision
    if decision is None:
        return []
    front = {d.seq for d in decision.front}
    designs = ([decision.baseline] if decision.baseline is not None else []) + decision.ranking
    return [{"label": AS_IS if d.is_baseline else f"#{d.seq}", "as_is": d.is_baseline,
             "annual_cost": d.kpi("annual_cost")["mean"], "throughput_low": throughput_low(d),
             "lead_time": d.kpi("lead_time_s")["mean"], "on_front": d.seq in front} for d in designs]
