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
from twin.geometry import floor_rect, station_rect
from twin.io import layout_from_data
from twin.model import Layout, Station
from twin.physics import Physics
from twin.validate import all_problems, layout_problems, overlap_message, robot_problems

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
    history: list[Layout] = field(default_factory=list)  # undo: the layouts before, oldest first
    future: list[Layout] = field(default_factory=list)  # redo: the layouts undone, the next one last
    revision: int = 0  # bumps on every change, so widgets re-read their values
    path: Path | None = None  # the file the layout was opened from, if any
    opened_as: Layout | None = None  # the layout as it was opened
    last_field: tuple[int, str] | None = None  # (station index, field) of the last edit in the station editor
    checked: bool = True  # known_problems include the costly passes (aisle routes, robot cells in physics)

    @classmethod
    def open(cls, layout: Layout, source: str, physics: Physics, layout_dir: Path | None = None,
             path: Path | None = None, check_later: bool = False) -> "EditSession":
        """A session on `layout`. With `check_later` only the cheap checks run now (fields,
        references, placement, robot files): the aisle routing and the robot cells' physics
        (scipy and PyBullet, a second or two on a cold start) wait for `finish_check`, so the
        first view can draw the plan before them."""
        if check_later:
            problems = layout_problems(layout, check_routes=False) + robot_problems(layout, layout_dir)
        else:
            problems = all_problems(layout, layout_dir, physics)
        return cls(layout, source, physics, layout_dir, known_problems=problems, path=path, opened_as=layout,
                   checked=not check_later)

    def finish_check(self) -> bool:
        """Run the checks `open(check_later=True)` left out; True when they found more problems."""
        if self.checked:
            return False
        before, self.checked = self.known_problems, True  # once, even when the check fails
        self.known_problems = all_problems(self.layout, self.layout_dir, self.physics)
        if self.known_problems == before:
            return False
        self.revision += 1  # the fields show the problems found
        return True

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

    @property
    def can_redo(self) -> bool:
        return bool(self.future)

    @property
    def edited(self) -> bool:
        """The planner changed the layout since it was opened (an open replacing it asks first)."""
        return self.draft is not None or self.layout != self.opened_as

    def edit(self, data: dict[str, Any], field: tuple[int, str] | None = None) -> bool:
        """Apply an edit (`field`: the station editor's (index, field) that made it); True
        when it was accepted as the new current layout."""
        self.finish_check()  # an edit is judged against every problem the current layout has
        self.revision += 1
        self.last_field = field
        layout, problems = check(data, self.layout_dir, self.physics)
        known = {(p.path, p.message) for p in self.known_problems}
        if layout is not None and all((p.path, p.message) in known for p in problems):
            if layout != self.layout:
                self.history = (self.history + [self.layout])[-MAX_UNDO:]
                self.future = []
            self.layout, self.known_problems = layout, problems
            self.draft, self.draft_problems = None, []
            return True
        if layout is not None:
            problems = blame_moved(problems, self.layout, layout)
        self.draft, self.draft_problems = copy.deepcopy(data), problems
        return False

    def undo(self) -> bool:
        """Drop the invalid draft, else go back to the previous accepted layout."""
        if self.draft is not None:
            self.draft, self.draft_problems = None, []
        elif self.history:
            self.future = (self.future + [self.layout])[-MAX_UNDO:]
            self.layout = self.history.pop()
            self.known_problems = all_problems(self.layout, self.layout_dir, self.physics)
            self.checked = True
        else:
            return False
        self.revision += 1
        return True

    def redo(self) -> bool:
        """Step forward again to the layout the last undo left (an invalid draft is dropped)."""
        if not self.future:
            return False
        self.draft, self.draft_problems = None, []
        self.history = (self.history + [self.layout])[-MAX_UNDO:]
        self.layout = self.future.pop()
        self.known_problems = all_problems(self.layout, self.layout_dir, self.physics)
        self.checked = True
        self.revision += 1
        return True


_PATH = re.compile(r"^(?P<section>[a-z_.]+)\[(?P<index>\d+)\](?:\.(?P<rest>.*))?$")


TABLE_SECTIONS = ("stations", "products", "transport.conveyors", "operators.pools", "changeovers", "decisions.buffers")


def split_path(path: str) -> tuple[str, int, str] | None:
    """'stations[3].footprint.width' -> ('stations', 3, 'footprint.width'),
    'operators.pools[1].shifts[0].end' -> ('operators.pools', 1, 'shifts[0].end'); None otherwise."""
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
    """Problems that name no row of a table on the Layout page (shown at the top)."""
    return [p for p in problems if split_path(p.path) is None or split_path(p.path)[0] not in TABLE_SECTIONS]


def _placement(station: Station) -> tuple:
    return station.position, station.rotation, station.footprint


def blame_moved(problems: list[Problem], before: Layout, after: Layout) -> list[Problem]:
    """Overlaps put on the station that was moved (or resized, or turned) onto a station that
    stayed, not on the one that was there first (the checker names the later one in the file)."""
    old = {s.id: _placement(s) for s in before.stations}
    moved = {i for i, s in enumerate(after.stations) if old.get(s.id) != _placement(s)}
    if not moved:
        return problems
    out = list(problems)
    placed = [(i, s, station_rect(s)) for i, s in enumerate(after.stations) if s.position is not None]
    for i, station, rect in placed:
        if i not in moved:
            continue
        for j, other, orect in placed:
            if j == i or j in moved or not rect.overlaps(orect):
                continue
            theirs = Problem(f"stations[{j}].position", overlap_message(other.id, station.id))
            mine = Problem(f"stations[{i}].position", overlap_message(station.id, other.id))
            if theirs in out:
                out[out.index(theirs)] = mine
    return out


def position_messages(problems: list[Problem], index: int, layout: Layout | None,
                      last_field: tuple[int, str] | None = None) -> dict[str, list[str]]:
    """The problems of station `index`'s position split between its x and y fields: a
    coordinate's own problem under it; a station reaching outside the floor under the axis it
    leaves the floor on; any other (an overlap) under the field last edited (x by default)."""
    out: dict[str, list[str]] = {"x": [], "y": []}
    edited = last_field[1] if last_field and last_field[0] == index and last_field[1] in out else "x"
    station = layout.stations[index] if layout is not None and index < len(layout.stations) else None
    for problem in problems:
        where = split_path(problem.path)
        if where is None or where[:2] != ("stations", index) or not where[2].startswith("position"):
            continue
        rest = where[2]
        if rest == "position[0]":
            out["x"].append(problem.message)
        elif rest == "position[1]":
            out["y"].append(problem.message)
        else:
            axes = _axes_off_floor(station, layout) if "outside the floor" in problem.message else []
            for axis in axes or [edited]:
                out[axis].append(problem.message)
    return out


def _axes_off_floor(station: Station | None, layout: Layout | None) -> list[str]:
    if station is None or station.position is None or layout is None:
        return []
    rect, floor = station_rect(station), floor_rect(layout.floor)
    axes = []
    if rect.xmin < floor.xmin - 1e-9 or rect.xmax > floor.xmax + 1e-9:
        axes.append("x")
    if rect.ymin < floor.ymin - 1e-9 or rect.ymax > floor.ymax + 1e-9:
        axes.append("y")
    return axes
