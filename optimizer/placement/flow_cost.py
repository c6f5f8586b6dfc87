"""The flow proxy: flow x Manhattan distance from output ports to input ports, the cheap
stand-in for the routed flow distance that ranks candidates inside the generators, and the
rotation choice it drives (turn a station where its ports then face its flows)."""
from __future__ import annotations

import math

import numpy as np

from optimizer.placement.plans import Plan
from optimizer.placement.site import Site


def world_ports(site: Site, plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """World input and output ports of stations then docks."""
    idx = np.arange(site.n)
    ins = np.vstack([plan.xy + site.in_off[idx, plan.rot], site.dock_xy])
    outs = np.vstack([plan.xy + site.out_off[idx, plan.rot], site.dock_xy])
    return ins, outs


def proxy_cost(site: Site, plan: Plan) -> float:
    """Flow x Manhattan distance from output ports to input ports: a cheap stand-in for the
    routed flow distance, used to rank candidates inside the generators."""
    ins, outs = world_ports(site, plan)
    dist = np.abs(outs[:, None, :] - ins[None, :, :]).sum(axis=2)
    return float((site.flow * dist).sum())


def choose_rotations(site: Site, plan: Plan, stations, sweeps: int = 2) -> None:
    """Turn each given lattice-placed station 180 degrees (or 90, if square) where that keeps
    its occupancy and wall margins and shortens its flows port to port."""
    flow = site.flow
    for _ in range(sweeps):
        ins, outs = world_ports(site, plan)
        changed = False
        for s in stations:
            k, j = plan.lattice[s]
            if k < 0:
                continue
            r0 = int(plan.rot[s])
            best_r, best_cost = r0, math.inf
            for r in range(4):
                if not np.array_equal(site.size[s, r], site.size[s, r0]):  # same size, same occupancy
                    continue
                kmin, kmax, jmin, jmax = site.bounds[s, r]
                if not (kmin <= k <= kmax and jmin <= j <= jmax):
                    continue
                o = plan.xy[s] + site.out_off[s, r]
                i_ = plan.xy[s] + site.in_off[s, r]
                cost = (flow[s] * np.abs(ins - o).sum(axis=1)).sum() + (flow[:, s] * np.abs(outs - i_).sum(axis=1)).sum()
                if cost < best_cost - 1e-9:
                    best_r, best_cost = r, cost
            if best_r != r0:
                plan.rot[s] = best_r
                changed = True
                ins[s] = plan.xy[s] + site.in_off[s, best_r]
                outs[s] = plan.xy[s] + site.out_off[s, best_r]
        if not changed:
            break
