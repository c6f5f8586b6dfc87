"""The Streamlit app and the service share one workspace without corrupting it: separate
processes write to one folder at once, many rounds each, through the app's workspace code
(two tabs saving one project, a search writing its run) and the service's (uploads, job
records rewritten as jobs are queued, cancelled and queued again, runs listed and read),
while a reader checks every file it meets. Nothing torn, nothing lost, nothing left over."""
from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

import factory_app.jobs  # noqa: F401 - imported once here, so the forked processes start at once
import factory_app.workspace  # noqa: F401
import optimizer.search.run  # noqa: F401
import service.jobs  # noqa: F401
from shared_workspace_workers import PROJECT, app_search, app_tab, reader, service_worker

ROUNDS = 60


def test_the_app_and_the_service_write_one_workspace_at_once(tmp_path: Path):
    folder = str(tmp_path / "shared")
    Path(folder).mkdir()
    spawn = multiprocessing.get_context("fork")  # separate processes, without importing everything again
    out, stop = spawn.Queue(), spawn.Event()
    writers = [spawn.Process(target=app_tab, args=(folder, "tab1", ROUNDS, out)),
               spawn.Process(target=app_tab, args=(folder, "tab2", ROUNDS, out)),
               spawn.Process(target=app_search, args=(folder, out)),
               spawn.Process(target=service_worker, args=(folder, ROUNDS, out))]
    watcher = spawn.Process(target=reader, args=(folder, stop, out))
    for process in [watcher, *writers]:
        process.start()
    results = {}
    for _ in writers:
        who, result = out.get(timeout=600)
        results[who] = result
    stop.set()
    who, result = out.get(timeout=600)
    results[who] = result
    for process in [watcher, *writers]:
        process.join(60)
    assert not [r["crash"] for r in results.values() if "crash" in r]

    assert results["reader"]["problems"] == [] and results["reader"]["reads"] > 0  # no torn read
    root = Path(folder)
    # no lost update: the project holds every mark either tab saved, one version per save
    saved = results["tab1"]["saved"] + results["tab2"]["saved"]
    assert len(saved) == 2 * ROUNDS
    data = json.loads((root / "workspaces" / PROJECT / "workspace.json").read_text())
    assert set(data["snapshot"]["schedules"]) == set(saved)
    assert data["version"] == 2 * ROUNDS
    # every job record as the service last wrote it, none lost
    states = results["service"]["states"]
    on_disk = {p.parent.name: json.loads(p.read_text())["state"] for p in root.glob("runs/*/job.json")}
    assert on_disk == states and results["service"]["listed"] == ROUNDS
    assert sorted(set(states.values())) == ["cancelled", "queued"]
    # the app's search finished in the shared runs/ and the service read it while it ran
    assert results["app-search"]["error"] is None
    from optimizer.search.results import list_runs

    assert [(r.run_dir.name, r.status, r.screened) for r in list_runs(root / "runs")] == [("app-search", "complete", 40)]
    progress = results["service"]["progress"]
    screened = [p["screened"] for p in progress]
    assert screened == sorted(screened)  # progress read while written never goes back
    assert {p["run_status"] for p in progress} <= {"running", "complete"}  # never taken for interrupted
    # nothing damaged, no temporary file left behind
    assert not list(root.rglob("*.damaged"))
    assert not [p for p in root.rglob(".*") if p.is_file() and p.name != ".lock"]


def test_a_run_that_ends_while_it_is_read_is_not_taken_for_interrupted(tmp_path: Path, monkeypatch):
    """Found by the test above: the service read an app run's status ("running"), the run then
    marked itself complete and let go of its lock, and only then did the service look at the
    lock, so it reported a finished run as interrupted. Here the run ends at that very moment."""
    from optimizer.store import RunStore

    from service.runs import search_progress

    run = RunStore.create(tmp_path / "run")
    run.set_meta(status="running", config={"candidates": 5})
    read = RunStore.meta

    def read_then_the_run_ends(store: RunStore) -> dict:
        meta = read(store)
        run.set_meta(status="complete")
        run.close()  # lets go of the lock
        return meta

    monkeypatch.setattr(RunStore, "meta", read_then_the_run_ends)
    assert search_progress(tmp_path / "run")["run_status"] == "running"  # as read, not "interrupted"
    monkeypatch.undo()
    assert search_progress(tmp_path / "run")["run_status"] == "complete"
    killed = RunStore.create(tmp_path / "killed")
    killed.set_meta(status="running", config={})
    killed.close()  # as a kill -9 leaves it: marked running, held by nobody
    assert search_progress(tmp_path / "killed")["run_status"] == "interrupted"


def test_the_run_list_reads_the_lock_table_twice_not_twice_per_run(client, workspace: Path, monkeypatch):
    """/proc/locks holds every lock on the machine: the list reads it before and after the runs'
    statuses, once each, and tells a held run, a killed one and a finished one apart."""
    from optimizer.search import results
    from optimizer.store import RunStore

    import service.runs as runs

    stores = {}
    for name, status in [("held", "running"), ("killed", "running"), ("done", "complete")]:
        stores[name] = RunStore.create(workspace / "runs" / name)
        stores[name].set_meta(status=status, config={"candidates": 5})
    stores["killed"].close()  # as a kill -9 leaves it: marked running, held by nobody
    stores["done"].close()
    table = runs.LockTable()
    assert [table.holds(workspace / "runs" / name) for name in stores] == [True, False, False]
    summaries = [results.RunSummary(workspace / "runs" / name, "line", f"2026-01-0{i + 1}", status, 5, 0, 0,
                                    None, None, None, None)
                 for i, (name, status) in enumerate([("held", "running"), ("killed", "running"), ("done", "complete")])]
    monkeypatch.setattr(results, "list_runs", lambda root: summaries)
    reads = []
    original = runs.LockTable.__init__

    def counted(table) -> None:
        reads.append(1)
        original(table)

    monkeypatch.setattr(runs.LockTable, "__init__", counted)
    listed = {run["id"]: run["status"] for run in client.get("/v1/runs").json()}
    assert listed == {"held": "running", "killed": "interrupted", "done": "complete"}
    assert len(reads) == 2
    stores["held"].close()


def test_a_progress_poll_counts_the_replications_without_reading_them(tmp_path: Path, monkeypatch):
    from optimizer.store import RunStore, SimulationRecord

    from service.runs import search_progress

    store = RunStore.create(tmp_path / "run")
    store.set_meta(status="running", config={"candidates": 5})
    store.add_simulations([SimulationRecord(0, r, "ok", "fifo", {"makespan": 1.0}) for r in range(3)])
    store.add_simulations([SimulationRecord(1, r, "ok", "cpsat", {"makespan": 2.0}) for r in range(2)])
    monkeypatch.setattr(RunStore, "simulation_records", lambda self: pytest.fail("every replication read"))
    assert search_progress(tmp_path / "run")["simulated_replications"] == 5
    store.close()
