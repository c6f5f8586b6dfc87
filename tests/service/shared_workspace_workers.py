"""The processes of the shared-workspace test: app tabs saving one project's workspace, an app
search writing its run, the service's job records and uploads, and a reader that checks
every file it meets while the others write. Each runs in its own process and reports
through a queue; imported by name, like `service_fixtures`."""
from __future__ import annotations

import hashlib
import json
import os
import time
import traceback
from pathlib import Path
from typing import Any

import yaml

PROJECT = "shared"


def _report(out: Any, who: str, work) -> None:
    try:
        out.put((who, work()))
    except BaseException:  # noqa: BLE001 - the test shows it
        out.put((who, {"crash": traceback.format_exc()}))


def app_tab(folder: str, who: str, rounds: int, out: Any) -> None:
    """An app tab: load the project's workspace, add one mark, save on top of the version it
    loaded (a stale save loads again and retries), and keep a copy of a layout to search, as
    the Optimise page does."""
    os.environ["FACTORY_TWIN_APP_DIR"] = folder

    def work() -> dict:
        from twin.io import layout_from_data

        from factory_app import workspace
        from factory_app.jobs import search_input
        from service_fixtures import line_layout_data

        layout = layout_from_data(line_layout_data())
        saved, stale = [], 0
        for i in range(rounds):
            while True:
                loaded = workspace.load(PROJECT)
                snapshot, version = loaded if loaded else (workspace.Snapshot(layout={}, source="test"), None)
                mark = f"{who}-{i}"
                snapshot.schedules[mark] = {"by": who, "round": i}
                try:
                    workspace.save(PROJECT, snapshot, version)
                    saved.append(mark)
                    break
                except workspace.StaleWorkspace:
                    stale += 1
            if i % 10 == 0:
                search_input(layout.model_copy(update={"name": f"line{i % 3}"}), None, None)
        return {"saved": saved, "stale": stale}

    _report(out, who, work)


def app_search(folder: str, out: Any) -> None:
    """A layout search started from the app, writing its run database in the shared runs/."""
    os.environ["FACTORY_TWIN_APP_DIR"] = folder

    def work() -> dict:
        from twin.io import layout_from_data
        from twin.physics import Physics

        from optimizer.search.config import SearchConfig
        from factory_app.jobs import SearchJob, search_input
        from factory_app.paths import runs_dir
        from service_fixtures import line_layout_data

        path = search_input(layout_from_data(line_layout_data()), None, None)
        config = SearchConfig(candidates=40, shortlist=1, simulate=0, time_limit=1.0, seed=1, workers=1,
                              chunk_size=5)
        with Physics() as physics:
            job = SearchJob(path, config, physics, out_dir=runs_dir() / "app-search").start()
            job.wait()
        return {"error": job.error, "run": str(job.run_dir)}

    _report(out, "app-search", work)


def service_worker(folder: str, rounds: int, out: Any) -> None:
    """The service's side: uploads kept by content, job records queued, cancelled and queued
    again (job.json rewritten each time), and the runs listed and read as the routes do."""
    def work() -> dict:
        from optimizer.search.results import list_runs

        from service.jobs import JobQueue
        from service.runs import search_progress
        from service.settings import ServiceSettings
        from service.workspace import Workspace

        root = ServiceSettings(workspace=Path(folder)).check().prepare().workspace
        space = Workspace(root)
        queue = JobQueue(space, max_jobs=1)  # not started: records and the queue only
        states: dict[str, str] = {}
        progress = []
        for i in range(rounds):
            text = yaml.safe_dump({"name": f"upload{i % 5}", "round": i % 5})
            name = space.store_layout(text, "yaml")
            record = queue.submit("schedule", name, f"upload{i % 5}", {"round": i})
            states[record.id] = "queued"
            if i % 2:
                states[record.id] = queue.cancel(record.id).state
            if i % 4 == 1:
                states[record.id] = queue.resume(record.id).state
            progress.append(search_progress(space.runs / "app-search"))
        while not progress[-1] or progress[-1]["run_status"] != "complete":  # read the app's run until it ends
            runs = {run.run_dir.name: run.status for run in list_runs(space.runs)}
            progress.append(search_progress(space.runs / "app-search"))
            assert set(runs) <= {"app-search"}, runs
            time.sleep(0.05)  # leave the search the processor
        return {"states": states, "listed": len(queue.all()), "progress": [p for p in progress if p]}

    _report(out, "service", work)


def reader(folder: str, stop: Any, out: Any) -> None:
    """Reads every shared file again and again while the others write: each must parse whole,
    the workspace's version never goes back, an upload's content matches its name."""
    os.environ["FACTORY_TWIN_APP_DIR"] = folder

    def work() -> dict:
        from factory_app import workspace

        root = Path(folder)
        problems: list[str] = []
        last_version, reads = 0, 0
        while not stop.is_set() or reads == 0:
            target = workspace.project_dir(PROJECT) / workspace.FILE
            if target.exists():
                try:
                    version = json.loads(target.read_text(encoding="utf-8"))["version"]
                    if version < last_version:
                        problems.append(f"workspace version went back from {last_version} to {version}")
                    last_version = max(last_version, version)
                except (ValueError, KeyError) as exc:
                    problems.append(f"workspace.json torn: {exc}")
            for path in sorted(root.glob("runs/*/job.json")):
                try:
                    record = json.loads(path.read_text(encoding="utf-8"))
                    if record["id"] != path.parent.name:
                        problems.append(f"{path}: the record of {record['id']}")
                except (OSError, ValueError, KeyError) as exc:
                    problems.append(f"{path} torn: {exc}")
            for path in sorted(root.glob("layouts/*.yaml")):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()[:20]
                if path.stem != digest:
                    problems.append(f"{path.name}: content does not match its name")
            workspace.list_projects()
            reads += 1
        return {"problems": problems, "reads": reads}

    _report(out, "reader", work)
