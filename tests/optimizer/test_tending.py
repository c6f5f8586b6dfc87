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


def test_the_sample_lathe_robot_stands_at_its_lathe(parts, physics):
    assert check_layout(parts, SAMPLE.parent, reference=parts, physics=physics) == []
    # the same two stations without the tend are too close: an aisle belongs between them
    robot = parts.station("robot_tend_lathe")
    untended = robot.model_copy(update={"cell": robot.cell.model_copy(update={"tends": ()})})
    plain = parts.with_stations([untended if s.id == robot.id else s for s in parts.stations])
    assert [str(p) for p in check_layout(plain, SAMPLE.parent, physics=physics)] == [
        f"stations[{index(parts, 'cnc_lathe_1')}].position: station 'cnc_lathe_1' is 0 m from 'robot_tend_lathe', "
        "less than the 2 m aisle"]


def test_a_tended_machine_moved_away_is_refused_by_the_checker(parts, physics):
    moved = parts.with_placements({"cnc_lathe_1": ((7.1, 7.0), 180)})  # where the sample had it before
    robot = index(parts, "robot_tend_lathe")
    expected = (f"stations[{robot}].cell.tends[0].max_distance: the load point of machine 'cnc_lathe_1' is "
                "2.80 m from the base of robot cell 'robot_tend_lathe', more than 1 m")
    assert [str(p) for p in check_layout(moved, SAMPLE.parent, reference=parts, physics=physics)] == [
        expected,
        f"stations[{robot}].cell.tends[0]: the load point of machine 'cnc_lathe_1' is 2.80 m from the base of robot "
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


def test_the_search_never_separates_a_tending_robot_from_its_machine(parts, physics):
    """A small search with every generator: each candidate keeps the lathe at its robot, and
    the independent checker finds nothing wrong with any tend."""
    robot, lathe = parts.station("robot_tend_lathe"), parts.station("cnc_lathe_1")
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
            r, m = c.station(robot.id), c.station(lathe.id)
            assert (m.rotation - r.rotation) % 360 == (lathe.rotation - robot.rotation) % 360
            offsets.add((r.position, r.rotation))
            checked += 1
    assert len(offsets) > 3  # the pair did move (and turn) in the search
    assert checked >= 4 * 6


def test_an_unplaced_tending_group_cannot_be_searched(parts):
    loose = parts.with_stations([s.model_copy(update={"position": None}) if s.id == "cnc_lathe_1" else s
                                 for s in parts.stations])
    with pytest.raises(LayoutError) as err:
        next(iter(generate("perturb", loose, 1, seed=0)))
    assert [str(p) for p in err.value.problems] == [
        f"stations[{index(parts, 'robot_tend_lathe')}].position: robot cell 'robot_tend_lathe' and the machines "
        "it tends must be placed: the search keeps them together as placed"]
