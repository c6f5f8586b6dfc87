"""Reading layout text safely: a bounded file read, and YAML/JSON parsers that refuse what
would make a small file expensive or ambiguous.

- a file is read only if it is a regular file, and never more than the size limit (a device
  such as /dev/urandom says its size is 0);
- a key given twice in one mapping is an error naming the key and both lines (plain YAML and
  JSON keep the last one silently);
- nesting deeper than `MAX_NESTING` is refused while composing, before Python recursion runs
  out; YAML aliases are measured on the composed node graph (shared, so cheap) and refused when
  they would expand past the value limit or refer to themselves: a "billion laughs" file is
  refused before any large object exists;
- a list longer than its count limit (`twin.limits.list_limit`: stations, products, operations,
  waypoints, any other list) is refused at its first item too many, the rest only counted
  from the parser's events or tokens, and so are more values than the value limit: a 20,000-
  station file is refused after 2,001 stations are read, not after all of it is built.

YAML is parsed by libyaml where PyYAML has it (the pure-Python parser took 4 s of the 7 s a
1.7 MB file cost), with composing and constructing, where the checks live, in Python.

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
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from twin.clock import CommandClock
from twin.errors import LayoutError, Problem
from twin.limits import MAX_NESTING, TOO_DEEP, limit, list_limit, list_too_long


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
    """UTF-8 text without a leading byte-order mark (spreadsheet programs and some editors
    write one; JSON refuses it), or UnreadableFile saying it is not a text file."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile("not a text file (UTF-8 expected)") from None


def uploaded_text(data: bytes, source: str) -> str:
    """Uploaded bytes (the app's uploads, the service's request bodies) as text, or
    LayoutError naming the `source`: the one decoding for every upload."""
    try:
        return decode_text(data)
    except UnreadableFile as exc:
        raise LayoutError(str(exc), source) from None


def parse_document(text: str, source: str = "<layout>", fmt: str | None = None,
                   clock: CommandClock | None = None, layout: bool = True) -> Any:
    """Plain data from layout text; `fmt` is 'yaml' or 'json' (default: from the source's
    suffix, else YAML). Raises LayoutError naming the line for every refusal. A `clock`
    counts the characters parsed (progress only: the file size limit bounds the reading, and a
    file read to its end can be told broken or good). `layout=False` reads another document
    (a service request): the layout's list limits do not apply, every other refusal does."""
    fmt = fmt or ("json" if source.lower().endswith(".json") else "yaml")
    if clock is not None:
        clock.stage(f"reading {source}", total=len(text))
    bounds = _ListBounds(layout)
    return _parse_json(text, source, bounds, clock) if fmt == "json" else _parse_yaml(text, source, bounds, clock)


def _value_error(exc: ValueError) -> str:
    if "integer string conversion" in str(exc):
        return "a whole number has more than 4,300 digits"
    return str(exc)


def _too_deep(line: int, column: int) -> str:
    return f"line {line}, column {column}: {TOO_DEEP}"


def _too_many_values(max_values: int) -> str:
    return (f"the file holds more than {max_values:,} values (numbers, texts, lists, mappings) "
            "counting every alias expanded (setting FACTORY_TWIN_MAX_VALUES)")


# --- YAML ---------------------------------------------------------------------------------


class _Refused(Exception):
    """A refusal found while reading: a problem of the whole file, or of one list (its path)."""

    def __init__(self, problem: Problem | str):
        self.problem = problem if isinstance(problem, Problem) else Problem("", problem)
        super().__init__(str(self.problem))


CLOCK_EVERY = 5000  # nodes or tokens between looks at the clock while parsing


class _ListBounds:
    """The count limit of a list by where it sits in a layout (`twin.limits.list_limit`), each
    setting read once per document; none in another document (`enabled` False)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.maximum: dict[str, int] = {}

    def of(self, path: str, key: str) -> tuple[int, str, str] | None:
        """(maximum, limit name, what it counts) for the list at `path`, or None: no limit."""
        counted = list_limit(path, key) if self.enabled else None
        if counted is None:
            return None
        name, what = counted
        if name not in self.maximum:
            self.maximum[name] = limit(name)
        return self.maximum[name], name, what


def _too_long(path: str, count: int, bound: tuple[int, str, str], line: int) -> _Refused:
    return _Refused(Problem(path, f"{list_too_long(count, bound[1], bound[2])}; the list begins on line {line}"))


def _dotted(parts: list[str | int | None]) -> tuple[str, str]:
    """The field path (`stations[3].cell.tasks`) and its last mapping key, as
    `twin.limits.data_size_problems` spells them, from the keys and indexes being composed."""
    path, key = "", ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part is not None:
            path, key = (f"{path}.{part}" if path else part), part
    return path, key


class _LayoutChecks:
    """What the layout loaders add to PyYAML's composer and safe constructor: nesting bounded
    while composing, a list refused at its first item past its count limit (the rest of it
    counted from the parser's events, never built), the composed values bounded, keys given
    twice noted, and the command's clock advanced (the characters parsed) every
    `CLOCK_EVERY` nodes. Mixed in before the composer, so either parser feeds it."""

    def _start_checks(self, clock: CommandClock | None, bounds: _ListBounds | None) -> None:
        self.depth = 0
        self.duplicate_keys: list[tuple[int, Problem]] = []  # (line, problem)
        self.clock = clock
        self.nodes = 0
        self.max_values = limit("values")
        self.bounds = bounds or _ListBounds()
        self.parts: list[str | int | None] = []  # the key or index of each open node
        self.open_bounds: list[tuple[int, str, str] | None] = []  # of each open list

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.depth >= MAX_NESTING:
            mark = self.peek_event().start_mark
            raise _Refused(_too_deep(mark.line + 1, mark.column + 1))
        self.nodes += 1
        if self.nodes > self.max_values:  # aliases are measured after composing
            raise _Refused(_too_many_values(self.max_values))
        if self.clock is not None and self.nodes % CLOCK_EVERY == 0:
            self.clock.advance(self.peek_event().start_mark.index)
        part: str | int | None = None
        if isinstance(parent, yaml.SequenceNode):
            bound = self.open_bounds[-1]
            if bound is not None and index >= bound[0]:
                path = _dotted(self.parts)[0]
                raise _too_long(path, index + self._count_rest(), bound, parent.start_mark.line + 1)
            part = index
        elif isinstance(parent, yaml.MappingNode):
            part = index.value if isinstance(index, yaml.ScalarNode) else "?"
        self.parts.append(part)
        self.depth += 1
        try:
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self.depth -= 1
            self.parts.pop()

    def compose_sequence_node(self, anchor: Any) -> Any:
        self.open_bounds.append(self.bounds.of(*_dotted(self.parts)))
        try:
            return super().compose_sequence_node(anchor)  # type: ignore[misc]
        finally:
            self.open_bounds.pop()

    def _count_rest(self) -> int:
        """The items left in the list being composed, read as events and dropped."""
        count, depth = 0, 0
        while depth or not self.check_event(yaml.SequenceEndEvent):  # type: ignore[attr-defined]
            event = self.get_event()  # type: ignore[attr-defined]
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
            count += depth == 0
        return count

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
        return super().construct_mapping(node, deep=deep)  # type: ignore[misc]


class _PureLoader(_LayoutChecks, yaml.SafeLoader):
    """The checks on PyYAML's pure-Python parser: its messages name the character found."""

    def __init__(self, text: str, clock: CommandClock | None = None, bounds: _ListBounds | None = None):
        yaml.SafeLoader.__init__(self, text)
        self._start_checks(clock, bounds)


_LOADER: type = _PureLoader
if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class _FastLoader(_LayoutChecks, Composer, CParser, SafeConstructor, Resolver):  # type: ignore[misc]
        """The checks on libyaml's parser (about 20 times faster than the pure-Python one,
        which took seconds per megabyte); composing and constructing stay in Python, so
        every check and line number is the same."""

        def __init__(self, text: str, clock: CommandClock | None = None, bounds: _ListBounds | None = None):
            CParser.__init__(self, text)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            Composer.__init__(self)
            self._start_checks(clock, bounds)

    _LOADER = _FastLoader


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


def _parse_yaml(text: str, source: str, bounds: _ListBounds, clock: CommandClock | None = None) -> Any:
    bad = yaml.reader.Reader.NON_PRINTABLE.search(text)  # as PyYAML's reader checks, up front
    if bad is not None:
        raise LayoutError(f"invalid YAML: character #x{ord(bad.group()):04x} at position {bad.start()} is not "
                          "allowed", source)
    loader = _LOADER(text, clock, bounds)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, loader.max_values)  # the one reading of the setting
        data = loader.construct_document(node)
    except _Refused as exc:
        raise LayoutError(exc.problem, source) from None
    except yaml.MarkedYAMLError as exc:
        if _LOADER is not _PureLoader and isinstance(exc, (yaml.scanner.ScannerError, yaml.parser.ParserError)):
            account = _pure_account(text, exc)
            if isinstance(account, _Refused):
                raise LayoutError(account.problem, source) from None
            exc = account
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        reason = exc.problem or exc.context or "malformed YAML"
        if exc.problem == "second occurrence" and exc.context and exc.context_mark:  # PyYAML's duplicate anchor
            reason = f"{exc.context.split(';')[0]} (first on line {exc.context_mark.line + 1})"
        raise LayoutError(f"{where}invalid YAML: {reason}", source) from None
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: an integer of thousands of digits
        reason = _value_error(exc) if isinstance(exc, ValueError) else str(exc)
        raise LayoutError(f"invalid YAML: {reason}", source) from None
    finally:
        loader.dispose()
    if loader.duplicate_keys:  # constructed depth first; told in the order of the file
        raise LayoutError([problem for _, problem in sorted(loader.duplicate_keys, key=lambda lp: lp[0])], source)
    return data


def _pure_account(text: str, error: yaml.MarkedYAMLError) -> yaml.MarkedYAMLError | _Refused:
    """The pure-Python loader's account of a syntax error libyaml found, when it tells more:
    a syntax error on the same line (its messages name what it found: "found character '\\t'
    that cannot start any token", "expected ',' or ']', but got ':'"; libyaml's do not), or
    nesting past `MAX_NESTING` where libyaml's scanner, which reads flow brackets ahead, stops
    at its own bound of 1,000 levels first. Only the text up to the end of that line is read
    again, and only for a file that is refused anyway."""
    mark = error.problem_mark or error.context_mark
    if mark is None:
        return error
    end = text.find("\n", mark.index)
    loader = _PureLoader(text if end < 0 else text[: end + 1])
    try:
        loader.get_single_node()
    except _Refused as refused:
        if TOO_DEEP in refused.problem.message:
            return refused
    except (yaml.scanner.ScannerError, yaml.parser.ParserError) as pure:
        found = pure.problem_mark or pure.context_mark
        if found is not None and found.line == mark.line:
            return pure
    except yaml.YAMLError:
        pass
    finally:
        loader.dispose()
    return error


# --- JSON ----------------------------------------------------------------------------------

_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+', re.S)


class _Open:
    """An object or list open in the JSON scan: its path and key (as `_dotted` spells them);
    an object's keys (-> first line) and latest key, a list's items, limit and first line."""

    __slots__ = ("path", "key", "keys", "latest", "items", "bound", "line")

    def __init__(self, path: str, key: str, keys: dict[str, int] | None,
                 bound: tuple[int, str, str] | None = None, line: int = 0):
        self.path, self.key, self.keys, self.bound, self.line = path, key, keys, bound, line
        self.latest, self.items = "", 0

    def child(self) -> tuple[str, str]:
        """The path and key of the value now opening inside this one."""
        if self.keys is None:
            return f"{self.path}[{self.items - 1}]", self.key
        return (f"{self.path}.{self.latest}" if self.path else self.latest), self.latest


def _count_rest_json(tokens: Any, depth: int) -> int:
    """The items left in a list after the one just begun (`depth` 1 if it is an object or a
    list, whose opening bracket was read), read as tokens to the list's end."""
    more = 0
    for match in tokens:
        token = match.group()
        if token in ("{", "["):
            depth += 1
        elif token in ("}", "]"):
            if depth == 0:
                break
            depth -= 1
        elif token == "," and depth == 0:
            more += 1
    return more


def _scan_json(text: str, max_values: int, bounds: _ListBounds, clock: CommandClock | None = None) -> list[Problem]:
    """One iterative pass over the tokens: refuses deep nesting, too many values and a list
    past its count limit (at its first item too many), and lists keys given twice in one
    object (with both lines). Lenient about syntax, which `json.loads` checks afterwards."""
    stack: list[_Open] = []
    duplicates: list[Problem] = []
    line, counted_to, values, previous = 1, 0, 0, ""
    tokens = _JSON_TOKEN.finditer(text)
    for match in tokens:
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
            inside = stack[-1] if stack else None
            if inside is not None and inside.keys is not None and previous in ("{", ",") and token.startswith('"'):
                try:
                    key = json.loads(token)
                except ValueError:
                    key = token
                if key in inside.keys:
                    duplicates.append(Problem("", f"line {line}: key '{key}' is given twice (first on line {inside.keys[key]})"))
                else:
                    inside.keys[key] = line
                inside.latest = str(key)
            elif inside is not None and inside.keys is None and previous in ("[", ","):
                inside.items += 1
                if inside.bound is not None and inside.items > inside.bound[0]:
                    rest = _count_rest_json(tokens, 1 if token in ("{", "[") else 0)
                    raise _too_long(inside.path, inside.items + rest, inside.bound, inside.line)
            if token in ("{", "["):
                path, key = inside.child() if inside is not None else ("", "")
                if token == "{":
                    stack.append(_Open(path, key, {}))
                else:
                    stack.append(_Open(path, key, None, bounds.of(path, key), line))
        previous = token
    return duplicates


def _parse_json(text: str, source: str, bounds: _ListBounds, clock: CommandClock | None = None) -> Any:
    try:
        duplicates = _scan_json(text, limit("values"), bounds, clock)
        data = json.loads(text)
    except _Refused as exc:
        raise LayoutError(exc.problem, source) from None
    except json.JSONDecodeError as exc:
        raise LayoutError(f"line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}", source) from None
    except ValueError as exc:  # an integer of thousands of digits
        raise LayoutError(f"invalid JSON: {_value_error(exc)}", source) from None
    if duplicates:
        raise LayoutError(duplicates, source)
    return data
