"""What stage 3 stores per replication and how the search objectives score it (the running
twin's figures are read by the simulation stage, the decision and the re-check alike)."""
from __future__ import annotations

from optimizer.store import SimulationRecord

# the figures stored per replication; smaller is better for all but throughput
KPI_NAMES = ("annual_cost", "throughput_per_hour", "lead_time_s", "lead_time_p90_s", "wip", "weighted_tardiness",
             "makespan_s", "agv_loaded_m", "agv_empty_m", "energy_kwh", "capital", "cost_depreciation", "cost_floor",
             "cost_agv_running", "cost_energy")
# the figure each search objective ranks by, and its sign (scores: smaller is better); with
# "cost" only designs whose throughput meets the required rate can win
OBJECTIVE_FIGURE = {"cost": ("annual_cost", 1.0), "makespan": ("throughput_per_hour", -1.0),
                    "throughput": ("throughput_per_hour", -1.0), "weighted_tardiness": ("weighted_tardiness", 1.0)}


def score(record: SimulationRecord, objective: str) -> float:
    """One replication's value of the ranking figure, smaller is better."""
    figure, sign = OBJECTIVE_FIGURE[objective]
    return sign * float(record.kpis[figure])
