"""Reading layout text safely: a bounded file read, and YAML/JSON parsers that refuse what
would make a small file expensive or ambiguous.

- a file is read only if it is a regular file, and never more than the size limit (a device
  such as /dev/urandom says its size is 0);
- a key given twice in one mapping is an error naming the key and both lines (plain YAML and
  JSON keep the last one silently);
- nesting deeper than `MAX_NESTING` is refused while composing, before Python recursion runs
  out; YAML aliases are measured on the composed node graph (shared, so cheap) and refused when
  they would expand past the value limit or refer to themselves: a "billion laughs" file is
  refused before any large object exists.

Every refusal is a `LayoutError` (or `UnreadableFile` for the file itself).
"""
from __future__ import annotations

import errno
import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from twin.clock import CommandClock
from twin.errors import LayoutError, Problem
from twin.limits import MAX_NESTING, TOO_DEEP, limit


class UnreadableFile(Exception):
    """The file itself cannot be read as layout text; the message says why."""


_OS_REASONS = {
    errno.ENOENT: "file not found",
    errno.ELOOP: "a symbolic link loop",
    errno.ENAMETOOLONG: "name too long for the file system",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
}


def os_error_reason(exc: OSError) -> str:
    """A plain reason for an OSError on a path (the path itself is named by the caller)."""
    return _OS_REASONS.get(exc.errno or 0, str(exc.strerror or exc))


def file_problem(path: str | Path) -> str | None:
    """Why `path` cannot be read as an input file (missing, a folder, a device such as
    /dev/urandom, a link loop, unreadable, ...), or None when it is a readable regular file."""
    try:
        mode = os.stat(path).st_mode
    except ValueError:  # a NUL character in the name
        return "the file name holds a NUL character"
    except OSError as exc:
        return os_error_reason(exc)
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(mode):
        return "not a regular file"
    if not os.access(path, os.R_OK):
        return "permission denied"
    return None


def read_text_file(path: str | Path, max_bytes: int, setting: str) -> str:
    """The UTF-8 text of a regular file of at most `max_bytes` bytes (`setting` names the
    environment variable that raises the limit), or UnreadableFile saying why not."""
    problem = file_problem(path)
    if problem is not None:
        raise UnreadableFile(problem)
    size = os.stat(path).st_size
    if size > max_bytes:
        raise UnreadableFile(size_problem(size, max_bytes, setting))
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)  # bounded even if the file grew since stat
    except OSError as exc:
        raise UnreadableFile(os_error_reason(exc)) from None
    if len(data) > max_bytes:
        raise UnreadableFile(size_problem(None, max_bytes, setting))
    return decode_text(data)


def size_problem(size: int | None, max_bytes: int, setting: str) -> str:
    """The message for text of `size` bytes (None: unknown, it grew while read) over `max_bytes`."""
    return f"file is {f'{size:,} bytes, ' if size is not None else ''}more than the {max_bytes:,} bytes allowed (setting {setting})"


def decode_text(data: bytes) -> str:
    """UTF-8 text, or UnreadableFile saying it is not a text file."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UnreadableFile("not a text file (UTF-8 expected)") from None


def parse_document(text: str, source: str = "<layout>", fmt: str | None = None,
                   clock: CommandClock | None = None) -> Any:
    """Plain data from layout text; `fmt` is 'yaml' or 'json' (default: from the source's
    suffix, else YAML). Raises LayoutError naming the line for every refusal. A `clock`
    counts the characters parsed (progress only: the file size limit bounds the reading, and a
    file read to its end can be told broken or good)."""
    fmt = fmt or ("json" if source.lower().endswith(".json") else "yaml")
    if clock is not None:
        clock.stage(f"reading {source}", total=len(text))
    return _parse_json(text, source, clock) if fmt == "json" else _parse_yaml(text, source, clock)


def _value_error(exc: ValueError) -> str:
    if "integer string conversion" in str(exc):
        return "a whole number has more than 4,300 digits"
    return str(exc)


def _too_deep(line: int, column: int) -> str:
    return f"line {line}, column {column}: {TOO_DEEP}"


def _too_many_values(max_values: int) -> str:
    return (f"the file holds more than {max_values:,} values (numbers, texts, lists, mappings) "
            "counting every alias expanded (setting FACTORY_TWIN_MAX_VALUES)")


# --- YAML ----------------------------------------------------------------------------------


class _Refused(Exception):
    pass


CLOCK_EVERY = 5000  # nodes or tokens between looks at the clock while parsing


class _LayoutLoader(yaml.SafeLoader):
    """SafeLoader that bounds nesting while composing, notes keys given twice, and advances the
    command's clock (the characters parsed) every `CLOCK_EVERY` nodes."""

    def __init__(self, text: str, clock: CommandClock | None = None):
        super().__init__(text)
        self.depth = 0
        self.duplicate_keys: list[tuple[int, Problem]] = []  # (line, problem)
        self.clock = clock
        self.nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.depth >= MAX_NESTING:
            mark = self.peek_event().start_mark
            raise _Refused(_too_deep(mark.line + 1, mark.column + 1))
        self.nodes += 1
        if self.clock is not None and self.nodes % CLOCK_EVERY == 0:
            mark = self.peek_event().start_mark
            self.clock.advance(mark.index)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            first_line: dict[str, int] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                line = key_node.start_mark.line + 1
                if key_node.value in first_line:
                    self.duplicate_keys.append((line, Problem(
                        "", f"line {line}: key '{key_node.value}' is given twice (first on line {first_line[key_node.value]})")))
                else:
                    first_line[key_node.value] = line
        return super().construct_mapping(node, deep=deep)


def _node_children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_expansion(root: yaml.Node, max_values: int) -> None:
    """Refuse a node graph whose aliases expand past `max_values` values or `MAX_NESTING`
    levels, or refer to a node that contains them. Iterative, linear in the composed nodes."""
    measured: dict[int, tuple[int, int]] = {}  # id(node) -> (values, height) once expanded
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            open_nodes.discard(key)
            parts = [measured[id(child)] for child in _node_children(node)]
            values = 1 + sum(v for v, _ in parts)
            height = 1 + max((h for _, h in parts), default=0)
            mark = node.start_mark
            if height > MAX_NESTING:
                raise _Refused(_too_deep(mark.line + 1, mark.column + 1) + " once its aliases are expanded")
            if values > max_values:
                raise _Refused(_too_many_values(max_values))
            measured[key] = (values, height)
            continue
        if key in measured:
            continue
        if key in open_nodes:
            mark = node.start_mark
            raise _Refused(f"line {mark.line + 1}, column {mark.column + 1}: an alias refers to the list "
                           "or mapping that contains it (a loop)")
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _node_children(node))


def _parse_yaml(text: str, source: str, clock: CommandClock | None = None) -> Any:
    try:
        loader = _LayoutLoader(text, clock)
    except yaml.reader.ReaderError as exc:  # a control character YAML does not allow, found up front
        raise LayoutError(f"invalid YAML: character #x{exc.character:04x} at position {exc.position} is not "
                          "allowed", source) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, limit("values"))
        data = loader.construct_document(node)
    except _Refused as exc:
        raise LayoutError(str(exc), source) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        reason = exc.problem or exc.context or "malformed YAML"
        raise LayoutError(f"{where}invalid YAML: {reason}", source) from None
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: an integer of thousands of digits
        reason = _value_error(exc) if isinstance(exc, ValueError) else str(exc)
        raise LayoutError(f"invalid YAML: {reason}", source) from None
    finally:
        loader.dispose()
    if loader.duplicate_keys:  # constructed depth first; told in the order of the file
        raise LayoutError([problem for _, problem in sorted(loader.duplicate_keys, key=lambda lp: lp[0])], source)
    return data


# --- JSON ----------------------------------------------------------------------------------

_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+', re.S)


def _scan_json(text: str, max_values: int, clock: CommandClock | None = None) -> list[Problem]:
    """One iterative pass over the tokens: refuses deep nesting and too many values, and
    lists keys given twice in one object (with both lines). Lenient about syntax, which
    `json.loads` checks afterwards."""
    stack: list[dict[str, int] | None] = []  # an object's keys -> line, or None for a list
    duplicates: list[Problem] = []
    line, counted_to, values, previous = 1, 0, 0, ""
    for match in _JSON_TOKEN.finditer(text):
        token, start = match.group(), match.start()
        line += text.count("\n", counted_to, start)
        counted_to = start
        if token in ("}", "]"):
            if stack:
                stack.pop()
        elif token not in (",", ":"):
            values += 1
            if len(stack) + 1 > MAX_NESTING:
                raise _Refused(_too_deep(line, start - text.rfind("\n", 0, start)))
            if values > max_values:
                raise _Refused(_too_many_values(max_values))
            if clock is not None and values % CLOCK_EVERY == 0:
                clock.advance(start)
            keys = stack[-1] if stack else None
            if keys is not None and previous in ("{", ",") and token.startswith('"'):
                try:
                    key = json.loads(token)
                except ValueError:
                    key = token
                if key in keys:
                    duplicates.append(Problem("", f"line {line}: key '{key}' is given twice (first on line {keys[key]})"))
                else:
                    keys[key] = line
            if token == "{":
                stack.append({})
            elif token == "[":
                stack.append(None)
        previous = token
    return duplicates


def _parse_json(text: str, source: str, clock: CommandClock | None = None) -> Any:
    try:
        duplicates = _scan_json(text, limit("values"), clock)
        data = json.loads(text)
    except _Refused as exc:
        raise LayoutError(str(exc), source) from None
    except json.JSONDecodeError as exc:
        raise LayoutError(f"line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}", source) from None
    except ValueError as exc:  # an integer of thousands of digits
        raise LayoutError(f"invalid JSON: {_value_error(exc)}", source) from None
    if duplicates:
        raise LayoutError(duplicates, source)
    return data
