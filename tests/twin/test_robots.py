"""Robot spec table and robot-file resolution."""
from __future__ import annotations

import math
import os

import pytest

from twin.errors import LayoutError
from twin.physics.reach import measure_reach
from twin.robots import SPECS, resolve_robot, robot_digest

TINY_URDF = """<?xml version="1.0"?>
<robot name="tiny">
  <link name="base"><inertial><mass value="1"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial></link>
  <link name="arm"><inertial><mass value="1"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial>
    <collision><origin xyz="0.25 0 0"/><geometry><box size="0.5 0.05 0.05"/></geometry></collision></link>
  <link name="tip"/>
  <joint name="j1" type="revolute"><parent link="base"/><child link="arm"/><origin xyz="0 0 0.3"/>
    <axis xyz="0 0 1"/><limit lower="-3" upper="3" effort="50" velocity="1.5"/></joint>
  <joint name="tool" type="fixed"><parent link="arm"/><child link="tip"/><origin xyz="0.5 0 0"/></joint>
</robot>
"""


def test_spec_table_overrides_unrealistic_urdf_limits():
    iiwa = SPECS["kuka_iiwa"]
    assert max(iiwa.joint_velocity) < 2.5  # the URDF says 10 rad/s
    assert iiwa.joint_velocity[0] == pytest.approx(math.radians(85))
    assert all(a > 0 for spec in SPECS.values() for a in spec.joint_acceleration)
    assert SPECS["panda"].joint_velocity[:4] == (2.175,) * 4 and SPECS["panda"].payload == 3.0
    assert resolve_robot("iiwa", None).spec is iiwa  # aliases


def test_unknown_robot_name_lists_the_known_ones():
    with pytest.raises(LayoutError, match="unknown robot 'ur5': use one of kuka_iiwa, panda"):
        resolve_robot("ur5", None)


@pytest.mark.parametrize("path", ["../arm.urdf", "sub/../../arm.urdf", "/etc/arm.urdf"])
def test_robot_file_leaving_the_layout_folder_is_refused(tmp_path, path):
    (tmp_path.parent / "arm.urdf").write_text(TINY_URDF)
    with pytest.raises(LayoutError, match="layout's folder") as err:
        resolve_robot(path, tmp_path / "", path="stations[2].cell.robot")
    assert err.value.problems[0].path == "stations[2].cell.robot"


def test_symlink_out_of_the_layout_folder_is_refused(tmp_path):
    outside = tmp_path / "outside.urdf"
    outside.write_text(TINY_URDF)
    folder = tmp_path / "layouts"
    folder.mkdir()
    os.symlink(outside, folder / "arm.urdf")
    with pytest.raises(LayoutError, match="outside the layout's folder"):
        resolve_robot("arm.urdf", folder)


def test_urdf_without_table_entry_uses_its_own_limits_with_a_warning(tmp_path, physics):
    (tmp_path / "robots").mkdir()
    (tmp_path / "robots" / "tiny.urdf").write_text(TINY_URDF)
    robot = resolve_robot("robots/tiny.urdf", tmp_path)
    assert robot.spec is None and "no datasheet entry" in robot.warnings[0]
    assert measure_reach(robot, physics).horizontal == pytest.approx(0.5, abs=0.01)
    missing = tmp_path / "nothing.urdf"
    with pytest.raises(LayoutError, match="not found"):
        resolve_robot(missing.name, tmp_path)


def test_robot_digest_changes_with_the_file(tmp_path):
    path = tmp_path / "tiny.urdf"
    path.write_text(TINY_URDF)
    before = robot_digest(resolve_robot("tiny.urdf", tmp_path))
    path.write_text(TINY_URDF.replace('velocity="1.5"', 'velocity="1.0"'))
    assert robot_digest(resolve_robot("tiny.urdf", tmp_path)) != before
