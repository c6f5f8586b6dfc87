"""The Gantt chart shows each operator pool's on-shift stretches as a row of its own."""
from __future__ import annotations

from factory_app.charts import gantt


def test_operator_pools_get_a_row_of_on_shift_bars():
    doc = {"transports": [], "operations": [{"job": "p#0", "product": "p", "operation": "pack", "station": "bench", "lane": 0,
                           "start": 3600.0, "end": 5100.0, "changeover": 0.0, "operator_pool": "packers"}],
           "operators": [{"pool": "packers", "size": 2, "on_shift": [[0.0, 1800.0], [3600.0, 16200.0]]}]}
    fig = gantt(doc)
    (shifts,) = [t for t in fig.data if t.name == "on shift"]
    assert list(shifts.y) == ["operators: packers (2)"] * 2
    assert list(shifts.base) == [0.0, 3600.0] and list(shifts.x) == [1800.0, 12600.0]
    assert list(fig.layout.yaxis.categoryarray) == ["operators: packers (2)", "bench"]
    assert [t.name for t in gantt({"transports": [], "operations": doc["operations"]}).data] == ["p"]  # no pools, no row
