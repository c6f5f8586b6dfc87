"""A finished run's final yardstick, applied to designs the run did not make.

The planted-arrangement check, the random baseline and the re-check all need designs judged
exactly as a run's stage 2 and stage 3 judge its short list: the same CP-SAT budget and seed
(`budget.stage2_options`, with the retry on a dispatch fallback, `tasks.schedule_task`),
then the running twin with the run's seed over numbered replications (`simulate.simulate_task`),
following each design's checked schedule (the FIFO rule without one). Replication r of any
design judged here draws the same random numbers per element as replication r of the run's
own designs (common random numbers), so their differences are paired.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from threading import Event

from twin.io import parse_layout
from twin.model import Layout
from twin.physics import Physics
from twin.sim.replications import default_horizon

from optimizer.costing import required_rate
from optimizer.runner import Runner, make_runner
from optimizer.search.budget import operation_count, stage2_options
from optimizer.search.config import SearchConfig
from optimizer.search.simulate import REPLICATIONS_PER_TASK, Design, SimulationTask, follows_plan, simulate_task
from optimizer.search.tasks import EvalContext, schedule_task
from optimizer.store import RunStore, ScheduleRecord, SimulationRecord

Placements = dict[str, list[float]]


@dataclass(frozen=True)
class Yardstick:
    """What a run judges its designs with: its worker context (base layout, robot cycle
    times, stage 2's schedule options), its settings, the simulated horizon and the rate the
    demand requires."""

    ctx: EvalContext
    config: SearchConfig
    horizon: float | None
    required: float | None

    @classmethod
    def of_run(cls, store: RunStore, physics: Physics) -> "Yardstick":
        """The yardstick of the run in `store` (its stored layout text, cycle times and settings)."""
        config = SearchConfig.from_dict(store.get_meta("config"))
        base = parse_layout(store.get_meta("layout_text"), store.get_meta("layout_path", "<layout>"))
        ctx = EvalContext(
            layout_json=base.model_dump_json(by_alias=True),
            layout_dir=str(Path(store.get_meta("layout_path", ".")).parent),
            task_times=tuple((s, t, v) for s, t, v in store.get_meta("task_times") or ()),
            schedule_options=stage2_options(config, operation_count(base)), physics=physics)
        return cls(ctx, config, default_horizon(base), required_rate(base))

    @property
    def base(self) -> Layout:
        return self.ctx.base

    def runner(self, workers: int = 1, backend: str = "local", address: str | None = None) -> Runner:
        return make_runner(backend, workers, self.ctx, address)

    def tasks(self, designs: list[tuple[Design, str | None]], replications: range) -> Iterator[SimulationTask]:
        """Simulation tasks for `replications` of each (design, its schedule document as JSON)."""
        reps = list(replications)
        for design, schedule in designs:
            plan = schedule if follows_plan(design, self.horizon) else None
            for i in range(0, len(reps), REPLICATIONS_PER_TASK):
                yield SimulationTask(design, plan, tuple(reps[i:i + REPLICATIONS_PER_TASK]), self.config.seed,
                                     self.horizon)

    def schedule(self, runner: Runner, designs: Mapping[int, Placements],
                 stop: Event | None = None) -> dict[int, ScheduleRecord]:
        """Stage 2 for each numbered design: its checked schedule, as the run made its own."""
        return {record.seq: record for _, record in runner.map_unordered(schedule_task, iter(designs.items()), stop)}

    def judge(self, runner: Runner, designs: Mapping[int, Placements], replications: range,
              stop: Event | None = None) -> list[SimulationRecord]:
        """Schedule each numbered design (stage 2), then simulate its `replications` (stage 3)."""
        schedules = self.schedule(runner, designs, stop)
        judged = []
        for seq, placements in designs.items():
            record = schedules[seq]
            control = "fifo"
            if record.status == "ok" and record.schedule_json:
                control = json.loads(record.schedule_json).get("solver") or "cpsat"
            judged.append((Design(seq, control, dict(placements)), record.schedule_json))
        out: list[SimulationRecord] = []
        for _, batch in runner.map_unordered(simulate_task, self.tasks(judged, replications), stop):
            out.extend(batch)
        return sorted(out, key=lambda r: (r.seq, r.replication))


__all__ = ["Placements", "Yardstick"]
