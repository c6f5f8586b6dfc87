"""What autosave costs (not a test): the app saves the project's workspace after every change,
so its time and size matter. For each sample factory with a full undo history (50 layouts)
and one schedule: the file size, and the median wall time of a save (JSON, fsync, rename,
under the lock) and of a load, over 20 rounds. Writes benchmarks/results/workspace.md.

    .venv/bin/python benchmarks/workspace_bench.py
"""
from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROUNDS = 20


def main() -> None:
    from factory_app import workspace
    from factory_app.editing import MAX_UNDO, layout_data
    from twin.io import load_layout

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        os.environ["FACTORY_TWIN_APP_DIR"] = folder
        for path in sorted((ROOT / "layouts").glob("*.yaml")):
            layout = load_layout(path)
            data = layout_data(layout)
            operations = [{"job": f"lot{i}", "station": s.id, "start": i * 10.0, "end": i * 10.0 + 9.0}
                          for i, s in enumerate(layout.stations * 20)]
            snapshot = workspace.Snapshot(layout=data, source=f"sample:{path.stem}", history=[data] * MAX_UNDO,
                                          schedules={"one": {"operations": operations}}, opened_as=data)
            version, saves, loads = None, [], []
            for _ in range(ROUNDS):
                started = time.perf_counter()
                version = workspace.save(path.stem, snapshot, version)
                saves.append(time.perf_counter() - started)
                started = time.perf_counter()
                workspace.load(path.stem)
                loads.append(time.perf_counter() - started)
            size = (workspace.project_dir(path.stem) / workspace.FILE).stat().st_size
            rows.append((path.stem, size, statistics.median(saves), statistics.median(loads)))
    lines = [
        "# Workspace autosave", "",
        f"`.venv/bin/python benchmarks/workspace_bench.py` on {platform.machine()}, Python "
        f"{platform.python_version()}, {os.cpu_count()} cores (shared). Each sample with {MAX_UNDO} layouts of undo "
        f"history and one schedule; median of {ROUNDS} rounds.", "",
        "| sample | file size | save (median) | load (median) |", "| --- | --- | --- | --- |",
    ]
    lines += [f"| {name} | {size / 1e6:.2f} MB | {save * 1000:.0f} ms | {load * 1000:.0f} ms |"
              for name, size, save, load in rows]
    out = ROOT / "benchmarks" / "results" / "workspace.md"
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
