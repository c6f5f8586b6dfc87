"""The 3D factory scene: a layout (and optionally its schedule) as named PyVista meshes.

`build_scene` turns a placed layout into a `Scene`, a plain list of named `Part`s (floor,
grid, keep-out zones, docks, aisles, station solids, robot meshes in their home pose,
fixtures, conveyor belts, AGV routes, material-flow arcs), each with its colour, opacity and
label. The flat geometry (floor, zones, dock aprons, station footprints and colours,
conveyor centre lines) is the floor plan (`twin.floorplan`) that the 2D views draw too; the
scene raises it into 3D. It needs no Plotter, so tests can check geometry and exports can walk the parts;
`make_plotter` lights and frames it for the browser app, `render_png` shoots it offscreen,
and `export_scene` writes glTF or VTK files other tools read.

Coordinates are floor metres, z up, the floor's lower-left corner at the origin. A robot
cell's frame (its robot and fixtures) has its origin at the station's footprint centre on
the floor with x along the footprint width, turned with the station.

Modules: `parts` (Part, Scene), `build` (build_scene), `robots` (robot meshes, fixtures),
`meshes` (mesh primitives), `view` (plotter, PNGs), `export` (glTF, VTK).
"""
from __future__ import annotations

from twin.scene.build import FLOW_SAMPLES, FLOW_SIDES, build_scene
from twin.scene.export import EXPORT_SUFFIXES, export_scene
from twin.scene.parts import PART_KINDS, Part, Scene
from twin.scene.robots import fixture_parts, robot_part
from twin.scene.view import make_plotter, render_png, render_scene_png

__all__ = [
    "EXPORT_SUFFIXES", "FLOW_SAMPLES", "FLOW_SIDES", "PART_KINDS", "Part", "Scene", "build_scene", "export_scene",
    "fixture_parts", "make_plotter", "render_png", "render_scene_png", "robot_part",
]
