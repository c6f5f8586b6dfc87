"""Every feature of the scheduling problem at once, on random small shops: lanes, alternative
stations, conveyors and an AGV fleet with a home and empty runs, lots from an origin, transfer
batches, a batch machine, changeovers between product families and a crew with breaks.

The other property tests each draw one group of features (`test_scheduler`, `test_vehicles`,
`test_lower_bound`); this one checks that they hold together: CP-SAT's and the dispatching
rules' schedules pass the independent checker, a proven optimum is no worse than the rules,
and the reported lower bound never exceeds the optimum of a model solved without it."""
from __future__ import annotations

from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer import dispatch
from optimizer.problem import Alternative, Job, Operation, OperatorPool, SchedulingProblem, TransportLeg
from optimizer.schedule import check_schedule
from optimizer.scheduler import solve
from twin.shifts import Calendar

STATIONS = ["S0", "S1", "S2", "S3"]  # S3 may be a batch machine
FAMILIES = ["F", "G"]


@st.composite
def shops(draw) -> SchedulingProblem:
    """Up to five lots of up to four operations on four stations and a home H."""
    places = STATIONS + ["H"]
    capacities = {s: draw(st.sampled_from([1, 1, 2])) for s in STATIONS}
    batch_sizes = {"S3": draw(st.sampled_from([2, 4]))} if draw(st.booleans()) else {}
    if batch_sizes:
        capacities["S3"] = 1
    jobs = []
    for j in range(draw(st.integers(1, 5))):
        batched = draw(st.booleans())  # transfer batches, never on the batch machine
        ops = []
        for k in range(draw(st.integers(1, 4))):
            alternatives = []
            for s in draw(st.lists(st.sampled_from(STATIONS[:3] if batched else STATIONS), min_size=1, max_size=2,
                                   unique=True)):
                d = draw(st.integers(0, 6))
                first, last = (draw(st.integers(1, d)), draw(st.integers(1, d))) if batched and d else (None, None)
                alternatives.append(Alternative(s, d, first_batch=first, last_batch=last))
            ops.append(Operation(f"o{k}", tuple(alternatives)))
        jobs.append(Job(f"J{j}", tuple(ops), product=f"P{j}", units=draw(st.integers(1, 3)),
                        family=draw(st.sampled_from(FAMILIES)), release=draw(st.integers(0, 5)),
                        origin=draw(st.sampled_from([None, "H"])), transfer_batches=2 if batched else 1))
    transport = {(a, b): TransportLeg(draw(st.integers(0, 4)), 1.0, draw(st.sampled_from(["agv", "conveyor"])))
                 for a in places for b in STATIONS if a != b and draw(st.booleans())}
    fleet = draw(st.sampled_from([None, 1, 2]))
    fleets = {} if fleet is None else {"agv": fleet}
    homes = {"agv": "H"} if fleet and draw(st.booleans()) else {}
    empty_runs = ({"agv": {(a, b): draw(st.integers(0, 5)) for a in places for b in places}}
                  if fleet and draw(st.booleans()) else {})
    changeovers = {s: {(f, g): draw(st.integers(0, 5)) for f in FAMILIES for g in FAMILIES if f != g}
                   for s in STATIONS[:3] if draw(st.booleans())}
    pools, manned = {}, {}
    if draw(st.booleans()):  # on shift for 6-9 of every 10 ticks: every operation fits in a stretch
        pools = {"crew": OperatorPool(draw(st.integers(1, 2)), Calendar(10.0, ((0.0, float(draw(st.integers(6, 9)))),)))}
        manned = {s: ("crew",) for s in draw(st.lists(st.sampled_from(STATIONS[:3]), min_size=1, max_size=3, unique=True))}
    return SchedulingProblem(jobs=tuple(jobs), capacities=capacities, transport=transport, fleets=fleets, homes=homes,
                             empty_runs=empty_runs, changeovers=changeovers, batch_sizes=batch_sizes, pools=pools,
                             manned=manned)


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
