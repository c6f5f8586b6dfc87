"""The layout file's running-twin fields: old files keep their meaning, bad values are named."""
from __future__ import annotations

import pytest

from twin.errors import LayoutError
from twin.io import dump_layout, layout_from_data, parse_layout
from twin.validate import layout_problems


def problems_of(data: dict) -> list[str]:
    return [str(p) for p in layout_problems(layout_from_data(data))]


def test_defaults_are_the_deterministic_plan(layout_data):
    layout = layout_from_data(layout_data)
    op = layout.products[0].routing[0]
    assert op.variability.kind == "fixed"
    station = layout.station("cnc")
    assert (station.input_buffer, station.output_buffer) == (None, None)
    assert station.breakdowns.uptime.kind == station.breakdowns.repair.kind == "exponential"
    assert layout.products[0].rate is None
    # the new fields stay out of a saved file that does not use them
    text = dump_layout(layout)
    for name in ("variability", "breakdowns", "input_buffer", "rate", "arrivals"):
        assert name not in text


def test_new_fields_round_trip(layout_data):
    layout_data["products"][0]["routing"][0]["variability"] = {"kind": "lognormal", "cv": 0.3}
    layout_data["products"][0]["routing"][1]["variability"] = {"kind": "triangular", "low": 0.8, "high": 1.4}
    layout_data["products"][1]["routing"][0]["variability"] = {"kind": "empirical", "samples": [18, 20, 25]}
    layout_data["products"][1]["rate"] = 30.0
    layout_data["stations"][0].update(mtbf=3600.0, mttr=300.0, input_buffer=4, output_buffer=2,
                                      breakdowns={"repair": {"kind": "lognormal", "cv": 0.5}})
    layout = layout_from_data(layout_data)
    assert problems_of(layout_data) == []
    assert parse_layout(dump_layout(layout)) == layout


@pytest.mark.parametrize(
    "edit,expected",
    [
        (lambda d: d["products"][0]["routing"][0].update(variability={"kind": "gamma"}),
         "products[0].routing[0].variability.kind: must be one of 'fixed', 'exponential', 'triangular', "
         "'lognormal' or 'empirical', got 'gamma'"),
        (lambda d: d["products"][0]["routing"][0].update(variability={"kind": "lognormal", "cv": -0.1}),
         "products[0].routing[0].variability.cv: must not be negative"),
        (lambda d: d["stations"][0].update(input_buffer=0), "stations[0].input_buffer: must be at least 1"),
        (lambda d: d["stations"][1].update(output_buffer=0), "stations[1].output_buffer: must be at least 1"),
    ],
)
def test_bad_values_are_refused_by_field(layout_data, edit, expected):
    edit(layout_data)
    with pytest.raises(LayoutError) as info:
        layout_from_data(layout_data)
    assert expected in [str(p) for p in info.value.problems]


def test_infinite_numbers_are_refused(layout_data):
    layout_data["products"][1]["rate"] = float("inf")
    layout_data["products"][0]["routing"][0]["variability"] = {"kind": "lognormal", "cv": float("nan")}
    with pytest.raises(LayoutError) as info:
        layout_from_data(layout_data)
    paths = {p.path: p.message for p in info.value.problems}
    assert set(paths) == {"products[1].rate", "products[0].routing[0].variability.cv"}
    assert all("finite" in message for message in paths.values())


@pytest.mark.parametrize(
    "shape,expected",
    [
        ({"kind": "lognormal"}, "products[0].routing[0].variability.cv: a lognormal distribution needs cv"),
        ({"kind": "fixed", "cv": 0.2}, "products[0].routing[0].variability.cv: not a field of a fixed distribution"),
        ({"kind": "empirical"}, "products[0].routing[0].variability.samples: an empirical distribution needs samples"),
        ({"kind": "triangular", "low": 0.5, "high": 3.0},
         "products[0].routing[0].variability.high: no triangular distribution from 0.5 to 3 times the mean "
         "has that mean (the ends are too lopsided)"),
    ],
)
def test_distribution_fields_follow_the_kind(layout_data, shape, expected):
    layout_data["products"][0]["routing"][0]["variability"] = shape
    assert problems_of(layout_data) == [expected]


def test_breakdown_shapes_are_checked(layout_data):
    layout_data["stations"][0].update(mtbf=100.0, mttr=10.0, breakdowns={"uptime": {"kind": "triangular"}})
    assert problems_of(layout_data) == [
        "stations[0].breakdowns.uptime.low: a triangular distribution needs low",
        "stations[0].breakdowns.uptime.high: a triangular distribution needs high",
    ]
