"""Reading and writing layout files (YAML or JSON) and the layout JSON Schema.

Parsing turns every mistake into a `LayoutError` with the field path and a plain reason;
malformed YAML names the file, line and column. The bounded, alias- and depth-safe reading
of text lives in `twin.readers`; the count limits in `twin.limits`. Saving writes a temporary file and renames
it, so a failed save never destroys the previous good file.
"""
from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from twin.clock import CommandClock
from twin.errors import LayoutError, Problem
from twin.limits import data_size_problems, layout_size_problems, limit
from twin.model import Layout
from twin.readers import UnreadableFile, parse_document, read_text_file


def format_path(loc: tuple[Any, ...]) -> str:
    """('stations', 3, 'footprint') -> 'stations[3].footprint'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


# what to give when a field is left empty (a blank cell or field arrives as None)
_EMPTY = {"float_type": "give a number", "float_parsing": "give a number", "int_type": "give a whole number",
          "int_parsing": "give a whole number", "int_from_float": "give a whole number", "string_type": "give a text",
          "bool_type": "give true or false", "bool_parsing": "give true or false", "literal_error": "",
          "model_type": "give its fields", "dict_type": "give its fields", "model_attributes_type": "give its fields",
          "tuple_type": "give a list", "list_type": "give a list"}


def _reason(error: dict[str, Any]) -> str:
    """A short plain-English reason for one pydantic error."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    if kind == "greater_than":
        return "must be positive" if ctx.get("gt") == 0 else f"must be greater than {ctx.get('gt')}"
    if kind == "greater_than_equal":
        return "must not be negative" if ctx.get("ge") == 0 else f"must be at least {_number(ctx.get('ge'))}"
    if kind == "less_than_equal":
        return f"must be at most {_number(ctx.get('le'))}, got {error.get('input')!r}"
    if kind == "less_than":
        return f"must be less than {_number(ctx.get('lt'))}, got {error.get('input')!r}"
    if error.get("input") is None and kind in _EMPTY:
        return f"is empty: {_EMPTY[kind]}" if kind != "literal_error" else f"is empty: choose one of {ctx.get('expected')}"
    if kind == "finite_number":
        return f"must be a finite number, got {error.get('input')!r}"
    if kind in ("float_type", "float_parsing", "int_type", "int_parsing", "int_from_float"):
        return f"must be a {'whole ' if kind.startswith('int') else ''}number, got {error.get('input')!r}"
    if kind in ("string_type",):
        return f"must be text, got {error.get('input')!r}"
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false, got {error.get('input')!r}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}, got {error.get('input')!r}"
    if kind == "string_pattern_mismatch" and ":" in str(ctx.get("pattern")):
        return f"must be a clock time 'HH:MM', got {error.get('input')!r}"
    if kind == "string_pattern_mismatch":
        return "may contain only letters, digits, '_', '-' and '.'"
    if kind == "too_short":
        n = ctx.get("min_length")
        return f"must list at least {n} item{'s' if n != 1 else ''}, got {ctx.get('actual_length')}"
    if kind == "too_long":
        n = ctx.get("max_length")
        return f"must list at most {n} item{'s' if n != 1 else ''}, got {ctx.get('actual_length')}"
    if kind in ("tuple_type", "list_type"):
        return f"must be a list, got {error.get('input')!r}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"must be a mapping of fields, got {error.get('input')!r}"
    return error["msg"]


def problems_from_validation(exc: ValidationError) -> list[Problem]:
    problems = []
    errors = exc.errors(include_url=False)
    nested = [tuple(e["loc"]) for e in errors]
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] == "too_short" and any(len(o) > len(loc) and o[: len(loc)] == loc for o in nested):
            continue  # the list is short only because an item in it failed: that item is the news
        # union members show up as extra path parts ('tuple[float, float]'); drop them
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and ("[" in p or p in ("none", "float", "int"))))
        problems.append(Problem(format_path(loc), _reason(error)))
    # a union error repeats per member; keep the first reason per path
    seen: dict[str, Problem] = {}
    for problem in problems:
        seen.setdefault(problem.path, problem)
    return list(seen.values())


def layout_from_data(data: Any, source: str | None = None) -> Layout:
    """Build a Layout from parsed YAML/JSON data, or raise LayoutError with every problem.

    Counts (stations, lots, ...) and nesting are checked on the plain data first, so an
    oversized document is refused before any model object is built."""
    if not isinstance(data, dict):
        raise LayoutError("the file must hold a mapping of fields (name, floor, stations, ...)", source)
    problems = data_size_problems(data)
    if problems:
        raise LayoutError(problems, source)
    try:
        layout = Layout.model_validate(data)
    except ValidationError as exc:
        from twin.validate import data_problems, placement_data_problems

        problems = problems_from_validation(exc)
        reported = {p.path for p in problems}
        # reference and placement checks read plain data (placement: the well-formed stations),
        # so they report in the same round as the model's
        problems += [p for p in data_problems(data) + placement_data_problems(data) if p.path not in reported]
        raise LayoutError(problems, source) from None
    problems = layout_size_problems(layout)
    if problems:
        raise LayoutError(problems, source)
    return layout


def parse_layout(text: str, source: str = "<layout>", fmt: str | None = None,
                 clock: CommandClock | None = None) -> Layout:
    """Parse layout text; `fmt` is 'yaml' or 'json' (default: from the source's suffix, else
    YAML). A `clock` sees the parsing's progress."""
    data = parse_document(text, source, fmt, clock)
    if clock is not None:
        clock.stage("checking the layout's fields")
    return layout_from_data(data, source)


def load_layout(path: str | Path, clock: CommandClock | None = None) -> Layout:
    """Read and parse a layout file (structure only; `twin.validate` checks the whole)."""
    source = str(path)
    try:
        text = read_text_file(path, limit("file_bytes"), "FACTORY_TWIN_MAX_FILE_BYTES")
    except UnreadableFile as exc:
        raise LayoutError(str(exc), source) from None
    return parse_layout(text, source, clock=clock)


def layout_to_data(layout: Layout) -> dict[str, Any]:
    """Plain data for a layout, defaults left out so saved files stay readable."""
    return layout.model_dump(mode="json", by_alias=True, exclude_defaults=True)


def dump_layout(layout: Layout, fmt: str = "yaml") -> str:
    data = layout_to_data(layout)
    if fmt == "json":
        return json.dumps(data, indent=2) + "\n"
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=100)


def save_layout(layout: Layout, path: str | Path) -> Path:
    """Write atomically (temporary file, then rename) in YAML or JSON by suffix."""
    path = Path(path)
    write_text_atomic(path, dump_layout(layout, "json" if path.suffix.lower() == ".json" else "yaml"))
    return path


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write a temporary file beside `path`, flush it to disk and rename it over `path`: a
    reader (another tab, the service, a crash) sees the old content or the new, never a part.
    The folder is created if missing."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # created with mode 0o666 so the process umask applies, as for any file the user saves
    # (mkstemp makes owner-only files, and changing the umask would race other threads)
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def layout_json_schema() -> dict[str, Any]:
    """The JSON Schema of a layout file (what `layouts/layout.schema.json` holds)."""
    schema = Layout.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://factory-twin.dev/schemas/layout-1.json"
    return schema

