"""Data for the HTTP service tests (imported by name: a module called `conftest` would clash
with the other test folders' when they run together)."""
from __future__ import annotations

import time

import yaml

YAML = {"content-type": "application/x-yaml"}


def line_layout_data() -> dict:
    """Three machines in a row (no robot cells, so no physics) and two products."""
    def machine(sid: str, x: float) -> dict:
        return {"id": sid, "kind": "machine", "footprint": {"width": 2.0, "depth": 2.0}, "position": [x, 5.0]}

    return {
        "name": "line",
        "floor": {"width": 20.0, "depth": 10.0, "grid": 1.0, "aisle_width": 1.5,
                  "docks": [{"id": "in", "kind": "receiving", "position": [0.0, 5.0]},
                            {"id": "out", "kind": "shipping", "position": [20.0, 5.0]}]},
        "stations": [machine("cut", 4.0), machine("drill", 16.0), machine("pack", 10.0)],
        "transport": {"agv": {"speed": 1.0, "fleet_size": 2, "load_time": 5.0}},
        "products": [
            {"id": "a", "family": "f1", "demand": 40, "lot_size": 20,
             "routing": [{"id": "cut", "stations": ["cut"], "time": 3.0},
                         {"id": "drill", "stations": ["drill"], "time": 2.0},
                         {"id": "pack", "stations": ["pack"], "time": 1.0}]},
            {"id": "b", "family": "f2", "demand": 20, "lot_size": 20,
             "routing": [{"id": "cut", "stations": ["cut"], "time": 2.0},
                         {"id": "pack", "stations": ["pack"], "time": 1.0}]},
        ],
    }


def as_yaml(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False)


def wait_for(client, job_id: str, until=lambda job: job["state"] not in ("queued", "running")) -> dict:
    """Poll a job until `until(job)` (by default: until it has ended); no test waits for a time."""
    while True:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if until(job):
            return job
        time.sleep(0.1)
