"""Jobs: a schedule, an evaluation or a layout search, each run by the CLI's own command in a
child process (`service.child`), at most `max_jobs` at once, the rest queued in order.

A job is a folder `runs/<id>/` in the workspace holding `job.json` (what was asked and the
job's state, rewritten atomically at each change) and the command's output: `schedule.json`,
`evaluation.json`, or, for a search, the run folder itself (run database, best layout,
schedule, report, picture). A search's progress is read from its run database, so a server
killed with kill -9 and started again lists every job, puts the queued ones back in the
queue, and finds the running ones interrupted (their children died with the server, after
marking their runs so); `resume` continues a search from its run database, with nothing
finished lost or recomputed, and runs a schedule or an evaluation again from the start (they
keep nothing partial).
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from optimizer.store import DB_NAME

from service.problems import ServiceError
from service.workspace import Workspace, new_job_id, read_json, write_json

JOB_FILE = "job.json"
KINDS = ("schedule", "evaluate", "search")
ACTIVE = ("queued", "running")
RESUMABLE = ("cancelled", "interrupted", "failed")
INTERRUPTED_EXIT = 130
PROJECT_ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("factory_twin.service")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class JobRecord:
    """What `job.json` holds. `state`: queued, running, complete, failed, cancelled (by a
    client; resumable) or interrupted (the server stopped or died; resumable)."""

    id: str
    kind: str
    layout_file: str  # relative to the workspace: layouts/<hash>.yaml
    layout_name: str
    params: dict[str, Any]
    state: str = "queued"
    created: str = field(default_factory=_now)
    started: str | None = None
    finished: str | None = None
    exit_code: int | None = None
    error: str | None = None
    runs: int = 0  # times a child was started for it (1 + resumes)
    queued_at: float = field(default_factory=time.time)  # the queue's order, kept over a restart

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "JobRecord":
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in names})


def cli_arguments(record: JobRecord, resume: bool, address: str | None = None) -> list[str]:
    """The CLI command line of a job, paths relative to the workspace; a search on the ray
    backend runs on the server's Ray cluster at `address` (None: a local Ray of its own)."""
    p, out = record.params, f"runs/{record.id}"
    if record.kind == "schedule":
        return ["schedule", record.layout_file, "--out", f"{out}/schedule.json", "--time-limit", str(p["time_limit"]),
                "--workers", str(p["workers"]), "--seed", str(p["seed"]), "--objective", p["objective"],
                "--solver", p["solver"]]
    if record.kind == "evaluate":
        args = ["evaluate", record.layout_file, "--json", "--replications", str(p["replications"]),
                "--seed", str(p["seed"]), "--workers", str(p["workers"]), "--warmup", str(p["warmup"])]
        if p.get("schedule_file"):
            args += ["--schedule", p["schedule_file"]]
        else:
            args += ["--policy", p["policy"]]
        if p.get("horizon") is not None:
            args += ["--horizon", str(p["horizon"])]
        return args
    where = ["--workers", str(p["workers"]), "--backend", p["backend"], "--chunk-size", str(p.get("chunk_size", 50))]
    if p["backend"] == "ray" and address:
        where += ["--address", address]
    if resume:
        return ["optimize", record.layout_file, "--quiet", "--resume", out, *where]
    result = [f"--{name.replace('_', '-')}={p[name]}" for name in
              ("candidates", "shortlist", "time_limit", "simulate", "replications", "max_replications", "seed",
               "generator", "objective") if p.get(name) is not None]
    return ["optimize", record.layout_file, "--quiet", "--out", out, *where, *result]


def error_text(stderr: str, exit_code: int) -> str:
    """The CLI's own message from a child's stderr; a traceback is never passed on."""
    if "Traceback (most recent call last)" in stderr or not stderr.strip():
        return f"the job failed unexpectedly (exit code {exit_code}); the server's job log has the details"
    start = stderr.find("error: ")
    text = stderr[start + len("error: "):] if start >= 0 else stderr
    return text.strip()[:4000]


class JobQueue:
    """The jobs of one workspace: records on disk, a FIFO queue and `max_jobs` worker threads,
    each starting one child process at a time and waiting for it."""

    def __init__(self, workspace: Workspace, max_jobs: int, ray_address: str | None = None):
        self.workspace = workspace
        self.max_jobs = max_jobs
        self.ray_address = ray_address  # read when a job starts, so a restart with another address applies
        self._cond = threading.Condition()
        self._pending: deque[str] = deque()
        self._children: dict[str, subprocess.Popen] = {}
        self._cancel: set[str] = set()
        self._threads: list[threading.Thread] = []
        self._closing = False

    # --- records ---------------------------------------------------------------------------

    def _path(self, job_id: str) -> Path:
        return self.workspace.runs / job_id / JOB_FILE

    def _save(self, record: JobRecord) -> None:
        write_json(self._path(record.id), asdict(record))

    def get(self, job_id: str) -> JobRecord:
        path = self.workspace.run_dir(job_id) / JOB_FILE
        if not path.is_file():
            raise ServiceError(404, "not-found", "Not found", f"no job {job_id!r}")
        return JobRecord.from_dict(read_json(path))

    def all(self) -> list[JobRecord]:
        """Every job in the workspace, oldest first."""
        records = []
        for path in sorted(self.workspace.runs.glob(f"*/{JOB_FILE}")):
            try:
                records.append(JobRecord.from_dict(read_json(path)))
            except (OSError, ValueError, TypeError):
                log.warning("skipping unreadable %s", path)
        return sorted(records, key=lambda r: (r.created, r.id))

    def position(self, job_id: str) -> int | None:
        """1 for the next job to start; None when the job is not waiting."""
        with self._cond:
            try:
                return self._pending.index(job_id) + 1
            except ValueError:
                return None

    # --- life cycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Take up the workspace as a previous server left it, then start the worker threads."""
        self.recover()
        for n in range(self.max_jobs):
            thread = threading.Thread(target=self._work, name=f"factory-twin-job-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def recover(self) -> None:
        """Queued jobs back in the queue in their order; running ones (whose children died
        with the previous server) marked interrupted, or complete if their run finished."""
        queued = []
        for record in sorted(self.all(), key=lambda r: r.queued_at):
            if record.state == "queued":
                queued.append(record.id)
            elif record.state == "running":  # its child died with the previous server
                record.state = "interrupted"
                if record.kind == "search" and (self.workspace.runs / record.id / DB_NAME).is_file():
                    from service.runs import search_progress

                    progress = search_progress(self.workspace.runs / record.id) or {}
                    if progress.get("run_status") == "complete":
                        record.state = "complete"
                record.finished = record.finished or _now()
                self._save(record)
        with self._cond:
            self._pending.extend(queued)

    def close(self, timeout: float = 60.0) -> None:
        """Stop: queued jobs stay queued for the next start, running ones are stopped the way
        Ctrl-C stops the CLI and are marked interrupted (a search keeps its finished work)."""
        with self._cond:
            self._closing = True
            children = list(self._children.values())
            self._cond.notify_all()
        for child in children:
            _terminate(child)
        for thread in self._threads:
            thread.join(timeout)

    def submit(self, kind: str, layout_file: str, layout_name: str, params: dict[str, Any]) -> JobRecord:
        record = JobRecord(new_job_id(kind), kind, layout_file, layout_name, params)
        (self.workspace.runs / record.id).mkdir(parents=True)
        with self._cond:
            self._save(record)
            self._pending.append(record.id)
            self._cond.notify()
        return record

    def cancel(self, job_id: str) -> JobRecord:
        """A queued job leaves the queue; a running one is stopped (a search keeps its work
        and can be resumed). Cancelling a finished job is a conflict."""
        with self._cond:
            record = self.get(job_id)
            if record.state == "queued" and job_id in self._pending:
                self._pending.remove(job_id)
                record.state, record.finished = "cancelled", _now()
                self._save(record)
                return record
            child = self._children.get(job_id)
            if record.state != "running" or child is None:
                raise ServiceError(409, "not-active", "The job is not active",
                                   f"job {job_id} is {record.state}; only a queued or running job can be cancelled")
            self._cancel.add(job_id)
        _terminate(child)
        return record

    def resume(self, job_id: str) -> JobRecord:
        """Queue a cancelled, interrupted or failed job again."""
        with self._cond:
            record = self.get(job_id)
            if record.state not in RESUMABLE:
                raise ServiceError(409, "not-resumable", "The job cannot be resumed",
                                   f"job {job_id} is {record.state}; only a cancelled, interrupted or failed job "
                                   "can be resumed")
            record.state, record.finished, record.exit_code, record.error = "queued", None, None, None
            record.queued_at = time.time()
            self._save(record)
            self._pending.append(job_id)
            self._cond.notify()
        return record

    # --- the workers -------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closing:
                    self._cond.wait()
                if self._closing:
                    return
                job_id = self._pending.popleft()
                try:
                    record = self.get(job_id)
                except ServiceError:  # its folder was removed while it waited
                    continue
                resume = record.kind == "search" and (self.workspace.runs / job_id / DB_NAME).is_file()
                record.state, record.started, record.runs = "running", _now(), record.runs + 1
                self._save(record)
                try:
                    child = self._launch(record, resume)
                except OSError as exc:
                    record.state, record.finished, record.error = "failed", _now(), f"cannot start the job: {exc}"
                    self._save(record)
                    continue
                self._children[job_id] = child
            _, stderr = child.communicate()
            with self._cond:
                del self._children[job_id]
                self._finish(record, child.returncode, stderr)

    def _launch(self, record: JobRecord, resume: bool) -> subprocess.Popen:
        folder = self.workspace.runs / record.id
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH")) if p)
        command = [sys.executable, "-m", "service.child", str(os.getpid()), *cli_arguments(record, resume, self.ray_address)]
        stdout = open(folder / ".stdout.part", "wb")  # noqa: SIM115 - the child writes it
        try:
            return subprocess.Popen(command, cwd=self.workspace.root, env=env, stdin=subprocess.DEVNULL,
                                    stdout=stdout, stderr=subprocess.PIPE, text=True)
        finally:
            stdout.close()

    def _finish(self, record: JobRecord, code: int, stderr: str) -> None:
        folder = self.workspace.runs / record.id
        part = folder / ".stdout.part"
        (folder / "job.log").write_text(stderr, encoding="utf-8")
        record.exit_code, record.finished = code, _now()
        cancelled = record.id in self._cancel
        self._cancel.discard(record.id)
        if code == 0:
            record.state, record.error = "complete", None
            if record.kind == "evaluate":
                os.replace(part, folder / "evaluation.json")
        elif code == INTERRUPTED_EXIT or code == -signal.SIGTERM:
            record.state = "cancelled" if cancelled else "interrupted"
            record.error = None
        else:
            record.state, record.error = "failed", error_text(stderr, code)
            if "Traceback" in stderr:
                log.error("job %s failed:\n%s", record.id, stderr)
        if part.exists():
            part.unlink()
        self._save(record)


def _terminate(child: subprocess.Popen) -> None:
    try:
        child.send_signal(signal.SIGTERM)
    except ProcessLookupError:
        pass
