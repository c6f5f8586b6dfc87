"""Validating and scheduling a layout over HTTP: the CLI's answers, problem documents with
field paths for bad input, and schedules that pass the independent checker."""
from __future__ import annotations

import json
from pathlib import Path

import yaml
from service_fixtures import YAML, as_yaml, line_layout_data

from twin.io import layout_from_data

from optimizer.problem import layout_problem
from optimizer.schedule import check_schedule
from optimizer.schedule_json import schedule_from_json

SAMPLES = Path(__file__).resolve().parents[2] / "layouts"


def test_a_valid_sample_is_reported_with_its_counts(client):
    text = (SAMPLES / "auto_parts.yaml").read_text()
    response = client.post("/v1/layouts/validate", content=text, headers=YAML)
    assert response.status_code == 200
    assert response.json() == {"valid": True, "layout": "auto_parts", "stations": 17, "placed": 17, "products": 5,
                               "lots": 18, "problems": []}


def test_every_problem_comes_with_its_field_path(client):
    data = line_layout_data()
    data["stations"][1]["footprint"]["width"] = -1
    data["products"][0]["routing"][1]["stations"] = ["lathe"]
    response = client.post("/v1/layouts/validate", content=as_yaml(data), headers=YAML)
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is False
    assert {"path": "stations[1].footprint.width", "message": "must be positive"} in body["problems"]
    assert {"path": "products[0].routing[1].stations", "message": "no station 'lathe'"} in body["problems"]


def test_json_bodies_are_read_like_json_files(client):
    response = client.post("/v1/layouts/validate", json=line_layout_data())
    assert response.json()["valid"] is True
    duplicate = '{"name": "a", "name": "b"}'
    response = client.post("/v1/layouts/validate", content=duplicate, headers={"content-type": "application/json"})
    assert response.json()["problems"] == [{"path": "", "message": "line 1: key 'name' is given twice (first on line 1)"}]
    # a byte-order mark (some editors write one) is dropped, as the command line and the app do
    bom = b"\xef\xbb\xbf" + json.dumps(line_layout_data()).encode()
    response = client.post("/v1/layouts/validate", content=bom, headers={"content-type": "application/json"})
    assert response.json()["valid"] is True
    # a request body that is not UTF-8 gets the same message on every endpoint
    response = client.post("/v1/reschedule", content=b"\xff\xfe", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"path": "", "message": "not a text file (UTF-8 expected)"}]


def test_the_schedule_is_optimal_and_passes_the_independent_checker(client, line_yaml):
    response = client.post("/v1/schedules?time_limit=60&workers=1", content=line_yaml, headers=YAML)
    assert response.status_code == 200
    doc = response.json()
    problem = layout_problem(layout_from_data(line_layout_data()), {})
    assert check_schedule(problem, schedule_from_json(doc)) == []
    # known answer: cut a, a, then b (b's shorter tail fits under a's); the last a lot's chain
    # is two cuts of 60 s, its legs cut->drill and drill->pack, drill 40 s and pack 20 s
    legs = {(t["job"], t["from"], t["to"]): t["end"] - t["start"] for t in doc["transports"]}
    last_a = max(job for job, _, _ in legs if job.startswith("a#"))
    assert doc["status"] == "optimal"
    assert doc["makespan"] == 120 + legs[(last_a, "cut", "drill")] + 40 + legs[(last_a, "drill", "pack")] + 20


def test_a_bad_layout_is_a_problem_document_with_field_paths(client):
    data = line_layout_data()
    data["floor"]["grid"] = float("inf")
    response = client.post("/v1/schedules", content=yaml.safe_dump(data), headers=YAML)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "https://factory-twin.dev/problems/invalid-layout"
    assert body["errors"] == [{"path": "floor.grid", "message": "must be a finite number, got inf"}]


def test_query_options_are_range_checked_with_their_path(client, line_yaml):
    response = client.post("/v1/schedules?time_limit=61&objective=fastest", content=line_yaml, headers=YAML)
    assert response.status_code == 422
    paths = [e["path"] for e in response.json()["errors"]]
    assert paths == ["query.time_limit", "query.objective"]


def test_other_media_types_and_unknown_endpoints_are_problem_documents(client, line_yaml):
    response = client.post("/v1/layouts/validate", content=line_yaml, headers={"content-type": "text/html"})
    assert response.status_code == 415
    assert response.json()["detail"].endswith("not text/html")
    response = client.get("/v1/no/such/thing")
    assert (response.status_code, response.json()["detail"]) == (404, "no endpoint /v1/no/such/thing")
    response = client.post("/v1/layouts/validate", content=b"\xff\xfe", headers=YAML)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"path": "", "message": "not a text file (UTF-8 expected)"}]


def test_the_openapi_document_carries_the_cli_schemas(client):
    from optimizer.schedule_json import schedule_json_schema

    doc = client.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    assert schemas["Schedule"]["required"] == schedule_json_schema()["required"]
    assert "Layout_Station" in schemas and "$defs" not in schemas["Layout"]
    assert client.get("/v1/schemas/schedule").json() == schedule_json_schema()
    assert {"/v1/layouts/validate", "/v1/schedules", "/v1/jobs/search", "/v1/runs"} <= set(doc["paths"])
