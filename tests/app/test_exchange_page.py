"""The Layout page's spreadsheet and drawing exchange through AppTest: a workbook edited
outside comes back in as one edit (Undo takes it back), a CSV with a bad cell changes
nothing and names the row and column, a hall drawing's walls become keep-out zones."""
from __future__ import annotations

import io

import ezdxf
from openpyxl import load_workbook

from factory_app.ui import STATE_KEY
from twin.spreadsheet import write_xlsx

from apptest_tools import run as _run, start


def _uploader(at, prefix: str):
    return next(u for u in at.file_uploader if u.key.startswith(prefix))


def test_an_edited_workbook_comes_back_as_one_edit(app_env):
    at = start("Layout")
    state = at.session_state[STATE_KEY]
    book = load_workbook(io.BytesIO(write_xlsx(state.layout)))
    sheet = book["stations"]
    capacity = [c.value for c in sheet[1]].index("capacity") + 1
    sheet.cell(row=3, column=capacity, value=3)  # the second station, 'weld'
    out = io.BytesIO()
    book.save(out)
    _uploader(at, "sheet_upload").upload("plan.xlsx", out.getvalue())
    _run(at)
    assert state.layout.station("weld").capacity == 3
    assert any("Imported stations (3 rows), products (2 rows), routings (5 rows) from plan.xlsx" in s.value
               for s in at.success)
    at.button(key="undo").click()
    _run(at)
    assert state.layout.station("weld").capacity == 1


def test_a_csv_with_a_bad_cell_changes_nothing_and_names_row_and_column(app_env):
    at = start("Layout")
    state = at.session_state[STATE_KEY]
    before = state.layout
    text = "id,kind,x,y,width,depth\ncut,machine,4,6,2,2\nweld,machine,ten,6,2,2\ncheck,inspection,16,6,2,2\n"
    _uploader(at, "sheet_upload").upload("stations.csv", text.encode())
    _run(at)
    assert state.layout == before
    assert any("Nothing imported from stations.csv" in e.value
               and "stations.csv, row 3, column 'x': must be a number, got 'ten'" in e.value for e in at.error)


def test_a_hall_drawing_gives_keep_out_zones(app_env):
    doc = ezdxf.new("R2010")
    doc.header["$INSUNITS"] = 6
    doc.modelspace().add_circle((7.0, 9.0), radius=0.25, dxfattribs={"layer": "COLUMNS"})
    doc.modelspace().add_circle((13.0, 3.0), radius=0.25, dxfattribs={"layer": "COLUMNS"})
    text = io.StringIO()
    doc.write(text)
    at = start("Layout")
    _uploader(at, "dxf_upload").upload("hall.dxf", text.getvalue().encode())
    _run(at)
    zones = at.session_state[STATE_KEY].layout.floor.keep_out
    # the drawing's lower-left (the first column's corner) is the floor's origin
    assert [(z.id, z.kind, z.x, z.y, z.width, z.depth) for z in zones] == [
        ("dxf_column_1", "column", 0.0, 6.0, 0.5, 0.5), ("dxf_column_2", "column", 6.0, 0.0, 0.5, 0.5)]
