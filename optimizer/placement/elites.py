"""The best plans so far by the flow proxy: what perturbation (and, in `mixed`, CP-SAT)
starts from."""
from __future__ import annotations

from itertools import count

import numpy as np

from optimizer.placement.plans import Plan


class Elites:
    """The best plans by proxy cost, for perturbation to start from."""

    def __init__(self, size: int = 24):
        self.size = size
        self.items: list[tuple[float, int, Plan]] = []
        self._tick = count()

    def add(self, cost: float, plan: Plan) -> None:
        if len(self.items) < self.size or cost < self.items[-1][0]:
            self.items.append((cost, next(self._tick), plan))
            self.items.sort(key=lambda item: (item[0], item[1]))
            del self.items[self.size:]

    def pick(self, rng: np.random.Generator) -> Plan:
        # rank-biased: the best plans are chosen most often
        weights = 1.0 / (np.arange(len(self.items)) + 2.0)
        return self.items[int(rng.choice(len(self.items), p=weights / weights.sum()))][2]
