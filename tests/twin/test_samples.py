"""The three bundled sample factories: valid, realistic in size, and sized for the scheduler.

Each sample must load and validate, keep its as-is layout clear of aisles and keep-outs,
leave most stations to the layout search, and stay between 100 and 250 scheduled operations
so CP-SAT handles it in seconds. The files also have to round-trip through `save_layout` and
match the published JSON Schema.
"""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from twin.geometry import station_rect, zone_rect
from twin.io import load_layout, save_layout
from twin.model import Layout
from twin.validate import layout_problems

LAYOUTS = Path(__file__).resolve().parents[2] / "layouts"
SAMPLES = ["electronics_assembly", "auto_parts", "food_packaging"]


@pytest.fixture(scope="module", params=SAMPLES)
def sample(request) -> tuple[str, Layout]:
    name = request.param
    return name, load_layout(LAYOUTS / f"{name}.yaml")


def total_operations(layout: Layout) -> int:
    return sum(len(p.lots) * len(p.routing) for p in layout.products)


def test_loads_and_validates(sample):
    name, layout = sample
    assert layout.name == name
    assert layout_problems(layout) == []
    assert layout.tick == 1.0


def test_size_and_variety(sample):
    _, layout = sample
    assert 12 <= len(layout.stations) <= 30
    assert len(layout.products) >= 3
    assert len({p.family for p in layout.products}) >= 3
    assert sum(s.kind == "robot_cell" for s in layout.stations) >= 2
    assert all(s.cell is not None for s in layout.stations if s.kind == "robot_cell")
    assert layout.changeovers
    assert any(s.kind == "inspection" for s in layout.stations)


def test_every_station_placed_and_most_movable(sample):
    _, layout = sample
    assert all(s.position is not None for s in layout.stations)
    fixed = [s for s in layout.stations if s.fixed]
    assert 1 <= len(fixed) < len(layout.stations) / 2


def test_operation_count_fits_the_scheduler(sample):
    _, layout = sample
    assert 100 <= total_operations(layout) <= 250


def test_routing_choices_and_transport(sample):
    """Parallel machines give routing choices; conveyors, AGVs and docks move the material."""
    _, layout = sample
    choices = [op for p in layout.products for op in p.routing if len(layout.candidate_stations(op)) >= 2]
    assert choices
    assert layout.transport.conveyors
    kinds = {d.kind for d in layout.floor.docks}
    assert kinds == {"receiving", "shipping"}
    assert layout.floor.keep_out
    used = {s.id for p in layout.products for op in p.routing for s in layout.candidate_stations(op)}
    idle = [s.id for s in layout.stations if s.kind != "buffer" and s.id not in used]
    assert idle == [], f"stations no routing uses: {idle}"
    robot_ops = [op for p in layout.products for op in p.routing if op.task is not None]
    assert robot_ops


def test_as_is_layout_keeps_aisles(sample):
    """Stations sit an aisle width apart (a robot and the machines it tends share a fence, so
    do two machines one robot tends), half of one from keep-outs, and cover 20-40 % of the
    floor (the auto-parts shop 24.8 %: its tending robots stand in the 1.2 m gaps between the
    machines they tend; the others about 26 %)."""
    _, layout = sample
    aisle = layout.floor.aisle_width
    rects = [(s.id, station_rect(s)) for s in layout.stations]
    fenced = [{s.id, *(t.machine for t in s.cell.tends)} for s in layout.stations if s.cell]
    for i, (a, ra) in enumerate(rects):
        for b, rb in rects[i + 1:]:
            if any({a, b} <= cell for cell in fenced):
                assert not ra.overlaps(rb), f"{a} and {b}, in one cell, overlap"
                continue
            assert ra.gap(rb) >= aisle - 1e-9, f"{a} and {b} are {ra.gap(rb):.2f} m apart"
        for zone in layout.floor.keep_out:
            assert ra.gap(zone_rect(zone)) >= aisle / 2 - 1e-9, f"{a} crowds {zone.id}"
    covered = sum(r.area for _, r in rects) / (layout.floor.width * layout.floor.depth)
    assert 0.20 <= covered <= 0.40


def test_robot_cells_are_plausible(sample):
    """Every robot task carries a part (grip then release) or drives screws/tools (grip only
    or no action), and its targets stay inside the cell's footprint."""
    _, layout = sample
    for station in layout.stations:
        if station.cell is None:
            continue
        assert station.cell.robot in ("panda", "kuka_iiwa")
        half_w, half_d = station.footprint.width / 2, station.footprint.depth / 2
        for task in station.cell.tasks:
            for wp in task.waypoints:
                assert abs(wp.xyz[0]) < half_w and abs(wp.xyz[1]) < half_d, (station.id, task.id, wp.name)
                assert 0.0 < wp.xyz[2] < 1.2
            actions = [w.action for w in task.waypoints]
            if "release" in actions:
                assert actions.index("grip") < actions.index("release")


@pytest.mark.parametrize("path", sorted(LAYOUTS.glob("*.yaml")), ids=lambda p: p.stem)
def test_sample_cells_tie_their_work_points_to_fixtures(path):
    """In every sample (the lights-out one too), every waypoint where the tool grips or
    releases is given relative to the fixture it works on, and every task works on a fixture
    (issue 13): moving a fixture in the file, the editor or `optimize-cell` moves the robot's
    work with it. Only free-air points (a clearance move) may stay in the cell frame."""
    cells = [s for s in load_layout(path).stations if s.cell is not None]
    assert cells
    for station in cells:
        fixtures = {f.id for f in station.cell.fixtures}
        for task in station.cell.tasks:
            assert any(w.relative_to in fixtures for w in task.waypoints), (station.id, task.id)
            for wp in task.waypoints:
                if wp.action != "none":
                    assert wp.relative_to in fixtures, (station.id, task.id, wp.name)


def _tending(op) -> bool:
    return any(word.startswith(("load", "unload")) for word in (op.id, op.task or ""))


@pytest.mark.parametrize("path", sorted(LAYOUTS.glob("*.yaml")), ids=lambda p: p.stem)
def test_tending_robots_name_their_machines_and_get_only_their_lots(path):
    """In every sample, a robot cell that loads or unloads machines (an operation or task
    named load.../unload...) names the machines it tends, and every routing hands a robot
    that tends machines only lots of those machines, from a machine whose footprint touches
    or nearly touches the robot's (closer than an aisle: no vehicle crosses the hall between
    them; issue 13, where lathe 2's lots crossed the hall to lathe 1's robot)."""
    layout = load_layout(path)
    stations = {s.id: s for s in layout.stations}
    tends = {s.id: {t.machine for t in s.cell.tends} for s in layout.stations if s.cell is not None}
    tenders = {sid for p in layout.products for op in p.routing if _tending(op)
               for sid in (op.stations or ()) if stations[sid].kind == "robot_cell"}
    assert [sid for sid in sorted(tenders) if not tends[sid]] == []
    handed = set()
    for product in layout.products:
        for prev, op in zip(product.routing, product.routing[1:]):
            robots = [sid for sid in (op.stations or ()) if tends.get(sid)]
            if _tending(op):
                assert robots, (product.id, op.id)
            for robot in robots:
                came_from = {s.id for s in layout.candidate_stations(prev)}
                assert came_from <= tends[robot], (product.id, op.id, robot, sorted(came_from - tends[robot]))
                for machine in came_from:
                    gap = station_rect(stations[machine]).gap(station_rect(stations[robot]))
                    assert gap < layout.floor.aisle_width, (product.id, machine, robot, gap)
                    handed.add((machine, robot))
    if path.stem == "auto_parts":  # both lathes to the lathe robot, both mills to the mill robot
        assert handed == {("cnc_lathe_1", "robot_tend_lathe"), ("cnc_lathe_2", "robot_tend_lathe"),
                          ("cnc_mill_1", "robot_tend_mill"), ("cnc_mill_2", "robot_tend_mill")}


def test_robot_reach_stays_in_footprint_or_fenced(sample, physics):
    pytest.importorskip("pybullet")
    from twin.safety import check_clearance

    _, layout = sample
    assert check_clearance(layout, LAYOUTS, physics) == []


def test_save_load_round_trip(sample, tmp_path):
    name, layout = sample
    for suffix in (".yaml", ".json"):
        path = save_layout(layout, tmp_path / f"{name}{suffix}")
        assert load_layout(path) == layout


def test_matches_json_schema(sample):
    name, _ = sample
    schema = json.loads((LAYOUTS / "layout.schema.json").read_text(encoding="utf-8"))
    data = yaml.safe_load((LAYOUTS / f"{name}.yaml").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(data)


@pytest.mark.parametrize("name", SAMPLES + ["lights_out_phone"])
def test_samples_run_like_real_plants(name):
    """Every machine, robot cell and tester breaks down now and then, and every operation's
    time varies, except a batch machine's process-controlled cycle (issue: samples closer to
    real plants)."""
    layout = load_layout(LAYOUTS / f"{name}.yaml")
    failing = [s.id for s in layout.stations if s.kind in ("machine", "robot_cell", "inspection")]
    assert [sid for sid in failing if layout.station(sid).mtbf is None or layout.station(sid).mttr is None] == []
    for product in layout.products:
        for op in product.routing:
            batch = all(s.batch_size is not None for s in layout.candidate_stations(op))
            assert (op.variability.kind == "fixed") == batch, (product.id, op.id)
