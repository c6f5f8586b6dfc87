"""Optimise: choose the search budget and backend, run the layout search in the background
with a live progress bar, then the leaderboard, the Pareto chart and the improvement over
the starting layout; past runs from the run folder can be reopened."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from factory_app.charts import cost_chart, pareto
from factory_app.editing import layout_data
from factory_app.jobs import SearchJob, search_input
from factory_app.paths import inside, runs_dir
from factory_app.state import RUN_KEY, AppState, Design
from factory_app import leaderboard
from factory_app.ui import cached_run, cached_run_list, cached_screened, job_progress, reported, run_stamp, show_error



def render(state: AppState) -> None:
    st.header("Optimise")
    try:
        from optimizer.names import Backend, SearchObjective
        from optimizer.search.config import SearchConfig
    except ImportError as exc:
        st.info(f"The layout search is not available in this installation ({exc}).")
        return
    job: SearchJob | None = state.job
    running = job is not None and not job.done
    if state.session is None:
        st.info("Open a layout on the Layout page first.")
    else:
        _settings(state, running, SearchObjective.names(), Backend.names(), SearchConfig)
    if job is not None:
        _progress(state)
    _past_runs(state)
    run_dir = st.session_state.get(RUN_KEY)
    if run_dir:
        with reported("Could not open the run"):
            _results(state, Path(run_dir))


def _settings(state: AppState, running: bool, objectives, backends, SearchConfig) -> None:
    layout = state.session.layout
    with st.form("search_settings", enter_to_submit=False):
        st.markdown(f"Search better placements for **{layout.name}** (the last valid layout).")
        c1, c2, c3, c4 = st.columns(4)
        candidates = c1.number_input("Candidates", min_value=1, max_value=1_000_000, value=500, step=50, key="opt_candidates")
        shortlist = c2.number_input("Short list (scheduled)", min_value=0, max_value=10_000, value=10, step=1, key="opt_shortlist")
        time_limit = c3.number_input("Seconds per schedule", min_value=0.2, max_value=60.0, value=1.5, step=0.5, key="opt_time")
        seed = c4.number_input("Seed", min_value=0, value=0, step=1, key="opt_seed")
        c1, c2, c3, c4 = st.columns(4)
        objective = c1.selectbox("Objective", list(objectives), key="opt_objective")
        backend = c2.selectbox("Backend", list(backends), key="opt_backend")
        workers = c3.number_input("Workers", min_value=1, max_value=64, value=1, step=1, key="opt_workers")
        address = c4.text_input("Ray address (ray backend only)", value="", key="opt_address")
        start = st.form_submit_button("Run search", type="primary", disabled=running)
    if start and not running:
        try:
            config = SearchConfig(candidates=int(candidates), shortlist=int(shortlist), time_limit=float(time_limit),
                                  seed=int(seed), objective=objective, backend=backend, workers=int(workers),
                                  address=address.strip() or None).check()
            path = search_input(layout, state.session.path, state.session.layout_dir)
            from optimizer.search.run import default_run_dir

            out = default_run_dir(layout.name, runs_dir())
            state.job = SearchJob(path, config, state.physics, out).start()
            st.session_state[RUN_KEY] = None
            st.rerun()
        except Exception as exc:  # noqa: BLE001 - bad settings are messages
            show_error(exc, "Could not start the search")


@st.fragment(run_every=1.0)
def _progress(state: AppState) -> None:
    """Polls the background search once a second; the rest of the page stays usable."""
    job: SearchJob | None = state.job
    if job is None:
        return
    view = job_progress(job, "Stop the search", "opt_stop")
    if not view.done:
        return
    if job.stopped:
        st.info(f"{view.text} Everything finished so far is kept; resume to carry on where it stopped.",
                icon=":material/pause_circle:")
        if st.button("Resume the search", key="opt_resume", type="primary"):
            _resume(state, job.run_dir)
    elif job.error:
        st.error(f"The search ended early: {job.error}")
    else:
        st.progress(view.fraction, text=view.text)
    # show this run's results once when it ends; after that the planner's choice of run stands
    if not job.shown and job.run_dir is not None and (job.run_dir / "run.sqlite").exists():
        job.shown = True
        st.session_state[RUN_KEY] = str(job.run_dir)
        st.rerun(scope="app")


def _resume(state: AppState, run_dir: Path | None) -> None:
    """Carry on with a stopped run in its own folder (the run keeps its settings)."""
    if run_dir is None:
        return
    with reported("Could not resume the search"):
        result = cached_run(run_dir)
        state.job = SearchJob(result.layout_path, result.config, state.physics, resume=run_dir).start()
        st.session_state[RUN_KEY] = None
        st.rerun(scope="app")


def _past_runs(state: AppState) -> None:
    runs = cached_run_list(runs_dir())
    if not runs:
        return
    with st.expander(f"Past runs ({len(runs)})", expanded=st.session_state.get(RUN_KEY) is None):
        labels = {
            f"{r.run_dir.name} · {r.status} · {r.screened}/{r.candidates} screened · best "
            f"{'–' if r.best_makespan is None else f'{r.best_makespan:,.0f} s'}": r.run_dir
            for r in runs
        }
        c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
        pick = c1.selectbox("Run", list(labels), key="opt_past_run")
        if c2.button("Open run", key="opt_open_run", width="stretch"):
            st.session_state[RUN_KEY] = str(labels[pick])
            st.rerun()


def _fmt(value, unit: str = "") -> str:
    return "–" if value is None else f"{value:,.1f}{unit}"


def _number_columns(rows: list[dict]) -> dict:
    """Thousands separators and the unit's help on every number column."""
    names = {name for row in rows for name in row}
    return {name: st.column_config.NumberColumn(name, format="localized", help=leaderboard.COLUMNS[name])
            for name in leaderboard.COLUMNS if name in names}


def _results(state: AppState, run_dir: Path) -> None:
    if not inside(run_dir, runs_dir()):
        st.error("That run folder is outside the app's runs folder.")
        return
    result = cached_run(run_dir)
    st.subheader(f"Run {run_dir.name}")
    st.caption(f"{result.status} · {result.screened:,} screened, {result.valid:,} valid, {result.scheduled} scheduled "
               f"({result.schedule_ok} passed the checker) · {result.elapsed:,.0f} s · seed {result.config.seed} · "
               f"{result.config.backend} backend")
    job = state.job
    if result.status != "complete" and (job is None or job.done or job.run_dir != run_dir):
        st.info("This run was stopped before it finished: what it screened is below.", icon=":material/pause_circle:")
        if st.button("Resume this run", key="opt_resume_run"):
            _resume(state, run_dir)
    imp = result.improvement()
    cols = st.columns(4)
    for col, (name, label, unit, better_up) in zip(cols, [
        ("makespan", "Makespan (s)", "", False), ("throughput", "Throughput (units/h)", "", True),
        ("flow_distance", "Flow distance (trip·m)", "", False), ("travel", "Travel (m)", "", False),
    ]):
        m = imp[name]
        delta = None if m["percent"] is None else f"{m['percent']:+.1f} %"
        col.metric(label, _fmt(m["best"], unit), delta=delta, delta_color="normal" if better_up else "inverse",
                   help=f"as-is: {_fmt(m['as_is'], unit)}")
    decision = result.decision
    if decision is not None:
        from optimizer.report import design_changes, recommendation_line
        from optimizer.store import DB_NAME

        cpsat, scheduled = result.cpsat_share()
        st.markdown(f"**Running twin:** {recommendation_line(decision)}. Short list with a real CP-SAT schedule: "
                    f"{cpsat} of {scheduled}.")
        if result.best is not None and decision.best is not None and result.best.seq == decision.best.seq:
            st.markdown(f"**Best design** {leaderboard.design_label(result.best)}: "
                        f"{design_changes(result.best, result.baseline, result.base_layout())}.")
        if decision.best is not None and decision.baseline is not None:
            with st.expander("Why the best design wins (or what it changes)", expanded=decision.significant):
                lines = _explanation(str(run_dir), run_stamp(run_dir / DB_NAME))
                if lines:
                    st.markdown("\n".join(["#" + lines[0], *lines[1:]]))
    rows = leaderboard.leaderboard(result)
    st.markdown("**Leaderboard** (the as-is layout first; then best first: by the running twin where simulated, "
                "then by the plan)")
    if any(r["design"] != leaderboard.AS_IS for r in rows):
        st.dataframe(rows, width="stretch", hide_index=True, column_config=_number_columns(rows))
    else:
        st.info("No candidate has a checked schedule yet.")
    simulated = leaderboard.simulated_points(result)
    if simulated:
        st.markdown("**Simulated designs**: annual cost against the lower 95 % bound of throughput (lead time in "
                    "the hover); orange: on the Pareto front of cost, throughput and lead time")
        st.plotly_chart(cost_chart(simulated), width="stretch", key="opt_cost_chart")
    screened = cached_screened(run_dir)
    table = leaderboard.screened_table(screened)
    with st.expander(f"Screened layouts ({result.valid:,} valid of {result.screened:,}; best by flow distance)",
                     expanded=len(rows) <= 1):
        st.dataframe(table, width="stretch", hide_index=True, column_config=_number_columns(table))
    points = leaderboard.chart_points(screened)
    if points:
        c1, c2 = st.columns(2)
        scheduled_any = any(p["scheduled"] for p in points)
        y_axes = (["makespan"] if scheduled_any else []) + ["flow_distance", "floor_area", "conveyor_length"]
        y = c1.selectbox("Pareto chart: minimise", y_axes, key="opt_pareto_y",
                         format_func=lambda a: leaderboard.AXES[a][1])
        x_axes = [a for a in ("floor_area", "flow_distance", "conveyor_length", "travel") if a != y]
        x = c2.selectbox("against", x_axes, key="opt_pareto_x", format_func=lambda a: leaderboard.AXES[a][1])
        st.plotly_chart(pareto(points, x, y, leaderboard.AXES[x][1], leaderboard.AXES[y][1]), width="stretch",
                        key="opt_pareto")
    if result.best is not None:
        c1, c2 = st.columns(2)
        if c1.button("Show best and as-is in 3D and Schedule", key="opt_use_best", type="primary", width="stretch"):
            _add_designs(state, result)
            st.success("Added to the 3D and Schedule pages' design lists.")
        if c2.button("Open the best layout in the editor", key="opt_edit_best", width="stretch"):
            best = result.best_layout()
            if state.session is not None and best is not None:
                state.session.edit(layout_data(best))
                st.success("The best layout is now the current layout (undo goes back).")
        files = [f for f in ("best_layout.yaml", "best_schedule.json", "report.md") if (run_dir / f).is_file()]
        cols = st.columns(max(1, len(files)))
        for col, name in zip(cols, files):
            col.download_button(f"Download {name}", (run_dir / name).read_bytes(), file_name=name,
                                key=f"opt_dl_{name}", width="stretch")


@st.cache_data(show_spinner=False, max_entries=8)
def _explanation(run_dir: str, stamp: tuple) -> list[str]:  # stamp: part of the cache key only
    return leaderboard.explanation_lines(run_dir)


def _add_designs(state: AppState, result) -> None:
    base = result.base_layout()
    layout_dir = result.layout_path.parent if result.layout_path.is_file() else None
    name = result.run_dir.name
    best = result.best
    state.designs[f"{name}: best"] = Design(f"{name}: best", best.layout(base), layout_dir, result.schedule_doc(best.seq))
    if result.baseline is not None:
        state.designs[f"{name}: as-is"] = Design(f"{name}: as-is", result.baseline.layout(base), layout_dir,
                                                 result.schedule_doc(0))
