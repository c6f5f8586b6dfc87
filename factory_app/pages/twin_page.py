"""Twin: run a design in the discrete-event simulation (process-time shapes, breakdowns,
buffers, vehicles, operators) over replications, in the background, and see its KPIs with
95 % intervals, each station's time by state, the units in the factory over time and a
playback of one replication on the floor plan."""
from __future__ import annotations

import json

import streamlit as st

from factory_app.state import AppState
from factory_app.twin_charts import kpi_text, playback_view, state_bars, wip_chart
from factory_app.twin_job import TwinJob, TwinResult, TwinSettings
from factory_app.ui import job_progress, show_error

CONTROLS = {"FIFO (first come, first served)": "fifo", "EDD (earliest due date first)": "edd",
            "SPT (shortest operation first)": "spt", "Follow the design's schedule": "schedule"}
TILES = (("throughput_per_hour", "Throughput (units/h)", 1, 1.0), ("lead_time_s", "Lead time (min)", 1, 60.0),
         ("lead_time_p90_s", "Lead time P90 (min)", 1, 60.0), ("wip", "WIP (units)", 1, 1.0),
         ("weighted_tardiness", "Weighted tardiness (s)", 0, 1.0))


def render(state: AppState) -> None:
    st.header("Twin")
    st.caption("The running twin simulates the factory as it would run: random operation times, breakdowns, "
               "finite buffers, AGVs that drive empty to their pick-ups, operators on shifts. Each replication "
               "draws new random numbers (the same ones for every design of this factory), and the figures are "
               "means with 95 % confidence intervals over the replications.")
    designs = state.all_designs()
    if not designs:
        st.info("Open a layout on the Layout page first.")
        return
    _settings(state, designs)
    _progress(state)
    job: TwinJob | None = state.twin
    if job is not None and job.done and job.result is not None:
        _results(job.result)


def _settings(state: AppState, designs) -> None:
    from twin.sim.replications import default_horizon

    with st.form("twin_settings"):
        c1, c2 = st.columns([3, 2])
        label = c1.selectbox("Design", list(designs), key="twin_design")
        control = c2.selectbox("Control", list(CONTROLS), key="twin_control",
                               help="a dispatching rule, or the station choices and sequences of the design's "
                                    "schedule (nothing starts before its planned time)")
        c1, c2, c3, c4 = st.columns(4)
        steady_hours = (default_horizon(designs[label].layout) or 0.0) / 3600.0
        replications = c1.number_input("Replications", 1, 500, 10, key="twin_replications")
        horizon = c2.number_input("Horizon (h)", 0.0, 8_784.0, steady_hours, key="twin_horizon",
                                  help="simulated hours; 0: until every lot of the demand is done (a steady "
                                       "demand rate needs a horizon)")
        warmup = c3.number_input("Warm-up (h)", 0.0, 8_784.0, 0.0, key="twin_warmup",
                                 help="left out of the statistics")
        seed = c4.number_input("Seed", 0, 2**31 - 1, 0, key="twin_seed")
        submitted = st.form_submit_button("Run the twin", type="primary")
    if not submitted:
        return
    design = designs[label]
    policy = CONTROLS[control]
    if policy == "schedule" and design.schedule_doc is None:
        st.error("This design has no schedule yet: compute one on the Schedule page, or pick a dispatching rule.")
        return
    if state.twin is not None and not state.twin.done:
        st.warning("The twin is still running: stop it first.")
        return
    settings = TwinSettings(int(replications), float(horizon) * 3600.0 or None, float(warmup) * 3600.0, int(seed), policy)
    if settings.horizon is not None and settings.warmup >= settings.horizon:
        st.error(f"The warm-up ({warmup:g} h) must end before the horizon ({horizon:g} h).")
        return
    try:
        state.twin = TwinJob(design.layout, design.layout_dir, state.physics, settings, design.schedule_doc).start()
        st.rerun()
    except Exception as exc:  # noqa: BLE001 - bad settings are messages
        show_error(exc, "Could not start the twin")


@st.fragment(run_every=1.0)
def _progress(state: AppState) -> None:
    """Polls the background replications once a second; the rest of the page stays usable."""
    job: TwinJob | None = state.twin
    if job is None:
        return
    if not job_progress(job, "Stop the twin", "twin_stop").done:
        return
    if job.error:
        st.error(f"The twin could not run: {job.error}")
    elif job.result is None:
        st.info("Stopped before the first replication finished.")
    if not job.shown:
        job.shown = True
        st.rerun(scope="app")


def _results(result: TwinResult) -> None:
    doc = result.doc
    control = {v: k for k, v in CONTROLS.items()}[doc["control"]]
    horizon = "until every lot is done" if doc["horizon"] is None else f"{doc['horizon'] / 3600:g} h"
    st.subheader(f"{doc['layout']}: {doc['replications']} replications")
    st.caption(f"{control} · horizon {horizon} · warm-up {doc['warmup'] / 3600:g} h · seed {doc['seed']} · "
               f"{doc['events']:,} events"
               + (" · stopped early: the figures are over the replications that finished" if result.stopped else ""))
    for column, (name, label, digits, scale) in zip(st.columns(len(TILES)), TILES):
        figure = doc["kpis"][name]
        scaled = {k: (v / scale if isinstance(v, float) else v) for k, v in figure.items() if k != "per_replication"}
        value, interval = kpi_text(scaled, digits)
        column.metric(label, value)
        column.caption(interval)
    if doc["bottleneck"]:
        st.markdown(f"**Bottleneck: {doc['bottleneck']}** — in {doc['bottleneck_share']:.0%} of the replications "
                    "the station whose uninterrupted active periods (working, setting up or under repair) last "
                    "longest, the one that holds the line back.")
    st.markdown("**Where each station's time goes** (mean over the replications)")
    st.plotly_chart(state_bars(doc["stations"], doc["bottleneck"]), width="stretch", key="twin_states")
    _fleet_and_crew(doc)
    _playback(result)
    st.download_button("Download the evaluation (JSON)", json.dumps(doc, indent=2),
                       file_name=f"{doc['layout']}-evaluation.json", mime="application/json", key="twin_download")


def _fleet_and_crew(doc) -> None:
    agvs = doc["agvs"]
    c1, c2 = st.columns(2)
    if agvs["fleet_size"]:
        c1.markdown(f"**AGVs** ({agvs['fleet_size']}): {agvs['loaded']:.0%} loaded, {agvs['empty']:.0%} driving "
                    f"empty, {agvs['idle']:.0%} idle")
    if doc["operators"]:
        rows = [{"pool": pid, "operators": o["size"], "busy": f"{o['busy']:.0%}", "idle": f"{o['idle']:.0%}",
                 "off shift": f"{o['off_shift']:.0%}"} for pid, o in doc["operators"].items()]
        c2.markdown("**Operators**")
        c2.dataframe(rows, hide_index=True, width="stretch")


@st.fragment
def _playback(result: TwinResult) -> None:
    """Moving the slider redraws this part only, not the KPIs and charts above it."""
    playback = result.playback
    end_h = playback.end / 3600.0
    st.markdown("**Playback of replication 1**")
    hours = st.slider("Time (h)", 0.0, max(end_h, 0.01), min(end_h / 2, end_h), step=max(end_h / 400, 1 / 3600),
                      key="twin_time", format="%.2f")
    frame = playback.frame(hours * 3600.0)
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(playback_view(result.layout, frame), width="stretch", key="twin_playback")
    with right:
        st.metric("At", clock(frame.time))
        st.metric("Units in the factory", f"{frame.wip:,.0f}")
        moving = sum(v.lot is not None for v in frame.vehicles)
        st.caption(f"{moving} AGVs carrying a lot, {len(frame.vehicles) - moving} driving empty. AGVs are drawn on the "
                   "straight line between pick-up and drop; their times come from the aisle routes.")
        st.plotly_chart(wip_chart(result.traced.wip_curve, playback.end, frame.time), width="stretch", key="twin_wip")


def clock(seconds: float) -> str:
    """'7:05:30' (hours:minutes:seconds) of a simulated time."""
    whole = int(round(seconds))
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
