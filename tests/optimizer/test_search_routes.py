"""The screening proxy's weights: lot routes read off a schedule, and the search screening
every candidate with the routes of the as-is layout's own plan."""
from __future__ import annotations

import pytest
import yaml
from search_fixtures import tiny_layout_data

from optimizer.search.config import SearchConfig
from optimizer.search.results import load_run
from optimizer.search.routes import lot_routes, routes_from_json, routes_to_json
from optimizer.search.run import run_search
from optimizer.store import RunStore
from twin.graph import flow_distance
from twin.io import load_layout


def _op(product, lot, station, start):
    return {"product": product, "lot": lot, "station": station, "start": start}


def test_lot_routes_are_the_shares_of_each_products_lots_per_station_sequence():
    doc = {"operations": [
        # lot 0 and lot 2 of p go cnc -> wash, lot 1 cnc -> cnc; listed out of order on purpose
        _op("p", 0, "wash", 50.0), _op("p", 0, "cnc", 0.0),
        _op("p", 1, "cnc", 10.0), _op("p", 1, "cnc", 60.0),
        _op("p", 2, "cnc", 20.0), _op("p", 2, "wash", 90.0),
        _op("q", 0, "saw", 0.0),
    ]}
    routes = lot_routes(doc)
    assert routes == {"p": {("cnc", "cnc"): pytest.approx(1 / 3), ("cnc", "wash"): pytest.approx(2 / 3)},
                      "q": {("saw",): 1.0}}
    assert routes_from_json(routes_to_json(routes)) == routes
    assert routes_from_json(routes_to_json(None)) is None


def test_the_search_screens_with_the_routes_of_the_as_is_schedule(tmp_path, physics):
    data = tiny_layout_data()
    data["products"][1]["routing"][1]["stations"] = ["drill", "mill"]  # b drills on either machine
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    run_search(tiny, SearchConfig(candidates=20, shortlist=2, time_limit=0.5, workers=1, chunk_size=10, simulate=0),
               out_dir=tmp_path / "run", physics=physics)
    with RunStore.open(tmp_path / "run") as store:
        routes = lot_routes(store.schedule_json(0))
        as_is = store.screen_record(0)
        assert store.get_meta("proxy_routes") == "the as-is layout's schedule"
    # product a: 3 lots over saw, mill, drill, deburr, pack
    assert routes["a"] == {("saw", "mill", "drill", "deburr", "pack"): 1.0}
    layout = load_layout(tiny)
    assert as_is.flow_distance == pytest.approx(flow_distance(layout, routes=routes))
    # the plan (seed 0) drills both lots of b on the drill, so the proxy differs from an even split
    assert routes["b"] == {("saw", "drill", "pack"): 1.0}
    assert as_is.flow_distance != pytest.approx(flow_distance(layout))
    assert "alternative stations weighted by the as-is layout's schedule" in (tmp_path / "run" / "report.md").read_text()
    assert load_run(tmp_path / "run").proxy_routes == "the as-is layout's schedule"
