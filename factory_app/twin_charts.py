"""Plotly figures of the running twin: station state shares, units in the factory over time,
and one moment of the playback on the floor plan. Pure functions of plain inputs."""
from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from twin.floorplan import floor_plan
from twin.model import Layout
from twin.palette import STATE_COLORS, hex_colour
from twin.sim.playback import Frame

from factory_app.charts import shape_path, top_view

STATE_LABELS = {"busy": "busy", "setup": "changeover / setup", "idle": "idle (no work due)", "starved": "starved",
                "blocked": "blocked", "down": "down (repair)", "unmanned": "waiting for an operator"}


def state_bars(stations: dict[str, dict[str, float]], bottleneck: str | None = None) -> go.Figure:
    """Each station's share of time in each state (mean over replications), stacked to 100 %,
    the busiest first; the bottleneck is named."""
    order = sorted(stations, key=lambda sid: (-stations[sid].get("busy", 0.0), sid))
    names = [f"{sid}  ← bottleneck" if sid == bottleneck else sid for sid in order]
    fig = go.Figure()
    for state, label in STATE_LABELS.items():
        values = [100.0 * stations[sid].get(state, 0.0) for sid in order]
        if not any(values):
            continue
        fig.add_trace(go.Bar(x=values, y=names, orientation="h", name=label, marker_color=hex_colour(STATE_COLORS[state]),
                             hovertemplate=f"%{{y}}: %{{x:.1f}} % {label}<extra></extra>"))
    fig.update_layout(barmode="stack", height=max(240, 26 * len(order) + 110), margin=dict(l=10, r=10, t=10, b=10),
                      xaxis=dict(title="share of time (%)", range=[0, 100]),
                      yaxis=dict(categoryorder="array", categoryarray=names[::-1]),
                      legend=dict(orientation="h", yanchor="top", y=-0.2, x=0))
    return fig


def wip_chart(curve: list[tuple[float, float]], end: float, now: float | None = None) -> go.Figure:
    """Units in the factory over the replication (a step line), hours on the x axis."""
    xs = [t / 3600.0 for t, _ in curve] + [end / 3600.0]
    ys = [v for _, v in curve] + [curve[-1][1] if curve else 0.0]
    fig = go.Figure(go.Scatter(x=xs, y=ys, mode="lines", line_shape="hv", name="units in the factory",
                               hovertemplate="%{x:.2f} h: %{y:,.0f} units<extra></extra>"))
    if now is not None:
        fig.add_vline(x=now / 3600.0, line=dict(color="#333", dash="dot"))
    fig.update_layout(height=240, margin=dict(l=10, r=10, t=10, b=10), showlegend=False,
                      xaxis=dict(title="time (h)"), yaxis=dict(title="units in the factory (WIP)", rangemode="tozero"))
    return fig


def playback_view(layout: Layout, frame: Frame, height: int = 480) -> go.Figure:
    """The floor plan at one moment: stations filled with their state's colour, the lots in
    process named, AGVs as dots (filled when loaded, hollow when driving empty), lots on
    conveyors as small squares."""
    fig = top_view(layout, height=height)
    for trace in fig.data:  # the plan's own legend (ports, belts) gives way to the states'
        trace.showlegend = False
    plan = floor_plan(layout)
    for shape in plan.stations:
        state = frame.stations.get(shape.id, "idle")
        fig.add_shape(type="path", path=shape_path(shape.corners), layer="above", line=dict(color="#333", width=1),
                      fillcolor=hex_colour(STATE_COLORS[state]), opacity=0.75, name=f"state:{shape.id}")
    hover = [f"<b>{s.id}</b>: {STATE_LABELS[frame.stations.get(s.id, 'idle')]}"
             + (f"<br>working on {', '.join(frame.working[s.id])}" if frame.working.get(s.id) else "")
             for s in plan.stations]
    fig.add_trace(go.Scatter(x=[s.centre[0] for s in plan.stations], y=[s.centre[1] for s in plan.stations],
                             mode="markers", marker=dict(size=18, opacity=0), hovertext=hover, hoverinfo="text",
                             name="station states", showlegend=False))
    for state in STATE_LABELS:  # a legend of the colours
        if state in frame.stations.values():
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=STATE_LABELS[state],
                                     marker=dict(symbol="square", size=12, color=hex_colour(STATE_COLORS[state]))))
    for loaded in (True, False):
        vs = [v for v in frame.vehicles if (v.lot is not None) == loaded]
        if vs:
            fig.add_trace(go.Scatter(
                x=[v.x for v in vs], y=[v.y for v in vs], mode="markers+text", text=[f"AGV {v.vehicle + 1}" for v in vs],
                textposition="top center", name="AGV carrying a lot" if loaded else "AGV driving empty",
                hovertext=[f"AGV {v.vehicle + 1}: " + (f"carries {v.lot}" if loaded else "empty") for v in vs],
                hoverinfo="text", marker=dict(size=13, symbol="circle" if loaded else "circle-open",
                                              color="#1f2933", line=dict(width=2, color="#1f2933"))))
    if frame.on_belts:
        fig.add_trace(go.Scatter(x=[x for _, x, _ in frame.on_belts], y=[y for _, _, y in frame.on_belts],
                                 mode="markers", name="lot on a conveyor", hovertext=[lot for lot, _, _ in frame.on_belts],
                                 hoverinfo="text", marker=dict(size=9, symbol="square", color="#ffd23f",
                                                               line=dict(width=1, color="#1f2933"))))
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.15, x=0))
    return fig


def kpi_text(figure: dict[str, Any], digits: int = 1) -> tuple[str, str]:
    """('264.8', '95 % CI 260.1 – 269.5') of an interval figure; no interval from one replication."""
    mean = f"{figure['mean']:,.{digits}f}"
    if figure.get("ci95_low") is None:
        return mean, "one replication: no interval"
    return mean, f"95 % CI {figure['ci95_low']:,.{digits}f} – {figure['ci95_high']:,.{digits}f}"
