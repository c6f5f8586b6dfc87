"""Reach-envelope clearance of robot cells on a placed floor."""
from __future__ import annotations


import pytest

from twin.model import Layout
from twin.physics.reach import envelope_radius
from twin.safety import check_clearance

CELL = {"robot": "panda", "tasks": [{"id": "t", "waypoints": [{"name": "a", "xyz": [0.4, 0, 0.3]},
                                                              {"name": "b", "xyz": [0.4, 0.2, 0.3]}]}]}


def layout(cell_size=1.2, cell_pos=(5.0, 5.0), neighbour_pos=(6.2, 5.0), guarded=False, rotation=0, base=(0, 0, 0)):
    cell = {**CELL, "base": {"xyz": list(base)}}
    return Layout.model_validate({
        "name": "safety",
        "floor": {"width": 20.0, "depth": 20.0, "keep_out": [{"id": "column_a", "x": 5.0, "y": 3.8, "width": 0.4, "depth": 0.4}]},
        "stations": [
            {"id": "robot", "kind": "robot_cell", "footprint": {"width": cell_size, "depth": cell_size},
             "position": list(cell_pos), "guarded": guarded, "rotation": rotation, "cell": cell},
            {"id": "press", "kind": "machine", "footprint": {"width": 1.0, "depth": 1.0}, "position": list(neighbour_pos)},
        ],
        "products": [{"id": "p", "family": "f", "demand": 1, "lot_size": 1,
                      "routing": [{"id": "op", "stations": ["press"], "time": 1.0}]}],
    })


def test_envelope_is_measured_from_the_kinematics(physics):
    assert envelope_radius("panda", None, physics) == pytest.approx(0.95, abs=0.02)
    assert envelope_radius("kuka_iiwa", None, physics) == pytest.approx(1.0, abs=0.03)


def test_envelope_crossing_a_neighbour_and_a_zone_names_them(tmp_path, physics):
    problems = check_clearance(layout(), tmp_path, physics)
    messages = [p.message for p in problems]
    assert all(p.path == "stations[0]" for p in problems)
    assert any("crosses station press by 0.25" in m for m in messages)
    assert any("crosses keep-out zone column_a" in m for m in messages)


def test_envelope_into_the_aisle_only(tmp_path, physics):
    [problem] = check_clearance(layout(neighbour_pos=(15.0, 15.0), cell_pos=(10.0, 10.0)), tmp_path, physics)
    assert "leaves its footprint into the aisle by 0.35 m" in problem.message


def test_guarded_or_large_enough_cells_are_clear(tmp_path, physics):
    assert check_clearance(layout(guarded=True), tmp_path, physics) == []
    assert check_clearance(layout(cell_size=2.0, cell_pos=(10.0, 10.0), neighbour_pos=(15.0, 15.0)), tmp_path, physics) == []


def test_base_offset_follows_the_station_rotation(tmp_path, physics):
    # base 0.3 m along the cell's x; turned 90 degrees it points to +y on the floor, at the press
    case = dict(cell_size=2.0, cell_pos=(10.0, 10.0), neighbour_pos=(10.0, 11.6), base=(0.3, 0, 0))
    straight = check_clearance(layout(**case), tmp_path, physics)
    assert straight and not any("press" in p.message for p in straight)
    rotated = check_clearance(layout(**case, rotation=90), tmp_path, physics)
    assert any("crosses station press" in p.message for p in rotated)
    assert check_clearance(layout(**dict(case, cell_size=2.6, neighbour_pos=(15.0, 15.0)), rotation=90), tmp_path, physics) == []


def test_the_envelope_is_measured_once_per_physics_context(tmp_path, physics, monkeypatch):
    """A layout search calls the check for every candidate: only the first call may run the
    kinematics; later ones (here 1000) read the context's cache and give the same answer."""
    from twin.physics import reach

    lay = layout()
    first = check_clearance(lay, tmp_path, physics)

    def no_physics(*args, **kwargs):
        raise AssertionError("the reach was measured again")

    monkeypatch.setattr(reach, "_measure", no_physics)
    assert all(check_clearance(lay, tmp_path, physics) == first for _ in range(1000))


def _pybullet_crossings(placed: Layout, physics) -> set[str]:
    """Independent check in PyBullet: a vertical cylinder of the reach radius at the robot's
    base and a box per neighbouring station; closest-point queries say which it reaches."""
    from twin.geometry import station_rect, to_world
    from twin.physics.client import pybullet

    p = pybullet()
    client = p.connect(p.DIRECT)
    try:
        robot = placed.station("robot")
        cx, cy = to_world(robot, robot.cell.base.xyz[:2])
        radius = envelope_radius("panda", None, physics)
        reach = p.createMultiBody(0, p.createCollisionShape(p.GEOM_CYLINDER, radius=radius, height=2.0,
                                                            physicsClientId=client),
                                  basePosition=[cx, cy, 1.0], physicsClientId=client)
        crossed = set()
        for station in placed.stations:
            if station.id == "robot":
                continue
            rect = station_rect(station)
            box = p.createMultiBody(0, p.createCollisionShape(p.GEOM_BOX, halfExtents=[rect.width / 2, rect.depth / 2, 1.0],
                                                              physicsClientId=client),
                                    basePosition=[*rect.centre, 1.0], physicsClientId=client)
            if p.getClosestPoints(reach, box, distance=0.0, physicsClientId=client):
                crossed.add(station.id)
        return crossed
    finally:
        p.disconnect(client)


@pytest.mark.parametrize("neighbour", [(6.2, 5.0), (6.6, 5.0), (5.9, 5.9), (6.3, 6.3), (4.0, 6.2), (5.0, 6.4)])
def test_disc_geometry_agrees_with_pybullet_closest_points(tmp_path, neighbour, physics):
    placed = layout(cell_size=1.2, neighbour_pos=neighbour)
    reported = {"press"} if any("crosses station press" in p.message for p in check_clearance(placed, tmp_path, physics)) else set()
    assert reported == _pybullet_crossings(placed, physics)
