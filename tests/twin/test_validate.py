"""Whole-layout validation: each kind of problem with its exact message, and the CLI."""
from __future__ import annotations

import pytest
import yaml

from optimizer.cli import main
from twin.errors import LayoutError
from twin.io import layout_from_data
from twin.validate import layout_problems, validate_layout


def problems_of(data: dict) -> list[str]:
    return [str(p) for p in layout_problems(layout_from_data(data))]


def test_the_small_layout_is_valid(layout_data, physics):
    layout = layout_from_data(layout_data)
    assert validate_layout(layout, None, physics) is layout


@pytest.mark.parametrize(
    "edit,expected",
    [
        (lambda d: d["stations"][1].update(id="cnc"), "stations[0].id: duplicate id 'cnc'"),
        (lambda d: d["products"][1].update(id="bracket"), "products[0].id: duplicate id 'bracket'"),
        (lambda d: d["floor"]["docks"][1].update(id="cell"), "floor.docks[1].id: id 'cell' is also a station's"),
        (lambda d: d["products"][0]["routing"][0].update(stations=["lathe"]), "products[0].routing[0].stations: no station 'lathe'"),
        (lambda d: d["products"][0]["routing"][1].update(station_kind="manual"),
         "products[0].routing[1].station_kind: no station of kind 'manual' can do it"),
        (lambda d: d["products"][0]["routing"][0].update(station_kind="machine"),
         "products[0].routing[0]: give either stations or station_kind"),
        (lambda d: d["products"][0]["routing"][0].pop("time"),
         "products[0].routing[0]: give time (seconds per unit) or task (a robot-cell task)"),
        (lambda d: d["products"][0]["routing"][2].update(stations=["cell", "wash"]),
         "products[0].routing[2].time: station 'wash' is not a robot cell: give a time for the stations that do "
         "it by hand or machine"),
        (lambda d: d["products"][0]["routing"][2].update(time=4.0),
         "products[0].routing[2].time: every station that can do it is a robot cell: its time comes from the "
         "task's physics, not from the file"),
        (lambda d: d["products"][0]["routing"][2].update(task="weld"),
         "products[0].routing[2].task: station 'cell' has no robot task 'weld'"),
        (lambda d: d["changeovers"][0].update(stations=["press"]), "changeovers[0].stations: no station 'press'"),
        (lambda d: d["changeovers"][0].update(to_family="wood"), "changeovers[0].to_family: no product has family 'wood'"),
        (lambda d: d["transport"].update(conveyors=[{"id": "c", "from": "cnc", "to": "oven"}]),
         "transport.conveyors[0].to: no station 'oven'"),
        (lambda d: d["transport"]["agv"].update(home="garage"), "transport.agv.home: no station or dock 'garage'"),
        (lambda d: d["transport"].update(conveyors=[{"id": "c1", "from": "cnc", "to": "wash"},
                                                    {"id": "c2", "from": "cnc", "to": "wash", "speed": 0.5}]),
         "transport.conveyors[1]: conveyor 'c1' already links 'cnc' to 'wash'"),
        (lambda d: d["stations"][0].update(position=[0.5, 6.0]),
         "stations[0].position: station 'cnc' reaches outside the floor (20 x 12 m)"),
        (lambda d: d["stations"][0].update(position=[9.5, 6.5]), "stations[1].position: station 'wash' overlaps station 'cnc'"),
        (lambda d: d["stations"][1].update(position=[10.0, 9.5]), "stations[1].position: station 'wash' overlaps keep-out zone 'col1'"),
        (lambda d: d["stations"][2].pop("cell"), "stations[2].cell: a robot_cell station needs a cell (robot, fixtures, tasks)"),
        (lambda d: d["stations"][0].update(input_port=[3.0, 0.0]), "stations[0].input_port: must lie within the station's footprint"),
        (lambda d: d["products"][0].update(release=4000.0), "products[0].due: must be later than release (4000 s)"),
        (lambda d: d["stations"][0].update(mtbf=3600.0), "stations[0].mttr: mtbf and mttr go together"),
        (lambda d: d["floor"]["docks"][0].update(position=[-3.0, 6.0]), "floor.docks[0].position: lies outside the floor"),
    ],
)
def test_each_problem_is_named(layout_data, edit, expected):
    edit(layout_data)
    assert expected in problems_of(layout_data)


def test_walled_in_station_is_unreachable(layout_data):
    # three walls and the floor edge box the CNC in
    layout_data["floor"]["keep_out"] = [
        {"id": "w1", "kind": "wall", "x": 0.0, "y": 3.0, "width": 7.0, "depth": 0.3},
        {"id": "w2", "kind": "wall", "x": 0.0, "y": 8.7, "width": 7.0, "depth": 0.3},
        {"id": "w3", "kind": "wall", "x": 6.7, "y": 3.0, "width": 0.3, "depth": 6.0},
    ]
    layout_data["floor"]["docks"][0]["position"] = [0.0, 1.0]
    assert problems_of(layout_data) == [
        "stations[0]: station 'cnc' is unreachable (input port): no aisle of 1.5 m leads to it"
    ]


def test_validate_layout_raises_with_all_problems(layout_data, physics):
    layout_data["stations"][1]["id"] = "cnc"
    layout_data["products"][0]["routing"][0]["stations"] = ["lathe"]
    with pytest.raises(LayoutError) as info:
        validate_layout(layout_from_data(layout_data), None, physics, "f.yaml")
    assert str(info.value).splitlines() == [
        "f.yaml: 2 problems",
        "  stations[0].id: duplicate id 'cnc'",
        "  products[0].routing[0].stations: no station 'lathe'",
    ]


def test_cli_validate_exit_codes(tmp_path, layout_data, capsys):
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(layout_data))
    assert main(["validate", str(good)]) == 0
    assert "valid layout 'small': 3 stations (3 placed), 2 products, 4 lots" in capsys.readouterr().out
    layout_data["stations"][0]["footprint"]["width"] = 0
    layout_data["stations"][1]["id"] = "cnc"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(layout_data))
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    # the model's problem and the duplicate id (a check on plain data) come in one round
    assert err.splitlines() == [f"{bad}: 2 problems", "  stations[0].footprint.width: must be positive",
                                "  stations[0].id: duplicate id 'cnc'"]
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [\n")
    assert main(["validate", str(broken)]) == 2
    assert "line 2, column 1: invalid YAML" in capsys.readouterr().err


def test_cli_validate_and_schedule_refuse_an_unguarded_robot_reaching_into_the_aisle(tmp_path, layout_data, capsys):
    layout_data["stations"][2]["footprint"] = {"width": 1.6, "depth": 1.6}
    path = tmp_path / "unsafe.yaml"
    path.write_text(yaml.safe_dump(layout_data))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{path}: 1 problem"
    assert err[1].startswith("  stations[2]: reach envelope of cell (panda, 0.9")
    assert "leaves its footprint into the aisle by" in err[1]
    assert main(["schedule", str(path), "--out", str(tmp_path / "s.json")]) == 2
    assert "reach envelope of cell" in capsys.readouterr().err
    layout_data["stations"][2]["guarded"] = True
    path.write_text(yaml.safe_dump(layout_data))
    assert main(["validate", str(path)]) == 0


@pytest.mark.parametrize("guarded", [False, True])
def test_cli_validate_checks_a_robot_file_without_starting_physics(tmp_path, layout_data, capsys, monkeypatch,
                                                                   guarded):
    import twin.physics.client

    def no_physics(*args, **kwargs):
        raise AssertionError("validate started a physics client")

    monkeypatch.setattr(twin.physics.client.PhysicsClient, "__init__", no_physics)
    (tmp_path / "arm.urdf").write_text("")
    layout_data["stations"][2]["cell"]["robot"] = "arm.urdf"
    layout_data["stations"][2]["guarded"] = guarded
    path = tmp_path / "f.yaml"
    path.write_text(yaml.safe_dump(layout_data))
    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().err.splitlines() == [f"{path}: 1 problem",
                                                    "  stations[2].cell.robot: robot file 'arm.urdf' is empty"]
    monkeypatch.undo()
    for command in (["schedule", str(path), "--out", str(tmp_path / "s.json")],
                    ["simulate", str(path)],
                    ["render", str(path), "--out", str(tmp_path / "f.png")],
                    ["optimize", str(path), "--candidates", "5", "--out", str(tmp_path / "run")]):
        assert main(command) == 2, command
        out = capsys.readouterr()
        assert "stations[2].cell.robot: robot file 'arm.urdf' is empty" in out.out + out.err, command
        assert "Traceback" not in out.out + out.err


def test_cli_a_urdf_pybullet_cannot_load_is_a_message_naming_the_station_and_file(tmp_path, layout_data, capsys):
    urdf = (tmp_path / "arm.urdf")
    urdf.write_text('<robot name="x"><link name="base"/><joint name="j" type="revolute"><parent link="base"/>'
                    '<child link="missing"/><axis xyz="0 0 1"/><limit lower="-1" upper="1" effort="1" velocity="1"/>'
                    '</joint></robot>')
    layout_data["stations"][2]["cell"]["robot"] = "arm.urdf"
    layout_data["stations"][2]["guarded"] = True
    path = tmp_path / "f.yaml"
    path.write_text(yaml.safe_dump(layout_data))
    assert main(["simulate", str(path)]) == 2
    out = capsys.readouterr()
    assert "stations[2].cell.robot: robot file 'arm.urdf': PyBullet cannot load it" in out.out + out.err
    assert "Traceback" not in out.out + out.err


FIVE_MISTAKES = """
name: five
floor: {width: 20, depth: 12, grid: 1.0, aisle_width: 1.5}
stations:
  - {id: cut, kind: machine, footprint: {width: -2, depth: 2}, position: [4, 6]}
  - {id: weld, kind: machine, footprint: {width: 2, depth: 2}, position: [30, 6]}
  - {id: check, kind: inspection, footprint: {width: 2, depth: 2}, position: [16, 6]}
  - {id: check2, kind: inspection, footprint: {width: 2, depth: 2}, position: [16.5, 6]}
products:
  - id: bracket
    family: steel
    demand: 4
    lot_size: 2
    routing:
      - {id: cut, stations: [cutx], time: 20}
      - {id: weld, stations: [weld], time: 30}
      - {id: check, station_kind: inspection, time: -10}
"""


def test_a_file_with_five_mistakes_reports_all_five_in_one_pass():
    """Two number errors the model refuses, a reference, a station off the floor and an
    overlap: the placement of the well-formed stations is checked in the same round."""
    with pytest.raises(LayoutError) as info:
        layout_from_data(yaml.safe_load(FIVE_MISTAKES))
    assert sorted(str(p) for p in info.value.problems) == sorted([
        "stations[0].footprint.width: must be positive",
        "products[0].routing[2].time: must be positive",
        "products[0].routing[0].stations: no station 'cutx'",
        "stations[1].position: station 'weld' reaches outside the floor (20 x 12 m)",
        "stations[3].position: station 'check2' overlaps station 'check'",
    ])


def pocket_layout() -> dict:
    """Two lines: a1 feeds b1 and a2 feeds b2 by conveyor, and a lot may take either line at
    each step. a1's output port and b1's input port face a pocket between them at the floor's
    edge, open only at the top; the 4 x 2 m column `col` closes that opening, so an AGV cannot
    carry a lot a1 -> b2 or a2 -> b1, although every port the AGVs serve opens onto the aisles."""
    def machine(station_id: str, x: float, y: float, depth: float) -> dict:
        return {"id": station_id, "kind": "machine", "footprint": {"width": 2.0, "depth": depth}, "position": [x, y]}

    return {
        "name": "pocket",
        "floor": {"width": 14.0, "depth": 10.0, "grid": 1.0, "aisle_width": 1.5,
                  "keep_out": [{"id": "col", "kind": "column", "x": 4.0, "y": 3.0, "width": 4.0, "depth": 2.0}],
                  "docks": [{"id": "in", "kind": "receiving", "position": [0.0, 5.0]},
                            {"id": "out", "kind": "shipping", "position": [14.0, 5.0]}]},
        "stations": [machine("a1", 3, 2, 4.0), machine("b1", 9, 2, 4.0), machine("a2", 3, 8, 2.0),
                     machine("b2", 9, 8, 2.0)],
        "transport": {"conveyors": [{"id": "c1", "from": "a1", "to": "b1"}, {"id": "c2", "from": "a2", "to": "b2"}]},
        "products": [{"id": "p", "family": "f", "demand": 10, "lot_size": 5, "routing": [
            {"id": "s1", "stations": ["a1", "a2"], "time": 10.0}, {"id": "s2", "stations": ["b1", "b2"], "time": 10.0}]}],
    }


def test_a_zone_that_closes_the_only_aisle_is_named_with_the_legs_it_cuts():
    data = pocket_layout()
    assert problems_of(data) == ["floor.keep_out[0]: keep-out zone 'col' closes the only aisle for a1 -> b2, "
                                 "a2 -> b1: no transport route is left for them"]
    # the plan refuses the same legs (its own check), so the layout check is not stricter than the plan
    from twin.graph import transport_legs
    from optimizer.problem import build_problem

    with pytest.raises(LayoutError, match=r"products\[0\]\.routing\[1\]: no transport route a1 -> b2, a2 -> b1"):
        build_problem(layout_from_data(data), transport_legs(layout_from_data(data)), {})
    data["floor"]["keep_out"] = []
    assert problems_of(data) == []


def test_legs_cut_by_stations_are_named_at_the_routing_step():
    # a third line's station placed where the column was closes the pocket: no zone to blame
    data = pocket_layout()
    data["floor"]["keep_out"] = []
    data["stations"].append({"id": "plug", "kind": "manual", "footprint": {"width": 4.0, "depth": 2.0},
                             "position": [6.0, 4.0]})
    assert problems_of(data) == ["products[0].routing[1]: no transport route a1 -> b2, a2 -> b1"]
