"""Where the flows want stations: the spot that makes one station's flows shortest, the
groups of flow-linked stations, the shift that brings a group to its outside partners, and
the whole layout drawn together around its flows. The perturbation's flow moves and the
flow lines' grouping read these."""
from __future__ import annotations

import numpy as np

from optimizer.placement.flow_cost import world_ports
from optimizer.placement.plans import Plan
from optimizer.placement.site import Site


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    return float(values[order][int(np.searchsorted(cum, cum[-1] / 2))])


def pull_target(site: Site, plan: Plan, s: int) -> tuple[float, float] | None:
    """Where station s's centre would make its flows shortest with every other station and
    dock where it is: per axis the flow-weighted median of the spots that put its output port
    on each successor's input port and its input port on each predecessor's output port (the
    Manhattan optimum of one station's flow cost); None when s has no placed partner."""
    ins, outs = world_ports(site, plan)
    r = int(plan.rot[s])
    out_w, in_w = site.flow[s].copy(), site.flow[:, s].copy()
    out_w[s] = in_w[s] = 0.0
    spots = np.vstack([ins - site.out_off[s, r], outs - site.in_off[s, r]])
    weights = np.concatenate([out_w, in_w])
    keep = (weights > 0) & ~np.isnan(spots[:, 0])
    if not keep.any():
        return None
    return (_weighted_median(spots[keep, 0], weights[keep]), _weighted_median(spots[keep, 1], weights[keep]))


def flow_group(site: Site, s: int, size: int) -> list[int]:
    """Station s and up to `size - 1` movable stations linked to it by flows, nearest in the
    flow graph first (breadth first, heaviest flows first)."""
    movable = set(int(q) for q in site.movable)
    both = site.flow[:site.n, :site.n] + site.flow[:site.n, :site.n].T
    group, frontier = [s], [s]
    while frontier and len(group) < size:
        nxt = []
        for a in frontier:
            for b in np.argsort(-both[a], kind="stable"):
                b = int(b)
                if both[a, b] <= 0 or len(group) >= size:
                    break
                if b in movable and b not in group:
                    group.append(b)
                    nxt.append(b)
        frontier = nxt
    return group


def group_shift(site: Site, plan: Plan, group: list[int]) -> tuple[float, float] | None:
    """The translation of `group` that shortens its flows with everything outside it most
    (per axis, the flow-weighted median of the shifts that would join each outside flow's
    ports); None when the group has no outside flow."""
    ins, outs = world_ports(site, plan)
    inside = np.zeros(len(ins), dtype=bool)
    inside[group] = True
    shifts, weights = [], []
    for g in group:
        for b in np.nonzero((site.flow[g] > 0) & ~inside)[0]:
            shifts.append(ins[b] - outs[g])
            weights.append(site.flow[g, b])
        for a in np.nonzero((site.flow[:, g] > 0) & ~inside)[0]:
            shifts.append(outs[a] - ins[g])
            weights.append(site.flow[a, g])
    if not shifts:
        return None
    shift, w = np.array(shifts), np.array(weights)
    keep = ~np.isnan(shift[:, 0])
    if not keep.any():
        return None
    return (_weighted_median(shift[keep, 0], w[keep]), _weighted_median(shift[keep, 1], w[keep]))


def compact_targets(site: Site, plan: Plan, factor: float) -> tuple[list[int], list[tuple[float, float]]]:
    """Every movable station's centre drawn towards the flow-weighted centre of the movable
    stations by `factor` (0: onto it, 1: where it is), nearest first, so the layout shrinks
    around its flows and keeps its arrangement."""
    movable = [int(s) for s in site.movable]
    xy = plan.xy[movable]
    weight = site.flow[movable].sum(axis=1) + site.flow[:, movable].sum(axis=0) + 1e-9
    centre = (xy * weight[:, None]).sum(axis=0) / weight.sum()
    order = np.argsort(np.abs(xy - centre).sum(axis=1), kind="stable")
    return ([movable[q] for q in order], [tuple(centre + (xy[q] - centre) * factor) for q in order])
