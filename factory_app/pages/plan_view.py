"""The Layout page's plan view you work in: the component (`factory_app.plan_canvas`, front end
in `factory_app/frontend/plan_canvas.js`), what its gestures do on the page, and the selection
it shares with the station editor beside it (the editor shows the station clicked last; a
station picked in the editor is the one selected in the plan)."""
from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any

import streamlit as st

from twin.model import Layout

from factory_app import plan_canvas
from factory_app.editing import EditSession
from factory_app.plan_edits import item_key, split_key

SELECTION = "_plan_selection"  # the item keys selected in the plan
PRIMARY = "_plan_primary"  # the station the plan last handed to the editor
PICK = "station_pick_index"  # the station editor's pick (its selectbox: `station_pick_<revision>`)
TURN = "_plan_turn"  # bumps after every gesture: new data, so a refused one is drawn back
DONE = "_plan_done"  # (applied, message) of the last gesture, shown once
_PICK_LABEL = re.compile(r"^(\d+): ")  # the editor's options read "3: weld"


def render(session: EditSession, shown: Layout, bad: set[str]) -> None:
    """The plan view: click, shift-click or drag a box round items to select them; drag to
    move (snapped to the floor grid); turn, copy, delete; draw keep-out zones, docks and
    conveyors; measure. A gesture the check refuses is undone and its reason shown."""
    st.caption("Click to select (shift-click or drag a box for more), drag or arrow keys to move, R turns 90°, "
               "D copies, Delete removes; a station just added is placed with a click; ctrl+wheel or +/− zooms. "
               "Undo takes any change back.")
    selected = sync_selection(st.session_state, shown, session.revision)
    turn = st.session_state.get(TURN, 0)
    data = {**plan_canvas.plan_data(shown, bad, selected), "turn": turn}
    # a list, not a dict: Streamlit scans a dict's values for data frames, which imports pandas
    # (a second on a cold start), and the first view must not wait for it
    result = _plan_component()(key="plan_canvas", data=[data], on_edit_change=_no_op)
    if result.edit:
        st.session_state[TURN] = turn + 1
        message = handle_event(session, result.edit, st.session_state)
        if message is not None:
            st.session_state[DONE] = message
        st.rerun()
    if DONE in st.session_state:
        applied, message = st.session_state.pop(DONE)
        (st.success if applied else st.error)(message)


def editor_pick(state: MutableMapping[str, Any], revision: int) -> int:
    """The station the editor shows: its selectbox's value when the planner just changed it
    (this run draws the plan before the editor), else the pick it kept."""
    label = state.get(f"station_pick_{revision}")
    match = _PICK_LABEL.match(label) if isinstance(label, str) else None
    return int(match[1]) if match else int(state.get(PICK, 0))


def sync_selection(state: MutableMapping[str, Any], layout: Layout, revision: int) -> list[str]:
    """The plan's selection, with the station picked in the editor selected when the planner
    picked another one there; items no longer in the layout are dropped."""
    ids = [s.id for s in layout.stations]
    index = min(editor_pick(state, revision), len(ids) - 1)  # as the editor clamps it
    picked = ids[index] if index >= 0 else None
    if picked is not None and picked != state.get(PRIMARY):
        state[SELECTION], state[PRIMARY] = [item_key("station", picked)], picked
    present = {item_key("station", i) for i in ids} | {item_key("zone", z.id) for z in layout.floor.keep_out} | {
        item_key("dock", d.id) for d in layout.floor.docks} | {
        item_key("conveyor", c.id) for c in layout.transport.conveyors}
    state[SELECTION] = [k for k in state.get(SELECTION, []) if k in present]
    return state[SELECTION]


def handle_event(session: EditSession, event: dict[str, Any], state: MutableMapping[str, Any]) -> tuple[bool, str] | None:
    """One event of the component: a new selection (handed to the station editor), or a
    gesture applied as an edit. Returns the message to show, None for a selection."""
    if event.get("op") == "select":
        _select(session, [str(k) for k in event.get("items") or []], event.get("primary"), state)
        return None
    applied, message = plan_canvas.apply_event(session, event)
    if applied and event.get("op") == "duplicate":  # the copies are selected, the first in the editor
        before = {s.id for s in session.history[-1].stations} if session.history else set()
        copies = [item_key("station", s.id) for s in session.layout.stations if s.id not in before]
        _select(session, copies, copies[0] if copies else None, state)
    elif applied and event.get("op") == "delete":
        state[PRIMARY] = None  # the editor's pick is the planner's next selection
        state[PICK] = min(int(state.get(PICK, 0)), max(0, len(session.layout.stations) - 1))
    return applied, message


def _select(session: EditSession, items: list[str], primary: Any, state: MutableMapping[str, Any]) -> None:
    state[SELECTION] = items
    kind, station_id = split_key(primary)
    ids = [s.id for s in session.layout.stations]
    if kind == "station" and station_id in ids:
        state[PICK], state[PRIMARY] = ids.index(station_id), station_id
        session.revision += 1  # the editor's selectbox is made anew, at the pick


def _no_op() -> None:
    """Streamlit reports a component event only to a script that listens for it."""


@st.cache_resource(show_spinner=False)
def _plan_component():
    return st.components.v2.component("factory_twin_plan_canvas", html="<div class='plan'></div>",
                                      js=plan_canvas.FRONTEND.read_text(encoding="utf-8"))
