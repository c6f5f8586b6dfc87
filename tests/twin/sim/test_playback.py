"""A traced replication's playback: its state timeline adds up to the state shares the engine
counted on its own, a station shows `down` exactly while a failure lasts, the units in the
factory follow Little's bookkeeping (the time-average of the traced curve is the run's WIP),
and every vehicle is where its trip puts it, never in two places at once."""
from __future__ import annotations

import math

import pytest

from twin.io import layout_from_data
from twin.sim.engine import run_replication
from twin.sim.factory import compile_factory
from twin.sim.playback import Playback, state_seconds

from sim_fixtures import instant_factory, line_layout

TASK_TIMES = {("cell", "pick"): 4.0}


@pytest.fixture(scope="module")
def line_run():
    layout = line_layout([30.0, 40.0, 25.0], lots=40, input_buffers=[None, 1, 1], output_buffers=[1, 1, None],
                         mtbf=1800.0, mttr=300.0)
    return run_replication(instant_factory(layout), seed=3, trace=True)


@pytest.fixture
def agv_run(layout_data):
    data = layout_data  # tests/twin/conftest.py: two machines and a robot cell, AGVs between them
    data["stations"][0].update(mtbf=3600.0, mttr=600.0)
    layout = layout_from_data(data)
    return layout, run_replication(compile_factory(layout, TASK_TIMES), seed=1, trace=True)


def test_the_traced_timeline_adds_up_to_the_engines_state_shares(line_run):
    seconds = state_seconds(line_run)
    for sid, shares in line_run.stations.items():
        total = sum(seconds[sid].values())
        assert total == pytest.approx(line_run.end)  # one lane, from 0 to the end
        for state, share in shares.items():
            assert seconds[sid].get(state, 0.0) / total == pytest.approx(share, abs=1e-9), (sid, state)
    assert {s for states in seconds.values() for s in states} >= {"busy", "blocked", "starved", "down"}


def test_a_station_shows_down_exactly_while_it_is_repaired(line_run):
    playback = Playback(line_run, line_layout([30.0, 40.0, 25.0]))
    assert line_run.failures
    for sid, spans in line_run.failures.items():
        for _, down, up in spans:
            assert playback.states_at((down + up) / 2)[sid] == "down"
            if up < line_run.end:
                assert playback.states_at(up + 1e-6)[sid] != "down"


def test_the_traced_units_in_the_factory_average_to_the_runs_wip(line_run):
    curve = line_run.wip_curve
    area = sum(v * (t2 - t1) for (t1, v), (t2, _) in zip(curve, curve[1:] + [(line_run.end, 0.0)]))
    assert area / line_run.end == pytest.approx(line_run.wip, rel=1e-9)
    assert curve[-1][1] == 0.0 and max(v for _, v in curve) <= 40  # every lot shipped; 40 lots of 1 unit
    playback = Playback(line_run, line_layout([30.0, 40.0, 25.0]))
    assert len({t for t, _ in curve}) == len(curve) and curve[0] == (0.0, 40.0)  # one point per moment
    assert playback.wip_at(curve[3][0]) == curve[3][1] and playback.wip_at((curve[3][0] + curve[4][0]) / 2) == curve[3][1]


def test_an_untraced_run_keeps_no_timeline():
    layout = line_layout([10.0, 10.0], lots=5)
    run = run_replication(instant_factory(layout), seed=0)
    assert run.states == {} and run.wip_curve == []
    with pytest.raises(ValueError, match="not traced"):
        Playback(run, layout)


def _on_segment(point, a, b) -> bool:
    cross = (b[0] - a[0]) * (point[1] - a[1]) - (b[1] - a[1]) * (point[0] - a[0])
    within = min(a[0], b[0]) - 1e-9 <= point[0] <= max(a[0], b[0]) + 1e-9 and \
        min(a[1], b[1]) - 1e-9 <= point[1] <= max(a[1], b[1]) + 1e-9
    return abs(cross) < 1e-6 and within


def test_each_vehicle_is_on_its_trip_and_in_one_place_at_a_time(agv_run):
    from twin.geometry import input_port, output_port

    layout, run = agv_run
    playback = Playback(run, layout)
    trips = [t for t in run.trips if t.vehicle >= 0]
    assert trips and len({t.vehicle for t in trips}) == 2
    places = {s.id: (input_port(s), output_port(s)) for s in layout.stations}
    places |= {d.id: (d.position, d.position) for d in layout.floor.docks}
    for trip in trips:
        middle = (trip.start + trip.end) / 2
        frame = playback.frame(middle)
        assert len({v.vehicle for v in frame.vehicles}) == len(frame.vehicles)  # nobody in two places
        mine = [v for v in frame.vehicles if v.vehicle == trip.vehicle]
        assert len(mine) == 1 and mine[0].lot == trip.lot
        assert _on_segment((mine[0].x, mine[0].y), places[trip.from_station][1], places[trip.to_station][0])
        if trip.empty_seconds > 0:
            empty = [v for v in playback.vehicles_at(trip.start - trip.empty_seconds / 2) if v.vehicle == trip.vehicle]
            assert len(empty) == 1 and empty[0].lot is None


def test_a_frame_shows_the_lots_in_process_and_station_states(agv_run):
    layout, run = agv_run
    playback = Playback(run, layout)
    op = run.operations[len(run.operations) // 2]
    frame = playback.frame((op.start + op.end) / 2)
    assert op.lot in frame.working[op.station]
    assert frame.stations[op.station] in ("busy", "down", "unmanned")
    assert set(frame.stations) == {s.id for s in layout.stations}
    assert playback.frame(-5.0).time == 0.0 and playback.frame(math.inf).time == run.end


def test_a_lot_rides_its_conveyor_from_port_to_port():
    from twin.geometry import input_port, output_port

    data = line_layout([20.0, 20.0], lots=3).model_dump(mode="json", by_alias=True, exclude_none=True)
    for i, station in enumerate(data["stations"]):
        station["position"] = [3.0 + 8.0 * i, 5.0]
    data["transport"] = {"conveyors": [{"id": "belt", "from": "s0", "to": "s1", "speed": 0.2}]}
    layout = layout_from_data(data)
    run = run_replication(compile_factory(layout), seed=0, trace=True)
    belt = [t for t in run.trips if t.vehicle < 0]
    assert len(belt) == 3 and all(t.end > t.start for t in belt)
    playback = Playback(run, layout)
    a, b = output_port(layout.station("s0")), input_port(layout.station("s1"))
    for trip in belt:
        riding = [(x, y) for lot, x, y in playback.frame((trip.start + trip.end) / 2).on_belts if lot == trip.lot]
        assert len(riding) == 1 and riding[0] == pytest.approx(((a[0] + b[0]) / 2, (a[1] + b[1]) / 2))
        assert trip.lot not in [lot for lot, _, _ in playback.frame(trip.end + 1e-6).on_belts]
