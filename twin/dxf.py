"""A hall drawing in, a layout out: DXF through ezdxf.

Import reads the walls, columns and hazard areas of a hall drawing as keep-out zones: the
layer says what an entity is (a name containing WALL, COL or HAZ), the shape where it is (a
line is a wall of `wall_thickness`, a circle a column, a closed polyline its bounding
rectangle; blocks are exploded). Coordinates are scaled to metres by the drawing's unit
($INSUNITS, or the one given) and moved so the drawing's lower-left corner is the floor's
origin. Export writes the floor, stations (with their ids), keep-out zones, docks and
conveyors on their own layers, in metres.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any

from twin.errors import LayoutError, Problem
from twin.model import Layout

UNITS = {"m": 1.0, "cm": 0.01, "mm": 0.001, "in": 0.0254, "ft": 0.3048}
_INSUNITS = {1: "in", 2: "ft", 4: "mm", 5: "cm", 6: "m"}
KINDS = (("WALL", "wall"), ("COL", "column"), ("HAZ", "hazard"))
PREFIX = "dxf_"  # ids of zones made from a drawing: a new import replaces them


@dataclass
class HallDrawing:
    """What a drawing gave: keep-out zones (layout data, metres) and what was left out, why."""

    zones: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    unit: str = "m"
    size: tuple[float, float] = (0.0, 0.0)  # extent of the zones (m)


def _kind(layer: str) -> str | None:
    name = layer.upper()
    return next((kind for key, kind in KINDS if key in name), None)


def _open(content: bytes, source: str):
    import ezdxf
    from ezdxf import recover

    try:
        doc, auditor = recover.read(io.BytesIO(content))
    except (ezdxf.DXFStructureError, OSError, ValueError) as exc:
        raise LayoutError(f"not a DXF drawing: {exc}", source) from None
    if auditor.has_errors:
        raise LayoutError([Problem(f"entity {e.entity.dxf.handle}" if getattr(e, "entity", None) else "drawing",
                                   e.message) for e in auditor.errors], source)
    return doc


def _entities(space) -> list:
    """Model-space entities, blocks exploded into their parts (on the block reference's layer
    when the part sits on layer 0)."""
    out = []
    for entity in space:
        if entity.dxftype() == "INSERT":
            for part in entity.virtual_entities():
                if part.dxf.layer == "0":
                    part.dxf.layer = entity.dxf.layer
                out.append(part)
        else:
            out.append(entity)
    return out


def _xy(point) -> tuple[float, float]:
    return float(point[0]), float(point[1])


def _box(entity, thickness: float) -> tuple[float, float, float, float] | str:
    """The entity's axis-aligned box (drawing units), or why it cannot be one."""
    kind = entity.dxftype()
    if kind == "LINE":
        (x0, y0), (x1, y1) = _xy(entity.dxf.start), _xy(entity.dxf.end)
        half = thickness / 2
        if abs(y1 - y0) < 1e-9:
            return min(x0, x1), y0 - half, max(x0, x1), y0 + half
        if abs(x1 - x0) < 1e-9:
            return x0 - half, min(y0, y1), x0 + half, max(y0, y1)
        return "a slanted wall line (only walls along x or y become keep-out zones)"
    if kind == "CIRCLE":
        (cx, cy), r = _xy(entity.dxf.center), entity.dxf.radius
        return cx - r, cy - r, cx + r, cy + r
    if kind in ("LWPOLYLINE", "POLYLINE"):
        points = [_xy(p) for p in (entity.get_points("xy") if kind == "LWPOLYLINE" else
                                   [v.dxf.location for v in entity.vertices])]
        if not entity.is_closed and not (len(points) > 2 and math.dist(points[0], points[-1]) < 1e-9):
            return "an open polyline (only closed outlines become keep-out zones)"
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        return min(xs), min(ys), max(xs), max(ys)
    if kind == "SOLID":
        points = [_xy(entity.dxf.get(f"vtx{i}")) for i in range(4)]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        return min(xs), min(ys), max(xs), max(ys)
    return f"a {kind} (lines, circles, closed polylines and solids are read)"


def read_hall(content: bytes, source: str, unit: str = "auto", wall_thickness: float = 0.2) -> HallDrawing:
    """Keep-out zones from a hall drawing. `unit` is one of m, cm, mm, in, ft, or 'auto' (the
    drawing's $INSUNITS); `wall_thickness` in metres for walls drawn as lines."""
    doc = _open(content, source)
    if unit == "auto":
        code = doc.header.get("$INSUNITS", 0)
        if code not in _INSUNITS:
            raise LayoutError("the drawing does not say its unit ($INSUNITS): choose m, cm, mm, in or ft", source)
        unit = _INSUNITS[code]
    if unit not in UNITS:
        raise LayoutError(f"unknown unit {unit!r}: use {', '.join(UNITS)}", source)
    scale = UNITS[unit]
    found, skipped = [], []
    for entity in _entities(doc.modelspace()):
        layer = entity.dxf.layer
        kind = _kind(layer)
        if kind is None:
            continue
        box = _box(entity, wall_thickness / scale)
        where = f"{entity.dxftype()} {entity.dxf.handle or '(in a block)'} on layer {layer}"
        if isinstance(box, str):
            skipped.append(f"{where}: {box}")
            continue
        if box[2] - box[0] <= 0 or box[3] - box[1] <= 0:
            skipped.append(f"{where}: has no area")
            continue
        found.append((kind, [v * scale for v in box]))
    if not found:
        raise LayoutError("no walls, columns or hazard areas found: put them on layers whose names contain "
                          "WALL, COL or HAZ" + (f" ({len(skipped)} entities left out)" if skipped else ""), source)
    x0, y0 = min(b[0] for _, b in found), min(b[1] for _, b in found)
    counts: dict[str, int] = {}
    zones = []
    for kind, (xmin, ymin, xmax, ymax) in found:
        counts[kind] = counts.get(kind, 0) + 1
        zones.append({"id": f"{PREFIX}{kind}_{counts[kind]}", "kind": kind, "x": round(xmin - x0, 6),
                      "y": round(ymin - y0, 6), "width": round(xmax - xmin, 6), "depth": round(ymax - ymin, 6)})
    size = (max(b[2] for _, b in found) - x0, max(b[3] for _, b in found) - y0)
    return HallDrawing(zones, skipped, unit, (round(size[0], 6), round(size[1], 6)))


def layout_with_hall(layout: Layout, hall: HallDrawing) -> Layout:
    """The layout with the drawing's zones in place of an earlier drawing's (`dxf_` ids), the
    planner's own zones kept, and the floor grown to hold the drawing when it is smaller."""
    from twin.io import layout_from_data

    data = layout.model_dump(mode="json", by_alias=True)
    floor = data["floor"]
    floor["keep_out"] = [z for z in floor.get("keep_out") or [] if not z["id"].startswith(PREFIX)] + hall.zones
    floor["width"] = max(floor["width"], hall.size[0])
    floor["depth"] = max(floor["depth"], hall.size[1])
    return layout_from_data(data, "drawing")


def write_layout_dxf(layout: Layout) -> bytes:
    """The layout as a DXF drawing in metres: layers FLOOR, STATIONS, LABELS, KEEPOUT, DOCKS
    and CONVEYORS."""
    import ezdxf

    from twin.floorplan import floor_plan

    plan = floor_plan(layout)
    doc = ezdxf.new("R2010", setup=True)
    doc.header["$INSUNITS"] = 6
    for name, colour in (("FLOOR", 8), ("STATIONS", 5), ("LABELS", 7), ("KEEPOUT", 1), ("DOCKS", 3),
                         ("CONVEYORS", 30)):
        doc.layers.add(name, color=colour)
    space = doc.modelspace()
    o = plan.outline
    space.add_lwpolyline([(o.xmin, o.ymin), (o.xmax, o.ymin), (o.xmax, o.ymax), (o.xmin, o.ymax)], close=True,
                         dxfattribs={"layer": "FLOOR"})
    text_height = max(0.15, min(layout.floor.width, layout.floor.depth) / 80)
    for station in plan.stations:
        space.add_lwpolyline(list(station.corners), close=True, dxfattribs={"layer": "STATIONS"})
        label = space.add_text(station.id, height=text_height, dxfattribs={"layer": "LABELS"})
        label.set_placement(station.centre, align=ezdxf.enums.TextEntityAlignment.MIDDLE_CENTER)
    for zone in plan.zones:
        r = zone.rect
        space.add_lwpolyline([(r.xmin, r.ymin), (r.xmax, r.ymin), (r.xmax, r.ymax), (r.xmin, r.ymax)], close=True,
                             dxfattribs={"layer": "KEEPOUT"})
    for dock in plan.docks:
        r = dock.apron
        space.add_lwpolyline([(r.xmin, r.ymin), (r.xmax, r.ymin), (r.xmax, r.ymax), (r.xmin, r.ymax)], close=True,
                             dxfattribs={"layer": "DOCKS"})
    for conveyor in plan.conveyors:
        space.add_lwpolyline(list(conveyor.points), dxfattribs={"layer": "CONVEYORS"})
    out = io.StringIO()
    doc.write(out)
    return out.getvalue().encode("utf-8")
