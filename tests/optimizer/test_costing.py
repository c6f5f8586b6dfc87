"""The cost model: annual cost worked out by hand, the required rate, bounds on the numbers,
and old layout files that stay valid."""
from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.costing import annual_cost, capital_cost, required_rate
from search_fixtures import tiny_layout_data
from twin.errors import LayoutError
from twin.io import dump_layout, layout_from_data, load_layout

LAYOUTS = Path(__file__).resolve().parents[2] / "layouts"

PRICES = {"conveyor_per_m": 1000, "agv_each": 20000, "floor_per_m2_year": 50, "depreciation_years": 10,
          "energy_per_kwh": 0.3, "agv_per_km": 2, "operating_hours": 4000,
          "station_power_kw": {"machine": 10, "robot_cell": 2}}


def _tiny(**changes):
    data = tiny_layout_data()
    for station in data["stations"]:
        station["cost"] = 10000
    for product in data["products"]:
        product["due"] = 3600.0
    data.update(changes)
    return layout_from_data(data)


def test_annual_cost_worked_out_by_hand():
    layout = _tiny(costs=PRICES)
    cost = annual_cost(layout, conveyor_length=12.0, floor_area=100.0, agv_metres=2500.0,
                       busy_seconds={"saw": 1800.0, "pack": 0.0}, simulated_seconds=5000.0)
    # capital: 5 stations x 10,000 + 12 m x 1,000 + 2 AGVs x 20,000 = 102,000, over 10 years
    assert cost.capital == pytest.approx(102_000) == capital_cost(layout, 12.0)
    assert cost.depreciation == pytest.approx(10_200)
    assert cost.floor == pytest.approx(5_000)  # 100 m2 x 50
    # the demand recurs every 3,600 s (the latest due date): 4,000 times in 4,000 hours, so the
    # simulated 5,000 s do not scale the running costs: 2.5 km x 2 x 4,000 and 0.5 h x 10 kW x 0.3 x 4,000
    assert cost.agv_running == pytest.approx(20_000)
    assert cost.energy_kwh == pytest.approx(5.0) and cost.energy == pytest.approx(6_000)
    assert cost.total == pytest.approx(41_200)


def test_steady_demand_scales_running_costs_by_the_simulated_time():
    data = tiny_layout_data()
    data["products"][0]["rate"] = 50.0
    data["costs"] = PRICES
    layout = layout_from_data(data)
    cost = annual_cost(layout, conveyor_length=0.0, floor_area=0.0, agv_metres=1000.0, busy_seconds={},
                       simulated_seconds=7200.0)
    assert cost.agv_running == pytest.approx(1.0 * 2 * 4000 / 2)  # 1 km per 2 simulated hours


def test_required_rate():
    assert required_rate(_tiny()) == pytest.approx(100.0)  # 60 + 40 units due within the hour
    assert required_rate(layout_from_data(tiny_layout_data())) is None  # no due date: nothing to meet
    data = tiny_layout_data()
    data["products"][0]["rate"] = 50.0
    data["products"][1]["due"] = 7200.0
    assert required_rate(layout_from_data(data)) == pytest.approx(50.0 + 40 / 2)


@pytest.mark.parametrize("field, value, message", [
    ("depreciation_years", 0, "costs.depreciation_years"),
    ("operating_hours", 9000, "costs.operating_hours"),
    ("conveyor_per_m", -1, "costs.conveyor_per_m"),
    ("energy_per_kwh", float("inf"), "costs.energy_per_kwh"),
    ("floor_per_m2_year", 1e9, "costs.floor_per_m2_year"),
])
def test_cost_numbers_have_finite_bounds(field, value, message):
    with pytest.raises(LayoutError) as info:
        _tiny(costs={field: value})
    assert message in str(info.value)


def test_old_files_stay_valid_and_saved_files_leave_default_prices_out():
    layout = layout_from_data(tiny_layout_data())
    assert layout.costs.depreciation_years == 8.0 and layout.costs.agv_each == 35_000.0
    assert "costs" not in dump_layout(layout)


@pytest.mark.parametrize("name", ["electronics_assembly", "auto_parts", "food_packaging"])
def test_every_sample_states_its_own_prices(name):
    text = (LAYOUTS / f"{name}.yaml").read_text(encoding="utf-8")
    layout = load_layout(LAYOUTS / f"{name}.yaml")
    assert "\ncosts:" in text
    assert all(f"  {field}:" in text for field in type(layout.costs).model_fields)
    assert required_rate(layout) > 0
