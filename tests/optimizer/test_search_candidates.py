"""The numbered candidate sequence (what makes a resumed run screen exactly what an
uninterrupted one screens) and the worker context."""
from __future__ import annotations

import pickle

import pytest

from optimizer.planning import ScheduleOptions
from optimizer.search.candidates import CandidateSequence
from optimizer.search.config import SearchConfig
from optimizer.search.tasks import EvalContext
from optimizer.store import RunStore, ScreenRecord
from search_fixtures import write_tiny_layout
from twin.errors import InputError
from twin.io import load_layout


def _record(candidate, key=None) -> ScreenRecord:
    return ScreenRecord(candidate.seq, key or candidate.key, candidate.origin, candidate.placements, True)


def test_a_resumed_sequence_numbers_every_candidate_as_before_and_yields_only_new_ones(tmp_path):
    base = load_layout(write_tiny_layout(tmp_path))
    config = SearchConfig(candidates=30)
    with RunStore.create(tmp_path / "run") as store:
        first = list(CandidateSequence(store, base, config).generated(30))
        assert [seq for seq, _ in first] == list(range(1, 31))
        assert all(c is not None and c.seq == seq for seq, c in first)
        assert len({c.key for _, c in first}) == 30  # duplicates get no number
        store.add_screened([_record(c) for _, c in first[:10]])  # an earlier session screened these
        again = list(CandidateSequence(store, base, config).generated(30))
    assert [seq for seq, _ in again] == list(range(1, 31))
    assert [c for _, c in again[:10]] == [None] * 10
    assert [c for _, c in again[10:]] == [c for _, c in first[10:]]


def test_a_database_holding_another_candidate_under_a_number_is_refused(tmp_path):
    base = load_layout(write_tiny_layout(tmp_path))
    config = SearchConfig(candidates=5)
    with RunStore.create(tmp_path / "run") as store:
        (_, candidate), = list(CandidateSequence(store, base, config).generated(1))
        store.add_screened([_record(candidate, key="another")])
        with pytest.raises(InputError, match="does not match the regenerated candidate 1"):
            list(CandidateSequence(store, base, config).generated(5))


def test_the_worker_context_parses_its_layout_once_and_never_ships_it(tmp_path, physics):
    base = load_layout(write_tiny_layout(tmp_path))
    ctx = EvalContext(base.model_dump_json(by_alias=True), str(tmp_path), (), ScheduleOptions(), physics)
    assert ctx.base is ctx.base and ctx.base == base
    copy = pickle.loads(pickle.dumps(ctx))
    assert "base" not in copy.__dict__ and copy == ctx and copy.base == base
