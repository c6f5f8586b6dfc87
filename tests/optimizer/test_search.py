"""The search run in-process (one worker): stage 1 metrics, ranking, Pareto front, run
folder, determinism, stop and resume, and the checker's veto."""
from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from optimizer.layout_checker import check_layout
from optimizer.search import run as search_run
from optimizer.search import tasks
from optimizer.search.config import SearchConfig
from optimizer.search.ranking import pareto_front, rank
from optimizer.search.results import list_runs, load_run
from optimizer.search.rows import CandidateRow, apply_placements
from optimizer.search.run import SearchInterrupted, run_search
from optimizer.search.tasks import screen_layout
from optimizer.store import RunStore
from search_fixtures import tiny_layout_data, write_tiny_layout
from twin.errors import InputError, LayoutError, Problem
from optimizer.problem import build_problem
from optimizer.schedule import check_schedule
from optimizer.schedule_json import schedule_from_json
from twin.graph import flow_distance, transport_legs, used_area
from twin.io import load_layout, parse_layout

# stage 2 budgets are deterministic CP-SAT units (`optimizer.search.budget`), so results repeat under
# load too; the candidates' schedules are proven optimal well within them, the as-is layout's is not
# (it uses the whole budget)
SMALL = dict(candidates=60, shortlist=4, time_limit=0.5, workers=1, chunk_size=10)


def _row(seq, makespan, area, travel, flow=100.0, status="ok", key=None) -> CandidateRow:
    return CandidateRow(seq=seq, key=key or f"k{seq:03d}", origin="t", valid=True, problems=(), flow_distance=flow,
                        conveyor_length=0.0, floor_area=area, schedule_status=status, makespan=makespan,
                        agv_distance=travel)


def _keys(run_dir: Path) -> dict[int, str]:
    with RunStore.open(run_dir) as store:
        return store.screened_keys()


@pytest.fixture
def tiny(tmp_path) -> Path:
    return write_tiny_layout(tmp_path)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, physics):
    """One uninterrupted SMALL run of the tiny factory and the progress it reported: the run the
    folder test inspects and the determinism and resume tests compare theirs with (the tests
    only read it)."""
    folder = tmp_path_factory.mktemp("uninterrupted")
    seen = []
    result = run_search(write_tiny_layout(folder), SearchConfig(**SMALL), out_dir=folder / "runs" / "run",
                        progress=seen.append, physics=physics)
    return result, seen


# --- stage 1 and ranking -------------------------------------------------------------------------


def test_screen_measures_what_the_graph_module_measures(tiny, physics):
    layout = load_layout(tiny)
    metrics = screen_layout(layout, tiny.parent, layout, physics)
    assert metrics.valid and metrics.problems == ()
    assert metrics.flow_distance == pytest.approx(flow_distance(layout))
    assert metrics.floor_area == pytest.approx(used_area(layout))
    assert metrics.conveyor_length == 0.0


def test_screen_rejects_an_overlap_with_the_checkers_reason(tiny, physics):
    layout = load_layout(tiny)
    bad = layout.with_placements({"drill": ((20.5, 11.0), 0)})  # on top of the saw
    metrics = screen_layout(bad, tiny.parent, layout, physics)
    assert not metrics.valid
    assert any("drill" in p or "saw" in p for p in metrics.problems)
    assert metrics.flow_distance is None


def test_rank_orders_by_makespan_then_flow_then_key_and_drops_unchecked():
    rows = [
        _row(1, 500, 10, 5, flow=300), _row(2, 490, 10, 5, flow=400), _row(3, 500, 10, 5, flow=200),
        _row(4, 480, 10, 5, status="failed-check"), _row(5, 500, 10, 5, flow=200, key="a-first"),
        _row(0, 400, 10, 5),  # the as-is layout is compared, not ranked
    ]
    assert [r.seq for r in rank(rows)] == [2, 5, 3, 1]


def test_pareto_front_keeps_exactly_the_non_dominated():
    rows = [
        _row(1, 100, 50, 30), _row(2, 90, 60, 30), _row(3, 100, 50, 40),  # 3 dominated by 1
        _row(4, 110, 40, 30), _row(5, 120, 60, 50),  # 5 dominated by all
        _row(6, 100, 50, 30),  # same point as 1: kept once
        _row(7, 80, 40, 20, status="failed-check"),  # not checked, not considered
    ]
    assert [r.seq for r in pareto_front(rows)] == [2, 1, 4]


# --- the run ----------------------------------------------------------------------------------


def test_run_writes_a_complete_run_folder_that_beats_the_as_is_layout(uninterrupted, physics):
    result, seen = uninterrupted
    tiny = result.run_dir.parents[1] / "tiny.yaml"
    assert result.status == "complete"
    assert (result.screened, result.scheduled) == (60, 4)
    assert result.valid == 60 and result.schedule_ok == 4
    assert result.baseline is not None and result.baseline.schedule_status == "ok"
    gain = result.improvement()
    assert gain["flow_distance"]["change"] < 0 and gain["flow_distance"]["percent"] < -10
    assert result.best.makespan <= result.baseline.makespan
    assert result.leaderboard[0] == result.best and len(result.leaderboard) == 4
    assert result.pareto and all(r.ranked for r in result.pareto)
    # the shortlist is the 4 best valid candidates by flow distance, recomputed here from the
    # stored placements with the independent checker and the graph module
    base = load_layout(tiny)
    with RunStore.open(result.run_dir) as store:
        stored = [r for r in store.screen_records() if r.seq > 0]
    assert len(stored) == 60
    measured = []
    for r in stored:
        layout = apply_placements(base, r.placements)
        if check_layout(layout, layout_dir=tiny.parent, reference=base, physics=physics) == []:
            measured.append((flow_distance(layout), r.seq))
    expected = [seq for _, seq in sorted(measured)[:len(result.leaderboard)]]
    assert sorted(r.seq for r in result.leaderboard) == sorted(expected)
    folder = result.run_dir
    best = load_layout(folder / "best_layout.yaml")
    assert best.with_placements({}) == result.best_layout()
    assert load_layout(tiny).station("mill").position == best.station("mill").position  # fixed stays
    schedule = yaml.safe_load((folder / "best_schedule.json").read_text())
    assert schedule["makespan"] == result.best.makespan
    # the stored best schedule passes the independent checker on a problem rebuilt from the saved layout
    problem = build_problem(best, transport_legs(best))
    assert check_schedule(problem, schedule_from_json(schedule)) == []
    assert (folder / "best_layout.png").stat().st_size > 1000
    report = (folder / "report.md").read_text()
    assert "Pareto front" in report and "flow distance" in report and f"#{result.best.seq}" in report
    # progress: stages in order, totals right, never a negative ETA
    stages = [p.stage for p in seen]
    assert stages.index("screen") < stages.index("schedule") < stages.index("done")
    assert seen[-1].screened == 60 and seen[-1].scheduled == 5  # the as-is layout is scheduled too
    assert all(p.eta is None or p.eta >= 0 for p in seen)
    # reopening the run gives the same answer; list_runs finds it
    again = load_run(folder)
    assert again.best == result.best and again.pareto == result.pareto and again.status == "complete"
    runs = list_runs(folder.parent)
    assert [r.run_dir for r in runs] == [folder] and runs[0].best_makespan == result.best.makespan


def test_same_seed_same_candidates_and_result_other_seed_differs(uninterrupted, tiny, tmp_path, physics):
    a, _ = uninterrupted
    b = run_search(tiny, SearchConfig(**SMALL), out_dir=tmp_path / "b", physics=physics)
    c = run_search(tiny, SearchConfig(**{**SMALL, "seed": 1}), out_dir=tmp_path / "c", physics=physics)
    assert _keys(a.run_dir) == _keys(b.run_dir)
    assert a.best.key == b.best.key and a.best.makespan == b.best.makespan
    assert _keys(a.run_dir) != _keys(c.run_dir)
    assert len(set(_keys(a.run_dir).values())) == 61  # distinct, the as-is layout included


def test_stop_then_resume_ends_with_the_uninterrupted_count_and_result(uninterrupted, tiny, tmp_path, physics):
    stop = threading.Event()

    def progress(p):
        if p.stage == "screen" and p.screened >= 20:
            stop.set()

    with pytest.raises(SearchInterrupted, match="--resume") as info:
        run_search(tiny, SearchConfig(**SMALL), out_dir=tmp_path / "cut", progress=progress, stop=stop, physics=physics)
    cut = info.value.run_dir
    partial = load_run(cut)
    assert partial.status == "interrupted" and 20 <= partial.screened < 60
    assert not (cut / "report.md").exists()
    screened_before = _keys(cut)
    resumed = run_search(tiny, SearchConfig(**{**SMALL, "candidates": 999}), resume=cut, physics=physics)  # result settings come from the run
    whole, _ = uninterrupted
    assert resumed.screened == whole.screened == 60
    assert _keys(cut) == _keys(whole.run_dir)
    assert all(_keys(cut)[s] == k for s, k in screened_before.items())  # finished work kept as it was
    assert resumed.best.key == whole.best.key
    assert (cut / "report.md").exists()
    # resuming a complete run just reads it back
    assert run_search(tiny, SearchConfig(**SMALL), resume=cut, physics=physics).best == resumed.best


def test_a_schedule_that_fails_the_checker_is_recorded_and_never_ranked(tiny, tmp_path, monkeypatch, physics):
    real = tasks.schedule_layout
    calls = []

    def sabotage(layout, layout_dir, physics, options, **kw):
        result = real(layout, layout_dir, physics, options, **kw)
        calls.append(layout)
        if len(calls) == 2:  # the first candidate after the as-is layout
            result = replace(result, schedule=replace(result.schedule, makespan=1),
                             check=["makespan is 500, schedule says 1"])
        return result

    monkeypatch.setattr(tasks, "schedule_layout", sabotage)
    result = run_search(tiny, SearchConfig(**SMALL), out_dir=tmp_path / "run", physics=physics)
    with RunStore.open(result.run_dir) as store:
        failed = [r for r in store.schedule_records() if r.status == "failed-check"]
    assert len(failed) == 1 and failed[0].check_errors == ("makespan is 500, schedule says 1",)
    assert result.schedule_ok == 3 and failed[0].seq not in {r.seq for r in result.leaderboard}
    assert result.best.makespan > 1.0


def test_bad_settings_and_inputs_say_what_is_wrong(tiny, tmp_path, physics):
    with pytest.raises(InputError, match="candidates"):
        run_search(tiny, SearchConfig(candidates=0), physics=physics)
    with pytest.raises(InputError, match="unknown backend 'dask'; valid: local, ray"):
        run_search(tiny, SearchConfig(backend="dask"), physics=physics)
    with pytest.raises(InputError, match="unknown generator 'magic'; valid: cpsat, line, mixed, perturb, qap, random"):
        run_search(tiny, SearchConfig(**{**SMALL, "generator": "magic"}), out_dir=tmp_path / "g", physics=physics)
    with pytest.raises(LayoutError, match="file not found"):
        run_search(tmp_path / "missing.yaml", SearchConfig(**SMALL), physics=physics)
    broken = tmp_path / "broken.yaml"
    data = tiny_layout_data()
    data["stations"][0]["footprint"]["width"] = -1
    broken.write_text(yaml.safe_dump(data))
    with pytest.raises(LayoutError, match=r"stations\[0\].footprint.width: must be positive"):
        run_search(broken, SearchConfig(**SMALL), out_dir=tmp_path / "b", physics=physics)


def test_a_bad_robot_cell_or_generator_leaves_no_running_run(tiny, tmp_path, monkeypatch, physics):
    with pytest.raises(InputError) as info:
        run_search(tiny, SearchConfig(**{**SMALL, "generator": "magic"}), out_dir=tmp_path / "runs" / "g", physics=physics)
    assert str(info.value) == "unknown generator 'magic'; valid: cpsat, line, mixed, perturb, qap, random"
    with pytest.raises(InputError) as info:
        SearchConfig(generator="magic").check()  # caught by the settings check, before any run exists
    assert str(info.value) == "unknown generator 'magic'; valid: cpsat, line, mixed, perturb, qap, random"
    problem = Problem("stations[0].tasks[0]", "robot cell 'saw': task 'cut' is out of reach")

    def bad_cell(*args):
        raise LayoutError([problem])

    monkeypatch.setattr(search_run, "task_times", bad_cell)
    with pytest.raises(LayoutError) as info:
        run_search(tiny, SearchConfig(**SMALL), out_dir=tmp_path / "runs" / "cell", physics=physics)
    assert str(info.value) == "stations[0].tasks[0]: robot cell 'saw': task 'cut' is out of reach"
    assert not (tmp_path / "runs" / "g" / "run.sqlite").exists()
    assert not (tmp_path / "runs" / "cell" / "run.sqlite").exists()
    assert [r for r in list_runs(tmp_path / "runs") if r.status == "running"] == []


def test_resume_refuses_a_changed_layout_file(tiny, tmp_path, physics):
    stop = threading.Event()
    stop.set()
    with pytest.raises(SearchInterrupted) as info:
        run_search(tiny, SearchConfig(**SMALL), out_dir=tmp_path / "run", stop=stop, physics=physics)
    data = tiny_layout_data()
    data["products"][0]["demand"] = 61
    tiny.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError, match="has changed since run"):
        run_search(tiny, SearchConfig(**SMALL), resume=info.value.run_dir, physics=physics)


def test_unplaced_station_as_is_is_recorded_not_scheduled(tmp_path, physics):
    data = tiny_layout_data()
    del data["stations"][0]["position"]  # the saw: the search places it
    path = tmp_path / "unplaced.yaml"
    path.write_text(yaml.safe_dump(data))
    assert parse_layout(path.read_text()).station("saw").position is None
    result = run_search(path, SearchConfig(**SMALL), out_dir=tmp_path / "run", physics=physics)
    assert result.baseline is not None and not result.baseline.valid and result.baseline.schedule_status is None
    assert result.screened == 60 and result.best is not None
    assert "not every station" in result.baseline.problems[0]


def test_resume_keeps_the_cycle_times_the_run_started_with(tiny, tmp_path, monkeypatch, physics):
    stop = threading.Event()
    stop.set()
    with pytest.raises(SearchInterrupted) as info:
        run_search(tiny, SearchConfig(**SMALL), out_dir=tmp_path / "run", stop=stop, physics=physics)
    with RunStore.open(info.value.run_dir) as store:
        assert store.get_meta("task_times") == []

    def no_physics(*args):
        raise AssertionError("a resumed run must not simulate the robot cells again")

    monkeypatch.setattr(search_run, "task_times", no_physics)
    assert run_search(tiny, SearchConfig(**SMALL), resume=info.value.run_dir, physics=physics).screened == 60


class _LosesItsWorkers:
    """A runner that does the real work inline until `after` tasks, then behaves as a Ray
    cluster whose node died: every further call raises WorkerLost."""

    def __init__(self, real, after: int):
        self.real, self.after, self.workers = real, after, 1

    def __enter__(self):
        self.real.__enter__()
        return self

    def __exit__(self, *exc):
        return self.real.__exit__(*exc)

    def map_unordered(self, fn, items, stop=None):
        from optimizer.runner import WorkerLost

        for n, pair in enumerate(self.real.map_unordered(fn, items, stop)):
            if n >= self.after:
                raise WorkerLost("the Ray cluster stopped answering (NodeDiedError: node gone)")
            yield pair


def test_lost_workers_end_the_run_as_interrupted_with_how_to_resume(tiny, tmp_path, monkeypatch, physics):
    real_make_runner = search_run.make_runner
    monkeypatch.setattr(search_run, "make_runner",
                        lambda *a, **k: _LosesItsWorkers(real_make_runner(*a, **k), after=2))
    with pytest.raises(SearchInterrupted) as info:
        run_search(tiny, SearchConfig(**SMALL), out_dir=tmp_path / "cut", physics=physics)
    message = str(info.value)
    assert message.startswith("the Ray cluster stopped answering (NodeDiedError: node gone): search stopped after")
    assert f"--resume {tmp_path / 'cut'}" in message and info.value.exit_code == 1
    with RunStore.open(tmp_path / "cut") as store:
        assert store.get_meta("status") == "interrupted" and store.get_meta("elapsed") > 0
        assert store.counts()["screened"] == 20  # two chunks of ten were kept
    monkeypatch.setattr(search_run, "make_runner", real_make_runner)
    resumed = run_search(tiny, SearchConfig(**SMALL), resume=tmp_path / "cut", physics=physics)
    assert resumed.status == "complete" and resumed.screened == 60


def test_a_resume_while_the_run_is_in_use_is_refused(tiny, tmp_path, physics):
    import os

    stop = threading.Event()
    with pytest.raises(SearchInterrupted):
        run_search(tiny, SearchConfig(**SMALL), out_dir=tmp_path / "cut", stop=stop,
                   progress=lambda p: stop.set() if p.screened >= 10 else None, physics=physics)
    holder = RunStore.open(tmp_path / "cut", write=True)  # as a second process resuming it would
    try:
        with pytest.raises(InputError) as info:
            run_search(tiny, SearchConfig(**SMALL), resume=tmp_path / "cut", physics=physics)
        assert str(info.value) == (f"{tmp_path / 'cut'}: the run is in use by process {os.getpid()}; "
                                   "wait for it to finish or stop it first")
    finally:
        holder.close()


def test_the_running_twin_judges_the_short_list_and_the_as_is_layout_alike(tmp_path, physics):
    tiny = write_tiny_layout(tmp_path)
    config = SearchConfig(**SMALL, simulate=3, replications=4, max_replications=8)
    result = run_search(tiny, config, out_dir=tmp_path / "run", physics=physics)
    d = result.decision
    assert d.baseline is not None and d.baseline.is_baseline  # the as-is layout is always compared
    assert {x.seq for x in d.ranking} == {r.seq for r in rank(
        [r for r in load_run(tmp_path / "run").leaderboard], "makespan")[:3]}
    assert d.baseline.replications >= d.best.replications >= 4  # the same replications, paired
    # the final ranking is the twin's: the leaderboard starts with the simulated designs in its order
    assert [r.seq for r in result.leaderboard[:3]] == [x.seq for x in d.ranking]
    assert result.best.seq == d.best.seq
    # every design followed its own checked CP-SAT plan (tiny schedules are proven optimal)
    assert {x.control for x in [d.baseline, *d.ranking]} == {"cpsat"}
    with RunStore.open(tmp_path / "run") as store:
        schedules = {r.seq for r in store.schedule_records() if r.status == "ok"}
        assert {r.seq for r in store.simulation_records()} <= schedules
    report = (tmp_path / "run" / "report.md").read_text()
    assert "Verdict of the running twin" in report and "short list with a real CP-SAT schedule: 4 of 4" in report
    assert "short list with a real CP-SAT schedule: 4 of 4 (100.0 %); the rest have only the dispatch-rule fallback, labelled *(dispatch fallback)*; the as-is layout's is a CP-SAT plan" in report


def test_without_simulation_the_ranking_stays_the_plans(tmp_path, physics):
    tiny = write_tiny_layout(tmp_path)
    result = run_search(tiny, SearchConfig(**SMALL, simulate=0), out_dir=tmp_path / "run", physics=physics)
    assert result.decision is None
    assert [r.seq for r in result.leaderboard] == [r.seq for r in rank(result.leaderboard, "makespan")]
    assert "Nothing was simulated" in (tmp_path / "run" / "report.md").read_text()
