"""Ranking and the Pareto front: equal numbers never reorder between runs (the candidate
key breaks every tie)."""
from __future__ import annotations

import math

from optimizer.search.rows import CandidateRow


def rank_key(row: CandidateRow, objective: str = "makespan") -> tuple:
    """Smaller is better: the objective, then flow distance, then the candidate key."""
    inf = math.inf
    head = (row.objective_value if row.objective_value is not None else inf,) if objective == "weighted_tardiness" else ()
    return (*head, row.makespan if row.makespan is not None else inf,
            row.flow_distance if row.flow_distance is not None else inf, row.key)


def rank(rows: list[CandidateRow], objective: str = "makespan") -> list[CandidateRow]:
    """Candidates whose schedule passed the checker, best first (the as-is layout excluded)."""
    return sorted((r for r in rows if r.ranked and not r.is_baseline), key=lambda r: rank_key(r, objective))


def pareto_front(rows: list[CandidateRow]) -> list[CandidateRow]:
    """Rows not dominated on (makespan, floor area, travel), all minimised; of rows with equal
    values the first is kept. Rows without all three values are left out."""
    points = [(r, (r.makespan, r.floor_area, r.travel)) for r in rows if r.ranked]
    points = [(r, p) for r, p in points if None not in p]
    front: list[tuple[CandidateRow, tuple]] = []
    for r, p in points:
        dominated = any(all(a <= b for a, b in zip(q, p)) and q != p for _, q in points)
        if not dominated and all(q != p for _, q in front):
            front.append((r, p))
    return sorted((r for r, _ in front), key=lambda r: (r.makespan, r.floor_area, r.travel, r.key))
