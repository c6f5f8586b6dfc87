"""One lookup for every name a user picks: an unknown name is an InputError listing the valid
ones, and each registry holds exactly the names its enum lists."""
from __future__ import annotations

import pytest

from optimizer.names import Backend, GeneratorName, Objective, SearchObjective, SolverName
from optimizer.placement import GENERATORS
from optimizer.scheduler import SOLVERS
from twin.errors import InputError


@pytest.mark.parametrize("enum, text, message", [
    (Objective, "cost", "unknown objective 'cost'; valid: makespan, weighted_tardiness"),
    (SearchObjective, "speed", "unknown objective 'speed'; valid: cost, makespan, weighted_tardiness, throughput"),
    (GeneratorName, "magic", "unknown generator 'magic'; valid: cpsat, line, mixed, perturb, qap, random"),
    (SolverName, "tabu", "unknown solver 'tabu'; valid: cpsat, dispatch"),
    (Backend, "dask", "unknown backend 'dask'; valid: local, ray"),
])
def test_an_unknown_name_lists_the_valid_ones(enum, text, message):
    with pytest.raises(InputError) as info:
        enum.parse(text)
    assert str(info.value) == message


def test_a_known_name_is_its_member_and_equals_its_text():
    assert Backend.parse("ray") is Backend.RAY and Backend.RAY == "ray"
    assert {"cpsat": 1}[SolverName.CPSAT] == 1  # registries keyed by members answer to plain names


def test_registries_hold_exactly_the_names_their_enums_list():
    assert sorted(GENERATORS) == sorted(GeneratorName.names())
    assert sorted(SOLVERS) == sorted(SolverName.names())
    assert set(Objective.names()) < set(SearchObjective.names())  # the search ranks by every scheduler objective
