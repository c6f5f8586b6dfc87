"""Streamlit glue of the project workspace (`factory_app.workspace`): restore a session's
project after a browser reload or a server restart, save it after every change, and let the
planner settle a conflict with another tab instead of either tab's work being lost.

The project is the open layout's name; the browser's address carries it (`?project=NAME`),
so a reload opens the same project, and a fresh address opens the project saved last."""
from __future__ import annotations

import streamlit as st

from factory_app import workspace
from factory_app.editing import MAX_UNDO
from factory_app.state import RUN_KEY, AppState


def restore_once(state: AppState) -> bool:
    """On a session's first run, reopen the project in the address (or the one saved last);
    True when a project was restored."""
    if state.session is not None or st.session_state.get("_workspace_tried"):
        return False
    st.session_state["_workspace_tried"] = True
    wanted = st.query_params.get("project")
    projects = workspace.list_projects()
    name = wanted if wanted in projects else (projects[0] if projects and not wanted else None)
    if name is None:
        return False
    return _load(state, name)


def _load(state: AppState, name: str) -> bool:
    found = workspace.load(name)
    if found is None:
        return False
    snapshot, version = found
    try:
        workspace.restore(state, snapshot)
    except Exception as exc:  # noqa: BLE001 - a workspace that no longer reads is reported, the app opens a sample
        state.message = f"Could not restore project '{name}': {exc}"
        return False
    state.project, state.version, state.conflict = name, version, None
    st.session_state[RUN_KEY] = snapshot.run_dir
    state.saved_mark = _mark(state)
    state.message = f"Restored project '{name}' as it was last saved."
    return True


def _mark(state: AppState) -> tuple:
    """Changes whenever something a workspace holds changes."""
    session = state.session
    return (id(session), session.revision, session.layout.name, tuple(state.schedules), tuple(state.designs),
            st.session_state.get(RUN_KEY))


def autosave(state: AppState) -> None:
    """Save the session's project when it changed since the last save (atomic, locked)."""
    if state.session is None or state.conflict:
        return
    name = workspace.project_name(state.session.layout.name)
    if name != state.project:
        _adopt(state, name)
    mark = _mark(state)
    if mark == state.saved_mark:
        return
    try:
        state.version = workspace.save(name, workspace.snapshot_of(state, st.session_state.get(RUN_KEY)),
                                       state.version)
        state.saved_mark = mark
    except workspace.StaleWorkspace as exc:
        state.conflict = str(exc)
        st.rerun()  # show the choice at the top of the page now
    if st.query_params.get("project") != name:
        st.query_params["project"] = name


def _adopt(state: AppState, name: str) -> None:
    """The session now works on project `name`: when that project was saved before, its
    history comes first in the undo history (its saved layout the step before this one)."""
    state.project = name
    found = workspace.load(name)
    state.version = found[1] if found else None
    if found is None:
        return
    from twin.io import layout_from_data

    saved = found[0]
    try:
        earlier = [layout_from_data(x, "workspace") for x in saved.history + [saved.layout]]
    except Exception:  # noqa: BLE001 - an unreadable old history is not carried over
        return
    session = state.session
    if earlier and earlier[-1] != session.layout:
        session.history = (earlier + session.history)[-MAX_UNDO:]
    state.schedules = {**saved.schedules, **state.schedules}


def conflict_banner(state: AppState) -> None:
    """When another tab saved the project first: load its version, or keep this one."""
    if not state.conflict:
        return
    st.warning(f"{state.conflict}. Autosave is paused so neither version is lost.", icon=":material/sync_problem:")
    c1, c2, _ = st.columns([1, 1, 2])
    if c1.button("Load the other version", key="ws_load_theirs", width="stretch"):
        state.conflict = None
        _load(state, state.project)
        st.rerun()
    if c2.button("Keep this tab's version", key="ws_keep_mine", width="stretch"):
        found = workspace.load(state.project)
        state.version = found[1] if found else None
        state.conflict, state.saved_mark = None, None
        st.rerun()
