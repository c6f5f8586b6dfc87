"""The app's plan views draw the floor plan (`twin.floorplan`): every station exactly once,
where the plan puts it, in the plan's colours."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from twin.floorplan import floor_plan
from twin.io import load_layout
from twin.palette import hex_colour

from factory_app.charts import top_view

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def layout():
    return load_layout(ROOT / "layouts" / "food_packaging.yaml")


def _numbers(path: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in re.findall(r"(-?[\d.]+),(-?[\d.]+)", path)]


def test_the_plotly_plan_draws_each_station_once_at_its_footprint(layout):
    plan = floor_plan(layout)
    fig = top_view(layout, bad_stations=[plan.stations[0].id])
    shapes = [s for s in fig.layout.shapes if (s.name or "").startswith("station:")]
    assert Counter(s.name for s in shapes) == Counter(f"station:{s.id}" for s in layout.stations)
    for shape in shapes:
        station = plan.station(shape.name.split(":", 1)[1])
        assert np.array(_numbers(shape.path)) == pytest.approx(np.array(station.corners), abs=1e-3)
        assert shape.fillcolor == hex_colour(station.colour)
    [labels] = [t for t in fig.data if t.name == "stations"]
    assert Counter(labels.text) == Counter(s.id for s in layout.stations)
    outlined = [s.name for s in shapes if s.line.width == 4]
    assert outlined == [f"station:{plan.stations[0].id}"]


def test_the_quick_3d_model_raises_each_station_once(layout):
    pytest.importorskip("pyvista")
    from factory_app.scene3d import box_plotter

    plotter = box_plotter(layout)
    try:
        boxes = {name: actor for name, actor in plotter.actors.items() if name.startswith("station:")}
        assert sorted(boxes) == sorted(f"station:{s.id}" for s in layout.stations)
        for station in floor_plan(layout).stations:
            xmin, xmax, ymin, ymax, zmin, zmax = boxes[f"station:{station.id}"].GetBounds()
            r = station.rect
            assert (xmin, xmax, ymin, ymax, zmax) == pytest.approx((r.xmin, r.xmax, r.ymin, r.ymax, station.height))
    finally:
        plotter.close()


def test_the_3d_views_label_every_station_on_its_top(layout):
    pytest.importorskip("pyvista")
    from factory_app.scene3d import box_plotter

    plotter = box_plotter(layout)
    try:
        plan = floor_plan(layout)
        labels = {name.split(":", 1)[1]: actor for name, actor in plotter.actors.items() if name.startswith("label:")}
        assert sorted(labels) == sorted(s.id for s in layout.stations)
        for station in plan.stations:
            xmin, xmax, ymin, ymax, zmin, _ = labels[station.id].GetBounds()
            r = station.rect
            assert r.xmin - 1e-6 <= xmin < xmax <= r.xmax + 1e-6 and r.ymin - 1e-6 <= ymin < ymax <= r.ymax + 1e-6
            assert zmin == pytest.approx(station.height + 0.03 - 0.005, abs=1e-3)  # lying on the top
    finally:
        plotter.close()


def test_both_sides_of_a_comparison_share_one_colouring():
    from types import SimpleNamespace

    from factory_app.pages.view3d_page import KIND, UTILISATION, colouring, legend_html

    with_schedule, without = SimpleNamespace(schedule_doc={"kpis": {}}), SimpleNamespace(schedule_doc=None)
    assert colouring([with_schedule, without]) == KIND  # not utilisation on one side and kinds on the other
    assert colouring([with_schedule, with_schedule]) == UTILISATION
    assert colouring([with_schedule, with_schedule], KIND) == KIND
    assert "100 %" in legend_html(UTILISATION) and "robot cell" in legend_html(KIND)


def test_a_long_shallow_factory_gets_a_shallow_3d_view(layout):
    from factory_app.pages.view3d_page import view_height

    long = layout.model_copy(update={"floor": layout.floor.model_copy(update={"width": 34.0, "depth": 14.0})})
    square = layout.model_copy(update={"floor": layout.floor.model_copy(update={"width": 20.0, "depth": 20.0})})
    assert view_height(long, 2) < view_height(long, 1) <= 620
    assert view_height(long, 2) < 0.6 * view_height(square, 2)  # about the floor's shape, not one fixed height
