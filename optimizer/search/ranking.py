"""Ranking and the Pareto front: equal numbers never reorder between runs (the candidate
key breaks every tie)."""
from __future__ import annotations

import math
from typing import TypeVar

from optimizer.search.rows import CandidateRow

T = TypeVar("T")


def rank_key(row: CandidateRow, objective: str = "makespan") -> tuple:
    """Smaller is better: the objective, then flow distance, then the candidate key."""
    inf = math.inf
    head = (row.objective_value if row.objective_value is not None else inf,) if objective == "weighted_tardiness" else ()
    return (*head, row.makespan if row.makespan is not None else inf,
            row.flow_distance if row.flow_distance is not None else inf, row.key)


def rank(rows: list[CandidateRow], objective: str = "makespan") -> list[CandidateRow]:
    """Candidates whose schedule passed the checker, best first (the as-is layout excluded)."""
    return sorted((r for r in rows if r.ranked and not r.is_baseline), key=lambda r: rank_key(r, objective))


def non_dominated(points: list[tuple[T, tuple[float, ...]]]) -> list[T]:
    """The items whose points (all minimised) no other point dominates: none is at most as
    large on every figure and different. Of items with equal points the first is kept."""
    front: list[tuple[T, tuple[float, ...]]] = []
    for item, p in points:
        dominated = any(all(a <= b for a, b in zip(q, p)) and q != p for _, q in points)
        if not dominated and all(q != p for _, q in front):
            front.append((item, p))
    return [item for item, _ in front]


def pareto_front(rows: list[CandidateRow]) -> list[CandidateRow]:
    """Rows not dominated on (makespan, floor area, travel), all minimised; of rows with equal
    values the first is kept. Rows without all three values are left out."""
    points = [(r, (r.makespan, r.floor_area, r.travel)) for r in rows if r.ranked]
    front = non_dominated([(r, p) for r, p in points if None not in p])
    return sorted(front, key=lambda r: (r.makespan, r.floor_area, r.travel, r.key))
