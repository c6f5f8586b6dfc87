"""Robot meshes for the 3D scene, and the `simulate` command's reports and picture."""
from __future__ import annotations

import json
from pathlib import Path

import yaml
from cell_fixtures import layout, station, task

from twin.physics.visuals import robot_visuals


def test_robot_visuals_give_meshes_in_the_cell_frame(uncached):
    cell = station([task()], base={"xyz": [0.2, 0.1, 0.0]}).cell
    visuals = robot_visuals(cell, None, uncached)
    assert len(visuals) >= 8
    for mesh, matrix, rgba in visuals:
        assert Path(mesh).is_file() and matrix.shape == (4, 4) and len(rgba) == 4
    # the base mesh sits at the base pose
    assert any(abs(m[0, 3] - 0.2) < 0.05 and abs(m[1, 3] - 0.1) < 0.05 and abs(m[2, 3]) < 0.05 for _, m, _ in visuals)


def test_cli_simulate_prints_reports_and_renders(tmp_path, capsys):
    from optimizer.cli import main

    st = station([task(payload=0.5, id="pp")], sid="pnp")
    path = tmp_path / "f.yaml"
    path.write_text(yaml.safe_dump(layout(st).model_dump(mode="json", by_alias=True)))
    cache = tmp_path / "cache"
    assert main(["simulate", str(path), "--json", "--cache-dir", str(cache)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["cells"]["pnp"]["tasks"][0]["ok"] and out["problems"] == []
    png = tmp_path / "cell.png"
    assert main(["simulate", str(path), "--cell", "pnp", "--render", str(png), "--cache-dir", str(cache)]) == 0
    text = capsys.readouterr().out
    assert "pp" in text and "[cached]" in text and png.stat().st_size > 1000
    assert main(["simulate", str(path), "--cell", "nope", "--cache-dir", str(cache)]) == 2
    assert "robot cells: pnp" in capsys.readouterr().err
