"""Robot-cell simulation: reachability, collisions, cycle times, determinism, fidelity.

Each test builds a small cell by hand (`cell_fixtures`) and simulates it uncached."""
from __future__ import annotations

import json
import math

import pytest
from cell_fixtures import FIXTURES, PICK_PLACE, layout, sim, station, task

from twin.errors import LayoutError
from twin.physics import simulate_cell, task_times
from twin.physics.bodies import load_robot
from twin.physics.client import PhysicsClient, quat
from twin.physics.profile import trapezoid_time
from twin.robots import SPECS, resolve_robot

def test_pick_and_place_is_reachable_clean_and_plausible(uncached):
    rep = sim(station([task(payload=0.5)]), uncached)
    t = rep.tasks[0]
    assert rep.ok and t.ok and t.reachable and not t.collisions
    # 2 x 0.17 m vertical strokes twice plus 2 x 0.6 m transfers, with 0.4 s of gripper time
    assert 2.0 < t.cycle_time < 5.0
    assert 1.7 < t.path_length < 2.6
    assert len(t.peak_joint_speeds) == 7 and max(t.peak_joint_speeds) > 0.5
    assert [m.name for m in t.moves] == ["pick", "lift", "above_place", "place", "retreat", "approach"]
    json.dumps(rep.to_dict())  # JSON-ready


def test_unreachable_target_is_named_with_its_error(uncached):
    wps = [{"name": "near", "xyz": [0.45, 0.0, 0.3]}, {"name": "far", "xyz": [1.3, 0.0, 0.3]}]
    st = station([task(wps)], fixtures=[], size=3.0)
    t = sim(st, uncached).tasks[0]
    assert not t.reachable and t.cycle_time is None
    assert [(u.index, u.name) for u in t.unreachable] == [(1, "far")]
    assert t.unreachable[0].error_mm > 200
    with pytest.raises(LayoutError) as err:
        task_times(layout(st), None, uncached)
    [problem] = err.value.problems
    assert problem.path == "stations[0].cell.tasks[0].waypoints[1]"
    assert problem.message.startswith("unreachable: end-effector error ") and " mm" in problem.message


def test_farther_place_point_gives_a_longer_cycle(uncached):
    def with_place_y(y: float) -> dict:
        wps = [dict(w) for w in PICK_PLACE]
        for w in wps[3:]:
            w["xyz"] = [w["xyz"][0], y, w["xyz"][2]]
        return task(wps, id=f"y{y}")

    rep = sim(station([with_place_y(0.1), with_place_y(0.3), with_place_y(0.5)], fixtures=[]), uncached)
    times = [t.cycle_time for t in rep.tasks]
    assert all(t.ok for t in rep.tasks)
    assert times[0] < times[1] < times[2]


def test_fixture_in_the_path_is_a_collision_with_its_name(uncached):
    wall = {"id": "guard_wall", "size": [0.05, 0.2, 0.6], "pose": {"xyz": [0.45, 0.0, 0.3]}}
    st = station([task(payload=0.5)], fixtures=FIXTURES + [wall])
    t = sim(st, uncached).tasks[0]
    assert not t.ok
    assert any(c.other == "fixture guard_wall" and c.kind == "fixture" for c in t.collisions)
    with pytest.raises(LayoutError) as err:
        task_times(layout(st), None, uncached)
    messages = [p.message for p in err.value.problems]
    assert any(m.startswith("collision: ") and "hits fixture guard_wall at t=" in m for m in messages)
    assert all(p.path.startswith("stations[0].cell.tasks[0].waypoints[") for p in err.value.problems)


def test_carried_part_hitting_a_fixture_is_reported_as_the_payload(uncached):
    # a low bar between feeder and nest: the 4 cm part under the tool clips it on the transfer
    bar = {"id": "low_bar", "size": [0.05, 0.6, 0.05], "pose": {"xyz": [0.45, 0.0, 0.27]}}
    t = sim(station([task(payload=0.5)], fixtures=FIXTURES + [bar]), uncached).tasks[0]
    assert any(c.link == "payload" and c.other == "fixture low_bar" for c in t.collisions)


def test_heavier_payload_never_makes_the_cycle_shorter(uncached):
    tasks = [task(payload=m, id=f"m{i}") for i, m in enumerate([0.0, 0.5, 1.0, 2.0, 3.0])]
    times = [t.cycle_time for t in sim(station(tasks), uncached).tasks]
    assert times == sorted(times) and times[-1] > times[0]


def test_overload_is_a_problem(uncached):
    st = station([task(payload=5.0)])
    t = sim(st, uncached).tasks[0]
    assert t.overload and "rated 3 kg" in t.overload and not t.ok


def test_same_cell_same_numbers(uncached):
    st = station([task(payload=1.0)])
    a, b = sim(st, uncached).to_dict(), sim(st, uncached).to_dict()
    assert a == b


def test_same_numbers_across_a_reused_client(uncached):
    """The robot is loaded once per context and the world reset between cells and tasks: a
    cell gives the same numbers fresh, after other cells (other fixtures, a collision, another
    robot) and task by task."""
    st = station([task(payload=1.0, id="loaded"), task(payload=0.0, id="empty")])
    wall = {"id": "guard_wall", "size": [0.05, 0.2, 0.6], "pose": {"xyz": [0.45, 0.0, 0.3]}}
    others = [
        station([task(payload=0.5)], fixtures=FIXTURES + [wall], base={"xyz": [0.1, 0.0, 0.0]}),
        station([task([{"name": "a", "xyz": [0.5, -0.35, 0.5]}, {"name": "b", "xyz": [0.5, 0.35, 0.4]}])],
                fixtures=[], robot="kuka_iiwa"),
        station([task(payload=2.0)], fixtures=FIXTURES[:1], base={"xyz": [0.0, 0.1, 0.0], "rpy": [0, 0, 30]}),
    ]
    uncached.clear()
    fresh = sim(st, uncached).to_dict()
    for other in others:
        sim(other, uncached)
        assert sim(st, uncached).to_dict() == fresh
    alone = sim(station([task(payload=0.0, id="empty")]), uncached).to_dict()
    assert alone["tasks"][0] == fresh["tasks"][1]


def test_reused_robot_stands_where_the_cell_puts_its_base(uncached):
    """The reused robot is moved, not reloaded: its links must be where a fresh load at the
    cell's base pose puts them (PyBullet moves a base by its centre of mass, and the iiwa's is
    10 cm off its link frame)."""
    robot = resolve_robot("kuka_iiwa", None)
    for base in ({"xyz": [0.2, -0.1, 0.3], "rpy": [0, 0, 40]}, {"xyz": [0.0, 0.0, 0.0]}):
        cell = station([task()], robot="kuka_iiwa", base=base).cell
        world = uncached.worlds.world_for(cell, robot)
        world.restore()
        with PhysicsClient() as client:
            fresh = load_robot(client, robot, tuple(cell.base.xyz), quat(cell.base.rpy))
            for link in range(client.joint_count(fresh.id)):
                want = client.link_frame(fresh.id, link)[0]
                got = world.client.link_frame(world.robot.id, link)[0]
                assert got == pytest.approx(want, abs=1e-6), (base, link)


def test_task_times_and_footprint_fit(uncached):
    st = station([task(payload=0.5, id="pp")])
    times = task_times(layout(st), None, uncached)
    assert list(times) == [("cell", "pp")] and times[("cell", "pp")] > 2.0
    small = station([task(payload=0.5, id="pp")], size=1.0)
    with pytest.raises(LayoutError) as err:
        task_times(layout(small), None, uncached)
    assert "stations[0].cell.fixtures[0]" in [p.path for p in err.value.problems]


def test_robot_file_outside_the_layout_folder_is_refused(tmp_path, uncached):
    st = station([task()], robot="../elsewhere/arm.urdf")
    with pytest.raises(LayoutError, match="outside the layout's folder|inside the layout's folder"):
        simulate_cell(st, tmp_path, uncached)


def _rest_to_rest_time(d: float, v: float, a: float) -> float:
    """Textbook minimum time over distance d under |v| <= v, |a| <= a, written out here so the
    fidelity test does not check the simulator against its own profile code: a triangle
    (accelerate half way, brake half way) when full speed is never reached, else accelerate
    for v/a, cruise, brake for v/a."""
    d = abs(d)
    if d <= v * v / a:
        return 2 * math.sqrt(d / a)
    return v / a + (d - v * v / a) / v + v / a


def test_trapezoid_time_known_answers():
    assert trapezoid_time(0.0, 2.0, 5.0) == 0.0
    assert trapezoid_time(1.0, 1.0, 1.0) == pytest.approx(2.0)  # triangle: 1 s up to 1 rad/s, 1 s down
    assert trapezoid_time(-4.0, 1.0, 1.0) == pytest.approx(5.0)  # 0.5 rad + 3 rad at 1 rad/s + 0.5 rad
    assert trapezoid_time(0.25, 1.0, 4.0) == pytest.approx(0.5)  # triangle peaking at 0.5 rad/s


@pytest.mark.parametrize("robot", ["panda", "kuka_iiwa"])
def test_moves_respect_speed_limits_and_are_near_time_optimal(uncached, robot):
    """No move is faster than its largest joint displacement allows at the datasheet speed,
    nor slower than 1.3x the per-joint trapezoid time under the datasheet limits."""
    spec = SPECS[robot]
    if robot == "kuka_iiwa":
        wps = [{"name": "a", "xyz": [0.5, -0.35, 0.5]}, {"name": "b", "xyz": [0.5, -0.35, 0.33]},
               {"name": "c", "xyz": [0.5, 0.35, 0.5]}, {"name": "d", "xyz": [0.3, 0.5, 0.3]}]
    else:
        wps = [dict(w, action="none") for w in PICK_PLACE] + [{"name": "side", "xyz": [0.0, 0.5, 0.4]}]
    t = sim(station([task(wps)], fixtures=[], robot=robot, size=2.2), uncached).tasks[0]
    assert t.ok
    for move in t.moves:
        d = move.joint_displacement
        lower = max(abs(x) / v for x, v in zip(d, spec.joint_velocity))
        trapezoid = max(_rest_to_rest_time(x, v, a) for x, v, a in zip(d, spec.joint_velocity, spec.joint_acceleration))
        assert move.duration >= lower - 1e-9, move
        assert move.duration <= 1.3 * trapezoid + 1e-9, (move, trapezoid)
        # the arm follows the commanded profile closely at the physics step used
        assert move.tracking_error < 0.005, move
