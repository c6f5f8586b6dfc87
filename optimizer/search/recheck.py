"""The re-check of a finished run: its top three designs and the as-is layout simulated again
with ten times the replications, to see whether the ranking holds.

The run's own replications chose the winner, so their noise favours it (a selection bias);
the re-check therefore draws fresh random numbers: its replications are numbered after every
replication the run used, so no stream is reused, and all four designs share them (common
random numbers). Each design follows the same checked schedule as in the run. The count is
`factor` (10) times the most replications any of the three got in the run. Replications are
stored in the run database (`rechecks` table) as they come in, so an interrupted re-check
resumes where it stopped; the report shows the result.

The ranking *held* when the re-check orders the three as the run did. Where it did not, the
paired interval of the two designs that swapped says whether that is a real difference or a
tie the run could not separate either.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from threading import Event
from typing import TYPE_CHECKING

from twin.errors import InputError

from optimizer.search.decide import TOP, Decision, decide, decide_run
from optimizer.search.simulate import Design, simulate_task
from optimizer.search.statistics import Difference, paired_difference, throughput_tiers
from optimizer.store import RunStore

if TYPE_CHECKING:  # the results read re-checks without the workers' machinery
    from optimizer.search.yardstick import Yardstick

FACTOR = 10
FIGURE_WORDS = {"annual_cost": "annual cost", "throughput_per_hour": "throughput (units/h)",
                "weighted_tardiness": "weighted tardiness"}


@dataclass(frozen=True)
class Recheck:
    """A run's re-check: the run's top designs in its order, the re-check's replications and
    its decision over them (the as-is layout as the baseline)."""

    run_order: list[int]
    factor: int
    replications: int
    first_replication: int
    decision: Decision | None  # None until the first replications are in

    @property
    def order(self) -> list[int]:
        """The re-check's order of the run's top designs, best first."""
        return [d.seq for d in self.decision.ranking] if self.decision else []

    @property
    def complete(self) -> bool:
        return self.decision is not None and all(
            d.replications == self.replications for d in self.decision.ranking) and len(self.order) == len(self.run_order)

    @property
    def held(self) -> bool:
        """The re-check ranks the run's top designs in the run's order."""
        return self.complete and self.order == self.run_order

    def neighbours(self) -> list[tuple[int, int, str, Difference]]:
        """For each pair of neighbours in the run's order: (better, worse, the figure that orders
        them, the re-check's paired difference in it, oriented so that below zero confirms the
        run's order). The figure is the objective's score, smaller is better (difference better
        minus worse); with the cost objective, a pair whose verdicts on the required rate
        differ, or that is not sure of it and does not make the same (`statistics.throughput_tiers`), is
        ordered by throughput, larger is better (difference worse minus better)."""
        if self.decision is None:
            return []
        d = self.decision
        designs = {x.seq: x for x in d.ranking}
        out = []
        for a, b in zip(self.run_order, self.run_order[1:]):
            if a not in designs or b not in designs:
                continue
            first, second = designs[a], designs[b]
            throughput = {seq: designs[seq].values["throughput_per_hour"] for seq in (a, b)}
            rated = d.objective == "cost" and d.required_rate is not None
            if rated and (first.meets_demand is not second.meets_demand or (
                    first.meets_demand is not True
                    and len(throughput_tiers(throughput, d.required_rate)) > 1)):
                out.append((a, b, "throughput_per_hour", paired_difference(throughput[b], throughput[a])))
            else:
                out.append((a, b, "score", paired_difference(first.scores, second.scores)))
        return out


def _plan(store: RunStore, factor: int) -> dict:
    """What the re-check simulates, fixed at its first start and kept in the run database."""
    if not isinstance(factor, int) or isinstance(factor, bool) or factor < 1:
        raise InputError(f"the re-check factor must be a whole number >= 1, got {factor!r}")
    stored = store.get_meta("recheck")
    if stored is not None:
        if stored["factor"] != factor:
            raise InputError(f"{store.run_dir} was re-checked with {stored['factor']}x the replications; "
                             f"re-check it with --factor {stored['factor']} (or start a new run)")
        return stored
    if store.get_meta("status") != "complete":
        raise InputError(f"{store.run_dir}: the run is not finished (status {store.get_meta('status')!r}); "
                         f"resume it with factory-twin optimize --resume before re-checking it")
    config = store.get_meta("config")
    records = store.simulation_records()  # read once: the decision and the next replication number
    decision = decide(records, config["objective"], store.get_meta("required_rate"))
    if decision is None or len(decision.ranking) < 2:
        raise InputError(f"{store.run_dir}: the running twin judged fewer than two designs, so there is no ranking "
                         "to re-check (run with --simulate 2 or more)")
    top = [d.seq for d in decision.ranking[:TOP]]
    most = max(d.replications for d in decision.ranking[:TOP])
    plan = {"factor": factor, "run_order": top, "replications": factor * most,
            "first_replication": max(r.replication for r in records) + 1,
            "designs": top + ([0] if decision.baseline is not None else [])}
    store.set_meta(recheck=plan)
    return plan


def recheck_run(store: RunStore, yardstick: "Yardstick", factor: int = FACTOR, workers: int = 1,
                backend: str = "local", address: str | None = None, stop: Event | None = None) -> Recheck:
    """Re-check the finished run in `store` (opened to write): simulate what is missing of
    the re-check's replications, store them, and return the result."""
    plan = _plan(store, factor)
    designs = {int(d["seq"]): Design(int(d["seq"]), d["control"], d["placements"], d.get("choices", {}))
               for d in store.get_meta("simulated_designs") or ()}
    missing = [seq for seq in plan["designs"] if seq not in designs]
    if missing:
        raise InputError(f"{store.run_dir}: the run database does not hold the simulated design(s) {missing}")
    first, count = plan["first_replication"], plan["replications"]
    done: dict[int, set[int]] = {}
    for r in store.simulation_records("rechecks"):
        done.setdefault(r.seq, set()).add(r.replication)
    tasks = []
    for seq in plan["designs"]:
        doc = store.schedule_json(seq)
        schedule = None if doc is None else json.dumps(doc, separators=(",", ":"))
        todo = [r for r in range(first, first + count) if r not in done.get(seq, set())]
        for chunk in _runs(todo):
            tasks.extend(yardstick.tasks([(designs[seq], schedule)], chunk))
    if tasks:
        with yardstick.runner(workers, backend, address) as runner:
            for _, batch in runner.map_unordered(simulate_task, iter(tasks), stop):
                store.add_simulations(batch, table="rechecks")
    return load_recheck(store)


def _runs(numbers: list[int]) -> list[range]:
    """Consecutive runs of replication numbers as ranges (the tasks take ranges)."""
    out: list[range] = []
    for n in numbers:
        if out and out[-1].stop == n:
            out[-1] = range(out[-1].start, n + 1)
        else:
            out.append(range(n, n + 1))
    return out


def load_recheck(store: RunStore) -> Recheck | None:
    """The run's re-check as its database holds it (None when it was never re-checked)."""
    plan = store.get_meta("recheck")
    if plan is None:
        return None
    decision = decide_run(store, "rechecks")
    return Recheck([int(s) for s in plan["run_order"]], int(plan["factor"]), int(plan["replications"]),
                   int(plan["first_replication"]), decision)


def recheck_markdown(recheck: Recheck | None, name: dict[int, str] | None = None) -> list[str]:
    """The report's section on the re-check (nothing when the run was not re-checked)."""
    if recheck is None:
        return []
    label = (lambda seq: (name or {}).get(seq, "as-is" if seq == 0 else f"#{seq}"))
    lines = ["", f"## Re-check with {recheck.factor}x the replications", "",
             f"The run's top {len(recheck.run_order)} and the as-is layout simulated again with "
             f"{recheck.replications} fresh replications each (numbers {recheck.first_replication}–"
             f"{recheck.first_replication + recheck.replications - 1}, common random numbers, each design following "
             f"the same schedule as in the run)."]
    if not recheck.complete:
        done = min((d.replications for d in recheck.decision.ranking), default=0) if recheck.decision else 0
        return lines + ["", f"Not finished: {done} of {recheck.replications} replications so far; run "
                            "`factory-twin recheck` again to finish it."]
    d = recheck.decision
    figure = d.figure
    words = FIGURE_WORDS.get(figure, figure)
    lines += ["", f"| run rank | design | re-check rank | {words} mean [95 % CI] | throughput (units/h) [95 % CI] |",
              "| ---: | --- | ---: | ---: | ---: |"]
    by_seq = {x.seq: x for x in d.ranking}
    for i, seq in enumerate(recheck.run_order, 1):
        x = by_seq[seq]
        lines.append(f"| {i} | {label(seq)} | {recheck.order.index(seq) + 1} | {_ci(x.kpi(figure))} | "
                     f"{_ci(x.kpi('throughput_per_hour'), 2)} |")
    if d.baseline is not None:
        lines.append(f"| – | as-is | – | {_ci(d.baseline.kpi(figure))} | {_ci(d.baseline.kpi('throughput_per_hour'), 2)} |")
    held = "**held**" if recheck.held else "**did not hold**"
    lines += ["", f"The ranking of the top {len(recheck.run_order)} {held} "
                  f"(re-check order: {', '.join(label(s) for s in recheck.order)})."]
    if d.objective == "cost" and d.required_rate is not None:
        # designs sure to meet the rate rank first, so a design that qualified in the run and
        # is unsure here moves down whatever its cost
        status = {True: "meets it", False: "misses it", None: "not sure to meet it"}
        lines.append(f"Against the required {d.required_rate:,.1f} units/h (designs sure to meet it rank first): "
                     + ", ".join(f"{label(s)} {status[by_seq[s].meets_demand]}" for s in recheck.run_order) + ".")
    for a, b, figure, diff in recheck.neighbours():
        sure = "confirmed" if diff.below_zero() else ("reversed" if diff.above_zero() else "not separated (a tie)")
        what = ("objective score difference" if figure == "score" else
                f"throughput difference ({label(b)} minus {label(a)}, units/h; throughput orders these two)")
        lines.append(f"- {label(a)} against {label(b)}: {what} {diff.mean:,.2f} "
                     f"[{diff.low:,.2f}, {diff.high:,.2f}], {sure}")
    return lines


def _ci(kpi: dict, digits: int = 0) -> str:
    mean, low, high = kpi.get("mean"), kpi.get("ci95_low"), kpi.get("ci95_high")
    if mean is None:
        return "–"
    if low is None or high is None:
        return f"{mean:,.{digits}f}"
    return f"{mean:,.{digits}f} [{low:,.{digits}f}, {high:,.{digits}f}]"


__all__ = ["FACTOR", "Recheck", "load_recheck", "recheck_markdown", "recheck_run"]
