"""The Gantt chart shows each vehicle's loaded trips and empty runs, from a schedule document."""
from __future__ import annotations

from factory_app.charts import gantt, vehicle_rows


def document() -> dict:
    """Two lots, one AGV: it drives empty from home to A (3..5), carries J1 A->B (5..15), drives
    empty B->C (15..19), carries J2 C->D (19..29); a conveyor trip names no vehicle."""
    op = {"product": "p", "lot": 0, "lane": 0, "changeover": 0.0}
    trip = {"mover": "agv", "distance": 8.0}
    return {
        "operations": [
            {**op, "job": "J1", "operation": "a", "station": "A", "start": 0.0, "end": 5.0},
            {**op, "job": "J1", "operation": "b", "station": "B", "start": 15.0, "end": 20.0},
            {**op, "job": "J2", "operation": "c", "station": "C", "start": 0.0, "end": 5.0},
            {**op, "job": "J2", "operation": "d", "station": "D", "start": 29.0, "end": 34.0},
        ],
        "transports": [
            {**trip, "job": "J1", "from": "A", "to": "B", "start": 5.0, "end": 15.0, "vehicle": 0, "empty_from": "H",
             "empty_start": 3.0, "empty_end": 5.0},
            {**trip, "job": "J2", "from": "C", "to": "D", "start": 19.0, "end": 29.0, "vehicle": 0, "empty_from": "B",
             "empty_start": 15.0, "empty_end": 19.0},
            {"job": "J3", "from": "A", "to": "C", "start": 0.0, "end": 2.0, "mover": "conveyor", "distance": 2.0},
        ],
    }


def test_vehicle_legs_in_time_order():
    assert [(r["row"], r["leg"], r["start"], r["end"]) for r in vehicle_rows(document())] == [
        ("agv 0", "empty", 3.0, 5.0), ("agv 0", "loaded", 5.0, 15.0),
        ("agv 0", "empty", 15.0, 19.0), ("agv 0", "loaded", 19.0, 29.0),
    ]


def test_gantt_draws_loaded_and_empty_legs_on_the_vehicle_row():
    fig = gantt(document())
    bars = {t.name: t for t in fig.data}
    assert list(bars["loaded trip"].base) == [5.0, 19.0] and list(bars["loaded trip"].x) == [10.0, 10.0]
    assert list(bars["empty run"].base) == [3.0, 15.0] and list(bars["empty run"].x) == [2.0, 4.0]
    assert set(bars["loaded trip"].y) == set(bars["empty run"].y) == {"agv 0"}
    assert "empty B → C" in bars["empty run"].hovertext[1]
    assert list(fig.layout.yaxis.categoryarray) == ["agv 0", "D", "C", "B", "A"]
