"""The layout-search tests here run many searches in this process; each finished run used to
render its best layout in 3D (software OpenGL with 4x super-sampling: about a second on a quiet
machine, several under load). Here the run folder gets the plain top view instead. None of these
tests could see a 3D render fail anyway: a run falls back to the top view whenever it does. The
3D render itself is tested in tests/twin/test_scene.py, and the runs of the `optimize` command
started as processes here (kill -9 and resume) and the server's runs (tests/service) still render
their pictures in 3D."""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _top_view_run_pictures(monkeypatch):
    from optimizer import report

    def top_view(layout, path: Path, physics, schedule_doc=None, layout_dir=None) -> Path:
        return report.top_view_png(layout, path)

    monkeypatch.setattr(report, "render_layout_png", top_view)
