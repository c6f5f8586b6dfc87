"""A project's workspace on disk, so nothing is lost to a browser reload or a server restart.

One folder per project under `<workdir>/workspaces/<project>/` holds `workspace.json`: the
open layout (the last valid one and the draft), its undo and redo history, the schedules
computed for it, the designs opened from runs, and the run the Optimise page shows. It is
written atomically (a temporary file renamed over the old one) under an exclusive lock, with
a version number: a tab that saves over a version it has not seen (another tab saved in the
meantime) gets `StaleWorkspace` instead of silently undoing the other tab's work. Nothing
here calls Streamlit.
"""
from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from twin.errors import FactoryTwinError
from twin.io import write_text_atomic

from factory_app.paths import safe_name, workdir

FILE = "workspace.json"
FORMAT = 1


class StaleWorkspace(FactoryTwinError):
    """Another tab (or server) saved this workspace since this one last read or wrote it."""


def workspaces_dir() -> Path:
    return workdir() / "workspaces"


def project_name(layout_name: str) -> str:
    return safe_name(layout_name, "project")


def project_dir(project: str) -> Path:
    return workspaces_dir() / safe_name(project, "project")


def list_projects() -> list[str]:
    """Projects with a saved workspace, the most recently saved first."""
    root = workspaces_dir()
    found = [p for p in root.glob(f"*/{FILE}")] if root.is_dir() else []
    return [p.parent.name for p in sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)]


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on the project folder (a lock file beside the workspace): readers and
    writers in other tabs and processes wait their turn."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class Snapshot:
    """What a workspace holds, as plain data (JSON-ready)."""

    layout: dict[str, Any]  # the last valid layout
    source: str
    layout_dir: str | None = None
    path: str | None = None
    draft: dict[str, Any] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)  # undo: oldest first
    future: list[dict[str, Any]] = field(default_factory=list)  # redo: the next one last
    schedules: dict[str, dict[str, Any]] = field(default_factory=dict)  # layout digest -> schedule document
    designs: dict[str, dict[str, Any]] = field(default_factory=dict)  # label -> {layout, layout_dir, schedule_doc}
    run_dir: str | None = None  # the run the Optimise page shows
    opened_as: dict[str, Any] | None = None  # the layout as it was opened (to tell edited work)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, **self.__dict__}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Snapshot":
        if data.get("format") != FORMAT:
            raise FactoryTwinError(f"workspace format {data.get('format')!r} is not {FORMAT}")
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in names})


def load(project: str) -> tuple[Snapshot, int] | None:
    """The saved workspace and its version, or None when the project has none (or it cannot
    be read: a damaged file is set aside as `workspace.json.damaged`, never loaded half)."""
    folder = project_dir(project)
    target = folder / FILE
    if not target.is_file():
        return None
    with _locked(folder):
        try:
            data = json.loads(target.read_text(encoding="utf-8"))
            return Snapshot.from_json(data["snapshot"]), int(data["version"])
        except (OSError, ValueError, KeyError, TypeError, FactoryTwinError):
            os.replace(target, folder / f"{FILE}.damaged")
            return None


def save(project: str, snapshot: Snapshot, seen_version: int | None) -> int:
    """Write the workspace and return its new version. `seen_version` is the version this tab
    last loaded or saved (None: it never saw one); a different version on disk raises
    StaleWorkspace and writes nothing."""
    folder = project_dir(project)
    with _locked(folder):
        target = folder / FILE
        current = None
        if target.is_file():
            try:
                current = int(json.loads(target.read_text(encoding="utf-8"))["version"])
            except (OSError, ValueError, KeyError, TypeError):
                current = None  # a damaged file is replaced
        if current is not None and current != seen_version:
            raise StaleWorkspace(f"project '{project}' was changed in another tab or window (version {current}, "
                                 f"this one last saw {seen_version})")
        version = (current or 0) + 1
        write_text_atomic(target, json.dumps({"version": version, "snapshot": snapshot.to_json()}))
        return version


# --- an app session to and from a snapshot ---------------------------------------------------


def snapshot_of(state: Any, run_dir: str | None = None) -> Snapshot:
    """What the session holds that a reload must not lose (`state`: an AppState with a session)."""
    from factory_app.editing import layout_data

    session = state.session
    return Snapshot(
        layout=layout_data(session.layout), source=session.source,
        layout_dir=str(session.layout_dir) if session.layout_dir else None,
        path=str(session.path) if session.path else None, draft=session.draft,
        history=[layout_data(x) for x in session.history], future=[layout_data(x) for x in session.future],
        schedules=dict(state.schedules),
        designs={label: {"layout": layout_data(d.layout), "layout_dir": str(d.layout_dir) if d.layout_dir else None,
                         "schedule_doc": d.schedule_doc} for label, d in state.designs.items()},
        run_dir=run_dir, opened_as=layout_data(session.opened_as) if session.opened_as is not None else None,
    )


def restore(state: Any, snapshot: Snapshot) -> None:
    """Put a saved workspace back into a session: the layout, draft, undo and redo history,
    schedules and designs (each layout checked again as it is read; the costly checks of the
    current layout wait for `EditSession.finish_check`, as on a first open)."""
    from twin.io import layout_from_data

    from factory_app.editing import EditSession, check
    from factory_app.state import Design

    def folder(text: str | None) -> Path | None:
        return Path(text) if text else None

    layout = layout_from_data(snapshot.layout, "workspace")
    session = EditSession.open(layout, snapshot.source, state.physics, folder(snapshot.layout_dir),
                               folder(snapshot.path), check_later=True)
    session.history = [layout_from_data(x, "workspace") for x in snapshot.history]
    session.future = [layout_from_data(x, "workspace") for x in snapshot.future]
    if snapshot.opened_as is not None:  # so work edited before the reload still counts as edited
        session.opened_as = layout_from_data(snapshot.opened_as, "workspace")
    if snapshot.draft is not None:
        session.draft = snapshot.draft
        session.draft_problems = check(snapshot.draft, session.layout_dir, state.physics)[1]
    state.session = session
    state.schedules = dict(snapshot.schedules)
    state.designs = {label: Design(label, layout_from_data(d["layout"], "workspace"), folder(d.get("layout_dir")),
                                   d.get("schedule_doc")) for label, d in snapshot.designs.items()}
