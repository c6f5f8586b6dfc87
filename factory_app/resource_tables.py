"""Tables of the factory beyond stations' places and products' routings: each station's
reliability, buffers, batch size and price; the conveyors; the operator pools and their
shifts; the changeovers. Edits come back from the page as pandas DataFrames and are merged
into the layout data here, as plain data (like `factory_app.tables`).

A blank cell is a missing value, which means the model's default (no breakdowns, no buffer
limit, whole lots) or, where a value is required, a problem the layout check names. Text
that lists several things (stations, kinds, days, breaks) is comma-separated.
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from twin.errors import Problem
from twin.model import Costs, StationPower
from factory_app.editing import problems_for
from factory_app.tables import blank, cell_int, cell_list, cell_value, is_new_row
from factory_app.variability_text import parse_shape, shape_text

if TYPE_CHECKING:  # pandas loads with the first table, after the plan is on the screen
    import pandas as pd

DETAIL_COLUMNS = ["mtbf", "mttr", "failures", "repairs", "input_buffer", "output_buffer", "batch_size", "cost"]
_SHAPES = {"failures": "uptime", "repairs": "repair"}  # column -> field of a station's `breakdowns`
_DETAIL_INTS = ("input_buffer", "output_buffer", "batch_size")
CONVEYOR_COLUMNS = ["id", "from", "to", "speed", "pitch"]
POOL_COLUMNS = ["id", "size", "stations", "kinds"]
SHIFT_COLUMNS = ["start", "end", "breaks", "days"]
CHANGEOVER_COLUMNS = ["from_family", "to_family", "stations", "time"]
DECISION_BUFFER_COLUMNS = ["station", "buffer", "min", "max"]
AGV_FIELDS = ("speed", "fleet_size", "load_time", "home")
COST_FIELDS = tuple(name for name in Costs.model_fields if name != "station_power_kw")
POWER_KINDS = tuple(StationPower.model_fields)


def _joined(values: Any) -> str:
    return ", ".join(str(v) for v in values or ())


def _frame(rows: list[dict[str, Any]], columns: list[str], floats: tuple[str, ...] = ()) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(rows, columns=columns + ["problems"])
    for col in floats:
        frame[col] = frame[col].astype("float64")
    return frame


# --- station details -------------------------------------------------------------------------


def details_frame(data: dict[str, Any], problems: list[Problem] = ()) -> pd.DataFrame:
    """One row per station (the id is shown, not edited here: it is the Stations tab's)."""
    import pandas as pd

    rows = []
    for i, s in enumerate(data.get("stations") or []):
        row = {"id": s.get("id")} | {col: s.get(col) for col in DETAIL_COLUMNS if col not in _SHAPES}
        row |= {col: shape_text((s.get("breakdowns") or {}).get(field), "exponential") for col, field in _SHAPES.items()}
        row["problems"] = "; ".join(problems_for(list(problems), "stations", i, tuple(DETAIL_COLUMNS)))
        rows.append(row)
    frame = pd.DataFrame(rows, columns=["id"] + DETAIL_COLUMNS + ["problems"])
    for col in DETAIL_COLUMNS:
        if col not in _SHAPES:
            frame[col] = frame[col].astype("float64")
    return frame


def apply_details(data: dict[str, Any], frame: pd.DataFrame) -> dict[str, Any]:
    """Layout data with each station's reliability (MTBF, MTTR and their shapes), buffers,
    batch size and price from the table's row of the same index (one row per station)."""
    out = copy.deepcopy(data)
    stations = out.get("stations") or []
    for index, row in frame.iterrows():
        if is_new_row(index, stations):
            continue
        station = stations[index]
        for col in DETAIL_COLUMNS:
            if col in _SHAPES:
                breakdowns = station.setdefault("breakdowns", {})
                shape = parse_shape(cell_value(row.get(col)), breakdowns.get(_SHAPES[col]))
                breakdowns[_SHAPES[col]] = shape if shape is not None else {"kind": "exponential"}
                continue
            value = cell_int(row.get(col)) if col in _DETAIL_INTS else cell_value(row.get(col))
            if value is None:
                station.pop(col, None)
            else:
                station[col] = value
    return out


# --- AGVs and conveyors ----------------------------------------------------------------------


def agv_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The AGV fleet as the page shows it, with the model's defaults where the file is silent."""
    agv = (data.get("transport") or {}).get("agv") or {}
    return {"speed": agv.get("speed", 1.0), "fleet_size": agv.get("fleet_size", 2),
            "load_time": agv.get("load_time", 10.0), "home": agv.get("home")}


def update_agv(data: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """Layout data with AGV fleet fields changed; a home of None means the default start
    (the first receiving dock, else the first station)."""
    out = copy.deepcopy(data)
    agv = out.setdefault("transport", {}).setdefault("agv", {})
    for name, value in fields.items():
        if name not in AGV_FIELDS:
            raise KeyError(name)
        if value is None and name == "home":
            agv.pop("home", None)
        else:
            agv[name] = value
    return out


def conveyors_frame(data: dict[str, Any], problems: list[Problem] = ()) -> pd.DataFrame:
    rows = []
    for i, c in enumerate((data.get("transport") or {}).get("conveyors") or []):
        rows.append({"id": c.get("id"), "from": c.get("from", c.get("from_station")),
                     "to": c.get("to", c.get("to_station")), "speed": c.get("speed", 0.3), "pitch": c.get("pitch"),
                     "problems": "; ".join(problems_for(list(problems), "transport.conveyors", i))})
    return _frame(rows, CONVEYOR_COLUMNS, ("speed", "pitch"))


def apply_conveyors(data: dict[str, Any], frame: pd.DataFrame) -> dict[str, Any]:
    """Layout data with the conveyors table applied. A conveyor keeps its drawn route while
    its two ends stay the same; given new ends it is laid anew port to port."""
    out = copy.deepcopy(data)
    transport = out.setdefault("transport", {})
    old = transport.get("conveyors") or []
    conveyors = []
    for index, row in frame.iterrows():
        base = {} if is_new_row(index, old) else copy.deepcopy(old[index])
        ends = (base.pop("from_station", base.get("from")), base.pop("to_station", base.get("to")))
        conveyor = base | {"id": cell_value(row.get("id")) or f"conveyor_{len(conveyors) + 1}",
                           "from": cell_value(row.get("from")), "to": cell_value(row.get("to")),
                           "speed": 0.3 if blank(row.get("speed")) else cell_value(row.get("speed"))}
        if (conveyor["from"], conveyor["to"]) != ends:
            conveyor.pop("route", None)
        pitch = cell_value(row.get("pitch"))
        if pitch is None:
            conveyor.pop("pitch", None)
        else:
            conveyor["pitch"] = pitch
        conveyors.append(conveyor)
    transport["conveyors"] = conveyors
    return out


# --- operators --------------------------------------------------------------------------------


def _pools(data: dict[str, Any]) -> list[dict[str, Any]]:
    return (data.get("operators") or {}).get("pools") or []


def pools_frame(data: dict[str, Any], problems: list[Problem] = ()) -> pd.DataFrame:
    rows = [{"id": p.get("id"), "size": p.get("size"), "stations": list(p.get("stations") or ()),
             "kinds": list(p.get("kinds") or ()),
             "problems": "; ".join(problems_for(list(problems), "operators.pools", i))}
            for i, p in enumerate(_pools(data))]
    return _frame(rows, POOL_COLUMNS)


def apply_pools(data: dict[str, Any], frame: pd.DataFrame) -> dict[str, Any]:
    """Layout data with the pools table applied; a pool keeps its shifts (edited in the
    shifts table), and a new pool starts with one operator around the clock."""
    out = copy.deepcopy(data)
    operators = out.setdefault("operators", {})
    old = operators.get("pools") or []
    pools = []
    for index, row in frame.iterrows():
        base = {"shifts": []} if is_new_row(index, old) else copy.deepcopy(old[index])
        size = cell_int(row.get("size"))
        base.update(id=cell_value(row.get("id")) or f"pool_{len(pools) + 1}", size=1 if size is None else size,
                    stations=cell_list(row.get("stations")), kinds=cell_list(row.get("kinds")))
        pools.append(base)
    operators["pools"] = pools
    return out


def _break_text(b: dict[str, Any]) -> str:
    return f"{b.get('start')}-{b.get('end')}"


def _parse_break(text: str) -> dict[str, Any]:
    """'10:00-10:15' -> a break; a malformed one keeps what was typed, for the check to name."""
    start, _, end = text.partition("-")
    return {"start": start.strip(), "end": end.strip() or None}


def shifts_frame(data: dict[str, Any], pool_index: int, problems: list[Problem] = ()) -> pd.DataFrame:
    shifts = _pools(data)[pool_index].get("shifts") or []
    rows = [{"start": s.get("start"), "end": s.get("end"), "breaks": _joined(_break_text(b) for b in s.get("breaks") or ()),
             "days": list(s.get("days") or ()),
             "problems": "; ".join(problems_for(list(problems), "operators.pools", pool_index, (f"shifts[{j}]",)))}
            for j, s in enumerate(shifts)]
    return _frame(rows, SHIFT_COLUMNS)


def apply_shifts(data: dict[str, Any], pool_index: int, frame: pd.DataFrame) -> dict[str, Any]:
    """Layout data with one pool's shifts replaced by the table's rows: 'HH:MM' start and end,
    breaks as '10:00-10:15, 12:00-12:30', days as 'mon, tue' (blank: every day)."""
    out = copy.deepcopy(data)
    shifts = []
    for _, row in frame.iterrows():
        days = cell_list(row.get("days"))
        shift = {"start": cell_value(row.get("start")), "end": cell_value(row.get("end")),
                 "breaks": [_parse_break(b) for b in cell_list(row.get("breaks"))]}
        if days:
            shift["days"] = days
        shifts.append(shift)
    out["operators"]["pools"][pool_index]["shifts"] = shifts
    return out


# --- costs ----------------------------------------------------------------------------------


def cost_fields(data: dict[str, Any]) -> dict[str, float]:
    """The prices the search's annual cost reads, with the model's defaults where the file is
    silent: each of COST_FIELDS, and `power_<kind>` for the kW a busy station of each kind draws."""
    given = data.get("costs") or {}
    costs = Costs().model_dump() | {k: v for k, v in given.items() if v is not None}
    power = StationPower().model_dump() | (given.get("station_power_kw") or {})
    return {name: costs[name] for name in COST_FIELDS} | {f"power_{kind}": power[kind] for kind in POWER_KINDS}


def update_costs(data: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """Layout data with prices changed (names as in `cost_fields`)."""
    out = copy.deepcopy(data)
    costs = out["costs"] = dict(out.get("costs") or {})
    for name, value in fields.items():
        if name in COST_FIELDS:
            costs[name] = value
        elif name.removeprefix("power_") in POWER_KINDS and name.startswith("power_"):
            power = costs.get("station_power_kw") or {}
            costs["station_power_kw"] = power | {name.removeprefix("power_"): value}
        else:
            raise KeyError(name)
    return out


# --- the search's decisions -------------------------------------------------------------------


def fleet_range(data: dict[str, Any]) -> tuple[Any, Any] | None:
    """The AGV fleet sizes the layout search may choose from (min, max), or None: the fleet
    stays as the file says."""
    fleet = (data.get("decisions") or {}).get("agv_fleet")
    return None if fleet is None else (fleet.get("min"), fleet.get("max"))


def update_fleet_range(data: dict[str, Any], span: tuple[int, int] | None) -> dict[str, Any]:
    """Layout data with the searched fleet range set, or removed (None); an empty `decisions`
    block is dropped, so a layout without decisions reads back as it was."""
    out = copy.deepcopy(data)
    decisions = out.setdefault("decisions", {})
    if span is None:
        decisions.pop("agv_fleet", None)
    else:
        decisions["agv_fleet"] = {"min": span[0], "max": span[1]}
    return _without_empty_decisions(out)


def decision_buffers_frame(data: dict[str, Any], problems: list[Problem] = ()) -> pd.DataFrame:
    rows = [{"station": b.get("station"), "buffer": b.get("buffer"), "min": b.get("min"), "max": b.get("max"),
             "problems": "; ".join(problems_for(list(problems), "decisions.buffers", i))}
            for i, b in enumerate((data.get("decisions") or {}).get("buffers") or [])]
    return _frame(rows, DECISION_BUFFER_COLUMNS, ("min", "max"))


def apply_decision_buffers(data: dict[str, Any], frame: pd.DataFrame) -> dict[str, Any]:
    """Layout data with the buffer ranges the search chooses from: one row per station buffer
    (input or output) with the capacities (lots) to try, both ends included."""
    out = copy.deepcopy(data)
    out.setdefault("decisions", {})["buffers"] = [
        {"station": cell_value(row.get("station")), "buffer": cell_value(row.get("buffer")),
         "min": cell_int(row.get("min")), "max": cell_int(row.get("max"))} for _, row in frame.iterrows()]
    return _without_empty_decisions(out)


def _without_empty_decisions(data: dict[str, Any]) -> dict[str, Any]:
    decisions = data.get("decisions")
    if decisions is not None and not decisions.get("buffers"):
        decisions.pop("buffers", None)
    if decisions == {}:
        del data["decisions"]
    return data


# --- changeovers ------------------------------------------------------------------------------


def changeovers_frame(data: dict[str, Any], problems: list[Problem] = ()) -> pd.DataFrame:
    rows = [{"from_family": c.get("from_family"), "to_family": c.get("to_family"),
             "stations": list(c.get("stations") or ()), "time": c.get("time"),
             "problems": "; ".join(problems_for(list(problems), "changeovers", i))}
            for i, c in enumerate(data.get("changeovers") or [])]
    return _frame(rows, CHANGEOVER_COLUMNS, ("time",))


def apply_changeovers(data: dict[str, Any], frame: pd.DataFrame) -> dict[str, Any]:
    """Layout data with the changeovers table applied: the time to switch the listed
    stations from one product family to another."""
    out = copy.deepcopy(data)
    out["changeovers"] = [{"stations": cell_list(row.get("stations")), "from_family": cell_value(row.get("from_family")),
                           "to_family": cell_value(row.get("to_family")), "time": cell_value(row.get("time"))}
                          for _, row in frame.iterrows()]
    return out

