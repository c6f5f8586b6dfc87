"""Where the app reads and writes: everything stays inside one working folder.

The working folder is the current directory when the app starts (override with the
FACTORY_TWIN_APP_DIR environment variable). Samples come from the repository's `layouts/`
folder; runs started from the app go under `<workdir>/runs/`; uploads never touch the disk
except as an empty per-upload folder that robot-file paths resolve against (and so find
nothing outside it).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def workdir() -> Path:
    return Path(os.environ.get("FACTORY_TWIN_APP_DIR") or os.getcwd()).resolve()


def samples_dir() -> Path:
    env = os.environ.get("FACTORY_TWIN_SAMPLES")
    return Path(env).resolve() if env else REPO_ROOT / "layouts"


def sample_layouts() -> dict[str, Path]:
    """Sample factory name (file stem) -> file, sorted by name."""
    folder = samples_dir()
    files = sorted(p for p in folder.glob("*.y*ml") if p.is_file()) if folder.is_dir() else []
    return {p.stem: p for p in files}


def runs_dir() -> Path:
    return workdir() / "runs"


def uploads_dir() -> Path:
    """An empty folder that uploaded layouts resolve robot files against."""
    return workdir() / ".uploads"


def safe_name(name: str, default: str = "layout") -> str:
    """A file-name stem made only of safe characters: no folders, no dots up front."""
    stem = Path(name.replace("\\", "/")).name
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem).lstrip(".")[:64]
    return stem or default


def inside(path: Path, root: Path) -> bool:
    """True when `path` resolves to somewhere inside `root` (symlinks followed)."""
    try:
        return Path(path).resolve().is_relative_to(Path(root).resolve())
    except OSError:
        return False
