"""The independent layout checker: is a candidate layout one a planner could build?

Every candidate a generator proposes is checked here before it counts. The geometry is
recomputed from the model fields alone (footprint, position, rotation), sharing no code with
the generators in `optimizer.placement`, so a generator bug cannot hide itself: every station
placed, inside the floor, clear of keep-out zones, at least the aisle width from every other
station, fixed stations where the reference has them, every port and dock on the one aisle
network (`twin.graph.reachability_problems`), robot safety clearance
(`twin.safety.check_clearance`), and every tended machine's load point within its robot's
`max_distance` and reach (`twin.tending`; a robot and the machines it tends may stand closer
than an aisle, never overlapping).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from twin.errors import Problem
from twin.model import Layout
from twin.physics import Physics
from twin.tending import tended_pairs

if TYPE_CHECKING:  # pragma: no cover
    from twin.graph import AisleRouter

__all__ = ["check_layout"]

# metres; looser than float noise, far tighter than any placement grid
TOL = 1e-6


def _footprint_bounds(layout: Layout) -> np.ndarray:
    """(n, 4) array of xmin, ymin, xmax, ymax per station (NaN for an unplaced one)."""
    out = np.full((len(layout.stations), 4), np.nan)
    for i, s in enumerate(layout.stations):
        if s.position is None:
            continue
        w, d = s.footprint.width, s.footprint.depth
        if s.rotation in (90, 270):
            w, d = d, w
        x, y = s.position
        out[i] = (x - w / 2, y - d / 2, x + w / 2, y + d / 2)
    return out


def _fmt(value: float) -> str:
    return f"{round(value, 2):g}"


def _placement_problems(layout: Layout, bounds: np.ndarray) -> list[Problem]:
    floor = layout.floor
    problems: list[Problem] = []
    for i, s in enumerate(layout.stations):
        if s.position is None:
            problems.append(Problem(f"stations[{i}].position", f"station '{s.id}' is not placed"))
            continue
        xmin, ymin, xmax, ymax = bounds[i]
        if xmin < -TOL or ymin < -TOL or xmax > floor.width + TOL or ymax > floor.depth + TOL:
            problems.append(Problem(f"stations[{i}].position", f"station '{s.id}' reaches outside the floor "
                                    f"({floor.width:g} x {floor.depth:g} m)"))
        for zone in floor.keep_out:
            if (xmin < zone.x + zone.width - TOL and zone.x < xmax - TOL
                    and ymin < zone.y + zone.depth - TOL and zone.y < ymax - TOL):
                problems.append(Problem(f"stations[{i}].position",
                                        f"station '{s.id}' overlaps keep-out zone '{zone.id}'"))
    return problems


def _clearance_problems(layout: Layout, bounds: np.ndarray) -> list[Problem]:
    """Every pair of placed footprints at least the aisle width apart (Euclidean gap), except
    a robot cell and the machines it tends (`twin.tending.tended_pairs`), which share a fence
    but must not overlap."""
    placed = np.flatnonzero(~np.isnan(bounds[:, 0]))
    if len(placed) < 2:
        return []
    b = bounds[placed]
    # signed separations along each axis: negative means the projections overlap
    sx = np.maximum(b[None, :, 0] - b[:, None, 2], b[:, None, 0] - b[None, :, 2])
    sy = np.maximum(b[None, :, 1] - b[:, None, 3], b[:, None, 1] - b[None, :, 3])
    gap = np.hypot(np.maximum(sx, 0.0), np.maximum(sy, 0.0))
    overlap = (sx < -TOL) & (sy < -TOL)
    aisle = layout.floor.aisle_width
    close = np.triu(gap < aisle - TOL, 1)
    problems = []
    tended = tended_pairs(layout)
    for a, c in zip(*np.nonzero(close)):
        i, j = int(placed[a]), int(placed[c])
        first, second = layout.stations[i], layout.stations[j]
        if frozenset((i, j)) in tended and not overlap[a, c]:
            continue
        if overlap[a, c]:
            message = f"station '{second.id}' overlaps station '{first.id}'"
        else:
            message = (f"station '{second.id}' is {_fmt(gap[a, c])} m from '{first.id}', "
                       f"less than the {aisle:g} m aisle")
        problems.append(Problem(f"stations[{j}].position", message))
    return problems


def _reference_problems(layout: Layout, reference: Layout) -> list[Problem]:
    """Same stations as the reference, same footprints and ports, fixed ones not moved."""
    problems = []
    mine = {s.id: (i, s) for i, s in enumerate(layout.stations)}
    theirs = {s.id for s in reference.stations}
    for i, s in enumerate(layout.stations):
        if s.id not in theirs:
            problems.append(Problem(f"stations[{i}].id", f"station '{s.id}' is not in the reference layout"))
    for ref in reference.stations:
        if ref.id not in mine:
            problems.append(Problem("stations", f"station '{ref.id}' of the reference layout is missing"))
            continue
        i, s = mine[ref.id]
        for field in ("footprint", "input_port", "output_port", "kind", "cell", "guarded"):
            if getattr(s, field) != getattr(ref, field):
                problems.append(Problem(f"stations[{i}].{field}",
                                        f"station '{s.id}' differs from the reference in {field}"))
        if not ref.fixed:
            continue
        if not s.fixed:
            problems.append(Problem(f"stations[{i}].fixed", f"station '{s.id}' is fixed in the reference"))
        if s.position is None or ref.position is None or np.hypot(
                s.position[0] - ref.position[0], s.position[1] - ref.position[1]) > TOL:
            where = "nowhere" if s.position is None else f"({s.position[0]:g}, {s.position[1]:g})"
            was = "nowhere" if ref.position is None else f"({ref.position[0]:g}, {ref.position[1]:g})"
            problems.append(Problem(f"stations[{i}].position", f"fixed station '{s.id}' moved from {was} to {where}"))
        if s.rotation != ref.rotation:
            problems.append(Problem(f"stations[{i}].rotation",
                                    f"fixed station '{s.id}' turned from {ref.rotation} to {s.rotation} degrees"))
    return problems


def check_layout(
    layout: Layout,
    layout_dir: Path | None = None,
    reference: Layout | None = None,
    *,
    router: "AisleRouter | None" = None,
    physics: Physics,
) -> list[Problem]:
    """Every reason the placed layout cannot be built; an empty list means it is valid.

    `reference` is the layout the candidate was made from: its fixed stations must not move
    and no station may change anything but its placement. `layout_dir` resolves robot files
    for the safety check, whose reach envelopes are measured in `physics`. `router`, if given, must be an AisleRouter built on `layout`
    (a search that also routes flows can share it). Reachability and safety are checked only
    when the placement geometry is sound, since aisles between overlapping stations mean
    nothing.
    """
    bounds = _footprint_bounds(layout)
    problems = _placement_problems(layout, bounds) + _clearance_problems(layout, bounds)
    if reference is not None:
        problems += _reference_problems(layout, reference)
    if problems:
        return problems
    from twin.graph import reachability_problems

    problems += reachability_problems(layout, router)
    from twin.safety import check_clearance
    from twin.tending import reach_problems, tend_problems

    problems += check_clearance(layout, layout_dir, physics)
    problems += tend_problems(layout) + reach_problems(layout, layout_dir, physics)
    return problems
