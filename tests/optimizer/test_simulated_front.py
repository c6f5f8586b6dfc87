"""The Pareto front of the simulated designs (annual cost, throughput's lower 95 % bound, lead
time), checked against a brute-force dominance test written independently, on the report and
on the Optimise page's chart."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from factory_app import leaderboard
from factory_app.charts import cost_chart
from optimizer.search.decide import decide, pareto_front, throughput_low
from optimizer.search.figures import KPI_NAMES
from optimizer.store import SimulationRecord


def _records(n_designs: int, seed: int, reps: int = 5) -> list[SimulationRecord]:
    """Designs whose cost, throughput and lead time are drawn so that many trade off."""
    rng = np.random.default_rng(seed)
    out = []
    for seq in range(n_designs):
        cost, rate, lead = rng.uniform(50, 100), rng.uniform(100, 200), rng.uniform(300, 900)
        for r in range(reps):
            kpis = {name: 0.0 for name in KPI_NAMES}
            kpis.update(annual_cost=cost + rng.normal(0, 1), throughput_per_hour=rate + rng.normal(0, 5),
                        lead_time_s=lead + rng.normal(0, 10))
            out.append(SimulationRecord(seq, r, "ok", "cpsat", kpis))
    return out


def _brute_force_front(records: list[SimulationRecord]) -> set[int]:
    """Design seqs that no other design dominates, from the raw numbers with scipy's t."""
    seqs = sorted({r.seq for r in records})
    table = []
    for seq in seqs:
        mine = [r.kpis for r in records if r.seq == seq]
        t = np.array([k["throughput_per_hour"] for k in mine])
        low = t.mean() - stats.t.ppf(0.975, len(t) - 1) * stats.sem(t)
        table.append((np.mean([k["annual_cost"] for k in mine]), -low, np.mean([k["lead_time_s"] for k in mine])))
    arr = np.array(table)
    front = set()
    for i, seq in enumerate(seqs):
        others = np.delete(arr, i, axis=0)
        if not np.any(np.all(others <= arr[i], axis=1) & np.any(others < arr[i], axis=1)):
            front.add(seq)
    return front


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_front_is_exactly_the_undominated_simulated_designs(seed):
    records = _records(40, seed)
    decision = decide(records, "cost", required=None)
    expected = _brute_force_front(records)
    assert {d.seq for d in decision.front} == expected
    assert 0 in {d.seq for d in [decision.baseline, *decision.ranking]}  # the as-is layout takes part
    assert len(expected) > 2  # the case has real trade-offs
    costs = [d.kpi("annual_cost")["mean"] for d in decision.front]
    assert costs == sorted(costs)


def test_a_design_better_on_one_figure_only_stays_on_the_front():
    records = _records(3, 0)
    for r in records:  # design 1: cheapest but slowest; design 2 dominated by design 0 on all three
        r.kpis.update({0: dict(annual_cost=60.0 + r.replication, throughput_per_hour=150.0 + r.replication,
                               lead_time_s=400.0),
                       1: dict(annual_cost=50.0 + r.replication, throughput_per_hour=100.0 + r.replication,
                               lead_time_s=400.0),
                       2: dict(annual_cost=70.0 + r.replication, throughput_per_hour=140.0 + r.replication,
                               lead_time_s=500.0)}[r.seq])
    decision = decide(records, "cost")
    assert [d.seq for d in decision.front] == [1, 0]
    assert pareto_front([]) == []
    assert throughput_low(decision.baseline) == pytest.approx(
        150.0 + 2.0 - stats.t.ppf(0.975, 4) * stats.sem([150.0, 151, 152, 153, 154]))


def test_the_cost_chart_draws_the_front_through_undominated_points_only():
    records = _records(30, 5)
    decision = decide(records, "cost")
    result = type("R", (), {"decision": decision})()
    points = leaderboard.simulated_points(result)
    fig = cost_chart(points)
    traces = {t.name: t for t in fig.data}
    star = traces["as-is layout"]
    assert list(star.text) == ["as-is"] and star.marker.symbol == "star"
    assert star.x[0] == pytest.approx(decision.baseline.kpi("annual_cost")["mean"])
    # the staircase: only points no other point beats on cost (lower) and throughput bound (higher)
    line = traces["cost–throughput trade-off"]
    xy = [(p["annual_cost"], p["throughput_low"]) for p in points]
    undominated = {(c, t) for c, t in xy if not any(c2 <= c and t2 >= t and (c2, t2) != (c, t) for c2, t2 in xy)}
    assert set(zip(line.x, line.y)) == undominated
    assert list(line.x) == sorted(line.x) and list(line.y) == sorted(line.y)  # rises with cost, never zig-zags
    orange = traces["on the front (cost, throughput, lead time)"]
    on_front = {d.seq for d in decision.front if not d.is_baseline}
    assert sorted(h.split(":")[0] for h in orange.hovertext) == sorted(f"#{s}" for s in on_front)
