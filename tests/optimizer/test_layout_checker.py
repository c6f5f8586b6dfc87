"""The independent layout checker rejects each kind of bad placement, naming the stations."""
from __future__ import annotations


import pytest

from optimizer.layout_checker import check_layout
from twin.model import Layout


def make_layout(**changes) -> Layout:
    """A 20 x 12 m floor, aisle 1.5 m: a fixed press, two movable stations, a column, docks."""
    stations = {
        "press": {"id": "press", "kind": "machine", "footprint": {"width": 3, "depth": 2},
                  "position": [4, 6], "fixed": True},
        "weld": {"id": "weld", "kind": "machine", "footprint": {"width": 2, "depth": 2}, "position": [10, 6]},
        "pack": {"id": "pack", "kind": "manual", "footprint": {"width": 2, "depth": 1.5}, "position": [15, 6]},
    }
    for sid, fields in changes.items():
        if fields is None:
            stations[sid]["position"] = None
        else:
            stations[sid].update(fields)
    return Layout.model_validate({
        "name": "tiny",
        "floor": {"width": 20, "depth": 12, "grid": 0.5, "aisle_width": 1.5,
                  "keep_out": [{"id": "col", "x": 12, "y": 9, "width": 0.5, "depth": 0.5}],
                  "docks": [{"id": "in", "kind": "receiving", "position": [0, 6]},
                            {"id": "out", "kind": "shipping", "position": [20, 6]}]},
        "stations": list(stations.values()),
        "products": [{"id": "p", "family": "f", "demand": 10, "lot_size": 5, "routing": [
            {"id": "o1", "stations": ["press"], "time": 5},
            {"id": "o2", "stations": ["weld"], "time": 5},
            {"id": "o3", "stations": ["pack"], "time": 5}]}],
    })


def messages(problems) -> list[str]:
    return [str(p) for p in problems]


def test_valid_layout_has_no_problems(physics):
    layout = make_layout()
    assert check_layout(layout, reference=layout, physics=physics) == []


def test_unplaced_station(physics):
    assert messages(check_layout(make_layout(weld=None), physics=physics)) == ["stations[1].position: station 'weld' is not placed"]


def test_outside_the_floor(physics):
    problems = messages(check_layout(make_layout(pack={"position": [19.5, 6]}), physics=physics))
    assert problems == ["stations[2].position: station 'pack' reaches outside the floor (20 x 12 m)"]


def test_rotation_counts_for_the_floor_edge(physics):
    # 2 x 1.5 m turned 90 degrees is 1.5 wide and 2 deep: at y = 11.2 it pokes out of the top
    assert check_layout(make_layout(pack={"position": [15, 11.1]}), physics=physics) == []
    problems = messages(check_layout(make_layout(pack={"position": [15, 11.1], "rotation": 90}), physics=physics))
    assert problems == ["stations[2].position: station 'pack' reaches outside the floor (20 x 12 m)"]


def test_closer_than_the_aisle(physics):
    # weld spans x 9..11, pack at 11.8..13.8: 0.8 m apart
    problems = messages(check_layout(make_layout(pack={"position": [12.8, 6]}), physics=physics))
    assert problems == ["stations[2].position: station 'pack' is 0.8 m from 'weld', less than the 1.5 m aisle"]


def test_diagonal_gap_is_euclidean(physics):
    # corners 1.2 m apart in x and in y: 1.7 m diagonally, more than the aisle
    assert check_layout(make_layout(pack={"position": [13.2, 3.05]}), physics=physics) == []
    # 0.6 m in x and 0.7 m in y: 0.92 m
    problems = messages(check_layout(make_layout(pack={"position": [12.6, 3.55]}), physics=physics))
    assert problems == ["stations[2].position: station 'pack' is 0.92 m from 'weld', less than the 1.5 m aisle"]


def test_overlapping_stations(physics):
    problems = messages(check_layout(make_layout(pack={"position": [11, 6.5]}), physics=physics))
    assert problems == ["stations[2].position: station 'pack' overlaps station 'weld'"]


def test_keep_out_zone(physics):
    problems = messages(check_layout(make_layout(pack={"position": [12.5, 9.5]}), physics=physics))
    assert "stations[2].position: station 'pack' overlaps keep-out zone 'col'" in problems


def test_fixed_station_moved_or_turned(physics):
    reference = make_layout()
    moved = make_layout(press={"position": [4, 4]})
    assert messages(check_layout(moved, reference=reference, physics=physics)) == [
        "stations[0].position: fixed station 'press' moved from (4, 6) to (4, 4)"]
    turned = make_layout(press={"rotation": 180})
    assert messages(check_layout(turned, reference=reference, physics=physics)) == [
        "stations[0].rotation: fixed station 'press' turned from 0 to 180 degrees"]
    # without a reference there is nothing to compare with
    assert check_layout(moved, physics=physics) == []


def test_reference_mismatch_in_stations(physics):
    reference = make_layout()
    bigger = make_layout(weld={"footprint": {"width": 3, "depth": 2}})
    assert messages(check_layout(bigger, reference=reference, physics=physics)) == [
        "stations[1].footprint: station 'weld' differs from the reference in footprint"]


def test_unreachable_dock(physics):
    # a deep station flush against the left wall swallows the receiving dock
    layout = make_layout(press={"fixed": False, "footprint": {"width": 3, "depth": 8}, "position": [1.5, 6]})
    problems = messages(check_layout(layout, physics=physics))
    assert any(p.startswith("floor.docks[0]: dock 'in' is unreachable") for p in problems), problems


def test_unreachable_station_port(physics):
    # pack's input port faces the wall with no room for an aisle, and its long side is 6 m
    layout = make_layout(pack={"footprint": {"width": 1.5, "depth": 6}, "position": [0.75, 3.5]},
                         press={"position": [6, 6]})
    problems = messages(check_layout(layout, physics=physics))
    assert problems and problems[0].startswith("stations[2]: station 'pack' is unreachable (input port)"), problems


def test_robot_safety_clearance_is_checked(physics):
    cell = {"robot": "panda", "tasks": [{"id": "t", "waypoints": [
        {"name": "a", "xyz": [0.4, 0.0, 0.3]}, {"name": "b", "xyz": [0.4, 0.2, 0.3]}]}]}
    small = make_layout(weld={"kind": "robot_cell", "footprint": {"width": 1, "depth": 1}, "cell": cell})
    problems = messages(check_layout(small, physics=physics))
    assert len(problems) == 1 and problems[0].startswith("stations[1]: reach envelope of weld (panda"), problems
    guarded = make_layout(weld={"kind": "robot_cell", "footprint": {"width": 1, "depth": 1}, "cell": cell,
                                "guarded": True})
    assert check_layout(guarded, physics=physics) == []


def test_every_problem_is_reported(physics):
    layout = make_layout(weld=None, pack={"position": [19.5, 6]})
    assert len(check_layout(layout, physics=physics)) == 2


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_rotation_changes_footprint_for_gaps(rotation, physics):
    # a 4 x 1 m bar at x = 7.5: turned 90/270 it is 1 m wide and clears the press (x <= 5.5)
    layout = make_layout(weld={"footprint": {"width": 4, "depth": 1}, "position": [7.5, 6], "rotation": rotation})
    problems = check_layout(layout, physics=physics)
    assert bool(problems) == (rotation in (0, 180))
