"""What a finished search leaves in its run folder besides the database:

- `best_layout.yaml`: the best candidate as a layout file (`twin.io.save_layout`);
- `best_schedule.json`: its checked schedule document;
- `best_layout.png`: a picture of it (the 3D scene when `twin.scene.render_png` is there and
  works, else a plain top view drawn with matplotlib);
- `report.md`: inputs, counts, the running twin's verdict (the best simulated design against
  the as-is layout, paired per replication, and the recommendation), the best against the
  as-is layout by the plan, the top 10 and the Pareto front.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from twin.io import save_layout
from twin.model import Layout
from twin.physics import Physics

from optimizer.schedule_json import schedule_json_text
from optimizer.search.budget import REFERENCE_OPERATIONS
from optimizer.search.decide import Decision, SimulatedDesign, throughput_low
from optimizer.search.explain import MONEY, Explanation, explain
from optimizer.search.recheck import recheck_markdown
from optimizer.search.results import SearchResult
from optimizer.search.rows import CandidateRow, choice_changes, choices_text
from optimizer.search.simulate import AS_IS_FACTOR
from optimizer.search.variants import variants
from optimizer.store import RunStore


def write_run_folder(result: SearchResult, base: Layout, store: RunStore, layout_dir: Path | None,
                     physics: Physics) -> dict[str, Path]:
    """Write the best layout, its schedule, its picture and the report; returns their paths."""
    run_dir = result.run_dir
    out: dict[str, Path] = {}
    if result.best is not None:
        best = result.best.layout(base)
        out["layout"] = save_layout(best, run_dir / "best_layout.yaml")
        doc = store.schedule_json(result.best.seq)
        path = run_dir / "best_schedule.json"
        path.write_text(schedule_json_text(doc, indent=1), encoding="utf-8")
        out["schedule"] = path
        out["png"] = render_layout_png(best, run_dir / "best_layout.png", physics, doc, layout_dir)
    out["report"] = write_report(result, base, store)
    return out


def write_report(result: SearchResult, base: Layout, store: RunStore) -> Path:
    """(Re)write the run folder's report.md, e.g. after a re-check."""
    path = result.run_dir / "report.md"
    why = explain(store, base, result.decision, ([result.baseline] if result.baseline else []) + result.leaderboard)
    path.write_text(report_markdown(result, base, _problem_summary(store), why), encoding="utf-8")
    return path


# --- pictures ------------------------------------------------------------------------------------


def render_layout_png(layout: Layout, path: Path, physics: Physics, schedule_doc: dict[str, Any] | None = None,
                      layout_dir: Path | None = None) -> Path:
    """The 3D scene if the scene module can draw it here, else the plain top view."""
    try:
        from twin.scene import render_png
    except ImportError:
        return top_view_png(layout, path)
    try:
        render_png(layout, path, layout_dir=layout_dir, schedule_doc=schedule_doc, physics=physics)
    except Exception:  # noqa: BLE001 - a picture is not worth failing a finished search
        return top_view_png(layout, path)
    return Path(path)


def top_view_png(layout: Layout, path: Path | str) -> Path:
    """A plain top view of the floor plan (`twin.floorplan`): floor, keep-out zones, docks,
    stations with ids and ports, conveyors with arrowheads, a legend of the kinds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch, Polygon, Rectangle

    from twin.floorplan import floor_plan
    from twin.palette import COLORS

    plan = floor_plan(layout)
    box = plan.bounds
    width = 12.0
    fig, ax = plt.subplots(figsize=(width, max(3.0, width * box.depth / box.width) + 0.9), dpi=110)
    try:
        o = plan.outline
        ax.add_patch(Rectangle((o.xmin, o.ymin), o.width, o.depth, facecolor=COLORS["floor"],
                               edgecolor=COLORS["floor_edge"], linewidth=1.2, zorder=0))
        for zone in plan.zones:
            r = zone.rect
            ax.add_patch(Rectangle((r.xmin, r.ymin), r.width, r.depth, facecolor=zone.colour, edgecolor="#444444",
                                   hatch="//" if zone.kind == "hazard" else None, linewidth=0.6, zorder=1))
        for dock in plan.docks:
            r = dock.apron
            ax.add_patch(Rectangle((r.xmin, r.ymin), r.width, r.depth, facecolor=dock.colour, edgecolor="none",
                                   zorder=1, gid=f"dock:{dock.id}"))
            ax.text(*r.centre, dock.id, ha="center", va="center", fontsize=7, color="white", fontweight="bold",
                    zorder=4)
        for station in plan.stations:
            ax.add_patch(Polygon(station.corners, closed=True, facecolor=station.colour, edgecolor="black",
                                 linewidth=1.6 if station.fixed else 0.6, zorder=2, gid=f"station:{station.id}"))
            ax.text(*station.centre, station.label, ha="center", va="center", fontsize=7, zorder=5,
                    bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none", alpha=0.75))
            ax.plot(*station.input_port, marker="o", color=COLORS["input_port"], markersize=3.5, zorder=4)
            ax.plot(*station.output_port, marker="s", color=COLORS["output_port"], markersize=3.5, zorder=4)
        for conveyor in plan.conveyors:
            ax.plot([p[0] for p in conveyor.points], [p[1] for p in conveyor.points], color=conveyor.colour,
                    linewidth=3, solid_capstyle="butt", zorder=3, gid=f"conveyor:{conveyor.id}")
            for (x, y), (dx, dy) in conveyor.marks(1.5):
                ax.annotate("", (x + dx * 0.25, y + dy * 0.25), (x - dx * 0.25, y - dy * 0.25), zorder=3,
                            arrowprops=dict(arrowstyle="-|>", color=COLORS["belt_arrow"], lw=0, mutation_scale=12))
        margin = 0.3
        ax.set_xlim(box.xmin - margin, box.xmax + margin)
        ax.set_ylim(box.ymin - margin, box.ymax + margin)
        ax.set_aspect("equal")
        ax.set_xlabel("x (m)")
        ax.set_ylabel("y (m)")
        ax.set_title(f"{plan.name}: top view (thick edge = fixed station; ports: o in, ▪ out)")
        handles = [Patch(facecolor=colour, edgecolor="black", linewidth=0.5, label=name) for name, colour in plan.legend]
        if handles:
            ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=len(handles),
                      fontsize=8, frameon=False)
        fig.tight_layout()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path)
    finally:
        plt.close(fig)
    return path


# --- the report ----------------------------------------------------------------------------------

NOT_BETTER = "no design is significantly better than the as-is layout"
# the simulated figures the verdict shows: (name, label, digits, larger is better)
VERDICT_FIGURES = (
    ("annual_cost", "annual cost", 0, False), ("throughput_per_hour", "throughput (units/h)", 2, True), ("makespan_s", "makespan (s)", 0, False),
    ("lead_time_s", "lead time (s)", 0, False), ("lead_time_p90_s", "lead time P90 (s)", 0, False),
    ("wip", "WIP (units)", 1, False), ("weighted_tardiness", "weighted tardiness (s)", 0, False),
    ("agv_loaded_m", "AGV metres loaded", 0, False), ("agv_empty_m", "AGV metres empty", 0, False),
    ("energy_kwh", "station energy (kWh)", 1, False), ("capital", "capital", 0, False),
    ("cost_depreciation", "  depreciation a year", 0, False), ("cost_floor", "  floor a year", 0, False),
    ("cost_agv_running", "  AGV running a year", 0, False), ("cost_energy", "  energy a year", 0, False),
)
OBJECTIVE_WORDS = {"cost": "annual cost (with throughput meeting the required rate)", "makespan": "throughput",
                   "throughput": "throughput", "weighted_tardiness": "weighted tardiness"}


def design_name(design: SimulatedDesign | CandidateRow) -> str:
    """'as-is' or '#seq', with '(dispatch fallback)' when its schedule is only that, and
    '(wall-clock cut)' when the safety net ended its solve."""
    name = "as-is" if design.is_baseline else f"#{design.seq}"
    cut = isinstance(design, CandidateRow) and design.wall_clock_cut
    return name + (" (dispatch fallback)" if design.dispatch_only else "") + (" (wall-clock cut)" if cut else "")


def _interval(low: float | None, high: float | None, digits: int) -> str:
    return "–" if low is None or high is None else f"[{low:,.{digits}f}, {high:,.{digits}f}]"


def _as_is_short_of_the_rate(decision: Decision) -> bool:
    """The cost objective's case where the recommendation may cost more: the as-is layout
    is not sure to make the required rate, so the best design wins on throughput (it surely
    meets the rate, or makes significantly more), not on cost (`decide._better`)."""
    return (decision.objective == "cost" and decision.required_rate is not None and "annual_cost" in decision.comparison
            and decision.baseline.meets_demand is not True)


def recommendation_line(decision: Decision) -> str:
    """One sentence: what to build, and why."""
    figure = OBJECTIVE_WORDS.get(decision.objective, decision.objective)
    if decision.baseline is None:
        best = decision.best
        return (f"recommended: {design_name(best)} (the as-is layout could not be simulated, so nothing was "
                "compared with it)") if best else "nothing was simulated without error"
    if decision.best is None:
        return f"recommended: keep the as-is layout ({NOT_BETTER}: no candidate was simulated without error)"
    if decision.significant and _as_is_short_of_the_rate(decision):
        cost = decision.comparison["annual_cost"]
        dearer = "more" if cost.mean > 0 else "less"
        rates = (f"{decision.best.kpi('throughput_per_hour')['mean']:,.1f} against "
                 f"{decision.baseline.kpi('throughput_per_hour')['mean']:,.1f} units/h")
        if decision.best.meets_demand is True and decision.baseline.meets_demand is False:
            gain = (f"which meets the required {decision.required_rate:,.1f} units/h where the as-is layout does "
                    f"not ({rates})")
        elif decision.best.meets_demand is True:  # the as-is layout unsure of the rate (at the replications' cap)
            low = decision.baseline.kpi("throughput_per_hour")["ci95_low"]
            gain = (f"which meets the required {decision.required_rate:,.1f} units/h where the as-is layout is not "
                    f"sure to ({rates}; the as-is layout's 95 % interval reaches down to {low:,.1f})")
        else:
            more = decision.comparison["throughput_per_hour"]
            own = decision.best.kpi("throughput_per_hour")
            short = (f"still misses the required {decision.required_rate:,.1f} units/h (its 95 % interval reaches "
                     f"up to {own['ci95_high']:,.1f} only)" if decision.best.meets_demand is False else
                     f"is not yet sure to meet the required {decision.required_rate:,.1f} units/h (its 95 % "
                     f"interval reaches down to {own['ci95_low']:,.1f})")
            gain = (f"which makes significantly more than the as-is layout ({rates}, {more.mean:+,.1f} "
                    f"{_interval(more.low, more.high, 1)}) but {short}")
        low, high = (cost.low, cost.high) if cost.mean > 0 else (
            None if cost.high is None else -cost.high, None if cost.low is None else -cost.low)
        return (f"recommended: {design_name(decision.best)}, {gain}, for {abs(cost.mean):,.0f} a year "
                f"{dearer} {_interval(low, high, 0)} (95 % paired interval)")
    if decision.significant:
        return (f"recommended: {design_name(decision.best)}, significantly better than the as-is layout on "
                f"{figure} (95 % paired interval)")
    return f"recommended: keep the as-is layout ({NOT_BETTER} on {figure} at 95 %)"


def verdict_text(result: SearchResult) -> list[str]:
    """The running twin's verdict as plain lines (the CLI prints them)."""
    d = result.decision
    if d is None:
        return []
    cpsat, scheduled = result.cpsat_share()
    required = "none" if d.required_rate is None else f"{d.required_rate:,.1f} units/h"
    lines = [f"running twin: {len(d.ranking)} designs and the as-is layout, seed {result.config.seed}, "
             f"common random numbers; short list with a real CP-SAT schedule: {cpsat} of {scheduled}; "
             f"required rate {required}"]
    shown = [x for x in (d.baseline, d.best) if x is not None]
    for name, label, digits, _ in VERDICT_FIGURES[:3]:
        parts = [f"{design_name(x)} {x.kpi(name)['mean']:,.{digits}f}" for x in shown]
        diff = d.comparison.get(name)
        if diff is not None:
            parts.append(f"difference {diff.mean:+,.{digits}f} {_interval(diff.low, diff.high, digits)}")
        lines.append(f"  {label:22s} " + ", ".join(parts))
    best = next((r for r in result.leaderboard if d.best is not None and r.seq == d.best.seq), None)
    if best is not None:
        lines.append(f"  best design {design_name(d.best)}: {design_changes(best, result.baseline, result.base_layout())}")
    return lines + [recommendation_line(d)]


def schedule_sources_text(result: SearchResult) -> str:
    """How many short-listed candidates have a real CP-SAT plan, and what the as-is layout has."""
    cpsat, scheduled = result.cpsat_share()
    share = f" ({100 * cpsat / scheduled:.1f} %)" if scheduled else ""
    b = result.baseline
    as_is = ("" if b is None or b.solver is None else
             "; the as-is layout's is " + ("only the dispatch-rule fallback" if b.dispatch_only else "a CP-SAT plan"))
    return (f"short list with a real CP-SAT schedule: {cpsat} of {scheduled}{share}; the rest have only the "
            f"dispatch-rule fallback, labelled *(dispatch fallback)*{as_is}")


def _budget_text(result: SearchResult) -> str:
    """Stage 2's budget per schedule, as the run stored it (`optimizer.search.budget`)."""
    b = result.schedule_budget
    if not b:  # a run from before the budget was stored
        return f"budget {result.config.time_limit / 2:g} deterministic-time units, so the seed decides the result"
    per_reference = b["deterministic_time"] / max(1.0, b["operations"] / REFERENCE_OPERATIONS)
    return (f"budget {b['deterministic_time']:.3g} deterministic-time units for {b['operations']:,} operations "
            f"({per_reference:.3g} per {REFERENCE_OPERATIONS}), so the seed decides the result; "
            f"wall-clock safety net {b['wall_limit']:.0f} s; a dispatch fallback is retried once with "
            f"{b['retry_factor']:g}x both")


def _required(d: Decision) -> str:
    if d.required_rate is None:
        return "none (no product has a due date or a steady rate)"
    return (f"{d.required_rate:,.1f} units/h (the products' steady rates, plus the units of the other products' "
            "lots over the latest due date); a design qualifies when the lower 95 % bound of its simulated "
            "throughput reaches it")


def _decided(row: CandidateRow | None) -> str:
    """A design's fleet and buffers when it sets them, else 'as-is'."""
    return choices_text(row.choices) if row is not None and row.choices else "as-is"


def _decisions_text(base: Layout, seed: int) -> str:
    """The layout's decision ranges and the variants tried on each short-listed placement."""
    d = base.decisions
    if d.empty:
        return "placements only (no `decisions` block: the fleet and buffers stay as they are)"
    ranges = ([f"AGV fleet {d.agv_fleet.min}–{d.agv_fleet.max} (as-is {base.transport.agv.fleet_size})"]
              if d.agv_fleet else [])
    ranges += [f"{b.station} {b.buffer} buffer {b.min}–{b.max}" for b in d.buffers]
    return (f"placements, and {', '.join(ranges)}: each short-listed placement is scheduled and simulated with "
            f"the as-is values and {len(variants(base, seed))} variants")


def _verdict_markdown(result: SearchResult, base: Layout) -> list[str]:
    d = result.decision
    c = result.config
    lines = ["", "## Verdict of the running twin (the final yardstick)", ""]
    if d is None:
        return lines + ["Nothing was simulated (`--simulate 0`, or the as-is layout is not fully placed), so the "
                        "ranking below is the plan's."]
    lines += [
        f"The {len(d.ranking) + len(d.failed)} best designs of the plan ranking and the as-is layout were simulated "
        f"with seed {c.seed} and common random numbers (replication r of every design draws the same numbers per "
        f"station, vehicle and product), {c.replications} replications each, then {c.replications} more per round "
        f"for the designs still in contention, up to {c.max_replications} (the as-is layout up to "
        f"{AS_IS_FACTOR * c.max_replications} while its verdict on the required rate is unsure, since that verdict "
        f"decides what a design must beat). Each design follows its own checked "
        f"schedule, or the FIFO rule when it has none. Ranked by simulated {OBJECTIVE_WORDS[d.objective]}.",
        "",
        f"- required rate: {_required(d)}",
        f"- **{recommendation_line(d)}**",
    ]
    rows = {r.seq: r for r in ([result.baseline] if result.baseline else []) + result.leaderboard}
    if d.best is not None and d.best.seq in rows:
        lines.append(f"- best design {design_name(d.best)}: {design_changes(rows[d.best.seq], result.baseline, base)}")
    if d.failed:
        lines.append(f"- {len(d.failed)} designs could not be simulated, e.g. {design_name(d.failed[0])}: "
                     f"{d.failed[0].error}")
    if d.best is not None and d.baseline is not None:
        lines += ["", f"Best design {design_name(d.best)} against the as-is layout: mean "
                      f"[95 % CI] over {d.best.replications} and {d.baseline.replications} replications; the "
                      "difference (best − as-is) is paired per replication (paired t).", "",
                  "| KPI | as-is | best | difference | 95 % CI of the difference | significant |",
                  "| --- | ---: | ---: | ---: | ---: | --- |"]
        for name, label, digits, larger_better in VERDICT_FIGURES:
            a, b, diff = d.baseline.kpi(name), d.best.kpi(name), d.comparison[name]
            better = diff.above_zero() if larger_better else diff.below_zero()
            worse = diff.below_zero() if larger_better else diff.above_zero()
            verdict = "better" if better else "worse" if worse else "no"
            lines.append(f"| {label} | {_num(a['mean'], digits)} | {_num(b['mean'], digits)} | "
                         f"{diff.mean:+,.{digits}f} | {_interval(diff.low, diff.high, digits)} | {verdict} |")
    lines += ["", "| rank | design | fleet & buffers | follows | replications | annual cost | "
                  "throughput (units/h) [95 % CI] | meets demand | makespan (s) | lead time (s) |",
              "| ---: | --- | --- | --- | ---: | ---: | --- | --- | ---: | ---: |"]
    shown = [(str(i), x) for i, x in enumerate(d.ranking[:10], 1)] + ([("–", d.baseline)] if d.baseline else [])
    for rank_text, x in shown:
        t = x.kpi("throughput_per_hour")
        meets = {True: "yes", False: "no", None: "unsure"}[x.meets_demand]
        lines.append(f"| {rank_text} | {design_name(x)} | {_decided(rows.get(x.seq))} | {x.control_label} | "
                     f"{x.replications} | "
                     f"{_num(x.kpi('annual_cost')['mean'], 0)} | {t['mean']:,.2f} "
                     f"{_interval(t['ci95_low'], t['ci95_high'], 2)} | {meets} | {_num(x.kpi('makespan_s')['mean'], 0)} | "
                     f"{_num(x.kpi('lead_time_s')['mean'], 0)} |")
    return lines


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


def moved_stations(row: CandidateRow, baseline: CandidateRow | None) -> list[str]:
    """The stations a candidate places elsewhere than the as-is layout, by id."""
    if baseline is None:
        return []
    return sorted(sid for sid, p in row.placements.items() if baseline.placements.get(sid) != p)


def design_changes(row: CandidateRow, baseline: CandidateRow | None, base: Layout) -> str:
    """What a design changes against the as-is layout, in a planner's words: 'moves 3 of 12
    stations (a, b, c); runs 2 AGVs instead of 3'."""
    if row.is_baseline:
        return "the as-is layout"
    moved = moved_stations(row, baseline)
    names = f" ({', '.join(moved[:8])}{' …' if len(moved) > 8 else ''})" if moved else ""
    parts = [f"moves {len(moved)} of {len(row.placements)} stations{names}"] + choice_changes(row.choices, base)
    return "; ".join(parts)


def stage_times_text(result: SearchResult) -> str:
    """How the run's wall time split between its stages (rows written, seconds)."""
    parts = [f"{stage} {seconds:,.0f} s ({rows:,} rows)" for stage, rows, seconds in result.stage_times or []]
    rest = result.elapsed - sum(seconds for _, _, seconds in result.stage_times or [])
    return "time by stage: " + ", ".join(parts + [f"the rest (physics, the as-is plan, start-up) {max(0.0, rest):,.0f} s"])


def _cut_text(result: SearchResult) -> str:
    """How many solves the wall-clock safety net cut short (their plans are not repeatable by seed)."""
    cuts = result.wall_clock_cuts()
    if not cuts:
        return "schedules cut short by the wall-clock safety net: none (every plan is repeatable from the seed)"
    names = ", ".join("as-is" if seq == 0 else f"#{seq}" for seq in cuts[:10]) + (" …" if len(cuts) > 10 else "")
    net = f" ({result.schedule_budget['wall_limit']:.0f} s)" if result.schedule_budget else ""
    return (f"schedules cut short by the wall-clock safety net{net} before their "
            f"deterministic budget: {len(cuts)} ({names}); these depend on the machine's load, not on the seed "
            "alone, and are labelled *(wall-clock cut)*")


def why_markdown(why: Explanation, decision: Decision) -> list[str]:
    """Why the best design wins against the as-is layout (or what it changes when it does not
    win), from measured figures: flows, AGV km, the bottleneck's shares, money."""
    name = f"#{why.best_seq}"
    title = "Why it wins" if decision.significant else f"What {name} changes (it does not win significantly)"
    total = why.flow_best - why.flow_as_is
    pct = f" ({100 * total / why.flow_as_is:+.1f} %)" if why.flow_as_is else ""
    lines = ["", f"## {title}: {name} against the as-is layout", "",
             f"**Material flows** (lot trips per demand period x routed metres, the screening proxy): "
             f"{why.flow_as_is:,.0f} lot-m as-is, {why.flow_best:,.0f} lot-m in {name}{pct}. "
             "The flows that changed most:", "",
             "| flow | lot trips | as-is (m) | best (m) | change (m) | change (lot-m) |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    changed = [f for f in why.flows if abs(f.change_m) > 1e-6]
    shown = changed[:8] + [f for f in changed[8:][-3:] if f.lot_metres_change > 0]  # the biggest savings and losses
    for f in shown:
        lines.append(f"| {f.source} → {f.target} | {f.trips:,.1f} | {f.as_is_m:,.1f} | {f.best_m:,.1f} | "
                     f"{f.change_m:+,.1f} | {f.lot_metres_change:+,.0f} |")
    shorter = sum(f.change_m < 0 for f in changed)
    lines += ["", f"{shorter} of {len(why.flows)} flows got shorter, {len(changed) - shorter} longer, "
                  f"{len(why.flows) - len(changed)} stayed as they were."]
    agv = []
    for label, diff, key in (("loaded", why.agv_loaded, "agv_loaded_m"), ("empty", why.agv_empty, "agv_empty_m")):
        if diff is not None and decision.baseline is not None:
            before = decision.baseline.kpi(key)["mean"] / 1000.0
            agv.append(f"{label} {before:,.2f} km as-is, {before + diff.mean / 1000.0:,.2f} km in {name} "
                       f"(difference {diff.mean / 1000.0:+,.2f} km, 95 % CI {_interval(_km(diff.low), _km(diff.high), 2)})")
    if agv:
        lines += ["", "**AGVs** (the running twin, per demand run, paired per replication): " + "; ".join(agv) + "."]
    b = why.bottleneck
    if b is not None:
        text = (f"**Bottleneck**: the as-is layout's is {b.station} (the station most often the bottleneck over its "
                f"replications): busy {_share(b.as_is.busy)}, blocked {_share(b.as_is.blocked)}, starved "
                f"{_share(b.as_is.starved)}")
        if b.best is not None:
            text += (f"; in {name} it is busy {_share(b.best.busy)}, blocked {_share(b.best.blocked)}, starved "
                     f"{_share(b.best.starved)}")
        if b.best_bottleneck is not None:
            text += f"; {name}'s own bottleneck is {b.best_bottleneck}"
        lines += ["", text + "."]
    if why.money:
        lines += ["", "**Money** (best − as-is, mean per replication with its 95 % paired interval; negative saves):",
                  "", "| item | as-is | best | difference | 95 % CI |", "| --- | ---: | ---: | ---: | ---: |"]
        for key, label in MONEY:
            diff = why.money.get(key)
            if diff is None or decision.baseline is None:
                continue
            before = decision.baseline.kpi(key)["mean"]
            lines.append(f"| {label} | {before:,.0f} | {before + diff.mean:,.0f} | {diff.mean:+,.0f} | "
                         f"{_interval(diff.low, diff.high, 0)} |")
    return lines


def _km(metres: float | None) -> float | None:
    return None if metres is None else metres / 1000.0


def _share(value: float) -> str:
    return f"{100 * value:.1f} %"


def report_markdown(result: SearchResult, base: Layout, invalid_reasons: list[tuple[str, int]] | None = None,
                    why: Explanation | None = None) -> str:
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
        f"| time limit per schedule | {c.time_limit:g} s (CP-SAT, 1 search worker, seed {c.seed}; {_budget_text(result)}) |",
        f"| generator | {c.generator}, then {c.refine:.0%} refinement by perturbing the best screened |",
        f"| screening proxy | lot trips x routed metres; alternative stations weighted by "
        f"{result.proxy_routes or 'an even split'} |",
        f"| objective | {c.objective} |",
        f"| decisions | {_decisions_text(base, c.seed)} |",
        f"| workers / backend | {c.workers} / {c.backend}{' at ' + c.address if c.address else ''} |",
        "",
        "## Counts",
        "",
        f"- screened: {result.screened} candidates, {result.valid} valid, {result.screened - result.valid} invalid",
        f"- scheduled: {result.scheduled} candidates (plus the as-is layout), {result.schedule_ok} passed the "
        f"independent schedule checker",
        f"- {schedule_sources_text(result)}",
        f"- {_cut_text(result)}",
        f"- {stage_times_text(result)}",
    ]
    if invalid_reasons:
        lines += ["- most common reasons for invalid candidates:"]
        lines += [f"  - {n} × {reason}" for reason, n in invalid_reasons]
    lines += _verdict_markdown(result, base)
    if why is not None and result.decision is not None:
        lines += why_markdown(why, result.decision)
    lines += recheck_markdown(result.recheck)
    b, best = result.baseline, result.best
    lines += ["", "## Best layout vs the as-is layout (the plan's figures)", ""]
    if best is None:
        lines += ["No candidate was scheduled with a checked schedule, so there is no best layout."]
    else:
        lines += [
            f"Best: candidate {design_name(best)} ({best.origin}): {design_changes(best, b, base)} "
            f"(`best_layout.yaml`, `best_schedule.json`, `best_layout.png`).",
            "",
            "| measure | as-is | best | change | change % |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        names = [
            ("makespan", "makespan (s)", 0), ("throughput", "throughput (units/h)", 1),
            ("flow_distance", "flow distance (lot trips × m)", 0), ("floor_area", "floor area used (m²)", 1),
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
    lines += ["", "## Leaderboard (top 10; by the running twin where simulated, then by the plan)", "",
              "| rank | candidate | origin | fleet & buffers | makespan (s) | throughput (units/h) | flow distance | "
              "floor area (m²) | travel (m) |",
              "| ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for i, row in enumerate(result.leaderboard[:10], 1):
        lines.append(f"| {i} | {design_name(row)} | {row.origin} | {_decided(row)} | {_num(row.makespan, 0)} | "
                     f"{_num(row.throughput, 1)} | "
                     f"{_num(row.flow_distance, 0)} | {_num(row.floor_area, 1)} | {_num(row.travel, 1)} |")
    d = result.decision
    if d is not None:
        rows = {r.seq: r for r in ([b] if b else []) + result.leaderboard}
        front = d.front  # computed once: each reading of the property compares every pair again
        lines += ["", "## Pareto front of the simulated designs (annual cost and lead time minimised, throughput's "
                      "lower 95 % bound maximised)", "",
                  f"{len(front)} of {len(d.ranking) + (d.baseline is not None)} simulated designs are on it (none is "
                  "at least as good on all three and better on one); the as-is layout is marked.", "",
                  "| design | fleet & buffers | annual cost | throughput, lower 95 % bound (units/h) | lead time (s) | "
                  "meets demand |", "| --- | --- | ---: | ---: | ---: | --- |"]
        for x in front:
            meets = {True: "yes", False: "no", None: "unsure"}[x.meets_demand]
            lines.append(f"| {design_name(x)} | "
                         f"{_decided(rows.get(x.seq))} | {_num(x.kpi('annual_cost')['mean'], 0)} | "
                         f"{throughput_low(x):,.2f} | {_num(x.kpi('lead_time_s')['mean'], 0)} | {meets} |")
    lines += ["", "## Pareto front of the plan (makespan, floor area, travel; all minimised)", "",
              "| candidate | makespan (s) | floor area (m²) | travel (m) | flow distance |",
              "| ---: | ---: | ---: | ---: | ---: |"]
    for row in result.pareto:
        lines.append(f"| {design_name(row)} | {_num(row.makespan, 0)} | {_num(row.floor_area, 1)} | {_num(row.travel, 1)} | "
                     f"{_num(row.flow_distance, 0)} |")
    lines.append("")
    return "\n".join(lines)
