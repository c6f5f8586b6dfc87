"""Plotly figures: the 2D top view of a layout, the Gantt chart of a schedule, the Pareto
chart of a search. Pure functions of plain inputs."""
from __future__ import annotations

from typing import Any, Iterable

import plotly.graph_objects as go

from twin.geometry import input_port, output_port, station_rect, zone_rect
from twin.graph import conveyor_path
from twin.model import Layout
from twin.scene import KIND_COLORS  # the 3D scene's palette; twin.scene loads pyvista only when drawing

KIND_COLOURS = {kind: "#" + "".join(f"{round(c * 255):02x}" for c in rgb) for kind, rgb in KIND_COLORS.items()}
ZONE_COLOURS = {"column": "#555555", "wall": "#333333", "hazard": "#E45756"}


def top_view(layout: Layout, bad_stations: Iterable[str] = (), height: int = 480) -> go.Figure:
    """The floor from above: stations (coloured by kind, as in the 3D scene), keep-out zones,
    docks and ports; stations with problems are outlined in red."""
    bad = set(bad_stations)
    fig = go.Figure()
    w, d = layout.floor.width, layout.floor.depth
    fig.add_shape(type="rect", x0=0, y0=0, x1=w, y1=d, line=dict(color="#222", width=2), fillcolor="#FAFAFA", layer="below")
    for zone in layout.floor.keep_out:
        r = zone_rect(zone)
        fig.add_shape(type="rect", x0=r.xmin, y0=r.ymin, x1=r.xmax, y1=r.ymax, line=dict(width=0),
                      fillcolor=ZONE_COLOURS.get(zone.kind, "#555"), opacity=0.6)
    xs, ys, texts = [], [], []
    for station in layout.stations:
        if station.position is None:
            continue
        r = station_rect(station)
        fill = KIND_COLOURS.get(station.kind, "#888")
        outline = dict(color="#D62728", width=4) if station.id in bad else dict(color="#333", width=1)
        fig.add_shape(type="rect", x0=r.xmin, y0=r.ymin, x1=r.xmax, y1=r.ymax, line=outline, fillcolor=fill, opacity=0.85)
        xs.append(station.position[0])
        ys.append(station.position[1])
        texts.append(f"<b>{station.id}</b><br>{station.kind}, {station.footprint.width:g} x {station.footprint.depth:g} m"
                     f"<br>rotation {station.rotation}°, capacity {station.capacity}")
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="text", text=[t.split("<br>")[0] for t in texts], hovertext=texts,
                             hoverinfo="text", textfont=dict(color="white", size=11), name="stations", showlegend=False))
    ports_in = [input_port(s) for s in layout.stations if s.position is not None]
    ports_out = [output_port(s) for s in layout.stations if s.position is not None]
    if ports_in:
        fig.add_trace(go.Scatter(x=[p[0] for p in ports_in], y=[p[1] for p in ports_in], mode="markers",
                                 marker=dict(symbol="triangle-right", size=7, color="#2CA02C"), name="input port"))
        fig.add_trace(go.Scatter(x=[p[0] for p in ports_out], y=[p[1] for p in ports_out], mode="markers",
                                 marker=dict(symbol="square", size=6, color="#D62728"), name="output port"))
    if layout.floor.docks:
        fig.add_trace(go.Scatter(
            x=[dk.position[0] for dk in layout.floor.docks], y=[dk.position[1] for dk in layout.floor.docks],
            mode="markers+text", text=[dk.id for dk in layout.floor.docks], textposition="top center",
            marker=dict(symbol="diamond", size=11, color="#333"), name="docks"))
    ends = {s.id for s in layout.stations if s.position is not None} | {dk.id for dk in layout.floor.docks}
    for conveyor in layout.transport.conveyors:
        if conveyor.from_station not in ends or conveyor.to_station not in ends:
            continue
        pts = conveyor_path(layout, conveyor)  # the belt the graph measures and the 3D scene draws
        fig.add_trace(go.Scatter(x=[p[0] for p in pts], y=[p[1] for p in pts], mode="lines",
                                 line=dict(color="#FFB000", width=3), name=f"conveyor {conveyor.id}"))
    fig.update_xaxes(range=[-0.5, w + 0.5], title="x (m)", constrain="domain")
    fig.update_yaxes(range=[-0.5, d + 0.5], title="y (m)", scaleanchor="x", scaleratio=1)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), plot_bgcolor="white",
                      legend=dict(orientation="h", y=1.02, x=0), title=None)
    return fig


def gantt_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """One bar per operation with a length: the row is 'station' or 'station / lane n'."""
    lanes: dict[str, set[int]] = {}
    for op in doc["operations"]:
        lanes.setdefault(op["station"], set()).add(op["lane"])
    rows = []
    for op in doc["operations"]:
        if op["end"] <= op["start"]:
            continue
        row = op["station"] if len(lanes[op["station"]]) == 1 else f"{op['station']} / lane {op['lane']}"
        rows.append({**op, "row": row, "duration": op["end"] - op["start"]})
    return rows


def gantt(doc: dict[str, Any], height: int | None = None) -> go.Figure:
    """Operations as bars per station (lane), coloured by product, changeovers hatched grey."""
    rows = gantt_rows(doc)
    fig = go.Figure()
    products = sorted({r["product"] for r in rows})
    palette = ["#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#FF9DA6", "#9D755D", "#EECA3B"]
    order = sorted({r["row"] for r in rows})
    for n, product in enumerate(products):
        mine = [r for r in rows if r["product"] == product]
        fig.add_trace(go.Bar(
            y=[r["row"] for r in mine], x=[r["duration"] for r in mine], base=[r["start"] for r in mine],
            orientation="h", name=product, marker_color=palette[n % len(palette)],
            hovertext=[f"{r['job']} {r['operation']}<br>{r['start']:g}–{r['end']:g} s" for r in mine], hoverinfo="text",
        ))
    setups = [r for r in rows if r.get("changeover")]
    if setups:
        fig.add_trace(go.Bar(
            y=[r["row"] for r in setups], x=[r["changeover"] for r in setups],
            base=[r["start"] - r["changeover"] for r in setups], orientation="h", name="changeover",
            marker=dict(color="#BBBBBB", pattern_shape="/"), hoverinfo="x"))
    fig.update_layout(barmode="overlay", height=height or max(260, 40 * len(order) + 120),
                      xaxis_title="time (s)", yaxis=dict(categoryorder="array", categoryarray=order[::-1]),
                      margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.05, x=0))
    return fig


def pareto(rows: list[dict[str, Any]], x: str, y: str, front: list[dict[str, Any]] | None = None,
           label: str = "candidate") -> go.Figure:
    """Candidates as points on two objectives, the Pareto front joined by a line."""
    fig = go.Figure()
    pts = [r for r in rows if r.get(x) is not None and r.get(y) is not None]
    fig.add_trace(go.Scatter(x=[r[x] for r in pts], y=[r[y] for r in pts], mode="markers", name="candidates",
                             marker=dict(color="#9D9D9D", size=8),
                             hovertext=[str(r.get(label, "")) for r in pts], hoverinfo="text+x+y"))
    if front:
        f = sorted((r for r in front if r.get(x) is not None and r.get(y) is not None), key=lambda r: r[x])
        fig.add_trace(go.Scatter(x=[r[x] for r in f], y=[r[y] for r in f], mode="lines+markers", name="Pareto front",
                                 marker=dict(color="#D62728", size=10), line=dict(color="#D62728"),
                                 hovertext=[str(r.get(label, "")) for r in f], hoverinfo="text+x+y"))
    fig.update_layout(xaxis_title=x, yaxis_title=y, height=420, margin=dict(l=10, r=10, t=30, b=10))
    return fig
