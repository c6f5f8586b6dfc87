"""Plans: a candidate's placements as arrays (centres, rotation indices, lattice corners),
which the generators change cheaply, and the way back to a `Layout`."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.model import Layout

from optimizer.placement.keys import key_of
from optimizer.placement.site import Site


@dataclass
class Plan:
    """Centres and rotation indices (0..3) of every station; `lattice[s]` is the corner cell
    (k, j) of a station the generators placed, (-1, -1) for one placed by the layout."""

    xy: np.ndarray  # (n, 2)
    rot: np.ndarray  # (n,)
    lattice: np.ndarray  # (n, 2)

    def copy(self) -> "Plan":
        return Plan(self.xy.copy(), self.rot.copy(), self.lattice.copy())


def fixed_plan(site: Site) -> Plan:
    """Only the fixed stations placed: what every new plan starts from."""
    plan = Plan(np.full((site.n, 2), np.nan), np.zeros(site.n, dtype=np.int64), np.full((site.n, 2), -1, dtype=np.int64))
    for i, s in enumerate(site.layout.stations):
        if s.fixed:
            plan.xy[i] = s.position
            plan.rot[i] = s.rotation // 90
    return plan


def plan_of(site: Site, layout: Layout) -> Plan:
    n = site.n
    xy = np.full((n, 2), np.nan)
    rot = np.zeros(n, dtype=np.int64)
    for i, s in enumerate(layout.stations):
        rot[i] = s.rotation // 90
        if s.position is not None:
            xy[i] = s.position
    return Plan(xy, rot, np.full((n, 2), -1, dtype=np.int64))


def plan_key(site: Site, plan: Plan) -> str:
    return key_of([(s.id, float(plan.xy[i, 0]), float(plan.xy[i, 1]), int(plan.rot[i]) * 90)
                    for i, s in enumerate(site.layout.stations)])


def to_layout(site: Site, plan: Plan, layout: Layout | None = None) -> Layout:
    """`layout` (default: the site's own) with the plan's placements of the movable stations;
    everything else, such as an edited cost, comes from `layout`."""
    layout = site.layout if layout is None else layout
    stations = layout.stations
    return layout.with_placements({
        stations[i].id: ((float(plan.xy[i, 0]), float(plan.xy[i, 1])), int(plan.rot[i]) * 90)
        for i in site.movable
    })
