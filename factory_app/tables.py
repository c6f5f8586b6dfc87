"""Tables of stations, products and routing steps, and edits made to them, as plain data.

A table edit comes back from the page as a pandas DataFrame; `apply_*` merges it into the
layout data (rows keep their index, so a station's robot cell and ports survive edits of its
other columns; new rows start from sensible defaults). Blank cells become missing values,
which the layout check then names, rather than being guessed.
"""
from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any

from twin.errors import Problem
from factory_app.editing import problems_for
from factory_app.variability_text import parse_shape, shape_text

if TYPE_CHECKING:  # pandas loads with the first table, after the plan is on the screen
    import pandas as pd

STATION_COLUMNS = ["id", "kind", "x", "y", "rotation", "width", "depth", "height", "capacity", "fixed"]
PRODUCT_COLUMNS = ["id", "family", "demand", "lot_size", "transfer_batch", "release", "due", "weight", "rate", "arrivals"]
ROUTING_COLUMNS = ["id", "stations", "station_kind", "time", "task", "handling", "setup", "variability"]


def is_list(value: Any) -> bool:
    """A multiselect cell: a list, or a numpy array in a frame."""
    import numpy as np

    return isinstance(value, (list, tuple, np.ndarray))


def blank(value: Any) -> bool:
    import pandas as pd

    if value is None:
        return True
    if is_list(value):
        return len(value) == 0
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and not value.strip():
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def cell_value(value: Any) -> Any:
    """A cell value as plain Python (numpy scalars unwrapped, blanks as None)."""
    if blank(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return value  # keep floats as floats; pydantic accepts 2.0 for an int field
    return value.strip() if isinstance(value, str) else value


def cell_list(value: Any) -> list[str]:
    """A cell that lists things (a multiselect's list, or text separated by commas) as a list."""
    if is_list(value):
        return [str(v).strip() for v in list(value) if v is not None and str(v).strip()]
    text = cell_value(value)
    return [part.strip() for part in str(text).split(",") if part.strip()] if text is not None else []


def cell_int(value: Any) -> Any:
    value = cell_value(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# --- stations ------------------------------------------------------------------------------


def stations_frame(data: dict[str, Any], problems: list[Problem] = ()) -> pd.DataFrame:
    import pandas as pd

    rows = []
    for i, s in enumerate(data.get("stations") or []):
        pos = s.get("position") or (None, None)
        fp = s.get("footprint") or {}
        rows.append({
            "id": s.get("id"), "kind": s.get("kind"), "x": pos[0], "y": pos[1],
            "rotation": s.get("rotation", 0), "width": fp.get("width"), "depth": fp.get("depth"),
            "height": s.get("height", 1.5), "capacity": s.get("capacity", 1), "fixed": bool(s.get("fixed", False)),
            "problems": "; ".join(problems_for(list(problems), "stations", i)),
        })
    frame = pd.DataFrame(rows, columns=STATION_COLUMNS + ["problems"])
    for col in ("x", "y", "width", "depth", "height"):
        frame[col] = frame[col].astype("float64")
    return frame


def new_station(existing_ids: set[str]) -> dict[str, Any]:
    n = len(existing_ids) + 1
    while f"S{n}" in existing_ids:
        n += 1
    return {"id": f"S{n}", "kind": "machine", "footprint": {"width": 2.0, "depth": 2.0}, "position": None}


def is_new_row(index: Any, old: list) -> bool:
    return not (isinstance(index, int) and 0 <= index < len(old))


def without_blank_new_rows(frame: pd.DataFrame, old_count: int, columns: list[str]) -> pd.DataFrame:
    """The table without rows just added and still empty: a row the planner has only begun
    is not an edit yet (applying it would rebuild the table under the planner's typing)."""
    import pandas as pd

    keep = [not (not (isinstance(i, int) and 0 <= i < old_count) and all(blank(row.get(c)) for c in columns))
            for i, row in frame.iterrows()]
    return frame[pd.Series(keep, index=frame.index, dtype=bool)]  # a plain [] would select columns


def frame_changed(before: pd.DataFrame, after: pd.DataFrame, columns: list[str]) -> bool:
    """True when the table was edited; a row just added and still empty is not an edit yet."""
    after = without_blank_new_rows(after, len(before), columns)
    a, b = before[columns].reset_index(drop=True), after[columns].reset_index(drop=True)
    if len(a) != len(b) or list(before.index) != list(after.index):
        return True
    return not _comparable(a).equals(_comparable(b))


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells as plain values: blanks as None, lists (a multiselect's cells) as tuples."""
    return frame.astype(object).map(lambda v: tuple(cell_list(v)) if is_list(v) else (None if blank(v) else v))


def apply_stations(data: dict[str, Any], frame: pd.DataFrame) -> dict[str, Any]:
    """Layout data with the stations table applied (rows added, removed, changed); a new
    row's blank cells take a new station's defaults (a 2 x 2 m machine, not yet placed)."""
    out = copy.deepcopy(data)
    old = out.get("stations") or []
    stations = []
    ids = {s.get("id") for s in old}
    for index, row in frame.iterrows():
        new = is_new_row(index, old)
        base = new_station(ids) if new else copy.deepcopy(old[index])
        ids.add(base.get("id"))
        station = dict(base)
        station["id"] = cell_value(row.get("id")) if not blank(row.get("id")) else base.get("id")
        station["kind"] = cell_value(row.get("kind")) or base.get("kind")
        x, y = cell_value(row.get("x")), cell_value(row.get("y"))
        station["position"] = None if x is None and y is None else [x, y]
        station["rotation"] = cell_int(row.get("rotation")) if not blank(row.get("rotation")) else 0
        footprint = (base.get("footprint") or {}) if new else {}
        station["footprint"] = {side: footprint.get(side) if blank(row.get(side)) else cell_value(row.get(side))
                                for side in ("width", "depth")}
        for col, default in (("height", 1.5), ("capacity", 1)):
            value = cell_int(row.get(col)) if col == "capacity" else cell_value(row.get(col))
            station[col] = default if value is None else value
        station["fixed"] = bool(cell_value(row.get("fixed")) or False)
        stations.append(station)
    out["stations"] = stations
    return out


def update_station(data: dict[str, Any], index: int, **fields: Any) -> dict[str, Any]:
    """Layout data with some fields of one station changed: x, y, rotation, kind, width,
    depth, capacity, height, id, fixed."""
    out = copy.deepcopy(data)
    station = out["stations"][index]
    for name, value in fields.items():
        if name in ("x", "y"):
            pos = list(station.get("position") or [None, None])
            pos[0 if name == "x" else 1] = value
            station["position"] = None if pos == [None, None] else pos
        elif name in ("width", "depth"):
            station.setdefault("footprint", {})[name] = value
        else:
            station[name] = value
    return out


def remove_station(data: dict[str, Any], index: int) -> dict[str, Any]:
    out = copy.deepcopy(data)
    del out["stations"][index]
    return out


def add_station(data: dict[str, Any], kind: str = "machine") -> dict[str, Any]:
    out = copy.deepcopy(data)
    station = new_station({s.get("id") for s in out.get("stations") or []})
    station["kind"] = kind
    out.setdefault("stations", []).append(station)
    return out


# --- products and routings -------------------------------------------------------------------


def products_frame(data: dict[str, Any], problems: list[Problem] = ()) -> pd.DataFrame:
    import pandas as pd

    rows = []
    for i, p in enumerate(data.get("products") or []):
        rows.append({
            "id": p.get("id"), "family": p.get("family"), "demand": p.get("demand"), "lot_size": p.get("lot_size"),
            "transfer_batch": p.get("transfer_batch"), "release": p.get("release", 0.0), "due": p.get("due"),
            "weight": p.get("weight", 1.0), "rate": p.get("rate"), "arrivals": shape_text(p.get("arrivals"), "exponential"),
            "problems": "; ".join(m for m in problems_for(list(problems), "products", i)),
        })
    frame = pd.DataFrame(rows, columns=PRODUCT_COLUMNS + ["problems"])
    for col in ("transfer_batch", "release", "due", "weight", "rate"):
        frame[col] = frame[col].astype("float64")
    return frame


def new_product(existing_ids: set[str]) -> dict[str, Any]:
    """A new product: one unit in one lot, its own family, and no routing yet (the planner
    gives its operations on the Routings tab; nothing is copied from another product)."""
    n = len(existing_ids) + 1
    while f"P{n}" in existing_ids:
        n += 1
    return {"id": f"P{n}", "family": f"P{n}", "demand": 1, "lot_size": 1, "routing": []}


def apply_products(data: dict[str, Any], frame: pd.DataFrame) -> dict[str, Any]:
    """Layout data with the products table applied; a new row's blank cells take a new
    product's defaults, and its routing starts empty."""
    out = copy.deepcopy(data)
    old = out.get("products") or []
    products = []
    ids = {p.get("id") for p in old}
    for index, row in frame.iterrows():
        new = is_new_row(index, old)
        product = new_product(ids) if new else copy.deepcopy(old[index])
        ids.add(product.get("id"))
        for col in PRODUCT_COLUMNS:
            value = cell_int(row.get(col)) if col in ("demand", "lot_size", "transfer_batch") else cell_value(row.get(col))
            if col == "arrivals":
                value = parse_shape(value, product.get(col))
            if col in ("transfer_batch", "rate", "arrivals") and value is None:  # blank: whole lots, no steady
                product.pop(col, None)                                           # demand, exponential arrivals
                continue
            if col in ("release", "weight") and value is None:
                value = 0.0 if col == "release" else 1.0
            if value is None and new and col in product:
                value = product[col]
            product[col] = value
        products.append(product)
    out["products"] = products
    return out


def routing_frame(data: dict[str, Any], product_index: int, problems: list[Problem] = ()) -> pd.DataFrame:
    import pandas as pd

    rows = []
    product = (data.get("products") or [])[product_index]
    for j, op in enumerate(product.get("routing") or []):
        messages = problems_for(list(problems), "products", product_index, (f"routing[{j}]",))
        rows.append({
            "id": op.get("id"), "stations": list(op.get("stations") or []),
            "station_kind": op.get("station_kind") or "", "time": op.get("time"), "task": op.get("task") or "",
            "handling": op.get("handling", 0.0), "setup": op.get("setup", 0.0),
            "variability": shape_text(op.get("variability"), "fixed"), "problems": "; ".join(messages),
        })
    frame = pd.DataFrame(rows, columns=ROUTING_COLUMNS + ["problems"])
    for col in ("time", "handling", "setup"):
        frame[col] = frame[col].astype("float64")
    return frame


def apply_routing(data: dict[str, Any], product_index: int, frame: pd.DataFrame) -> dict[str, Any]:
    """Layout data with one product's routing replaced by the table's rows, in order; a row
    that was there keeps the fields the table has no column for (an empirical time's samples)."""
    out = copy.deepcopy(data)
    old = out["products"][product_index].get("routing") or []
    routing = []
    for n, (index, row) in enumerate(frame.iterrows()):
        base = {} if is_new_row(index, old) else old[index]
        op = base | {
            "id": cell_value(row.get("id")) or f"op{n + 1}",
            "stations": cell_list(row.get("stations")) or None,
            "station_kind": cell_value(row.get("station_kind")),
            "time": cell_value(row.get("time")),
            "task": cell_value(row.get("task")),
            "handling": cell_value(row.get("handling")) or 0.0,
            "setup": cell_value(row.get("setup")) or 0.0,
        }
        shape = parse_shape(cell_value(row.get("variability")), base.get("variability"))
        if shape is None:
            op.pop("variability", None)
        else:
            op["variability"] = shape
        routing.append(op)
    out["products"][product_index]["routing"] = routing
    return out


def move_step(data: dict[str, Any], product_index: int, step: int, offset: int) -> dict[str, Any]:
    """Layout data with one routing step moved `offset` places (-1: up, +1: down), kept
    within the routing."""
    out = copy.deepcopy(data)
    routing = out["products"][product_index]["routing"]
    target = max(0, min(len(routing) - 1, step + offset))
    routing.insert(target, routing.pop(step))
    return out


def set_samples(data: dict[str, Any], product_index: int, step: int, samples: list[float]) -> dict[str, Any]:
    """The layout data with one operation's time shape empirical over `samples`."""
    data = copy.deepcopy(data)
    data["products"][product_index]["routing"][step]["variability"] = {"kind": "empirical", "samples": list(samples)}
    return data
