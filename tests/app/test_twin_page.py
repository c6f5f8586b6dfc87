"""The Twin page: replications run in the background and give the same figures as
`factory-twin evaluate` with the same settings; stopping keeps the replications that
finished; the page shows the KPIs with intervals, the station states and a playback whose
moment the slider picks."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from optimizer.cli import main as cli_main
from twin.io import load_layout

from factory_app.twin_job import TwinJob, TwinSettings
from factory_app.ui import STATE_KEY

from apptest_tools import run as _run, start as _start

DATA = Path(__file__).parent / "data"


def _finished(job: TwinJob) -> TwinJob:
    assert job.wait(300), "the twin did not finish in time"
    assert job.error is None, job.error
    return job


def test_the_twin_job_gives_the_figures_of_the_evaluate_command(physics, capsys):
    layout = load_layout(DATA / "mini.yaml")
    settings = TwinSettings(replications=3, seed=7, policy="spt")
    job = _finished(TwinJob(layout, DATA, physics, settings).start())
    assert cli_main(["evaluate", str(DATA / "mini.yaml"), "--replications", "3", "--seed", "7", "--policy", "spt",
                     "--json"]) == 0
    expected = json.loads(capsys.readouterr().out)
    doc = job.result.doc
    assert doc["kpis"] == expected["kpis"] and doc["stations"] == expected["stations"]
    assert (doc["replications"], doc["control"], job.result.stopped) == (3, "spt", False)
    assert job.view().text.startswith("3 of 3 replications in ")


def test_stopping_keeps_the_replications_that_finished(physics):
    layout = load_layout(DATA / "mini.yaml")
    job = TwinJob(layout, DATA, physics, TwinSettings(replications=100_000)).start()
    deadline = time.monotonic() + 300
    while job.finished < 2:
        assert time.monotonic() < deadline and not job.done
        time.sleep(0.01)
    job.stop()
    _finished(job)
    assert job.result.stopped and 2 <= job.result.doc["replications"] < 100_000
    assert job.result.doc["kpis"]["throughput_per_hour"]["ci95_low"] is not None


def test_following_a_schedule_needs_one(physics):
    with pytest.raises(ValueError, match="compute it on the Schedule page first"):
        TwinJob(load_layout(DATA / "mini.yaml"), DATA, physics, TwinSettings(policy="schedule"))


def test_a_layout_the_twin_cannot_run_is_a_message(physics):
    layout = load_layout(DATA / "mini.yaml")
    unplaced = layout.with_stations([s.model_copy(update={"position": None}) if s.id == "weld" else s
                                     for s in layout.stations])
    job = TwinJob(unplaced, DATA, physics, TwinSettings(replications=2)).start()
    assert job.wait(300)
    assert job.result is None and "weld" in job.error
    assert "Traceback" not in job.error


def test_the_twin_page_runs_replications_and_plays_one_back(app_env):
    at = _start("Twin")
    at.number_input(key="twin_replications").set_value(3)
    at.button(key="FormSubmitter:twin_settings-Run the twin").click()
    _run(at)
    state = at.session_state[STATE_KEY]
    assert state.twin is not None and state.twin.wait(300) and state.twin.error is None
    _run(at)
    doc = state.twin.result.doc
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Throughput (units/h)"] == f"{doc['kpis']['throughput_per_hour']['mean']:,.1f}"
    low, high = doc["kpis"]["throughput_per_hour"]["ci95_low"], doc["kpis"]["throughput_per_hour"]["ci95_high"]
    assert f"95 % CI {low:,.1f} – {high:,.1f}" in [c.value for c in at.caption]
    playback = state.twin.result.playback
    at.slider(key="twin_time").set_value(round(playback.end / 3600.0 / 4, 4))
    _run(at)
    shown = {m.label: m.value for m in at.metric}
    assert shown["Units in the factory"] == f"{playback.wip_at(at.slider(key='twin_time').value * 3600.0):,.0f}"


def test_following_the_designs_schedule_matches_evaluate_with_that_schedule(physics, capsys, tmp_path):
    from factory_app.compute import layout_key, schedule_layout

    layout = load_layout(DATA / "mini.yaml")
    doc = schedule_layout(layout_key(layout), str(DATA), physics, time_limit=5.0).doc
    (tmp_path / "s.json").write_text(json.dumps(doc))
    job = _finished(TwinJob(layout, DATA, physics, TwinSettings(replications=2, policy="schedule"), doc).start())
    assert cli_main(["evaluate", str(DATA / "mini.yaml"), "--replications", "2", "--schedule",
                     str(tmp_path / "s.json"), "--json"]) == 0
    expected = json.loads(capsys.readouterr().out)
    assert job.result.doc["control"] == "schedule" == expected["control"]
    assert job.result.doc["kpis"] == expected["kpis"]
