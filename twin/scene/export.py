"""Writing the scene for other tools: glTF (`.gltf`, `.glb`: web viewers, Blender) and VTK
(`.vtm`: one named block per part; `.vtk`: one mesh with "rgb" and "kind" cell arrays)."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from twin.errors import InputError
from twin.scene.parts import PART_KINDS, Part, Scene
from twin.scene.view import make_plotter

if TYPE_CHECKING:  # pyvista is imported where it is used: `import twin.scene` stays fast
    import pyvista as pv

EXPORT_SUFFIXES = (".gltf", ".glb", ".vtm", ".vtk")


def _export_block(part: Part) -> "pv.PolyData":
    """A part's mesh with its colour as an "rgb" cell array and its kind in field data, so
    ParaView and other VTK readers show it as the scene does."""
    mesh = part.mesh.copy(deep=True)
    if not (part.rgb and "rgb" in mesh.cell_data):
        mesh.cell_data["rgb"] = np.tile((np.array(part.color) * 255).astype(np.uint8), (mesh.n_cells, 1))
    mesh.cell_data["kind"] = np.full(mesh.n_cells, PART_KINDS.index(part.kind), dtype=np.int8)
    mesh.cell_data["opacity"] = np.full(mesh.n_cells, part.opacity, dtype=np.float32)
    mesh.point_data.clear()  # not every part has normals; merged files need one set of arrays
    mesh.field_data["part"] = [part.name]
    mesh.field_data["part_kind"] = [part.kind]
    return mesh


def export_scene(scene: Scene, path: str | Path) -> Path:
    """Write the scene as glTF (`.gltf`, `.glb`: web viewers, Blender) or VTK (`.vtm`: one
    named block per part; `.vtk`: everything in one mesh with "rgb" and "kind" cell arrays)."""
    import pyvista as pv

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise InputError(f"{path}: cannot export a scene as '{suffix or path.name}': use one of "
                         f"{', '.join(EXPORT_SUFFIXES)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    parts = [p for p in scene if p.mesh.n_points]
    if suffix in (".gltf", ".glb"):
        plotter = make_plotter(scene, off_screen=True, window_size=(800, 600))
        try:
            if suffix == ".gltf":
                plotter.export_gltf(str(path), inline_data=True)
            else:
                import tempfile

                with tempfile.TemporaryDirectory() as tmp:
                    gltf = Path(tmp) / "scene.gltf"
                    plotter.export_gltf(str(gltf), inline_data=True)
                    path.write_bytes(_gltf_to_glb(gltf.read_text(encoding="utf-8")))
        finally:
            plotter.close()
    elif suffix == ".vtm":
        blocks = pv.MultiBlock()
        for part in parts:
            blocks.append(_export_block(part), part.name)
        blocks.save(str(path))
    else:
        merged = pv.merge([_export_block(p) for p in parts], merge_points=False)
        merged.field_data["part_kinds"] = list(PART_KINDS)
        merged.save(str(path))
    return path


def _gltf_to_glb(text: str) -> bytes:
    """Pack a glTF whose buffers are inline data URIs into one binary .glb (glTF 2.0 §4.4)."""
    import base64
    import json
    import struct

    doc = json.loads(text)
    blob = bytearray()
    starts = []
    for buffer in doc.get("buffers", []):
        uri = buffer.get("uri", "")
        if not uri.startswith("data:"):
            raise InputError("glTF export: expected inline buffers")
        data = base64.b64decode(uri.split(",", 1)[1])
        while len(blob) % 4:
            blob.append(0)
        starts.append(len(blob))
        blob += data
    for view in doc.get("bufferViews", []):
        view["byteOffset"] = view.get("byteOffset", 0) + starts[view["buffer"]]
        view["buffer"] = 0
    while len(blob) % 4:
        blob.append(0)
    doc["buffers"] = [{"byteLength": len(blob)}] if blob else []
    head = json.dumps(doc, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 4)
    chunks = struct.pack("<I4s", len(head), b"JSON") + head
    if blob:
        chunks += struct.pack("<I4s", len(blob), b"BIN\x00") + bytes(blob)
    return struct.pack("<4sII", b"glTF", 2, 12 + len(chunks)) + chunks
