"""One robot cell's arrangement searched in the background (`optimizer.cell_search`), so the
Cells page stays usable and shows progress; like `factory_app.jobs.SearchJob`, the thread
never calls Streamlit, it only writes plain attributes that the page reads.

The job keeps the layout it started from: the page compares the best cell with that one and
applies it only while the layout's cell is still the one searched."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twin.model import Layout
from twin.physics import Physics

from factory_app.jobs import BackgroundJob, JobView, duration


@dataclass(frozen=True)
class CellSearchSettings:
    candidates: int = 60
    seed: int = 0
    move_base: bool = True
    workers: int = 1


class CellJob(BackgroundJob):
    """`optimize_cell` in a daemon thread: `simulated`/`best` are the latest progress,
    `result` the `CellSearchResult` when it ends, `error` a plain message when it fails."""

    name = "factory-twin-cell-search"

    def __init__(self, layout: Layout, layout_dir: Path | None, station_id: str, settings: CellSearchSettings,
                 physics: Physics, clock: Callable[[], float] = time.monotonic):
        super().__init__(clock)
        self.layout, self.layout_dir, self.station_id = layout, layout_dir, station_id
        self.settings, self.physics = settings, physics
        self.simulated = 0
        self.best: float | None = None
        self.shown = False  # the page has rerun once to show the result (never again)

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def _work(self) -> Any:
        from optimizer.cell_search import optimize_cell

        s = self.settings
        return optimize_cell(self.layout, self.layout_dir, self.station_id, self.physics, candidates=s.candidates,
                             seed=s.seed, workers=s.workers, move_base=s.move_base, progress=self._on_progress,
                             stop=self._stop)

    def _on_progress(self, simulated: int, best: float | None) -> None:
        self.simulated, self.best = simulated, best

    def view(self) -> JobView:
        """The progress line as of now."""
        done = self.done
        clock = duration(self.elapsed)
        if self.error:
            return JobView(1.0, self.error, done)
        total = self.settings.candidates
        best = f" · best {self.best:.3f} s" if self.best is not None else ""
        if done and self.result is not None:
            r = self.result
            verb = "Stopped" if self.stopped and r.evaluated < total else "Done"
            return JobView(1.0, f"{verb}: {r.evaluated} of {total} candidates simulated "
                                f"({r.feasible} feasible){best} · {clock}", True)
        return JobView(min(1.0, self.simulated / total), f"Simulating candidate cells in PyBullet: "
                                                         f"{self.simulated}/{total}{best} · {clock}", done)


def arrangement_rows(before: Any, after: Any) -> list[dict[str, Any]]:
    """The robot base and each fixture as given and as found (x, y in m, yaw in degrees, in
    the cell frame), and how far each moved: the table beside the before/after views."""
    parts = [("robot base", before.base, after.base)]
    found = {f.id: f for f in after.fixtures}
    parts += [(f"fixture {f.id}", f.pose, found[f.id].pose) for f in before.fixtures if f.id in found]
    rows = []
    for name, old, new in parts:
        (x0, y0, _), (x1, y1, _) = old.xyz, new.xyz
        rows.append({"part": name, "x before": x0, "y before": y0, "yaw before": old.rpy[2],
                     "x after": x1, "y after": y1, "yaw after": new.rpy[2],
                     "moved (m)": round(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5, 3)})
    return rows


def apply_best(session: Any, job: CellJob) -> str | None:
    """Put the job's best cell into the open layout as one edit (so Undo brings the previous
    cell back and the workspace saves it); None when applied, else why not. Refused when the
    layout's cell is no longer the one searched (it was edited meanwhile, or already applied)."""
    from optimizer.cell_search import with_cell

    from factory_app.editing import layout_data

    result, sid = job.result, job.station_id
    if result is None or not result.improved:
        return "the search found no arrangement better than the given one"
    current = next((s for s in session.layout.stations if s.id == sid), None)
    if current is None:
        return f"the layout has no station '{sid}' any more"
    if current.cell == result.cell:
        return "the best arrangement is already in the layout"
    if current.cell != job.layout.station(sid).cell:
        return f"{sid}'s cell changed since the search started; run the search again"
    if session.edit(layout_data(with_cell(session.layout, sid, result.cell))):
        return None
    problems = "; ".join(str(p) for p in session.draft_problems) or "not accepted"
    session.undo()  # drop the refused edit: the layout stays as it was
    return f"the best cell does not fit the layout: {problems}"
