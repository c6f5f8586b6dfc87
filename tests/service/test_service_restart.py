"""The server killed with kill -9 in the middle of a search loses nothing: started again on
the same workspace it lists the job as interrupted, resumes it from its run database, and
ends with the result of an uninterrupted run with the same seed and one worker, which the
app's way of running a search puts in the same workspace."""
from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from service_fixtures import YAML, line_layout_data, as_yaml

from twin.io import dump_layout

from optimizer.search.config import SearchConfig
from optimizer.search.run import run_search

from service.runs import is_locked

SEARCH = {"candidates": 120, "shortlist": 2, "simulate": 1, "replications": 2, "max_replications": 2,
          "time_limit": 2.0, "seed": 3}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`factory-twin serve` in its own process, as a user starts it."""

    def __init__(self, workspace: Path, log: Path):
        self.port = _free_port()
        self.log = open(log, "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "optimizer.cli", "serve", "--port", str(self.port), "--workspace", str(workspace)],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=60)
        while True:  # up when it answers; a server that died says why
            assert self.process.poll() is None, log.read_text()
            try:
                if self.http.get("/v1/health").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)

    def close(self) -> None:
        self.http.close()
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(60)
        self.log.close()


@pytest.fixture
def servers(tmp_path):
    started: list[Server] = []

    def start() -> Server:
        started.append(Server(tmp_path / "workspace", tmp_path / "server.log"))
        return started[-1]

    yield start
    for server in started:
        server.close()


def _poll(server: Server, job_id: str, until) -> dict:
    while True:
        job = server.http.get(f"/v1/jobs/{job_id}").json()
        if until(job):
            return job
        time.sleep(0.1)


def _rows(run_dir: Path) -> dict[int, tuple]:
    with sqlite3.connect(run_dir / "run.sqlite") as db:
        return {seq: (key, created) for seq, key, created in db.execute("SELECT seq, key, created FROM candidates")}


def test_kill_9_then_resume_gives_the_uninterrupted_result(servers, tmp_path):
    first = servers()
    job = first.http.post("/v1/jobs/search", params={**SEARCH, "workers": 1, "chunk_size": 10},
                          content=as_yaml(line_layout_data()), headers=YAML).json()
    _poll(first, job["id"], until=lambda j: (j["progress"] or {}).get("screened", 0) > 0)
    os.kill(first.process.pid, signal.SIGKILL)
    first.process.wait(60)
    run_dir = tmp_path / "workspace" / "runs" / job["id"]
    while is_locked(run_dir):  # the job's process follows its server down
        time.sleep(0.1)
    before = _rows(run_dir)
    assert 0 < len(before) < SEARCH["candidates"] + 1

    second = servers()
    listed = {j["id"]: j for j in second.http.get("/v1/jobs").json()}
    assert listed[job["id"]]["state"] == "interrupted"
    assert [r["status"] for r in second.http.get("/v1/runs").json()] == ["interrupted"]
    assert second.http.post(f"/v1/jobs/{job['id']}/resume").status_code == 202
    done = _poll(second, job["id"], until=lambda j: j["state"] not in ("queued", "running"))
    assert done["state"] == "complete", done
    after = _rows(run_dir)
    assert {seq: after[seq] for seq in before} == before  # finished work kept, not recomputed
    assert len(after) == SEARCH["candidates"] + 1

    # the uninterrupted run, made the way the app makes one, in the same workspace
    layout = tmp_path / "line.yaml"
    layout.write_text(as_yaml(line_layout_data()))
    from twin.physics import Physics

    with Physics() as physics:
        reference = run_search(layout, SearchConfig(**SEARCH, workers=1), out_dir=run_dir.parent / "app-run",
                               physics=physics)
    result = second.http.get(f"/v1/runs/{job['id']}").json()
    assert result["best_seq"] == reference.best.seq
    assert result["run"]["best_makespan"] == reference.best.makespan
    assert {seq: key for seq, (key, _) in after.items()} == {
        seq: key for seq, (key, _) in _rows(run_dir.parent / "app-run").items()}
    assert second.http.get(f"/v1/runs/{job['id']}/schedule").json() == reference.schedule_doc(reference.best.seq)
    assert second.http.get(f"/v1/runs/{job['id']}/layout").text == dump_layout(reference.best_layout())
    report = second.http.get(f"/v1/runs/{job['id']}/report")
    assert report.headers["content-type"].startswith("text/markdown") and report.text.startswith("#")
    assert str(tmp_path) not in report.text  # the server's folders are never named
    picture = second.http.get(f"/v1/runs/{job['id']}/picture")
    assert picture.headers["content-type"] == "image/png" and picture.content.startswith(b"\x89PNG\r\n\x1a\n")
    listed = {run["id"]: run["status"] for run in second.http.get("/v1/runs").json()}
    assert listed == {job["id"]: "complete", "app-run": "complete"}  # the app's runs are listed too
    assert second.http.get("/v1/runs/app-run").json()["best_seq"] == reference.best.seq
