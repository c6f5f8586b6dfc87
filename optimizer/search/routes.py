"""The screening proxy's weights: which stations the as-is layout's schedule sends each
product's lots through.

Stage 1 ranks thousands of candidates by trips x routed metres (`twin.graph.material_trips`).
Where an operation can run on several stations, an even split would count legs that the plan
hardly uses (a slow spare machine gets as many trips as the fast one). The as-is layout is
scheduled first, and the share of each product's lots that took each sequence of stations
weighs the legs of every candidate; candidates only move stations, so the plan's choice of
machine changes little between them.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any

from twin.graph import Routes


def lot_routes(doc: dict[str, Any]) -> dict[str, dict[tuple[str, ...], float]]:
    """Product id -> station sequence -> share of the product's lots, from a schedule document
    (each lot's operations in start order, ties in the document's order)."""
    by_lot: dict[tuple[str, int], list[tuple[float, int, str]]] = defaultdict(list)
    for index, op in enumerate(doc.get("operations", [])):
        by_lot[(op["product"], op["lot"])].append((op["start"], index, op["station"]))
    counts: dict[str, Counter] = defaultdict(Counter)
    for (product, _), ops in by_lot.items():
        counts[product][tuple(station for _, _, station in sorted(ops))] += 1
    return {product: {route: n / sum(c.values()) for route, n in sorted(c.items())} for product, c in counts.items()}


def routes_to_json(routes: Routes | None) -> str:
    """A text form for the run database and the workers' context ("" for no routes)."""
    if not routes:
        return ""
    return json.dumps({p: [[list(route), share] for route, share in r.items()] for p, r in sorted(routes.items())})


def routes_from_json(text: str) -> dict[str, dict[tuple[str, ...], float]] | None:
    if not text:
        return None
    return {p: {tuple(route): float(share) for route, share in items} for p, items in json.loads(text).items()}
