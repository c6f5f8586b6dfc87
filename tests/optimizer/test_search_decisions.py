"""More decisions than positions: the AGV fleet size and buffer capacities a layout's
`decisions` block lets the search choose, from the file to the plan, the twin, the cost and
the answer."""
from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import yaml

from optimizer.costing import buffer_places, capital_cost
from optimizer.report import design_changes
from optimizer.search.config import SearchConfig
from optimizer.search.rows import apply_choices, choice_changes, choices_text
from optimizer.search.run import SearchInterrupted, run_search
from optimizer.search.variants import MAX_VARIANTS, levels, placements_for, variants
from optimizer.store import RunStore
from search_fixtures import tiny_layout_data
from twin.errors import LayoutError
from twin.io import layout_from_data, load_layout
from twin.validate import search_input_problems

LAYOUTS = Path(__file__).resolve().parents[2] / "layouts"
# small enough for a test; 0.5 s per schedule is a deterministic budget (0.25 CP-SAT units), so results repeat under load
DECIDE = dict(candidates=30, shortlist=6, time_limit=0.5, workers=1, chunk_size=10, simulate=8, replications=4,
              max_replications=8)


def _data(**decisions) -> dict:
    data = tiny_layout_data()
    data["transport"]["agv"]["fleet_size"] = 3
    data["decisions"] = decisions
    return data


# --- the file ------------------------------------------------------------------------------------


def test_decisions_are_read_and_an_old_file_has_none():
    layout = layout_from_data(_data(agv_fleet={"min": 1, "max": 4},
                                    buffers=[{"station": "drill", "buffer": "input", "min": 1, "max": 6}]))
    assert (layout.decisions.agv_fleet.min, layout.decisions.agv_fleet.max) == (1, 4)
    assert layout.decisions.buffers[0].field == "input_buffer"
    assert layout_from_data(tiny_layout_data()).decisions.empty
    assert load_layout(LAYOUTS / "electronics_assembly.yaml").decisions.agv_fleet.max == 4


@pytest.mark.parametrize("decisions, problem", [
    ({"agv_fleet": {"min": 4, "max": 2}}, "decisions.agv_fleet.max: must be at least min (4), got 2"),
    ({"buffers": [{"station": "lathe", "buffer": "input", "min": 1, "max": 2}]},
     "decisions.buffers[0].station: no station 'lathe'"),
    ({"buffers": [{"station": "saw", "buffer": "output", "min": 3, "max": 2}]},
     "decisions.buffers[0].max: must be at least min (3), got 2"),
    ({"buffers": [{"station": "saw", "buffer": "input", "min": 1, "max": 2},
                  {"station": "saw", "buffer": "input", "min": 2, "max": 5}]},
     "decisions.buffers[1]: decisions.buffers[0] already sets the input buffer of 'saw'"),
    ({"buffers": [{"station": "drill", "buffer": "input", "min": 1, "max": 3}]},
     "decisions.buffers[0].station: 'drill' has no input buffer limit: a range could only try smaller, priced "
     "buffers against a free unlimited one; set stations[2].input_buffer to the places it has today"),
])
def test_bad_decisions_are_refused_naming_the_field(decisions, problem, tmp_path, physics):
    data = _data(**decisions)
    data["stations"][0].update(input_buffer=2, output_buffer=2)  # saw; drill's buffers have no limit
    layout = layout_from_data(data)
    assert [str(p) for p in search_input_problems(layout)] == [problem]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(LayoutError) as info:  # the search refuses it before a run exists
        run_search(path, SearchConfig(**DECIDE), out_dir=tmp_path / "run", physics=physics)
    assert problem in str(info.value) and not (tmp_path / "run").exists()


@pytest.mark.parametrize("decisions, path, message", [
    ({"agv_fleet": {"min": 0, "max": 2}}, "decisions.agv_fleet.min", "must be at least 1"),
    ({"buffers": [{"station": "saw", "buffer": "side", "min": 1, "max": 2}]}, "decisions.buffers[0].buffer",
     "'input' or 'output'"),
])
def test_out_of_range_decisions_are_refused_by_the_reader(decisions, path, message):
    with pytest.raises(LayoutError) as info:
        layout_from_data(_data(**decisions))
    assert any(p.path == path and message in p.message for p in info.value.problems), info.value.problems


def test_a_buffer_station_has_no_buffer_to_decide():
    data = _data(buffers=[{"station": "store", "buffer": "input", "min": 1, "max": 2}])
    data["stations"].append({"id": "store", "kind": "buffer", "footprint": {"width": 2, "depth": 2},
                             "position": [12.0, 3.0], "capacity": 4})
    assert [str(p) for p in search_input_problems(layout_from_data(data))] == [
        "decisions.buffers[0].station: 'store' is a buffer station: its places are its capacity, it has no input "
        "buffer"]


# --- variants, choices and prices ------------------------------------------------------------------


def test_levels_take_every_value_of_a_short_range_and_spread_a_long_one():
    assert levels(1, 4) == [1, 2, 3, 4]
    assert levels(2, 2) == [2]
    assert levels(1, 10) == [1, 4, 7, 10]
    assert levels(2, 40) == [2, 15, 27, 40]


def test_variants_leave_out_the_as_is_values_and_stay_within_the_cap():
    layout = layout_from_data(_data(agv_fleet={"min": 1, "max": 4}))
    assert variants(layout, 0) == [{"agv_fleet": 1}, {"agv_fleet": 2}, {"agv_fleet": 4}]  # as-is is 3
    wide = layout_from_data(_data(agv_fleet={"min": 1, "max": 4},
                                  buffers=[{"station": "drill", "buffer": "input", "min": 1, "max": 4}]))
    found = variants(wide, 0)
    assert len(found) == MAX_VARIANTS  # 16 combinations, none of them the as-is (no input buffer today)
    assert {"agv_fleet": 1, "drill.input_buffer": 1} in found and {"agv_fleet": 4, "drill.input_buffer": 4} in found
    assert found == variants(wide, 0) and found != variants(wide, 1)  # fixed by the seed
    assert len({json.dumps(v, sort_keys=True) for v in found}) == len(found)
    assert variants(layout_from_data(tiny_layout_data()), 0) == []


def test_the_short_list_keeps_its_size_with_variants():
    assert placements_for(200, 0) == 200
    assert placements_for(200, 3) == 49  # 3 as-is variants + 49 x (1 + 3) = 199 designs
    assert 3 + placements_for(200, 3) * 4 <= 200 < 3 + (placements_for(200, 3) + 1) * 4
    assert placements_for(2, 7) == 1


def test_choices_set_the_fleet_and_buffers_and_the_price_counts_them():
    data = _data()
    data["costs"] = {"agv_each": 20_000, "conveyor_per_m": 0, "buffer_per_place": 500}
    data["stations"][2]["output_buffer"] = 2  # drill
    layout = layout_from_data(data)
    chosen = apply_choices(layout, {"agv_fleet": 1, "drill.input_buffer": 5, "saw.output_buffer": 3})
    assert chosen.transport.agv.fleet_size == 1
    assert (chosen.station("drill").input_buffer, chosen.station("drill").output_buffer) == (5, 2)
    assert chosen.station("saw").output_buffer == 3 and chosen.station("saw").input_buffer is None
    assert apply_choices(layout, {}) is layout
    assert (buffer_places(layout), buffer_places(chosen)) == (2, 10)
    # capital by hand: 3 AGVs and 2 places against 1 AGV and 10 places (stations have no price)
    assert capital_cost(layout, 0.0) == 3 * 20_000 + 2 * 500
    assert capital_cost(chosen, 0.0) == 1 * 20_000 + 10 * 500
    assert choices_text({"drill.input_buffer": 5, "agv_fleet": 1}) == "1 AGV, drill input buffer 5"
    assert choice_changes({"agv_fleet": 2, "drill.input_buffer": 5, "drill.output_buffer": 2}, layout) == [
        "runs 2 AGVs instead of 3", "drill input buffer 5 lots instead of no limit"]


# --- the search ----------------------------------------------------------------------------------


def _demand_layout(folder: Path) -> Path:
    """The tiny factory with three AGVs and 100 units due in 560 s (643 units/h): its as-is
    zig-zag misses that rate (about 635 units/h), a compact placement meets it with two or
    three AGVs (about 740), and with one AGV the transport is the bottleneck (about 610)."""
    data = _data(agv_fleet={"min": 1, "max": 3})
    for product in data["products"]:
        product["due"] = 560.0
    path = folder / "tiny_fleet.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def fleet_run(tmp_path_factory, physics):
    folder = tmp_path_factory.mktemp("fleet")
    path = _demand_layout(folder)
    return path, run_search(path, SearchConfig(**DECIDE), out_dir=folder / "run", physics=physics)


def test_the_search_runs_fewer_agvs_where_they_meet_the_demand_cheaper(fleet_run):
    path, result = fleet_run
    d = result.decision
    rows = {r.seq: r for r in result.leaderboard}
    best = rows[d.best.seq]
    assert d.significant and d.recommended is d.best
    assert best.choices == {"agv_fleet": 2} and best.layout(result.base_layout()).transport.agv.fleet_size == 2
    assert d.best.meets_demand is True
    # the same placement with the as-is 3 AGVs also meets the demand but costs more; with 1 it misses
    with RunStore.open(result.run_dir) as store:
        stored = store.variants()
    parent = stored[best.seq][0]  # the best is a variant of a screened placement
    siblings = {seq: c for seq, (p, c) in stored.items() if p == parent}
    simulated = {x.seq: x for x in d.ranking}
    three = simulated[parent]
    one = simulated[next(seq for seq, c in siblings.items() if c == {"agv_fleet": 1})]
    assert three.meets_demand is True and one.meets_demand is False
    assert d.best.kpi("annual_cost")["mean"] < three.kpi("annual_cost")["mean"]
    # the capital of the two differs by exactly one AGV
    assert three.kpi("capital")["mean"] - d.best.kpi("capital")["mean"] == pytest.approx(35_000.0)
    assert "runs 2 AGVs instead of 3" in design_changes(best, result.baseline, result.base_layout())
    report = (result.run_dir / "report.md").read_text(encoding="utf-8")
    assert "runs 2 AGVs instead of 3" in report and "| 2 AGVs |" in report
    assert load_layout(result.run_dir / "best_layout.yaml").transport.agv.fleet_size == 2


def test_the_plan_and_the_twin_use_the_candidates_fleet(fleet_run):
    _, result = fleet_run
    with RunStore.open(result.run_dir) as store:
        one = next(seq for seq, (p, c) in store.variants().items() if c == {"agv_fleet": 1})
        plan_one, plan_as_is = store.schedule_json(one), store.schedule_json(0)
        sims = {r.seq: r for r in store.simulation_records()}
    vehicles = lambda doc: {t["vehicle"] for t in doc["transports"] if t.get("vehicle") is not None}  # noqa: E731
    assert vehicles(plan_one) == {0} and len(vehicles(plan_as_is)) > 1
    assert sims[one].kpis["capital"] == pytest.approx(35_000.0)  # one AGV, no station prices, no conveyors


def test_counts_leave_the_variants_out_and_a_resumed_run_is_exact(fleet_run, tmp_path, physics):
    path, whole = fleet_run
    assert whole.screened == DECIDE["candidates"]
    stop = threading.Event()

    def progress(p):
        if p.stage == "schedule" and p.scheduled >= 3:  # the variants are stored, some scheduled
            stop.set()

    with pytest.raises(SearchInterrupted) as info:
        run_search(path, SearchConfig(**DECIDE), out_dir=tmp_path / "cut", progress=progress, stop=stop,
                   physics=physics)
    resumed = run_search(path, SearchConfig(**DECIDE), resume=info.value.run_dir, physics=physics)
    with RunStore.open(whole.run_dir) as a, RunStore.open(resumed.run_dir) as b:
        assert a.variants() == b.variants() and a.screened_keys() == b.screened_keys()
    assert [(r.seq, r.choices) for r in resumed.leaderboard] == [(r.seq, r.choices) for r in whole.leaderboard]
    assert resumed.decision.best.seq == whole.decision.best.seq


# --- why it wins --------------------------------------------------------------------------------


def test_the_explanation_adds_up_to_independently_computed_figures(fleet_run):
    from optimizer.search.explain import explain
    from optimizer.search.routes import lot_routes
    from twin.graph import AisleRouter, flow_distance

    _, result = fleet_run
    base = result.base_layout()
    rows = [result.baseline] + result.leaderboard
    with RunStore.open(result.run_dir) as store:
        why = explain(store, base, result.decision, rows)
        routes = lot_routes(store.schedule_json(0))
        records = store.simulation_records()
    best = next(r for r in rows if r.seq == why.best_seq)
    # the flows add up to the screening proxy's flow distance of each design, computed anew
    assert why.flow_as_is == pytest.approx(flow_distance(base, routes=routes), rel=1e-9)
    assert why.flow_best == pytest.approx(flow_distance(best.layout(base), routes=routes), rel=1e-9)
    assert why.flow_best == pytest.approx(best.flow_distance, rel=1e-9)
    # one flow's metres are the aisle router's port-to-port distance (no conveyors here)
    f = why.flows[0]
    assert f.best_m == pytest.approx(AisleRouter(best.layout(base)).port_distances()[(f.source, f.target)])
    assert [x.lot_metres_change for x in why.flows] == sorted(x.lot_metres_change for x in why.flows)
    # AGV km and money are the paired means of the stored replications
    mine = {seq: [r for r in records if r.seq == seq] for seq in (0, best.seq)}
    n = min(len(mine[0]), len(mine[best.seq]))
    mean = lambda key: sum(mine[best.seq][i].kpis[key] - mine[0][i].kpis[key] for i in range(n)) / n  # noqa: E731
    assert why.agv_loaded.mean == pytest.approx(mean("agv_loaded_m"))
    assert why.agv_empty.mean == pytest.approx(mean("agv_empty_m"))
    assert why.money["capital"].mean == pytest.approx(-35_000.0)  # 2 AGVs instead of 3, nothing else priced
    # the bottleneck: the as-is station most often named, with its mean shares
    b = why.bottleneck
    named = [r.kpis["bottleneck"] for r in mine[0]]
    assert named.count(b.station) == max(named.count(s) for s in set(named))
    assert b.as_is.starved == pytest.approx(sum(r.kpis["stations"][b.station][2] for r in mine[0]) / len(mine[0]))
    report = (result.run_dir / "report.md").read_text(encoding="utf-8")
    assert f"## Why it wins: #{best.seq} against the as-is layout" in report
    assert f"| {f.source} → {f.target} | {f.trips:,.1f} | {f.as_is_m:,.1f} | {f.best_m:,.1f} |" in report


def test_the_twin_fills_the_candidates_buffers_and_prices_them(physics):
    """Stage 3's task with a design whose choices shrink the buffers between saw and mill to
    one lot each: the twin blocks the saw, which it never does without the limits, and the
    capital counts the two places."""
    from optimizer.planning import ScheduleOptions
    from optimizer.search.rows import placements_of
    from optimizer.search.simulate import Design, SimulationTask, simulate_task
    from optimizer.search.tasks import EvalContext

    data = _data(buffers=[{"station": "saw", "buffer": "output", "min": 1, "max": 4},
                          {"station": "mill", "buffer": "input", "min": 1, "max": 4}])
    data["costs"] = {"buffer_per_place": 700, "agv_each": 0}
    layout = layout_from_data(data)
    ctx = EvalContext(layout_json=layout.model_dump_json(by_alias=True), layout_dir=".", task_times=(),
                      schedule_options=ScheduleOptions(), physics=physics)

    def simulate(choices):
        task = SimulationTask(Design(1, "fifo", placements_of(layout), choices), None, (0, 1), 0, None)
        return simulate_task(ctx, task)

    free, tight = simulate({}), simulate({"saw.output_buffer": 1, "mill.input_buffer": 1})
    assert all(r.status == "ok" for r in free + tight)
    assert max(r.kpis["stations"]["saw"][1] for r in free) == 0.0  # no limit: the saw is never blocked
    assert min(r.kpis["stations"]["saw"][1] for r in tight) > 0.0
    assert [r.kpis["capital"] for r in free] == [0.0, 0.0] and [r.kpis["capital"] for r in tight] == [1400.0] * 2
