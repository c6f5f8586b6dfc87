"""The vehicles for trips at fixed times (`optimizer.vehicle_assignment.least_empty`): checked
against every assignment of small random instances, enumerated by brute force."""
from __future__ import annotations

import itertools
import random

import pytest

from optimizer.problem import SchedulingProblem
from optimizer.vehicle_assignment import FixedTrip, least_empty

PLACES = ("H", "P", "Q", "R", "S")


def fleet_problem(rng: random.Random, size: int, home: str | None) -> SchedulingProblem:
    """Random empty runs between the places: ticks, and metres that need not follow them."""
    runs = {(a, b): (0 if a == b else rng.randint(1, 9)) for a in PLACES for b in PLACES}
    metres = {pair: ticks * rng.choice((0.5, 1.0, 2.0)) for pair, ticks in runs.items()}
    return SchedulingProblem(jobs=(), capacities={p: 1 for p in PLACES}, transport={}, fleets={"agv": size},
                             homes={"agv": home} if home else {}, empty_runs={"agv": runs},
                             empty_distances={"agv": metres})


def empty_metres(problem: SchedulingProblem, trips: list[FixedTrip], vehicles: tuple[int, ...]) -> float | None:
    """The empty metres of an assignment, or None when a vehicle cannot drive it (the checker's
    rule: a vehicle's trips in order of (start, end), each pick-up reached from the last drop,
    or from home at time 0, before the trip leaves)."""
    total = 0.0
    home = problem.homes.get("agv")
    for v in set(vehicles):
        at, free = home, 0
        for t in sorted((t for t, w in zip(trips, vehicles) if w == v), key=lambda t: (t.start, t.end)):
            if free + problem.empty_ticks("agv", at, t.pick_up) > t.start:
                return None
            total += problem.empty_distance("agv", at, t.pick_up)
            at, free = t.drop, t.end
    return total


@pytest.mark.parametrize("seed", range(60))
def test_least_empty_is_the_best_assignment(seed):
    rng = random.Random(seed)
    size = rng.choice((1, 2, 3))
    problem = fleet_problem(rng, size, rng.choice(("H", None)))
    trips = []
    for _ in range(rng.randint(1, 7)):
        start = rng.randint(0, 40)
        a, b = rng.sample(PLACES[1:], 2)
        trips.append(FixedTrip(a, b, start, start + rng.randint(1, 8)))
    every = itertools.product(range(size), repeat=len(trips))
    best = min((m for m in (empty_metres(problem, trips, vs) for vs in every) if m is not None), default=None)
    chosen = least_empty(problem, "agv", trips)
    if best is None:
        assert chosen is None
    else:
        assert chosen is not None and all(0 <= v < size for v in chosen)
        assert empty_metres(problem, trips, tuple(chosen)) == pytest.approx(best)
        first = {}
        for i in sorted(range(len(trips)), key=lambda i: (trips[i].start, trips[i].end, i)):
            first.setdefault(chosen[i], i)
        assert sorted(first) == list(range(len(first)))  # vehicles numbered by their first trips
        assert list(first.values()) == sorted(first.values(), key=lambda i: (trips[i].start, trips[i].end, i))


def test_the_nearer_vehicle_is_left_for_the_trip_that_needs_it():
    # both vehicles leave home H at 0, one drops at P, the other at R, by 2. At 10 one trip
    # leaves Q and one leaves S. P is 2 from Q and 1 from S; R is 3 from Q and 8 from S. The
    # nearest vehicle for each trip in turn sends P to Q (2) and R to S (8): 10. The least
    # empty sends R to Q (3) and P to S (1): 4.
    runs = {(a, b): (0 if a == b else 9) for a in PLACES for b in PLACES}
    runs.update({("P", "Q"): 2, ("P", "S"): 1, ("R", "Q"): 3, ("R", "S"): 8})
    problem = SchedulingProblem(jobs=(), capacities={p: 1 for p in PLACES}, transport={}, fleets={"agv": 2},
                                homes={"agv": "H"}, empty_runs={"agv": runs},
                                empty_distances={"agv": {pair: float(t) for pair, t in runs.items()}})
    trips = [FixedTrip("H", "P", 0, 2), FixedTrip("H", "R", 0, 2), FixedTrip("Q", "Q", 10, 12),
             FixedTrip("S", "S", 10, 12)]
    chosen = least_empty(problem, "agv", trips)
    assert chosen == [0, 1, 1, 0]
    assert empty_metres(problem, trips, tuple(chosen)) == 4.0
    assert empty_metres(problem, trips, (0, 1, 0, 1)) == 10.0
