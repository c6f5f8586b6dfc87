"""A small factory for the search tests: five machines (no robot cells, so no physics) in a
zig-zag as-is layout that the search can shorten; one station fixed."""
from __future__ import annotations

from pathlib import Path

import yaml


def tiny_layout_data() -> dict:
    def machine(sid: str, x: float, y: float, fixed: bool = False, w: float = 2.0, d: float = 2.0) -> dict:
        return {"id": sid, "kind": "machine", "footprint": {"width": w, "depth": d}, "position": [x, y], "fixed": fixed}

    return {
        "name": "tiny",
        "floor": {
            "width": 24.0, "depth": 14.0, "grid": 1.0, "aisle_width": 1.5,
            "keep_out": [{"id": "col", "kind": "column", "x": 12.0, "y": 7.0, "width": 0.5, "depth": 0.5}],
            "docks": [{"id": "in", "kind": "receiving", "position": [0.0, 7.0]},
                      {"id": "out", "kind": "shipping", "position": [24.0, 7.0]}],
        },
        "stations": [
            machine("saw", 20.0, 11.0),
            machine("mill", 4.0, 3.0, fixed=True),
            machine("drill", 20.0, 3.0),
            machine("deburr", 4.0, 11.0),
            machine("pack", 12.0, 11.0, w=3.0),
        ],
        "transport": {"agv": {"speed": 0.5, "fleet_size": 2, "load_time": 10.0}},
        "products": [
            {"id": "a", "family": "f1", "demand": 60, "lot_size": 20,
             "routing": [{"id": "cut", "stations": ["saw"], "time": 3.0},
                         {"id": "mill", "stations": ["mill"], "time": 4.0},
                         {"id": "drill", "stations": ["drill"], "time": 2.0},
                         {"id": "deburr", "stations": ["deburr"], "time": 1.0},
                         {"id": "pack", "stations": ["pack"], "time": 1.0}]},
            {"id": "b", "family": "f2", "demand": 40, "lot_size": 20,
             "routing": [{"id": "cut", "stations": ["saw"], "time": 2.0},
                         {"id": "drill", "stations": ["drill"], "time": 3.0},
                         {"id": "pack", "stations": ["pack"], "time": 1.0}]},
        ],
    }


def write_tiny_layout(folder: Path) -> Path:
    path = Path(folder) / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny_layout_data(), sort_keys=False), encoding="utf-8")
    return path
