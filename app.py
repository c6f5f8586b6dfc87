"""factory-twin planner in the browser: `streamlit run app.py`.

Opens the first sample factory on the Layout page, its plan view and summary tiles first: the
costly checks (aisle routes, robot cells in physics) and the 3D scene wait until that first
view is on the screen (the scene is exported in a background worker, ready for the 3D page).
Other pages inspect robot cells, run a layout search, compare designs in 3D, look at the
schedule and run the twin. The pages live in `factory_app.pages`; the logic they use is plain
Python in `factory_app`.
"""
from __future__ import annotations

import streamlit as st

from factory_app.autosave import autosave, conflict_banner, restore_once
from factory_app.paths import sample_layouts
from factory_app.ui import app_state, prefetch_scene, reported, show_error
from factory_app.upload import open_sample

PAGES = ["Layout", "Cells", "Optimise", "3D", "Schedule", "Twin"]
FIRST_PAGE = "Layout"
PREFERRED_SAMPLE = "electronics_assembly"


def _first_open(state) -> None:
    """Open a sample factory on the first view, so the planner sees a factory at once."""
    samples = sample_layouts()
    if state.session is not None or not samples or st.session_state.get("_opened_first"):
        return
    st.session_state["_opened_first"] = True
    name = PREFERRED_SAMPLE if PREFERRED_SAMPLE in samples else next(iter(samples))
    try:
        state.open(open_sample(name), check_later=True)
    except Exception as exc:  # noqa: BLE001 - shown, not raised
        show_error(exc, f"Could not open the sample factory '{name}'")


def main() -> None:
    st.set_page_config(page_title="factory-twin planner", page_icon="🏭", layout="wide")
    state = app_state()
    restore_once(state)  # the project this browser had open, after a reload or a server restart
    _first_open(state)
    with st.sidebar:
        st.title("factory-twin")
        page = st.radio("Page", PAGES, index=PAGES.index(FIRST_PAGE), key="page")
        if state.session is not None:
            layout = state.session.layout
            st.caption(f"Open: **{layout.name}** ({state.session.source})")
            if state.session.has_draft:
                st.caption(":red[an edit is waiting to be fixed]")
        job = state.job
        if job is not None and not job.done:
            st.caption("A layout search is running…")
        if state.twin is not None and not state.twin.done:
            st.caption("The twin is running replications…")
    if state.message:
        st.toast(state.message)
        state.message = None
    conflict_banner(state)
    with reported(f"The {page} page failed"):
        if page == "Layout":
            from factory_app.pages import layout_page as module
        elif page == "Cells":
            from factory_app.pages import cells_page as module
        elif page == "Optimise":
            from factory_app.pages import optimise_page as module
        elif page == "3D":
            from factory_app.pages import view3d_page as module
        elif page == "Twin":
            from factory_app.pages import twin_page as module
        else:
            from factory_app.pages import schedule_page as module
        module.render(state)
    with reported("Could not save the project's workspace"):
        autosave(state)
    _after_first_view(state)


FIRST_VIEW_SENT = "_first_view_sent"  # a run of this session has sent its first view to the browser
FIRST_VIEW_WAKE = "_first_view_wake"  # executions of the wake-up fragment this session


def _after_first_view(state) -> None:
    """The work the first view of a layout just opened or restored left for later (its 3D
    scene started in the background worker, the costly checks), once that view is on the
    screen: in the next run of the session, or when the browser wakes the page a second after
    drawing it. The server's work must not take the CPU from the browser while it draws."""
    session = state.session
    if session is None or session.checked:
        return
    if st.session_state.get(FIRST_VIEW_SENT):
        _finish_first_view(state)
    st.session_state[FIRST_VIEW_SENT] = True
    _wake_after_drawing(state)


@st.fragment(run_every=1.0)
def _wake_after_drawing(state) -> None:
    """Runs with the page (and does nothing then), and again on the browser's timer, which
    starts once the browser has the page: then the first view is drawn."""
    st.session_state[FIRST_VIEW_WAKE] = st.session_state.get(FIRST_VIEW_WAKE, 0) + 1
    if st.session_state[FIRST_VIEW_WAKE] > 1 and state.session is not None and not state.session.checked:
        _finish_first_view(state)


def _finish_first_view(state) -> None:
    with reported("Could not start the 3D scene"):
        prefetch_scene(state.current_design())
    with reported("Could not check the layout"):
        state.session.finish_check()
    st.rerun(scope="app")  # the page again, with the checks' outcome (and without the timer)


# Streamlit runs this file as __main__. Worker processes the app spawns (3D export, search
# workers) import it as __mp_main__, and must not run the app.
if __name__ == "__main__":
    main()
