"""What a finished search leaves in its run folder besides the database:

- `best_layout.yaml`: the best candidate as a layout file (`twin.io.save_layout`);
- `best_schedule.json`: its checked schedule document;
- `best_layout.png`: a picture of it (the 3D scene when `twin.scene.render_png` is there and
  works, else a plain top view drawn with matplotlib);
- `report.md`: inputs, counts, the best against the as-is layout, the top 10 and the Pareto
  front.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from twin.io import save_layout
from twin.model import Layout

from optimizer.search.results import SearchResult
from optimizer.search.rows import CandidateRow
from optimizer.store import RunStore


def write_run_folder(result: SearchResult, base: Layout, store: RunStore, layout_dir: Path | None = None) -> dict[str, Path]:
    """Write the best layout, its schedule, its picture and the report; returns their paths."""
    run_dir = result.run_dir
    out: dict[str, Path] = {}
    if result.best is not None:
        best = result.best.layout(base)
        out["layout"] = save_layout(best, run_dir / "best_layout.yaml")
        doc = store.schedule_json(result.best.seq)
        path = run_dir / "best_schedule.json"
        path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        out["schedule"] = path
        out["png"] = render_layout_png(best, run_dir / "best_layout.png", doc, layout_dir)
    path = run_dir / "report.md"
    path.write_text(report_markdown(result, base, _problem_summary(store)), encoding="utf-8")
    out["report"] = path
    return out


# --- pictures ------------------------------------------------------------------------------------


def render_layout_png(layout: Layout, path: Path, schedule_doc: dict[str, Any] | None = None,
                      layout_dir: Path | None = None) -> Path:
    """The 3D scene if the scene module can draw it here, else the plain top view."""
    try:
        from twin.scene import render_png
    except ImportError:
        return top_view_png(layout, path)
    try:
        render_png(layout, path, layout_dir=layout_dir, schedule_doc=schedule_doc)
    except Exception:  # noqa: BLE001 - a picture is not worth failing a finished search
        return top_view_png(layout, path)
    return Path(path)


def top_view_png(layout: Layout, path: Path | str) -> Path:
    """A plain top view: floor, keep-out zones, stations with ids, ports, docks, conveyors."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from twin.geometry import input_port, output_port, station_rect, zone_rect
    from twin.graph import conveyor_path
    from twin.scene import KIND_COLORS

    floor = layout.floor
    width = 12.0
    fig, ax = plt.subplots(figsize=(width, max(3.0, width * floor.depth / floor.width) + 0.6), dpi=110)
    try:
        ax.add_patch(Rectangle((0, 0), floor.width, floor.depth, facecolor="#fafafa", edgecolor="black"))
        for zone in floor.keep_out:
            r = zone_rect(zone)
            ax.add_patch(Rectangle((r.xmin, r.ymin), r.width, r.depth, facecolor="#555555", hatch="//", alpha=0.7))
        placed = {s.id for s in layout.stations if s.position is not None}
        for conveyor in layout.transport.conveyors:
            if conveyor.from_station not in placed or conveyor.to_station not in placed:
                continue
            points = conveyor_path(layout, conveyor)  # the run the graph measures and the 3D scene draws
            ax.plot([p[0] for p in points], [p[1] for p in points], color="#c0392b", linewidth=2.5, zorder=3)
        for station in layout.stations:
            if station.position is None:
                continue
            r = station_rect(station)
            ax.add_patch(Rectangle((r.xmin, r.ymin), r.width, r.depth, facecolor=KIND_COLORS[station.kind],
                                   edgecolor="black", linewidth=1.5 if station.fixed else 0.8, zorder=2))
            ax.text(*r.centre, station.id, ha="center", va="center", fontsize=7, zorder=4)
            for port, marker in ((input_port(station), ">"), (output_port(station), "s")):
                ax.plot(*port, marker=marker, color="black", markersize=3, zorder=4)
        for dock in floor.docks:
            ax.plot(*dock.position, marker="D", color="#27ae60" if dock.kind == "receiving" else "#2980b9", markersize=8)
            ax.annotate(dock.id, dock.position, textcoords="offset points", xytext=(4, 4), fontsize=7)
        ax.set_xlim(-0.5, floor.width + 0.5)
        ax.set_ylim(-0.5, floor.depth + 0.5)
        ax.set_aspect("equal")
        ax.set_xlabel("x (m)")
        ax.set_ylabel("y (m)")
        ax.set_title(f"{layout.name}: top view (thick edge = fixed station)")
        fig.tight_layout()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path)
    finally:
        plt.close(fig)
    return path


# --- the report ----------------------------------------------------------------------------------


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:+.2f} %"


def _problem_summary(store: RunStore) -> list[tuple[str, int]]:
    """The most common reasons candidates were invalid (station names folded together)."""
    counter: Counter[str] = Counter()
    for problem in store.first_problems():  # no placements read or decoded
        counter[re.sub(r"'[^']*'", "'…'", problem.split(": ", 1)[-1])] += 1
    return counter.most_common(5)


def _moved(best: CandidateRow, baseline: CandidateRow | None) -> int:
    if baseline is None:
        return 0
    return sum(1 for sid, p in best.placements.items() if baseline.placements.get(sid) != p)


def report_markdown(result: SearchResult, base: Layout, invalid_reasons: list[tuple[str, int]] | None = None) -> str:
    c = result.config
    lines = [
        f"# Layout search: {result.layout_name}",
        "",
        f"- layout file: `{result.layout_path}`",
        f"- run folder: `{result.run_dir}` (database `run.sqlite`)",
        f"- started {result.started}, {result.elapsed:.0f} s of work, status **{result.status}**",
        "",
        "## Inputs",
        "",
        "| setting | value |",
        "| --- | --- |",
        f"| candidates | {c.candidates} |",
        f"| short list (scheduled) | {c.shortlist} + the as-is layout |",
        f"| time limit per schedule | {c.time_limit:g} s (CP-SAT, 1 search worker, seed {c.seed}; "
        f"budget {c.time_limit / 2:g} deterministic-time units, so the seed decides the result) |",
        f"| generator | {c.generator}, then {c.refine:.0%} refinement by perturbing the best screened |",
        f"| objective | {c.objective} |",
        f"| workers / backend | {c.workers} / {c.backend}{' at ' + c.address if c.address else ''} |",
        "",
        "## Counts",
        "",
        f"- screened: {result.screened} candidates, {result.valid} valid, {result.screened - result.valid} invalid",
        f"- scheduled: {result.scheduled} candidates (plus the as-is layout), {result.schedule_ok} passed the "
        f"independent schedule checker",
    ]
    if invalid_reasons:
        lines += ["- most common reasons for invalid candidates:"]
        lines += [f"  - {n} × {reason}" for reason, n in invalid_reasons]
    b, best = result.baseline, result.best
    lines += ["", "## Best layout vs the as-is layout", ""]
    if best is None:
        lines += ["No candidate was scheduled with a checked schedule, so there is no best layout."]
    else:
        lines += [
            f"Best: candidate #{best.seq} ({best.origin}), {_moved(best, b)} of {len(best.placements)} stations moved "
            f"(`best_layout.yaml`, `best_schedule.json`, `best_layout.png`).",
            "",
            "| measure | as-is | best | change | change % |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        names = [
            ("makespan", "makespan (s)", 0), ("throughput", "throughput (units/h)", 1),
            ("flow_distance", "flow distance (units × m)", 0), ("floor_area", "floor area used (m²)", 1),
            ("travel", "travel: conveyor + AGV (m)", 1), ("conveyor_length", "conveyor length (m)", 1),
            ("agv_distance", "AGV distance driven (m)", 1),
        ]
        improvement = result.improvement()
        for key, label, digits in names:
            row = improvement[key]
            lines.append(f"| {label} | {_num(row['as_is'], digits)} | {_num(row['best'], digits)} | "
                         f"{_num(row['change'], digits)} | {_pct(row['percent'])} |")
        if b is not None and not b.valid:
            lines += ["", f"The layout checker finds problems in the as-is layout itself: "
                          f"{'; '.join(b.problems[:3])}{' …' if len(b.problems) > 3 else ''}"]
        if b is not None and b.schedule_status not in (None, "ok"):
            lines += ["", f"The as-is layout's schedule is {b.schedule_status}."]
    lines += ["", "## Leaderboard (top 10)", "",
              "| rank | candidate | origin | makespan (s) | throughput (units/h) | flow distance | floor area (m²) | travel (m) |",
              "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    for i, row in enumerate(result.leaderboard[:10], 1):
        lines.append(f"| {i} | #{row.seq} | {row.origin} | {_num(row.makespan, 0)} | {_num(row.throughput, 1)} | "
                     f"{_num(row.flow_distance, 0)} | {_num(row.floor_area, 1)} | {_num(row.travel, 1)} |")
    lines += ["", "## Pareto front (makespan, floor area, travel; all minimised)", "",
              "| candidate | makespan (s) | floor area (m²) | travel (m) | flow distance |",
              "| ---: | ---: | ---: | ---: | ---: |"]
    for row in result.pareto:
        name = "as-is" if row.is_baseline else f"#{row.seq}"
        lines.append(f"| {name} | {_num(row.makespan, 0)} | {_num(row.floor_area, 1)} | {_num(row.travel, 1)} | "
                     f"{_num(row.flow_distance, 0)} |")
    lines.append("")
    return "\n".join(lines)
