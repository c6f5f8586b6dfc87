"""The edit/validate/undo model behind the Layout page.

The planner edits plain data (what the tables and fields show). Every edit is parsed and
validated at once: an edit that parses and brings no new problem becomes the current layout
(the previous one goes on the undo stack); any other edit stays as a *draft* whose problems
are shown next to the fields, while the last valid layout stays current for every other
page. Undo first drops an invalid draft, then steps back through accepted layouts.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twin.errors import LayoutError, Problem
from twin.io import layout_from_data
from twin.model import Layout
from twin.physics import Physics
from twin.validate import all_problems

MAX_UNDO = 50


def layout_data(layout: Layout) -> dict[str, Any]:
    """Every field of a layout (defaults included) as plain JSON-like data, for editing."""
    return layout.model_dump(mode="json", by_alias=True)


def check(data: dict[str, Any], layout_dir: Path | None, physics: Physics) -> tuple[Layout | None, list[Problem]]:
    """Parse and validate plain data: (layout or None, every problem; robot reach envelopes
    measured in `physics`)."""
    try:
        layout = layout_from_data(data)
    except LayoutError as exc:
        return None, exc.problems
    return layout, all_problems(layout, layout_dir, physics)


@dataclass
class EditSession:
    """One open layout: the current (last valid) layout, the draft, problems, undo stack."""

    layout: Layout
    source: str
    physics: Physics  # validation measures robot reach envelopes
    layout_dir: Path | None = None
    known_problems: list[Problem] = field(default_factory=list)  # of the current layout
    draft: dict[str, Any] | None = None  # an edit that was not accepted
    draft_problems: list[Problem] = field(default_factory=list)
    history: list[Layout] = field(default_factory=list)
    revision: int = 0  # bumps on every change, so widgets re-read their values
    path: Path | None = None  # the file the layout was opened from, if any

    @classmethod
    def open(cls, layout: Layout, source: str, physics: Physics, layout_dir: Path | None = None,
             path: Path | None = None) -> "EditSession":
        return cls(layout, source, physics, layout_dir, known_problems=all_problems(layout, layout_dir, physics),
                   path=path)

    @property
    def data(self) -> dict[str, Any]:
        """What the editor shows: the draft if there is one, else the current layout."""
        return copy.deepcopy(self.draft) if self.draft is not None else layout_data(self.layout)

    @property
    def problems(self) -> list[Problem]:
        return self.draft_problems if self.draft is not None else self.known_problems

    @property
    def has_draft(self) -> bool:
        return self.draft is not None

    @property
    def can_undo(self) -> bool:
        return self.draft is not None or bool(self.history)

    def edit(self, data: dict[str, Any]) -> bool:
        """Apply an edit; True when it was accepted as the new current layout."""
        self.revision += 1
        layout, problems = check(data, self.layout_dir, self.physics)
        known = {(p.path, p.message) for p in self.known_problems}
        if layout is not None and all((p.path, p.message) in known for p in problems):
            if layout != self.layout:
                self.history = (self.history + [self.layout])[-MAX_UNDO:]
            self.layout, self.known_problems = layout, problems
            self.draft, self.draft_problems = None, []
            return True
        self.draft, self.draft_problems = copy.deepcopy(data), problems
        return False

    def undo(self) -> bool:
        """Drop the invalid draft, else go back to the previous accepted layout."""
        if self.draft is not None:
            self.draft, self.draft_problems = None, []
        elif self.history:
            self.layout = self.history.pop()
            self.known_problems = all_problems(self.layout, self.layout_dir, self.physics)
        else:
            return False
        self.revision += 1
        return True


_PATH = re.compile(r"^(?P<section>[a-z_]+)\[(?P<index>\d+)\](?:\.(?P<rest>.*))?$")


def split_path(path: str) -> tuple[str, int, str] | None:
    """'stations[3].footprint.width' -> ('stations', 3, 'footprint.width'); None otherwise."""
    match = _PATH.match(path)
    if not match:
        return None
    return match["section"], int(match["index"]), match["rest"] or ""


def problems_for(problems: list[Problem], section: str, index: int, fields: tuple[str, ...] = ()) -> list[str]:
    """Messages of the problems at `section[index]` whose field starts with one of `fields`
    (all fields of that item when `fields` is empty)."""
    out = []
    for problem in problems:
        parts = split_path(problem.path)
        if parts is None or parts[0] != section or parts[1] != index:
            continue
        rest = parts[2]
        if not fields or any(rest == f or rest.startswith(f + ".") or rest.startswith(f + "[") for f in fields):
            out.append(problem.message)
    return out


def unplaced_problems(problems: list[Problem]) -> list[Problem]:
    """Problems that name no station, product or other table row (shown at the top)."""
    return [p for p in problems if split_path(p.path) is None or split_path(p.path)[0] not in ("stations", "products")]
