"""The safe readers: bounded file reads, keys given twice, aliases, nesting (exact messages)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from twin.errors import InputError, LayoutError
from twin.io import load_layout, parse_layout
from twin.readers import parse_document


def refusal(text: str, source: str) -> str:
    with pytest.raises(LayoutError) as info:
        parse_document(text, source)
    return str(info.value)


def billion_laughs(levels: int = 9) -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


@pytest.mark.timeout(60)  # a guard against a hang only; expanding 10^10 values would never end
def test_billion_laughs_is_refused_before_expanding():
    assert refusal(billion_laughs(), "lol.yaml") == (
        "lol.yaml: the file holds more than 1,000,000 values (numbers, texts, lists, mappings) "
        "counting every alias expanded (setting FACTORY_TWIN_MAX_VALUES)")


def test_the_value_limit_is_a_setting(monkeypatch):
    assert parse_document(billion_laughs(4), "x.yaml")["a4"][0][0][0][0][0] == "lol"  # 10^5 values: allowed
    monkeypatch.setenv("FACTORY_TWIN_MAX_VALUES", "50000")
    assert "more than 50,000 values" in refusal(billion_laughs(4), "x.yaml")


def test_an_alias_that_contains_itself_is_refused():
    assert refusal("name: x\nloop: &a [1, *a]\n", "x.yaml") == (
        "x.yaml: line 2, column 7: an alias refers to the list or mapping that contains it (a loop)")


def test_aliases_that_expand_deep_are_refused():
    text = "a0: &a0 [1]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 30))
    assert "nested more than 20 levels deep (a layout needs at most 10) once its aliases are expanded" in refusal(text, "x.yaml")


def test_a_shared_routing_by_anchor_and_merge_keys_still_load(layout_data):
    text = yaml.safe_dump(layout_data, sort_keys=False)
    text = text.replace("  routing:\n", "  routing: &steps\n", 1)
    text = text.replace("  - id: mill\n      stations:\n      - cnc\n      time: 20.0\n", "")
    data = yaml.safe_load(text)
    data["products"][1]["routing"] = data["products"][0]["routing"]
    shared = yaml.safe_dump(data, sort_keys=False)  # pyyaml writes the shared list as an anchor and an alias
    assert "&id001" in shared and "*id001" in shared
    layout = parse_layout(shared, "x.yaml")
    assert layout.products[1].routing == layout.products[0].routing
    merged = parse_document("base: &b {width: 2.0, depth: 1.0}\nfoot: {<<: *b, depth: 3.0}\n", "m.yaml")
    assert merged["foot"] == {"width": 2.0, "depth": 3.0}


@pytest.mark.parametrize("name,text,where", [
    ("deep.yaml", "name: x\nfloor: " + "[" * 10_000 + "]" * 10_000 + "\n", "line 2, column 27"),
    ("deep.json", '{"name": "x",\n "floor": ' + "[" * 10_000 + "]" * 10_000 + "}", "line 2, column 30"),
])
def test_ten_thousand_nested_lists_give_a_message_not_a_recursion_error(name, text, where):
    assert refusal(text, name) == f"{name}: {where}: nested more than 20 levels deep (a layout needs at most 10)"


def test_nesting_is_checked_on_plain_data_too(layout_data):
    from twin.io import layout_from_data

    deep: list = []
    for _ in range(30):
        deep = [deep]
    layout_data["description"] = deep
    with pytest.raises(LayoutError) as info:
        layout_from_data(layout_data)
    assert str(info.value.problems[0]) == (
        "description" + "[0]" * 19 + ": nested more than 20 levels deep (a layout needs at most 10)")


def test_a_key_given_twice_names_the_key_and_both_lines(layout_data):
    text = "name: x\nproducts:\n- id: a\n  demand: 480\n  lot_size: 10\n  demand: 48\nname: y\n"
    assert refusal(text, "d.yaml") == ("d.yaml: 2 problems\n"
                                       "  line 6: key 'demand' is given twice (first on line 4)\n"
                                       "  line 7: key 'name' is given twice (first on line 1)")
    as_json = '{"name": "x",\n "products": [{"id": "a", "demand": 480,\n  "lot_size": 10, "demand": 48}]}'
    assert refusal(as_json, "d.json") == "d.json: line 3: key 'demand' is given twice (first on line 2)"
    # the same key in two different mappings is no duplicate
    assert parse_document(json.dumps(layout_data, indent=1), "ok.json") == layout_data


def test_huge_integers_are_a_message():
    assert refusal('{"name": ' + "9" * 5000 + "}", "n.json") == (
        "n.json: invalid JSON: a whole number has more than 4,300 digits")
    assert refusal("name: " + "9" * 5000 + "\n", "n.yaml") == (
        "n.yaml: invalid YAML: a whole number has more than 4,300 digits")


def test_a_control_character_is_a_message():
    # found by fuzzing the HTTP service: PyYAML refuses it before parsing starts
    assert refusal("name: a\x1f\n", "c.yaml") == "c.yaml: invalid YAML: character #x001f at position 7 is not allowed"


def load_message(path: Path | str) -> str:
    with pytest.raises(LayoutError) as info:
        load_layout(path)
    return str(info.value)


def test_files_that_are_not_layout_files_each_get_their_own_message(tmp_path, monkeypatch):
    if os.path.exists("/dev/urandom"):  # says its size is 0, and never ends
        assert load_message("/dev/urandom") == "/dev/urandom: not a regular file"
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)  # opening it would block until a writer came
    assert load_message(fifo) == f"{fifo}: not a regular file"
    assert load_message(tmp_path) == f"{tmp_path}: is a folder, not a file"
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    assert load_message(tmp_path / "a.yaml") == f"{tmp_path / 'a.yaml'}: a symbolic link loop"
    long_name = tmp_path / ("x" * 300 + ".yaml")
    assert load_message(long_name) == f"{long_name}: name too long for the file system"
    assert load_message(tmp_path / "none.yaml") == f"{tmp_path / 'none.yaml'}: file not found"
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert load_message(binary) == f"{binary}: not a text file (UTF-8 expected)"
    big = tmp_path / "big.yaml"
    big.write_text("name: x\n" * 20)
    monkeypatch.setenv("FACTORY_TWIN_MAX_FILE_BYTES", "100")
    assert load_message(big) == f"{big}: file is 160 bytes, more than the 100 bytes allowed (setting FACTORY_TWIN_MAX_FILE_BYTES)"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_file_says_so(tmp_path):
    path = tmp_path / "secret.yaml"
    path.write_text("name: x\n")
    path.chmod(0)
    assert load_message(path) == f"{path}: permission denied"


def test_a_bad_limit_setting_is_an_input_error(monkeypatch, tmp_path):
    monkeypatch.setenv("FACTORY_TWIN_MAX_FILE_BYTES", "lots")
    with pytest.raises(InputError) as info:
        load_layout(tmp_path / "x.yaml")
    assert str(info.value) == "FACTORY_TWIN_MAX_FILE_BYTES='lots': must be a whole number of at least 1"
