"""A robot's reach measured from its kinematics, against the manufacturer's datasheet."""
from __future__ import annotations

import pytest

from twin.physics.reach import measure_reach
from twin.robots import SPECS, resolve_robot


@pytest.mark.parametrize("name", sorted(SPECS))
def test_reach_measured_from_the_kinematics_matches_the_datasheet(name, physics):
    robot = resolve_robot(name, None)
    reach = measure_reach(robot, physics)
    assert reach.datasheet == pytest.approx(SPECS[name].reach, rel=0.05)
    # the tool reaches farther than the datasheet point, and not absurdly farther
    assert SPECS[name].reach < reach.horizontal < SPECS[name].reach + 0.3
    assert measure_reach(robot, physics) is reach  # measured once per context


def test_reach_is_kept_on_disk_and_read_back_without_measuring(tmp_path, monkeypatch):
    """Every `schedule` of a layout with robots measured their reach again (0.3-0.5 s a robot);
    a second context on the same cache folder now reads it; without a cache nothing is kept."""
    import twin.physics.reach as reach_module
    from twin.physics import Physics

    robot = resolve_robot(sorted(SPECS)[0], None)
    with Physics(cache_dir=tmp_path) as first:
        measured = measure_reach(robot, first)
    assert len(list(tmp_path.rglob("*.json"))) == 1

    def no_measuring(robot):
        raise AssertionError("measured again")

    monkeypatch.setattr(reach_module, "_measure", no_measuring)
    with Physics(cache_dir=tmp_path) as second:
        assert measure_reach(robot, second) == measured
    with Physics(cache_dir=tmp_path / "off", use_cache=False) as uncached, pytest.raises(AssertionError, match="measured again"):
        measure_reach(robot, uncached)
    assert not (tmp_path / "off").exists()
