"""Layout: open a sample or an upload, see it from above, edit stations, products and
routings with every edit validated at once, undo, save and download."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from twin.errors import LayoutError
from twin.io import dump_layout, layout_from_data, write_text_atomic
from twin.model import STATION_KINDS

from factory_app import tables
from factory_app.pages import exchange, plan_view, resources
from factory_app.charts import top_view
from factory_app.editing import EditSession, position_messages, problems_for, split_path, unplaced_problems
from factory_app.paths import safe_name, sample_layouts, workdir
from factory_app.state import AppState
from factory_app.summary import summary_tiles
from factory_app.ui import show_error
from factory_app.upload import open_sample, open_upload, upload_limit
from factory_app.variability_text import SamplesError, parse_samples, samples_text

ROTATIONS = [0, 90, 180, 270]
ROUTING_PICK = "routing_pick_index"  # the product whose routing the Routings tab shows


def render(state: AppState) -> None:
    st.header("Layout")
    _open_controls(state)
    session = state.session
    if session is None:
        st.info("Open a sample factory or upload a layout file to start.")
        return
    _status(session)
    summary(session.layout, state.schedule_of(session.layout))
    data, problems = session.data, session.problems
    left, right = st.columns([3, 2], gap="medium")
    with left:
        shown = _layout_to_show(session)
        bad = {shown.stations[split_path(p.path)[1]].id for p in problems
               if split_path(p.path) and split_path(p.path)[0] == "stations" and split_path(p.path)[1] < len(shown.stations)}
        view = st.segmented_control("Plan view", ["Plan", "Details"], default="Plan",
                                    key="plan_view", label_visibility="collapsed")
        if view == "Details":
            st.plotly_chart(top_view(shown, bad), width="stretch", key=f"top_{session.revision}")
        else:
            plan_view.render(session, shown, bad)
    with right:
        _station_editor(session, data, problems, shown)
    if not session.checked:  # the first view: the tables (pandas) come with the run after the checks
        st.caption("The tables of stations, products, routings and the rest load in a moment…")
        return
    tabs = st.tabs(["Stations", "Products", "Routings", "Breakdowns, buffers, batches", "Transport", "Operators",
                    "Changeovers", "Costs", "Search decisions"])
    with tabs[0]:
        _stations_table(session, data, problems)
    with tabs[1]:
        _products_table(session, data, problems)
    with tabs[2]:
        _routing_table(session, data, problems)
    with tabs[3]:
        resources.details(session, data, problems)
    with tabs[4]:
        resources.transport(session, data, problems)
    with tabs[5]:
        resources.operators(session, data, problems)
    with tabs[6]:
        resources.changeovers(session, data, problems)
    with tabs[7]:
        resources.costs(session, data, problems)
    with tabs[8]:
        resources.decisions(session, data, problems)
    exchange.render(state)
    _save_controls(state)


OPEN_ERROR = "_open_error"  # (file name, error) of the last open that failed, shown until the next open
PENDING = "_pending_open"  # an open that waits for the planner to confirm replacing edited work


def _open_controls(state: AppState) -> None:
    samples = sample_layouts()
    names = list(samples) or ["(no samples found)"]
    c1, c2, c3 = st.columns([2, 1, 3], vertical_alignment="bottom")
    with c1:
        st.selectbox("Sample factory", names, index=_open_sample_index(state, names), key="sample_choice")
    with c2:
        st.button("Open sample", disabled=not samples, key="open_sample", on_click=_ask_sample, args=(state,))
    with c3:
        # a new key after every upload empties the box, so finished files do not pile up
        turn = st.session_state.get("_upload_turn", 0)
        st.file_uploader(f"…or upload a layout (YAML or JSON, up to {upload_limit() / 1e6:g} MB)",
                         type=["yaml", "yml", "json"], key=f"layout_upload_{turn}", on_change=_ask_upload,
                         args=(state, f"layout_upload_{turn}"))
    pending = st.session_state.get(PENDING)
    if pending is not None:
        session = state.session
        st.warning(f"**'{session.layout.name}' has edits.** Opening {pending[1]} replaces it in the editor; "
                   "Undo brings the edited layout back.", icon=":material/warning:")
        c1, c2, _ = st.columns([1, 1, 3])
        c1.button(f"Open {pending[1]}", key="confirm_open", type="primary", on_click=_open_now, args=(state, pending))
        c2.button("Cancel", key="cancel_open", on_click=st.session_state.pop, args=(PENDING, None))
    if OPEN_ERROR in st.session_state:
        name, exc = st.session_state[OPEN_ERROR]
        show_error(exc, f"Could not open {name}")


def _ask_sample(state: AppState) -> None:
    name = st.session_state.get("sample_choice")
    _ask(state, ("sample", name))


def _ask_upload(state: AppState, key: str) -> None:
    upload = st.session_state.get(key)
    st.session_state["_upload_turn"] = st.session_state.get("_upload_turn", 0) + 1
    if upload is not None:
        _ask(state, ("upload", upload.name, upload.getvalue()))


def _ask(state: AppState, request: tuple) -> None:
    """Open at once, or first ask when the open layout has edits that the open would replace."""
    st.session_state.pop(PENDING, None)
    if state.session is not None and state.session.edited:
        st.session_state[PENDING] = request
    else:
        _open_now(state, request)


def _open_now(state: AppState, request: tuple) -> None:
    st.session_state.pop(PENDING, None)
    st.session_state.pop(OPEN_ERROR, None)
    try:
        if request[0] == "sample":
            state.open(open_sample(request[1]))
            state.message = f"Opened sample factory '{request[1]}'."
        else:
            state.open(open_upload(request[1], request[2]))
            state.message = f"Opened uploaded layout '{state.layout.name}'."
    except LayoutError as exc:
        st.session_state[OPEN_ERROR] = (request[1], exc)


def _open_sample_index(state: AppState, names: list[str]) -> int:
    """The picker starts at the sample that is open (the first one when an upload is open)."""
    source = state.session.source if state.session is not None else ""
    name = source.removeprefix("sample:") if source.startswith("sample:") else None
    return names.index(name) if name in names else 0


def _status(session: EditSession) -> None:
    layout = session.layout
    c1, c2, c3 = st.columns([4, 1, 1], vertical_alignment="center")
    with c1:
        st.subheader(f"{layout.name}")
        st.caption(f"{session.source} · {len(layout.stations)} stations · {len(layout.products)} products · "
                   f"floor {layout.floor.width:g} x {layout.floor.depth:g} m")
    with c2:
        st.button("↶ Undo", disabled=not session.can_undo, key="undo", width="stretch", on_click=session.undo)
    with c3:
        st.button("↷ Redo", disabled=not session.can_redo, key="redo", width="stretch", on_click=session.redo)
    if not session.checked:
        st.info("Checking the aisle routes and the robot cells…", icon=":material/hourglass_top:")
    elif session.has_draft:
        lines = "\n".join(f"- `{p.path or 'layout'}`: {p.message}" for p in session.problems)
        st.error("**This edit was not applied** — the last valid layout is kept. Fix the fields marked below, "
                 f"or undo.\n\n{lines}", icon=":material/error:")
    elif session.problems:
        lines = "\n".join(f"- `{p.path or 'layout'}`: {p.message}" for p in session.problems)
        st.warning(f"The layout as opened has problems:\n\n{lines}")
    else:
        st.success("Layout is valid.", icon=":material/check_circle:")
    for p in unplaced_problems(session.problems):
        st.caption(f":red[{p}]")


def summary(layout, schedule_doc) -> None:
    """The summary tiles (`factory_app.summary`): five a row, so no value is cut off."""
    tiles = summary_tiles(layout, schedule_doc)
    per_row = 5 if len(tiles) <= 5 else 4
    for start in range(0, len(tiles), per_row):
        for col, (label, value, help_text) in zip(st.columns(per_row), tiles[start:start + per_row]):
            col.metric(label, value, help=help_text)


def _layout_to_show(session: EditSession):
    """The draft when it parses (so the planner sees the bad place), else the current layout."""
    if session.has_draft:
        try:
            return layout_from_data(session.data)
        except LayoutError:
            pass
    return session.layout


def _field_errors(messages: list[str]) -> None:
    for message in messages:
        st.error(message, icon=":material/warning:")


def _station_editor(session: EditSession, data: dict, problems, shown) -> None:
    stations = data.get("stations") or []
    st.markdown("**Edit a station**")
    if not stations:
        st.info("No stations.")
    ids = [f"{i}: {s.get('id')}" for i, s in enumerate(stations)]
    rev = session.revision
    if stations:
        default = min(st.session_state.get("station_pick_index", 0), len(ids) - 1)
        pick = st.selectbox("Station", ids, index=default, key=f"station_pick_{rev}")
        index = ids.index(pick)
        st.session_state["station_pick_index"] = index
        s = stations[index]
        pos = s.get("position") or [None, None]
        fp = s.get("footprint") or {}

        def on_change(field: str, key: str, cast=None) -> None:
            value = st.session_state[key]
            if cast is not None and value is not None:
                value = cast(value)
            session.edit(tables.update_station(session.data, index, **{field: value}), field=(index, field))

        placed = position_messages(problems, index, shown, session.last_field)

        def number(label: str, field: str, value, col, path_fields: tuple[str, ...], step: float = 0.5, cast=None) -> None:
            key = f"st_{field}_{index}_{rev}"
            with col:
                st.number_input(label, value=value, step=step, key=key, on_change=on_change, args=(field, key, cast),
                                format="%g" if cast is None else "%d")
                _field_errors(placed[field] if field in placed else problems_for(problems, "stations", index, path_fields))

        c1, c2 = st.columns(2)
        with c1:
            key = f"st_id_{index}_{rev}"
            st.text_input("id", value=s.get("id") or "", key=key, on_change=on_change, args=("id", key))
            _field_errors(problems_for(problems, "stations", index, ("id",)))
        with c2:
            key = f"st_kind_{index}_{rev}"
            kind = s.get("kind")
            st.selectbox("kind", STATION_KINDS, index=STATION_KINDS.index(kind) if kind in STATION_KINDS else 0,
                         key=key, on_change=on_change, args=("kind", key))
            _field_errors(problems_for(problems, "stations", index, ("kind", "cell")))
        c1, c2 = st.columns(2)
        number("x (m)", "x", pos[0], c1, ())
        number("y (m)", "y", pos[1], c2, ())
        c1, c2 = st.columns(2)
        number("width (m)", "width", fp.get("width"), c1, ("footprint.width",))
        number("depth (m)", "depth", fp.get("depth"), c2, ("footprint.depth",))
        c1, c2 = st.columns(2)
        with c1:
            key = f"st_rotation_{index}_{rev}"
            rot = s.get("rotation", 0)
            st.selectbox("rotation (°)", ROTATIONS, index=ROTATIONS.index(rot) if rot in ROTATIONS else 0, key=key,
                         on_change=on_change, args=("rotation", key))
            _field_errors(problems_for(problems, "stations", index, ("rotation",)))
        number("capacity", "capacity", s.get("capacity", 1), c2, ("capacity",), step=1, cast=int)
        c1, c2 = st.columns(2)
        with c1:
            if st.button("Remove this station", key=f"remove_{index}_{rev}", width="stretch"):
                session.edit(tables.remove_station(session.data, index))
                st.session_state["station_pick_index"] = max(0, index - 1)
                st.rerun()
    else:
        c2 = st.container()
    with c2:
        if st.button("Add a station", key=f"add_{rev}", width="stretch"):
            session.edit(tables.add_station(session.data))
            st.session_state["station_pick_index"] = len(stations)
            st.rerun()


def _stations_table(session: EditSession, data: dict, problems) -> None:
    frame = tables.stations_frame(data, problems)
    st.caption("Edit cells, add rows at the bottom, delete rows with the row selector. "
               "Problems are listed in the last column of the row they concern.")
    edited = st.data_editor(
        frame, key=f"stations_table_{session.revision}", num_rows="dynamic", width="stretch", hide_index=True,
        column_config={
            "kind": st.column_config.SelectboxColumn("kind", options=list(STATION_KINDS), required=True),
            "rotation": st.column_config.SelectboxColumn("rotation", options=ROTATIONS),
            "capacity": st.column_config.NumberColumn("capacity", step=1),
            "fixed": st.column_config.CheckboxColumn("fixed"),
            "problems": st.column_config.TextColumn("problems", disabled=True, width="large"),
        },
    )
    if tables.frame_changed(frame, edited, tables.STATION_COLUMNS):
        session.edit(tables.apply_stations(data, tables.without_blank_new_rows(edited, len(frame), tables.STATION_COLUMNS)))
        st.rerun()


def _products_table(session: EditSession, data: dict, problems) -> None:
    frame = tables.products_frame(data, problems)
    edited = st.data_editor(
        frame, key=f"products_table_{session.revision}", num_rows="dynamic", width="stretch", hide_index=True,
        column_config={
            "demand": st.column_config.NumberColumn("demand", step=1),
            "lot_size": st.column_config.NumberColumn("lot_size", step=1),
            "transfer_batch": st.column_config.NumberColumn(
                "transfer_batch", step=1, format="%d", min_value=1,
                help="units that move on together; blank: the whole lot (one-piece flow: 1)"),
            "rate": st.column_config.NumberColumn(
                "rate (units/h)", min_value=0.0, help="steady demand for the running twin; blank: the twin releases "
                "the demand's lots"),
            "arrivals": st.column_config.TextColumn(
                "arrivals", help="shape of the time between steady-demand lots: " + resources.SHAPE_HELP),
            "problems": st.column_config.TextColumn("problems", disabled=True, width="large"),
        },
    )
    if tables.frame_changed(frame, edited, tables.PRODUCT_COLUMNS):
        edited = tables.without_blank_new_rows(edited, len(frame), tables.PRODUCT_COLUMNS)
        changed = tables.apply_products(data, edited)
        session.edit(changed)
        empty = [i for i, p in enumerate(changed["products"]) if not p.get("routing")]
        if empty:  # show the new product's (empty) routing, where its operations are given
            st.session_state[ROUTING_PICK] = empty[0]
        st.rerun()
    for p in data.get("products") or []:
        if not p.get("routing"):
            st.info(f"Product '{p.get('id')}' has no routing yet: give its operations on the Routings tab.")


def _routing_table(session: EditSession, data: dict, problems) -> None:
    products = data.get("products") or []
    if not products:
        st.info("No products.")
        return
    names = [f"{i}: {p.get('id')}" for i, p in enumerate(products)]
    index = min(st.session_state.get(ROUTING_PICK, 0), len(names) - 1)
    pick = st.selectbox("Product", names, index=index, key=f"routing_product_{session.revision}")
    index = names.index(pick)
    st.session_state[ROUTING_PICK] = index
    frame = tables.routing_frame(data, index, problems)
    st.caption("One row per operation, in order. Pick the `stations` that can do it, "
               "or leave them empty and give a `station_kind`. Give a `time` (s per unit) or a robot-cell `task`; "
               "`variability` is the time's shape around it (`lognormal cv=0.3`), used by the running twin. "
               "A step at buffer stations is storage: leave time and task blank.")
    edited = st.data_editor(
        frame, key=f"routing_table_{index}_{session.revision}", num_rows="dynamic", width="stretch",
        hide_index=True,
        column_config={
            "stations": st.column_config.MultiselectColumn(
                "stations", options=[s.get("id") for s in data.get("stations") or []]),
            "station_kind": st.column_config.SelectboxColumn("station_kind", options=[""] + list(STATION_KINDS)),
            "variability": st.column_config.TextColumn("variability", help=resources.SHAPE_HELP + "; blank: fixed"),
            "problems": st.column_config.TextColumn("problems", disabled=True, width="large"),
        },
    )
    if tables.frame_changed(frame, edited, tables.ROUTING_COLUMNS):
        session.edit(tables.apply_routing(data, index, edited))
        st.rerun()
    steps = [f"{j + 1}: {op.get('id')}" for j, op in enumerate(products[index].get("routing") or [])]
    if len(steps) > 1:
        c1, c2, c3, _ = st.columns([2, 1, 1, 2], vertical_alignment="bottom")
        step = steps.index(c1.selectbox("Reorder step", steps, key=f"step_pick_{index}_{session.revision}"))
        for col, label, offset in ((c2, "↑ Up", -1), (c3, "↓ Down", 1)):
            col.button(label, key=f"step_{offset}_{index}_{session.revision}", width="stretch",
                       disabled=not 0 <= step + offset < len(steps),
                       on_click=lambda o=offset: session.edit(tables.move_step(session.data, index, step, o)))
    _samples_editor(session, products[index], index)


def _samples_editor(session: EditSession, product: dict, index: int) -> None:
    """An operation's observed times (its `empirical` shape), typed or pasted as numbers."""
    steps = [f"{j + 1}: {op.get('id')}" for j, op in enumerate(product.get("routing") or [])]
    if not steps:
        return
    with st.expander("Observed times of an operation (empirical shape)"):
        c1, c2 = st.columns([1, 3])
        step = steps.index(c1.selectbox("Operation", steps, key=f"samples_step_{index}"))  # kept across edits
        shape = product["routing"][step].get("variability") or {}
        key = f"samples_{index}_{step}_{session.revision}"
        c2.text_area("Observed times (commas, spaces or new lines between them)",
                     value=samples_text(shape.get("samples")) if shape.get("kind") == "empirical" else "", key=key,
                     height=90, help="any unit: the running twin draws from them rescaled to the operation's mean "
                     "time, which the plan uses")
        if st.button("Use these times", key=f"samples_go_{index}_{step}_{session.revision}"):
            try:
                samples = parse_samples(st.session_state.get(key, ""))
            except SamplesError as exc:
                st.error(f"Not applied ({product.get('id')}, operation {steps[step]}): {exc}.")
                return
            session.edit(tables.set_samples(session.data, index, step, samples))
            st.rerun()


SAVE_ASK = "_save_ask"  # a save that would replace a different file waits for the planner's answer
SAVED = "_saved"  # what the last save wrote


def _save_controls(state: AppState) -> None:
    layout = state.session.layout
    st.divider()
    text = dump_layout(layout)
    name = safe_name(layout.name)
    c1, c2, _ = st.columns([1, 1, 2])
    with c1:
        st.download_button("Download layout YAML", text, file_name=f"{name}.yaml", mime="application/x-yaml",
                           key="download_layout_yaml", width="stretch")
    with c2:
        st.button("Save to the working folder", key="save_layout", width="stretch", on_click=_save,
                  args=(text, saved_path(name), False))
    ask = st.session_state.get(SAVE_ASK)
    if ask is not None:
        target = Path(ask)
        other = free_path(target)
        st.warning(f"`{target.relative_to(workdir())}` already exists with different content.",
                   icon=":material/warning:")
        c1, c2, c3, _ = st.columns([1, 1, 1, 1])
        c1.button("Overwrite it", key="save_overwrite", on_click=_save, args=(text, target, True), width="stretch")
        c2.button(f"Save as {other.name}", key="save_other", on_click=_save, args=(text, other, False),
                  width="stretch")
        c3.button("Cancel", key="save_cancel", on_click=st.session_state.pop, args=(SAVE_ASK, None), width="stretch")
    if st.session_state.get(SAVED):
        ok, message = st.session_state.pop(SAVED)
        (st.success if ok else st.error)(message)
    if state.session.has_draft:
        st.caption("Download and save use the last valid layout, not the rejected edit.")


def saved_path(name: str) -> Path:
    return workdir() / "saved" / f"{name}.yaml"


def free_path(path: Path) -> Path:
    """The first `name-N.yaml` beside `path` that does not exist."""
    n = 2
    while (candidate := path.with_name(f"{path.stem}-{n}{path.suffix}")).exists():
        n += 1
    return candidate


def _save(text: str, target: Path, overwrite: bool) -> None:
    """Write the layout; a different file already there is replaced only when the planner said so."""
    st.session_state.pop(SAVE_ASK, None)
    if target.exists() and not overwrite and target.read_text(encoding="utf-8", errors="replace") != text:
        st.session_state[SAVE_ASK] = str(target)
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(target, text)
    except OSError as exc:
        st.session_state[SAVED] = (False, f"Could not save {target.relative_to(workdir())}: {exc.strerror or exc}")
        return
    st.session_state[SAVED] = (True, f"Saved {target.relative_to(workdir())}")
