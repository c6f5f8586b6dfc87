"""KPIs over replications: each figure's mean with a 95 % Student-t confidence interval, the
evaluation JSON document (`factory-twin evaluate --json`), its JSON Schema and a text table."""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

from twin.sim.agv import VEHICLE_STATES
from twin.sim.engine import Replication
from twin.sim.operators import OPERATOR_STATES
from twin.sim.stations import STATES

EVALUATION_VERSION = 1
FIGURES = ("throughput_per_hour", "lead_time_s", "lead_time_p90_s", "wip", "weighted_tardiness", "completed_units")


def interval(values: Sequence[float]) -> dict[str, Any]:
    """Mean, 95 % Student-t interval (None with fewer than two values) and the values."""
    data = np.asarray(values, dtype=float)
    mean = float(data.mean()) if data.size else 0.0
    low = high = None
    if data.size >= 2:
        half = float(stats.t.ppf(0.975, data.size - 1) * data.std(ddof=1) / math.sqrt(data.size))
        low, high = mean - half, mean + half
    return {"mean": mean, "ci95_low": low, "ci95_high": high, "per_replication": [float(v) for v in data]}


def evaluation_document(layout: str, runs: Sequence[Replication], *, control: str, seed: int,
                        horizon: float | None, warmup: float, fleet_size: int) -> dict[str, Any]:
    """The evaluation of a layout over its replications (times in seconds)."""
    runs = sorted(runs, key=lambda r: r.replication)
    stations = list(runs[0].stations) if runs else []
    votes = Counter(r.bottleneck for r in runs if r.bottleneck is not None)
    active = {sid: float(np.mean([r.active_period_s[sid] for r in runs])) for sid in stations}
    # the station most often the bottleneck; a tie goes to the longer mean active period
    bottleneck = max(votes, key=lambda s: (votes[s], active[s])) if votes else None
    return {
        "version": EVALUATION_VERSION,
        "layout": layout,
        "control": control,
        "seed": seed,
        "replications": len(runs),
        "horizon": horizon,
        "warmup": warmup,
        "kpis": {name: interval([getattr(r, name) for r in runs]) for name in FIGURES},
        "stations": {sid: {state: float(np.mean([r.stations[sid][state] for r in runs])) for state in STATES}
                     for sid in stations},
        "active_period_s": active,
        "agvs": {"fleet_size": fleet_size,
                 **{state: float(np.mean([r.agvs[state] for r in runs])) for state in VEHICLE_STATES}},
        "operators": {pid: {"size": int(first["size"]),
                            **{name: float(np.mean([r.operators[pid][name] for r in runs]))
                               for name in (*OPERATOR_STATES, "utilisation")}}
                      for pid, first in (runs[0].operators.items() if runs else ())},
        "bottleneck": bottleneck,
        "bottleneck_share": votes[bottleneck] / len(runs) if bottleneck else 0.0,
        "events": int(sum(r.events for r in runs)),
    }


def evaluation_json_schema() -> dict[str, Any]:
    """The JSON Schema of the evaluation document (`factory-twin schema evaluation`)."""
    number = {"type": "number"}
    maybe = {"type": ["number", "null"]}
    figure = {"type": "object", "required": ["mean", "ci95_low", "ci95_high", "per_replication"],
              "additionalProperties": False,
              "properties": {"mean": number, "ci95_low": maybe, "ci95_high": maybe,
                             "per_replication": {"type": "array", "items": number}}}
    share = {"type": "number", "minimum": 0, "maximum": 1}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://factory-twin.dev/schemas/evaluation-1.json",
        "title": "factory-twin evaluation: KPIs of a simulated layout over replications",
        "type": "object",
        "required": ["version", "layout", "control", "seed", "replications", "horizon", "warmup", "kpis",
                     "stations", "active_period_s", "agvs", "operators", "bottleneck", "bottleneck_share", "events"],
        "additionalProperties": False,
        "properties": {
            "version": {"const": EVALUATION_VERSION},
            "layout": {"type": "string"},
            "control": {"enum": ["fifo", "edd", "spt", "schedule"]},
            "seed": {"type": "integer", "minimum": 0},
            "replications": {"type": "integer", "minimum": 1},
            "horizon": {"type": ["number", "null"], "description": "seconds; null: until every lot is done"},
            "warmup": {"type": "number", "minimum": 0},
            "kpis": {"type": "object", "required": list(FIGURES), "additionalProperties": False,
                     "properties": {name: figure for name in FIGURES}},
            "stations": {"type": "object", "additionalProperties": {
                "type": "object", "required": list(STATES), "additionalProperties": False,
                "properties": {state: share for state in STATES}}},
            "active_period_s": {"type": "object", "additionalProperties": number},
            "agvs": {"type": "object", "required": ["fleet_size", *VEHICLE_STATES], "additionalProperties": False,
                     "properties": {"fleet_size": {"type": "integer", "minimum": 0},
                                    **{state: share for state in VEHICLE_STATES}}},
            "operators": {"type": "object", "description": "operator pools: shares of their operators' time and "
                          "the utilisation (busy / on shift); empty without pools", "additionalProperties": {
                              "type": "object", "required": ["size", *OPERATOR_STATES, "utilisation"],
                              "additionalProperties": False,
                              "properties": {"size": {"type": "integer", "minimum": 1},
                                             **{name: share for name in (*OPERATOR_STATES, "utilisation")}}}},
            "bottleneck": {"type": ["string", "null"]},
            "bottleneck_share": share,
            "events": {"type": "integer", "minimum": 0},
        },
    }


def _figure(value: dict[str, Any], digits: int = 1) -> str:
    if value["ci95_low"] is None:
        return f"{value['mean']:.{digits}f}"
    return f"{value['mean']:.{digits}f}  [{value['ci95_low']:.{digits}f}, {value['ci95_high']:.{digits}f}]"


def evaluation_table(doc: dict[str, Any]) -> str:
    """The document as text: KPIs with intervals, then station state shares in percent."""
    k = doc["kpis"]
    horizon = "until every lot is done" if doc["horizon"] is None else f"horizon {doc['horizon']:g} s"
    lines = [
        f"{doc['layout']}: {doc['replications']} replications, {doc['control']}, seed {doc['seed']}, {horizon}, "
        f"warm-up {doc['warmup']:g} s (mean [95 % CI])",
        f"  throughput        {_figure(k['throughput_per_hour'])} units/h",
        f"  lead time         {_figure(k['lead_time_s'], 0)} s (P90 {_figure(k['lead_time_p90_s'], 0)} s)",
        f"  WIP               {_figure(k['wip'])} units",
        f"  weighted tardiness {_figure(k['weighted_tardiness'], 0)} s",
        f"  bottleneck        {doc['bottleneck'] or '-'} ({100 * doc['bottleneck_share']:.0f} % of replications)",
        f"  AGVs ({doc['agvs']['fleet_size']})        loaded {100 * doc['agvs']['loaded']:.1f} %, "
        f"empty {100 * doc['agvs']['empty']:.1f} %, idle {100 * doc['agvs']['idle']:.1f} %",
        *[f"  operators {pid} ({o['size']}): busy {100 * o['busy']:.1f} %, idle {100 * o['idle']:.1f} %, "
          f"off shift {100 * o['off_shift']:.1f} %, utilisation {100 * o['utilisation']:.1f} %"
          for pid, o in doc["operators"].items()],
        "",
        f"  {'station':<22}" + "".join(f"{s:>9}" for s in STATES) + f"{'active s':>10}",
    ]
    for sid, shares in doc["stations"].items():
        lines.append(f"  {sid:<22}" + "".join(f"{100 * shares[s]:>8.1f}%" for s in STATES)
                     + f"{doc['active_period_s'][sid]:>10.0f}")
    return "\n".join(lines)
