"""Comparing simulated designs under common random numbers.

Replication r of every design draws the same random numbers per element, so the per-
replication differences between two designs carry little noise: their mean with a paired
Student-t interval says whether one design is really better than another. The selection
rule spends more replications only on designs still in contention: after each round a
design leaves when its paired interval against the current best lies wholly on the worse
side (a sequential elimination in the spirit of Kim and Nelson's KN procedure, with a plain
95 % paired-t test in place of KN's indifference-zone constants, and no correction for
comparing many designs at once).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
SETTLED_CONFIDENCE = 0.99  # `rate_settled`
# designs short of the required rate whose mean throughputs differ by less than this share of
# the rate make the same to a planner (`tiers`): both miss it, so the cheaper is the better
THROUGHPUT_INDIFFERENCE = 0.01


@dataclass(frozen=True)
class Difference:
    """Mean of a_r - b_r over the replications r both designs have, with its 95 % paired-t
    interval (None with fewer than two pairs)."""

    mean: float
    low: float | None
    high: float | None
    pairs: int

    def above_zero(self) -> bool:
        """The whole interval is above zero (a is significantly larger than b)."""
        return self.low is not None and self.low > 0

    def below_zero(self) -> bool:
        """The whole interval is below zero (a is significantly smaller than b)."""
        return self.high is not None and self.high < 0


def paired_difference(a: Sequence[float], b: Sequence[float]) -> Difference:
    """The paired comparison of two designs' values, replication by replication (both lists
    in replication order; the longer one is cut to the shorter)."""
    n = min(len(a), len(b))
    d = np.asarray(a[:n], dtype=float) - np.asarray(b[:n], dtype=float)
    if n == 0:
        return Difference(math.nan, None, None, 0)
    mean = float(d.mean())
    if n < 2:
        return Difference(mean, None, None, n)
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * d.std(ddof=1) / math.sqrt(n))
    return Difference(mean, mean - half, mean + half, n)


def meets(values: Sequence[float], required: float | None, confidence: float = CONFIDENCE) -> bool | None:
    """Whether values (a design's throughput per replication) meet a required level: True
    when the lower bound of their mean's interval (95 % unless `confidence` says otherwise)
    is at or above it, False when the upper bound is below it, None while the interval
    straddles it (or with fewer than two values)."""
    if required is None:
        return True
    n = len(values)
    if n < 2:
        return None
    data = np.asarray(values, dtype=float)
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * data.std(ddof=1) / math.sqrt(n))
    mean = float(data.mean())
    if mean - half >= required:
        return True
    return False if mean + half < required else None


def rate_settled(values: Sequence[float], required: float | None) -> bool:
    """Whether a design's verdict on the required rate is settled: its 99 % interval lies
    wholly on one side. A 95 % verdict with the rate just outside its interval may not hold
    with fresh replications (the default run of 53f61cd: its top three were sure of 220 units/h
    at 20 replications, two of them were not at 200 fresh ones), so stage 3 replicates the
    leading designs further while their verdicts are not settled."""
    return meets(values, required, SETTLED_CONFIDENCE) is not None


def best_of(scores: Mapping[int, Sequence[float]]) -> int:
    """The design with the smallest mean score (ties: the smallest id)."""
    return min(scores, key=lambda k: (float(np.mean(scores[k])), k))


def in_contention(scores: Mapping[int, Sequence[float]], best: int | None = None) -> set[int]:
    """The designs not significantly worse than the best one (scores: smaller is better, one
    value per replication, every design over the same replications); `best` when the best is
    chosen among some of them only (by default the one with the smallest mean)."""
    if not scores:
        return set()
    best = best_of(scores) if best is None else best
    return {k for k, values in scores.items() if k == best or not paired_difference(values, scores[best]).above_zero()}


def tiers(values: Mapping[int, Sequence[float]], zone: float) -> list[list[int]]:
    """The designs in groups that make the same (values: larger is better, one per replication,
    in replication order), the best group first: each group is the design with the largest
    mean among those left, and every design left that is not significantly below it (paired)
    or is below it by less than `zone` in the mean. Members in id order. Ranking designs that
    miss the required rate by their mean throughput alone let 0.5 units/h of noise in 3,600
    pick the winner (a sample run's re-check swapped its top two, the dearer one first)."""
    means = {k: float(np.mean(v)) for k, v in values.items()}
    left = sorted(values, key=lambda k: (-means[k], k))
    groups = []
    while left:
        leader = left[0]
        group = [k for k in left if not paired_difference(values[k], values[leader]).below_zero()
                 or means[leader] - means[k] < zone]
        groups.append(sorted(group))
        left = [k for k in left if k not in group]
    return groups


def throughput_tiers(throughput: Mapping[int, Sequence[float]], required: float | None) -> list[list[int]]:
    """`tiers` of designs' throughputs, with `THROUGHPUT_INDIFFERENCE` of the required rate as
    the zone (none without a rate): how the ranking, stage 3 and the re-check group designs
    that are not sure of the rate."""
    return tiers(throughput, 0.0 if required is None else THROUGHPUT_INDIFFERENCE * required)
