"""Every number has a finite range and every count a limit (a setting): exact messages."""
from __future__ import annotations

import math

import pytest

from twin.errors import LayoutError
from twin.io import layout_from_data


def messages(data: dict) -> list[str]:
    with pytest.raises(LayoutError) as info:
        layout_from_data(data)
    return [str(p) for p in info.value.problems]


INF, NAN = float("inf"), float("nan")


@pytest.mark.parametrize("edit,expected", [
    (lambda d: d["floor"].update(width=INF), "floor.width: must be a finite number, got inf"),
    (lambda d: d["floor"].update(depth=1e6), "floor.depth: must be at most 2000, got 1000000.0"),
    (lambda d: d["floor"].update(grid=1e-6), "floor.grid: must be at least 0.05"),
    (lambda d: d["floor"].update(aisle_width=INF), "floor.aisle_width: must be a finite number, got inf"),
    (lambda d: d.update(tick=1e308), "tick: must be at most 3600, got 1e+308"),
    (lambda d: d.update(tick=NAN), "tick: must be a finite number, got nan"),
    (lambda d: d["products"][0].update(weight=INF), "products[0].weight: must be a finite number, got inf"),
    (lambda d: d["products"][0].update(due=INF), "products[0].due: must be a finite number, got inf"),
    (lambda d: d["products"][0].update(release=1e308), "products[0].release: must be at most 3.1536e+07, got 1e+308"),
    (lambda d: d["products"][0]["routing"][0].update(time=1e308),
     "products[0].routing[0].time: must be at most 604800, got 1e+308"),
    (lambda d: d["products"][0]["routing"][0].update(setup=INF), "products[0].routing[0].setup: must be a finite number, got inf"),
    (lambda d: d["changeovers"][0].update(time=NAN), "changeovers[0].time: must be a finite number, got nan"),
    (lambda d: d["stations"][0]["footprint"].update(width=INF),
     "stations[0].footprint.width: must be a finite number, got inf"),
    (lambda d: d["stations"][0].update(capacity=10**30),
     "stations[0].capacity: must be at most 100, got 1000000000000000000000000000000"),
    (lambda d: d["stations"][0].update(position=[NAN, 1.0]), "stations[0].position[0]: must be a finite number, got nan"),
    (lambda d: d["stations"][0].update(mtbf=INF, mttr=60.0), "stations[0].mtbf: must be a finite number, got inf"),
    (lambda d: d["stations"][0].update(input_port=[INF, 0.0]), "stations[0].input_port[0]: must be a finite number, got inf"),
    (lambda d: d["stations"][2]["cell"]["tasks"][0]["waypoints"][0].update(xyz=[NAN, 0.0, 0.3]),
     "stations[2].cell.tasks[0].waypoints[0].xyz[0]: must be a finite number, got nan"),
    (lambda d: d["stations"][2]["cell"]["tasks"][0].update(gripper_close=INF),
     "stations[2].cell.tasks[0].gripper_close: must be a finite number, got inf"),
    (lambda d: d["stations"][2]["cell"].update(base={"xyz": [0.0, 0.0, 1e308]}),
     "stations[2].cell.base.xyz[2]: must be at most 100, got 1e+308"),
    (lambda d: d["transport"]["agv"].update(speed=INF), "transport.agv.speed: must be a finite number, got inf"),
    (lambda d: d["floor"]["docks"][0].update(position=[-INF, 6.0]),
     "floor.docks[0].position[0]: must be a finite number, got -inf"),
])
def test_non_finite_and_absurd_numbers_name_their_field(layout_data, edit, expected):
    edit(layout_data)
    assert messages(layout_data) == [expected]


def test_an_infinite_station_width_is_not_called_an_overlap(layout_data):
    layout_data["stations"][1]["footprint"]["width"] = INF
    assert messages(layout_data) == ["stations[1].footprint.width: must be a finite number, got inf"]


@pytest.mark.parametrize("variable,value,expected", [
    ("FACTORY_TWIN_MAX_STATIONS", "2",
     "stations: lists 3 stations, more than the 2 allowed (setting FACTORY_TWIN_MAX_STATIONS)"),
    ("FACTORY_TWIN_MAX_PRODUCTS", "1",
     "products: lists 2 products, more than the 1 allowed (setting FACTORY_TWIN_MAX_PRODUCTS)"),
    ("FACTORY_TWIN_MAX_OPERATIONS", "2",
     "products[0].routing: lists 3 operations, more than the 2 allowed (setting FACTORY_TWIN_MAX_OPERATIONS)"),
    ("FACTORY_TWIN_MAX_WAYPOINTS", "1",
     "stations[2].cell.tasks[0].waypoints: lists 2 waypoints, more than the 1 allowed (setting FACTORY_TWIN_MAX_WAYPOINTS)"),
    ("FACTORY_TWIN_MAX_ITEMS", "2",
     "floor.docks: lists 3 items, more than the 2 allowed (setting FACTORY_TWIN_MAX_ITEMS)"),
    ("FACTORY_TWIN_MAX_LOTS", "3",
     "products: make 4 lots (demand / lot_size summed), more than the 3 allowed (setting FACTORY_TWIN_MAX_LOTS)"),
    ("FACTORY_TWIN_MAX_GRID_CELLS", "900",  # 20 x 12 m at 0.5 m steps: 40 x 24 = 960 points
     "floor.grid: the aisle grid (step 0.5 m = min(grid, aisle_width / 3)) has 960 points, more than the 900 "
     "allowed (setting FACTORY_TWIN_MAX_GRID_CELLS)"),
])
def test_every_count_limit_is_a_setting(layout_data, monkeypatch, variable, value, expected):
    layout_data["floor"]["docks"].append({"id": "in2", "kind": "receiving", "position": [0.0, 3.0]})
    layout_from_data(layout_data)  # within the defaults
    monkeypatch.setenv(variable, value)
    assert messages(layout_data) == [expected]


def test_default_limits_refuse_twenty_thousand_stations_and_ten_million_lots(layout_data):
    station = layout_data["stations"][0]
    layout_data["stations"] = [dict(station, id=f"s{i}") for i in range(20_000)]
    assert messages(layout_data) == [
        "stations: lists 20,000 stations, more than the 2,000 allowed (setting FACTORY_TWIN_MAX_STATIONS)"]
    layout_data["stations"] = layout_data["stations"][:3]
    layout_data["products"][0].update(demand=10_000_000, lot_size=1)
    assert messages(layout_data) == [
        "products: make 10,000,001 lots (demand / lot_size summed), more than the 10,000 allowed "
        "(setting FACTORY_TWIN_MAX_LOTS)",
        "tick: the release, due and processing times add up to 1.84e+10 ticks of 1 s, more than the "
        "1,000,000,000 the scheduler can count: raise tick or lower demand and times"]


def test_a_finer_grid_than_the_limit_allows_and_a_floor_smaller_than_a_step(layout_data):
    layout_data["floor"].update(width=2000.0, depth=2000.0, grid=0.05)
    assert messages(layout_data) == [
        "floor.grid: the aisle grid (step 0.05 m = min(grid, aisle_width / 3)) has 1,600,000,000 points, more than "
        "the 1,000,000 allowed (setting FACTORY_TWIN_MAX_GRID_CELLS)"]
    layout_data["floor"].update(width=0.3, depth=12.0, grid=1.0)
    assert messages(layout_data) == [
        "floor: the floor (0.3 x 12 m) is smaller than one aisle-grid step (0.5 m = min(grid, aisle_width / 3))"]


def test_work_beyond_the_schedulers_integers_is_refused(layout_data):
    layout_data["products"][0].update(demand=500_000, lot_size=1_000)
    layout_data["products"][0]["routing"][0]["time"] = 600_000.0
    layout_data["tick"] = 0.001
    assert messages(layout_data) == [
        "tick: the release, due and processing times add up to 3e+14 ticks of 0.001 s, more than the "
        "1,000,000,000 the scheduler can count: raise tick or lower demand and times"]


def test_every_number_in_the_json_schema_has_a_finite_range():
    """The schema a user or another tool reads states each number's range (or its few values),
    the same as the model enforces."""
    from twin.io import layout_json_schema

    numbers: list[tuple[str, dict]] = []

    def walk(node, path: str) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("number", "integer"):
                numbers.append((path, node))
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")

    walk(layout_json_schema(), "")
    assert len(numbers) > 50
    unbounded = []
    for path, node in numbers:
        if "enum" in node or "const" in node:
            continue
        low = node.get("minimum", node.get("exclusiveMinimum"))
        high = node.get("maximum", node.get("exclusiveMaximum"))
        if low is None or high is None or not (math.isfinite(low) and math.isfinite(high) and low < high):
            unbounded.append(path)
    assert unbounded == []


def test_a_whole_number_too_big_for_a_float_is_named_by_the_model(layout_data):
    """Found by the fuzz test: a lot size of 10^400 raised OverflowError in the reference checks
    that run beside the model's."""
    layout_data["products"][0]["lot_size"] = 10**400
    assert messages(layout_data) == [f"products[0].lot_size: must be at most 10000000, got {10**400!r}"]
