"""The Layout page's exchange with other tools: stations, products and routings to and from
Excel and CSV (`twin.spreadsheet`), a hall drawing's walls and columns from DXF and the
layout to DXF (`twin.dxf`). An import is one edit of the open layout (Undo takes it back);
a file with mistakes changes nothing and lists every mistake by sheet, row and column."""
from __future__ import annotations

import streamlit as st

from twin.errors import LayoutError

from factory_app.editing import layout_data
from factory_app.paths import safe_name
from factory_app.state import AppState
from factory_app.ui import show_error

MAX_SHEET_BYTES = 5_000_000
MAX_DRAWING_BYTES = 20_000_000
RESULT = "_exchange_result"  # (kind, message or error) of the last import, shown until the next


def render(state: AppState) -> None:
    layout = state.session.layout
    name = safe_name(layout.name)
    with st.expander("Spreadsheets and drawings (Excel, CSV, DXF)"):
        from twin.spreadsheet import TABLES

        # each file is made when its button is clicked (openpyxl and ezdxf load then), not on every rerun
        st.markdown("**Export** the last valid layout")
        cols = st.columns(5)
        cols[0].download_button("Excel workbook", lambda: _xlsx(layout), file_name=f"{name}.xlsx", key="dl_xlsx",
                                mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                width="stretch")
        for col, table in zip(cols[1:4], TABLES):
            col.download_button(f"{table}.csv", lambda t=table: _csv(layout, t), file_name=f"{name}_{table}.csv",
                                mime="text/csv", key=f"dl_csv_{table}", width="stretch")
        cols[4].download_button("DXF drawing", lambda: _dxf(layout), file_name=f"{name}.dxf",
                                mime="application/dxf", key="dl_dxf", width="stretch")
        turn = st.session_state.get("_exchange_turn", 0)
        c1, c2 = st.columns(2)
        with c1:
            st.markdown("**Import** stations, products or routings")
            st.file_uploader("Excel workbook (sheets stations, products, routings) or one CSV table",
                             type=["xlsx", "csv"], key=f"sheet_upload_{turn}", on_change=_import_sheet,
                             args=(state, f"sheet_upload_{turn}"))
        with c2:
            st.markdown("**Import** a hall drawing's walls, columns and hazard areas as keep-out zones")
            d1, d2 = st.columns(2)
            d1.selectbox("Drawing unit", ["auto", "mm", "cm", "m", "in", "ft"], key="dxf_unit",
                         help="auto: the unit the drawing states ($INSUNITS)")
            d2.number_input("Wall thickness (m)", min_value=0.01, max_value=5.0, value=0.2, step=0.05,
                            key="dxf_wall", help="for walls drawn as single lines")
            st.file_uploader("DXF drawing (layers named WALL…, COL…, HAZ…)", type=["dxf"],
                             key=f"dxf_upload_{turn}", on_change=_import_drawing, args=(state, f"dxf_upload_{turn}"))
        result = st.session_state.get(RESULT)
        if result is not None:
            what, outcome = result
            if isinstance(outcome, BaseException):
                show_error(outcome, f"Nothing imported from {what}")
            else:
                st.success(outcome)


def _upload(key: str, limit: int) -> tuple[str, bytes] | None:
    """The file just put in an import box (the box is emptied for the next one); raises
    LayoutError when it is over `limit` bytes."""
    upload = st.session_state.get(key)
    st.session_state["_exchange_turn"] = st.session_state.get("_exchange_turn", 0) + 1
    if upload is None:
        return None
    name, content = safe_name(upload.name), upload.getvalue()
    if len(content) > limit:
        raise LayoutError(f"the file is {len(content):,} bytes; the limit is {limit:,}", name)
    return name, content


def _import(state: AppState, key: str, limit: int, merge) -> None:
    """Read the uploaded file with `merge(name, content) -> (layout, message)` and apply the
    result as one edit; any LayoutError changes nothing and is listed."""
    try:
        found = _upload(key, limit)
        if found is None:
            return
        merged, message = merge(*found)
    except LayoutError as exc:  # every reader names the file as the error's source
        st.session_state[RESULT] = (exc.source or "the file", exc)
        return
    state.session.edit(layout_data(merged))
    st.session_state[RESULT] = (found[0], message)


def _xlsx(layout) -> bytes:
    from twin.spreadsheet import write_xlsx

    return write_xlsx(layout)


def _csv(layout, table: str) -> str:
    from twin.spreadsheet import write_csv

    return write_csv(layout, table)


def _dxf(layout) -> bytes:
    from twin.dxf import write_layout_dxf

    return write_layout_dxf(layout)


def _import_sheet(state: AppState, key: str) -> None:
    from twin.readers import uploaded_text
    from twin.spreadsheet import layout_with_tables, read_csv, read_xlsx

    def merge(name: str, content: bytes):
        if name.lower().endswith(".xlsx"):
            sheets = read_xlsx(content, name)
        else:
            sheets = [read_csv(uploaded_text(content, name), name)]
        tables = ", ".join(f"{s.table} ({len(s.rows)} rows)" for s in sheets)
        return (layout_with_tables(state.session.layout, sheets),
                f"Imported {tables} from {name}. Undo takes it back.")

    _import(state, key, MAX_SHEET_BYTES, merge)


def _import_drawing(state: AppState, key: str) -> None:
    from twin.dxf import layout_with_hall, read_hall

    def merge(name: str, content: bytes):
        hall = read_hall(content, name, unit=st.session_state.get("dxf_unit", "auto"),
                         wall_thickness=float(st.session_state.get("dxf_wall", 0.2)))
        left_out = f" {len(hall.skipped)} entities left out: {'; '.join(hall.skipped[:5])}" if hall.skipped else ""
        return (layout_with_hall(state.session.layout, hall),
                f"Imported {len(hall.zones)} keep-out zones from {name} (unit {hall.unit}, "
                f"{hall.size[0]:g} x {hall.size[1]:g} m). Undo takes them back.{left_out}")

    _import(state, key, MAX_DRAWING_BYTES, merge)
