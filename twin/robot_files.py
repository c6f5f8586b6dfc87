"""The rule for robot files a layout names: what a URDF next to the layout may be.

A URDF must lie inside the layout's folder once symlinks are followed, be a readable URDF
(a `<robot>` with links and at least one movable joint) of at most `MAX_URDF_BYTES`, and every
file it references (`filename="..."`: meshes, textures) must also lie inside that folder,
exist, and be at most `MAX_MESH_BYTES` (the cache digest reads each one); an .stl file must
look like one (its first bytes and its size). These checks read
the XML only: no physics client starts, so `factory-twin validate` runs them, and loading a
robot runs them again. Each failure is a `LayoutError` at the cell's `robot` field.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from twin.errors import LayoutError, Problem

MAX_URDF_BYTES = 4 * 2**20  # 4 MiB: a URDF is a few kB of XML; its geometry lives in mesh files
MAX_MESH_BYTES = 64 * 2**20  # 64 MiB per referenced file: the detailed meshes of an industrial arm are a few MB
PACKAGE = "package://"


def _size_text(n: int) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def _parse(urdf: Path, name: str, path: str) -> ET.Element:
    size = urdf.stat().st_size
    if size == 0:
        raise LayoutError(Problem(path, f"robot file {name!r} is empty"))
    if size > MAX_URDF_BYTES:
        raise LayoutError(Problem(path, f"robot file {name!r} is {_size_text(size)}, over the "
                                        f"{_size_text(MAX_URDF_BYTES)} limit for a URDF"))
    try:
        root = ET.fromstring(urdf.read_bytes())
    except ET.ParseError as exc:
        raise LayoutError(Problem(path, f"robot file {name!r} is not a URDF: invalid XML ({exc})")) from None
    if root.tag != "robot":
        raise LayoutError(Problem(path, f"robot file {name!r} is not a URDF: its root element is <{root.tag}>, "
                                        "not <robot>"))
    if root.find("link") is None:
        raise LayoutError(Problem(path, f"robot file {name!r} has no <link>: a robot needs links and joints"))
    if not any(j.get("type", "fixed") != "fixed" for j in root.findall("joint")):
        raise LayoutError(Problem(path, f"robot file {name!r} has no movable joint: a robot needs one to move"))
    return root


def _reference(base: Path, folder: Path, ref: str, name: str, path: str) -> Path:
    """The file a `filename` attribute names, checked to lie inside `base`."""
    where = f"robot file {name!r} references {ref!r}"
    relative = ref.removeprefix(PACKAGE)
    if "://" in relative or Path(relative).is_absolute():
        raise LayoutError(Problem(path, f"{where}: a referenced file must be a path relative to the URDF, "
                                        f"inside the layout's folder {base}"))
    target = (folder / relative).resolve()
    if not target.is_relative_to(base):
        raise LayoutError(Problem(path, f"{where}, which resolves to {target}, outside the layout's folder {base}"))
    if not target.is_file():
        raise LayoutError(Problem(path, f"{where}, which is not a file in {base}"))
    size = target.stat().st_size
    if size > MAX_MESH_BYTES:
        raise LayoutError(Problem(path, f"{where}, which is {_size_text(size)}, over the "
                                        f"{_size_text(MAX_MESH_BYTES)} limit for a robot mesh"))
    if target.suffix.lower() == ".stl":
        problem = _stl_problem(target, size)
        if problem is not None:
            raise LayoutError(Problem(path, f"{where}, which {problem}"))
    return target


def _stl_problem(target: Path, size: int) -> str | None:
    """Why an .stl file cannot be a mesh, from its first 84 bytes and its size, or None. An
    ASCII STL begins with 'solid'; a binary one is an 80-byte header, a triangle count N and
    50 bytes per triangle. PyBullet loads a link whose mesh is neither (drawing it fails
    later), so without this check only `render` would notice."""
    with target.open("rb") as f:
        head = f.read(84)
    if head.lstrip().startswith(b"solid"):
        return None
    if len(head) < 84:
        return f"is not an STL mesh: {size} bytes, shorter than a binary STL's 84-byte header"
    triangles = int.from_bytes(head[80:84], "little")
    if size != 84 + 50 * triangles:
        return (f"is not an STL mesh: it does not begin with 'solid', and as a binary STL of {triangles:,} "
                f"triangles it would be {84 + 50 * triangles:,} bytes, not {size:,}")
    return None


def check_urdf(robot: str, layout_dir: Path | str, path: str = "cell.robot") -> Path:
    """The URDF file a cell names, checked by the rule above; raises `LayoutError` at `path`."""
    base = Path(layout_dir).resolve()
    candidate = Path(robot)
    if candidate.is_absolute() or ".." in candidate.parts:
        raise LayoutError(Problem(path, f"robot file {robot!r} must be a relative path inside the layout's folder {base}"))
    resolved = (base / candidate).resolve()
    if not resolved.is_relative_to(base):
        raise LayoutError(Problem(path, f"robot file {robot!r} resolves to {resolved}, outside the layout's folder {base}"))
    if not resolved.is_file():
        raise LayoutError(Problem(path, f"robot file {robot!r} not found in {base}"))
    root = _parse(resolved, robot, path)
    for element in root.iter():
        ref = element.get("filename")
        if ref is not None:
            _reference(base, resolved.parent, ref, robot, path)
    return resolved
