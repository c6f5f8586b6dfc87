"""The command line, the app's upload and the HTTP service read a layout with the same readers
and limits: the same problems, with the same messages, for the same text; a limit's setting
holds in all three."""
from __future__ import annotations

import pytest
import yaml

from twin.errors import LayoutError, Problem

from optimizer.cli import main


def _app_problems(name: str, text: str) -> list[Problem]:
    from factory_app.upload import open_upload

    with pytest.raises(LayoutError) as info:
        open_upload(name, text.encode("utf-8"))
    return info.value.problems


def _service_problems(text: str, fmt: str) -> list[Problem]:
    from service.uploads import Upload, parse_upload

    with pytest.raises(LayoutError) as info:
        parse_upload(Upload(text, fmt))
    return info.value.problems


def _cli_problems(tmp_path, name: str, text: str, capsys) -> list[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    return [line.strip() for line in capsys.readouterr().err.splitlines()[1:]]


MINI = {"name": "x", "floor": {"width": 20.0, "depth": 10.0},
        "stations": [{"id": f"s{i}", "kind": "machine", "footprint": {"width": 1.0, "depth": 1.0}} for i in range(3)],
        "products": [{"id": "p", "demand": 10, "routing": [{"id": "a", "stations": ["s0"], "time": 1.0}]}]}


@pytest.mark.parametrize("name, text, expected", [
    ("twice.yaml", "name: x\nname: y\n", ["line 2: key 'name' is given twice (first on line 1)"]),
    ("twice.json", '{"name": "x",\n "name": "y"}', ["line 2: key 'name' is given twice (first on line 1)"]),
    ("laughs.yaml", "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"b{i}: &b{i} [{', '.join([f'*b{i - 1}' if i else '*a'] * 10)}]\n" for i in range(7)),
     ["the file holds more than 1,000,000 values (numbers, texts, lists, mappings) counting every alias expanded "
      "(setting FACTORY_TWIN_MAX_VALUES)"]),
    ("deep.json", '{"name": ' + "[" * 50 + "]" * 50 + "}",
     ["line 1, column 29: nested more than 20 levels deep (a layout needs at most 10)"]),
    ("many.yaml", yaml.safe_dump(MINI), ["stations: lists 3 stations, more than the 2 allowed "
                                         "(setting FACTORY_TWIN_MAX_STATIONS); the list begins on line "
                                         f"{yaml.safe_dump(MINI).splitlines().index('stations:') + 2}"]),
])
def test_the_cli_the_app_and_the_service_refuse_a_file_with_the_same_messages(tmp_path, capsys, monkeypatch,
                                                                            name, text, expected):
    monkeypatch.setenv("FACTORY_TWIN_MAX_STATIONS", "2")
    fmt = "json" if name.endswith(".json") else "yaml"
    assert [str(p) for p in _service_problems(text, fmt)] == expected
    assert [str(p) for p in _app_problems(name, text)] == expected
    assert _cli_problems(tmp_path, name, text, capsys) == expected


def test_the_file_size_limit_is_one_setting_for_all_three(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FACTORY_TWIN_MAX_FILE_BYTES", "1000")
    text = yaml.safe_dump(dict(MINI, description="x" * 2000))
    size = len(text.encode("utf-8"))
    message = f"file is {size:,} bytes, more than the 1,000 bytes allowed (setting FACTORY_TWIN_MAX_FILE_BYTES)"
    assert [str(p) for p in _app_problems("big.yaml", text)] == [message]
    assert _cli_problems(tmp_path, "big.yaml", text, capsys) == [message]
    from service.settings import ServiceSettings

    assert ServiceSettings.__dataclass_fields__["max_body_bytes"].default == 0  # 0: the same setting
    assert ServiceSettings(tmp_path).body_limit == 1000


def test_a_byte_order_mark_is_dropped_and_bytes_that_are_not_utf8_refused_alike(tmp_path, capsys):
    """One decoding for files, uploads and request bodies: JSON itself refuses a BOM
    ("Unexpected UTF-8 BOM"), which spreadsheet programs and some editors write."""
    import json

    from factory_app.upload import open_upload

    from twin.io import load_layout

    sound = dict(MINI, products=[dict(MINI["products"][0], family="f", lot_size=10)])
    bom = b"\xef\xbb\xbf" + json.dumps(sound).encode("utf-8")
    (tmp_path / "bom.json").write_bytes(bom)
    assert load_layout(tmp_path / "bom.json").name == "x"
    assert open_upload("bom.json", bom).layout.name == "x"
    (tmp_path / "latin.yaml").write_bytes("name: Müller\n".encode("latin-1"))
    assert main(["validate", str(tmp_path / "latin.yaml")]) == 2
    assert capsys.readouterr().err.splitlines() == [f"{tmp_path / 'latin.yaml'}: 1 problem",
                                                    "  not a text file (UTF-8 expected)"]
    with pytest.raises(LayoutError) as info:
        open_upload("latin.yaml", "name: Müller\n".encode("latin-1"))
    assert str(info.value) == "latin.yaml: not a text file (UTF-8 expected)"
