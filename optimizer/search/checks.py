"""How good is a run's answer? Against a planted arrangement and against a random baseline,
both judged by the run's own final yardstick.

- `against_planted`: a known good arrangement of the same stations (`optimizer.planted`) is
  scheduled and simulated as the run's stage 2 and 3 would (`yardstick.Yardstick`), over as
  many replications as the run's answer got, with the same random numbers; the run
  *recovers* it when its answer's mean annual cost is within 2 % of the planted one's (or
  below) and its mean throughput is not below the planted one's 95 % interval.
- `against_random`: a second run of the same layout and settings whose candidates are
  random legal layouts (`--generator random`) judged by the same stages; the margin is the
  paired difference (same seed, so replication r of both answers draws the same numbers)
  between the search's answer and the best random layout, with its 95 % interval.

The answer of a run is its recommendation (`Decision.recommended`): the best design when it
is significantly better than the as-is layout, else the as-is layout.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twin.errors import InputError
from twin.physics import Physics

from optimizer.search.decide import SimulatedDesign, decide, decide_run
from optimizer.search.statistics import Difference, paired_difference
from optimizer.search.yardstick import Placements, Yardstick
from optimizer.store import RunStore

COST_TOLERANCE = 0.02  # the answer may cost this share more than the planted arrangement
PLANTED_SEQ = -1  # the planted design's number among the judged designs (no candidate has it)


@dataclass(frozen=True)
class Comparison:
    """A run's answer against a reference design: their means with 95 % intervals and the
    paired differences (answer minus reference) over the replications both have."""

    answer: SimulatedDesign
    reference: SimulatedDesign
    cost: Difference
    throughput: Difference

    @property
    def cost_ratio(self) -> float:
        """The answer's mean annual cost over the reference's."""
        return self.answer.kpi("annual_cost")["mean"] / self.reference.kpi("annual_cost")["mean"]

    @property
    def recovered(self) -> bool:
        """The answer costs at most 2 % more than the reference and its throughput is not
        below the reference's 95 % interval."""
        low = self.reference.kpi("throughput_per_hour")["ci95_low"]
        mean = self.answer.kpi("throughput_per_hour")["mean"]
        return self.cost_ratio <= 1 + COST_TOLERANCE and (low is None or mean >= low)

    def to_dict(self) -> dict[str, Any]:
        def kpis(d: SimulatedDesign) -> dict[str, Any]:
            return {"seq": d.seq, "control": d.control, "replications": d.replications,
                    **{name: {k: v for k, v in d.kpi(name).items() if k != "per_replication"}
                       for name in ("annual_cost", "throughput_per_hour")}}

        return {"answer": kpis(self.answer), "reference": kpis(self.reference), "cost_ratio": self.cost_ratio,
                "recovered": self.recovered, "cost_difference": vars(self.cost),
                "throughput_difference": vars(self.throughput)}


def compare(answer: SimulatedDesign, reference: SimulatedDesign) -> Comparison:
    return Comparison(answer, reference,
                      paired_difference(answer.values["annual_cost"], reference.values["annual_cost"]),
                      paired_difference(answer.values["throughput_per_hour"], reference.values["throughput_per_hour"]))


def run_answer(store: RunStore) -> SimulatedDesign:
    """The run's recommended design as the running twin judged it."""
    decision = decide_run(store)
    if decision is None or decision.recommended is None:
        raise InputError(f"{store.run_dir}: the running twin judged no design, so the run has no answer to check")
    return decision.recommended


def against_planted(run_dir: Path | str, planted: Placements, physics: Physics, workers: int = 1) -> Comparison:
    """The run's answer against the planted arrangement, judged by the run's yardstick."""
    with RunStore.open(run_dir) as store:
        answer = run_answer(store)
        yardstick = Yardstick.of_run(store, physics)
        objective = yardstick.config.objective
    with yardstick.runner(workers) as runner:
        records = yardstick.judge(runner, {PLANTED_SEQ: planted}, range(answer.replications))
    judged = decide(records, objective, yardstick.required)
    if judged is None or not judged.ranking:
        error = judged.failed[0].error if judged and judged.failed else "nothing simulated"
        raise InputError(f"the planted arrangement could not be judged: {error}")
    return compare(answer, judged.ranking[0])


def against_random(search_run: Path | str, random_run: Path | str) -> Comparison:
    """The search's answer against the best layout of a random-baseline run of the same
    layout and seed (paired over the replications both have)."""
    with RunStore.open(search_run) as a, RunStore.open(random_run) as b:
        for key in ("layout_sha256",):
            if a.get_meta(key) != b.get_meta(key):
                raise InputError(f"{search_run} and {random_run} are runs of different layouts")
        if a.get_meta("config")["seed"] != b.get_meta("config")["seed"]:
            raise InputError(f"{search_run} and {random_run} have different seeds: their replications are not paired")
        answer = run_answer(a)
        decision = decide_run(b)
    if decision is None or decision.best is None:
        raise InputError(f"{random_run}: the running twin judged no random layout")
    return compare(answer, decision.best)


__all__ = ["COST_TOLERANCE", "Comparison", "against_planted", "against_random", "compare", "run_answer"]
