"""The Layout page's tabs for what is not a station's place or a product's routing: station
reliability, buffers and batches; AGVs and conveyors; operator pools and shifts;
changeovers. Every edit goes through the edit session, so it is validated at once, can be
undone, and a bad one never replaces the last valid layout."""
from __future__ import annotations

import streamlit as st

from twin.model import STATION_KINDS, WEEKDAYS

from factory_app import resource_tables as rt
from factory_app.editing import EditSession
from factory_app.tables import frame_changed, without_blank_new_rows

POOL_PICK = "pool_pick_index"  # the pool whose shifts the Operators tab shows
DEFAULT_HOME = "(first receiving dock, else first station)"
SHAPE_HELP = ("the shape around the mean: fixed, exponential, lognormal cv=0.3, triangular low=0.8 high=1.5, "
              "or empirical (samples from the file)")
_PROBLEMS = st.column_config.TextColumn("problems", disabled=True, width="large")


def _apply_table(session: EditSession, frame, edited, columns: list[str], apply) -> None:
    """Apply a table's edit (rows begun but still blank are not an edit yet) and redraw."""
    if frame_changed(frame, edited, columns):
        session.edit(apply(without_blank_new_rows(edited, len(frame), columns)))
        st.rerun()


def details(session: EditSession, data: dict, problems) -> None:
    st.caption("Breakdowns need both MTBF and MTTR (seconds of operating time, seconds to repair); their shapes "
               "default to exponential. Buffers count "
               "lots waiting before and after a station; blank means no limit. A batch machine (oven, kettle) "
               "takes up to `batch_size` units of one family at once. `cost` is the purchase price.")
    frame = rt.details_frame(data, problems)
    whole = {"format": "%d", "min_value": 1, "step": 1}
    edited = st.data_editor(
        frame, key=f"details_table_{session.revision}", num_rows="fixed", width="stretch", hide_index=True,
        column_config={
            "id": st.column_config.TextColumn("station", disabled=True),
            "mtbf": st.column_config.NumberColumn("MTBF (s)", min_value=0.0),
            "mttr": st.column_config.NumberColumn("MTTR (s)", min_value=0.0),
            "failures": st.column_config.TextColumn("time between failures", help=SHAPE_HELP),
            "repairs": st.column_config.TextColumn("repair time", help=SHAPE_HELP),
            "input_buffer": st.column_config.NumberColumn("input buffer (lots)", **whole),
            "output_buffer": st.column_config.NumberColumn("output buffer (lots)", **whole),
            "batch_size": st.column_config.NumberColumn("batch size (units)", **whole),
            "cost": st.column_config.NumberColumn("cost", min_value=0.0),
            "problems": _PROBLEMS,
        },
    )
    _apply_table(session, frame, edited, rt.DETAIL_COLUMNS, lambda e: rt.apply_details(data, e))


def transport(session: EditSession, data: dict, problems) -> None:
    st.markdown("**AGV fleet**")
    agv = rt.agv_fields(data)
    rev = session.revision

    def on_change(field: str, key: str) -> None:
        value = st.session_state[key]
        if field == "home" and value == DEFAULT_HOME:
            value = None
        elif field == "fleet_size" and value is not None:
            value = int(value)
        session.edit(rt.update_agv(session.data, **{field: value}))

    c1, c2, c3, c4 = st.columns(4)
    for col, field, label, step in ((c1, "fleet_size", "vehicles", 1), (c2, "speed", "speed (m/s)", 0.1),
                                    (c3, "load_time", "load + unload (s per lot)", 1.0)):
        key = f"agv_{field}_{rev}"
        with col:
            st.number_input(label, value=agv[field], step=step, key=key, on_change=on_change, args=(field, key),
                            format="%d" if field == "fleet_size" else "%g")
            for message in _agv_problems(problems, field):
                st.error(message, icon=":material/warning:")
    homes = [DEFAULT_HOME] + [d.get("id") for d in (data.get("floor") or {}).get("docks") or []] + \
            [s.get("id") for s in data.get("stations") or []]
    home = agv["home"] if agv["home"] in homes else DEFAULT_HOME
    with c4:
        key = f"agv_home_{rev}"
        st.selectbox("home (where vehicles start)", homes, index=homes.index(home), key=key,
                     on_change=on_change, args=("home", key))
        for message in _agv_problems(problems, "home"):
            st.error(message, icon=":material/warning:")
    st.markdown("**Conveyors**")
    st.caption("A conveyor carries lots from one station's output to another's input at its speed; with a "
               "pitch (m per unit) it carries units spaced along the belt and a full belt blocks its feeder.")
    frame = rt.conveyors_frame(data, problems)
    ids = [s.get("id") for s in data.get("stations") or []]
    edited = st.data_editor(
        frame, key=f"conveyors_table_{rev}", num_rows="dynamic", width="stretch", hide_index=True,
        column_config={
            "from": st.column_config.SelectboxColumn("from", options=ids),
            "to": st.column_config.SelectboxColumn("to", options=ids),
            "speed": st.column_config.NumberColumn("speed (m/s)", min_value=0.0),
            "pitch": st.column_config.NumberColumn("pitch (m)", min_value=0.0),
            "problems": _PROBLEMS,
        },
    )
    _apply_table(session, frame, edited, rt.CONVEYOR_COLUMNS, lambda e: rt.apply_conveyors(data, e))


def _agv_problems(problems, field: str) -> list[str]:
    return [p.message for p in problems if p.path == f"transport.agv.{field}"]


def operators(session: EditSession, data: dict, problems) -> None:
    st.caption("A pool is `size` interchangeable operators who can run the stations listed and every station "
               "of the kinds listed. A manual station, or one a pool lists, works only while "
               "one of its operators is on shift. A pool without shifts works around the clock.")
    frame = rt.pools_frame(data, problems)
    ids = [s.get("id") for s in data.get("stations") or []]
    edited = st.data_editor(
        frame, key=f"pools_table_{session.revision}", num_rows="dynamic", width="stretch", hide_index=True,
        column_config={
            "size": st.column_config.NumberColumn("operators", min_value=1, step=1, format="%d"),
            "stations": st.column_config.MultiselectColumn("stations", options=ids),
            "kinds": st.column_config.MultiselectColumn("kinds", options=list(STATION_KINDS)),
            "problems": _PROBLEMS,
        },
    )
    _apply_table(session, frame, edited, rt.POOL_COLUMNS, lambda e: rt.apply_pools(data, e))
    pools = (data.get("operators") or {}).get("pools") or []
    if not pools:
        st.info("No operator pools: no station waits for an operator.")
        return
    names = [f"{i}: {p.get('id')}" for i, p in enumerate(pools)]
    index = min(st.session_state.get(POOL_PICK, 0), len(names) - 1)
    pick = st.selectbox("Shifts of pool", names, index=index, key=f"pool_pick_{session.revision}")
    index = names.index(pick)
    st.session_state[POOL_PICK] = index
    st.caption("One row per shift: start and end as HH:MM within one day (a night shift is two rows, "
               "22:00-24:00 and 00:00-06:00), breaks as `10:00-10:15, 12:00-12:30`, and the weekdays it runs "
               "on (none: every day).")
    shifts = rt.shifts_frame(data, index, problems)
    edited = st.data_editor(shifts, key=f"shifts_table_{index}_{session.revision}", num_rows="dynamic",
                            width="stretch", hide_index=True,
                            column_config={"days": st.column_config.MultiselectColumn("days", options=list(WEEKDAYS)),
                                           "problems": _PROBLEMS})
    _apply_table(session, shifts, edited, rt.SHIFT_COLUMNS, lambda e: rt.apply_shifts(data, index, e))


def changeovers(session: EditSession, data: dict, problems) -> None:
    st.caption("The time to switch the listed stations from one product family to the next.")
    families = sorted({p.get("family") for p in data.get("products") or [] if p.get("family")})
    frame = rt.changeovers_frame(data, problems)
    edited = st.data_editor(
        frame, key=f"changeovers_table_{session.revision}", num_rows="dynamic", width="stretch", hide_index=True,
        column_config={
            "from_family": st.column_config.SelectboxColumn("from family", options=families),
            "to_family": st.column_config.SelectboxColumn("to family", options=families),
            "stations": st.column_config.MultiselectColumn(
                "stations", options=[s.get("id") for s in data.get("stations") or []]),
            "time": st.column_config.NumberColumn("time (s)", min_value=0.0),
            "problems": _PROBLEMS,
        },
    )
    _apply_table(session, frame, edited, rt.CHANGEOVER_COLUMNS, lambda e: rt.apply_changeovers(data, e))


def decisions(session: EditSession, data: dict, problems) -> None:
    st.caption("What the layout search may change besides where stations stand: the AGV fleet size and "
               "station buffers, each from a range (both ends included). The values on the other tabs stay the "
               "as-is design's; each candidate's plan, running twin and annual cost use its own.")
    rev = session.revision
    span = rt.fleet_range(data)
    fleet = rt.agv_fields(data)["fleet_size"]

    def on_change() -> None:
        chosen = st.session_state[f"decide_fleet_{rev}"]
        low, high = st.session_state.get(f"fleet_min_{rev}"), st.session_state.get(f"fleet_max_{rev}")
        if chosen and (low is None or high is None):
            low, high = max(1, fleet - 1), fleet + 1
        session.edit(rt.update_fleet_range(session.data, (int(low), int(high)) if chosen else None))

    c1, c2, c3 = st.columns([2, 1, 1])
    c1.checkbox("the search chooses the AGV fleet size", value=span is not None, key=f"decide_fleet_{rev}",
                on_change=on_change)
    if span is not None:
        c2.number_input("fewest AGVs", value=span[0], step=1, min_value=1, format="%d", key=f"fleet_min_{rev}",
                        on_change=on_change)
        c3.number_input("most AGVs", value=span[1], step=1, min_value=1, format="%d", key=f"fleet_max_{rev}",
                        on_change=on_change)
    for problem in problems:
        if problem.path.startswith("decisions.agv_fleet"):
            st.error(problem.message, icon=":material/warning:")
    st.markdown("**Buffer ranges**")
    frame = rt.decision_buffers_frame(data, problems)
    whole = {"format": "%d", "min_value": 1, "step": 1}
    edited = st.data_editor(
        frame, key=f"decision_buffers_table_{rev}", num_rows="dynamic", width="stretch", hide_index=True,
        column_config={
            "station": st.column_config.SelectboxColumn(
                "station", options=[s.get("id") for s in data.get("stations") or [] if s.get("kind") != "buffer"]),
            "buffer": st.column_config.SelectboxColumn("buffer", options=["input", "output"]),
            "min": st.column_config.NumberColumn("fewest places (lots)", **whole),
            "max": st.column_config.NumberColumn("most places (lots)", **whole),
            "problems": _PROBLEMS,
        },
    )
    _apply_table(session, frame, edited, rt.DECISION_BUFFER_COLUMNS, lambda e: rt.apply_decision_buffers(data, e))


COST_LABELS = {
    "conveyor_per_m": "conveyor, per m", "agv_each": "AGV, each", "floor_per_m2_year": "floor, per m² and year",
    "depreciation_years": "depreciation (years)", "energy_per_kwh": "energy, per kWh",
    "agv_per_km": "AGV running, per km", "operating_hours": "operating hours a year",
    "buffer_per_place": "buffer place, each",
}


def costs(session: EditSession, data: dict, problems) -> None:
    st.caption("Prices for the layout search's ranking by annual cost (in the currency of the stations' "
               "`cost`): capital written off over the depreciation years, floor rent, AGV running and the "
               "energy busy stations draw. The plan and the running twin do not read them.")
    values = rt.cost_fields(data)
    rev = session.revision

    def on_change(field: str, key: str) -> None:
        session.edit(rt.update_costs(session.data, **{field: st.session_state[key]}))

    fields = list(rt.COST_FIELDS) + [f"power_{kind}" for kind in rt.POWER_KINDS]
    labels = COST_LABELS | {f"power_{kind}": f"power of a busy {kind.replace('_', ' ')} (kW)" for kind in rt.POWER_KINDS}
    columns = st.columns(4)
    for n, field in enumerate(fields):
        key = f"cost_{field}_{rev}"
        with columns[n % 4]:
            st.number_input(labels[field], value=float(values[field]), min_value=0.0, key=key, on_change=on_change,
                            args=(field, key), format="%g")
            path = f"costs.station_power_kw.{field.removeprefix('power_')}" if field.startswith("power_") else f"costs.{field}"
            for problem in problems:
                if problem.path == path:
                    st.error(problem.message, icon=":material/warning:")
