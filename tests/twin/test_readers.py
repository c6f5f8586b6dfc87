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


# --- count limits while reading: a list refused at its first item too many ---------------------

@pytest.fixture(params=["fast", "pure"])
def loader(request, monkeypatch):
    """Both YAML loaders: libyaml's parser where PyYAML has it, and the pure-Python one."""
    import twin.readers as readers

    if request.param == "fast":
        if readers._LOADER is readers._PureLoader:
            pytest.skip("PyYAML without libyaml")
    else:
        monkeypatch.setattr(readers, "_LOADER", readers._PureLoader)
    return request.param


def many_stations(count: int, fmt: str) -> str:
    """`count` stations, the last holding a value nested 30 deep: refused if it were composed.
    Written out by hand: PyYAML's dumper takes seconds for 20,000 stations."""
    station = '{"id": "s%d", "kind": "machine", "footprint": {"width": 1.0, "depth": 1.0}}'
    deep = "[" * 30 + "]" * 30
    items = [station % i for i in range(count - 1)] + [station[:-1] % (count - 1) + f', "description": {deep}}}']
    if fmt == "json":
        return '{"name": "big",\n "floor": {"width": 20.0, "depth": 10.0},\n "stations": [\n' + \
            ",\n".join(items) + '\n ],\n "products": []\n}\n'
    return "name: big\nfloor: {width: 20.0, depth: 10.0}\nstations:\n" + "".join(f"- {item}\n" for item in items) + \
        "products: []\n"


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_a_list_past_its_limit_is_refused_at_its_first_item_too_many(loader, fmt, monkeypatch):
    monkeypatch.setenv("FACTORY_TWIN_MAX_STATIONS", "100")
    text = many_stations(1_000, fmt)
    lines = text.splitlines()
    begins = lines.index("stations:") + 2 if fmt == "yaml" else lines.index(' "stations": [') + 1
    # the 30-deep value in the last station is never composed: only the count is told
    assert refusal(text, f"big.{fmt}") == (
        f"big.{fmt}: stations: lists 1,000 stations, more than the 100 allowed (setting "
        f"FACTORY_TWIN_MAX_STATIONS); the list begins on line {begins}")
    monkeypatch.setenv("FACTORY_TWIN_MAX_STATIONS", "1000")  # within the limit: the nesting is the news
    assert "nested more than 20 levels deep" in refusal(text, f"big.{fmt}")


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_twenty_thousand_stations_are_refused_while_reading(fmt):
    """The issue's 2.5 MB file: read to the end it took 7 s of pure-Python parsing (over 60 s on
    a loaded machine) before the count was checked."""
    import twin.readers as readers

    if fmt == "yaml" and readers._LOADER is readers._PureLoader:
        pytest.skip("PyYAML without libyaml: the rest of the list is counted by the pure-Python parser")
    text = many_stations(20_000, fmt)
    assert "stations: lists 20,000 stations, more than the 2,000 allowed (setting FACTORY_TWIN_MAX_STATIONS); " \
           "the list begins on line" in refusal(text, f"big.{fmt}")


@pytest.mark.parametrize("fmt", ["yaml", "json"])
@pytest.mark.parametrize("variable,path,key", [
    ("FACTORY_TWIN_MAX_PRODUCTS", "products", "products"),
    ("FACTORY_TWIN_MAX_OPERATIONS", "products[0].routing", "routing"),
    ("FACTORY_TWIN_MAX_WAYPOINTS", "stations[2].cell.tasks[0].waypoints", "waypoints"),
    ("FACTORY_TWIN_MAX_ITEMS", "floor.docks", "docks"),
])
def test_the_reader_and_the_plain_data_check_name_a_long_list_alike(layout_data, loader, monkeypatch, fmt,
                                                                  variable, path, key):
    from twin.io import layout_from_data

    monkeypatch.setenv(variable, "1")
    with pytest.raises(LayoutError) as info:
        layout_from_data(layout_data)
    [on_data] = [str(p) for p in info.value.problems]
    assert on_data.startswith(f"{path}: lists ")
    text = json.dumps(layout_data, indent=1) if fmt == "json" else yaml.safe_dump(layout_data, sort_keys=False)
    message = refusal(text, f"x.{fmt}")
    head = f"x.{fmt}: {on_data}; the list begins on line "
    assert message.startswith(head)
    line = text.splitlines()[int(message[len(head):]) - 1]
    if fmt == "json":
        assert line.strip() == f'"{key}": ['
    else:  # block style: the first item's dash, under the key
        assert line.lstrip().startswith("- ") and text.splitlines()[int(message[len(head):]) - 2].strip() == f"{key}:"


@pytest.mark.parametrize("text,expected", [
    # libyaml stops here too; the pure-Python parser's words name what it found
    ("a:\n\t- 1\n", "line 2, column 1: invalid YAML: found character '\\t' that cannot start any token"),
    ("name: [\n", "line 2, column 1: invalid YAML: expected the node content, but found '<stream end>'"),
    # composed in Python by both: PyYAML's own words were "second occurrence"
    ("name: &a x\ndescription: &a y\n", "line 2, column 14: invalid YAML: found duplicate anchor 'a' (first on line 1)"),
    # libyaml's scanner reads flow brackets ahead and stops at its own 1,000 levels first
    ("a: 1\nb: " + "[" * 2000 + "]" * 2000 + "\n", "line 2, column 23: nested more than 20 levels deep (a layout needs at most 10)"),
])
def test_syntax_errors_read_alike_with_either_parser(loader, text, expected):
    assert refusal(text, "s.yaml") == f"s.yaml: {expected}"


def test_values_are_counted_while_composing(monkeypatch, loader):
    monkeypatch.setenv("FACTORY_TWIN_MAX_VALUES", "100")
    assert refusal("name: x\nnotes: [" + ", ".join(["1"] * 200) + "]\n", "v.yaml") == (
        "v.yaml: the file holds more than 100 values (numbers, texts, lists, mappings) counting every alias "
        "expanded (setting FACTORY_TWIN_MAX_VALUES)")


def test_a_document_that_is_not_a_layout_has_no_list_limits(monkeypatch, loader):
    """A service request (a schedule of thousands of operations, an inline layout) keeps the
    value, nesting and duplicate-key refusals but not the layout's list limits."""
    monkeypatch.setenv("FACTORY_TWIN_MAX_ITEMS", "2")
    for fmt, text in [("yaml", "ops: [1, 2, 3]\n"), ("json", '{"ops": [1, 2, 3]}')]:
        assert parse_document(text, "request", fmt, layout=False) == {"ops": [1, 2, 3]}
        with pytest.raises(LayoutError, match="ops: lists 3 items, more than the 2 allowed"):
            parse_document(text, "request", fmt)
