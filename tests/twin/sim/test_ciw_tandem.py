"""A tandem line of four exponential stations with finite buffers (blocking after service),
simulated by Ciw, a peer queueing library, and by the twin: throughput and mean time in the
line agree within the confidence intervals."""
from __future__ import annotations

import ciw
import numpy as np
from sim_fixtures import instant_factory, line_layout, overlap

from twin.sim.kpis import interval
from twin.sim.replications import run_replications

SERVICES = [40.0, 50.0, 45.0, 42.0]
RATE_PER_HOUR = 45.0
ROOM = 2  # places between two servers
HORIZON, WARMUP, REPLICATIONS = 150_000.0, 15_000.0, 10


def ciw_tandem(seed: int) -> tuple[float, float]:
    """(throughput units/h, mean time in the line) of one Ciw run, over exits after the warm-up."""
    n = len(SERVICES)
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=RATE_PER_HOUR / 3600)] + [None] * (n - 1),
        service_distributions=[ciw.dists.Exponential(rate=1 / s) for s in SERVICES],
        routing=[[1.0 if j == i + 1 else 0.0 for j in range(n)] for i in range(n)],
        number_of_servers=[1] * n,
        queue_capacities=[float("inf")] + [ROOM] * (n - 1),
    )
    ciw.seed(seed)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(HORIZON)
    records = simulation.get_all_records()
    entered = {r.id_number: r.arrival_date for r in records if r.node == 1}
    done = [(r.exit_date, r.exit_date - entered[r.id_number]) for r in records
            if r.node == n and r.exit_date >= WARMUP]
    return len(done) * 3600 / (HORIZON - WARMUP), float(np.mean([t for _, t in done]))


def test_tandem_line_agrees_with_ciw():
    n = len(SERVICES)
    # the twin's room between servers: the upstream station's output place plus the input buffer
    layout = line_layout(SERVICES, rate=RATE_PER_HOUR, output_buffers=[1] * (n - 1) + [None],
                         input_buffers=[None] + [ROOM - 1] * (n - 1))
    ours = run_replications(instant_factory(layout), REPLICATIONS, seed=11, horizon=HORIZON, warmup=WARMUP)
    theirs = [ciw_tandem(seed) for seed in range(REPLICATIONS)]
    our_throughput = interval([r.throughput_per_hour for r in ours])
    our_time = interval([r.lead_time_s for r in ours])
    ciw_throughput = interval([t for t, _ in theirs])
    ciw_time = interval([s for _, s in theirs])
    assert overlap(our_throughput, ciw_throughput), (our_throughput, ciw_throughput)
    assert overlap(our_time, ciw_time), (our_time, ciw_time)
    # blocking shows: the time in the line exceeds what the line would take with unlimited buffers
    unlimited = sum(s / (1 - RATE_PER_HOUR / 3600 * s) for s in SERVICES)
    assert our_time["ci95_low"] > unlimited and ciw_time["ci95_low"] > unlimited
