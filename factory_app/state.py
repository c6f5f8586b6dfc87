"""What one browser session holds, as a plain object kept in `st.session_state`.

`AppState` owns the open layout (an `EditSession`), the schedules computed for layouts in
this session (by layout key), the designs opened from search runs, and the background
search job. Pages read and change it; nothing in it calls Streamlit.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from twin.model import Layout
from twin.physics import Physics

from factory_app.compute import layout_key
from factory_app.editing import MAX_UNDO, EditSession
from factory_app.upload import Opened

CURRENT = "current layout"
RUN_KEY = "optimise_run_dir"  # st.session_state key: the run folder the Optimise page shows


@dataclass(frozen=True)
class Design:
    """A layout to look at: the open one, or a search result."""

    label: str
    layout: Layout
    layout_dir: Path | None
    schedule_doc: dict[str, Any] | None = None


def digest(layout: Layout) -> str:
    return hashlib.sha256(layout_key(layout).encode()).hexdigest()[:16]


@dataclass
class AppState:
    physics: Physics  # the app's physics context (validation, cells, schedules, searches)
    session: EditSession | None = None
    schedules: dict[str, dict[str, Any]] = field(default_factory=dict)  # layout digest -> schedule doc
    designs: dict[str, Design] = field(default_factory=dict)  # label -> design from runs
    job: Any = None  # factory_app.jobs.SearchJob while a search runs or after it ended
    twin: Any = None  # factory_app.twin_job.TwinJob while replications run or after they ended
    cell_job: Any = None  # factory_app.cell_job.CellJob: the Cells page's latest cell search
    message: str | None = None  # one-shot notice for the next page view
    project: str | None = None  # the workspace this session saves to (factory_app.workspace)
    version: int | None = None  # the workspace version this session last loaded or saved
    saved_mark: Any = None  # what the session looked like when last saved (autosave compares it)
    conflict: str | None = None  # another tab saved the project first: autosave waits for the planner

    def open(self, opened: Opened, check_later: bool = False) -> None:
        """Open a layout in the editor. The layout it replaces goes on the undo history (an
        open never discards work: Undo brings it back). `check_later`: as for `EditSession.open`."""
        old = self.session
        self.session = EditSession.open(opened.layout, opened.source, self.physics, opened.layout_dir, opened.path,
                                        check_later=check_later)
        if old is not None:
            self.session.history = (old.history + [old.layout])[-MAX_UNDO:]
            self.session.revision = old.revision + 1  # widgets re-read their values

    @property
    def layout(self) -> Layout | None:
        return self.session.layout if self.session else None

    def schedule_of(self, layout: Layout) -> dict[str, Any] | None:
        return self.schedules.get(digest(layout))

    def remember_schedule(self, layout: Layout, doc: dict[str, Any]) -> None:
        self.schedules[digest(layout)] = doc

    def current_design(self) -> Design | None:
        """The open layout as a design, with the schedule computed for it in this session."""
        if self.session is None:
            return None
        layout = self.session.layout
        label = f"{CURRENT} ({layout.name})"
        return Design(label, layout, self.session.layout_dir, self.schedule_of(layout))

    def all_designs(self) -> dict[str, Design]:
        """The open layout first, then designs from runs; each with its schedule: the one
        stored with it, else the one computed for its layout in this session."""
        out: dict[str, Design] = {}
        current = self.current_design()
        if current is not None:
            out[current.label] = current
        for label, design in self.designs.items():
            out[label] = design if design.schedule_doc else replace(design, schedule_doc=self.schedule_of(design.layout))
        return out
