"""The settings of a search run, checked before any run exists."""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from twin.errors import InputError

from optimizer.names import Backend, GeneratorName, SearchObjective


@dataclass(frozen=True)
class SearchConfig:
    """What to search and how. The first group decides the result and is fixed for a run (a
    resumed run keeps its own); `workers`, `backend`, `address` and `chunk_size` only decide
    where and how fast the work runs."""

    candidates: int = 5000
    shortlist: int = 200
    time_limit: float = 1.5  # seconds per schedule
    seed: int = 0
    generator: str = "mixed"
    objective: str = "cost"
    refine: float = 0.2  # share of the candidates made by perturbing the best screened ones
    simulate: int = 200  # best designs of the plan ranking the running twin judges (stage 3), besides the as-is
    replications: int = 10  # replications per design in each round of stage 3
    max_replications: int = 40  # replications a design in contention can get at most
    workers: int = 2
    backend: str = "local"
    address: str | None = None
    chunk_size: int = 50  # candidates per stage-1 task

    RESULT_FIELDS = ("candidates", "shortlist", "time_limit", "seed", "generator", "objective", "refine",
                     "simulate", "replications", "max_replications")

    def check(self) -> "SearchConfig":
        """Raise InputError naming the first bad setting."""
        if not isinstance(self.candidates, int) or self.candidates < 1:
            raise InputError(f"candidates must be a whole number >= 1, got {self.candidates!r}")
        if not isinstance(self.shortlist, int) or self.shortlist < 0:
            raise InputError(f"shortlist must be a whole number >= 0, got {self.shortlist!r}")
        if not (isinstance(self.time_limit, (int, float)) and self.time_limit > 0 and math.isfinite(self.time_limit)):
            raise InputError(f"time limit must be a positive number of seconds, got {self.time_limit!r}")
        if not isinstance(self.workers, int) or self.workers < 1:
            raise InputError(f"workers must be a whole number >= 1, got {self.workers!r}")
        if not isinstance(self.chunk_size, int) or self.chunk_size < 1:
            raise InputError(f"chunk size must be a whole number >= 1, got {self.chunk_size!r}")
        SearchObjective.parse(self.objective)
        for name in ("simulate", "replications", "max_replications"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InputError(f"{name.replace('_', ' ')} must be a whole number >= 0, got {value!r}")
        if self.replications == 1:
            raise InputError("replications must be 0 (no simulation) or at least 2 (an interval needs two)")
        if self.replications and self.max_replications < self.replications:
            raise InputError(f"max replications ({self.max_replications}) must be at least the replications per "
                             f"round ({self.replications})")
        if not 0 <= self.refine <= 1:
            raise InputError(f"refine must be between 0 and 1, got {self.refine!r}")
        Backend.parse(self.backend)
        if self.address and self.backend != "ray":
            raise InputError("an address is only used with the ray backend")
        GeneratorName.parse(self.generator)
        return self

    @property
    def schedule_objective(self) -> str:
        """The scheduler's objective: throughput ranks the makespan schedule."""
        return "weighted_tardiness" if self.objective == "weighted_tardiness" else "makespan"

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SearchConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})
