"""The 3D scene: geometry of the parts, colours, exports, offscreen PNGs and the render command."""
from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from optimizer.cli import main
from twin.errors import InputError, LayoutError
from twin.io import layout_from_data, load_layout
from twin.palette import heat_color

pv = pytest.importorskip("pyvista")
scene_mod = pytest.importorskip("twin.scene")
build_scene, export_scene, render_png = scene_mod.build_scene, scene_mod.export_scene, scene_mod.render_png

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ["electronics_assembly", "auto_parts", "food_packaging"]
SMALL = (400, 250)


@pytest.fixture
def data(layout_data) -> dict:
    """The small layout with a turned station and a conveyor from the mill to the washer."""
    layout_data["stations"][1]["rotation"] = 90  # wash: 2 x 1 m footprint, turned to 1 x 2 m
    layout_data["stations"][1]["height"] = 2.5
    layout_data["transport"]["conveyors"] = [{"id": "belt1", "from": "cnc", "to": "wash", "route": [[7.0, 6.0]]}]
    layout_data["stations"][2]["cell"]["fixtures"] = [
        {"id": "table", "size": [0.6, 0.4, 0.7], "pose": {"xyz": [0.5, 0.0, 0.35]}}]
    return layout_data


@pytest.fixture
def layout(data):
    return layout_from_data(data)


def utilisation_doc(values: dict[str, float], layout_name: str = "small") -> dict:
    return {"version": 1, "layout": layout_name, "kpis": {"utilisation": values}, "operations": [], "transports": []}


def test_every_station_is_a_solid_of_its_footprint_and_height_where_it_stands(layout, physics):
    scene = build_scene(layout, physics=physics)
    assert {p.station for p in scene.of_kind("station")} == {"cnc", "wash", "cell"}
    assert scene["station:cnc"].mesh.bounds == pytest.approx((3.0, 5.0, 5.0, 7.0, 0.0, 1.5))
    # turned by 90 degrees: the 2 m width now runs along y
    assert scene["station:wash"].mesh.bounds == pytest.approx((9.5, 10.5, 5.0, 7.0, 0.0, 2.5))
    assert scene["station:cnc"].label == "cnc"
    assert scene["station:cnc"].label_position[2] > 1.5
    assert scene["floor"].mesh.bounds[:4] == pytest.approx((0.0, 20.0, 0.0, 12.0))
    assert scene["keep_out:col1"].mesh.bounds[:4] == pytest.approx((9.5, 10.0, 9.5, 10.0))
    assert {p.name for p in scene.of_kind("dock")} == {"dock:in", "dock:out"}
    assert scene.of_kind("grid")


def test_robot_cells_show_the_robot_meshes_standing_inside_the_cell(layout, physics):
    scene = build_scene(layout, physics=physics)
    robot = scene["robot:cell"]
    assert robot.mesh.n_cells > 10_000  # the Panda's link meshes, not a stand-in box
    xmin, xmax, ymin, ymax, zmin, zmax = robot.mesh.bounds
    assert 14.8 <= xmin and xmax <= 17.2 and 4.8 <= ymin and ymax <= 7.2
    assert -0.01 <= zmin < 0.03  # on the floor, not sunk in it nor floating
    assert zmax > 0.5
    fixture = scene["fixture:cell:table"].mesh.bounds
    assert fixture == pytest.approx((16.2, 16.8, 5.8, 6.2, 0.0, 0.7), abs=1e-6)


def test_robot_and_fixtures_turn_with_their_station(data, physics):
    data["stations"][2]["rotation"] = 90
    scene = build_scene(layout_from_data(data), physics=physics)
    # the table sits 0.5 m along the cell's x, which now points along the floor's y
    assert scene["fixture:cell:table"].mesh.bounds == pytest.approx((15.8, 16.2, 6.2, 6.8, 0.0, 0.7), abs=1e-6)


def test_utilisation_colours_make_the_busiest_station_the_hottest(layout, physics):
    doc = utilisation_doc({"cnc": 0.92, "wash": 0.15, "cell": 0.5})
    scene = build_scene(layout, schedule_doc=doc, color_by="utilisation", physics=physics)
    stations = {p.station: p for p in scene.of_kind("station") if p.name == f"station:{p.station}"}
    hottest = np.array(heat_color(1.0))
    distance = {sid: float(np.linalg.norm(np.array(p.color) - hottest)) for sid, p in stations.items()}
    assert min(distance, key=distance.get) == "cnc"
    assert stations["cnc"].color == pytest.approx(heat_color(0.92))
    assert stations["wash"].value == pytest.approx(0.15)
    assert "92%" in stations["cnc"].label
    assert scene.scalar_bar and not any(name == "machine" for name, _ in scene.legend)
    kind_scene = build_scene(layout, schedule_doc=doc, color_by="kind", physics=physics)
    assert kind_scene["station:cnc"].color == kind_scene["station:wash"].color  # both machines


def test_heat_colours_run_from_blue_to_red():
    idle, busy = heat_color(0.0), heat_color(1.0)
    assert idle[2] > idle[0] and busy[0] > busy[2]
    assert heat_color(5.0) == heat_color(1.0) and heat_color(-1) == heat_color(0.0)


def test_a_schedule_of_another_layout_is_a_clear_error(layout, physics):
    with pytest.raises(InputError, match="lathe_9"):
        build_scene(layout, schedule_doc=utilisation_doc({"cnc": 0.5, "lathe_9": 0.7}), color_by="utilisation", physics=physics)
    with pytest.raises(InputError, match="kpis.utilisation"):
        build_scene(layout, schedule_doc={"operations": []}, color_by="utilisation", physics=physics)
    with pytest.raises(InputError, match="needs a schedule"):
        build_scene(layout, color_by="utilisation", physics=physics)
    with pytest.raises(InputError, match="kind, utilisation"):
        build_scene(layout, color_by="rainbow", physics=physics)


def test_unplaced_stations_are_named(data, physics):
    del data["stations"][0]["position"]
    with pytest.raises(LayoutError, match=r"stations\[0\]\.position"):
        build_scene(layout_from_data(data), physics=physics)


def test_flow_arcs_grow_wider_with_volume(layout, physics):
    flows = sorted(build_scene(layout, physics=physics).of_kind("flow"), key=lambda p: p.value)
    assert len(flows) >= 3
    widths = [p.width for p in flows]
    assert widths == sorted(widths) and widths[-1] > widths[0]
    # the tubes really are that thick: each ring of tube points lies width / 2 from its centre
    for part in flows:
        n, sides = scene_mod.FLOW_SAMPLES, scene_mod.FLOW_SIDES
        rings = np.array(part.mesh.points)[: n * sides].reshape(n, sides, 3)
        radius = np.linalg.norm(rings - rings.mean(axis=1, keepdims=True), axis=2)
        assert radius == pytest.approx(np.full(radius.shape, part.width / 2), rel=1e-3)


def test_conveyors_are_belts_and_the_other_flows_ride_agvs_along_the_aisles(layout, physics):
    scene = build_scene(layout, physics=physics)
    belt = scene["conveyor:belt1"].mesh.bounds
    # from cnc's output port (5, 6) via (7, 6) to the turned washer's input port (10, 5)
    assert belt[0] == pytest.approx(5.0, abs=0.01) and belt[1] == pytest.approx(10.0, abs=0.3)
    assert belt[2] == pytest.approx(5.0, abs=0.3) and belt[5] == pytest.approx(0.85, abs=0.02)
    assert scene["conveyor:belt1:direction"].mesh.n_cells >= 2
    routes = {p.name for p in scene.of_kind("agv_route")}
    assert "agv_route:cnc->wash" not in routes  # the belt carries that flow
    assert "agv_route:in->cnc" in routes and "agv_route:wash->cell" in routes
    for part in scene.of_kind("agv_route"):
        xmin, xmax, ymin, ymax, zmin, zmax = part.mesh.bounds
        assert 0 <= xmin and xmax <= 20 and 0 <= ymin and ymax <= 12 and zmax < 0.5
    assert scene.of_kind("aisle")


def _pixels(path: Path) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGB"), dtype=float)


def test_png_renders_are_written_and_not_blank(layout, tmp_path, physics):
    out = render_png(layout, tmp_path / "a" / "scene.png", window_size=SMALL, physics=physics)
    top = render_png(layout, tmp_path / "top.png", top_view=True, window_size=SMALL, physics=physics)
    for path in (out, top):
        image = _pixels(path)
        assert image.shape == (SMALL[1], SMALL[0], 3)
        assert image.std() > 15  # a picture, not a flat background


def test_exports_write_files_that_load_back(layout, tmp_path, physics):
    scene = build_scene(layout, physics=physics)
    vtm = pv.read(export_scene(scene, tmp_path / "scene.vtm"))
    assert "station:cnc" in vtm.keys() and "robot:cell" in vtm.keys()
    assert vtm["station:cnc"].bounds == pytest.approx(scene["station:cnc"].mesh.bounds)
    merged = pv.read(export_scene(scene, tmp_path / "scene.vtk"))
    assert merged.n_cells == sum(p.mesh.n_cells for p in scene) and "rgb" in merged.cell_data
    for suffix in (".gltf", ".glb"):
        path = export_scene(scene, tmp_path / f"scene{suffix}")
        assert path.stat().st_size > 10_000
        loaded = pv.read(path)
        assert loaded.n_blocks >= 1 and loaded.bounds[1] > 10  # the floor made it across
    magic, version, length = struct.unpack("<4sII", (tmp_path / "scene.glb").read_bytes()[:12])
    assert (magic, version, length) == (b"glTF", 2, (tmp_path / "scene.glb").stat().st_size)
    with pytest.raises(InputError, match=r"\.gltf, \.glb, \.vtm, \.vtk"):
        export_scene(scene, tmp_path / "scene.obj")


@pytest.fixture
def layout_file(data, tmp_path) -> Path:
    path = tmp_path / "small.json"
    path.write_text(json.dumps(data))
    return path


def test_render_command_writes_png_and_exports(layout_file, tmp_path, capsys):
    out = tmp_path / "out.png"
    assert main(["render", str(layout_file), "--out", str(out), "--size", "320x200", "--top"]) == 0
    assert _pixels(out).std() > 15
    assert main(["render", str(layout_file), "--out", str(tmp_path / "out.vtm")]) == 0
    assert "small" in capsys.readouterr().out


def test_render_command_colours_by_a_schedule(layout_file, tmp_path):
    schedule = tmp_path / "schedule.json"
    schedule.write_text(json.dumps(utilisation_doc({"cnc": 0.9, "wash": 0.1, "cell": 0.4})))
    out = tmp_path / "util.png"
    assert main(["render", str(layout_file), "--schedule", str(schedule), "--out", str(out), "--size", "320x200"]) == 0
    assert out.is_file()


def test_render_command_errors(layout_file, data, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    data["stations"][0]["footprint"]["width"] = -1
    data["stations"][1]["kind"] = "oven"
    bad.write_text(json.dumps(data))
    assert main(["render", str(bad), "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "stations[0].footprint.width" in err and "stations[1].kind" in err and "Traceback" not in err

    foreign = tmp_path / "foreign.json"
    foreign.write_text(json.dumps(utilisation_doc({"press_7": 0.5}, "other")))
    assert main(["render", str(layout_file), "--schedule", str(foreign), "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "press_7" in err and "does not belong" in err

    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert main(["render", str(layout_file), "--schedule", str(broken), "--out", str(tmp_path / "x.png")]) == 2
    assert "invalid JSON" in capsys.readouterr().err

    assert main(["render", str(layout_file), "--out", str(tmp_path / "x.pdf")]) == 2
    assert ".png, .gltf, .glb, .vtm, .vtk" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("sample", SAMPLES)
def test_sample_factories_build_with_every_robot(sample, physics):
    path = ROOT / "layouts" / f"{sample}.yaml"
    if not path.is_file():
        pytest.skip(f"{path.name} not written yet")
    layout = load_layout(path)
    scene = build_scene(layout, path.parent, physics=physics)
    solids = [p for p in scene.of_kind("station") if p.name == f"station:{p.station}"]
    assert len(solids) == len(layout.stations)
    cells = {s.id for s in layout.stations if s.kind == "robot_cell"}
    assert {p.station for p in scene.of_kind("robot")} == cells
    assert scene.of_kind("flow")


def test_the_plan_view_draws_each_station_once_from_the_floor_plan(layout, physics):
    from twin.floorplan import floor_plan

    plan = floor_plan(layout)
    plotter = scene_mod.make_plotter(build_scene(layout, physics=physics), window_size=SMALL, top_view=True)
    try:
        solids = [name for name in plotter.actors if name.startswith("station:") and not name.endswith(":plate")]
        assert sorted(solids) == sorted(f"station:{s.id}" for s in layout.stations)
        for shape in plan.stations:
            xmin, xmax, ymin, ymax, _, zmax = plotter.actors[f"station:{shape.id}"].GetBounds()
            r = shape.rect
            assert (xmin, xmax, ymin, ymax, zmax) == pytest.approx((r.xmin, r.xmax, r.ymin, r.ymax, shape.height))
        docks = sorted(name for name in plotter.actors if name.startswith("dock:"))
        assert docks == ["dock:in", "dock:out"]
        assert plotter.actors["dock:in"].GetBounds()[:4] == pytest.approx(
            (plan.docks[0].apron.xmin, plan.docks[0].apron.xmax, plan.docks[0].apron.ymin, plan.docks[0].apron.ymax))
    finally:
        plotter.close()
