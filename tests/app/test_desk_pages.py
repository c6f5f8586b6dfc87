"""Page-level fixes of the planner's desk issue through Streamlit's AppTest: the sample
picker shows the open sample, an oversize upload is a plain banner that replaces the last
one, a y off the floor is reported under y, and a stopped search offers Resume and shows
what it screened."""
from __future__ import annotations

import shutil
import time
import tomllib
from pathlib import Path

from factory_app.ui import STATE_KEY
from twin.limits import LIMITS, limit

from apptest_tools import run as _run, start as _start

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"


def test_the_sample_picker_shows_the_sample_that_is_open(app_env, monkeypatch, tmp_path):
    samples = tmp_path / "samples"
    samples.mkdir()
    for name in ("aaa_first", "electronics_assembly"):  # the app opens electronics_assembly first
        shutil.copyfile(DATA / "mini.yaml", samples / f"{name}.yaml")
    monkeypatch.setenv("FACTORY_TWIN_SAMPLES", str(samples))
    at = _start("Layout")
    assert at.session_state[STATE_KEY].session.source == "sample:electronics_assembly"
    assert at.selectbox(key="sample_choice").value == "electronics_assembly"


def test_an_oversize_upload_is_a_banner_that_replaces_the_last_one(app_env, monkeypatch):
    monkeypatch.setenv("FACTORY_TWIN_MAX_FILE_BYTES", "100000")  # the command line's setting holds in the app
    at = _start("Layout")
    at.file_uploader[0].upload("bad.yaml", b"name: [unclosed\n")
    _run(at)
    assert [e.value for e in at.error if "Could not open" in e.value][0].startswith("Could not open bad.yaml")
    big = b"# padding\n" * (limit("file_bytes") // 10 + 1)
    at.file_uploader[0].upload("big.yaml", big)
    _run(at)
    errors = [e.value for e in at.error if "Could not open" in e.value]
    assert errors == [f"Could not open big.yaml: file is {len(big):,} bytes, more than the {limit('file_bytes'):,} "
                      "bytes allowed (setting FACTORY_TWIN_MAX_FILE_BYTES) (big.yaml)"]
    assert at.file_uploader[0].value is None  # the box is emptied: no stale file chips
    # the server lets such a file through to the app (its own ceiling is far above the app's)
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 1024 * 1024 > 2 * LIMITS["file_bytes"].default
    at.file_uploader[0].upload("good.yaml", (DATA / "mini.yaml").read_bytes())
    _run(at)
    assert not [e.value for e in at.error if "Could not open" in e.value]
    assert at.session_state[STATE_KEY].session.source == "upload:good.yaml"


def test_a_y_off_the_floor_is_reported_under_the_y_field(app_env):
    at = _start("Layout")
    y = next(n for n in at.number_input if n.label == "y (m)")
    y.set_value(11.5)
    _run(at)
    alerts = [e.value for e in at.error]
    assert alerts.count("station 'cut' reaches outside the floor (20 x 12 m)") == 1  # under one field only

    def column_of(label: str):  # the innermost column holding only this field
        return next(c for c in at.main.get("column") if [n.label for n in c.number_input] == [label])

    y_column, x_column = column_of("y (m)"), column_of("x (m)")
    assert [e.value for e in y_column.error] == ["station 'cut' reaches outside the floor (20 x 12 m)"]
    assert [e.value for e in x_column.error] == []


def _wait(predicate, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "the search did not get there in time"
        time.sleep(0.2)


def test_a_stopped_search_can_be_resumed_and_shows_what_it_screened(app_env):
    at = _start("Optimise")
    at.number_input(key="opt_candidates").set_value(100_000)
    at.number_input(key="opt_shortlist").set_value(2)
    at.button(key="FormSubmitter:search_settings-Run search").click()
    _run(at)
    job = at.session_state[STATE_KEY].job
    _wait(lambda: job.progress is not None and job.progress.screened > 0)
    _run(at)
    at.button(key="opt_stop").click()
    _run(at)
    assert job.wait(300)
    _run(at)
    _run(at)
    assert job.stopped and job.error is None
    assert not at.error  # a stop is not an error
    info = " ".join(i.value for i in at.info)
    assert "Stopped after" in info and "factory-twin optimize" not in info and str(app_env) not in info
    tables = [d.value for d in at.dataframe]
    screened = next(t for t in tables if "flow distance (unit·m)" in t.columns and "scheduled" in t.columns)
    assert screened["design"].iloc[0] == "as-is" and len(screened) >= 2
    at.button(key="opt_resume").click()
    _run(at)
    resumed = at.session_state[STATE_KEY].job
    assert resumed is not job and resumed.run_dir == job.run_dir  # the same run folder carries on
    resumed.stop()
    assert resumed.wait(300)
    assert [p for p in (app_env / "runs").iterdir() if (p / "run.sqlite").exists()] == [job.run_dir]


def test_an_upload_over_edited_work_asks_first_and_undo_brings_the_work_back(app_env):
    at = _start("Layout")
    next(n for n in at.number_input if n.label == "capacity").set_value(3)
    _run(at)
    state = at.session_state[STATE_KEY]
    assert state.layout.stations[0].capacity == 3
    other = (DATA / "mini.yaml").read_text().replace("name: mini", "name: other")
    at.file_uploader[0].upload("other.yaml", other.encode())
    _run(at)
    assert any("'mini' has edits" in w.value for w in at.warning)
    assert state.layout.name == "mini"  # nothing replaced yet
    at.button(key="cancel_open").click()
    _run(at)
    assert not any("has edits" in w.value for w in at.warning) and state.layout.stations[0].capacity == 3
    at.file_uploader[0].upload("other.yaml", other.encode())
    _run(at)
    at.button(key="confirm_open").click()
    _run(at)
    assert state.layout.name == "other"
    at.button(key="undo").click()
    _run(at)
    assert state.layout.name == "mini" and state.layout.stations[0].capacity == 3  # the edited work is back
    at.button(key="redo").click()
    _run(at)
    assert state.layout.name == "other"
