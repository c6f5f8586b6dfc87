"""Reading runs back from their run folders: a run's ranked result, and the list of runs."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twin.errors import InputError
from twin.io import parse_layout
from twin.model import Layout

from optimizer.search.config import SearchConfig
from optimizer.search.decide import Decision, decide
from optimizer.search.ranking import pareto_front, rank
from optimizer.search.recheck import Recheck, load_recheck
from optimizer.search.rows import CandidateRow
from optimizer.store import DB_NAME, RunStore


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
    leaderboard: list[CandidateRow]  # ranked candidates, best first: by the twin where simulated, then by the plan
    pareto: list[CandidateRow]  # non-dominated on makespan, floor area, travel
    elapsed: float
    started: str = ""
    decision: Decision | None = None  # stage 3: the running twin's verdict (None: nothing simulated)
    # stage 2's budget per schedule: operations, deterministic_time, wall_limit, retry_factor
    schedule_budget: dict[str, float] | None = None
    proxy_routes: str = ""  # what weighs alternative stations in the screening proxy
    stage_times: list[tuple[str, int, float]] | None = None  # (stage, rows, wall seconds), `RunStore.stage_times`
    recheck: Recheck | None = None  # the top designs simulated again with more replications (`recheck`)

    def cpsat_share(self) -> tuple[int, int]:
        """(candidates whose checked schedule is a real CP-SAT plan, candidates scheduled)."""
        rows = [r for r in self.leaderboard if not r.is_baseline]
        return sum(r.solver == "cpsat" for r in rows), self.scheduled

    def wall_clock_cuts(self) -> list[int]:
        """The scheduled designs (the as-is layout, seq 0, included) whose solve the wall-clock
        safety net ended before its deterministic budget: their plans depend on the machine's load."""
        rows = ([self.baseline] if self.baseline is not None else []) + self.leaderboard
        return sorted(r.seq for r in rows if r.wall_clock_cut)

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
            return stored_layout(store)

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


def stored_layout(store: RunStore) -> Layout:
    """The layout a run started from, parsed from the text it stored."""
    return parse_layout(store.get_meta("layout_text"), store.get_meta("layout_path", "<layout>"))


def candidate_rows(store: RunStore, seqs: set[int] | None = None) -> list[CandidateRow]:
    """The screened layouts with their stage-2 results: every scheduled one and the as-is
    layout, or those numbered in `seqs`."""
    schedules = {r.seq: r for r in store.schedule_records()}
    solvers = store.schedule_solvers()
    cuts = store.wall_clock_cuts()
    variants = store.variants()
    wanted = set(schedules) | {0} if seqs is None else seqs
    rows = []
    for s in store.screen_records(wanted):  # one query, in sequence order
        sched = schedules.get(s.seq)
        rows.append(CandidateRow(
            seq=s.seq, key=s.key, origin=s.origin, valid=s.valid, problems=s.problems, flow_distance=s.flow_distance,
            conveyor_length=s.conveyor_length, floor_area=s.floor_area, placements=s.placements,
            schedule_status=sched.status if sched else None, makespan=sched.makespan if sched else None,
            throughput=sched.throughput if sched else None, objective_value=sched.objective_value if sched else None,
            agv_distance=sched.agv_distance if sched else None, check_errors=sched.check_errors if sched else (),
            solver=solvers.get(s.seq), wall_clock_cut=s.seq in cuts,
            choices=variants[s.seq][1] if s.seq in variants else {},
        ))
    return rows


def result_from_store(store: RunStore) -> SearchResult:
    """The run's result as its database holds it now (ranked, with the Pareto front)."""
    meta = store.meta()
    config = SearchConfig.from_dict(meta["config"])
    counts = store.counts()
    rows = candidate_rows(store)
    baseline = next((r for r in rows if r.is_baseline), None)
    decision = decide(store.simulation_records(), config.objective, meta.get("required_rate"))
    leaderboard = rank(rows, config.objective)
    if decision is not None:  # the final ranking is the running twin's
        order = {d.seq: i for i, d in enumerate(decision.ranking)}
        leaderboard.sort(key=lambda r: order.get(r.seq, len(order)))  # stable: the plan's order after
    return SearchResult(
        run_dir=store.run_dir, layout_path=Path(meta.get("layout_path", "")), layout_name=meta.get("layout_name", ""),
        config=config, status=meta.get("status", "running"), screened=counts["screened"], valid=counts["valid"],
        scheduled=counts["scheduled"], schedule_ok=counts["schedule_ok"], baseline=baseline,
        best=leaderboard[0] if leaderboard else None, leaderboard=leaderboard,
        pareto=pareto_front([r for r in rows if r.ranked]), elapsed=float(meta.get("elapsed", 0.0)),
        started=meta.get("started", ""), decision=decision, schedule_budget=meta.get("schedule_budget"),
        proxy_routes=meta.get("proxy_routes", ""), stage_times=store.stage_times(), recheck=load_recheck(store),
    )


def load_run(run_dir: Path | str) -> SearchResult:
    """Reopen a past (or running, or interrupted) run from its folder."""
    with RunStore.open(run_dir) as store:
        return result_from_store(store)


def list_runs(root: Path | str = "runs") -> list[RunSummary]:
    """Every run folder directly under `root`, newest first; unreadable folders are skipped."""
    root = Path(root)
    out = []
    for db in sorted(root.glob(f"*/{DB_NAME}")) if root.is_dir() else []:
        try:
            result = load_run(db.parent)
        except (InputError, OSError, ValueError, KeyError):
            continue
        out.append(summarize(result))
    return sorted(out, key=lambda s: (s.started, str(s.run_dir)), reverse=True)


def summarize(result: SearchResult) -> RunSummary:
    """A run's one-line summary: its counts and the baseline's and best design's figures."""
    b, best = result.baseline, result.best
    return RunSummary(
        run_dir=result.run_dir, layout_name=result.layout_name, started=result.started, status=result.status,
        candidates=result.config.candidates, screened=result.screened, scheduled=result.scheduled,
        baseline_makespan=b.makespan if b else None, best_makespan=best.makespan if best else None,
        baseline_flow=b.flow_distance if b else None, best_flow=best.flow_distance if best else None,
    )
