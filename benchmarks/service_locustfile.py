"""Locust users for `service_load_bench.py`: clients that validate a layout and ask for a
small schedule back to back (no think time), and one client that submits schedule jobs."""
from __future__ import annotations

import os
from pathlib import Path

from locust import HttpUser, constant, task

LAYOUT = Path(os.environ["FACTORY_TWIN_BENCH_LAYOUT"]).read_text(encoding="utf-8")
YAML = {"content-type": "application/x-yaml"}


class Planner(HttpUser):
    """What an MES or a planning tool does: check a layout, get its schedule."""

    wait_time = constant(0)

    @task
    def validate(self) -> None:
        with self.client.post("/v1/layouts/validate", data=LAYOUT, headers=YAML, catch_response=True) as response:
            if response.status_code != 200 or response.json().get("valid") is not True:
                response.failure(f"{response.status_code}: {response.text[:200]}")

    @task
    def schedule(self) -> None:
        with self.client.post("/v1/schedules?time_limit=30&workers=1", data=LAYOUT, headers=YAML,
                              catch_response=True, name="/v1/schedules") as response:
            if response.status_code != 200 or response.json().get("status") not in ("optimal", "feasible"):
                response.failure(f"{response.status_code}: {response.text[:200]}")


class JobSubmitter(HttpUser):
    """Submits a schedule job now and then; the benchmark checks afterwards that every job
    it accepted completed."""

    wait_time = constant(2)
    fixed_count = 1

    @task
    def submit(self) -> None:
        with self.client.post("/v1/jobs/schedule?time_limit=60&workers=1", data=LAYOUT, headers=YAML,
                              catch_response=True, name="/v1/jobs/schedule") as response:
            if response.status_code != 202:
                response.failure(f"{response.status_code}: {response.text[:200]}")
