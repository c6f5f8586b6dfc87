"""Nothing lost: a project's workspace on disk is written whole or not at all, refuses to
overwrite a version it has not seen, survives two writers at once, and brings a session back
after a browser reload (a new session) with its edits, undo history and schedules; Save asks
before it replaces a different file."""
from __future__ import annotations

import json
import multiprocessing

import pytest

from factory_app import workspace
from factory_app.ui import STATE_KEY

from apptest_tools import run as _run, start



def _snapshot(**more) -> workspace.Snapshot:
    return workspace.Snapshot(layout={"name": "mini"}, source="sample:mini", **more)


def test_save_and_load_round_trip_and_a_stale_version_is_refused(app_env):
    v1 = workspace.save("mini", _snapshot(schedules={"a": {"makespan": 1}}), None)
    snapshot, version = workspace.load("mini")
    assert version == v1 == 1 and snapshot.schedules == {"a": {"makespan": 1}}
    assert workspace.save("mini", _snapshot(), 1) == 2
    with pytest.raises(workspace.StaleWorkspace, match="changed in another tab"):
        workspace.save("mini", _snapshot(), 1)  # this tab last saw version 1; the disk holds 2
    assert workspace.load("mini")[1] == 2
    folder = workspace.project_dir("mini")
    assert sorted(p.name for p in folder.iterdir()) == [".lock", "workspace.json"]  # no temporary files left


def test_a_damaged_workspace_is_set_aside_not_loaded(app_env):
    workspace.save("mini", _snapshot(), None)
    target = workspace.project_dir("mini") / "workspace.json"
    target.write_text(target.read_text()[:20])
    assert workspace.load("mini") is None
    assert (target.parent / "workspace.json.damaged").is_file() and not target.exists()


def _writer(workdir: str, tag: str, count: int) -> None:
    """One 'tab': load, add an entry, save; on a stale version load again and retry."""
    import os

    os.environ["FACTORY_TWIN_APP_DIR"] = workdir
    for n in range(count):
        while True:
            found = workspace.load("shared")
            snapshot, version = found if found else (_snapshot(), None)
            snapshot.schedules[f"{tag}{n}"] = {"n": n}
            try:
                workspace.save("shared", snapshot, version)
                break
            except workspace.StaleWorkspace:
                continue


def test_two_writers_at_once_lose_nothing_and_leave_a_whole_file(app_env):
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_writer, args=(str(app_env), tag, 25)) for tag in ("a", "b")]
    for w in writers:
        w.start()
    for w in writers:
        w.join(120)
        assert w.exitcode == 0
    data = json.loads((workspace.project_dir("shared") / "workspace.json").read_text())
    assert data["version"] == 50
    assert sorted(data["snapshot"]["schedules"]) == sorted([f"a{n}" for n in range(25)] + [f"b{n}" for n in range(25)])


def test_a_reload_restores_the_edits_and_their_undo_history(app_env):
    at = start("Layout")
    next(n for n in at.number_input if n.label == "capacity").set_value(3)
    _run(at)
    next(n for n in at.number_input if n.label == "width (m)").set_value(-1.0)  # a draft, not applied
    _run(at)
    assert at.query_params["project"] == ["mini"] or at.query_params["project"] == "mini"
    reloaded = start("Layout", "mini")  # a new browser session on the same address
    state = reloaded.session_state[STATE_KEY]
    assert state.layout.stations[0].capacity == 3
    assert state.session.has_draft and state.session.data["stations"][0]["footprint"]["width"] == -1.0
    reloaded.button(key="undo").click()  # drops the draft
    _run(reloaded)
    reloaded.button(key="undo").click()  # steps back over the capacity edit
    _run(reloaded)
    assert state.layout.stations[0].capacity == 1


def test_a_second_tab_that_saves_over_unseen_work_is_stopped_and_asks(app_env):
    first = start("Layout")
    second = start("Layout", "mini")
    next(n for n in first.number_input if n.label == "capacity").set_value(3)
    _run(first)
    next(n for n in second.number_input if n.label == "capacity").set_value(4)
    _run(second)
    assert any("changed in another tab" in w.value for w in second.warning)
    assert workspace.load("mini")[0].layout["stations"][0]["capacity"] == 3  # the first tab's work is kept
    second.button(key="ws_load_theirs").click()
    _run(second)
    assert second.session_state[STATE_KEY].layout.stations[0].capacity == 3


def test_save_asks_before_it_replaces_a_different_file(app_env):
    at = start("Layout")
    at.button(key="save_layout").click()
    _run(at)
    saved = app_env / "saved" / "mini.yaml"
    assert saved.is_file()
    saved.write_text(saved.read_text() + "# the planner's note\n")
    next(n for n in at.number_input if n.label == "capacity").set_value(2)
    _run(at)
    at.button(key="save_layout").click()
    _run(at)
    assert any("already exists with different content" in w.value for w in at.warning)
    assert saved.read_text().endswith("# the planner's note\n")  # untouched until the planner says
    at.button(key="save_other").click()
    _run(at)
    assert (app_env / "saved" / "mini-2.yaml").is_file() and saved.read_text().endswith("# the planner's note\n")
    at.button(key="save_layout").click()
    _run(at)
    at.button(key="save_overwrite").click()
    _run(at)
    assert "capacity: 2" in saved.read_text() and any("Saved saved/mini.yaml" in s.value for s in at.success)
