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


# --- the rule for robot files (twin.robot_files) -------------------------------------------------


def _folder(tmp_path):
    folder = tmp_path / "layouts"
    folder.mkdir()
    return folder


def _refused(robot: str, folder) -> str:
    with pytest.raises(LayoutError) as err:
        resolve_robot(robot, folder, path="stations[2].cell.robot")
    [problem] = err.value.problems
    assert problem.path == "stations[2].cell.robot"
    return problem.message


@pytest.mark.parametrize("name", ["ur5", "../../etc/passwd", "/etc/passwd"])
def test_a_robot_is_a_built_in_name_or_a_urdf_file(tmp_path, name):
    assert _refused(name, tmp_path) == (f"unknown robot {name!r}: use one of kuka_iiwa, panda "
                                        "or a .urdf file next to the layout")


@pytest.mark.parametrize("text, message", [
    ("", "robot file 'arm.urdf' is empty"),
    ("\x00\x01 not xml", "robot file 'arm.urdf' is not a URDF: invalid XML (not well-formed (invalid token): line 1, "
                         "column 0)"),
    ("<mesh/>", "robot file 'arm.urdf' is not a URDF: its root element is <mesh>, not <robot>"),
    ('<robot name="x"></robot>', "robot file 'arm.urdf' has no <link>: a robot needs links and joints"),
    ('<robot name="x"><link name="base"/></robot>',
     "robot file 'arm.urdf' has no movable joint: a robot needs one to move"),
])
def test_a_broken_urdf_is_named_with_what_is_wrong(tmp_path, text, message):
    folder = _folder(tmp_path)
    (folder / "arm.urdf").write_text(text)
    assert _refused("arm.urdf", folder) == message


def _with_mesh(ref: str) -> str:
    return TINY_URDF.replace('<geometry><box size="0.5 0.05 0.05"/></geometry>',
                             f'<geometry><mesh filename="{ref}"/></geometry>')


def test_every_referenced_mesh_must_lie_inside_the_layout_folder(tmp_path):
    folder = _folder(tmp_path)
    base = folder.resolve()
    (tmp_path / "outside.stl").write_bytes(b"solid x\nendsolid x\n")
    os.symlink(tmp_path / "outside.stl", folder / "link.stl")
    cases = {
        "../outside.stl": f"which resolves to {tmp_path.resolve() / 'outside.stl'}, outside the layout's folder {base}",
        "package://../outside.stl": f"which resolves to {tmp_path.resolve() / 'outside.stl'}, outside the layout's "
                                    f"folder {base}",
        "link.stl": f"which resolves to {tmp_path.resolve() / 'outside.stl'}, outside the layout's folder {base}",
        "/etc/passwd": f"a referenced file must be a path relative to the URDF, inside the layout's folder {base}",
        "file:///etc/passwd": f"a referenced file must be a path relative to the URDF, inside the layout's folder {base}",
        "missing.stl": f"which is not a file in {base}",
    }
    for ref, tail in cases.items():
        (folder / "arm.urdf").write_text(_with_mesh(ref))
        sep = ": " if tail.startswith("a referenced") else ", "
        assert _refused("arm.urdf", folder) == f"robot file 'arm.urdf' references {ref!r}{sep}{tail}", ref


def test_a_mesh_in_a_sibling_folder_inside_the_layout_folder_is_fine_and_part_of_the_digest(tmp_path):
    folder = _folder(tmp_path)
    (folder / "robots").mkdir()
    (folder / "meshes").mkdir()
    (folder / "meshes" / "arm.stl").write_bytes(b"solid a\nendsolid a\n")
    (folder / "robots" / "arm.urdf").write_text(_with_mesh("../meshes/arm.stl"))
    before = robot_digest(resolve_robot("robots/arm.urdf", folder))
    (folder / "meshes" / "arm.stl").write_bytes(b"solid b\nendsolid b\n")
    assert robot_digest(resolve_robot("robots/arm.urdf", folder)) != before


def test_a_huge_mesh_is_refused_by_its_size_without_reading_it(tmp_path):
    folder = _folder(tmp_path)
    with open(folder / "huge.stl", "wb") as f:
        f.truncate(8 * 2**30)  # sparse: 8 GiB that take no disk
    (folder / "arm.urdf").write_text(_with_mesh("huge.stl"))
    assert _refused("arm.urdf", folder) == ("robot file 'arm.urdf' references 'huge.stl', which is 8.0 GiB, "
                                            "over the 64.0 MiB limit for a robot mesh")
    big = folder / "big.urdf"
    with open(big, "wb") as f:
        f.truncate(5 * 2**20)
    assert _refused("big.urdf", folder) == "robot file 'big.urdf' is 5.0 MiB, over the 4.0 MiB limit for a URDF"


def test_an_stl_that_is_not_a_mesh_is_refused_before_physics(tmp_path):
    """Found by benchmarks/broken_inputs.py: PyBullet loads a link whose mesh file is not a mesh,
    so `schedule` and `simulate` took the robot and only `render` failed (or a short time limit
    ran out first); the file's first bytes and size tell it up front."""
    import struct

    folder = _folder(tmp_path)
    (folder / "noise.stl").write_bytes(bytes(range(256)) * 4)
    (folder / "arm.urdf").write_text(_with_mesh("noise.stl"))
    triangles = int.from_bytes(bytes(range(80, 84)), "little")
    assert _refused("arm.urdf", folder) == (
        f"robot file 'arm.urdf' references 'noise.stl', which is not an STL mesh: it does not begin with 'solid', "
        f"and as a binary STL of {triangles:,} triangles it would be {84 + 50 * triangles:,} bytes, not 1,024")
    (folder / "noise.stl").write_bytes(b"\x00" * 20)
    assert _refused("arm.urdf", folder).endswith("which is not an STL mesh: 20 bytes, shorter than a binary "
                                                  "STL's 84-byte header")
    # a real binary STL of one triangle (normal, three corners, attribute count) is a mesh
    (folder / "noise.stl").write_bytes(b"\x00" * 80 + struct.pack("<I", 1) + struct.pack("<12fH", *[0.0] * 3,
                                                                                          0, 0, 0, 1, 0, 0, 0, 1, 0, 0))
    assert resolve_robot("arm.urdf", folder).urdf.name == "arm.urdf"
