"""A small hand-made layout, as plain data, for the twin tests to bend into shape."""
from __future__ import annotations

import copy

import pytest


def small_layout() -> dict:
    """Two machines and a robot cell on a 20 x 12 m floor with one column and two docks."""
    return copy.deepcopy(
        {
            "name": "small",
            "floor": {
                "width": 20.0,
                "depth": 12.0,
                "grid": 1.0,
                "aisle_width": 1.5,
                "keep_out": [{"id": "col1", "kind": "column", "x": 9.5, "y": 9.5, "width": 0.5, "depth": 0.5}],
                "docks": [
                    {"id": "in", "kind": "receiving", "position": [0.0, 6.0]},
                    {"id": "out", "kind": "shipping", "position": [20.0, 6.0]},
                ],
            },
            "stations": [
                {"id": "cnc", "kind": "machine", "footprint": {"width": 2.0, "depth": 2.0}, "position": [4.0, 6.0]},
                {"id": "wash", "kind": "machine", "footprint": {"width": 2.0, "depth": 1.0}, "position": [10.0, 6.0],
                 "fixed": True},
                {"id": "cell", "kind": "robot_cell", "footprint": {"width": 2.4, "depth": 2.4}, "position": [16.0, 6.0],
                 "cell": {"robot": "panda", "tasks": [{"id": "pick", "waypoints": [
                     {"name": "a", "xyz": [0.4, 0.0, 0.3], "action": "grip"},
                     {"name": "b", "xyz": [0.0, 0.4, 0.3], "action": "release"}]}]}},
            ],
            "transport": {"agv": {"speed": 1.0, "fleet_size": 2, "load_time": 10.0}},
            "products": [
                {"id": "bracket", "family": "steel", "demand": 100, "lot_size": 40, "due": 3600.0,
                 "routing": [
                     {"id": "mill", "stations": ["cnc"], "time": 30.0},
                     {"id": "clean", "station_kind": "machine", "time": 5.0},
                     {"id": "stack", "stations": ["cell"], "task": "pick", "handling": 1.0},
                 ]},
                {"id": "cover", "family": "alu", "demand": 50, "lot_size": 50,
                 "routing": [{"id": "mill", "stations": ["cnc"], "time": 20.0}]},
            ],
            "changeovers": [{"stations": ["cnc"], "from_family": "steel", "to_family": "alu", "time": 600.0}],
        }
    )


@pytest.fixture
def layout_data() -> dict:
    return small_layout()
