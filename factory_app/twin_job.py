"""The running twin off the page's thread: replications of one layout run one after another
in a daemon thread, and the page polls how many are done, so the browser never freezes and
the planner can stop early (the replications finished so far are kept and reported).

Replication 0 is traced for the playback. The same seed gives the same figures as
`factory-twin evaluate` with the same settings (common random numbers per replication).
The thread never calls Streamlit; it only writes plain attributes that the page reads.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twin.model import Layout
from twin.physics import Physics
from twin.sim.playback import Playback

from factory_app.jobs import BackgroundJob, JobView, duration

@dataclass(frozen=True)
class TwinSettings:
    replications: int = 10
    horizon: float | None = None  # seconds; None: until every lot is done
    warmup: float = 0.0
    seed: int = 0
    policy: str = "fifo"  # or "schedule": follow the design's schedule


@dataclass
class TwinResult:
    doc: dict[str, Any]  # the evaluation document (`factory-twin evaluate --json`)
    traced: Any  # replication 0 with its trace (twin.sim.engine.Replication)
    layout: Layout
    stopped: bool  # the planner stopped it: fewer replications than asked
    playback: Playback  # replication 0, moment by moment


class TwinJob(BackgroundJob):
    """Replications of one design under a dispatching rule or its schedule; `finished`
    counts the replications done, `result` holds the evaluation when they end."""

    name = "factory-twin-twin"

    def __init__(self, layout: Layout, layout_dir: Path | None, physics: Physics, settings: TwinSettings,
                 schedule_doc: dict[str, Any] | None = None, clock: Callable[[], float] = time.monotonic):
        if settings.policy == "schedule" and schedule_doc is None:
            raise ValueError("following a schedule needs one: compute it on the Schedule page first")
        super().__init__(clock)
        self.layout, self.layout_dir, self.physics = layout, layout_dir, physics
        self.settings, self.schedule_doc = settings, schedule_doc
        self.finished = 0
        self.shown = False  # the page has switched to the results once

    def _work(self) -> TwinResult | None:
        from twin.sim.control import plan_from_schedule
        from twin.sim.kpis import evaluation_document
        from twin.sim.replications import prepare, run_replications, until_stopped

        s = self.settings
        layout, factory = prepare(self.layout, self.layout_dir, self.physics, self.layout.name)
        plan = plan_from_schedule(self.schedule_doc, factory, "the design's schedule") if s.policy == "schedule" else None
        mapper = until_stopped(self._stop.is_set, lambda count: setattr(self, "finished", count))
        runs = run_replications(factory, s.replications, mapper, policy="fifo" if plan else s.policy, plan=plan,
                                seed=s.seed, horizon=s.horizon, warmup=s.warmup, trace=True)
        if not runs:
            return None
        doc = evaluation_document(layout.name, runs, control="schedule" if plan else s.policy, seed=s.seed,
                                  horizon=s.horizon, warmup=s.warmup, fleet_size=factory.agv_fleet)
        return TwinResult(doc, runs[0], layout, len(runs) < s.replications, Playback(runs[0], layout))

    def view(self) -> JobView:
        total = self.settings.replications
        elapsed = self.elapsed
        if self.error:
            return JobView(self.finished / total, self.error, self.done)
        if self.done:
            shown = self.result.doc["replications"] if self.result else 0
            return JobView(1.0, f"{shown} of {total} replications in {duration(elapsed)}", True)
        if self.finished == 0:
            return JobView(0.0, f"Preparing the twin (robot cells, routes) and the first replication · "
                                f"{duration(elapsed)}", False)
        left = elapsed / self.finished * (total - self.finished)
        return JobView(self.finished / total, f"Replication {self.finished} of {total} done · {duration(elapsed)} · "
                                              f"about {duration(left)} left", False)
