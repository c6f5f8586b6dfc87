"""A search job on Ray: the server started with `--backend ray --address` sends its search
jobs to that cluster (here a real local Ray the test starts); the run completes and its best
design's plan passes the independent checker. (That a search screens on Ray exactly what it
screens on local processes is tests/optimizer/test_runner.py's.)"""
from __future__ import annotations

import pytest
import yaml
from service_fixtures import YAML, wait_for

from twin.io import layout_from_data

from optimizer.problem import layout_problem
from optimizer.schedule import check_schedule
from optimizer.schedule_json import schedule_from_json

SEARCH = {"candidates": 20, "shortlist": 1, "simulate": 0, "time_limit": 2.0, "seed": 3, "workers": 2, "chunk_size": 10}


@pytest.fixture
def ray_address():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()


@pytest.mark.ray
def test_a_search_job_runs_on_the_servers_ray_cluster(make_client, line_yaml, ray_address):
    from ray._private.state import jobs as drivers

    client = make_client(backend="ray", address=ray_address)
    connected = len(drivers())
    job = client.post("/v1/jobs/search", params=SEARCH, content=line_yaml, headers=YAML).json()
    assert job["params"]["backend"] == "ray" and "address" not in job["params"]  # the server's, not shown
    assert wait_for(client, job["id"])["state"] == "complete"
    assert len(drivers()) == connected + 1  # the job's process joined this cluster as a driver

    run = client.get(f"/v1/runs/{job['id']}").json()
    assert (run["run"]["status"], run["run"]["screened"]) == ("complete", SEARCH["candidates"])
    best = client.get(f"/v1/runs/{job['id']}/layout").text
    doc = client.get(f"/v1/runs/{job['id']}/schedule").json()
    problem = layout_problem(layout_from_data(yaml.safe_load(best)), {})
    assert check_schedule(problem, schedule_from_json(doc)) == []  # the best design's plan, checked
    assert doc["makespan"] == run["run"]["best_makespan"]


def test_an_address_needs_the_ray_backend(make_client):
    from twin.errors import InputError

    with pytest.raises(InputError, match=r"^--address is only used with --backend ray$"):
        make_client(address="127.0.0.1:6379")
    with pytest.raises(InputError, match=r"^unknown backend 'spark'; valid: local, ray$"):
        make_client(backend="spark")
