"""Long work off the page's thread: a layout search runs in a background thread and the page
polls its latest progress, so the browser never freezes and the search can be stopped.

The thread never calls Streamlit; it only writes plain attributes that the page reads.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twin.errors import FactoryTwinError, LayoutError
from twin.io import dump_layout, save_layout
from twin.model import Layout
from twin.physics import Physics

from factory_app.paths import runs_dir, safe_name


def search_input(layout: Layout, source_path: Path | None, layout_dir: Path | None) -> Path:
    """The layout file to search: the sample file itself when the layout is unchanged, else a
    copy saved under runs/inputs (inside the working folder). A layout naming a robot file
    next to it cannot move away from that file, so it must be searched unedited."""
    if source_path is not None and source_path.is_file():
        from twin.io import load_layout

        try:
            if load_layout(source_path) == layout:
                return source_path
        except LayoutError:
            pass
    if any(s.cell is not None and s.cell.robot.lower().endswith(".urdf") for s in layout.stations):
        raise LayoutError("this edited layout names robot files next to the original; save it beside them and "
                          "search it with `factory-twin optimize` instead")
    import hashlib

    digest = hashlib.sha256(dump_layout(layout).encode()).hexdigest()[:10]
    return save_layout(layout, runs_dir() / "inputs" / f"{safe_name(layout.name)}-{digest}.yaml")


@dataclass
class JobView:
    """What the page shows about a job, read in one go."""

    fraction: float
    text: str
    done: bool


class BackgroundJob:
    """Work in a daemon thread that the page polls: `start`, `stop` (asks; the work checks
    `_stop` between its steps), `done`, `wait`. Subclasses give `_work` and `name`; what it
    returns becomes `result`, what it raises a plain `error` message (never a traceback on
    the page), and `elapsed` stops when it ends."""

    name = "factory-twin-job"

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._started = clock()
        self._ended: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.result: Any = None
        self.error: str | None = None

    def start(self):
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    @property
    def done(self) -> bool:
        return self._thread is not None and not self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
        return self.done

    @property
    def elapsed(self) -> float:
        return (self._ended if self._ended is not None else self._clock()) - self._started

    def _run(self) -> None:
        try:
            self.result = self._work()
        except FactoryTwinError as exc:
            self.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - the page shows it as a message
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self._ended = self._clock()

    def _work(self) -> Any:
        raise NotImplementedError


class SearchJob(BackgroundJob):
    """One layout search in a daemon thread: `progress` is the latest snapshot, `run_dir` the
    run's folder, `error` a plain message when it fails or is stopped."""

    name = "factory-twin-search"

    def __init__(self, layout_path: Path, config: Any, physics: Physics, out_dir: Path | None = None,
                 resume: Path | None = None, clock: Callable[[], float] = time.monotonic):
        super().__init__(clock)
        self.layout_path = Path(layout_path)
        self.physics = physics
        self.config = config
        self.out_dir = None if resume is not None else out_dir
        self.resume = resume
        self.progress: Any = None
        self.stopped = False  # the planner stopped it: the run folder holds what was finished
        self.run_dir: Path | None = resume if resume is not None else out_dir
        self.shown = False  # the page has switched to this run's results once (never again)

    def _work(self) -> Any:
        from optimizer.search.run import SearchInterrupted, run_search

        try:
            result = run_search(self.layout_path, self.config, out_dir=self.out_dir, resume=self.resume,
                                progress=self._on_progress, stop=self._stop, physics=self.physics)
        except SearchInterrupted as exc:
            if not (self._stop.is_set() and exc.exit_code == SearchInterrupted.exit_code):
                raise
            self.stopped = True  # the planner's Stop: not an error, the run folder keeps what was done
            return None
        self.run_dir = result.run_dir
        return result

    def _on_progress(self, progress: Any) -> None:
        self.progress = progress

    def view(self) -> JobView:
        """The progress as of now: the clock runs on between the search's own reports."""
        return describe(self.progress, self.done, self.error, self.elapsed, self.stopped)


def fraction(progress: Any) -> float:
    """Share of the work done: screening is the first 60 %, scheduling the short list the rest."""
    if progress is None:
        return 0.0
    if progress.stage == "done":
        return 1.0
    screen = progress.screened / progress.candidates if progress.candidates else 1.0
    sched = progress.scheduled / progress.shortlist if progress.shortlist else 1.0
    if progress.stage in ("start", "screen"):
        return max(0.0, min(1.0, 0.6 * screen))
    return max(0.0, min(1.0, 0.6 + 0.4 * sched))


def describe(progress: Any, done: bool, error: str | None = None, elapsed: float | None = None,
             stopped: bool = False) -> JobView:
    """The progress line; `elapsed` (the page's clock) overrides the last report's, which
    stands still while a stage prepares (measuring robot cells takes a while)."""
    p = progress
    seconds = elapsed if elapsed is not None else (p.elapsed if p is not None else 0.0)
    clock = duration(seconds)
    if stopped:
        counts = f": {p.screened:,} of {p.candidates:,} screened, {p.scheduled} scheduled" if p is not None else ""
        return JobView(fraction(p), f"Stopped after {clock}{counts}.", done)
    if error:
        return JobView(fraction(p), error, done)
    if p is None or p.stage == "start":
        return JobView(0.0, f"Preparing the search (robot cells, routes) · {clock}", done)
    best = f" · best makespan {p.best_makespan:,.0f} s" if p.best_makespan is not None else ""
    eta = f" · about {duration(p.eta)} left" if p.eta is not None and not done else ""
    stage = STAGES.get(p.stage, p.stage)
    text = (f"{stage}: screened {p.screened:,}/{p.candidates:,} ({p.valid:,} valid) · "
            f"scheduled {p.scheduled}/{p.shortlist}{best} · {clock}{eta}")
    return JobView(1.0 if done else fraction(p), text, done)


STAGES = {"screen": "Screening", "schedule": "Scheduling the short list", "simulate": "Simulating",
          "report": "Writing the report", "done": "Done"}


def duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60:02d} s"
