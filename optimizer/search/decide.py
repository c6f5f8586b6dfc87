"""The final decision from stage 3's replications: the simulated ranking, the best design
against the as-is layout (paired differences per KPI), and the recommendation.

The recommendation is the best simulated candidate only when it is significantly better than
the as-is layout on the run's objective (the 95 % paired-t interval of the difference lies
wholly on the better side); otherwise it is the as-is layout, so the recommendation is never
worse than the as-is layout under the final evaluation.

With the cost objective a design qualifies when the lower 95 % bound of its simulated
throughput is at or above the required rate (`optimizer.costing.required_rate`); qualified
designs rank by annual cost, the others after them by throughput, with designs that make the
same ranked by cost (`_ranking`). The best candidate beats the as-is layout when both qualify
and it is significantly cheaper, or when the as-is layout does not qualify and the candidate
does or has significantly more throughput.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from twin.sim.kpis import interval

from optimizer.search.ranking import non_dominated
from optimizer.search.figures import KPI_NAMES, OBJECTIVE_FIGURE, score
from optimizer.search.statistics import Difference, meets, paired_difference, throughput_tiers
from optimizer.store import RunStore, SimulationRecord

# the top of the ranking that the re-check confirms and whose verdicts on the required rate
# stage 3 settles (`simulate.leaders_to_settle`)
TOP = 3
CONTROL_LABELS = {"cpsat": "CP-SAT plan", "dispatch": "dispatch fallback", "fifo": "FIFO rule (no plan)"}


@dataclass(frozen=True)
class SimulatedDesign:
    """One design as the running twin judged it: per-replication values (replication order)
    and each KPI's mean with its 95 % Student-t interval."""

    seq: int
    control: str
    values: dict[str, list[float]]
    scores: list[float]  # the objective's figure per replication, smaller is better
    error: str | None = None
    meets_demand: bool | None = None  # throughput's lower 95 % bound reaches the required rate (None: unsure)

    @property
    def is_baseline(self) -> bool:
        return self.seq == 0

    @property
    def replications(self) -> int:
        return len(self.scores)

    @property
    def dispatch_only(self) -> bool:
        """Its schedule is only the dispatch-rule fallback, not a CP-SAT plan."""
        return self.control == "dispatch"

    @property
    def control_label(self) -> str:
        return CONTROL_LABELS.get(self.control, self.control)

    def kpi(self, name: str) -> dict[str, Any]:
        """Mean, 95 % interval and values of one figure."""
        return interval(self.values.get(name, []))


@dataclass(frozen=True)
class Decision:
    objective: str
    ranking: list[SimulatedDesign]  # candidates simulated without error, best first (not the as-is layout)
    failed: list[SimulatedDesign]  # designs whose simulation failed
    baseline: SimulatedDesign | None
    best: SimulatedDesign | None  # the best candidate (never the as-is layout)
    comparison: dict[str, Difference]  # best minus as-is, per KPI, over common replications
    significant: bool  # best is significantly better than the as-is layout on the objective
    required_rate: float | None = None  # units/h the demand requires (None: no due dates or rates)

    @property
    def recommended(self) -> SimulatedDesign | None:
        """The best candidate if it is significantly better than the as-is layout, else the
        as-is layout (the best candidate when there is no as-is layout to compare with)."""
        if self.baseline is None:
            return self.best
        return self.best if self.significant else self.baseline

    @property
    def figure(self) -> str:
        return OBJECTIVE_FIGURE[self.objective][0]

    @property
    def front(self) -> list[SimulatedDesign]:
        """The simulated designs, the as-is layout among them, on the Pareto front of annual
        cost, throughput's lower 95 % bound and lead time (`pareto_front`)."""
        return pareto_front(([self.baseline] if self.baseline is not None else []) + self.ranking)


# the simulated front's objectives: (name, how a design's value is read, larger is better)
FRONT_FIGURES = (("annual cost", lambda d: d.kpi("annual_cost")["mean"], False),
                 ("throughput, lower 95 % bound (units/h)", lambda d: throughput_low(d), True),
                 ("lead time (s)", lambda d: d.kpi("lead_time_s")["mean"], False))


def throughput_low(design: SimulatedDesign) -> float:
    """The lower 95 % bound of a design's mean throughput (its mean with one replication)."""
    t = design.kpi("throughput_per_hour")
    return t["ci95_low"] if t["ci95_low"] is not None else t["mean"]


def pareto_front(designs: list[SimulatedDesign]) -> list[SimulatedDesign]:
    """Designs no other design dominates on (annual cost, lower 95 % bound of throughput, mean
    lead time): none is at least as good on all three and better on one. Of designs with equal
    figures the first is kept. Cheapest first (then the sequence number)."""
    points = [(d, tuple(-f(d) if larger else f(d) for _, f, larger in FRONT_FIGURES)) for d in designs
              if d.error is None and d.values]
    return sorted(non_dominated(points), key=lambda d: (FRONT_FIGURES[0][1](d), d.seq))


def _designs(records: Iterable[SimulationRecord], objective: str, required: float | None) -> list[SimulatedDesign]:
    by_seq: dict[int, list[SimulationRecord]] = {}
    for r in records:
        by_seq.setdefault(r.seq, []).append(r)
    out = []
    for seq, recs in sorted(by_seq.items()):
        recs.sort(key=lambda r: r.replication)
        errors = [r.error for r in recs if r.status != "ok"]
        if errors:
            out.append(SimulatedDesign(seq, recs[0].control, {}, [], error=errors[0]))
            continue
        values = {name: [float(r.kpis[name]) for r in recs] for name in KPI_NAMES}
        out.append(SimulatedDesign(seq, recs[0].control, values, [score(r, objective) for r in recs],
                                   meets_demand=meets(values["throughput_per_hour"], required)))
    return out


def _ranking(designs: list[SimulatedDesign], objective: str, required: float | None) -> list[SimulatedDesign]:
    """Best first. Designs that qualify (every design but with the cost objective) rank by more
    replications (longer in contention), then the mean score. With the cost objective the
    designs unsure of the required rate follow, then those that surely miss it; each of these
    two groups ranks by throughput, in tiers of designs that make the same
    (`statistics.tiers`), and by the mean score within a tier: designs whose lots all finish
    with the same throughput (the releases bound it), or whose throughputs differ by noise,
    are ordered by cost, not by their candidate numbers or the noise."""
    def by_contention(group: list[SimulatedDesign]) -> list[SimulatedDesign]:
        return sorted(group, key=lambda d: (-d.replications, float(np.mean(d.scores)), d.seq))

    def by_score(group: list[SimulatedDesign]) -> list[SimulatedDesign]:
        return sorted(group, key=lambda d: (float(np.mean(d.scores)), d.seq))

    if objective != "cost":
        return by_contention(designs)
    out = by_contention([d for d in designs if d.meets_demand is True])
    for verdict in (None, False):
        group = {d.seq: d for d in designs if d.meets_demand is verdict}
        for tier in throughput_tiers({seq: d.values["throughput_per_hour"] for seq, d in group.items()}, required):
            out += by_score([group[seq] for seq in tier])
    return out


def _better(best: SimulatedDesign, baseline: SimulatedDesign, objective: str) -> bool:
    """Whether the best candidate is significantly better than the as-is layout."""
    cheaper = paired_difference(best.scores, baseline.scores).below_zero()
    if objective != "cost":
        return cheaper
    if baseline.meets_demand is True:
        return best.meets_demand is True and cheaper
    more = paired_difference(best.values["throughput_per_hour"], baseline.values["throughput_per_hour"]).above_zero()
    return best.meets_demand is True or more


def decide(records: Iterable[SimulationRecord], objective: str, required: float | None = None) -> Decision | None:
    """The decision from stored replications (`required`: the demand's rate in units/h, read
    by the cost objective); None when nothing was simulated."""
    designs = _designs(records, objective, required)
    if not designs:
        return None
    ok = [d for d in designs if d.error is None]
    # more replications means a candidate stayed in contention longer; then the mean score.
    # The as-is layout is simulated in every round whatever its standing, so it is not ranked
    # among them but compared with the best.
    ranking = _ranking([d for d in ok if not d.is_baseline], objective, required)
    baseline = next((d for d in ok if d.is_baseline), None)
    best = ranking[0] if ranking else None
    comparison: dict[str, Difference] = {}
    significant = False
    if best is not None and baseline is not None:
        comparison = {name: paired_difference(best.values[name], baseline.values[name]) for name in KPI_NAMES}
        significant = _better(best, baseline, objective)
    return Decision(objective, ranking, [d for d in designs if d.error is not None], baseline, best, comparison,
                    significant, required)


def decide_run(store: RunStore, table: str = "simulations") -> Decision | None:
    """The decision from a run's stored replications (`table`: the run's own, or "rechecks"),
    with the run's objective and required rate."""
    return decide(store.simulation_records(table), store.get_meta("config")["objective"],
                  store.get_meta("required_rate"))
