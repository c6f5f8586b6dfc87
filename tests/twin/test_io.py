"""Layout files: parsing, exact error messages, round trips, the JSON Schema."""
from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from twin.errors import LayoutError
from twin.io import (
    dump_layout,
    layout_from_data,
    layout_json_schema,
    load_layout,
    parse_layout,
    save_layout,
)


def messages(exc: LayoutError) -> list[str]:
    return [str(p) for p in exc.problems]


def test_loads_yaml_and_json(tmp_path, layout_data):
    yaml_file = tmp_path / "f.yaml"
    yaml_file.write_text(yaml.safe_dump(layout_data))
    json_file = tmp_path / "f.json"
    json_file.write_text(json.dumps(layout_data))
    assert load_layout(yaml_file) == load_layout(json_file)
    layout = load_layout(yaml_file)
    assert layout.station("cnc").footprint.width == 2.0
    assert layout.product("bracket").lots == [40, 40, 20]


@pytest.mark.parametrize("fmt,suffix", [("yaml", ".yaml"), ("json", ".json")])
def test_round_trip_loses_nothing(tmp_path, layout_data, fmt, suffix):
    layout = layout_from_data(layout_data)
    path = save_layout(layout, tmp_path / f"copy{suffix}")
    again = load_layout(path)
    assert again == layout
    assert parse_layout(dump_layout(again, fmt), f"x{suffix}") == layout


def test_conveyor_keeps_from_and_to_keys(layout_data):
    layout_data["transport"]["conveyors"] = [{"id": "c1", "from": "cnc", "to": "wash", "speed": 0.2}]
    layout = layout_from_data(layout_data)
    assert layout.transport.conveyors[0].from_station == "cnc"
    data = yaml.safe_load(dump_layout(layout))
    assert data["transport"]["conveyors"][0]["from"] == "cnc"


def test_save_is_atomic_and_keeps_old_file_on_failure(tmp_path, layout_data, monkeypatch):
    layout = layout_from_data(layout_data)
    path = save_layout(layout, tmp_path / "plant.yaml")
    before = path.read_text()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("twin.io.os.replace", broken)
    with pytest.raises(OSError):
        save_layout(layout.model_copy(update={"name": "other"}), path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["plant.yaml"]


@pytest.mark.parametrize(
    "edit,expected",
    [
        (lambda d: d["stations"][1]["footprint"].update(width=0), "stations[1].footprint.width: must be positive"),
        (lambda d: d["stations"][0]["footprint"].update(depth=-2), "stations[0].footprint.depth: must be positive"),
        (lambda d: d["stations"][0].update(colour="red"), "stations[0].colour: unknown field"),
        (lambda d: d["floor"].update(width="wide"), "floor.width: must be a number, got 'wide'"),
        (lambda d: d["stations"][0].update(kind="oven"),
         "stations[0].kind: must be one of 'machine', 'robot_cell', 'manual', 'inspection' or 'buffer', got 'oven'"),
        (lambda d: d["products"][0].update(demand=0), "products[0].demand: must be at least 1"),
        (lambda d: d["products"][0]["routing"][0].update(time=-1), "products[0].routing[0].time: must be positive"),
        (lambda d: d["products"][0].update(release=-5), "products[0].release: must not be negative"),
        (lambda d: d["stations"][0].update(capacity=1.5), "stations[0].capacity: must be a whole number, got 1.5"),
        (lambda d: d["stations"][0].update(rotation=45), "stations[0].rotation: must be one of 0, 90, 180 or 270, got 45"),
        (lambda d: d.pop("floor"), "floor: required field is missing"),
        (lambda d: d["stations"][0].update(id="bad id!"),
         "stations[0].id: may contain only letters, digits, '_', '-' and '.'"),
        (lambda d: d["transport"]["agv"].update(speed=0), "transport.agv.speed: must be at least 0.01"),
        (lambda d: d.update(products=[]), "products: must list at least 1 item, got 0"),
        (lambda d: d["stations"][2]["cell"]["tasks"][0]["waypoints"].pop(),
         "stations[2].cell.tasks[0].waypoints: must list at least 2 items, got 1"),
    ],
)
def test_structural_errors_name_path_and_reason(layout_data, edit, expected):
    edit(layout_data)
    with pytest.raises(LayoutError) as info:
        layout_from_data(layout_data)
    assert expected in messages(info.value)


def test_every_structural_problem_is_reported_at_once(layout_data):
    layout_data["stations"][0]["footprint"]["width"] = 0
    layout_data["stations"][2]["height"] = -1
    layout_data["products"][1]["lot_size"] = 0
    with pytest.raises(LayoutError) as info:
        layout_from_data(layout_data)
    assert messages(info.value) == [
        "stations[0].footprint.width: must be positive",
        "stations[2].height: must be positive",
        "products[1].lot_size: must be at least 1",
    ]


@pytest.mark.parametrize(
    "name,text,expected",
    [
        ("broken.yaml", "name: x\nfloor:\n  width: [1, 2\n  depth: 3\n",
         "line 4, column 8: invalid YAML: expected ',' or ']', but got ':'"),
        ("broken.json", '{"name": "x",\n "floor": }', "line 2, column 11: invalid JSON: Expecting value"),
    ],
)
def test_malformed_file_names_file_line_and_column(tmp_path, name, text, expected):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(LayoutError) as info:
        load_layout(path)
    assert str(info.value) == f"{path}: {expected}"


def test_not_a_mapping_and_missing_file(tmp_path):
    with pytest.raises(LayoutError, match="must hold a mapping of fields"):
        parse_layout("- a\n- b\n")
    with pytest.raises(LayoutError) as info:
        load_layout(tmp_path / "nope.yaml")
    assert str(info.value) == f"{tmp_path / 'nope.yaml'}: file not found"


def test_schema_accepts_valid_and_rejects_unknown_fields(layout_data):
    schema = layout_json_schema()
    jsonschema.validate(layout_data, schema)
    layout_data["stations"][0]["colour"] = "red"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(layout_data, schema)


def test_shipped_schema_file_is_current():
    from pathlib import Path

    shipped = json.loads((Path(__file__).resolve().parents[2] / "layouts" / "layout.schema.json").read_text())
    assert shipped == layout_json_schema()


def test_candidate_copy_moves_only_what_it_names(layout_data):
    layout = layout_from_data(layout_data)
    moved = layout.with_placements({"cnc": ((6.0, 3.0), 90)})
    assert moved.station("cnc").position == (6.0, 3.0) and moved.station("cnc").rotation == 90
    assert moved.station("wash") == layout.station("wash")
    assert layout.station("cnc").position == (4.0, 6.0)
    assert moved.transport == layout.transport and moved.products == layout.products
    assert [s.id for s in moved.stations] == [s.id for s in layout.stations]


def test_saved_file_has_normal_permissions(tmp_path, layout_data):
    import os

    umask = os.umask(0o022)
    try:
        path = save_layout(layout_from_data(layout_data), tmp_path / "plant.yaml")
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_failing_only_item_is_reported_not_the_list_length(layout_data):
    layout_data["stations"] = [layout_data["stations"][0]]
    layout_data["stations"][0]["footprint"]["width"] = 0
    with pytest.raises(LayoutError) as info:
        layout_from_data(layout_data)
    assert messages(info.value) == ["stations[0].footprint.width: must be positive",
                                    "products[0].routing[2].stations: no station 'cell'"]


def test_an_empty_field_is_named_in_plain_words(layout_data):
    """A blank field (a cleared cell in the app arrives as None) says what to give, not
    'got None'."""
    layout_data["stations"][0]["footprint"]["width"] = None
    layout_data["stations"][1]["kind"] = None
    layout_data["products"][0]["demand"] = None
    with pytest.raises(LayoutError) as info:
        layout_from_data(layout_data)
    assert [str(p) for p in info.value.problems] == [
        "stations[0].footprint.width: is empty: give a number",
        "stations[1].kind: is empty: choose one of 'machine', 'robot_cell', 'manual', 'inspection' or 'buffer'",
        "products[0].demand: is empty: give a whole number",
    ]
