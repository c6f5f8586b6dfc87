"""The layout search run: generate candidates, screen them all fast, schedule the short list,
rank, and keep the Pareto front.

Stage 1 (every candidate, in chunks per worker task): the independent layout checker
(`optimizer.layout_checker.check_layout`; invalid candidates are stored with their problems
and never shortlisted), the routed material-flow distance (volume x aisle or conveyor
metres, as `twin.graph.flow_distance`), the installed conveyor length and the floor area the
stations use (`twin.graph.used_area`).

Stage 2 (the as-is layout plus the `shortlist` distinct candidates with the shortest flow
distance): the CP-SAT scheduler with one search worker per task under a short time limit,
warm-started by its dispatching rules; every schedule goes through the independent
`check_schedule`, and one that fails is recorded as such and never ranked. Robot-cell cycle
times come from physics once per run: a task's cycle lives in the cell's own frame, so it
does not change when the station moves.

The candidate sequence is deterministic per seed and made in the parent process: first the
placement generator's candidates (`optimizer.placement.generate`), then refinement rounds
that perturb the best screened layouts so far (`optimizer.placement.perturb`). Duplicates
(same `candidate_key`) are skipped. Every result goes into the run database as it comes in,
so a resumed run regenerates the same sequence, skips what is done and ends with the same
count as an uninterrupted one.

Ranking: by makespan (throughput ranks the same way; weighted tardiness first by its value),
then by flow distance, then by candidate key, so equal numbers never reorder between runs.
The Pareto front is over makespan, floor area and travel (installed conveyor metres plus AGV
metres driven in the schedule).
"""
from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from twin.errors import FactoryTwinError, InputError, LayoutError, NoFeasibleSchedule
from twin.model import Layout

from optimizer.schedule import OBJECTIVES as schedule_objectives
from optimizer.store import DB_NAME, RunStore, ScheduleRecord, ScreenRecord

# the scheduler's objectives, plus throughput (units per hour of the makespan schedule)
OBJECTIVES = (*schedule_objectives, "throughput")
REFINE_ROUND = 250  # candidates per refinement round (results of a round feed the next)
ELITE = 16  # best screened layouts a refinement round perturbs


# --- settings, progress, results ----------------------------------------------------------------


@dataclass(frozen=True)
class SearchConfig:
    """What to search and how. The first group decides the result and is fixed for a run (a
    resumed run keeps its own); `workers`, `backend`, `address` and `chunk_size` only decide
    where and how fast the work runs."""

    candidates: int = 5000
    shortlist: int = 200
    time_limit: float = 1.5  # seconds per schedule
    seed: int = 0
    generator: str = "mixed"
    objective: str = "makespan"
    refine: float = 0.2  # share of the candidates made by perturbing the best screened ones
    workers: int = 2
    backend: str = "local"
    address: str | None = None
    chunk_size: int = 50  # candidates per stage-1 task

    RESULT_FIELDS = ("candidates", "shortlist", "time_limit", "seed", "generator", "objective", "refine")

    def check(self) -> "SearchConfig":
        """Raise InputError naming the first bad setting."""
        if not isinstance(self.candidates, int) or self.candidates < 1:
            raise InputError(f"candidates must be a whole number >= 1, got {self.candidates!r}")
        if not isinstance(self.shortlist, int) or self.shortlist < 0:
            raise InputError(f"shortlist must be a whole number >= 0, got {self.shortlist!r}")
        if not (isinstance(self.time_limit, (int, float)) and self.time_limit > 0 and math.isfinite(self.time_limit)):
            raise InputError(f"time limit must be a positive number of seconds, got {self.time_limit!r}")
        if not isinstance(self.workers, int) or self.workers < 1:
            raise InputError(f"workers must be a whole number >= 1, got {self.workers!r}")
        if not isinstance(self.chunk_size, int) or self.chunk_size < 1:
            raise InputError(f"chunk size must be a whole number >= 1, got {self.chunk_size!r}")
        if self.objective not in OBJECTIVES:
            raise InputError(f"unknown objective {self.objective!r}; valid: {', '.join(OBJECTIVES)}")
        if not 0 <= self.refine <= 1:
            raise InputError(f"refine must be between 0 and 1, got {self.refine!r}")
        from optimizer.runner import BACKENDS

        if self.backend not in BACKENDS:
            raise InputError(f"unknown backend {self.backend!r}; valid: {', '.join(BACKENDS)}")
        if self.address and self.backend != "ray":
            raise InputError("an address is only used with the ray backend")
        from optimizer.placement import GENERATORS

        if self.generator not in GENERATORS:
            raise InputError(f"unknown generator {self.generator!r}; valid: {', '.join(sorted(GENERATORS))}")
        return self

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SearchConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class Progress:
    """A snapshot for progress bars: stage is 'start', 'screen', 'schedule', 'report' or 'done'."""

    stage: str
    screened: int
    candidates: int
    valid: int
    scheduled: int
    shortlist: int  # schedules in stage 2 (the as-is layout included)
    best_makespan: float | None
    best_flow: float | None
    elapsed: float
    eta: float | None


@dataclass(frozen=True)
class CandidateRow:
    """One evaluated layout, as the report, the app and the leaderboard show it. Times in
    seconds, distances in metres, flow distance in unit-metres, area in m^2."""

    seq: int
    key: str
    origin: str
    valid: bool
    problems: tuple[str, ...]
    flow_distance: float | None
    conveyor_length: float | None
    floor_area: float | None
    schedule_status: str | None = None  # None: not scheduled; ok / failed-check / infeasible / error
    makespan: float | None = None
    throughput: float | None = None  # units per hour
    objective_value: float | None = None
    agv_distance: float | None = None
    check_errors: tuple[str, ...] = ()
    placements: dict[str, list[float]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_baseline(self) -> bool:
        return self.seq == 0

    @property
    def travel(self) -> float | None:
        """Installed conveyor metres plus AGV metres driven in the schedule."""
        if self.conveyor_length is None or self.agv_distance is None:
            return None
        return self.conveyor_length + self.agv_distance

    @property
    def ranked(self) -> bool:
        return self.schedule_status == "ok"

    def layout(self, base: Layout) -> Layout:
        """This candidate as a layout: the base with this candidate's placements."""
        return apply_placements(base, self.placements)


@dataclass
class SearchResult:
    run_dir: Path
    layout_path: Path
    layout_name: str
    config: SearchConfig
    status: str  # running, interrupted, complete
    screened: int
    valid: int
    scheduled: int  # candidates scheduled in stage 2 (the as-is layout not counted)
    schedule_ok: int  # ... whose schedule passed the checker
    baseline: CandidateRow | None
    best: CandidateRow | None
    leaderboard: list[CandidateRow]  # ranked candidates, best first
    pareto: list[CandidateRow]  # non-dominated on makespan, floor area, travel
    elapsed: float
    started: str = ""

    def improvement(self) -> dict[str, dict[str, float | None]]:
        """Best vs as-is per measure: both values, the change and the change in % of as-is
        (negative is better for every measure but throughput)."""
        out: dict[str, dict[str, float | None]] = {}
        for name in ("makespan", "throughput", "flow_distance", "floor_area", "travel", "conveyor_length", "agv_distance"):
            a = getattr(self.baseline, name) if self.baseline else None
            b = getattr(self.best, name) if self.best else None
            delta = b - a if a is not None and b is not None else None
            pct = 100.0 * delta / a if delta is not None and a else None
            out[name] = {"as_is": a, "best": b, "change": delta, "percent": pct}
        return out

    def base_layout(self) -> Layout:
        with RunStore.open(self.run_dir) as store:
            return _stored_layout(store)

    def best_layout(self) -> Layout | None:
        return self.best.layout(self.base_layout()) if self.best else None

    def schedule_doc(self, seq: int) -> dict[str, Any] | None:
        """The checked schedule JSON of a scheduled layout (seq 0: the as-is layout)."""
        with RunStore.open(self.run_dir) as store:
            return store.schedule_json(seq)


@dataclass(frozen=True)
class RunSummary:
    run_dir: Path
    layout_name: str
    started: str
    status: str
    candidates: int
    screened: int
    scheduled: int
    baseline_makespan: float | None
    best_makespan: float | None
    baseline_flow: float | None
    best_flow: float | None


class SearchInterrupted(FactoryTwinError):
    """Ctrl-C or a stop request: the run folder holds everything finished so far."""

    exit_code = 130

    def __init__(self, run_dir: Path, layout_path: Path, counts: dict[str, int], config: SearchConfig):
        self.run_dir = run_dir
        self.counts = counts
        super().__init__(
            f"search stopped after screening {counts['screened']} of {config.candidates} candidates and scheduling "
            f"{counts['scheduled']} of {config.shortlist}; finished work is kept in {run_dir / DB_NAME}. "
            f"Resume with: factory-twin optimize {layout_path} --resume {run_dir}"
        )


# --- placements ---------------------------------------------------------------------------------


def apply_placements(base: Layout, placements: dict[str, list[float]]) -> Layout:
    """The base layout with stations moved to stored [x, y, rotation] placements."""
    return base.with_placements({sid: ((float(p[0]), float(p[1])), int(p[2])) for sid, p in placements.items()})


def _placements_of(layout: Layout) -> dict[str, list[float]]:
    from optimizer import placement

    return {sid: [float(p[0]), float(p[1]), int(p[2])] for sid, p in placement.placements(layout).items()}


def _all_placed(layout: Layout) -> bool:
    return all(s.position is not None for s in layout.stations)


# --- the work done in workers ---------------------------------------------------------------------


@dataclass(frozen=True)
class EvalContext:
    """What every task needs besides its candidates; sent once per worker."""

    layout_json: str
    layout_dir: str
    task_times: tuple[tuple[str, str, float], ...]
    time_limit: float
    seed: int
    objective: str  # the scheduler's objective


_BASE_CACHE: dict[str, Layout] = {}


def _context_layout(ctx: EvalContext) -> Layout:
    base = _BASE_CACHE.get(ctx.layout_json)
    if base is None:
        base = Layout.model_validate_json(ctx.layout_json)
        _BASE_CACHE.clear()
        _BASE_CACHE[ctx.layout_json] = base
    return base


def screen_layout(layout: Layout, layout_dir: Path, reference: Layout, measure_invalid: bool = False) -> dict[str, Any]:
    """Stage 1 of one layout: validity (the independent checker), flow distance, conveyor
    length, floor area. Invalid layouts get their problems, and metrics only when
    `measure_invalid` (the as-is layout is measured whatever the checker says)."""
    from twin.graph import AisleRouter, material_flows, transport_legs, used_area

    from optimizer.layout_checker import check_layout

    if not _all_placed(layout):
        return {"valid": False, "problems": ["not every station has a position"]}
    router = AisleRouter(layout)  # shared by the checker's reachability test and the flows
    problems = [str(p) for p in check_layout(layout, layout_dir=layout_dir, reference=reference, router=router)]
    if problems and not measure_invalid:
        return {"valid": False, "problems": problems}
    legs = transport_legs(layout, router)  # routed once, shared by flow and conveyor metres
    flow = 0.0
    unroutable = []
    for pair, volume in material_flows(layout).items():
        distance = legs[pair].distance
        if not math.isfinite(distance):
            unroutable.append(f"material flow {pair[0]} -> {pair[1]} has no aisle route")
        flow += volume * distance
    if unroutable:
        return {"valid": False, "problems": problems + unroutable}
    conveyor = sum(leg.distance for leg in legs.values() if leg.mover == "conveyor")
    return {"valid": not problems, "problems": problems, "flow_distance": flow, "conveyor_length": conveyor,
            "floor_area": used_area(layout)}


def screen_chunk(ctx: EvalContext, chunk: list[tuple[int, str, str, dict]]) -> list[ScreenRecord]:
    """A stage-1 task: screen each (seq, key, origin, placements) of the chunk (seq 0, the
    as-is layout, is measured even when the checker objects)."""
    base = _context_layout(ctx)
    out = []
    for seq, key, origin, placements in chunk:
        started = time.perf_counter()
        try:
            metrics = screen_layout(apply_placements(base, placements), Path(ctx.layout_dir), base,
                                    measure_invalid=seq == 0)
        except ImportError:
            raise  # a missing module is a broken installation, not a bad candidate
        except FactoryTwinError as exc:
            metrics = {"valid": False, "problems": [f"screening failed: {exc}"]}
        except Exception as exc:  # noqa: BLE001 - one broken candidate must not end a long run
            metrics = {"valid": False, "problems": [f"screening failed: {type(exc).__name__}: {exc}"]}
        out.append(ScreenRecord(
            seq=seq, key=key, origin=origin, placements=placements, valid=metrics["valid"],
            problems=tuple(metrics["problems"]), flow_distance=metrics.get("flow_distance"),
            conveyor_length=metrics.get("conveyor_length"), floor_area=metrics.get("floor_area"),
            seconds=time.perf_counter() - started,
        ))
    return out


def schedule_layout(layout: Layout, task_times: dict[tuple[str, str], float], *, time_limit: float, seed: int,
                    objective: str) -> tuple[dict[str, Any], list[str]]:
    """Stage 2 of one layout: its scheduling problem solved by CP-SAT, and the independent
    checker's verdict. Returns (schedule JSON, errors).

    One search worker and a budget in CP-SAT's deterministic time (`time_limit` / 2 units,
    about `time_limit` wall seconds on a 2-core machine) make the result depend on the seed
    alone, not on the machine's load; the wall clock (4 x `time_limit`) is only a safety net."""
    from optimizer.problem import layout_problem
    from optimizer.schedule import check_schedule, schedule_to_json
    from optimizer.scheduler import solve

    problem = layout_problem(layout, task_times=task_times)
    schedule = solve(problem, time_limit=4 * time_limit, deterministic_time=time_limit / 2, workers=1, seed=seed,
                     objective=objective)
    errors = check_schedule(problem, schedule)
    return schedule_to_json(problem, schedule, layout.name), errors


def schedule_task(ctx: EvalContext, item: tuple[int, dict]) -> ScheduleRecord:
    """A stage-2 task: schedule one (seq, placements) and check the result."""
    seq, placements = item
    started = time.perf_counter()
    base = _context_layout(ctx)
    times = {(sid, tid): secs for sid, tid, secs in ctx.task_times}
    try:
        doc, errors = schedule_layout(apply_placements(base, placements), times, time_limit=ctx.time_limit,
                                      seed=ctx.seed, objective=ctx.objective)
    except NoFeasibleSchedule as exc:
        return ScheduleRecord(seq, "infeasible", error=str(exc), seconds=time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001 - recorded and never ranked, the run goes on
        return ScheduleRecord(seq, "error", error=f"{type(exc).__name__}: {exc}", seconds=time.perf_counter() - started)
    kpis = doc.get("kpis", {})
    return ScheduleRecord(
        seq=seq, status="failed-check" if errors else "ok", solver_status=doc["status"], makespan=doc["makespan"],
        objective_value=doc["objective_value"], lower_bound=doc["lower_bound"], throughput=kpis.get("throughput_per_hour"),
        agv_distance=kpis.get("agv_distance"), check_errors=tuple(errors),
        schedule_json=json.dumps(doc, separators=(",", ":")), seconds=time.perf_counter() - started,
    )


# --- ranking ------------------------------------------------------------------------------------


def rank_key(row: CandidateRow, objective: str = "makespan") -> tuple:
    """Smaller is better: the objective, then flow distance, then the candidate key."""
    inf = math.inf
    head = (row.objective_value if row.objective_value is not None else inf,) if objective == "weighted_tardiness" else ()
    return (*head, row.makespan if row.makespan is not None else inf,
            row.flow_distance if row.flow_distance is not None else inf, row.key)


def rank(rows: list[CandidateRow], objective: str = "makespan") -> list[CandidateRow]:
    """Candidates whose schedule passed the checker, best first (the as-is layout excluded)."""
    return sorted((r for r in rows if r.ranked and not r.is_baseline), key=lambda r: rank_key(r, objective))


def pareto_front(rows: list[CandidateRow]) -> list[CandidateRow]:
    """Rows not dominated on (makespan, floor area, travel), all minimised; of rows with equal
    values the first is kept. Rows without all three values are left out."""
    points = [(r, (r.makespan, r.floor_area, r.travel)) for r in rows if r.ranked]
    points = [(r, p) for r, p in points if None not in p]
    front: list[tuple[CandidateRow, tuple]] = []
    for r, p in points:
        dominated = any(all(a <= b for a, b in zip(q, p)) and q != p for _, q in points)
        if not dominated and all(q != p for _, q in front):
            front.append((r, p))
    return sorted((r for r, _ in front), key=lambda r: (r.makespan, r.floor_area, r.travel, r.key))


# --- the run ------------------------------------------------------------------------------------


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_run_dir(layout_name: str, root: Path | str = "runs") -> Path:
    """runs/<layout name>-<timestamp>, made unique with a suffix."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = Path(root) / f"{layout_name}-{stamp}"
    n = 1
    while path.exists():
        n += 1
        path = Path(root) / f"{layout_name}-{stamp}-{n}"
    return path


def _stored_layout(store: RunStore) -> Layout:
    from twin.io import parse_layout

    return parse_layout(store.get_meta("layout_text"), store.get_meta("layout_path", "<layout>"))


def _task_times(layout: Layout, layout_dir: Path) -> dict[tuple[str, str], float]:
    """Robot-cell cycle times from physics (cached on disk by the physics module)."""
    from twin.cells import task_times

    return task_times(layout, layout_dir)


def _task_times_meta(layout: Layout, layout_dir: Path) -> list[list]:
    """The cycle times as stored in the run database: [station, task, seconds] rows."""
    return [[s, t, v] for (s, t), v in sorted(_task_times(layout, layout_dir).items())]  # LayoutError for a bad robot cell


def _warm_imports() -> None:
    """Import what the tasks use, so forked local workers start warm and every missing
    module shows up before any work starts."""
    import optimizer.layout_checker  # noqa: F401
    import optimizer.problem  # noqa: F401
    import optimizer.schedule  # noqa: F401
    import optimizer.scheduler  # noqa: F401
    import twin.graph  # noqa: F401


class _Tracker:
    """Counts, best-so-far and an ETA for the progress callback."""

    def __init__(self, config: SearchConfig, counts: dict[str, int], callback: Callable[[Progress], None] | None,
                 elapsed_before: float, shortlist_total: int):
        self.config = config
        self.callback = callback
        self.screened = counts["screened"]
        self.valid = counts["valid"]
        self.scheduled = counts["scheduled"]
        self.shortlist_total = shortlist_total
        self.best_flow: float | None = None
        self.best_makespan: float | None = None
        self.started = time.monotonic()
        self.elapsed_before = elapsed_before
        self.stage = "start"
        self._screen_t0: float | None = None
        self._screen_n0 = self.screened
        self._sched_t0: float | None = None
        self._sched_n0 = self.scheduled

    def elapsed(self) -> float:
        return self.elapsed_before + time.monotonic() - self.started

    def begin(self, stage: str) -> None:
        self.stage = stage
        if stage == "screen":
            self._screen_t0, self._screen_n0 = time.monotonic(), self.screened
        if stage == "schedule":
            self._sched_t0, self._sched_n0 = time.monotonic(), self.scheduled
        self.emit()

    def eta(self) -> float | None:
        now = time.monotonic()
        c = self.config
        per_schedule = (c.time_limit + 0.5) / c.workers
        if self._sched_t0 is not None and self.scheduled > self._sched_n0:
            per_schedule = (now - self._sched_t0) / (self.scheduled - self._sched_n0)
        left_schedules = max(0, self.shortlist_total - self.scheduled)
        if self.stage in ("schedule", "report", "done"):
            return left_schedules * per_schedule
        if self._screen_t0 is None or self.screened <= self._screen_n0:
            return None
        rate = (self.screened - self._screen_n0) / max(1e-6, now - self._screen_t0)
        return (c.candidates - self.screened) / rate + left_schedules * per_schedule

    def emit(self) -> None:
        if self.callback is None:
            return
        self.callback(Progress(
            stage=self.stage, screened=self.screened, candidates=self.config.candidates, valid=self.valid,
            scheduled=self.scheduled, shortlist=self.shortlist_total, best_makespan=self.best_makespan,
            best_flow=self.best_flow, elapsed=self.elapsed(), eta=self.eta(),
        ))


def run_search(
    layout_path: Path | str,
    config: SearchConfig | None = None,
    out_dir: Path | str | None = None,
    resume: Path | str | None = None,
    progress: Callable[[Progress], None] | None = None,
    stop: threading.Event | None = None,
) -> SearchResult:
    """Search layouts for `layout_path` and write the run folder; returns the ranked result.

    `resume` reopens an interrupted run folder: the run keeps its own result settings (count,
    short list, time limit, seed, generator, objective); `config` then only says where the
    work runs. Raises SearchInterrupted on Ctrl-C or when `stop` is set (finished work is
    kept), LayoutError for a bad layout, InputError for bad settings.
    """
    from twin.io import load_layout

    config = (config or SearchConfig()).check()
    layout_path = Path(layout_path)
    text = _read_text(layout_path)
    if resume is not None:
        store = RunStore.open(resume)
        try:
            stored = SearchConfig.from_dict(store.get_meta("config"))
            config = replace(config, **{name: getattr(stored, name) for name in SearchConfig.RESULT_FIELDS}).check()
            if store.get_meta("layout_sha256") != _digest(text):
                raise InputError(f"{layout_path} has changed since run {store.run_dir} started; "
                                 f"resume with the original file or start a new run")
            if store.get_meta("status") == "complete":
                store.close()
                return load_run(store.run_dir)
        except BaseException:
            store.close()
            raise
        base = _stored_layout(store)
    else:
        base = load_layout(layout_path)
        run_dir = Path(out_dir) if out_dir is not None else default_run_dir(base.name)
        if (run_dir / DB_NAME).exists():
            raise InputError(f"{run_dir} already holds a run; resume it with --resume {run_dir} or pick another --out")
        # physics before the run exists: a bad robot cell (LayoutError) leaves no run behind
        times = _task_times_meta(base, layout_path.resolve().parent)
        store = RunStore.create(run_dir)
        store.set_meta(config=config.to_dict(), layout_path=str(layout_path.resolve()), layout_name=base.name,
                       layout_text=text, layout_sha256=_digest(text), task_times=times, status="running",
                       started=datetime.now().isoformat(timespec="seconds"), elapsed=0.0)
    try:
        return _Search(store, base, layout_path, config, progress, stop).run()
    finally:
        store.close()


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LayoutError("file not found", str(path)) from None
    except (IsADirectoryError, UnicodeDecodeError):
        raise LayoutError("not a readable layout file", str(path)) from None


class _Search:
    """One session of a run (a fresh start or a resume)."""

    def __init__(self, store: RunStore, base: Layout, layout_path: Path, config: SearchConfig,
                 progress: Callable[[Progress], None] | None, stop: threading.Event | None):
        self.store = store
        self.base = base
        self.layout_path = layout_path
        self.layout_dir = layout_path.resolve().parent
        self.config = config
        self.stop = stop
        self.done_keys = store.screened_keys()
        self.seen: set[str] = set()
        counts = store.counts()
        self.tracker = _Tracker(config, counts, progress, float(store.get_meta("elapsed", 0.0)), config.shortlist + 1)
        best = store.best_by_flow(1)
        self.tracker.best_flow = best[0].flow_distance if best else None

    # --- the session ----------------------------------------------------------------------

    def run(self) -> SearchResult:
        from optimizer.runner import Stopped, make_runner

        store, config = self.store, self.config
        # everything from here on is inside the try, so a failure never leaves the run "running"
        try:
            self.tracker.emit()
            times = store.get_meta("task_times")  # a resumed run keeps the cycle times it started with
            if times is None:  # only a run that failed in physics before task_times were stored
                times = _task_times_meta(self.base, self.layout_dir)
                store.set_meta(task_times=times)
            store.set_meta(status="running")
            ctx = EvalContext(
                layout_json=self.base.model_dump_json(by_alias=True), layout_dir=str(self.layout_dir),
                task_times=tuple((s, t, v) for s, t, v in times), time_limit=float(config.time_limit),
                seed=config.seed, objective="weighted_tardiness" if config.objective == "weighted_tardiness" else "makespan",
            )
            _warm_imports()
            with make_runner(config.backend, config.workers, ctx, config.address) as runner:
                self.runner = runner
                self._screen_baseline(ctx)
                self.tracker.begin("screen")
                self._stage1()
                self.tracker.begin("schedule")
                self._stage2()
        except (KeyboardInterrupt, Stopped):
            self._save_elapsed("interrupted")
            raise SearchInterrupted(store.run_dir, self.layout_path, store.counts(), config) from None
        except BaseException:
            self._save_elapsed("interrupted")
            raise
        self.tracker.begin("report")
        from optimizer.report import write_run_folder

        result = _result_from_store(store)
        result.status, result.elapsed = "complete", self.tracker.elapsed()
        write_run_folder(result, self.base, store, self.layout_dir)
        # marked complete only once the folder is written: a crash before this resumes here
        store.set_meta(elapsed=result.elapsed, status="complete", finished=datetime.now().isoformat(timespec="seconds"))
        self.tracker.begin("done")
        return result

    def _save_elapsed(self, status: str) -> None:
        try:
            self.store.set_meta(elapsed=self.tracker.elapsed(), status=status)
        except Exception:  # noqa: BLE001 - never hide the real error behind a bookkeeping one
            pass

    # --- stage 1 ----------------------------------------------------------------------------

    def _baseline_key(self) -> str:
        from optimizer import placement

        return placement.candidate_key(self.base) if _all_placed(self.base) else "as-is (not all placed)"

    def _screen_baseline(self, ctx: EvalContext) -> None:
        key = self._baseline_key()
        self.seen.add(key)
        if 0 in self.done_keys:
            return
        if _all_placed(self.base):
            record = screen_chunk(ctx, [(0, key, "as-is", _placements_of(self.base))])[0]
        else:
            record = ScreenRecord(0, key, "as-is", {}, False, ("not every station has a position",))
        self.store.add_screened([record])
        self.done_keys[0] = key

    def _accept(self, seq: int, layout: Layout, origin: str) -> tuple[int, str, str, dict] | None | bool:
        """The work item for a new candidate; None when already screened in an earlier session;
        False when it duplicates an earlier candidate (it gets no sequence number)."""
        from optimizer import placement

        key = placement.candidate_key(layout)
        if key in self.seen:
            return False
        self.seen.add(key)
        done = self.done_keys.get(seq)
        if done is not None:
            if done != key:
                raise InputError(
                    f"run database {self.store.path} does not match the regenerated candidate {seq} "
                    f"(the generator or the program changed since the run started); start a new run")
            return None
        return (seq, key, origin, _placements_of(layout))

    def _generated(self, budget: int) -> Iterator[tuple[int, str, str, dict]]:
        """Work items for the generator's first `budget` distinct candidates (seq 1..)."""
        from optimizer import placement

        seq = 1
        for layout in placement.generate(self.config.generator, self.base, budget, self.config.seed):
            item = self._accept(seq, layout, self.config.generator)
            if item is False:
                continue
            seq += 1
            self.next_seq = seq
            if item is not None:
                yield item
            if seq > budget:
                break
        self.next_seq = seq

    def _refined(self, first_seq: int, count: int, round_no: int) -> Iterator[tuple[int, str, str, dict]]:
        """A refinement round: perturb the best screened layouts so far."""
        from optimizer import placement

        elite = self.store.best_by_flow(ELITE, below_seq=first_seq)
        parents = [apply_placements(self.base, r.placements) for r in elite] or [self.base]
        rng = np.random.default_rng([self.config.seed, round_no, 0x7E51])
        seq, tries = first_seq, 0
        while seq < first_seq + count and tries < 20 * count:
            tries += 1
            parent = parents[(seq - first_seq) % len(parents)]
            child = placement.perturb(parent, rng, moves=1 + int(rng.integers(3)))
            item = self._accept(seq, child, "refine")
            if item is False:
                continue
            seq += 1
            if item is not None:
                yield item
        self.next_seq = seq

    def _chunks(self, items: Iterator[tuple], size: int) -> Iterator[list[tuple]]:
        chunk: list[tuple] = []
        for item in items:
            chunk.append(item)
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def _screen_all(self, items: Iterator[tuple], size: int) -> None:
        for _, records in self.runner.map_unordered(screen_chunk, self._chunks(items, size), self.stop):
            self.store.add_screened(records)
            for r in records:
                self.done_keys[r.seq] = r.key
                self.tracker.screened += 1
                if r.valid:
                    self.tracker.valid += 1
                    if r.flow_distance is not None and (self.tracker.best_flow is None or r.flow_distance < self.tracker.best_flow):
                        self.tracker.best_flow = r.flow_distance
            self.tracker.emit()

    def _stage1(self) -> None:
        c = self.config
        n_refine = int(round(c.candidates * c.refine))
        if self.store.get_meta("stage1_complete"):
            return  # resumed in stage 2: no need to regenerate the candidates
        self.next_seq = 1
        self._screen_all(self._generated(c.candidates - n_refine), c.chunk_size)
        round_no = 0
        # a round's results steer the next, so each round finishes before the next starts;
        # smaller chunks keep every worker busy until the end of a round
        round_chunk = max(1, min(c.chunk_size, REFINE_ROUND // (4 * self.runner.workers)))
        while self.next_seq <= c.candidates:
            first = self.next_seq
            count = min(REFINE_ROUND, c.candidates - first + 1)
            self._screen_all(self._refined(first, count, round_no), round_chunk)
            round_no += 1
            if self.next_seq == first:  # perturbation found nothing new
                break
        self.store.set_meta(stage1_complete=True)

    # --- stage 2 ----------------------------------------------------------------------------

    def _stage2(self) -> None:
        store = self.store
        shortlist = store.best_by_flow(self.config.shortlist)
        baseline = store.screen_record(0)
        if baseline is not None and baseline.flow_distance is not None:
            shortlist.insert(0, baseline)  # the as-is layout, for comparison, even if the checker objects
        self.tracker.shortlist_total = len(shortlist)
        done = store.scheduled_seqs()
        self.tracker.scheduled = sum(r.seq in done for r in shortlist)
        self._update_best_makespan()
        self.tracker.emit()
        todo = [(r.seq, r.placements) for r in shortlist if r.seq not in done]
        for _, record in self.runner.map_unordered(schedule_task, iter(todo), self.stop):
            store.add_schedule(record)
            self.tracker.scheduled += 1
            if record.status == "ok" and record.seq > 0 and record.makespan is not None:
                if self.tracker.best_makespan is None or record.makespan < self.tracker.best_makespan:
                    self.tracker.best_makespan = record.makespan
            self.tracker.emit()

    def _update_best_makespan(self) -> None:
        ok = [r.makespan for r in self.store.schedule_records() if r.status == "ok" and r.seq > 0 and r.makespan is not None]
        self.tracker.best_makespan = min(ok) if ok else None


# --- reading runs back --------------------------------------------------------------------------


def _rows(store: RunStore, seqs: set[int] | None = None) -> list[CandidateRow]:
    schedules = {r.seq: r for r in store.schedule_records()}
    wanted = set(schedules) | {0} if seqs is None else seqs
    rows = []
    for s in store.screen_records(wanted):  # one query, in sequence order
        seq = s.seq
        sched = schedules.get(seq)
        rows.append(CandidateRow(
            seq=s.seq, key=s.key, origin=s.origin, valid=s.valid, problems=s.problems, flow_distance=s.flow_distance,
            conveyor_length=s.conveyor_length, floor_area=s.floor_area, placements=s.placements,
            schedule_status=sched.status if sched else None, makespan=sched.makespan if sched else None,
            throughput=sched.throughput if sched else None, objective_value=sched.objective_value if sched else None,
            agv_distance=sched.agv_distance if sched else None, check_errors=sched.check_errors if sched else (),
        ))
    return rows


def _result_from_store(store: RunStore) -> SearchResult:
    meta = store.meta()
    config = SearchConfig.from_dict(meta["config"])
    counts = store.counts()
    rows = _rows(store)
    baseline = next((r for r in rows if r.is_baseline), None)
    leaderboard = rank(rows, config.objective)
    return SearchResult(
        run_dir=store.run_dir, layout_path=Path(meta.get("layout_path", "")), layout_name=meta.get("layout_name", ""),
        config=config, status=meta.get("status", "running"), screened=counts["screened"], valid=counts["valid"],
        scheduled=counts["scheduled"], schedule_ok=counts["schedule_ok"], baseline=baseline,
        best=leaderboard[0] if leaderboard else None, leaderboard=leaderboard,
        pareto=pareto_front([r for r in rows if r.ranked]), elapsed=float(meta.get("elapsed", 0.0)),
        started=meta.get("started", ""),
    )


def load_run(run_dir: Path | str) -> SearchResult:
    """Reopen a past (or running, or interrupted) run from its folder."""
    with RunStore.open(run_dir) as store:
        return _result_from_store(store)


def list_runs(root: Path | str = "runs") -> list[RunSummary]:
    """Every run folder directly under `root`, newest first; unreadable folders are skipped."""
    root = Path(root)
    out = []
    for db in sorted(root.glob(f"*/{DB_NAME}")) if root.is_dir() else []:
        try:
            result = load_run(db.parent)
        except (InputError, OSError, ValueError, KeyError):
            continue
        b, best = result.baseline, result.best
        out.append(RunSummary(
            run_dir=db.parent, layout_name=result.layout_name, started=result.started, status=result.status,
            candidates=result.config.candidates, screened=result.screened, scheduled=result.scheduled,
            baseline_makespan=b.makespan if b else None, best_makespan=best.makespan if best else None,
            baseline_flow=b.flow_distance if b else None, best_flow=best.flow_distance if best else None,
        ))
    return sorted(out, key=lambda s: (s.started, str(s.run_dir)), reverse=True)


__all__ = [
    "SearchConfig", "Progress", "CandidateRow", "SearchResult", "RunSummary", "SearchInterrupted", "run_search",
    "load_run", "list_runs", "rank", "rank_key", "pareto_front", "screen_layout", "schedule_layout",
    "apply_placements", "default_run_dir",
]
