"""Batch machines in the layout file: what may be one, named by field path."""
from __future__ import annotations

import pytest

from twin.errors import LayoutError
from twin.io import layout_from_data
from twin.validate import layout_problems


def batch_layout(layout_data: dict) -> dict:
    """The small layout whose washer cleans a whole lot of brackets (40 units) at once."""
    layout_data["stations"][1]["batch_size"] = 40
    layout_data["products"][0]["routing"][1] = {"id": "clean", "stations": ["wash"], "time": 200.0}
    return layout_data


def problems_of(data: dict) -> list[str]:
    return [str(p) for p in layout_problems(layout_from_data(data))]


def test_a_batch_washer_is_valid(layout_data):
    assert problems_of(batch_layout(layout_data)) == []


@pytest.mark.parametrize("edit,expected", [
    (lambda d: d["stations"][2].update(batch_size=4),
     "stations[2].batch_size: a robot_cell cannot be a batch machine (machines, manual and inspection stations can)"),
    (lambda d: d["stations"][1].update(capacity=2),
     "stations[1].capacity: a batch machine has one chamber (capacity 1): give each chamber its own station"),
    (lambda d: d.update(operators={"pools": [{"id": "crew", "size": 1, "stations": ["wash"]}]}),
     "stations[1]: batch machine 'wash' runs without an operator: no pool may run it and it may not be a manual "
     "station"),
    (lambda d: d["products"][0]["routing"][1].update(stations=None, station_kind="machine"),
     "products[0].routing[1].station_kind: mixes batch machines (wash) and unit stations (cnc): its time is per "
     "batch on one and per unit on the other"),
])
def test_each_batch_problem_is_named(layout_data, edit, expected):
    data = batch_layout(layout_data)
    edit(data)
    assert expected in problems_of(data)


def test_a_batch_of_nothing_is_refused(layout_data):
    data = batch_layout(layout_data)
    data["stations"][1]["batch_size"] = 0
    with pytest.raises(LayoutError) as info:
        layout_from_data(data)
    assert [str(p) for p in info.value.problems] == ["stations[1].batch_size: must be at least 1"]


def test_transfer_batches_through_a_batch_machine_are_refused(layout_data):
    data = batch_layout(layout_data)
    data["products"][0]["transfer_batch"] = 10
    assert ("products[0].transfer_batch: a lot in transfer batches cannot visit a batch machine (wash) yet: a batch "
            "machine takes whole lots") in problems_of(data)
