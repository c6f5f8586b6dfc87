"""Random streams and the distributions drawn from them.

Common random numbers: every element (a station's process times, its failures, a product's
arrivals) draws from its own stream, seeded from the run's seed, the replication and the
element's id through a stable hash (not Python's salted `hash`). Two layouts of one factory
therefore see the same draws per element, so their difference has a small variance.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np

from twin.model import Variability


def stable_key(*parts: str) -> int:
    """A 64-bit integer from text that is the same in every process and Python version."""
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def stream(seed: int, replication: int, *element: str) -> np.random.Generator:
    """The random stream of one element (e.g. `"station", "cnc", "process"`) in one replication."""
    sequence = np.random.SeedSequence([int(seed), int(replication), stable_key(*element)])
    return np.random.Generator(np.random.PCG64(sequence))


@dataclass(frozen=True)
class Sampler:
    """Draws of a `Variability` shape scaled to `mean` (seconds)."""

    shape: Variability
    mean: float

    def draw(self, rng: np.random.Generator, count: int = 1) -> float:
        """The sum of `count` independent draws (a lot of `count` units)."""
        kind, mean = self.shape.kind, self.mean
        if count <= 0 or mean <= 0:
            return 0.0
        if kind == "fixed":
            return mean * count
        size = None if count == 1 else count
        if kind == "exponential":
            values = rng.exponential(mean, size)
        elif kind == "lognormal":
            cv = float(self.shape.cv or 0.0)
            if cv == 0.0:
                return mean * count
            sigma2 = math.log1p(cv * cv)
            values = rng.lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2), size)
        elif kind == "triangular":
            low, high = self.shape.low * mean, self.shape.high * mean
            if high - low < 1e-12 * mean:
                return mean * count
            mode = min(max(3 * mean - low - high, low), high)
            values = rng.triangular(low, mode, high, size)
        elif kind == "empirical":
            samples = np.asarray(self.shape.samples, dtype=float)
            values = rng.choice(samples * (mean / samples.mean()), size)
        else:  # pragma: no cover - the model's Literal admits nothing else
            raise ValueError(f"unknown distribution {kind!r}")
        return float(values if size is None else values.sum())
