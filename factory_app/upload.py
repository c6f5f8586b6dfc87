"""Opening layouts from uploads and samples, safely.

An upload is checked for size before it is decoded (the layout file limit of the command line
and the service), decoded as UTF-8, and parsed by the same readers (`twin.io.parse_layout`:
safe YAML or JSON, aliases and nesting bounded, keys given twice refused), so it can only
ever become plain data. It is never written to disk; robot-file paths in it resolve against an empty
folder inside the app's working folder, so nothing outside that folder is read.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from twin.errors import LayoutError
from twin.io import load_layout, parse_layout
from twin.limits import limit
from twin.model import Layout
from twin.readers import size_problem, uploaded_text

from factory_app.paths import safe_name, sample_layouts, uploads_dir

ALLOWED_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Opened:
    layout: Layout
    source: str
    layout_dir: Path | None
    path: Path | None = None  # the file it came from (samples only; uploads are not files)


def upload_limit() -> int:
    """The most bytes an upload may have: the layout file limit of the command line and the
    service (`FACTORY_TWIN_MAX_FILE_BYTES`, read when checked)."""
    return limit("file_bytes")


def open_upload(name: str, content: bytes) -> Opened:
    """Parse an uploaded layout file; raises LayoutError with a plain message when it is too
    big, not text, not YAML/JSON, or not a valid layout (the command line's readers, limits
    and messages)."""
    label = safe_name(name)
    suffix = Path(label).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise LayoutError(f"upload a .yaml, .yml or .json file, not {suffix or 'a file without a suffix'}", label)
    max_bytes = upload_limit()
    if len(content) > max_bytes:
        raise LayoutError(size_problem(len(content), max_bytes, "FACTORY_TWIN_MAX_FILE_BYTES"), label)
    text = uploaded_text(content, label)
    layout = parse_layout(text, label, fmt="json" if suffix == ".json" else "yaml")
    folder = uploads_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return Opened(layout, f"upload:{label}", folder)


def open_sample(name: str) -> Opened:
    samples = sample_layouts()
    if name not in samples:
        raise LayoutError(f"no sample factory {name!r}; samples: {', '.join(samples) or 'none'}")
    path = samples[name]
    return Opened(load_layout(path), f"sample:{name}", path.parent, path)
