"""What one browser session holds, as a plain object kept in `st.session_state`.

`AppState` owns the open layout (an `EditSession`), the schedules computed for layouts in
this session (by layout key), the designs opened from search runs, and the background
search job. Pages read and change it; nothing in it calls Streamlit.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twin.model import Layout

from factory_app.compute import layout_key
from factory_app.editing import EditSession
from factory_app.upload import Opened

CURRENT = "current layout"


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
    session: EditSession | None = None
    schedules: dict[str, dict[str, Any]] = field(default_factory=dict)  # layout digest -> schedule doc
    designs: dict[str, Design] = field(default_factory=dict)  # label -> design from runs
    job: Any = None  # factory_app.jobs.SearchJob while a search runs or after it ended
    message: str | None = None  # one-shot notice for the next page view

    def open(self, opened: Opened) -> None:
        self.session = EditSession.open(opened.layout, opened.source, opened.layout_dir, opened.path)

    @property
    def layout(self) -> Layout | None:
        return self.session.layout if self.session else None

    def schedule_of(self, layout: Layout) -> dict[str, Any] | None:
        return self.schedules.get(digest(layout))

    def remember_schedule(self, layout: Layout, doc: dict[str, Any]) -> None:
        self.schedules[digest(layout)] = doc

    def all_designs(self) -> dict[str, Design]:
        """The open layout first (with its schedule if computed), then designs from runs."""
        out: dict[str, Design] = {}
        if self.session is not None:
            layout = self.session.layout
            out[f"{CURRENT} ({layout.name})"] = Design(
                f"{CURRENT} ({layout.name})", layout, self.session.layout_dir, self.schedule_of(layout)
            )
        out.update(self.designs)
        return out
