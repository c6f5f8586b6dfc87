"""AGVs as vehicles in the CP-SAT model: each carries one lot at a time and drives empty from
where it dropped its last lot (or its home) to the next pick-up.

Two models, chosen by size (`EXACT_MOVES`):

- **routes** (exact): the fleet's trips form routes out of the home (CP-SAT's multiple-circuit
  constraint, one route per vehicle used, at most the fleet): an arc from trip a to trip b means
  one vehicle does b next, so b leaves no earlier than a arrives plus the empty run from a's
  drop to b's pick-up. A redundant Cumulative over the loaded trips helps it propagate. The
  arcs grow with the square of the trips: at 45 possible trips it found a worse schedule in
  10 s than the cap, from 56 none of its own (`EXACT_MOVES`; on the auto-parts sample, 82
  trips, nothing either). A lot in transfer batches makes one trip per batch.
- **cap** (a relaxation, any size): a Cumulative keeps at most the fleet's loaded trips under
  way at once and leaves the empty runs out; exact for a fleet without home and empty runs.
  For a fleet with them its bound is still a lower bound, and the scheduler re-times the
  solution so that a vehicle carries every trip (`optimizer.dispatch.follow`).
"""
from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from optimizer.problem import SchedulingProblem

Key = tuple[int, ...]  # a trip: the move (job index, operation index), plus the transfer batch from the second (`trip_key`)
# At most this many possible trips per fleet get the routes model. Measured on the samples cut
# to their first lots (benchmarks/vehicle_routes_bench.py, 10 s, 2 workers, load 12-19): the
# routes model proved the optimum up to 41 trips (as the fleet cap re-timed did, 2-3x faster),
# found a worse schedule than the cap at 45 and only the warm start from 56 trips on.
EXACT_MOVES = 40


@dataclass(frozen=True)
class Choice:
    """One way a move may need a vehicle: from `pick_up` to `drop`, present with `present`
    (True when fixed); `pick_present`/`drop_present` say the lot is at / goes to those places."""

    pick_up: str
    drop: str
    ticks: int
    present: object
    pick_present: object
    drop_present: object


@dataclass(frozen=True)
class Move:
    """One trip: a lot's move into an operation, or one transfer batch of it (`batched`: the
    lot moves in transfer batches, one trip each)."""

    key: Key
    depart: cp_model.IntVar
    choices: tuple[Choice, ...]
    batched: bool = False


@dataclass
class Routes:
    """The arcs of the routes model, to read each trip's vehicle back and to hint them."""

    moves: list[Move]
    arcs: dict[tuple[int, int], object]  # (node, node) -> literal; node 0 is home, i + 1 is moves[i]


def moves_per_fleet(problem: SchedulingProblem) -> dict[str, int]:
    """How many trips (a lot going on to its next operation, one per transfer batch for a lot
    in transfer batches) may need a vehicle of each fleet."""
    counts = {mover: 0 for mover in problem.fleets}
    for job in problem.jobs:
        for k, op in enumerate(job.operations):
            movers = {leg.mover for sa in problem.pick_ups(job, k) for b in op.alternatives
                      if (leg := problem.fleet_leg(sa, b.station)) is not None}
            for mover in movers:
                counts[mover] += problem.batch_trips(job, k)
    return counts


def _never_next(a: Move, b: Move) -> bool:
    """True when one vehicle can never do trip b right after trip a: b is an earlier trip of
    the same lot (an earlier batch of the same move; an earlier move of a whole lot, or the
    lot's trip from its origin, which arrives before anything of the lot is done)."""
    (ja, ka, *ia), (jb, kb, *ib) = a.key, b.key
    if ja != jb:
        return False
    if ka == kb:
        return (ia or [0])[0] > (ib or [0])[0]
    return ka > kb and (kb == 0 or not a.batched)


def routes_exactly(problem: SchedulingProblem, mover: str, trips: int) -> bool:
    """Whether the CP-SAT model routes `mover`'s vehicles (the routes model): they must be told
    apart, and its `trips` possible trips are few enough (EXACT_MOVES)."""
    return problem.has_vehicles(mover) and 0 < trips <= EXACT_MOVES


def routed(problem: SchedulingProblem) -> bool:
    """True when the CP-SAT model routes some fleet's vehicles (`routes_exactly`)."""
    return any(routes_exactly(problem, mover, n) for mover, n in moves_per_fleet(problem).items())


def relaxed(problem: SchedulingProblem) -> bool:
    """True when some fleet with a home or empty runs has too many trips for the routes model,
    so the CP-SAT model leaves its empty runs out (a relaxation) and its answer needs re-timing."""
    if not any(problem.has_vehicles(mover) for mover in problem.fleets):
        return False
    return any(problem.has_vehicles(mover) and n > EXACT_MOVES for mover, n in moves_per_fleet(problem).items())


def _literal(model: cp_model.CpModel, value: object) -> object:
    return model.NewConstant(1) if value is True else value


def _enforce(constraint, literals) -> None:
    literals = [lit for lit in literals if lit is not True]
    if literals:
        constraint.OnlyEnforceIf(literals)


def constrain(model: cp_model.CpModel, problem: SchedulingProblem, mover: str, moves: list[Move],
              horizon: int) -> Routes | None:
    """The fleet's constraints on its possible trips; the routes model's arcs, or None."""
    size = problem.fleets[mover]
    if len(moves) > size:  # at most `size` loaded trips at once: the cap, redundant for routes
        loaded = [_interval(model, move.depart, c.ticks, c.present, f"trip_{move.key}_{c.pick_up}_{c.drop}")
                  for move in moves for c in move.choices]
        model.AddCumulative(loaded, [1] * len(loaded), size)
    if not routes_exactly(problem, mover, len(moves)):
        return None
    return _routes(model, problem, mover, moves, horizon)


def _interval(model: cp_model.CpModel, start, size: int, present: object, name: str) -> cp_model.IntervalVar:
    if present is True:
        return model.NewFixedSizeIntervalVar(start, size, name)
    return model.NewOptionalFixedSizeIntervalVar(start, size, present, name)


def _routes(model: cp_model.CpModel, problem: SchedulingProblem, mover: str, moves: list[Move],
            horizon: int) -> Routes:
    arcs: dict[tuple[int, int], object] = {}
    arrive = []
    for i, move in enumerate(moves):
        node = i + 1
        if any(c.present is True for c in move.choices):
            present = True
        elif len(move.choices) == 1:
            present = move.choices[0].present
        else:
            present = model.NewBoolVar(f"move_{move.key}")
            model.Add(present == sum(c.present for c in move.choices))
        if present is not True:
            arcs[(node, node)] = present.Not()
        ticks = {c.ticks for c in move.choices}
        if len(ticks) == 1:
            arrive.append(move.depart + ticks.pop())
        else:
            end = model.NewIntVar(0, horizon + max(ticks), f"arrive_{move.key}")
            model.Add(end == move.depart + sum(c.ticks * _literal(model, c.present) for c in move.choices))
            arrive.append(end)
        arcs[(0, node)] = first = model.NewBoolVar(f"first_{mover}_{move.key}")
        arcs[(node, 0)] = model.NewBoolVar(f"last_{mover}_{move.key}")
        home = problem.homes.get(mover)
        for c in move.choices:  # a vehicle's first trip comes from home
            _enforce(model.Add(move.depart >= problem.empty_ticks(mover, home, c.pick_up)), [first, c.pick_present])
    drops = [{c.drop: c.drop_present for c in move.choices} for move in moves]
    picks = [{c.pick_up: c.pick_present for c in move.choices} for move in moves]
    for i, a in enumerate(moves):
        for b_index, b in enumerate(moves):
            if a is b or _never_next(a, b):
                continue
            lit = model.NewBoolVar(f"next_{mover}_{a.key}_{b.key}")
            arcs[(i + 1, b_index + 1)] = lit
            gaps = {(x, y): problem.empty_ticks(mover, x, y) for x in drops[i] for y in picks[b_index]}
            if len(set(gaps.values())) == 1:
                model.Add(b.depart >= arrive[i] + next(iter(gaps.values()))).OnlyEnforceIf(lit)
                continue
            for (x, y), gap in gaps.items():
                _enforce(model.Add(b.depart >= arrive[i] + gap), [lit, drops[i][x], picks[b_index][y]])
    # an idle route through one extra node keeps the constraint satisfiable when no trip is
    # present (CP-SAT's multiple circuit needs a route out of node 0); it counts as no vehicle
    idle = len(moves) + 1
    model.AddMultipleCircuit([(a, b, _literal(model, lit)) for (a, b), lit in arcs.items()]
                             + [(0, idle, _literal(model, True)), (idle, 0, _literal(model, True))])
    model.Add(sum(arcs[(0, i + 1)] for i in range(len(moves))) <= problem.fleets[mover])
    return Routes(moves, arcs)


def route_vehicles(routes: Routes, value) -> dict[Key, int]:
    """{move: vehicle} read from a solution (`value(literal) -> bool`): vehicle r does the
    r-th route out of home, in the order the arcs give."""
    chosen = [(a, b) for (a, b), lit in routes.arcs.items() if a != b and value(lit)]
    successor = {a: b for a, b in chosen if a != 0}
    vehicles: dict[Key, int] = {}
    for vehicle, first in enumerate(sorted(b for a, b in chosen if a == 0)):
        node = first
        while node != 0:
            vehicles[routes.moves[node - 1].key] = vehicle
            node = successor[node]
    return vehicles


def route_hints(routes: Routes, vehicles: dict[Key, int], departures: dict[Key, int]) -> dict[tuple[int, int], bool]:
    """The arcs of a known assignment of trips to vehicles (a warm start), as hints."""
    node = {move.key: i + 1 for i, move in enumerate(routes.moves)}
    chosen: set[tuple[int, int]] = set()
    by_vehicle: dict[int, list[tuple[int, int]]] = {}
    for key, vehicle in vehicles.items():
        if key in node:
            by_vehicle.setdefault(vehicle, []).append((departures[key], node[key]))
    for trips in by_vehicle.values():
        path = [0] + [n for _, n in sorted(trips)] + [0]
        chosen.update(zip(path, path[1:]))
    used = {n for trips in by_vehicle.values() for _, n in trips}
    chosen.update((n, n) for n in node.values() if n not in used)
    return {pair: pair in chosen for pair in routes.arcs}
