"""The report's plain top view (matplotlib), drawn from the floor plan."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np

from optimizer.report import top_view_png
from twin.io import load_layout

ROOT = Path(__file__).resolve().parents[2]


def test_the_top_view_draws_every_station_dock_and_conveyor_exactly_once(tmp_path):
    layout = load_layout(ROOT / "layouts" / "electronics_assembly.yaml")
    # as SVG, each drawn item is a group named by its gid
    svg = top_view_png(layout, tmp_path / "plan.svg").read_text(encoding="utf-8")
    drawn = Counter(re.findall(r'<g id="((?:station|dock|conveyor):[^"]+)"', svg))
    expected = ([f"station:{s.id}" for s in layout.stations] + [f"dock:{d.id}" for d in layout.floor.docks]
                + [f"conveyor:{c.id}" for c in layout.transport.conveyors])
    assert drawn == Counter(expected)


def test_the_top_view_png_is_a_picture_in_the_kind_colours(tmp_path):
    from PIL import Image

    from twin.palette import KIND_COLORS

    layout = load_layout(ROOT / "layouts" / "electronics_assembly.yaml")
    image = np.asarray(Image.open(top_view_png(layout, tmp_path / "plan.png")).convert("RGB"), dtype=int)
    assert image.std() > 15
    for kind in {s.kind for s in layout.stations}:
        colour = np.round(np.array(KIND_COLORS[kind]) * 255).astype(int)
        assert (np.abs(image - colour).max(axis=2) <= 2).sum() > 500, kind  # a filled footprint of that colour
