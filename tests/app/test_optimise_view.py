"""What the Optimise page shows of a search, without a browser: the Pareto chart's front on
the plotted axes, the as-is point, every screened layout; the leaderboard's as-is row, units
and rounding; a progress line whose clock runs while the search prepares."""
from __future__ import annotations

import itertools
from types import SimpleNamespace

from factory_app import leaderboard
from factory_app.charts import front_2d, pareto
from factory_app.jobs import SearchJob, describe


def _dominated(p, points, x, y) -> bool:
    return any(q[x] <= p[x] and q[y] <= p[y] and (q[x] < p[x] or q[y] < p[y]) for q in points)


def test_the_front_is_exactly_the_undominated_points_on_the_plotted_axes():
    grid = [{"a": a, "b": b, "c": (a * 7 + b * 3) % 5} for a, b in itertools.product(range(6), range(6))
            if (a * 3 + b * 5) % 7 < 3]
    for x, y in (("a", "b"), ("a", "c"), ("c", "b")):
        front = front_2d(grid, x, y)
        expected = {(p[x], p[y]) for p in grid if not _dominated(p, grid, x, y)}
        assert {(p[x], p[y]) for p in front} == expected
        assert [p[x] for p in front] == sorted(p[x] for p in front)  # a staircase, left to right
        assert all(b[y] < a[y] for a, b in zip(front, front[1:]))


def test_the_pareto_chart_marks_the_as_is_point_and_shows_screened_ones():
    points = [
        {"label": "as-is", "as_is": True, "scheduled": True, "floor_area": 5.0, "makespan": 5.0},
        {"label": "#1", "as_is": False, "scheduled": True, "floor_area": 1.0, "makespan": 4.0},
        {"label": "#2", "as_is": False, "scheduled": True, "floor_area": 2.0, "makespan": 6.0},  # dominated by #1
        {"label": "#3", "as_is": False, "scheduled": True, "floor_area": 3.0, "makespan": 2.0},
        {"label": "#4", "as_is": False, "scheduled": False, "floor_area": 0.5, "makespan": None},
        {"label": "#5", "as_is": False, "scheduled": False, "floor_area": 0.7, "makespan": None},
    ]
    fig = pareto(points, "floor_area", "makespan")
    traces = {t.name: t for t in fig.data}
    assert list(traces["best trade-offs (Pareto front)"].hovertext) == ["#1", "#3"]
    assert list(traces["as-is layout"].x) == [5.0] and traces["as-is layout"].marker.symbol == "star"
    assert fig.layout.legend.y < 0  # under the plot, over no point
    # on the screen's own metrics every screened layout is plotted, not only the scheduled ones
    fig = pareto([{**p, "flow_distance": 10.0 - i} for i, p in enumerate(points)], "floor_area", "flow_distance")
    assert sorted(len(t.x) for t in fig.data if t.name in ("screened", "scheduled")) == [2, 3]


def _row(seq, makespan=None, **more):
    values = dict(seq=seq, origin="qap", valid=True, flow_distance=173099.8672, floor_area=84.1234,
                  conveyor_length=None, schedule_status="ok" if makespan else None, makespan=makespan,
                  throughput=12.3456 if makespan else None, solver="cpsat" if makespan else None, travel=None,
                  is_baseline=seq == 0, dispatch_only=False, wall_clock_cut=False, ranked=bool(makespan))
    values.update(more)
    return SimpleNamespace(**values)


def test_the_leaderboard_starts_with_the_as_is_row_rounded_with_units():
    result = SimpleNamespace(baseline=_row(0, 22754.4), decision=None,
                             leaderboard=[_row(7, 21000.6), _row(0, 22754.4), _row(3, 21500.2)])
    rows = leaderboard.leaderboard(result)
    assert [r["design"] for r in rows] == ["as-is", "#7 (qap)", "#3 (qap)"]
    first = rows[0]
    assert first["makespan (s)"] == 22754 and first["flow distance (unit·m)"] == 173100
    assert first["floor area (m²)"] == 84.1 and first["throughput (units/h)"] == 12.3
    assert set(leaderboard.COLUMNS) >= {k for k in first if "(" in k and k != "95 % CI (units/h)"}


def test_the_screened_table_lists_the_best_by_flow_after_the_as_is_layout():
    rows = [_row(0), _row(2, flow_distance=50.0), _row(1, flow_distance=40.0), _row(3, valid=False, flow_distance=1.0)]
    table = leaderboard.screened_table(rows)
    assert [r["design"] for r in table] == ["as-is", "#1 (qap)", "#2 (qap)"]


def _progress(**more):
    values = dict(stage="screen", screened=0, candidates=300, valid=0, scheduled=0, shortlist=10,
                  best_makespan=None, best_flow=None, elapsed=0.0, eta=None, simulated=0)
    values.update(more)
    return SimpleNamespace(**values)


def test_the_progress_clock_runs_between_the_searchs_reports():
    now = [100.0]
    job = SearchJob("x.yaml", None, None, clock=lambda: now[0])
    assert job.view().text == "Preparing the search (robot cells, routes) · 0 s"
    now[0] = 131.0
    assert job.view().text == "Preparing the search (robot cells, routes) · 31 s"
    job.progress = _progress(screened=120, valid=100, elapsed=2.0)
    now[0] = 175.0
    assert job.view().text == "Screening: screened 120/300 (100 valid) · scheduled 0/10 · 1 min 15 s"


def test_a_stopped_search_says_so_plainly():
    view = describe(_progress(screened=40), done=True, elapsed=12.0, stopped=True)
    assert view.text == "Stopped after 12 s: 40 of 300 screened, 0 scheduled."
    assert "factory-twin" not in view.text and "/" not in view.text


def test_the_utilisation_chart_is_sorted_by_value_in_percent_with_the_busiest_station_marked():
    from factory_app.charts import utilisation_chart

    fig = utilisation_chart({"a_saw": 0.25, "b_lathe": 0.9, "c_wash": 0.5}, busiest="b_lathe")
    [bars] = fig.data
    assert list(fig.layout.yaxis.categoryarray) == ["a_saw", "c_wash", "b_lathe"]  # the busiest drawn on top
    assert dict(zip(bars.y, bars.x)) == {"b_lathe": 90.0, "c_wash": 50.0, "a_saw": 25.0}
    marked = [name for name, colour in zip(bars.y, bars.marker.color) if colour != "#4C78A8"]
    assert marked == ["b_lathe"] and "← busiest" in bars.text[list(bars.y).index("b_lathe")]
    assert fig.layout.xaxis.title.text == "utilisation (%)"
