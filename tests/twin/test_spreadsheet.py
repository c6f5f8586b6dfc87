"""Stations, products and routings to and from Excel and CSV: a round trip gives the same
layout, and every mistake names the sheet (or file), the row and the column."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from twin.errors import LayoutError
from twin.io import load_layout
from twin.spreadsheet import layout_with_tables, read_csv, read_xlsx, write_csv, write_xlsx

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def layout():
    return load_layout(ROOT / "layouts" / "auto_parts.yaml")


def _problems(exc: LayoutError) -> list[str]:
    return [str(p) for p in exc.problems]


def test_an_excel_round_trip_gives_the_same_layout(layout):
    book = load_workbook(io.BytesIO(write_xlsx(layout)))
    assert book.sheetnames == ["stations", "products", "routings"]
    assert book["stations"].max_row == len(layout.stations) + 1  # the header and one row per station
    assert book["routings"].max_row == 1 + sum(len(p.routing) for p in layout.products)
    again = layout_with_tables(layout, read_xlsx(write_xlsx(layout), "plan.xlsx"))
    assert again == layout  # robot cells, ports and variability kept from the items of the same id


def test_a_csv_round_trip_per_table_gives_the_same_layout(layout):
    sheets = [read_csv(write_csv(layout, table), f"{table}.csv") for table in ("stations", "products", "routings")]
    assert [s.table for s in sheets] == ["stations", "products", "routings"]
    assert layout_with_tables(layout, sheets) == layout


def test_buffers_batch_sizes_and_transfer_batches_travel_in_the_sheets(layout):
    """A workbook carries the new fields itself: read into a layout that lacks them (another
    project's copy), they come back from the cells, not from the items of the same id."""
    parts = layout.with_stations([s.model_copy(update={"input_buffer": 3, "output_buffer": 2}) if s.id == "washer"
                                  else s for s in layout.stations])
    parts = parts.model_copy(update={"products": tuple(
        p.model_copy(update={"transfer_batch": 10}) if i == 0 else p for i, p in enumerate(parts.products))})
    food = load_layout(ROOT / "layouts" / "food_packaging.yaml")
    assert any(s.batch_size for s in food.stations)
    for full in (parts, food):
        bare = full.with_stations([s.model_copy(update={"input_buffer": None, "output_buffer": None,
                                                        "batch_size": None}) for s in full.stations])
        bare = bare.model_copy(update={"products": tuple(p.model_copy(update={"transfer_batch": None})
                                                         for p in bare.products)})
        assert bare != full
        assert layout_with_tables(bare, read_xlsx(write_xlsx(full), "plan.xlsx")) == full


def test_edits_in_the_sheet_reach_the_layout(layout):
    text = write_csv(layout, "stations").splitlines()
    header = text[0].split(",")
    row = text[1].split(",")
    row[header.index("capacity")] = "2"
    sheet = read_csv("\n".join([text[0], ",".join(row), *text[2:]]), "stations.csv")
    assert layout_with_tables(layout, [sheet]).stations[0].capacity == 2


def _book(rows_by_sheet: dict[str, list[list]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name, rows in rows_by_sheet.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_bad_cells_are_named_by_sheet_row_and_column():
    content = _book({
        "stations": [["id", "kind", "x", "y", "width", "depth", "capacity", "colour"],
                     ["cut", "machine", 4, 6, "wide", 2, 1.5, None],
                     [None, None, None, None, None, None, None, None],
                     ["weld", "machine", "ten", 6, 2, 2, 1, None]],
    })
    with pytest.raises(LayoutError) as info:
        read_xlsx(content, "plan.xlsx")
    assert _problems(info.value) == [
        "sheet 'stations', row 1, column H ('colour'): unknown column: use id, kind, x, y, rotation, width, depth, "
        "height, capacity, fixed, mtbf, mttr, cost, input_buffer, output_buffer, batch_size",
        "sheet 'stations', row 2, column E (width): must be a number, got 'wide'",
        "sheet 'stations', row 2, column G (capacity): must be a whole number, got '1.5'",
        "sheet 'stations', row 4, column C (x): must be a number, got 'ten'",
    ]


def _edit_csv(text: str, row: int, column: str, value: str) -> str:
    """The CSV text with one cell changed (`row` as the spreadsheet numbers it)."""
    rows = list(csv.reader(io.StringIO(text)))
    rows[row - 1][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def test_problems_of_the_merged_layout_are_named_by_sheet_row_and_column(layout):
    stations = _edit_csv(write_csv(layout, "stations"), 4, "width", "-1")
    routings = _edit_csv(write_csv(layout, "routings"), 3, "stations", "lathe_99")
    with pytest.raises(LayoutError) as info:
        layout_with_tables(layout, [read_csv(stations, "stations.csv"), read_csv(routings, "routings.csv")])
    assert _problems(info.value) == ["stations.csv, row 4, column 'width': must be positive",
                                     "routings.csv, row 3, column 'stations': no station 'lathe_99'"]


def test_a_routing_row_for_an_unknown_product_is_named():
    text = "product,id,stations,time\nbracket,cut,cut,20\nwidget,cut,cut,20\n"
    layout = load_layout(ROOT / "tests" / "app" / "data" / "mini.yaml")
    with pytest.raises(LayoutError) as info:
        layout_with_tables(layout, [read_csv(text, "routings.csv")])
    assert _problems(info.value) == ["routings.csv, row 3, column 'product': no product 'widget'"]


def test_a_file_that_is_not_a_workbook_or_names_no_table_is_refused():
    with pytest.raises(LayoutError, match="not an Excel workbook"):
        read_xlsx(b"name,kind\n", "plan.xlsx")
    with pytest.raises(LayoutError, match="no sheet named stations, products, routings"):
        read_xlsx(_book({"Sheet1": [["a"]]}), "plan.xlsx")
    with pytest.raises(LayoutError, match="cannot tell which table"):
        read_csv("a,b\n1,2\n", "data.csv")
