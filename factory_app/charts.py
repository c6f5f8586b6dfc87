"""Plotly figures: the 2D top view of a layout, the Gantt chart of a schedule, the Pareto
chart of a search. Pure functions of plain inputs."""
from __future__ import annotations

from typing import Any, Iterable

import plotly.graph_objects as go

from twin.floorplan import floor_plan
from twin.model import Layout
from twin.palette import COLORS, hex_colour


def shape_path(points) -> str:
    """An SVG path through the points, closed: a plotly 'path' shape."""
    return "M " + " L ".join(f"{x:.3f},{y:.3f}" for x, y in points) + " Z"


def top_view(layout: Layout, bad_stations: Iterable[str] = (), height: int = 480) -> go.Figure:
    """The floor plan (`twin.floorplan`) from above: stations coloured by kind as in the 3D
    scene, keep-out zones, docks, ports and conveyors; stations with problems are outlined
    in red."""
    plan = floor_plan(layout)
    bad = set(bad_stations)
    fig = go.Figure()
    o = plan.outline
    fig.add_shape(type="rect", x0=o.xmin, y0=o.ymin, x1=o.xmax, y1=o.ymax, layer="below", name="floor",
                  line=dict(color=hex_colour(COLORS["floor_edge"]), width=2), fillcolor=hex_colour(COLORS["floor"]))
    for zone in plan.zones:
        r = zone.rect
        fig.add_shape(type="rect", x0=r.xmin, y0=r.ymin, x1=r.xmax, y1=r.ymax, layer="below", name=f"zone:{zone.id}",
                      line=dict(width=0.5, color="#444"), fillcolor=hex_colour(zone.colour))
    for dock in plan.docks:
        r = dock.apron
        fig.add_shape(type="rect", x0=r.xmin, y0=r.ymin, x1=r.xmax, y1=r.ymax, layer="below", name=f"dock:{dock.id}",
                      line=dict(width=0), fillcolor=hex_colour(dock.colour))
    if plan.docks:
        fig.add_trace(go.Scatter(x=[d.apron.centre[0] for d in plan.docks], y=[d.apron.centre[1] for d in plan.docks],
                                 mode="text", text=[f"<b>{d.id}</b>" for d in plan.docks], cliponaxis=False,
                                 textfont=dict(color="white", size=10),
                                 hovertext=[f"{d.kind} dock {d.id}" for d in plan.docks], hoverinfo="text",
                                 name="docks", showlegend=False))
    for station in plan.stations:
        outline = dict(color=hex_colour(COLORS["problem"]), width=4) if station.id in bad else dict(color="#333", width=1)
        fig.add_shape(type="path", path=shape_path(station.corners), layer="below", name=f"station:{station.id}",
                      line=outline, fillcolor=hex_colour(station.colour), opacity=0.9)
    hover = []
    for shape in plan.stations:
        station = layout.station(shape.id)
        hover.append(f"<b>{station.id}</b><br>{station.kind}, {station.footprint.width:g} x {station.footprint.depth:g} m"
                     f"<br>rotation {station.rotation}°, capacity {station.capacity}")
    fig.add_trace(go.Scatter(x=[s.centre[0] for s in plan.stations], y=[s.centre[1] for s in plan.stations],
                             mode="text", text=[s.label for s in plan.stations], hovertext=hover, hoverinfo="text",
                             textfont=dict(color=hex_colour(COLORS["text"]), size=10), name="stations", showlegend=False))
    for conveyor in plan.conveyors:
        xs, ys = [p[0] for p in conveyor.points], [p[1] for p in conveyor.points]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=f"conveyor {conveyor.id}",
                                 line=dict(color=hex_colour(conveyor.colour), width=4),
                                 marker=dict(symbol="arrow", angleref="previous", size=[0] * (len(xs) - 1) + [12],
                                             color=hex_colour(COLORS["belt_arrow"]))))
    if plan.stations:
        for name, attr, symbol in (("input port", "input_port", "circle"), ("output port", "output_port", "square")):
            points = [getattr(s, attr) for s in plan.stations]
            fig.add_trace(go.Scatter(x=[p[0] for p in points], y=[p[1] for p in points], mode="markers", name=name,
                                     marker=dict(symbol=symbol, size=7, color=hex_colour(COLORS[name.replace(" ", "_")]))))
    box = plan.bounds
    fig.update_xaxes(range=[box.xmin - 0.3, box.xmax + 0.3], title="x (m)", constrain="domain", showgrid=False)
    fig.update_yaxes(range=[box.ymin - 0.3, box.ymax + 0.3], title="y (m)", scaleanchor="x", scaleratio=1,
                     showgrid=False)
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


def vehicle_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Each vehicle's legs: its empty run to the pick-up, then the loaded trip; the row is
    'mover n' (only trips that name a vehicle; conveyors have none)."""
    rows = []
    for t in doc["transports"]:
        if t.get("vehicle") is None:
            continue
        row = f"{t['mover']} {t['vehicle']}"
        if t["empty_end"] > t["empty_start"]:
            rows.append({"row": row, "leg": "empty", "start": t["empty_start"], "end": t["empty_end"],
                         "text": f"{t['mover']} {t['vehicle']} empty {t['empty_from']} → {t['from']}"})
        if t["end"] > t["start"]:
            rows.append({"row": row, "leg": "loaded", "start": t["start"], "end": t["end"],
                         "text": f"{t['mover']} {t['vehicle']} carries {t['job']} {t['from']} → {t['to']}"})
    return rows


def gantt(doc: dict[str, Any], height: int | None = None) -> go.Figure:
    """Operations as bars per station (lane), coloured by product, changeovers hatched grey;
    below them each vehicle's loaded trips (dark) and empty runs (hatched)."""
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
    legs = vehicle_rows(doc)
    for leg, name, marker in (("loaded", "loaded trip", dict(color="#333333")),
                              ("empty", "empty run", dict(color="#DDDDDD", pattern_shape="x", line=dict(color="#888888")))):
        mine = [r for r in legs if r["leg"] == leg]
        if mine:
            fig.add_trace(go.Bar(
                y=[r["row"] for r in mine], x=[r["end"] - r["start"] for r in mine], base=[r["start"] for r in mine],
                orientation="h", name=name, marker=marker, hoverinfo="text",
                hovertext=[f"{r['text']}<br>{r['start']:g}–{r['end']:g} s" for r in mine]))
    vehicles = sorted({r["row"] for r in legs}, key=lambda row: (row.rsplit(" ", 1)[0], int(row.rsplit(" ", 1)[1])))
    order = order + vehicles
    order += _operator_shifts(fig, doc)
    fig.update_layout(barmode="overlay", height=height or max(260, 40 * len(order) + 120),
                      xaxis_title="time (s)", yaxis=dict(categoryorder="array", categoryarray=order[::-1]),
                      margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.05, x=0))
    return fig


def _operator_shifts(fig: go.Figure, doc: dict[str, Any]) -> list[str]:
    """One row per operator pool: its on-shift stretches as pale bars (breaks and off-shift
    time are the gaps); returns the rows added."""
    rows = []
    for pool in doc.get("operators", []):
        row = f"operators: {pool['pool']} ({pool['size']})"
        spans = pool["on_shift"]
        fig.add_trace(go.Bar(
            y=[row] * len(spans), x=[end - start for start, end in spans], base=[start for start, _ in spans],
            orientation="h", name="on shift", legendgroup="on shift", showlegend=not rows,
            marker=dict(color="#CDE8C5", line=dict(color="#54A24B", width=1)),
            hovertext=[f"{pool['pool']} on shift<br>{start:g}–{end:g} s" for start, end in spans], hoverinfo="text"))
        rows.append(row)
    return rows


def front_2d(points: list[dict[str, Any]], x: str, y: str, maximise_y: bool = False) -> list[dict[str, Any]]:
    """The points no other point beats on both plotted axes (smaller x is better; smaller y,
    or larger with `maximise_y`), by x: the staircase a planner reads off the chart."""
    sign = -1.0 if maximise_y else 1.0
    pts = sorted((p for p in points if p.get(x) is not None and p.get(y) is not None),
                 key=lambda p: (p[x], sign * p[y]))
    front: list[dict[str, Any]] = []
    for p in pts:
        if not front or sign * p[y] < sign * front[-1][y]:
            front.append(p)
    return front


def cost_chart(points: list[dict[str, Any]]) -> go.Figure:
    """The simulated designs: annual cost (x, smaller is better) against the lower 95 % bound
    of throughput (y, larger is better), lead time in the hover; the designs on the Pareto
    front of all three in orange, the cost-throughput staircase through the undominated
    points of these two axes only, the as-is layout as a labelled star."""
    fig = go.Figure()
    x, y = "annual_cost", "throughput_low"
    pts = [p for p in points if p.get(x) is not None and p.get(y) is not None]
    hover = [f"{p['label']}: lead time {p['lead_time']:,.0f} s" for p in pts]
    for name, colour, size, keep in (("simulated", "#4C78A8", 8, lambda p: not p["on_front"]),
                                     ("on the front (cost, throughput, lead time)", "#F58518", 10,
                                      lambda p: p["on_front"])):
        mine = [(p, h) for p, h in zip(pts, hover) if keep(p) and not p["as_is"]]
        if mine:
            fig.add_trace(go.Scatter(x=[p[x] for p, _ in mine], y=[p[y] for p, _ in mine], mode="markers", name=name,
                                     marker=dict(color=colour, size=size), hovertext=[h for _, h in mine],
                                     hoverinfo="text+x+y"))
    front = front_2d(pts, x, y, maximise_y=True)
    if len(front) > 1:
        fig.add_trace(go.Scatter(x=[p[x] for p in front], y=[p[y] for p in front], mode="lines",
                                 name="cost–throughput trade-off", line=dict(color="#D62728", shape="hv"),
                                 hoverinfo="skip"))
    for p, h in zip(pts, hover):
        if p["as_is"]:
            fig.add_trace(go.Scatter(x=[p[x]], y=[p[y]], mode="markers+text", name="as-is layout", text=["as-is"],
                                     textposition="top center", cliponaxis=False, hovertext=[h], hoverinfo="text+x+y",
                                     marker=dict(symbol="star", color="#111111", size=16,
                                                 line=dict(color="white", width=1))))
    fig.update_layout(xaxis_title="annual cost", yaxis_title="throughput, lower 95 % bound (units/h)", height=460,
                      margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", yanchor="top", y=-0.18, x=0))
    fig.update_xaxes(separatethousands=True)
    fig.update_yaxes(separatethousands=True)
    return fig


def pareto(points: list[dict[str, Any]], x: str, y: str, x_title: str | None = None,
           y_title: str | None = None) -> go.Figure:
    """Designs on two objectives (both minimised): screened-only and scheduled points, the
    front on these two axes as a staircase, the as-is layout as a labelled star; the legend
    sits under the plot so it hides no point."""
    fig = go.Figure()
    pts = [p for p in points if p.get(x) is not None and p.get(y) is not None]
    groups = (("screened", "#C7C7C7", 6, lambda p: not p.get("scheduled") and not p.get("as_is")),
              ("scheduled", "#4C78A8", 8, lambda p: p.get("scheduled") and not p.get("as_is")))
    for name, colour, size, keep in groups:
        mine = [p for p in pts if keep(p)]
        if mine:
            fig.add_trace(go.Scattergl(x=[p[x] for p in mine], y=[p[y] for p in mine], mode="markers", name=name,
                                       marker=dict(color=colour, size=size),
                                       hovertext=[p.get("label", "") for p in mine], hoverinfo="text+x+y"))
    front = front_2d([p for p in pts if not p.get("as_is")], x, y)
    if front:
        fig.add_trace(go.Scatter(x=[p[x] for p in front], y=[p[y] for p in front], mode="lines+markers",
                                 name="best trade-offs (Pareto front)", line=dict(color="#D62728", shape="hv"),
                                 marker=dict(color="#D62728", size=10),
                                 hovertext=[p.get("label", "") for p in front], hoverinfo="text+x+y"))
    base = [p for p in pts if p.get("as_is")]
    if base:
        fig.add_trace(go.Scatter(x=[base[0][x]], y=[base[0][y]], mode="markers+text", name="as-is layout",
                                 text=["as-is"], textposition="top center", cliponaxis=False,
                                 marker=dict(symbol="star", color="#111111", size=16, line=dict(color="white", width=1)),
                                 hoverinfo="text+x+y", hovertext=["as-is layout"]))
    fig.update_layout(xaxis_title=x_title or x, yaxis_title=y_title or y, height=460,
                      margin=dict(l=10, r=10, t=30, b=10),
                      legend=dict(orientation="h", yanchor="top", y=-0.18, x=0))
    fig.update_xaxes(separatethousands=True)
    fig.update_yaxes(separatethousands=True)
    return fig


def utilisation_chart(utilisation: dict[str, float], busiest: str | None = None) -> go.Figure:
    """Stations' utilisation in %, the busiest at the top, in red and named (a plan's busiest
    station; the running twin's charts name the bottleneck, `twin_charts`)."""
    order = sorted(utilisation.items(), key=lambda item: (-item[1], item[0]))
    names = [name for name, _ in order]
    values = [100.0 * value for _, value in order]
    colours = [hex_colour(COLORS["problem"]) if name == busiest else "#4C78A8" for name in names]
    labels = [f"{v:.1f} %" + ("  ← busiest" if name == busiest else "") for name, v in zip(names, values)]
    fig = go.Figure(go.Bar(x=values, y=names, orientation="h", marker_color=colours, text=labels,
                           textposition="outside", cliponaxis=False, hovertemplate="%{y}: %{x:.1f} %<extra></extra>"))
    fig.update_layout(height=max(220, 26 * len(names) + 80), margin=dict(l=10, r=10, t=10, b=10),
                      xaxis=dict(title="utilisation (%)", range=[0, max(100.0, *values) * 1.25] if values else [0, 100]),
                      yaxis=dict(categoryorder="array", categoryarray=names[::-1]), showlegend=False)
    return fig
