"""The Layout page's tabs for breakdowns, buffers and batches, transport, operators and
changeovers: each table shows what the file holds, leaves the layout as it is when nothing is
typed, applies an edit that the layout model then reads, and names a bad value in the row
it concerns while the last valid layout is kept."""
from __future__ import annotations

from pathlib import Path

import pytest

from twin.io import layout_from_data as _layout, load_layout
from twin.model import Costs

from factory_app import resource_tables as rt
from factory_app import tables
from factory_app.editing import EditSession, layout_data, split_path
from factory_app.ui import STATE_KEY
from factory_app.variability_text import parse_shape, shape_text

from apptest_tools import run as _run, start as _start

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"


@pytest.fixture
def mini(physics):
    return EditSession.open(load_layout(DATA / "mini.yaml"), "test", physics)


@pytest.fixture(scope="module")
def electronics_data():
    return layout_data(load_layout(REPO / "layouts" / "electronics_assembly.yaml"))


@pytest.mark.parametrize("frame_of, apply, columns", [
    (rt.details_frame, rt.apply_details, rt.DETAIL_COLUMNS),
    (rt.conveyors_frame, rt.apply_conveyors, rt.CONVEYOR_COLUMNS),
    (rt.pools_frame, rt.apply_pools, rt.POOL_COLUMNS),
    (rt.changeovers_frame, rt.apply_changeovers, rt.CHANGEOVER_COLUMNS),
    (tables.products_frame, tables.apply_products, tables.PRODUCT_COLUMNS),
])
def test_a_table_applied_untouched_leaves_the_sample_as_it_was(electronics_data, frame_of, apply, columns):
    frame = frame_of(electronics_data)
    assert len(frame) > 0
    assert not tables.frame_changed(frame, frame.copy(), columns)
    assert _layout(apply(electronics_data, frame)) == _layout(electronics_data)


def test_shift_and_routing_tables_applied_untouched_leave_the_sample_as_it_was(electronics_data):
    data = electronics_data
    for index, pool in enumerate(data["operators"]["pools"]):
        assert pool["shifts"], pool["id"]
        data = rt.apply_shifts(data, index, rt.shifts_frame(data, index))
    for index in range(len(data["products"])):
        data = tables.apply_routing(data, index, tables.routing_frame(data, index))
    assert _layout(data) == _layout(electronics_data)


def test_breakdowns_buffers_and_batches_reach_the_layout_and_a_blank_restores_the_default(mini):
    frame = rt.details_frame(mini.data)
    frame.loc[1, ["mtbf", "mttr", "input_buffer", "batch_size"]] = [3600.0, 300.0, 2.0, 4.0]
    assert mini.edit(rt.apply_details(mini.data, frame)), mini.problems
    weld = mini.layout.station("weld")
    assert (weld.mtbf, weld.mttr, weld.input_buffer, weld.output_buffer, weld.batch_size) == (3600.0, 300.0, 2, None, 4)
    frame = rt.details_frame(mini.data)
    frame.loc[1, "batch_size"] = float("nan")
    assert mini.edit(rt.apply_details(mini.data, frame))
    assert mini.layout.station("weld").batch_size is None


def test_a_bad_buffer_is_named_in_its_station_row_and_the_valid_layout_is_kept(mini):
    frame = rt.details_frame(mini.data)
    frame.loc[2, "output_buffer"] = 0.0
    assert not mini.edit(rt.apply_details(mini.data, frame))
    assert mini.has_draft and mini.layout.station("check").output_buffer is None
    shown = rt.details_frame(mini.data, mini.problems)
    assert [bool(m) for m in shown["problems"]] == [False, False, True]
    assert [p.path for p in mini.problems] == ["stations[2].output_buffer"]


def test_a_transfer_batch_reaches_the_product_and_a_blank_means_whole_lots(mini):
    frame = tables.products_frame(mini.data)
    frame.loc[0, "transfer_batch"] = 1.0
    assert mini.edit(tables.apply_products(mini.data, frame)), mini.problems
    assert mini.layout.product("bracket").transfer_batch == 1
    frame = tables.products_frame(mini.data)
    frame.loc[0, "transfer_batch"] = float("nan")
    assert mini.edit(tables.apply_products(mini.data, frame))
    assert mini.layout.product("bracket").transfer_batch is None


def test_the_agv_fleet_and_its_home_are_edited_and_an_unknown_home_is_named(mini):
    assert mini.edit(rt.update_agv(mini.data, fleet_size=3, speed=1.5, home="weld")), mini.problems
    agv = mini.layout.transport.agv
    assert (agv.fleet_size, agv.speed, agv.load_time, agv.home) == (3, 1.5, 10.0, "weld")
    assert mini.layout.agv_home() == "weld"
    assert mini.edit(rt.update_agv(mini.data, home=None))
    assert mini.layout.agv_home() == "in"  # the first receiving dock
    assert not mini.edit(rt.update_agv(mini.data, home="paint"))
    assert [(p.path, p.message) for p in mini.problems] == [("transport.agv.home", "no station or dock 'paint'")]
    assert mini.layout.agv_home() == "in"
    with pytest.raises(KeyError):
        rt.update_agv(mini.data, colour="red")


def test_a_conveyor_added_in_the_table_joins_the_layout_and_keeps_its_route_until_its_ends_change(mini):
    frame = rt.conveyors_frame(mini.data).astype(object)
    frame.loc[0] = {"id": "belt", "from": "cut", "to": "weld", "speed": 0.5, "pitch": None, "problems": ""}
    assert mini.edit(rt.apply_conveyors(mini.data, frame)), mini.problems
    belt = mini.layout.transport.conveyors[0]
    assert (belt.id, belt.from_station, belt.to_station, belt.speed, belt.pitch) == ("belt", "cut", "weld", 0.5, None)
    routed = mini.data
    routed["transport"]["conveyors"][0]["route"] = [[5.0, 6.0], [9.0, 6.0]]
    frame = rt.conveyors_frame(routed)
    frame.loc[0, "speed"] = 0.4
    assert rt.apply_conveyors(routed, frame)["transport"]["conveyors"][0]["route"] == [[5.0, 6.0], [9.0, 6.0]]
    frame.loc[0, "to"] = "check"
    assert "route" not in rt.apply_conveyors(routed, frame)["transport"]["conveyors"][0]
    frame.loc[0, "to"] = "nowhere"
    assert not mini.edit(rt.apply_conveyors(routed, frame))
    assert ("transport.conveyors[0].to", "no station 'nowhere'") in [(p.path, p.message) for p in mini.problems]
    assert rt.conveyors_frame(mini.data, mini.problems)["problems"][0] == "no station 'nowhere'"


def test_an_operator_pool_with_shifts_breaks_and_days_reaches_the_layout(mini):
    frame = rt.pools_frame(mini.data).astype(object)
    frame.loc[0] = {"id": "welders", "size": 2, "stations": "weld", "kinds": "inspection", "problems": ""}
    assert mini.edit(rt.apply_pools(mini.data, frame)), mini.problems
    shifts = rt.shifts_frame(mini.data, 0).astype(object)
    shifts.loc[0] = {"start": "06:00", "end": "14:00", "breaks": "10:00-10:15, 12:00-12:30", "days": "mon, tue",
                     "problems": ""}
    assert mini.edit(rt.apply_shifts(mini.data, 0, shifts)), mini.problems
    pool = mini.layout.operators.pools[0]
    assert (pool.id, pool.size, pool.stations, pool.kinds) == ("welders", 2, ("weld",), ("inspection",))
    shift = pool.shifts[0]
    assert (shift.start, shift.end, shift.days) == ("06:00", "14:00", ("mon", "tue"))
    assert [(b.start, b.end) for b in shift.breaks] == [("10:00", "10:15"), ("12:00", "12:30")]
    # renaming the pool keeps its shifts
    frame = rt.pools_frame(mini.data)
    frame.loc[0, "id"] = "weld_crew"
    assert mini.edit(rt.apply_pools(mini.data, frame))
    assert mini.layout.operators.pools[0].shifts == pool.shifts


def test_a_break_without_an_end_is_named_in_its_shift_row(mini):
    frame = rt.pools_frame(mini.data).astype(object)
    frame.loc[0] = {"id": "crew", "size": 1, "stations": "", "kinds": "machine", "problems": ""}
    assert mini.edit(rt.apply_pools(mini.data, frame)), mini.problems
    shifts = rt.shifts_frame(mini.data, 0).astype(object)
    shifts.loc[0] = {"start": "06:00", "end": "14:00", "breaks": "10:00", "days": "", "problems": ""}
    assert not mini.edit(rt.apply_shifts(mini.data, 0, shifts))
    paths = [p.path for p in mini.problems]
    assert paths and all(split_path(p)[:2] == ("operators.pools", 0) for p in paths), paths
    assert all(p.startswith("operators.pools[0].shifts[0].breaks[0].end") for p in paths), paths
    assert rt.shifts_frame(mini.data, 0, mini.problems)["problems"][0]
    assert mini.layout.operators.pools[0].shifts == ()  # the valid layout stands


def test_a_changeover_is_edited_and_an_unknown_family_is_named(mini):
    frame = rt.changeovers_frame(mini.data)
    frame.loc[0, "time"] = 45.0
    assert mini.edit(rt.apply_changeovers(mini.data, frame)), mini.problems
    assert mini.layout.changeovers[0].time == 45.0
    frame.loc[0, "to_family"] = "brass"
    assert not mini.edit(rt.apply_changeovers(mini.data, frame))
    assert [(p.path, p.message) for p in mini.problems] == [("changeovers[0].to_family", "no product has family 'brass'")]


def test_the_transport_tab_edits_the_fleet_and_undo_brings_it_back(app_env):
    at = _start("Layout")
    session = at.session_state[STATE_KEY].session
    assert session.layout.transport.agv.fleet_size == 2
    rev = session.revision
    at.number_input(key=f"agv_fleet_size_{rev}").set_value(4)
    _run(at)
    session = at.session_state[STATE_KEY].session
    assert session.layout.transport.agv.fleet_size == 4
    at.selectbox(key=f"agv_home_{session.revision}").set_value("weld")
    _run(at)
    assert at.session_state[STATE_KEY].session.layout.agv_home() == "weld"
    at.button(key="undo").click()
    _run(at)
    at.button(key="undo").click()
    _run(at)
    assert at.session_state[STATE_KEY].session.layout.transport.agv.fleet_size == 2
    tabs = [t.label for t in at.tabs]
    for label in ("Breakdowns, buffers, batches", "Transport", "Operators", "Changeovers", "Costs"):
        assert label in tabs
    at.number_input(key=f"cost_agv_each_{at.session_state[STATE_KEY].session.revision}").set_value(40_000.0)
    _run(at)
    assert at.session_state[STATE_KEY].session.layout.costs.agv_each == 40_000.0


def test_an_empty_table_left_untouched_is_not_an_edit(mini):
    frame = rt.conveyors_frame(mini.data)
    assert len(frame) == 0
    assert not tables.frame_changed(frame, frame.copy(), rt.CONVEYOR_COLUMNS)


def test_shape_cells_read_back_what_they_show():
    for shape in ({"kind": "lognormal", "cv": 0.3}, {"kind": "triangular", "low": 0.8, "high": 1.5},
                  {"kind": "exponential"}, {"kind": "fixed"}):
        assert parse_shape(shape_text(shape, "fixed"), None) == shape
    empirical = {"kind": "empirical", "samples": [1.0, 2.0, 4.0]}
    assert shape_text(empirical, "fixed") == "empirical (3 samples)"
    assert parse_shape("empirical (3 samples)", empirical) == empirical  # the samples stay
    assert parse_shape("", empirical) is None and shape_text(None, "fixed") == "fixed"
    assert parse_shape("lognormal 0.3", None) == {"kind": "lognormal 0.3"}  # unreadable: passed on to be named


def test_an_operation_time_shape_is_edited_and_other_operations_keep_theirs(mini):
    frame = tables.routing_frame(mini.data, 0)
    frame.loc[1, "variability"] = "lognormal cv=0.4"
    assert mini.edit(tables.apply_routing(mini.data, 0, frame)), mini.problems
    frame = tables.routing_frame(mini.data, 0)
    assert list(frame["variability"]) == ["fixed", "lognormal cv=0.4", "fixed"]
    frame.loc[0, "time"] = 22.0  # an edit of another row keeps the shape (it used to be dropped)
    assert mini.edit(tables.apply_routing(mini.data, 0, frame))
    weld = mini.layout.product("bracket").routing[1]
    assert (weld.variability.kind, weld.variability.cv) == ("lognormal", 0.4)
    assert mini.layout.product("bracket").routing[0].time == 22.0
    frame.loc[1, "variability"] = "lognormal cv=lots"
    assert not mini.edit(tables.apply_routing(mini.data, 0, frame))
    assert [p.path for p in mini.problems] == ["products[0].routing[1].variability.cv"]
    assert tables.routing_frame(mini.data, 0, mini.problems).loc[1, "problems"]


def test_breakdown_shapes_are_edited_with_mtbf_and_mttr(mini):
    frame = rt.details_frame(mini.data)
    assert list(frame["failures"]) == ["exponential"] * 3
    frame.loc[0, ["mtbf", "mttr", "failures", "repairs"]] = [7200.0, 600.0, "fixed", "triangular low=0.5 high=2"]
    assert mini.edit(rt.apply_details(mini.data, frame)), mini.problems
    cut = mini.layout.station("cut")
    assert (cut.mtbf, cut.mttr, cut.breakdowns.uptime.kind) == (7200.0, 600.0, "fixed")
    assert (cut.breakdowns.repair.kind, cut.breakdowns.repair.low, cut.breakdowns.repair.high) == ("triangular", 0.5, 2.0)


def test_prices_and_station_power_are_edited_and_defaults_shown(mini):
    shown = rt.cost_fields(mini.data)
    assert (shown["conveyor_per_m"], shown["power_machine"]) == (Costs().conveyor_per_m, Costs().station_power_kw.machine)
    assert mini.edit(rt.update_costs(mini.data, agv_each=50_000.0, power_machine=22.0)), mini.problems
    costs = mini.layout.costs
    assert (costs.agv_each, costs.station_power_kw.machine, costs.station_power_kw.manual) == (
        50_000.0, 22.0, Costs().station_power_kw.manual)
    assert not mini.edit(rt.update_costs(mini.data, depreciation_years=0.0))
    assert [p.path for p in mini.problems] == ["costs.depreciation_years"]
    with pytest.raises(KeyError):
        rt.update_costs(mini.data, power_teleporter=1.0)


def test_a_steady_demand_rate_and_its_arrival_shape_reach_the_product(mini):
    frame = tables.products_frame(mini.data)
    assert list(frame["arrivals"]) == ["exponential", "exponential"]
    frame.loc[1, ["rate", "arrivals"]] = [12.0, "lognormal cv=0.5"]
    assert mini.edit(tables.apply_products(mini.data, frame)), mini.problems
    product = mini.layout.product("frame")
    assert (product.rate, product.arrivals.kind, product.arrivals.cv) == (12.0, "lognormal", 0.5)
    frame = tables.products_frame(mini.data)
    frame.loc[1, ["rate", "arrivals"]] = [float("nan"), ""]
    assert mini.edit(tables.apply_products(mini.data, frame))
    product = mini.layout.product("frame")
    assert (product.rate, product.arrivals.kind) == (None, "exponential")


def test_a_routing_step_moves_up_and_down_within_its_routing(mini):
    assert mini.edit(tables.move_step(mini.data, 0, 2, -1)), mini.problems
    assert [op.id for op in mini.layout.product("bracket").routing] == ["cut", "check", "weld"]
    first_up = tables.move_step(mini.data, 0, 0, -1)  # already first: stays
    assert [op["id"] for op in first_up["products"][0]["routing"]] == ["cut", "check", "weld"]


def test_the_routings_tab_moves_a_step_and_undo_puts_it_back(app_env):
    at = _start("Layout")
    rev = at.session_state[STATE_KEY].session.revision
    at.selectbox(key=f"step_pick_0_{rev}").set_value("3: check")
    _run(at)
    at.button(key=f"step_-1_0_{rev}").click()
    _run(at)
    layout = at.session_state[STATE_KEY].session.layout
    assert [op.id for op in layout.product("bracket").routing] == ["cut", "check", "weld"]
    at.button(key="undo").click()
    _run(at)
    assert [op.id for op in at.session_state[STATE_KEY].session.layout.product("bracket").routing] == ["cut", "weld", "check"]


def test_the_searched_fleet_range_and_buffer_ranges_reach_the_layout_and_are_named_in_their_row(mini):
    assert rt.fleet_range(mini.data) is None
    assert mini.edit(rt.update_fleet_range(mini.data, (1, 3))), mini.problems
    assert (mini.layout.decisions.agv_fleet.min, mini.layout.decisions.agv_fleet.max) == (1, 3)
    assert not mini.edit(rt.update_fleet_range(mini.data, (3, 1)))
    assert [(p.path, p.message) for p in mini.problems] == [("decisions.agv_fleet.max", "must be at least min (3), got 1")]
    assert mini.layout.decisions.agv_fleet.max == 3  # the valid layout stands
    assert mini.edit(rt.update_fleet_range(mini.data, (1, 3))), mini.problems
    station = mini.layout.stations[0].id
    frame = rt.decision_buffers_frame(mini.data)
    frame.loc[0] = [station, "input", 1.0, 4.0, ""]
    assert not mini.edit(rt.apply_decision_buffers(mini.data, frame))  # its input buffer has no limit today
    assert [(p.path, p.message) for p in mini.problems] == [(
        "decisions.buffers[0].station", f"'{station}' has no input buffer limit: a range could only try smaller, "
        "priced buffers against a free unlimited one; set stations[0].input_buffer to the places it has today")]
    data = mini.data
    data["stations"][0]["input_buffer"] = 2
    assert mini.edit(data), mini.problems
    assert mini.edit(rt.apply_decision_buffers(mini.data, frame)), mini.problems
    (chosen,) = mini.layout.decisions.buffers
    assert (chosen.station, chosen.field, chosen.min, chosen.max) == (station, "input_buffer", 1, 4)
    frame = rt.decision_buffers_frame(mini.data)
    frame.loc[0, "station"] = "nowhere"
    assert not mini.edit(rt.apply_decision_buffers(mini.data, frame))
    assert [(p.path, p.message) for p in mini.problems] == [("decisions.buffers[0].station", "no station 'nowhere'")]
    assert rt.decision_buffers_frame(mini.data, mini.problems)["problems"][0] == "no station 'nowhere'"
    frame = rt.decision_buffers_frame(mini.data).iloc[0:0]
    assert mini.edit(rt.apply_decision_buffers(mini.data, frame)), mini.problems
    assert mini.edit(rt.update_fleet_range(mini.data, None)), mini.problems
    assert mini.layout.decisions.empty


def test_the_search_decisions_tab_lets_the_search_choose_the_fleet(app_env):
    at = _start("Layout")
    session = at.session_state[STATE_KEY].session
    assert session.layout.decisions.agv_fleet is None and session.layout.transport.agv.fleet_size == 2
    at.checkbox(key=f"decide_fleet_{session.revision}").check()
    _run(at)
    session = at.session_state[STATE_KEY].session
    assert (session.layout.decisions.agv_fleet.min, session.layout.decisions.agv_fleet.max) == (1, 3)
    at.number_input(key=f"fleet_max_{session.revision}").set_value(5)
    _run(at)
    assert at.session_state[STATE_KEY].session.layout.decisions.agv_fleet.max == 5
    assert at.session_state[STATE_KEY].session.layout.transport.agv.fleet_size == 2  # the as-is design keeps its fleet
