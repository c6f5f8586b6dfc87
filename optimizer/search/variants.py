"""More decisions than positions: the AGV fleet size and buffer capacities the layout's
`decisions` block lets the search choose, tried on the best placements.

The screening proxy (flow distance) cannot tell two fleets or two buffer sizes apart, so the
decisions are not drawn in stage 1: they are tried where a figure can see them. Each of the
as-is layout and the best screened placements enters the short list with the layout's own
values and once per *decision variant*; the plan (CP-SAT) then schedules each with its fleet,
and the running twin simulates each with its fleet and buffers, so the final ranking by
annual cost can answer "move these stations and run 2 AGVs instead of 3".

Variants: each decision takes every whole value of its range when it has at most `LEVELS`,
else `LEVELS` values spread evenly from its minimum to its maximum; the variants are their
combinations, minus the as-is combination, at most `MAX_VARIANTS` of them (a sample fixed by
the run's seed when there are more, the cheapest-looking corners always kept).
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from twin.model import Layout

from optimizer.search.rows import FLEET

LEVELS = 4  # values tried per decision
MAX_VARIANTS = 7  # variants per placement besides the as-is values: 8 designs per placement at most


def levels(low: int, high: int) -> list[int]:
    """The values tried for a range [low, high]: all of them, or `LEVELS` spread evenly."""
    if high - low + 1 <= LEVELS:
        return list(range(low, high + 1))
    return sorted({int(round(low + i * (high - low) / (LEVELS - 1))) for i in range(LEVELS)})


def decided(layout: Layout) -> list[tuple[str, list[int], int | None]]:
    """(choice name, values tried, as-is value) of every decision of the layout, fleet first."""
    d = layout.decisions
    out: list[tuple[str, list[int], int | None]] = []
    if d.agv_fleet is not None:
        out.append((FLEET, levels(d.agv_fleet.min, d.agv_fleet.max), layout.transport.agv.fleet_size))
    for b in d.buffers:
        out.append((f"{b.station}.{b.field}", levels(b.min, b.max), getattr(layout.station(b.station), b.field)))
    return out


def variants(layout: Layout, seed: int) -> list[dict[str, int]]:
    """The decision variants tried on each short-listed placement (none without decisions)."""
    decisions = decided(layout)
    if not decisions:
        return []
    names = [name for name, _, _ in decisions]
    as_is = tuple(value for _, _, value in decisions)
    combos = [c for c in itertools.product(*(values for _, values, _ in decisions)) if c != as_is]
    if len(combos) > MAX_VARIANTS:
        # the all-low corner (cheapest) and the all-high corner (most capacity) always (when the as-is
        # values are a corner, that design is already in: the first or last combination is then its neighbour),
        # the rest by the seed
        keep = {0, len(combos) - 1}
        rng = np.random.default_rng([seed, 0xDEC1])
        rest = [i for i in range(len(combos)) if i not in keep]
        keep |= {int(i) for i in rng.choice(rest, size=MAX_VARIANTS - len(keep), replace=False)}
        combos = [combos[i] for i in sorted(keep)]
    return [dict(zip(names, combo)) for combo in combos]


def choices_key(choices: dict[str, int]) -> str:
    """What a candidate's key gets appended for its choices ('' for the as-is values)."""
    return "".join(f"|{name}={value}" for name, value in sorted(choices.items()))


def placements_for(shortlist: int, variant_count: int) -> int:
    """How many screened placements the short list holds when each comes with `variant_count`
    variants and the as-is layout's variants come first."""
    if variant_count == 0:
        return shortlist
    return max(1, math.floor((shortlist - variant_count) / (1 + variant_count)))
