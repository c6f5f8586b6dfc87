"""The generators by name, and `generate`, the one entry point: a robot cell and the
machines it tends are merged into one rigid block before a generator sees the layout and
expanded again in every candidate (`optimizer.tending_blocks`)."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from twin.model import Layout

from optimizer.names import GeneratorName
from optimizer.placement.cpsat import cpsat_candidates
from optimizer.placement.flow_lines import line_candidates
from optimizer.placement.mixed import mixed_candidates
from optimizer.placement.perturbation import perturb_candidates
from optimizer.placement.random_layouts import random_candidates
from optimizer.placement.slot_assignment import qap_candidates
from optimizer.tending_blocks import expanded, merged


Generator = Callable[[Layout, int, np.random.Generator], Iterator[Layout]]


GENERATORS: dict[GeneratorName, Generator] = {
    GeneratorName.CPSAT: cpsat_candidates,
    GeneratorName.LINE: line_candidates,
    GeneratorName.MIXED: mixed_candidates,
    GeneratorName.PERTURB: perturb_candidates,
    GeneratorName.QAP: qap_candidates,
    GeneratorName.RANDOM: random_candidates,
}


def generate(name: str, layout: Layout, budget: int, seed: int = 0) -> Iterator[Layout]:
    """Up to `budget` distinct candidate layouts from the generator called `name`; the same
    seed gives the same sequence."""
    generator = GENERATORS[GeneratorName.parse(name)]  # InputError listing the valid names
    if budget < 0:
        raise ValueError(f"budget must not be negative, got {budget}")
    block_layout, groups = merged(layout)
    candidates = generator(block_layout, int(budget), np.random.default_rng(seed))
    return (expanded(layout, groups, c) for c in candidates) if groups else candidates
