"""The work done in workers: stage 1 screens a chunk of candidates, stage 2 schedules one.

Both are module-level functions `fn(context, item)` as `optimizer.runner` wants them; the
`EvalContext` is sent to each worker once and lives as long as the worker does.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from twin.errors import FactoryTwinError, NoFeasibleSchedule
from twin.graph import AisleRouter, Routes, material_trips, transport_legs, used_area
from twin.model import Layout
from twin.physics import Physics

from optimizer.layout_checker import check_layout
from optimizer.planning import ScheduleOptions, schedule_layout
from optimizer.search.budget import retry_options
from optimizer.search.routes import routes_from_json
from optimizer.search.rows import all_placed, apply_choices, apply_placements
from optimizer.store import ScheduleRecord, ScreenRecord


@dataclass(frozen=True)
class Candidate:
    """A stage-1 work item: a new candidate with its sequence number, key, origin and
    placements (station id -> [x, y, rotation])."""

    seq: int
    key: str
    origin: str
    placements: dict[str, list[float]]


@dataclass(frozen=True)
class EvalContext:
    """What every task needs besides its items; sent once per worker."""

    layout_json: str
    layout_dir: str
    task_times: tuple[tuple[str, str, float], ...]
    schedule_options: ScheduleOptions  # stage 2's
    # pickles as its settings: each worker process gets its own clients and caches
    physics: Physics = field(compare=False)
    routes_json: str = ""  # the screening proxy's lot routes (`optimizer.search.routes`), "" for an even split

    @cached_property
    def base(self) -> Layout:
        """The base layout, parsed once per context (so once per worker); never pickled."""
        return Layout.model_validate_json(self.layout_json)

    @cached_property
    def routes(self) -> Routes | None:
        return routes_from_json(self.routes_json)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("base", None)  # the parsed layout and routes stay where they were parsed
        state.pop("routes", None)
        return state


@dataclass(frozen=True)
class ScreenResult:
    """Stage 1 of one layout: whether it is valid, the checker's problems, and its metrics
    (None when the layout was not measured). Flow distance in lot-metres (trips x routed
    metres), conveyor length in metres, floor area in m^2."""

    valid: bool
    problems: tuple[str, ...]
    flow_distance: float | None = None
    conveyor_length: float | None = None
    floor_area: float | None = None


def screen_layout(layout: Layout, layout_dir: Path, reference: Layout, physics: Physics,
                  measure_invalid: bool = False, routes: Routes | None = None) -> ScreenResult:
    """Stage 1 of one layout: validity (the independent checker, robot reach envelopes
    measured in `physics`), flow distance (lot trips weighted by `routes`, see
    `twin.graph.material_trips`), conveyor length, floor area. Invalid layouts get their
    problems, and metrics only when `measure_invalid` (the as-is layout is measured whatever
    the checker says)."""
    if not all_placed(layout):
        return ScreenResult(False, ("not every station has a position",))
    router = AisleRouter(layout)  # shared by the checker's reachability test and the flows
    problems = tuple(str(p) for p in check_layout(layout, layout_dir=layout_dir, reference=reference, router=router,
                                                  physics=physics))
    if problems and not measure_invalid:
        return ScreenResult(False, problems)
    legs = transport_legs(layout, router)  # routed once, shared by flow and conveyor metres
    flow = 0.0
    unroutable = []
    for pair, trips in material_trips(layout, routes).items():
        distance = legs[pair].distance
        if not math.isfinite(distance):
            unroutable.append(f"material flow {pair[0]} -> {pair[1]} has no aisle route")
        flow += trips * distance
    if unroutable:
        return ScreenResult(False, problems + tuple(unroutable))
    conveyor = sum(leg.distance for leg in legs.values() if leg.mover == "conveyor")
    return ScreenResult(not problems, problems, flow_distance=flow, conveyor_length=conveyor,
                        floor_area=used_area(layout))


def screen_chunk(ctx: EvalContext, chunk: list[Candidate]) -> list[ScreenRecord]:
    """A stage-1 task: screen each candidate of the chunk (seq 0, the as-is layout, is
    measured even when the checker objects)."""
    base = ctx.base
    out = []
    for item in chunk:
        started = time.perf_counter()
        try:
            result = screen_layout(apply_placements(base, item.placements), Path(ctx.layout_dir), base, ctx.physics,
                                   measure_invalid=item.seq == 0, routes=ctx.routes)
        except ImportError:
            raise  # a missing module is a broken installation, not a bad candidate
        except FactoryTwinError as exc:
            result = ScreenResult(False, (f"screening failed: {exc}",))
        except Exception as exc:  # noqa: BLE001 - one broken candidate must not end a long run
            result = ScreenResult(False, (f"screening failed: {type(exc).__name__}: {exc}",))
        out.append(ScreenRecord(
            seq=item.seq, key=item.key, origin=item.origin, placements=item.placements, valid=result.valid,
            problems=result.problems, flow_distance=result.flow_distance, conveyor_length=result.conveyor_length,
            floor_area=result.floor_area, seconds=time.perf_counter() - started,
        ))
    return out


def schedule_task(ctx: EvalContext, item: tuple) -> ScheduleRecord:
    """A stage-2 task: schedule one (seq, placements) or (seq, placements, choices) with its
    AGV fleet (`rows.apply_choices`) and check the result. A schedule that is
    only the dispatch-rule fallback (CP-SAT answered nothing within its budget) is tried once
    more with a larger budget (`optimizer.search.budget.retry_options`)."""
    seq, placements, *rest = item
    started = time.perf_counter()
    times = {(sid, tid): secs for sid, tid, secs in ctx.task_times}
    layout = apply_choices(apply_placements(ctx.base, placements), rest[0] if rest else {})
    try:
        # the layout checker passed it in stage 1, and the cycle times were measured once per run
        result = schedule_layout(layout, Path(ctx.layout_dir), ctx.physics, ctx.schedule_options, task_times=times,
                                 validate=False)
        if result.schedule.solver == "dispatch" and ctx.schedule_options.solver == "cpsat":
            result = schedule_layout(layout, Path(ctx.layout_dir), ctx.physics, retry_options(ctx.schedule_options),
                                     task_times=times, validate=False)
        summary, doc = result.summary(), result.to_json()
    except NoFeasibleSchedule as exc:
        return ScheduleRecord(seq, "infeasible", error=str(exc), seconds=time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001 - recorded and never ranked, the run goes on
        return ScheduleRecord(seq, "error", error=f"{type(exc).__name__}: {exc}", seconds=time.perf_counter() - started)
    return ScheduleRecord(
        seq=seq, status="failed-check" if result.check else "ok", solver_status=summary.status,
        makespan=summary.makespan, objective_value=summary.objective_value, lower_bound=summary.lower_bound,
        throughput=summary.kpis.throughput_per_hour, agv_distance=summary.kpis.agv_distance,
        check_errors=tuple(result.check), schedule_json=json.dumps(doc, separators=(",", ":")),
        seconds=time.perf_counter() - started,
    )
