"""A search job on Ray: the server started with `--backend ray --address` sends its search
jobs to that cluster (here a real local Ray the test starts), and the run is the one the
same search makes on local processes."""
from __future__ import annotations

import pytest
from service_fixtures import YAML, wait_for

SEARCH = {"candidates": 20, "shortlist": 1, "simulate": 0, "time_limit": 2.0, "seed": 3, "workers": 2,
          "chunk_size": 10}


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

    client = make_client(backend="ray", address=ray_address, max_jobs=2)  # both jobs at once
    connected = len(drivers())
    on_ray = client.post("/v1/jobs/search", params=SEARCH, content=line_yaml, headers=YAML).json()
    assert on_ray["params"]["backend"] == "ray" and "address" not in on_ray["params"]  # the server's, not shown
    local = client.post("/v1/jobs/search", params={**SEARCH, "backend": "local"}, content=line_yaml, headers=YAML).json()
    assert wait_for(client, on_ray["id"])["state"] == "complete"
    assert wait_for(client, local["id"])["state"] == "complete"
    assert len(drivers()) == connected + 1  # the job's process joined this cluster as a driver

    ray_run, local_run = (client.get(f"/v1/runs/{job['id']}").json() for job in (on_ray, local))
    assert ray_run["run"]["screened"] == SEARCH["candidates"]
    assert (ray_run["best_seq"], ray_run["run"]["best_makespan"], ray_run["run"]["best_flow"]) == \
           (local_run["best_seq"], local_run["run"]["best_makespan"], local_run["run"]["best_flow"])
    assert client.get(f"/v1/runs/{on_ray['id']}/schedule").json() == \
           client.get(f"/v1/runs/{local['id']}/schedule").json()


def test_an_address_needs_the_ray_backend(make_client):
    from twin.errors import InputError

    with pytest.raises(InputError, match=r"^--address is only used with --backend ray$"):
        make_client(address="127.0.0.1:6379")
    with pytest.raises(InputError, match=r"^unknown backend 'spark'; valid: local, ray$"):
        make_client(backend="spark")
