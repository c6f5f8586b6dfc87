"""Stations, products and routings as spreadsheets: an Excel workbook (sheets `stations`,
`products`, `routings`) or one CSV file per table, in and out, the way planners keep them.

Reading turns every cell into plain layout data and merges it into a layout's data: a row
keeps the fields the sheet has no column for (a station's robot cell and ports, an
operation's variability) from the layout's item of the same id. Every mistake names the
sheet (or CSV file), the row as the spreadsheet numbers it (the header is row 1) and the
column, both for cells that are not what the column needs and for the problems the layout
check then finds in the merged layout.
"""
from __future__ import annotations

import copy
import csv
import io
import math
import re
from dataclasses import dataclass
from typing import Any

from twin.errors import LayoutError, Problem
from twin.model import Layout

NUMBER, WHOLE, TEXT, FLAG, LIST = "number", "whole number", "text", "flag", "list"

# table -> [(column, kind)], in the order they are written
COLUMNS: dict[str, list[tuple[str, str]]] = {
    "stations": [("id", TEXT), ("kind", TEXT), ("x", NUMBER), ("y", NUMBER), ("rotation", WHOLE), ("width", NUMBER),
                 ("depth", NUMBER), ("height", NUMBER), ("capacity", WHOLE), ("fixed", FLAG), ("mtbf", NUMBER),
                 ("mttr", NUMBER), ("cost", NUMBER), ("input_buffer", WHOLE), ("output_buffer", WHOLE),
                 ("batch_size", WHOLE)],
    "products": [("id", TEXT), ("family", TEXT), ("demand", WHOLE), ("lot_size", WHOLE), ("transfer_batch", WHOLE),
                 ("release", NUMBER), ("due", NUMBER), ("weight", NUMBER), ("rate", NUMBER)],
    "routings": [("product", TEXT), ("id", TEXT), ("stations", LIST), ("station_kind", TEXT), ("time", NUMBER),
                 ("task", TEXT), ("handling", NUMBER), ("setup", NUMBER)],
}
REQUIRED = {"stations": ("id",), "products": ("id",), "routings": ("product", "id")}
TABLES = tuple(COLUMNS)


@dataclass(frozen=True)
class Cell:
    """Where a value came from: the sheet or file, the row (header = 1) and the column."""

    table: str
    source: str
    row: int
    column: str
    letter: str = ""

    def __str__(self) -> str:
        where = f"sheet '{self.table}'" if self.source.endswith(".xlsx") else self.source
        column = f"column {self.letter} ({self.column})" if self.letter else f"column '{self.column}'"
        return f"{where}, row {self.row}, {column}"


@dataclass(frozen=True)
class Sheet:
    """One table read from a workbook sheet or a CSV file: rows of plain values by column,
    and where each row came from."""

    table: str
    source: str
    header: list[str]
    rows: list[dict[str, Any]]
    row_numbers: list[int]

    def cell(self, index: int, column: str) -> Cell:
        letter = _letter(self.header.index(column)) if self.source.endswith(".xlsx") and column in self.header else ""
        return Cell(self.table, self.source, self.row_numbers[index], column, letter)


def _letter(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


# --- writing -------------------------------------------------------------------------------------


def table_rows(layout: Layout, table: str) -> list[dict[str, Any]]:
    """A layout's stations, products or routing steps as spreadsheet rows."""
    if table == "stations":
        return [{"id": s.id, "kind": s.kind, "x": s.position[0] if s.position else None,
                 "y": s.position[1] if s.position else None, "rotation": s.rotation, "width": s.footprint.width,
                 "depth": s.footprint.depth, "height": s.height, "capacity": s.capacity, "fixed": s.fixed,
                 "mtbf": s.mtbf, "mttr": s.mttr, "cost": s.cost, "input_buffer": s.input_buffer,
                 "output_buffer": s.output_buffer, "batch_size": s.batch_size} for s in layout.stations]
    if table == "products":
        return [{"id": p.id, "family": p.family, "demand": p.demand, "lot_size": p.lot_size,
                 "transfer_batch": p.transfer_batch, "release": p.release, "due": p.due, "weight": p.weight,
                 "rate": p.rate} for p in layout.products]
    if table == "routings":
        return [{"product": p.id, "id": op.id, "stations": ", ".join(op.stations) if op.stations else None,
                 "station_kind": op.station_kind, "time": op.time, "task": op.task, "handling": op.handling,
                 "setup": op.setup} for p in layout.products for op in p.routing]
    raise ValueError(f"no table {table!r}; tables: {', '.join(TABLES)}")


def write_csv(layout: Layout, table: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = [name for name, _ in COLUMNS[table]]
    writer.writerow(names)
    for row in table_rows(layout, table):
        writer.writerow(["" if row[n] is None else ("true" if row[n] is True else "false" if row[n] is False
                                                   else row[n]) for n in names])
    return out.getvalue()


def write_xlsx(layout: Layout) -> bytes:
    """A workbook with the sheets stations, products and routings (header in row 1)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for table in TABLES:
        sheet = book.create_sheet(table)
        names = [name for name, _ in COLUMNS[table]]
        sheet.append(names)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table_rows(layout, table):
            sheet.append([row[n] for n in names])
        for i, name in enumerate(names):
            sheet.column_dimensions[_letter(i)].width = max(10, len(name) + 2)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- reading -------------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and math.isnan(value))


def _sheet(table: str, source: str, header: list[Any], body: list[tuple[int, list[Any]]]) -> tuple[Sheet, list[Problem]]:
    """Check the header and the kind of every cell; blank rows are skipped."""
    problems: list[Problem] = []
    names = [str(h).strip().lower() if not _blank(h) else "" for h in header]
    kinds = dict(COLUMNS[table])
    where = f"sheet '{table}'" if source.endswith(".xlsx") else source
    for i, name in enumerate(names):
        if name and name not in kinds:
            letter = f"column {_letter(i)} " if source.endswith(".xlsx") else ""
            problems.append(Problem(f"{where}, row 1, {letter}('{name}')",
                                    f"unknown column: use {', '.join(kinds)}"))
    for name in REQUIRED[table]:
        if name not in names:
            problems.append(Problem(f"{where}, row 1", f"needs a column '{name}'"))
    sheet = Sheet(table, source, names, [], [])
    for number, values in body:
        if all(_blank(v) for v in values):
            continue
        row: dict[str, Any] = {}
        for i, name in enumerate(names):
            if name not in kinds or i >= len(values):
                continue
            value, problem = _convert(values[i], kinds[name])
            if problem:
                letter = _letter(i) if source.endswith(".xlsx") else ""
                problems.append(Problem(str(Cell(table, source, number, name, letter)), problem))
            row[name] = value
        sheet.rows.append(row)
        sheet.row_numbers.append(number)
    return sheet, problems


_TRUE, _FALSE = {"true", "yes", "y", "1", "x"}, {"false", "no", "n", "0"}


def _convert(value: Any, kind: str) -> tuple[Any, str]:
    """A cell as the column's kind, or (None, why not)."""
    if _blank(value):
        return None, ""
    if kind == TEXT:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).strip(), ""
    if kind == LIST:
        return [part.strip() for part in re.split(r"[,;]", str(value)) if part.strip()], ""
    if kind == FLAG:
        if isinstance(value, bool):
            return value, ""
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE, ""
        return None, f"must be true or false (yes/no), got '{value}'"
    if isinstance(value, bool):
        return None, f"must be a {kind}, got '{value}'"
    number = value
    if isinstance(value, str):
        try:
            number = float(value.strip().replace("_", ""))
        except ValueError:
            return None, f"must be a {kind}, got '{value.strip()}'"
    if not isinstance(number, (int, float)) or not math.isfinite(number):
        return None, f"must be a finite {kind}, got '{value}'"
    if kind == WHOLE:
        if float(number) != int(number):
            return None, f"must be a whole number, got '{value}'"
        return int(number), ""
    return float(number), ""


def read_csv(text: str, source: str, table: str | None = None) -> Sheet:
    """One table from CSV text; `table` defaults to the one the file name or header names.
    Raises LayoutError naming the file, row and column of every bad cell."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise LayoutError("the file is empty: the first row must name the columns", source)
    table = table or guess_table(source, rows[0])
    sheet, problems = _sheet(table, source, rows[0], [(n + 2, r) for n, r in enumerate(rows[1:])])
    if problems:
        raise LayoutError(problems, source)
    return sheet


def guess_table(source: str, header: list[Any]) -> str:
    """The table a CSV file holds: by its file name (stations.csv), else by its columns."""
    stem = source.lower().rsplit("/", 1)[-1]
    for table in TABLES:
        if table in stem or table.rstrip("s") in stem:
            return table
    names = {str(h).strip().lower() for h in header}
    if "product" in names:
        return "routings"
    if names & {"demand", "lot_size", "family"}:
        return "products"
    if names & {"kind", "width", "depth", "x", "y"}:
        return "stations"
    raise LayoutError("cannot tell which table this is: name the file stations.csv, products.csv or routings.csv, "
                      "or give the columns of one of them", source)


def read_xlsx(content: bytes, source: str) -> list[Sheet]:
    """The sheets stations, products and routings that a workbook has (at least one).
    Raises LayoutError naming the sheet, row and column of every bad cell."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a file that is not a workbook
        raise LayoutError(f"not an Excel workbook (.xlsx): {exc}", source) from None
    sheets, problems = [], []
    names = {name.strip().lower(): name for name in book.sheetnames}
    for table in TABLES:
        if table not in names:
            continue
        values = list(book[names[table]].iter_rows(values_only=True))
        if not values:
            continue
        sheet, found = _sheet(table, source, list(values[0]), [(n + 2, list(r)) for n, r in enumerate(values[1:])])
        sheets.append(sheet)
        problems += found
    book.close()
    if not sheets and not problems:
        raise LayoutError(f"no sheet named {', '.join(TABLES)} (sheets: {', '.join(book.sheetnames)})", source)
    if problems:
        raise LayoutError(problems, source)
    return sheets


# --- merging into a layout -----------------------------------------------------------------------


def merge(data: dict[str, Any], sheets: list[Sheet]) -> tuple[dict[str, Any], dict[str, Cell]]:
    """Layout data with the sheets' tables in place of its stations, products or routings
    (an item keeps the fields the sheet has no column for from the item of the same id), and
    where each field of the result came from (field path -> cell), for `locate`."""
    out = copy.deepcopy(data)
    origin: dict[str, Cell] = {}
    by_table = {s.table: s for s in sheets}
    if "stations" in by_table:
        out["stations"] = _merge_stations(out.get("stations") or [], by_table["stations"], origin)
    if "products" in by_table:
        out["products"] = _merge_products(out.get("products") or [], by_table["products"], origin)
    if "routings" in by_table:
        _merge_routings(out.get("products") or [], by_table["routings"], origin)
    return out, origin


_STATION_FIELDS = {"x": "position[0]", "y": "position[1]", "width": "footprint.width", "depth": "footprint.depth"}


def _merge_stations(old: list[dict], sheet: Sheet, origin: dict[str, Cell]) -> list[dict]:
    known = {s.get("id"): s for s in old}
    stations = []
    for i, row in enumerate(sheet.rows):
        station = copy.deepcopy(known.get(row.get("id"), {}))
        for name, value in row.items():
            if name in ("x", "y", "width", "depth"):
                continue
            if value is None and name not in REQUIRED["stations"]:
                station.pop(name, None)  # a blank optional cell: the default
            else:
                station[name] = value
        x, y = row.get("x"), row.get("y")
        if "x" in row or "y" in row:
            station["position"] = None if x is None and y is None else [x, y]
        footprint = dict(station.get("footprint") or {})
        for side in ("width", "depth"):
            if side in row:
                footprint[side] = row[side]
        station["footprint"] = footprint
        for column in row:
            origin[f"stations[{i}].{_STATION_FIELDS.get(column, column)}"] = sheet.cell(i, column)
        origin[f"stations[{i}]"] = sheet.cell(i, "id")
        if "x" in row:
            origin[f"stations[{i}].position"] = sheet.cell(i, "x")
        stations.append(station)
    return stations


def _merge_products(old: list[dict], sheet: Sheet, origin: dict[str, Cell]) -> list[dict]:
    known = {p.get("id"): p for p in old}
    products = []
    for i, row in enumerate(sheet.rows):
        product = copy.deepcopy(known.get(row.get("id"), {"routing": []}))
        for name, value in row.items():
            if value is None and name not in REQUIRED["products"] + ("family", "demand", "lot_size"):
                product.pop(name, None)
            else:
                product[name] = value
        for column in row:
            origin[f"products[{i}].{column}"] = sheet.cell(i, column)
        origin[f"products[{i}]"] = sheet.cell(i, "id")
        products.append(product)
    return products


def _merge_routings(products: list[dict], sheet: Sheet, origin: dict[str, Cell]) -> None:
    index = {p.get("id"): i for i, p in enumerate(products)}
    steps: dict[int, list[tuple[int, dict]]] = {}
    problems = []
    for n, row in enumerate(sheet.rows):
        product = row.get("product")
        if product not in index:
            problems.append(Problem(str(sheet.cell(n, "product")), f"no product '{product}'"))
            continue
        steps.setdefault(index[product], []).append((n, row))
    if problems:
        raise LayoutError(problems, sheet.source)
    for i, rows in steps.items():
        old = {op.get("id"): op for op in products[i].get("routing") or []}
        routing = []
        for j, (n, row) in enumerate(rows):
            op = copy.deepcopy(old.get(row.get("id"), {}))
            for name, value in row.items():
                if name == "product":
                    continue
                if value is None and name != "id":
                    op.pop(name, None)
                else:
                    op[name] = value
            routing.append(op)
            for column in row:
                if column != "product":
                    origin[f"products[{i}].routing[{j}].{column}"] = sheet.cell(n, column)
            origin[f"products[{i}].routing[{j}]"] = sheet.cell(n, "id")
        products[i]["routing"] = routing


def locate(problems: list[Problem], origin: dict[str, Cell]) -> list[Problem]:
    """Problems of the merged layout at the cell they came from: the longest field path that
    the sheets filled and that the problem's path starts with; others unchanged."""
    out = []
    for problem in problems:
        path = problem.path
        best = max((p for p in origin if path == p or path.startswith(p + ".") or path.startswith(p + "[")),
                   key=len, default=None)
        out.append(Problem(str(origin[best]), problem.message) if best else problem)
    return out


def layout_with_tables(layout: Layout, sheets: list[Sheet]) -> Layout:
    """The layout with the sheets merged in; raises LayoutError whose problems name the sheet,
    row and column they came from (the model's and the whole-layout checks' alike)."""
    from twin.io import layout_from_data
    from twin.validate import layout_problems

    data, origin = merge(layout.model_dump(mode="json", by_alias=True), sheets)
    source = sheets[0].source if sheets else None
    try:
        merged = layout_from_data(data)
    except LayoutError as exc:
        raise LayoutError(locate(exc.problems, origin), source) from None
    problems = layout_problems(merged, check_routes=False)
    if problems:
        raise LayoutError(locate(problems, origin), source)
    return merged
