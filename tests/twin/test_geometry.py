"""Footprints under rotation, ports, gaps: the plane geometry everything else leans on."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin.geometry import Rect, input_port, output_port, station_rect
from twin.model import Footprint, Station


def machine(rotation: int = 0, **kw) -> Station:
    return Station(id="m", kind="machine", footprint=Footprint(width=4.0, depth=2.0), position=(10.0, 5.0),
                   rotation=rotation, **kw)


@pytest.mark.parametrize("rotation,size", [(0, (4, 2)), (90, (2, 4)), (180, (4, 2)), (270, (2, 4))])
def test_rotation_swaps_extent(rotation, size):
    rect = station_rect(machine(rotation))
    assert (rect.width, rect.depth) == size
    assert rect.centre == (10.0, 5.0)


@pytest.mark.parametrize("rotation,inp,out", [
    (0, (8.0, 5.0), (12.0, 5.0)),
    (90, (10.0, 3.0), (10.0, 7.0)),
    (180, (12.0, 5.0), (8.0, 5.0)),
    (270, (10.0, 7.0), (10.0, 3.0)),
])
def test_default_ports_turn_with_the_station(rotation, inp, out):
    station = machine(rotation)
    assert input_port(station) == pytest.approx(inp)
    assert output_port(station) == pytest.approx(out)


def test_custom_port_offsets():
    station = machine(90, input_port=(0.0, -1.0))
    assert input_port(station) == pytest.approx((11.0, 5.0))


def test_gap_and_overlap():
    a, b = Rect(0, 0, 2, 2), Rect(3, 0, 5, 2)
    assert not a.overlaps(b) and a.gap(b) == 1.0
    assert not a.overlaps(Rect(2, 0, 4, 2))  # touching edges do not overlap
    assert a.overlaps(Rect(1.9, 1.9, 3, 3))
    assert a.gap(Rect(5, 6, 6, 7)) == pytest.approx(5.0)


coords = st.floats(-50, 50, allow_nan=False)
sizes = st.floats(0.1, 10, allow_nan=False)


@given(coords, coords, sizes, sizes, coords, coords, sizes, sizes)
def test_gap_is_symmetric_and_zero_exactly_when_touching(x1, y1, w1, d1, x2, y2, w2, d2):
    a, b = Rect(x1, y1, x1 + w1, y1 + d1), Rect(x2, y2, x2 + w2, y2 + d2)
    assert a.gap(b) == pytest.approx(b.gap(a))
    assert a.overlaps(b) == b.overlaps(a)
    if a.overlaps(b):
        assert a.gap(b) == 0.0
