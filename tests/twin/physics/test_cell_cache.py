"""The disk cache of task reports, the reports' dict form, and the physics context's own
caches."""
from __future__ import annotations

import json
import pickle

from cell_fixtures import FIXTURES, sim, station, task

from twin.physics import Physics, TaskReport, Unreachable
from twin.physics import cache, settings
from twin.robots import resolve_robot


def test_cache_key_changes_with_the_physics_settings(monkeypatch):
    st = station([task()])
    robot = resolve_robot("panda", None)
    key = cache.task_key(st.cell, st.cell.tasks[0], robot)
    assert cache.task_key(st.cell, st.cell.tasks[0], robot) == key
    monkeypatch.setattr(settings, "TIME_STEP", settings.TIME_STEP / 2)
    assert cache.task_key(st.cell, st.cell.tasks[0], robot) != key
    monkeypatch.undo()
    monkeypatch.setattr(settings, "MODEL_VERSION", settings.MODEL_VERSION + "x")
    assert cache.task_key(st.cell, st.cell.tasks[0], robot) != key


def test_cache_is_hit_then_invalidated_when_the_cell_changes(tmp_path):
    physics = Physics(tmp_path / "cache")
    st = station([task(payload=1.0)])
    first = sim(st, physics).tasks[0]
    second = sim(st, physics).tasks[0]
    assert not first.from_cache and second.from_cache
    assert second.cycle_time == first.cycle_time and second.moves == first.moves
    assert Physics(tmp_path / "cache").cache.read(cache.task_key(st.cell, st.cell.tasks[0], resolve_robot("panda", None)))
    # the station's place on the floor does not matter, the cell does
    moved = st.with_placement((12.0, 3.0), 90)
    assert sim(moved, physics).tasks[0].from_cache
    changed = station([task(payload=1.0)], fixtures=[FIXTURES[0], {**FIXTURES[1], "size": [0.3, 0.2, 0.08]}])
    assert not sim(changed, physics).tasks[0].from_cache
    heavier = station([task(payload=1.5)])
    assert not sim(heavier, physics).tasks[0].from_cache


def test_without_the_cache_nothing_is_read_or_written(tmp_path):
    physics = Physics(tmp_path / "cache", use_cache=False)
    st = station([task(payload=1.0)])
    assert not sim(st, physics).tasks[0].from_cache
    assert not sim(st, physics).tasks[0].from_cache
    assert not (tmp_path / "cache").exists()


def test_a_report_dict_carries_each_reason_and_reads_back():
    report = TaskReport("t", None, False, unreachable=[Unreachable(1, "far", 412.5, 0.0)])
    data = json.loads(json.dumps(report.to_dict()))
    assert data["unreachable"][0]["reason"] == "unreachable: end-effector error 412.5 mm"
    assert data["ok"] is False
    assert TaskReport.from_dict(data) == report


def test_a_context_pickles_as_its_settings_and_clears_its_own_caches(tmp_path):
    physics = Physics(tmp_path / "c", use_cache=False)
    physics.envelopes[("panda", None)] = 0.9
    copy = pickle.loads(pickle.dumps(physics))
    assert (copy.cache_dir, copy.use_cache, copy.envelopes) == (tmp_path / "c", False, {})
    physics.clear()
    assert physics.envelopes == {}
