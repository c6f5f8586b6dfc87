"""Operator pools and shift calendars in the layout file: the calendar's stretches worked out
by hand, and every bad value named by its field path."""
from __future__ import annotations

import copy
import math

import pytest

from twin.errors import LayoutError
from twin.io import dump_layout, layout_from_data, parse_layout
from twin.model import OperatorPool
from twin.shifts import manned_pools, pool_calendar
from twin.validate import layout_problems

TWO_SHIFTS = [{"start": "06:00", "end": "14:00", "breaks": [{"start": "10:00", "end": "10:30"}]},
              {"start": "14:00", "end": "22:00", "breaks": [{"start": "18:00", "end": "18:30"}]}]


def pool(**fields) -> OperatorPool:
    return OperatorPool.model_validate({"id": "crew", "size": 2, "kinds": ["manual"], **fields})


def test_two_shifts_with_breaks_from_a_six_o_clock_start():
    calendar = pool(shifts=TWO_SHIFTS).model_copy()
    cal = pool_calendar(calendar, "06:00")
    # 06:00-10:00, 10:30-18:00 (the hand-over at 14:00 does not stop work), 18:30-22:00
    assert cal.period == 86_400
    assert cal.windows == ((0.0, 14_400.0), (16_200.0, 43_200.0), (45_000.0, 57_600.0))
    assert cal.longest == 27_000.0
    assert cal.next_fit(0.0, 14_400.0) == 0.0
    assert cal.next_fit(0.0, 14_401.0) == 16_200.0  # does not fit before the first break
    assert cal.next_fit(57_000.0, 3_600.0) == 86_400.0  # the next morning
    assert cal.next_fit(0.0, 27_001.0) is None
    assert cal.stretch_end(20_000.0) == 43_200.0 and cal.stretch_end(15_000.0) is None
    assert cal.on_shift_seconds(0.0, 2 * 86_400.0) == 2 * 15 * 3_600.0


def test_midnight_shifts_join_across_days_and_a_weekly_pattern():
    night = pool(shifts=[{"start": "22:00", "end": "24:00"}, {"start": "00:00", "end": "06:00"}])
    cal = pool_calendar(night, "00:00")
    assert cal.windows == ((0.0, 21_600.0), (79_200.0, 86_400.0))
    assert cal.longest == 8 * 3_600.0  # 22:00 to 06:00 in one stretch
    assert list(zip(range(2), cal.stretches(0.0))) == [(0, (-7_200.0, 21_600.0)), (1, (79_200.0, 108_000.0))]
    weekdays = pool(shifts=[{"start": "08:00", "end": "16:00", "days": ["mon", "tue", "wed", "thu", "fri"]}])
    cal = pool_calendar(weekdays, "sat 08:00")  # t = 0 on a Saturday: nobody until Monday 08:00
    assert cal.period == 7 * 86_400
    assert cal.next_fit(0.0, 60.0) == 2 * 86_400.0
    assert cal.on_shift_seconds(0.0, 7 * 86_400.0) == 5 * 8 * 3_600.0
    always = pool_calendar(pool(), "00:00")
    assert always.longest == math.inf and always.next_fit(123.0, 1e9) == 123.0


def operators_layout(layout_data: dict, **operators) -> dict:
    layout_data["stations"].append({"id": "bench", "kind": "manual", "footprint": {"width": 1.0, "depth": 1.0},
                                    "position": [7.0, 2.0]})
    layout_data["products"][1]["routing"].append({"id": "pack", "stations": ["bench"], "time": 30.0})
    layout_data["operators"] = {"time_zero": "06:00",
                                "pools": [{"id": "packers", "size": 1, "kinds": ["manual"],
                                           "shifts": copy.deepcopy(TWO_SHIFTS)}],
                                **operators}
    return layout_data


def test_operators_round_trip_and_old_files_need_nobody(layout_data):
    assert manned_pools(layout_from_data(layout_data)) == {}
    assert "operators" not in dump_layout(layout_from_data(layout_data))
    data = operators_layout(layout_data)
    layout = layout_from_data(data)
    assert layout_problems(layout) == []
    assert parse_layout(dump_layout(layout)) == layout
    assert manned_pools(layout) == {"bench": ("packers",)}


@pytest.mark.parametrize(
    "edit,expected",
    [
        (lambda o: o["pools"][0]["shifts"][0].update(end="25:00"),
         "operators.pools[0].shifts[0].end: '25:00' is outside the day (00:00 to 24:00)"),
        (lambda o: o["pools"][0]["shifts"][1].update(start="14:00", end="13:00"),
         "operators.pools[0].shifts[1].end: must be later than the start (14:00); a night shift is two shifts, "
         "22:00-24:00 and 00:00-06:00"),
        (lambda o: o["pools"][0]["shifts"][0]["breaks"][0].update(start="13:50", end="14:20"),
         "operators.pools[0].shifts[0].breaks[0]: 13:50-14:20 lies outside its shift 06:00-14:00"),
        (lambda o: o["pools"][0]["shifts"][0]["breaks"].append({"start": "10:15", "end": "10:45"}),
         "operators.pools[0].shifts[0].breaks[1]: overlaps break 0"),
        (lambda o: o["pools"][0]["shifts"][1].update(start="13:00"),
         "operators.pools[0].shifts[1]: overlaps shift 0 (06:00-14:00)"),
        (lambda o: o["pools"][0].update(kinds=[], stations=["lathe"]), "operators.pools[0].stations: no station 'lathe'"),
        (lambda o: o["pools"][0].update(kinds=[], stations=["cnc"]),
         "stations[3]: manual station 'bench' needs an operator: no pool in operators.pools can run it"),
        (lambda o: o["pools"][0].update(kinds=[]),
         "operators.pools[0]: give the stations or the kinds of station this pool can run"),
        (lambda o: o["pools"].append(dict(o["pools"][0])), "operators.pools[1].id: duplicate id 'packers'"),
        (lambda o: o.update(time_zero="fri 24:00"),
         "operators.time_zero: 'fri 24:00' is not a weekday (mon ... sun) and a time from 00:00 to 23:59"),
    ],
)
def test_each_operator_problem_is_named(layout_data, edit, expected):
    data = operators_layout(layout_data)
    edit(data["operators"])
    assert expected in [str(p) for p in layout_problems(layout_from_data(data))]


def test_a_lot_longer_than_every_stretch_is_refused(layout_data):
    data = operators_layout(layout_data)
    data["products"][1]["routing"][1]["time"] = 540.0  # 50 units: 27,000 s, the 10:30-18:00 stretch exactly
    assert layout_problems(layout_from_data(data)) == []
    data["products"][1]["routing"][1]["time"] = 541.0
    assert [str(p) for p in layout_problems(layout_from_data(data))] == [
        "products[1].routing[1]: a lot of 50 units takes 27050 s on 'bench', longer than the longest on-shift "
        "stretch (27000 s) of the operators who can run it"]


def test_a_clock_time_that_is_not_one_is_refused_by_the_model(layout_data):
    data = operators_layout(layout_data)
    data["operators"]["pools"][0]["shifts"][0]["start"] = "6am"
    with pytest.raises(LayoutError) as info:
        layout_from_data(data)
    assert [str(p) for p in info.value.problems] == [
        "operators.pools[0].shifts[0].start: must be a clock time 'HH:MM', got '6am'"]
