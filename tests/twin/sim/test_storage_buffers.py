"""`buffer` stations as shared storage that routings use: a buffer's places add to the room
between two stations exactly as the Markov chain of the blocked line says, two flows sharing
one buffer never hold more lots in it than it has places (counted from the trace, not by the
engine's own bookkeeping), a full buffer blocks the station upstream, and what the twin
cannot do with storage, or the plan does not schedule, is refused with the field named."""
from __future__ import annotations

import pytest

from optimizer.problem import build_problem
from twin.errors import LayoutError
from twin.graph import transport_legs
from twin.io import layout_from_data
from twin.sim.engine import run_replication
from twin.validate import layout_problems
from twin.sim.kpis import interval
from twin.sim.replications import run_replications

from sim_fixtures import instant_factory, inside, line_layout
from test_queueing_oracles import two_station_throughput

STORE = {"id": "store", "kind": "buffer", "footprint": {"width": 1.0, "depth": 1.0}}


def with_store(layout, places: int, before: int = 1) -> dict:
    """The layout's data with a buffer station of `places` places as routing step `before`."""
    data = layout.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["stations"].append(dict(STORE, capacity=places))
    for product in data["products"]:
        product["routing"].insert(before, {"id": "store", "stations": ["store"]})
    return data


def test_a_buffer_stations_places_add_to_the_room_between_two_stations():
    mu1, mu2, horizon = 1 / 50, 1 / 55, 200_000.0
    line = line_layout([50.0, 55.0], lots=int(1.3 * mu1 * horizon), output_buffers=[1, None], input_buffers=[None, 1])
    # station 0's output place, the buffer's 2 places and station 1's input place: 4 between the servers
    layout = layout_from_data(with_store(line, places=2))
    runs = run_replications(instant_factory(layout), 10, seed=5, horizon=horizon, warmup=20_000.0)
    figure = interval([r.throughput_per_hour for r in runs])
    exact = two_station_throughput(mu1, mu2, room=4) * 3600
    assert inside(figure, exact), (figure, exact)
    assert exact > two_station_throughput(mu1, mu2, room=2) * 3600 * 1.01  # the buffer's places matter


def test_two_flows_share_the_places_and_a_full_buffer_blocks_upstream():
    line = line_layout([20.0, 60.0], lots=30, output_buffers=[1, None], input_buffers=[None, 1])
    data = with_store(line, places=3)
    second = dict(data["products"][0], id="q", family="g")
    data["products"].append(second)
    layout = layout_from_data(data)
    run = run_replication(instant_factory(layout), seed=2, trace=True)
    stays = [(op.start, op.end) for op in run.operations if op.station == "store"]
    assert len(stays) == 60 and {op.product for op in run.operations if op.station == "store"} == {"p", "q"}
    events = sorted([(start, 1) for start, _ in stays] + [(end, -1) for _, end in stays], key=lambda e: (e[0], e[1]))
    held, most = 0, 0
    for _, step in events:
        held += step
        most = max(most, held)
    assert most == 3  # the shared places fill up and are never exceeded
    assert run.stations["s0"]["blocked"] > 0.2  # the fast station waits for room behind the full buffer
    assert run.stations["store"]["blocked"] > 0.5  # the places hold lots most of the time
    assert run.completed_units == 60


@pytest.mark.parametrize("change, path, message", [
    (lambda d: d["products"][0]["routing"][1].update(time=5.0), "products[0].routing[1].time",
     "a buffer station stores lots until the next station has room: give no time or task"),
    (lambda d: d["products"][0]["routing"][1].update(stations=["store", "s1"]), "products[0].routing[1]",
     "a step is storage in buffer stations or work at other stations, not both"),
])
def test_a_storage_step_with_work_in_it_is_refused(change, path, message):
    data = with_store(line_layout([10.0, 10.0], lots=2), places=2)
    change(data)
    assert (path, message) in [(p.path, p.message) for p in layout_problems(layout_from_data(data))]


def test_what_storage_cannot_mean_is_refused_by_validation():
    data = with_store(line_layout([10.0, 10.0], lots=2, lot_size=4), places=2)
    data["stations"][-1]["input_buffer"] = 5
    data["products"][0]["transfer_batch"] = 2
    found = [(p.path, p.message) for p in layout_problems(layout_from_data(data))]
    assert ("stations[2].input_buffer", "a buffer station's places are its capacity (2); it has no input_buffer") in found
    assert ("products[0].transfer_batch",
            "the running twin stores whole lots in buffer station 'store': no transfer batches through it") in found


def test_the_plan_refuses_storage_and_says_where_it_is_simulated():
    data = with_store(line_layout([10.0, 10.0], lots=2), places=2)
    for i, station in enumerate(data["stations"]):
        station["position"] = [3.0 + 6.0 * i, 5.0]
    layout = layout_from_data(data)
    with pytest.raises(LayoutError) as caught:
        build_problem(layout, transport_legs(layout))
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("products[0].routing[1]", "storage in buffer station 'store': the running twin simulates it "
         "(factory-twin evaluate), the plan does not schedule shared storage yet; without this step the layout "
         "can be scheduled")]
