"""Planted factories (`optimizer.planted`): the instances themselves, and the search recovering
the planted arrangement on a small instance of each kind, judged by the run's own yardstick,
with the random baseline behind it (`optimizer.search.checks`)."""
from __future__ import annotations

import math

import pytest
import yaml

from optimizer.layout_checker import check_layout
from optimizer.placement import generate
from optimizer.planted import AISLE, KINDS, instance, product_cells, serial_line
from optimizer.search.checks import COST_TOLERANCE, against_planted, against_random
from optimizer.search.config import SearchConfig
from optimizer.search.run import run_search
from optimizer.search.rows import apply_placements
from optimizer.search.yardstick import Yardstick
from optimizer.store import RunStore
from twin.geometry import station_rect
from twin.graph import flow_distance, used_area
from twin.io import parse_layout

SMALL = dict(candidates=300, shortlist=4, simulate=4, time_limit=0.5, replications=4, max_replications=8, workers=1,
             chunk_size=20)


def _layouts(kind: str, seed: int, small: bool = True):
    inst = instance(kind, seed, small)
    as_is = parse_layout(yaml.safe_dump(inst.layout))
    return inst, as_is, apply_placements(as_is, inst.planted)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", [0, 1, 7])
def test_planted_and_as_is_are_legal_and_the_planted_flows_far_shorter(kind, seed, physics):
    inst, as_is, planted = _layouts(kind, seed, small=False)
    assert check_layout(as_is, physics=physics) == [] and check_layout(planted, physics=physics) == []
    assert flow_distance(planted) < 0.6 * flow_distance(as_is)
    if kind == "serial_line":  # scattered over the hall; mixed-up cells keep the planted slots
        assert used_area(planted) < used_area(as_is)
    else:
        assert used_area(planted) == used_area(as_is)


def test_the_planted_line_is_one_row_in_routing_order_an_aisle_apart():
    inst, _, planted = _layouts("serial_line", 3, small=False)
    order = [op["stations"][0] for op in inst.layout["products"][0]["routing"]]
    rects = {s.id: station_rect(s) for s in planted.stations}
    for a, b in zip(order, order[1:]):  # checked from the footprints, not from the generator's arithmetic
        assert math.isclose(rects[b].xmin - rects[a].xmax, AISLE)
        assert math.isclose(rects[a].ymin, rects[b].ymin)
    assert all(s.rotation == 0 for s in planted.stations)


def test_the_planted_cells_are_one_row_per_product_and_the_as_is_mixes_them_up():
    inst, as_is, planted = _layouts("product_cells", 2, small=False)
    for product in inst.layout["products"]:
        ids = [op["stations"][0] for op in product["routing"]]
        ys = {station_rect(planted.station(i)).ymin for i in ids}
        assert len(ys) == 1
    rows_as_is = {p["id"]: {as_is.station(op["stations"][0]).position[1] for op in p["routing"]}
                  for p in inst.layout["products"]}
    assert any(len(ys) > 1 for ys in rows_as_is.values())  # some cell is spread over several rows


@pytest.mark.parametrize("seed", [4, 11])
def test_the_line_generator_lays_the_scattered_line_out_in_routing_order_an_aisle_apart(seed, physics):
    """Seeds not used elsewhere: the line generator's best candidate by the screening flow is
    one straight row between the docks, each station an aisle after its predecessor, level
    with both docks, as short in flow as the planted row (checked from the footprints)."""
    inst, as_is, planted = _layouts("serial_line", seed, small=False)
    candidates = list(generate("line", as_is, 24, seed=0))
    best = min(candidates, key=flow_distance)
    assert len(candidates) == 24 and check_layout(best, physics=physics) == []
    assert flow_distance(best) <= flow_distance(planted) + 1e-9
    order = [op["stations"][0] for op in inst.layout["products"][0]["routing"]]
    rects = {s.id: station_rect(s) for s in best.stations}
    for a, b in zip(order, order[1:]):
        assert math.isclose(rects[b].xmin - rects[a].xmax, AISLE)
    dock_y = {d.position[1] for d in as_is.floor.docks}
    assert all(any(math.isclose((r.ymin + r.ymax) / 2, y) for y in dock_y) for r in rects.values())
    assert all(any(math.isclose((r.ymin + r.ymax) / 2, y) for r in rects.values()) for y in dock_y)


def test_the_line_generator_gives_every_product_cell_a_row_of_its_own(physics):
    inst, as_is, planted = _layouts("product_cells", 5, small=False)
    best = min(generate("line", as_is, 40, seed=0), key=flow_distance)
    assert check_layout(best, physics=physics) == [] and flow_distance(best) <= flow_distance(planted) + 1e-9
    for product in inst.layout["products"]:
        ids = [op["stations"][0] for op in product["routing"]]
        rects = [station_rect(best.station(i)) for i in ids]
        assert len({r.ymin for r in rects}) == 1  # one row per product, in routing order
        assert all(math.isclose(b.xmin - a.xmax, AISLE) for a, b in zip(rects, rects[1:]))


def test_instances_repeat_by_seed_and_differ_between_seeds():
    assert serial_line(5, 4) == serial_line(5, 4)
    assert serial_line(5, 4).layout != serial_line(5, 5).layout
    assert product_cells(3, 2, 1) == product_cells(3, 2, 1)


def test_bad_sizes_are_refused_with_a_message():
    with pytest.raises(ValueError, match="a serial line needs at least 2 stations, got 1"):
        serial_line(1)
    with pytest.raises(ValueError, match="product cells need at least 2 cells of 2 machines, got 1 x 3"):
        product_cells(1, 3)
    with pytest.raises(ValueError, match="unknown planted kind 'ring'; the kinds are serial_line, product_cells"):
        instance("ring")


@pytest.fixture(scope="module", params=KINDS)
def searched(request, tmp_path_factory, physics):
    """A small instance searched, and a random baseline of as many layouts as the search simulated."""
    inst = instance(request.param, 0, small=True)
    folder = tmp_path_factory.mktemp(request.param)
    path = inst.write(folder)
    search = run_search(path, SearchConfig(**SMALL), out_dir=folder / "search", physics=physics)
    random = run_search(path, SearchConfig(**{**SMALL, "candidates": 4, "generator": "random"}),  # no refinement
                        out_dir=folder / "random", physics=physics)
    return inst, search, random


def test_the_search_recovers_the_planted_arrangement(searched, physics):
    inst, search, _ = searched
    check = against_planted(search.run_dir, inst.planted, physics)
    # judged alike: the planted design over exactly the replications the answer got
    assert check.reference.replications == check.answer.replications == check.cost.pairs
    assert check.reference.control == "cpsat"
    assert check.cost_ratio <= 1 + COST_TOLERANCE, check.to_dict()
    low = check.reference.kpi("throughput_per_hour")["ci95_low"]
    assert check.answer.kpi("throughput_per_hour")["mean"] >= low
    assert check.recovered
    # and the as-is mess is far behind both
    as_is = search.decision.baseline.kpi("annual_cost")["mean"]
    assert check.reference.kpi("annual_cost")["mean"] < 0.9 * as_is


def test_the_search_beats_the_random_baseline(searched):
    _, search, random = searched
    with RunStore.open(random.run_dir) as store:  # only random layouts, none refined
        assert [r.origin for r in store.screen_records() if r.seq > 0] == ["random"] * 4
    margin = against_random(search.run_dir, random.run_dir)
    assert margin.reference.seq == random.decision.best.seq
    assert margin.cost.high < 0  # significantly cheaper, paired over common replications


def test_the_yardstick_reproduces_the_runs_own_verdict(searched, physics):
    """Re-judging the run's best design with the yardstick gives, replication by replication,
    the figures stage 3 stored: it is the same evaluator."""
    _, search, _ = searched
    best = search.decision.best
    with RunStore.open(search.run_dir) as store:
        stored = [r for r in store.simulation_records() if r.seq == best.seq]
        placements = store.screen_record(best.seq).placements
        yardstick = Yardstick.of_run(store, physics)
    with yardstick.runner(1) as runner:
        judged = yardstick.judge(runner, {best.seq: placements}, range(len(stored)))
    assert [r.replication for r in judged] == [r.replication for r in stored]
    for a, b in zip(judged, stored):
        assert a.control == b.control
        assert a.kpis == b.kpis  # the same numbers exactly (JSON keeps every float)


def test_random_baseline_needs_the_same_layout_and_seed(searched, tmp_path, physics):
    from twin.errors import InputError

    inst, search, _ = searched
    other = run_search(inst.write(tmp_path), SearchConfig(**{**SMALL, "candidates": 4, "generator": "random",
                                                              "refine": 0.0, "seed": 5, "shortlist": 2,
                                                              "simulate": 2}),
                       out_dir=tmp_path / "seed5", physics=physics)
    with pytest.raises(InputError, match="have different seeds: their replications are not paired"):
        against_random(search.run_dir, other.run_dir)
