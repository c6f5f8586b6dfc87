"""The command clock: stages, progress with an estimate, and a time limit that stops the work
at the next step, saying where the time went. Time is moved by hand, so nothing here depends
on the machine's speed."""
from __future__ import annotations

import pytest

import twin.clock as clock_module
from twin.clock import CommandClock, TimeLimitReached
from twin.errors import NoFeasibleSchedule
from twin.readers import parse_document


@pytest.fixture
def now(monkeypatch):
    """A hand-moved clock for `twin.clock`: now[0] seconds."""
    now = [1000.0]
    monkeypatch.setattr(clock_module, "monotonic", lambda: now[0])
    return now


def test_a_counted_stage_estimates_the_time_left_from_its_pace(now):
    clock = CommandClock()
    now[0] += 3.0
    clock.stage("measuring robot cells", total=10)
    assert clock.progress_line() == "measuring robot cells: 0 of 10 done (3 s elapsed)"  # no pace yet
    now[0] += 8.0
    clock.step()
    clock.step()
    assert clock.estimate() == pytest.approx(32.0)  # 4 s a cell, 8 cells to go
    assert clock.progress_line() == "measuring robot cells: 2 of 10 done, about 32 s left (11 s elapsed)"


def test_a_stage_that_is_not_counted_is_bounded_by_the_time_limit(now):
    clock = CommandClock(time_limit=60.0)
    clock.stage("solving (180 operations)")
    now[0] += 15.0
    assert clock.progress_line() == "solving (180 operations): at most 45 s left (the time limit) (15 s elapsed)"
    assert CommandClock().progress_line() == "starting up (0 s elapsed)"


def test_the_limit_stops_the_work_at_the_next_step_and_says_where_the_time_went(now):
    clock = CommandClock(time_limit=10.0, first_stage="reading big.yaml")
    now[0] += 2.0
    clock.stage("validating the layout", total=3)
    now[0] += 1.0
    clock.step("references")
    clock.stage("measuring robot cells in physics", total=5)
    clock.step("stations[0] 'arm'")
    now[0] += 7.5
    with pytest.raises(TimeLimitReached) as info:
        clock.step("stations[3] 'gripper'")
    assert str(info.value) == (
        "the time limit of 10 s ran out while measuring robot cells in physics (stations[3] 'gripper'), 2 of 5 done; "
        "the time went to: reading big.yaml 2.0 s, validating the layout 1.0 s, measuring robot cells in physics "
        "7.5 s; give a longer time limit (robot-cell measurements are cached, so the next run starts faster)")
    assert isinstance(info.value, NoFeasibleSchedule) and info.value.exit_code == 3


def test_beginning_a_stage_never_stops_finished_work(now):
    """A solver that used its whole budget still gets its answer checked and written."""
    clock = CommandClock(time_limit=1.0)
    now[0] += 5.0
    clock.stage("checking the schedule")  # no exception
    with pytest.raises(TimeLimitReached):
        clock.check()


def test_reading_a_big_file_advances_the_clock_but_is_not_cut_short(monkeypatch):
    """The YAML and JSON readers report the characters parsed, for the progress line; a time
    limit does not stop them (the file size limit bounds reading), so a big broken file is
    always reported as broken, never as a time-out (found by benchmarks/broken_inputs.py)."""
    monkeypatch.setattr("twin.readers.CLOCK_EVERY", 10)
    stations = "".join(f"  - {{id: s{i}, kind: machine, footprint: {{width: 1, depth: 1}}}}\n" for i in range(50))
    text = "name: big\nfloor: {width: 20, depth: 10}\nstations:\n" + stations
    seen = []

    class Recording(CommandClock):
        def advance(self, done: int) -> None:
            seen.append((self.current, done))
            super().advance(done)

    assert len(parse_document(text, "big.yaml", clock=Recording())["stations"]) == 50
    assert seen and all(stage == "reading big.yaml" for stage, _ in seen)
    marks = [done for _, done in seen]
    assert marks == sorted(marks) and 0 < marks[-1] <= len(text)

    json_text = '{"name": "big", "stations": [' + ", ".join(f'{{"id": "s{i}"}}' for i in range(50)) + "]}"
    spent = CommandClock(time_limit=1e-9)
    assert len(parse_document(json_text, "big.json", clock=spent)["stations"]) == 50
    assert spent.current == "reading big.json" and spent.done > 0
