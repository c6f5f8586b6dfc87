"""Bad input is refused up front with exit 2 and every message at once, never a run, a
traceback or a wrong answer with exit 0: `optimize` validates like `validate` (all but the
as-is placement), `schedule` refuses absurd numbers, and no schedule JSON holds NaN; the
classes found by benchmarks/broken_inputs.py each have a regression test here."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from optimizer.cli import main
from optimizer.schedule_json import WrongSchedule, schedule_json_text
from search_fixtures import tiny_layout_data

SAMPLES = Path(__file__).resolve().parents[2] / "layouts"


def _write(tmp_path, data: dict, name: str = "bad.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_optimize_refuses_five_mistakes_in_one_round_before_any_run_folder(tmp_path, capsys):
    data = tiny_layout_data()
    data["stations"].append(dict(data["stations"][0], position=[8.0, 3.0]))  # a second 'saw'
    data["stations"].append({"id": "arm", "kind": "robot_cell", "footprint": {"width": 2.0, "depth": 2.0}})
    data["products"][0]["routing"][1]["stations"] = ["lathe"]  # no such station
    del data["products"][1]["routing"][2]["time"]  # neither time nor task
    data["products"][1].update(release=500.0, due=100.0)  # due before release
    path = _write(tmp_path, data)
    out = tmp_path / "run"
    assert main(["optimize", str(path), "--out", str(out), "--quiet"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{path}: 5 problems",
        "  stations[0].id: duplicate id 'saw'",
        "  stations[6].cell: a robot_cell station needs a cell (robot, fixtures, tasks)",
        "  products[0].routing[1].stations: no station 'lathe'",
        "  products[1].due: must be later than release (500 s)",
        "  products[1].routing[2]: give time (seconds per unit) or task (a robot-cell task)",
    ]
    assert not out.exists()


def test_a_search_may_start_from_an_invalid_placement_but_not_a_broken_floor():
    from twin.io import layout_from_data
    from twin.validate import layout_problems, search_input_problems

    data = tiny_layout_data()
    data["stations"][0]["position"] = data["stations"][2]["position"]  # saw on top of drill
    layout = layout_from_data(data)
    assert [str(p) for p in layout_problems(layout)] == ["stations[2].position: station 'drill' overlaps station 'saw'"]
    assert search_input_problems(layout) == []
    data["floor"]["docks"][0]["position"] = [-5.0, 7.0]
    assert [str(p) for p in search_input_problems(layout_from_data(data))] == [
        "floor.docks[0].position: lies outside the floor"]


@pytest.mark.parametrize("edit,message", [
    (lambda d: d.update(tick=1e308), "tick: must be at most 3600, got 1e+308"),
    (lambda d: d["products"][0].update(weight=math.inf), "products[0].weight: must be a finite number, got inf"),
    (lambda d: d["products"][0]["routing"][0].update(time=math.inf),
     "products[0].routing[0].time: must be a finite number, got inf"),
    (lambda d: d["stations"][0].update(capacity=10**30),
     "stations[0].capacity: must be at most 100, got 1000000000000000000000000000000"),
])
def test_schedule_refuses_absurd_numbers_with_one_message(tmp_path, capsys, edit, message):
    data = tiny_layout_data()
    edit(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")  # json writes inf as Infinity, which Python reads back
    out = tmp_path / "schedule.json"
    assert main(["schedule", str(path), "--out", str(out), "--time-limit", "5"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") <= 2 and "Traceback" not in err
    assert not out.exists()


def test_a_schedule_document_with_nan_is_never_written():
    doc = {"version": 1, "kpis": {"makespan": 10.0, "throughput_per_hour": math.nan}}
    with pytest.raises(WrongSchedule) as info:
        schedule_json_text(doc)
    assert str(info.value) == "the schedule's kpis.throughput_per_hour is not a finite number; nothing was written"
    assert WrongSchedule.exit_code == 1
    doc["kpis"]["throughput_per_hour"] = 3.0
    assert json.loads(schedule_json_text(doc)) == doc


def _one_lot_each() -> dict:
    """The tiny factory with each product's demand in one lot: CP-SAT proves its optimum at
    once (the five lots of the tiny factory keep a gap open until the time limit), so a
    command given a generous limit is not kept waiting for it."""
    data = tiny_layout_data()
    for product in data["products"]:
        product["lot_size"] = product["demand"]
    return data


def test_a_schedule_that_fails_the_checker_is_not_written(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("optimizer.planning.check_schedule", lambda problem, schedule: ["a lot starts before its release"])
    path = _write(tmp_path, _one_lot_each(), "tiny.yaml")
    out = tmp_path / "schedule.json"
    assert main(["schedule", str(path), "--out", str(out), "--time-limit", "5"]) == 1
    assert capsys.readouterr().err == (
        "error: the schedule failed the independent check, so it is not written:\n  a lot starts before its release\n")
    assert not out.exists()


def _slowed(monkeypatch, module, name: str) -> None:
    """`module.name` made to take 0.5 s first: longer than the whole limit of the tests below,
    however fast the machine."""
    import time

    real = getattr(module, name)

    def slow(*args, **kwargs):
        time.sleep(0.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, slow)


def test_the_schedule_time_limit_bounds_the_whole_command(tmp_path, capsys, monkeypatch):
    """`--time-limit` counts from the command's start: when reading and validating the layout
    has used it up, the command stops with exit 3 and says where the time went, writing nothing."""
    import optimizer.planning as planning

    path = _write(tmp_path, _one_lot_each())
    out = tmp_path / "schedule.json"
    _slowed(monkeypatch, planning, "validate_layout")
    assert main(["schedule", str(path), "--out", str(out), "--time-limit", "0.2"]) == 3
    err = capsys.readouterr().err
    assert "error: the time limit of 0.2 s ran out while validating the layout (references, routings, robot cells and placement)" in err
    assert "Traceback" not in err and not out.exists()
    monkeypatch.undo()
    assert main(["schedule", str(path), "--out", str(out), "--time-limit", "20"]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert (doc["solver"], doc["status"]) == ("cpsat", "optimal")


def test_the_schedule_time_limit_counts_the_commands_start_up(tmp_path, capsys, monkeypatch):
    """The limit used to count from the `schedule` command's own code, after the parser had
    imported every subcommand's module (0.4-0.6 s), so `schedule` at its default 10 s took
    10.7-10.9 s of wall clock; the start-up is now the limit's first stage."""
    import optimizer.cli as cli

    path = _write(tmp_path, _one_lot_each())
    out = tmp_path / "schedule.json"
    _slowed(monkeypatch, cli, "build_parser")
    assert main(["schedule", str(path), "--out", str(out), "--time-limit", "0.3"]) == 3
    err = capsys.readouterr().err
    assert "error: the time limit of 0.3 s ran out while validating the layout" in err
    assert "the time went to: starting up 0.5 s" in err
    assert "Traceback" not in err and not out.exists()


def test_the_solver_stops_early_by_the_check_the_vehicles_and_what_the_caller_keeps_back(monkeypatch):
    """The command keeps `EXIT_SECONDS` for the interpreter's exit (0.3-0.4 s measured); the
    vehicle assignment's estimate is kept too, and the assignment runs, while it is at most a
    tenth of what is left."""
    from twin.clock import CommandClock

    import optimizer.planning as planning
    from optimizer.cli.schedule import EXIT_SECONDS
    from optimizer.problem import Alternative, Job, Operation, SchedulingProblem

    ops = tuple(Operation(f"op{k}", (Alternative("m", 1),)) for k in range(1000))
    problem = SchedulingProblem(jobs=(Job("lot", ops),), capacities={"m": 1})
    kept = 1000 * planning.CHECK_SECONDS_PER_OPERATION + EXIT_SECONDS  # 0.2 + 0.4 s
    for assignment, solver_gets, assigned in ((0.0, 10.0 - kept, True), (0.5, 10.0 - kept - 0.5, True),
                                              (2.0, 10.0 - kept, False)):
        monkeypatch.setattr(planning, "assignment_seconds", lambda problem: assignment)
        left, assign = planning._solver_seconds(problem, CommandClock(10.0), keep_back=EXIT_SECONDS)
        assert solver_gets - 0.1 < left <= solver_gets and assign is assigned


def test_simulate_refuses_a_layout_the_other_commands_refuse(tmp_path, capsys):
    """`simulate` used to measure the robot cells of a layout with a duplicate station or a
    routing to a missing station and exit 0; now it refuses it like `validate`, before physics."""
    data = yaml.safe_load((SAMPLES / "auto_parts.yaml").read_text(encoding="utf-8"))
    data["stations"][0]["position"][0] = -1.0
    data["products"][0]["routing"][0]["stations"] = ["nowhere"]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    assert main(["simulate", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"{path}: 2 problems", "  products[0].routing[0].stations: no station 'nowhere'",
        "  stations[0].position: station 'raw_stock' reaches outside the floor (30 x 14 m)"]
    assert captured.out == ""


@pytest.mark.parametrize("command", ["validate", "schedule", "simulate", "evaluate", "render", "optimize"])
def test_an_operation_without_time_or_task_is_a_message_in_a_layout_with_operators(tmp_path, capsys, command):
    """The operators' lot-fit check ran beside the reference check and raised TypeError on an
    operation with neither a time nor a task (the sample has operator shifts)."""
    data = yaml.safe_load((SAMPLES / "auto_parts.yaml").read_text(encoding="utf-8"))
    assert data.get("operators")
    del data["products"][0]["routing"][0]["time"]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    extra = {"schedule": ["--out", str(tmp_path / "s.json")], "render": ["--out", str(tmp_path / "r.png")],
             "optimize": ["--out", str(tmp_path / "run")]}.get(command, [])
    assert main([command, str(path), *extra]) == 2
    err = capsys.readouterr().err
    assert "products[0].routing[0]: give time (seconds per unit) or task (a robot-cell task)" in err
    assert "Traceback" not in err and not (tmp_path / "run").exists()


def test_render_names_a_robot_mesh_that_holds_no_shape(tmp_path, capsys):
    """Found by benchmarks/broken_inputs.py: a URDF whose mesh file is not a mesh loads in
    PyBullet (which ignores it) and then crashed `render` with numpy's ValueError."""
    urdf = ('<robot name="arm"><link name="base"/><link name="arm"><visual><geometry><mesh filename="junk.stl"/>'
            '</geometry></visual></link><joint name="j1" type="revolute"><parent link="base"/><child link="arm"/>'
            '<axis xyz="0 0 1"/><limit lower="-3" upper="3" effort="50" velocity="1.5"/></joint></robot>')
    (tmp_path / "arm.urdf").write_text(urdf, encoding="utf-8")
    (tmp_path / "junk.stl").write_bytes(b"solid junk\nendsolid junk\n")  # an STL without a triangle
    data = yaml.safe_load((SAMPLES / "auto_parts.yaml").read_text(encoding="utf-8"))
    robot = next(i for i, s in enumerate(data["stations"]) if s.get("cell"))
    data["stations"][robot]["cell"]["robot"] = "arm.urdf"
    path = _write(tmp_path, data)
    assert main(["render", str(path), "--out", str(tmp_path / "r.png")]) == 2
    err = capsys.readouterr().err
    assert (f"stations[{robot}].cell.robot: robot file 'arm.urdf' has a link mesh 'junk.stl' that holds no shape "
            "to draw (not a mesh file, or empty)") in err
    assert "Traceback" not in err and "ERROR" not in err and not (tmp_path / "r.png").exists()
    # bytes that are no STL at all are named before physics, by every command (a short time
    # limit ran out first in `schedule`, found by benchmarks/broken_inputs.py)
    (tmp_path / "junk.stl").write_bytes(bytes(range(256)) * 4)
    for command in (["validate"], ["schedule", "--time-limit", "1", "--out", str(tmp_path / "s.json")]):
        assert main([command[0], str(path), *command[1:]]) == 2
        err = capsys.readouterr().err
        assert (f"stations[{robot}].cell.robot: robot file 'arm.urdf' references 'junk.stl', which is not an STL "
                "mesh: it does not begin with 'solid'") in err, command
