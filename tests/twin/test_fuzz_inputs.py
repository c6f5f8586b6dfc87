"""Fuzzing the readers and the layout model: generated documents (non-finite and extreme
numbers, deep nesting, aliases, keys given twice) and random mutations of the sample files.
Every case must end in a valid layout (then `validate`'s checks run without error) or in a
clean `LayoutError`; any other exception fails. The per-case deadline only catches hangs."""
from __future__ import annotations

import copy
import json
import math
from datetime import timedelta
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twin.errors import LayoutError
from twin.io import layout_from_data, parse_layout
from twin.validate import layout_problems

SAMPLES = sorted((Path(__file__).resolve().parents[2] / "layouts").glob("*.yaml"))
SAMPLE_TEXT = {path.name: path.read_text(encoding="utf-8") for path in SAMPLES}
SAMPLE_DATA = {name: yaml.safe_load(text) for name, text in SAMPLE_TEXT.items()}

FUZZ = settings(max_examples=60, deadline=timedelta(seconds=30),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

EXTREME_NUMBERS = st.sampled_from([
    math.inf, -math.inf, math.nan, 1e308, -1e308, 5e-324, 0.0, -0.0, -1.0, 1e-9, 1e9, 1e15,
    2**31, 2**63, 10**30, 10**400, -(2**63), 0, 1, 0.5,
])
SCALARS = st.one_of(
    EXTREME_NUMBERS, st.floats(allow_nan=True, allow_infinity=True), st.integers(), st.booleans(), st.none(),
    st.text(max_size=12), st.sampled_from(["panda", "kuka_iiwa", "machine", "robot_cell", "cnc", "", "../x"]),
)
KEYS = st.sampled_from([
    "name", "floor", "stations", "products", "transport", "changeovers", "tick", "width", "depth", "grid",
    "aisle_width", "id", "kind", "footprint", "position", "routing", "time", "demand", "lot_size", "due",
    "release", "weight", "cell", "tasks", "waypoints", "xyz", "robot", "capacity", "keep_out", "docks",
]) | st.text(max_size=8)
DOCUMENTS = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(KEYS, inner, max_size=6),
                         max_leaves=40)


def outcome(run) -> str:
    """'valid' or 'refused'; anything but a LayoutError propagates and fails the test."""
    try:
        layout = run()
    except LayoutError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)
        return "refused"
    assert all(str(p) for p in layout_problems(layout))
    return "valid"


def nested(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


@FUZZ
@given(DOCUMENTS, st.sampled_from(["yaml", "json"]))
def test_generated_documents_give_a_layout_or_a_layout_error(document, fmt):
    data = document if isinstance(document, dict) else {"stations": document}
    try:
        text = json.dumps(data) if fmt == "json" else yaml.safe_dump(data)
    except (ValueError, OverflowError, yaml.YAMLError):
        return  # not representable in this format at all
    outcome(lambda: parse_layout(text, f"fuzz.{fmt}"))
    outcome(lambda: layout_from_data(copy.deepcopy(data)))


def _paths(value, prefix=()):
    """Every path to a value in plain data."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, prefix + (index,))


SAMPLE_PATHS = {name: list(_paths(data))[1:] for name, data in SAMPLE_DATA.items()}
REPLACEMENTS = st.one_of(SCALARS, st.builds(list), st.builds(dict), st.builds(lambda: json.loads(nested(25))),
                         st.lists(EXTREME_NUMBERS, min_size=1, max_size=4))


@st.composite
def mutated_sample(draw):
    name = draw(st.sampled_from(sorted(SAMPLE_DATA)))
    data = copy.deepcopy(SAMPLE_DATA[name])
    for _ in range(draw(st.integers(1, 5))):
        paths = list(_paths(data))[1:]
        path = draw(st.sampled_from(paths))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "duplicate"]))
        key = path[-1]
        if action == "delete":
            del parent[key]
        elif action == "duplicate" and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        else:
            parent[key] = draw(REPLACEMENTS)
    return data


@FUZZ
@given(mutated_sample())
def test_mutated_samples_give_a_layout_or_a_layout_error(data):
    outcome(lambda: layout_from_data(data))
    outcome(lambda: parse_layout(json.dumps(data), "mutated.json"))


@st.composite
def mutated_text(draw):
    """Sample text with lines dropped, repeated (keys given twice) or cut, anchors and aliases
    planted, deep nesting and non-finite numbers put in place of values."""
    lines = SAMPLE_TEXT[draw(st.sampled_from(sorted(SAMPLE_TEXT)))].splitlines()
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "repeat", "cut", "value", "anchor"]))
        if action == "drop":
            del lines[i]
        elif action == "repeat":
            lines.insert(i, lines[i])
        elif action == "cut":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
        elif action == "value" and ":" in lines[i]:
            head = lines[i].split(":", 1)[0]
            value = draw(st.sampled_from([".inf", "-.inf", ".nan", "1e308", "9" * 400, nested(50), "&a [*a]",
                                          "{a: 1, a: 2}", "*nowhere", "!!binary aGk=", "2026-01-01"]))
            lines[i] = f"{head}: {value}"
        elif action == "anchor" and ":" in lines[i]:
            lines[i] = lines[i].replace(":", ": &anchor" + str(i), 1) if lines[i].rstrip().endswith(":") else lines[i]
    return "\n".join(lines) + "\n"


@FUZZ
@given(mutated_text())
def test_mutated_sample_text_gives_a_layout_or_a_layout_error(text):
    outcome(lambda: parse_layout(text, "mutated.yaml"))


@settings(max_examples=20, deadline=timedelta(seconds=30))
@given(st.integers(2, 12), st.integers(2, 12))
def test_alias_bombs_of_any_shape_are_refused(width, levels):
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels + 1)]
    text = "\n".join(lines) + "\n"
    expanded = sum(width ** k for k in range(1, levels + 2))
    result = outcome(lambda: parse_layout(text, "bomb.yaml"))
    assert result == "refused"
    if expanded > 1_000_000:
        try:
            parse_layout(text, "bomb.yaml")
        except LayoutError as exc:
            assert "counting every alias expanded" in str(exc)
