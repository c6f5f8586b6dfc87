"""The engine against queueing theory: M/M/1 and M/M/c (Erlang C), availability under
breakdowns, two stations with a finite buffer (a continuous-time Markov chain solved here),
and Little's law on every run."""
from __future__ import annotations

import math

import numpy as np
import pytest
from sim_fixtures import inside, instant_factory, line_layout

from twin.sim.kpis import evaluation_document
from twin.sim.replications import run_replications


def summary(runs):
    return evaluation_document("line", runs, control="fifo", seed=0, horizon=runs[0].end, warmup=0.0, fleet_size=0)


def assert_littles_law(runs):
    for run in runs:
        assert run.wip == pytest.approx(run.throughput_per_hour / 3600 * run.lead_time_s, rel=0.01)


def erlang_c_time_in_system(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean time in an M/M/c system: the Erlang-C waiting time plus the mean service."""
    a = arrival_rate / service_rate
    rho = a / servers
    waiting_term = a**servers / math.factorial(servers) / (1 - rho)
    p_wait = waiting_term / (sum(a**k / math.factorial(k) for k in range(servers)) + waiting_term)
    return p_wait / (servers * service_rate - arrival_rate) + 1 / service_rate


@pytest.mark.parametrize("servers,service_s,rate_per_hour", [(1, 60.0, 42.0), (3, 150.0, 60.0)])
def test_mmc_time_in_system_matches_erlang_c(servers, service_s, rate_per_hour):
    factory = instant_factory(line_layout([service_s], rate=rate_per_hour, capacities=[servers]))
    runs = run_replications(factory, 10, seed=3, horizon=250_000.0, warmup=20_000.0)
    doc = summary(runs)
    exact = erlang_c_time_in_system(rate_per_hour / 3600, 1 / service_s, servers)
    assert inside(doc["kpis"]["lead_time_s"], exact), (doc["kpis"]["lead_time_s"], exact)
    assert doc["kpis"]["throughput_per_hour"]["mean"] == pytest.approx(rate_per_hour, rel=0.03)
    busy = doc["stations"]["s0"]["busy"]
    assert busy == pytest.approx(rate_per_hour / 3600 * service_s / servers, abs=0.02)
    assert_littles_law(runs)


@pytest.mark.parametrize("repair", [{"kind": "exponential"}, {"kind": "lognormal", "cv": 0.5}])
def test_availability_under_breakdowns_is_mtbf_over_mtbf_plus_mttr(repair):
    layout = line_layout([1.0], lots=1, lot_size=2_000_000, shape={"kind": "fixed"}, mtbf=1000.0, mttr=100.0)
    station = layout.stations[0].model_copy(update={"breakdowns": layout.stations[0].breakdowns.model_copy(
        update={"repair": layout.stations[0].breakdowns.repair.model_copy(update=repair)})})
    runs = run_replications(instant_factory(layout.with_stations([station])), 5, seed=1, horizon=1_000_000.0)
    shares = summary(runs)["stations"]["s0"]
    assert shares["busy"] + shares["down"] == pytest.approx(1.0)  # always loaded: working or under repair
    assert shares["busy"] == pytest.approx(1000.0 / 1100.0, rel=0.02)


def two_station_throughput(mu1: float, mu2: float, room: int) -> float:
    """Exact throughput of a saturated station 1 feeding station 2 through `room` places,
    blocking after service: states 0..room+1 lots at station 2 (in service included) and one
    more state where station 1 holds a finished lot with nowhere to put it."""
    top = room + 1
    size = top + 2
    generator = np.zeros((size, size))
    for n in range(top):
        generator[n, n + 1] = mu1
    generator[top, top + 1] = mu1  # station 1 finishes into a full buffer: blocked
    for n in range(1, top + 1):
        generator[n, n - 1] = mu2
    generator[top + 1, top] = mu2  # station 2 finishes: the blocked lot moves on
    generator -= np.diag(generator.sum(axis=1))
    equations = np.vstack([generator.T, np.ones(size)])
    pi = np.linalg.lstsq(equations, np.r_[np.zeros(size), 1.0], rcond=None)[0]
    return mu2 * (1.0 - pi[0])


def test_finite_buffer_throughput_matches_the_markov_chain():
    mu1, mu2, horizon = 1 / 50, 1 / 55, 200_000.0
    # station 0's one output place plus station 1's input buffer of 1: two places between the servers
    layout = line_layout([50.0, 55.0], lots=int(1.3 * mu1 * horizon), output_buffers=[1, None], input_buffers=[None, 1])
    runs = run_replications(instant_factory(layout), 10, seed=5, horizon=horizon, warmup=20_000.0)
    doc = summary(runs)
    exact = two_station_throughput(mu1, mu2, room=2) * 3600
    assert inside(doc["kpis"]["throughput_per_hour"], exact), (doc["kpis"]["throughput_per_hour"], exact)
    # the buffer matters: without it the line would run at station 2's full rate
    assert doc["kpis"]["throughput_per_hour"]["ci95_high"] < mu2 * 3600 * 0.97
    assert doc["stations"]["s0"]["blocked"] > 0.05
