"""Every feature of the scheduling problem at once, on random small shops: lanes, alternative
stations, conveyors and an AGV fleet with a home and empty runs, lots from an origin, transfer
batches, a batch machine, changeovers between product families and a crew with breaks.

The other property tests each draw one group of features (`test_scheduler`, `test_vehicles`,
`test_lower_bound`); this one checks that they hold together: CP-SAT's and the dispatching
rules' schedules pass the independent checker, a proven optimum is no worse than the rules,
and the reported lower bound never exceeds the optimum of a model solved without it."""
from __future__ import annotations

from dataclasses import replace
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_lower_bound import small_problem

from optimizer import dispatch
from optimizer.problem import SchedulingProblem, TransportLeg
from optimizer.schedule import check_schedule
from optimizer.scheduler import solve

FAMILIES = ["F", "G"]


@st.composite
def shops(draw) -> SchedulingProblem:
    """`test_lower_bound.small_problem` (up to four lots on four stations: lanes, alternatives,
    conveyors, transfer batches, perhaps a batch machine on S3 and a crew with breaks) with the
    rest drawn on top: product families with changeovers on the other stations, lots from an
    origin H, AGV legs, and perhaps a fleet with a home at H and empty runs."""
    problem = draw(small_problem())
    stations = list(problem.capacities)
    places = stations + ["H"]
    jobs = tuple(replace(job, product=f"P{j}", family=draw(st.sampled_from(FAMILIES)),
                         origin=draw(st.sampled_from([None, "H"])))
                 for j, job in enumerate(problem.jobs))
    transport = dict(problem.transport)
    transport.update({(a, b): TransportLeg(draw(st.integers(0, 4)), 1.0, "agv")
                      for a in places for b in stations if a != b and draw(st.booleans())})
    fleet = draw(st.sampled_from([None, 1, 2]))
    fleets = {} if fleet is None else {"agv": fleet}
    homes = {"agv": "H"} if fleet and draw(st.booleans()) else {}
    empty_runs = ({"agv": {(a, b): draw(st.integers(0, 5)) for a in places for b in places}}
                  if fleet and draw(st.booleans()) else {})
    changeovers = {s: {(f, g): draw(st.integers(0, 5)) for f in FAMILIES for g in FAMILIES if f != g}
                   for s in stations if s not in problem.batch_sizes and draw(st.booleans())}
    return replace(problem, jobs=jobs, transport=transport, fleets=fleets, homes=homes, empty_runs=empty_runs,
                   changeovers=changeovers)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shops(), st.sampled_from(["makespan", "weighted_tardiness"]), st.sampled_from([1, 2]))
def test_every_feature_together_passes_the_checker(problem, objective, workers):
    found = solve(problem, time_limit=5.0, workers=workers, objective=objective)
    assert check_schedule(problem, found) == []
    rule = dispatch.solve(problem, objective=objective)
    assert check_schedule(problem, rule) == []
    if found.status == "optimal":
        assert found.objective_value <= rule.objective_value + 1e-9
    if objective != "makespan":
        return
    # the bound is a constraint of the model, so the optimum it is compared with comes from a
    # model without it (a bound above the optimum would make a worse schedule optimal)
    with mock.patch.object(dispatch, "simple_lower_bound", lambda problem, shifts=True, transports=True: 0):
        free = solve(problem, time_limit=5.0, workers=1, hint=False)
    if free.status == "optimal":
        assert dispatch.simple_lower_bound(problem) <= free.makespan
        if found.status == "optimal":
            assert found.makespan == free.makespan
