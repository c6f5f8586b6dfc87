"""The folders the service reads and writes, all inside its workspace, and the names in
them. A client never names a server path: it sends content and gets ids back, and an id is
checked against a strict pattern before it becomes a folder name."""
from __future__ import annotations

import hashlib
import json
import re
import uuid
from pathlib import Path
from typing import Any

from twin.io import write_text_atomic

from service.problems import ServiceError

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"
_ID = re.compile(ID_PATTERN)


class Workspace:
    """`layouts/`: uploaded layouts by content hash (robot files they name resolve here);
    `runs/`: one folder per job, a search's being its run folder (the app lists them too)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.layouts = self.root / "layouts"
        self.runs = self.root / "runs"

    def store_layout(self, text: str, fmt: str) -> str:
        """Keep an uploaded layout's text; returns its path relative to the workspace (the
        name that messages show, never the server's absolute path)."""
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]
        name = f"layouts/{digest}.{'json' if fmt == 'json' else 'yaml'}"
        path = self.root / name
        if not path.exists():
            write_text_atomic(path, text)
        return name

    def public(self, text: str) -> str:
        """A message with the server's own folders named relative to the workspace."""
        return text.replace(str(self.root), "workspace")

    def run_dir(self, run_id: str) -> Path:
        """The folder of a job or run, which must exist."""
        if not _ID.match(run_id) or run_id in (".", ".."):
            raise ServiceError(404, "not-found", "Not found", f"no run or job {run_id!r}")
        path = self.runs / run_id
        if not path.is_dir():
            raise ServiceError(404, "not-found", "Not found", f"no run or job {run_id!r}")
        return path


def new_job_id(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:12]}"


def write_json(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=1, allow_nan=False) + "\n")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
