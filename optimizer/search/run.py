"""The run's life cycle: start or resume a run folder, screen every candidate (stage 1),
schedule the short list (stage 2), write the run folder, and stop cleanly on Ctrl-C."""
from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from twin.errors import FactoryTwinError, InputError, LayoutError
from twin.io import load_layout
from twin.model import Layout
from twin.physics import Physics, task_times
from twin.validate import decision_problems

from optimizer import placement
from optimizer.names import GeneratorName
from optimizer.report import write_run_folder
from optimizer.runner import Runner, Stopped, WorkerLost, make_runner
from optimizer.search.budget import RETRY_FACTOR, operation_count, resumed_options, stage2_options
from optimizer.search.candidates import CandidateSequence, Numbered
from optimizer.search.config import SearchConfig
from optimizer.search.progress import Progress, Tracker
from optimizer.search.results import SearchResult, candidate_rows, load_run, result_from_store, stored_layout
from optimizer.search.routes import lot_routes, routes_to_json
from optimizer.search.rows import all_placed, placements_of
from optimizer.search.simulate import SimulationStage
from optimizer.search.tasks import Candidate, EvalContext, schedule_task, screen_chunk
from optimizer.search.variants import choices_key, placements_for, variants
from optimizer.store import DB_NAME, RunStore, ScreenRecord

REFINE_ROUND = 250  # candidates per refinement round (results of a round feed the next)

T = TypeVar("T")


class SearchInterrupted(FactoryTwinError):
    """Ctrl-C or a stop request: the run folder holds everything finished so far."""

    exit_code = 130

    def __init__(self, run_dir: Path, layout_path: Path, counts: dict[str, int], config: SearchConfig,
                 cause: WorkerLost | None = None):
        self.run_dir = run_dir
        self.counts = counts
        if cause is not None:  # not the user's stop: the workers were lost
            self.exit_code = cause.exit_code
        super().__init__(
            (f"{cause}: " if cause is not None else "") +
            f"search stopped after screening {counts['screened']} of {config.candidates} candidates and scheduling "
            f"{counts['scheduled']} of {config.shortlist}; finished work is kept in {run_dir / DB_NAME}. "
            f"Resume with: factory-twin optimize {layout_path} --resume {run_dir}"
        )


def default_run_dir(layout_name: str, root: Path | str = "runs") -> Path:
    """runs/<layout name>-<timestamp>, made unique with a suffix."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = Path(root) / f"{layout_name}-{stamp}"
    n = 1
    while path.exists():
        n += 1
        path = Path(root) / f"{layout_name}-{stamp}-{n}"
    return path


def run_search(
    layout_path: Path | str,
    config: SearchConfig | None = None,
    out_dir: Path | str | None = None,
    resume: Path | str | None = None,
    progress: Callable[[Progress], None] | None = None,
    stop: threading.Event | None = None,
    *,
    physics: Physics,
) -> SearchResult:
    """Search layouts for `layout_path` and write the run folder; returns the ranked result.

    `resume` reopens an interrupted run folder: the run keeps its own result settings (count,
    short list, time limit, seed, generator, objective); `config` then only says where the
    work runs. Raises SearchInterrupted on Ctrl-C or when `stop` is set (finished work is
    kept), LayoutError for a bad layout, InputError for bad settings. Physics (cycle times,
    reach envelopes) runs in `physics`, and in a copy of it in each worker.
    """
    config = (config or SearchConfig()).check()
    layout_path = Path(layout_path)
    text = _read_text(layout_path)
    if resume is not None:
        store = RunStore.open(resume, write=True)
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
        base = stored_layout(store)
    else:
        base = load_layout(layout_path)
        problems = decision_problems(base.model_dump(by_alias=True))
        if problems:  # the variants read these ranges; the rest of the layout the CLI and the app check
            raise LayoutError(problems, str(layout_path))
        run_dir = Path(out_dir) if out_dir is not None else default_run_dir(base.name)
        if (run_dir / DB_NAME).exists():
            raise InputError(f"{run_dir} already holds a run; resume it with --resume {run_dir} or pick another --out")
        # physics before the run exists: a bad robot cell (LayoutError) leaves no run behind
        times = _task_times_meta(base, layout_path.resolve().parent, physics)
        store = RunStore.create(run_dir)
        store.set_meta(config=config.to_dict(), layout_path=str(layout_path.resolve()), layout_name=base.name,
                       layout_text=text, layout_sha256=_digest(text), task_times=times, status="running",
                       started=datetime.now().isoformat(timespec="seconds"), elapsed=0.0)
    try:
        return _Search(store, base, layout_path, config, progress, stop, physics).run()
    finally:
        store.close()


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LayoutError("file not found", str(path)) from None
    except (IsADirectoryError, UnicodeDecodeError):
        raise LayoutError("not a readable layout file", str(path)) from None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _task_times_meta(layout: Layout, layout_dir: Path, physics: Physics) -> list[list]:
    """Robot-cell cycle times from physics (cached on disk by the physics module), as stored
    in the run database: [station, task, seconds] rows. LayoutError for a bad robot cell."""
    return [[s, t, v] for (s, t), v in sorted(task_times(layout, layout_dir, physics).items())]


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Search:
    """One session of a run (a fresh start or a resume)."""

    def __init__(self, store: RunStore, base: Layout, layout_path: Path, config: SearchConfig,
                 progress: Callable[[Progress], None] | None, stop: threading.Event | None, physics: Physics):
        self.store = store
        self.physics = physics
        self.base = base
        self.layout_path = layout_path
        self.layout_dir = layout_path.resolve().parent
        self.config = config
        self.stop = stop
        self.candidates = CandidateSequence(store, base, config)
        self.tracker = Tracker(config, store.counts(), progress, float(store.get_meta("elapsed", 0.0)),
                               config.shortlist + 1)
        best = store.best_by_flow(1)
        self.tracker.best_flow = best[0].flow_distance if best else None

    # --- the session ----------------------------------------------------------------------

    def run(self) -> SearchResult:
        store, config = self.store, self.config
        # everything from here on is inside the try, so a failure never leaves the run "running"
        try:
            self.tracker.emit()
            times = store.get_meta("task_times")  # a resumed run keeps the cycle times it started with
            if times is None:  # only a run that failed in physics before task_times were stored
                times = _task_times_meta(self.base, self.layout_dir, self.physics)
                store.set_meta(task_times=times)
            store.set_meta(status="running")
            operations = operation_count(self.base)
            options = resumed_options(stage2_options(config, operations), store.get_meta("schedule_budget"))
            store.set_meta(schedule_budget={"operations": operations,
                                            "deterministic_time": options.deterministic_time,
                                            "wall_limit": options.time_limit, "retry_factor": RETRY_FACTOR,
                                            "parameters": [list(p) for p in options.parameters]})
            ctx = EvalContext(
                layout_json=self.base.model_dump_json(by_alias=True), layout_dir=str(self.layout_dir),
                task_times=tuple((s, t, v) for s, t, v in times), schedule_options=options,
                physics=self.physics,
            )
            ctx = replace(ctx, routes_json=self._as_is_routes(ctx))
            with make_runner(config.backend, config.workers, ctx, config.address) as runner:
                self._screen_baseline(ctx)
                self.tracker.begin("screen")
                self._stage1(runner)
                self.tracker.begin("schedule")
                self._stage2(runner)
                self.tracker.begin("simulate")
                self._stage3(runner)
        except (KeyboardInterrupt, Stopped):
            self._save_elapsed("interrupted")
            raise SearchInterrupted(store.run_dir, self.layout_path, store.counts(), config) from None
        except WorkerLost as exc:
            self._save_elapsed("interrupted")
            raise SearchInterrupted(store.run_dir, self.layout_path, store.counts(), config, cause=exc) from None
        except BaseException:
            self._save_elapsed("interrupted")
            raise
        self.tracker.begin("report")
        result = result_from_store(store)
        result.status, result.elapsed = "complete", self.tracker.elapsed()
        write_run_folder(result, self.base, store, self.layout_dir, self.physics)
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

    def _as_is_routes(self, ctx: EvalContext) -> str:
        """Schedule the as-is layout first, here (stage 2 then finds it done), and read the
        screening proxy's lot routes off its plan ("" when it has none: an even split)."""
        if not all_placed(self.base):
            self.store.set_meta(proxy_routes="an even split")
            return ""
        if 0 not in self.store.scheduled_seqs():
            self.store.add_schedule(schedule_task(ctx, (0, placements_of(self.base))))
        doc = self.store.schedule_json(0)
        routes = routes_to_json(lot_routes(doc)) if doc else ""
        self.store.set_meta(proxy_routes="the as-is layout's schedule" if routes else "an even split")
        return routes

    def _screen_baseline(self, ctx: EvalContext) -> None:
        placed = all_placed(self.base)
        key = placement.candidate_key(self.base) if placed else "as-is (not all placed)"
        self.candidates.seen.add(key)
        if 0 in self.candidates.done_keys:
            return
        if placed:
            record = screen_chunk(ctx, [Candidate(0, key, "as-is", placements_of(self.base))])[0]
        else:
            record = ScreenRecord(0, key, "as-is", {}, False, ("not every station has a position",))
        self.store.add_screened([record])
        self.candidates.mark_done(0, key)

    def _screen_all(self, runner: Runner, numbered: Iterator[Numbered], first_seq: int, size: int) -> int:
        """Screen the new candidates of `numbered`, in chunks of `size`; returns the sequence
        number after the last one numbered (`first_seq` when there was none)."""
        next_seq = first_seq

        def new_candidates() -> Iterator[Candidate]:
            nonlocal next_seq
            for seq, candidate in numbered:
                next_seq = seq + 1
                if candidate is not None:
                    yield candidate

        for _, records in runner.map_unordered(screen_chunk, _chunks(new_candidates(), size), self.stop):
            self.store.add_screened(records)
            self._save_elapsed("running")  # a kill -9 loses at most one chunk's worth of elapsed time
            for r in records:
                self.candidates.mark_done(r.seq, r.key)
                self.tracker.screened += 1
                if r.valid:
                    self.tracker.valid += 1
                    if r.flow_distance is not None and (self.tracker.best_flow is None or r.flow_distance < self.tracker.best_flow):
                        self.tracker.best_flow = r.flow_distance
            self.tracker.emit()
        return next_seq

    def _stage1(self, runner: Runner) -> None:
        c = self.config
        # the random baseline stays random: refining its best would make it a (weak) search
        n_refine = 0 if c.generator == GeneratorName.RANDOM else int(round(c.candidates * c.refine))
        if self.store.get_meta("stage1_complete"):
            return  # resumed in stage 2: no need to regenerate the candidates
        next_seq = self._screen_all(runner, self.candidates.generated(c.candidates - n_refine), 1, c.chunk_size)
        round_no = 0
        # a round's results steer the next, so each round finishes before the next starts;
        # smaller chunks keep every worker busy until the end of a round
        round_chunk = max(1, min(c.chunk_size, REFINE_ROUND // (4 * runner.workers)))
        while next_seq <= c.candidates:
            first = next_seq
            count = min(REFINE_ROUND, c.candidates - first + 1)
            next_seq = self._screen_all(runner, self.candidates.refined(first, count, round_no), first, round_chunk)
            round_no += 1
            if next_seq == first:  # perturbation found nothing new
                break
        self.store.set_meta(stage1_complete=True)

    # --- stage 2 ----------------------------------------------------------------------------

    def _shortlist(self) -> list[tuple[ScreenRecord, dict[str, int]]]:
        """Stage 2's designs, (screen record, choices) each: the as-is layout (even if the checker
        objects), then, when the layout has decisions, its variants, then the best screened
        placements by flow distance each followed by its variants (`optimizer.search.variants`),
        `shortlist` designs besides the as-is layout. The variants are stored once, the first
        time (their seqs follow the last screened candidate), so a resumed run finds them."""
        store, n = self.store, self.config.shortlist
        options = variants(self.base, self.config.seed)
        baseline = store.screen_record(0)
        if baseline is not None and baseline.flow_distance is None:
            baseline = None
        parents = ([baseline] if baseline is not None and options else []) + \
            store.best_by_flow(placements_for(n, len(options)))
        stored = store.variants()
        if options and not stored:
            seq = store.max_seq()
            made = []
            for parent in parents:
                for choices in options:
                    seq += 1
                    made.append((replace(parent, seq=seq, key=parent.key + choices_key(choices),
                                         origin=f"variant of {'as-is' if parent.seq == 0 else f'#{parent.seq}'}",
                                         seconds=0.0), parent.seq, choices))
            store.add_variants(made)
            stored = store.variants()
        children: dict[int, list[int]] = {}
        for seq, (parent, _) in stored.items():
            children.setdefault(parent, []).append(seq)
        records = {r.seq: r for r in store.screen_records(set(stored))}
        designs: list[tuple[ScreenRecord, dict[str, int]]] = []
        for parent in parents:
            if parent.seq > 0:
                designs.append((parent, {}))
            designs += [(records[seq], stored[seq][1]) for seq in sorted(children.get(parent.seq, []))]
        designs = designs[:n]
        if baseline is not None:
            designs.insert(0, (baseline, {}))
        return designs

    def _stage2(self, runner: Runner) -> None:
        store = self.store
        shortlist = self._shortlist()
        self.tracker.shortlist_total = len(shortlist)
        done = store.scheduled_seqs()
        self.tracker.scheduled = sum(r.seq in done for r, _ in shortlist)
        self._update_best_makespan()
        self.tracker.emit()
        todo = [(r.seq, r.placements, choices) for r, choices in shortlist if r.seq not in done]
        for _, record in runner.map_unordered(schedule_task, iter(todo), self.stop):
            store.add_schedule(record)
            self._save_elapsed("running")
            self.tracker.scheduled += 1
            if record.status == "ok" and record.seq > 0 and record.makespan is not None:
                if self.tracker.best_makespan is None or record.makespan < self.tracker.best_makespan:
                    self.tracker.best_makespan = record.makespan
            self.tracker.emit()

    # --- stage 3 ----------------------------------------------------------------------------

    def _stage3(self, runner: Runner) -> None:
        def stored(count: int) -> None:
            self._save_elapsed("running")
            self.tracker.simulated += count
            self.tracker.emit()

        stage = SimulationStage(self.store, self.config, self.base, candidate_rows(self.store), on_stored=stored)
        self.tracker.simulated = len(self.store.simulation_records())
        stage.run(runner, self.stop)

    def _update_best_makespan(self) -> None:
        ok = [r.makespan for r in self.store.schedule_records() if r.status == "ok" and r.seq > 0 and r.makespan is not None]
        self.tracker.best_makespan = min(ok) if ok else None
