"""Candidate layouts: new placements (position and rotation) of every station a layout does
not fix, from several generators behind one interface.

A generator is `(layout, budget, rng) -> iterator of Layout`, chosen by name from
`GENERATORS`:

- `qap` (`slot_assignment`): slot assignment as a quadratic assignment problem (flow x
  Manhattan distance between slot centres, fixed stations and docks pinned) solved by tabu
  search (`optimizer.qap`); the best assignments are legalised onto the placement lattice
  and jittered.
- `cpsat` (`cpsat`): CP-SAT placement on the lattice with `AddNoOverlap2D`, rotation as a
  choice of boxes, keep-outs and fixed stations as fixed boxes, flow-weighted Manhattan
  objective; every improving solution of several seeded solves is a candidate.
- `line` (`flow_lines`): flow lines: the stations in flow order (the least-squares place of
  each along its flows, receiving docks first), laid out in rows an aisle apart from the
  receiving dock's side, as a straight line, a U or a snake; stations that no flow links to
  the others form rows of their own (product cells side by side).
- `perturb` (`perturbation`): move, swap, rotate, pull (one station to where its flows want
  it), settle (pull every station in turn), compact (the layout drawn together around its
  flows) and group shift (flow-linked stations moved together) moves from the layout itself
  and the best (by the same flow-distance proxy) of the candidates it has made so far.
- `mixed` (`mixed`): interleaves the four, perturbing the best candidates of all of them.
- `random` (`random_layouts`): random legal layouts, no search: the baseline the others must
  beat.

All generators place on one lattice: footprint corners on the floor grid. The rules they
share make a candidate valid by construction: every footprint extended by one aisle width
to the right and to the top (its "occupancy", counted in grid cells) is disjoint from every
other, so any two stations are an aisle apart along x or y; the same holds against fixed
stations and wall/hazard zones (columns and docks keep half an aisle); a side of a station
that carries a port keeps half an aisle from the floor edge, so the port opens onto an
aisle. What the rules do not ensure is that the aisles connect: stations an aisle apart can
still close a pocket around a port, so a candidate can be unreachable (the test's random
small floors found one in a few hundred with `random`, `mixed` and `perturb`); the search's
check stores it as invalid with that problem. A robot cell and the machines it tends are one
rigid block, placed and turned together as the layout arranges them (`optimizer.tending_blocks`). The generators never call the
layout checker (`optimizer.layout_checker` is the independent judge); determinism comes
from iteration caps and CP-SAT's deterministic time, never the wall clock, so one seed
gives one sequence.

The modules, in the order the data flows through them:

- `site`: the lattice, the occupancy rules and the flow matrix of a layout (cached);
- `plans`: a candidate's placements as arrays, and back to a `Layout`; `keys` hashes them;
- `flow_cost`: the port-to-port flow proxy that ranks plans, and the rotation choice;
- `legality`: stations to the nearest free lattice spots; repair of a layout's own placements;
- `flow_targets`: where the flows want a station, a group or the whole layout;
- the generator families, each an endless source of plans and its `*_candidates`:
  `random_layouts`, `slot_assignment`, `cpsat`, `flow_lines`, `perturbation`, and `mixed`,
  which interleaves them around `elites` (the best plans so far);
- `driver`: the loop they share (pull pattern, duplicates, budget, idling);
- `registry`: the generators by name and `generate`, the entry point.
"""
from __future__ import annotations

from optimizer.placement.cpsat import cpsat_candidates
from optimizer.placement.flow_lines import line_candidates
from optimizer.placement.keys import candidate_key, placements
from optimizer.placement.mixed import mixed_candidates
from optimizer.placement.perturbation import perturb, perturb_candidates
from optimizer.placement.random_layouts import random_candidates
from optimizer.placement.registry import GENERATORS, Generator, generate
from optimizer.placement.slot_assignment import qap_candidates

__all__ = [
    "GENERATORS", "Generator", "candidate_key", "generate", "perturb", "placements",
    "qap_candidates", "cpsat_candidates", "line_candidates", "perturb_candidates", "mixed_candidates",
    "random_candidates",
]
