"""The numbered candidate sequence of a run: the generator's candidates (seq 1..), then
refinement rounds that perturb the best screened layouts so far.

The sequence is deterministic per seed and made in the parent process. A candidate whose key
was seen before gets no number; a numbered one the run database already holds (screened in
an earlier session) keeps its number but is not screened again, so a resumed run numbers
every candidate as an uninterrupted one would.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

import numpy as np

from twin.errors import InputError
from twin.model import Layout

from optimizer import placement
from optimizer.search.config import SearchConfig
from optimizer.search.rows import apply_placements, placements_of
from optimizer.search.tasks import Candidate
from optimizer.store import RunStore

ELITE = 16  # best screened layouts a refinement round perturbs

# (sequence number, the candidate to screen or None when an earlier session screened it)
Numbered = tuple[int, Candidate | None]


class Seen(Enum):
    NEW = "new"  # numbered and to be screened
    DONE = "done"  # numbered, screened in an earlier session of this run
    DUPLICATE = "duplicate"  # the same key as an earlier candidate: no number


@dataclass(frozen=True)
class Verdict:
    seen: Seen
    key: str


class CandidateSequence:
    """Numbers the candidates of one session of a run and tells new ones from done ones."""

    def __init__(self, store: RunStore, base: Layout, config: SearchConfig):
        self.store = store
        self.base = base
        self.config = config
        self.done_keys = store.screened_keys()
        self.seen: set[str] = set()

    def mark_done(self, seq: int, key: str) -> None:
        self.done_keys[seq] = key

    def judge(self, seq: int, layout: Layout) -> Verdict:
        """Whether `layout`, numbered `seq` if it is not a duplicate, is new, done or a duplicate.
        Raises InputError when the database holds another candidate under `seq`."""
        key = placement.candidate_key(layout)
        if key in self.seen:
            return Verdict(Seen.DUPLICATE, key)
        self.seen.add(key)
        done = self.done_keys.get(seq)
        if done is None:
            return Verdict(Seen.NEW, key)
        if done != key:
            raise InputError(
                f"run database {self.store.path} does not match the regenerated candidate {seq} "
                f"(the generator or the program changed since the run started); start a new run")
        return Verdict(Seen.DONE, key)

    def _numbered(self, seq: int, layout: Layout, origin: str) -> Numbered | None:
        """(seq, candidate or None) for a numbered layout; None for a duplicate."""
        verdict = self.judge(seq, layout)
        if verdict.seen is Seen.DUPLICATE:
            return None
        if verdict.seen is Seen.DONE:
            return seq, None
        return seq, Candidate(seq, verdict.key, origin, placements_of(layout))

    def generated(self, budget: int) -> Iterator[Numbered]:
        """The generator's first `budget` distinct candidates, numbered 1..budget."""
        seq = 1
        for layout in placement.generate(self.config.generator, self.base, budget, self.config.seed):
            numbered = self._numbered(seq, layout, self.config.generator)
            if numbered is None:
                continue
            yield numbered
            seq += 1
            if seq > budget:
                break

    def refined(self, first_seq: int, count: int, round_no: int) -> Iterator[Numbered]:
        """A refinement round: up to `count` perturbations of the best screened layouts so far,
        numbered from `first_seq`."""
        elite = self.store.best_by_flow(ELITE, below_seq=first_seq)
        parents = [apply_placements(self.base, r.placements) for r in elite] or [self.base]
        rng = np.random.default_rng([self.config.seed, round_no, 0x7E51])
        seq, tries = first_seq, 0
        while seq < first_seq + count and tries < 20 * count:
            tries += 1
            parent = parents[(seq - first_seq) % len(parents)]
            child = placement.perturb(parent, rng, moves=1 + int(rng.integers(3)))
            numbered = self._numbered(seq, child, "refine")
            if numbered is None:
                continue
            yield numbered
            seq += 1
