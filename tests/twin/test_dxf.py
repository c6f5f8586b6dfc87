"""DXF: a small generated hall drawing's walls, columns and hazard area become keep-out
zones at the right place in metres; a layout exported to DXF holds each station's outline
where its position and footprint put it."""
from __future__ import annotations

import io
from pathlib import Path

import ezdxf
import pytest

from twin.dxf import layout_with_hall, read_hall, write_layout_dxf
from twin.errors import LayoutError
from twin.io import load_layout
from twin.validate import layout_problems

ROOT = Path(__file__).resolve().parents[2]


def _drawing(units: int | None = 4, slanted: bool = False) -> bytes:
    """A 30 x 15 m hall in millimetres, drawn from (1000, 2000): four wall lines, two round
    columns, a closed hazard outline, a text on another layer."""
    doc = ezdxf.new("R2010")
    if units is not None:
        doc.header["$INSUNITS"] = units
    space = doc.modelspace()
    x0, y0 = 1000, 2000
    for start, end in (((0, 0), (30000, 0)), ((30000, 0), (30000, 15000)), ((30000, 15000), (0, 15000)),
                       ((0, 15000), (0, 0))):
        space.add_line((x0 + start[0], y0 + start[1]), (x0 + end[0], y0 + end[1]), dxfattribs={"layer": "A-WALL"})
    for cx in (10000, 20000):
        space.add_circle((x0 + cx, y0 + 7500), radius=300, dxfattribs={"layer": "S-COLS"})
    space.add_lwpolyline([(x0 + 2000, y0 + 1000), (x0 + 5000, y0 + 1000), (x0 + 5000, y0 + 3000),
                          (x0 + 2000, y0 + 3000)], close=True, dxfattribs={"layer": "HAZARD"})
    space.add_text("HALL 3", dxfattribs={"layer": "TEXT"})
    if slanted:
        space.add_line((x0, y0), (x0 + 1000, y0 + 1000), dxfattribs={"layer": "A-WALL"})
    out = io.StringIO()
    doc.write(out)
    return out.getvalue().encode()


def test_walls_columns_and_hazards_become_keep_out_zones_in_metres():
    hall = read_hall(_drawing(), "hall.dxf", wall_thickness=0.2)
    assert hall.unit == "mm"
    by_id = {z["id"]: (z["kind"], z["x"], z["y"], z["width"], z["depth"]) for z in hall.zones}
    # the drawing's lower-left (the bottom wall's outer face at x=-0.1, y=-0.1 m) is the origin
    assert by_id == {  # rounded to the micrometre by the reader
        "dxf_wall_1": ("wall", 0.1, 0.0, 30.0, 0.2),
        "dxf_wall_2": ("wall", 30.0, 0.1, 0.2, 15.0),
        "dxf_wall_3": ("wall", 0.1, 15.0, 30.0, 0.2),
        "dxf_wall_4": ("wall", 0.0, 0.1, 0.2, 15.0),
        "dxf_column_1": ("column", 9.8, 7.3, 0.6, 0.6),
        "dxf_column_2": ("column", 19.8, 7.3, 0.6, 0.6),
        "dxf_hazard_1": ("hazard", 2.1, 1.1, 3.0, 2.0),
    }
    assert hall.size == pytest.approx((30.2, 15.2))


def test_the_zones_go_into_a_layout_and_replace_an_earlier_drawings():
    layout = load_layout(ROOT / "tests" / "app" / "data" / "mini.yaml")
    hall = read_hall(_drawing(), "hall.dxf")
    merged = layout_with_hall(layout, hall)
    assert (merged.floor.width, merged.floor.depth) == pytest.approx((30.2, 15.2))
    assert [z.id for z in merged.floor.keep_out] == [z["id"] for z in hall.zones]
    again = layout_with_hall(merged, hall)
    assert [z.id for z in again.floor.keep_out] == [z["id"] for z in hall.zones]  # replaced, not doubled
    # the sample's stations stand clear of the columns and walls: the checker agrees
    assert [str(p) for p in layout_problems(merged, check_routes=False)] == []


def test_a_drawing_without_a_unit_or_with_a_slanted_wall_is_named():
    with pytest.raises(LayoutError, match=r"does not say its unit \(\$INSUNITS\)"):
        read_hall(_drawing(units=0), "hall.dxf")
    assert read_hall(_drawing(units=0), "hall.dxf", unit="mm").size == pytest.approx((30.2, 15.2))
    hall = read_hall(_drawing(slanted=True), "hall.dxf")
    assert len(hall.skipped) == 1 and "on layer A-WALL: a slanted wall line" in hall.skipped[0]
    with pytest.raises(LayoutError, match="not a DXF drawing"):
        read_hall(b"\x00\x01 not a drawing", "hall.dxf")


def test_a_layout_exported_to_dxf_holds_each_station_where_it_stands():
    layout = load_layout(ROOT / "layouts" / "food_packaging.yaml")
    doc = ezdxf.read(io.StringIO(write_layout_dxf(layout).decode()))
    assert doc.header["$INSUNITS"] == 6
    outlines = [e for e in doc.modelspace() if e.dxftype() == "LWPOLYLINE" and e.dxf.layer == "STATIONS"]
    labels = {e.dxf.text: (e.dxf.align_point.x, e.dxf.align_point.y) for e in doc.modelspace() if e.dxftype() == "TEXT"}
    assert len(outlines) == len(layout.stations)
    for station in layout.stations:
        w, d = station.footprint.width, station.footprint.depth
        if station.rotation in (90, 270):
            w, d = d, w
        x, y = station.position
        expected = {(round(x - w / 2, 6), round(y - d / 2, 6)), (round(x + w / 2, 6), round(y + d / 2, 6))}
        assert labels[station.id] == pytest.approx((x, y))
        boxes = [{(round(min(p[0] for p in pts), 6), round(min(p[1] for p in pts), 6)),
                  (round(max(p[0] for p in pts), 6), round(max(p[1] for p in pts), 6))}
                 for pts in ([tuple(p[:2]) for p in e.get_points("xy")] for e in outlines)]
        assert expected in boxes, station.id
    keepout = [e for e in doc.modelspace() if e.dxf.layer == "KEEPOUT"]
    assert len(keepout) == len(layout.floor.keep_out)
