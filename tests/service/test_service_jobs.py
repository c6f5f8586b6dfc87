"""Jobs over HTTP, run by the CLI's own commands in child processes: a schedule job, an
evaluation that follows it, and a search that queues, shows its place, is cancelled and
resumed. No test waits for a time: each polls for a state."""
from __future__ import annotations

from service_fixtures import YAML, as_yaml, line_layout_data, wait_for

from twin.io import layout_from_data

from optimizer.problem import layout_problem
from optimizer.schedule import check_schedule
from optimizer.schedule_json import schedule_from_json

from service.jobs import JobQueue
from service.workspace import Workspace


def test_a_schedule_job_then_an_evaluation_that_follows_its_schedule(client, line_yaml):
    started = client.post("/v1/jobs/schedule?time_limit=600&workers=1", content=line_yaml, headers=YAML)
    assert started.status_code == 202
    job = started.json()
    assert started.headers["location"] == f"/v1/jobs/{job['id']}"
    assert job["kind"] == "schedule" and job["state"] in ("queued", "running")
    assert wait_for(client, job["id"])["state"] == "complete"
    doc = client.get(job["links"]["result"]).json()
    problem = layout_problem(layout_from_data(line_layout_data()), {})
    assert check_schedule(problem, schedule_from_json(doc)) == []
    assert doc["makespan"] == client.post("/v1/schedules?time_limit=60", content=line_yaml, headers=YAML).json()["makespan"]

    evaluation = client.post(f"/v1/jobs/evaluate?replications=2&schedule_from={job['id']}", content=line_yaml,
                             headers=YAML).json()
    assert wait_for(client, evaluation["id"])["state"] == "complete"
    result = client.get(evaluation["links"]["result"]).json()
    assert (result["control"], result["replications"], result["layout"]) == ("schedule", 2, "line")
    # every unit of the demand (40 of a, 20 of b) is made; with no variability in the file,
    # both replications are the same
    units = result["kpis"]["completed_units"]
    assert units["per_replication"] == [60.0, 60.0]

    # the drill moved 4 m closer to the cutter: the trips of the schedule above no longer match
    # its legs (the checker's reason), and the client is told so before a job exists
    moved = line_layout_data()
    moved["stations"][1]["position"] = [12.0, 5.0]
    response = client.post(f"/v1/jobs/evaluate?schedule_from={job['id']}", content=as_yaml(moved), headers=YAML)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"query.schedule_from: the schedule of {job['id']} does not fit "
                                                "this layout: ")


def test_bad_job_requests_are_refused_before_a_job_exists(client, line_yaml):
    response = client.post("/v1/jobs/search?replications=1", content=line_yaml, headers=YAML)
    assert response.status_code == 422
    assert response.json()["detail"] == "replications must be 0 (no simulation) or at least 2 (an interval needs two)"
    response = client.post("/v1/jobs/evaluate?schedule_from=nothing-here", content=line_yaml, headers=YAML)
    assert response.json()["errors"] == [{"path": "query.schedule_from",
                                          "message": "job or run 'nothing-here' has no finished schedule"}]
    response = client.post("/v1/jobs/evaluate?horizon=100&warmup=100", content=line_yaml, headers=YAML)
    assert response.json()["errors"] == [{"path": "query.warmup", "message": "must end before the horizon (100 s), got 100"}]
    assert client.get("/v1/jobs/..%2F..%2Fetc").status_code in (404, 422)
    assert client.get("/v1/jobs").json() == []


def test_queued_jobs_keep_their_order_and_positions(tmp_path):
    workspace = Workspace(tmp_path)
    workspace.runs.mkdir()
    queue = JobQueue(workspace, max_jobs=1)  # not started: nothing leaves the queue
    ids = [queue.submit("schedule", "layouts/x.yaml", "x", {}).id for _ in range(3)]
    assert [queue.position(i) for i in ids] == [1, 2, 3]
    assert queue.cancel(ids[1]).state == "cancelled"
    assert [queue.position(i) for i in ids] == [1, None, 2]
    assert queue.resume(ids[1]).state == "queued"
    assert [queue.position(i) for i in ids] == [1, 3, 2]
    # a new server on the same workspace takes the queue up in the same order
    again = JobQueue(workspace, max_jobs=1)
    again.recover()
    assert [again.position(i) for i in ids] == [1, 3, 2]


def test_jobs_wait_their_turn_and_can_be_cancelled_and_resumed(make_client, line_yaml):
    client = make_client(max_jobs=1)
    # a search that cannot finish while the test looks at it (it is cancelled anyway)
    big = client.post("/v1/jobs/search?candidates=1000000&shortlist=2&workers=1", content=line_yaml, headers=YAML)
    big = wait_for(client, big.json()["id"], until=lambda job: job["state"] == "running")
    second = client.post("/v1/jobs/schedule?time_limit=600&workers=1", content=line_yaml, headers=YAML).json()
    third = client.post("/v1/jobs/schedule?time_limit=600&workers=1", content=line_yaml, headers=YAML).json()
    assert (second["position"], third["position"]) == (1, 2)
    assert client.post(f"/v1/jobs/{second['id']}/cancel").json()["state"] == "cancelled"
    assert client.get(f"/v1/jobs/{third['id']}").json()["position"] == 1

    client.post(f"/v1/jobs/{big['id']}/cancel")
    assert wait_for(client, big["id"])["state"] == "cancelled"
    assert wait_for(client, third["id"])["state"] == "complete"  # the queue moved on
    conflict = client.post(f"/v1/jobs/{third['id']}/cancel")
    assert conflict.status_code == 409
    assert conflict.json()["detail"] == f"job {third['id']} is complete; only a queued or running job can be cancelled"
    assert client.post(f"/v1/jobs/{third['id']}/resume").status_code == 409

    assert client.post(f"/v1/jobs/{big['id']}/resume").status_code == 202
    wait_for(client, big["id"], until=lambda job: job["state"] == "running")
    client.post(f"/v1/jobs/{big['id']}/cancel")
    assert wait_for(client, big["id"])["state"] == "cancelled"
    states = {job["id"]: job["state"] for job in client.get("/v1/jobs").json()}
    assert states == {big["id"]: "cancelled", second["id"]: "cancelled", third["id"]: "complete"}
