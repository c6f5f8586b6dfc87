"""The one colour table of every picture of a factory: the 3D scene, the floor-plan charts
in the app and the report's PNG all take their colours from here, so a machine is the same
blue everywhere and a legend in one view explains the others.

Colours are RGB triples in [0, 1] (what PyVista and matplotlib take); `hex_colour` gives
the '#rrggbb' form plotly and CSS want.
"""
from __future__ import annotations

RGB = tuple[float, float, float]


def _rgb(code: str) -> RGB:
    code = code.lstrip("#")
    return tuple(int(code[i:i + 2], 16) / 255.0 for i in (0, 2, 4))  # type: ignore[return-value]


def hex_colour(rgb: RGB) -> str:
    """'#rrggbb' of an RGB triple in [0, 1]."""
    return "#" + "".join(f"{round(min(max(c, 0.0), 1.0) * 255):02x}" for c in rgb)


# A muted palette (Tableau 10) that reads well on a light floor and in print.
KIND_COLORS: dict[str, RGB] = {
    "machine": _rgb("#4e79a7"),
    "robot_cell": _rgb("#f28e2b"),
    "manual": _rgb("#59a14f"),
    "inspection": _rgb("#b07aa1"),
    "buffer": _rgb("#9c755f"),
}
COLORS: dict[str, RGB] = {
    "floor": _rgb("#e4e7eb"),
    "floor_edge": _rgb("#4a525c"),
    "grid_minor": _rgb("#c3c9d1"),
    "grid_major": _rgb("#98a1ad"),
    "column": _rgb("#8d939c"),
    "wall": _rgb("#858a93"),
    "hazard": _rgb("#f2c230"),
    "receiving": _rgb("#2e9d5b"),
    "shipping": _rgb("#2b6cb0"),
    "aisle": _rgb("#f1e9c6"),
    "fixture": _rgb("#7a8794"),
    "belt": _rgb("#3b4047"),
    "belt_arrow": _rgb("#ffd23f"),
    "agv_route": _rgb("#e8702a"),
    "flow": _rgb("#6a5acd"),
    "unused": _rgb("#c8ccd2"),
    "input_port": _rgb("#2ca02c"),
    "output_port": _rgb("#d62728"),
    "problem": _rgb("#d62728"),
    "text": _rgb("#1f2933"),
}
# The running twin's station states, in every chart and the playback: work in greens,
# waiting in greys, hold-ups in warm colours.
STATE_COLORS: dict[str, RGB] = {
    "busy": _rgb("#2e9d5b"),
    "setup": _rgb("#8cd17d"),
    "idle": _rgb("#d4d8dd"),
    "starved": _rgb("#a0a7b1"),
    "blocked": _rgb("#f28e2b"),
    "down": _rgb("#d62728"),
    "unmanned": _rgb("#b07aa1"),
}
# Utilisation ramp, cool to hot (ColorBrewer RdYlBu reversed): 0 blue ... 1 red.
HEAT_STOPS: tuple[RGB, ...] = tuple(_rgb(c) for c in ("#2c7bb6", "#abd9e9", "#ffffbf", "#fdae61", "#d7191c"))


def heat_color(value: float) -> RGB:
    """The utilisation colour of a value in [0, 1] (clipped): blue when idle, red when busy."""
    v = min(max(float(value), 0.0), 1.0) * (len(HEAT_STOPS) - 1)
    i = min(int(v), len(HEAT_STOPS) - 2)
    t = v - i
    a, b = HEAT_STOPS[i], HEAT_STOPS[i + 1]
    return tuple(a[k] + (b[k] - a[k]) * t for k in range(3))  # type: ignore[return-value]
