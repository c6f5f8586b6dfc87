"""Schedule: compute the schedule of a design, its Gantt chart by station, KPIs, and the
schedule JSON and layout YAML to download."""
from __future__ import annotations

import streamlit as st

from twin.io import dump_layout

from optimizer.schedule_json import schedule_json_text

from factory_app.charts import gantt, utilisation_chart
from factory_app.compute import layout_key
from factory_app.paths import safe_name
from factory_app.state import AppState, Design
from factory_app.ui import cached_schedule, pick_design, reported


def compute_controls(state: AppState, design: Design, key: str) -> None:
    """Time limit and objective, and the button that schedules the design (cached by value)."""
    c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
    with c1:
        limit = st.slider("Solver time limit (s)", 1, 30, 5, key=f"{key}_limit")
    with c2:
        objective = st.selectbox("Objective", ["makespan", "weighted_tardiness"], key=f"{key}_objective")
    with c3:
        go = st.button("Compute schedule", key=f"{key}_go", type="primary", width="stretch")
    if go:
        with reported("No schedule"), st.spinner("Scheduling (CP-SAT)…"):
            doc, problems = cached_schedule(layout_key(design.layout),
                                            str(design.layout_dir) if design.layout_dir else None,
                                            float(limit), objective)
            if problems:  # a wrong schedule is shown as an error, never kept or shown as a result
                st.error("The schedule checker found problems, so this schedule was not kept:\n\n- "
                         + "\n- ".join(problems))
            else:
                state.remember_schedule(design.layout, doc)
                st.rerun()


def render(state: AppState) -> None:
    st.header("Schedule")
    design = pick_design(state.all_designs(), "Design", "schedule_design")
    if design is None:
        return
    doc = design.schedule_doc
    compute_controls(state, design, "schedule")
    if doc is None:
        st.info("No schedule yet for this design: press **Compute schedule**.")
        return
    k = doc["kpis"]
    # units in the labels and three tiles a row, so no value is cut off on a narrow screen
    tiles = [("Makespan (s)", f"{doc['makespan']:,.0f}"), ("Throughput (units/h)", f"{k['throughput_per_hour']:,.1f}"),
             ("Units / lots", f"{k['units']:,} / {k['lots']:,}"), ("Busiest station", str(k["bottleneck"])),
             ("AGV travel (m)", f"{k['agv_distance']:,.0f}"), ("Average WIP (lots)", f"{k['average_wip']:.2f}")]
    for row in (tiles[:3], tiles[3:]):
        for col, (label, value) in zip(st.columns(3), row):
            col.metric(label, value)
    st.caption(f"status **{doc['status']}** by {doc.get('solver') or 'solver'} · objective {doc['objective']} = "
               f"{doc['objective_value']:,.0f} · lower bound {doc['lower_bound']:,.0f} · gap {doc['gap']:.1%} · "
               f"weighted tardiness {k['weighted_tardiness']:,.0f}")
    st.plotly_chart(gantt(doc), width="stretch", key="gantt")
    st.markdown("**Utilisation** (busy time / (capacity x makespan)), busiest first")
    st.plotly_chart(utilisation_chart(k["utilisation"], k["bottleneck"]), width="stretch", key="utilisation")
    name = safe_name(design.layout.name)
    c1, c2, _ = st.columns([1, 1, 2])
    with c1:
        st.download_button("Download schedule JSON", schedule_json_text(doc), file_name=f"{name}_schedule.json",
                           mime="application/json", key="download_schedule_json", width="stretch")
    with c2:
        st.download_button("Download layout YAML", dump_layout(design.layout), file_name=f"{name}.yaml",
                           mime="application/x-yaml", key="download_schedule_layout", width="stretch")
    if k.get("physics_times"):
        with st.expander("Operation times from robot-cell physics"):
            st.dataframe(k["physics_times"], width="stretch")
