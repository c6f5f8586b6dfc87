"""Tended machines: the layout keeps a tending robot beside its machines. The independent
checker refuses a tended machine moved away; no generator ever produces one."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from optimizer.layout_checker import check_layout
from optimizer.placement import GENERATORS, generate, perturb
from twin.errors import LayoutError
from twin.io import load_layout
from twin.tending import tend_problems
from twin.validate import layout_problems

SAMPLE = Path(__file__).resolve().parents[2] / "layouts" / "auto_parts.yaml"


@pytest.fixture(scope="module")
def parts():
    return load_layout(SAMPLE)


def index(layout, sid: str) -> int:
    return next(i for i, s in enumerate(layout.stations) if s.id == sid)


def test_the_sample_robots_stand_between_the_machines_they_tend(parts, physics):
    assert check_layout(parts, SAMPLE.parent, reference=parts, physics=physics) == []
    # the same three stations without the tends are too close: aisles belong between them
    robot = parts.station("robot_tend_lathe")
    untended = robot.model_copy(update={"cell": robot.cell.model_copy(update={"tends": ()})})
    plain = parts.with_stations([untended if s.id == robot.id else s for s in parts.stations])
    lathe_1, lathe_2 = index(parts, "cnc_lathe_1"), index(parts, "cnc_lathe_2")
    assert index(parts, robot.id) == lathe_1 + 1 == lathe_2 - 1  # the file's order, which the messages follow
    assert [str(p) for p in check_layout(plain, SAMPLE.parent, physics=physics)] == [
        f"stations[{lathe_1 + 1}].position: station 'robot_tend_lathe' is 0 m from 'cnc_lathe_1', less than the 2 m aisle",
        f"stations[{lathe_2}].position: station 'cnc_lathe_2' is 1.2 m from 'cnc_lathe_1', less than the 2 m aisle",
        f"stations[{lathe_2}].position: station 'cnc_lathe_2' is 0 m from 'robot_tend_lathe', less than the 2 m aisle"]


def test_two_machines_of_one_robot_may_not_overlap(parts, physics):
    """The tending exemption is from the aisle only: lathe 2 pushed into lathe 1 is refused."""
    lathe_2 = parts.station("cnc_lathe_2")
    pushed = parts.with_placements({"cnc_lathe_2": ((2.3, 5.5), lathe_2.rotation)})  # half over lathe 1
    problems = [str(p) for p in check_layout(pushed, SAMPLE.parent, reference=parts, physics=physics)]
    assert (f"stations[{index(parts, 'cnc_lathe_2')}].position: station 'cnc_lathe_2' overlaps station "
            "'cnc_lathe_1'") in problems


def test_a_tended_machine_moved_away_is_refused_by_the_checker(parts, physics):
    # lathe 2 back where the shop had it before it joined lathe 1's robot, across the hall
    moved = parts.with_placements({"cnc_lathe_2": ((24.2, 1.3), 180)})
    # its load point (1.6, 0.5) turned 180 degrees: (22.6, 0.8); the base (4.7, 7.0 - 0.5): 18.79 m
    robot = index(parts, "robot_tend_lathe")
    expected = (f"stations[{robot}].cell.tends[1].max_distance: the load point of machine 'cnc_lathe_2' is "
                "18.79 m from the base of robot cell 'robot_tend_lathe', more than 1 m")
    assert [str(p) for p in check_layout(moved, SAMPLE.parent, reference=parts, physics=physics)] == [
        expected,
        f"stations[{robot}].cell.tends[1]: the load point of machine 'cnc_lathe_2' is 18.79 m from the base of robot "
        "cell 'robot_tend_lathe', beyond the kuka_iiwa's 1.00 m reach"]
    assert [str(p) for p in layout_problems(moved)] == [expected]  # validate says so without physics


def test_a_tend_names_a_machine(parts):
    robot = parts.station("robot_tend_lathe")
    tends = robot.cell.tends
    for machine, message in (("lathe_9", "no station 'lathe_9'"),
                             ("cmm", "station 'cmm' is not a machine but an inspection")):
        bad = robot.cell.model_copy(update={"tends": (tends[0].model_copy(update={"machine": machine}),)})
        layout = parts.with_stations([robot.model_copy(update={"cell": bad}) if s.id == robot.id else s
                                      for s in parts.stations])
        assert [str(p) for p in tend_problems(layout)] == [
            f"stations[{index(parts, robot.id)}].cell.tends[0].machine: {message}"]


def test_the_search_never_separates_a_tending_robot_from_its_machines(parts, physics):
    """A small search with every generator: each candidate keeps both lathes at their robot
    and both mills at theirs, turned and offset as the file has them, and the independent
    checker finds nothing wrong with any tend."""
    cells = {"robot_tend_lathe": ("cnc_lathe_1", "cnc_lathe_2"), "robot_tend_mill": ("cnc_mill_1", "cnc_mill_2")}

    def arrangement(layout, robot):
        """Each machine's offset from its robot in the robot's frame, and its relative turn."""
        r = layout.station(robot)
        turn = np.radians(r.rotation)
        out = []
        for machine in cells[robot]:
            m = layout.station(machine)
            dx, dy = m.position[0] - r.position[0], m.position[1] - r.position[1]
            local = (dx * np.cos(turn) + dy * np.sin(turn), -dx * np.sin(turn) + dy * np.cos(turn))
            out.append((round(local[0], 6) + 0.0, round(local[1], 6) + 0.0, (m.rotation - r.rotation) % 360))
        return out

    given = {robot: arrangement(parts, robot) for robot in cells}
    assert given["robot_tend_lathe"] == [(-2.4, 0.0, 0), (2.4, 0.0, 180)]
    offsets = set()
    checked = 0
    for name in sorted(GENERATORS):
        candidates = list(generate(name, parts, 6, seed=3))
        candidates += [perturb(c, np.random.default_rng(k), moves=3) for k, c in enumerate(candidates[:3])]
        assert candidates, name
        for c in candidates:
            problems = check_layout(c, SAMPLE.parent, reference=parts, physics=physics)
            assert not [str(p) for p in problems if ".tends[" in p.path], name
            assert tend_problems(c) == []
            for robot in cells:
                assert arrangement(c, robot) == given[robot], (name, robot)
                offsets.add((robot, c.station(robot).position, c.station(robot).rotation))
            checked += 1
    assert len({o for o in offsets if o[0] == "robot_tend_lathe"}) > 3  # the cells did move (and turn)
    assert len({o for o in offsets if o[0] == "robot_tend_mill"}) > 3
    assert checked >= 4 * 6


def test_an_unplaced_tending_group_cannot_be_searched(parts):
    loose = parts.with_stations([s.model_copy(update={"position": None}) if s.id == "cnc_lathe_1" else s
                                 for s in parts.stations])
    with pytest.raises(LayoutError) as err:
        next(iter(generate("perturb", loose, 1, seed=0)))
    assert [str(p) for p in err.value.problems] == [
        f"stations[{index(parts, 'robot_tend_lathe')}].position: robot cell 'robot_tend_lathe' and the machines "
        "it tends must be placed: the search keeps them together as placed"]
