"""Rescheduling from the live state on a sample factory: the new schedule keeps the work that
was done or under way, leaves the failed station alone while it is down, starts nothing new
in the past, and passes the independent checker. Every expectation is computed here from the
old schedule, not taken from the code under test."""
from __future__ import annotations

from pathlib import Path

import pytest
from service_fixtures import YAML

from twin.io import load_layout
from twin.physics import task_times

from optimizer.problem import layout_problem
from optimizer.schedule import check_schedule
from optimizer.schedule_json import schedule_from_json

SAMPLE = Path(__file__).resolve().parents[2] / "layouts" / "food_packaging.yaml"
OUTAGE = 1800.0  # "station X failed at NOW for 30 minutes"


@pytest.fixture(scope="module")
def sample_problem(physics):
    layout = load_layout(SAMPLE)
    return layout_problem(layout, task_times(layout, SAMPLE.parent, physics))  # AGVs with their empty runs


def test_a_station_down_for_30_minutes(client, sample_problem):
    text = SAMPLE.read_text()
    old = client.post("/v1/schedules?solver=dispatch&time_limit=60", content=text, headers=YAML).json()
    station = old["kpis"]["bottleneck"]
    now = round(old["makespan"] / 3)
    response = client.post("/v1/reschedule?time_limit=5", json={
        "layout": text, "schedule": old, "now": now, "down": [{"station": station, "start": now, "end": now + OUTAGE}]})
    assert response.status_code == 200, response.text
    body = response.json()
    new = body["schedule"]
    assert check_schedule(sample_problem, schedule_from_json(new)) == []  # each vehicle from where it stands
    trip = ("job", "from", "to", "start", "vehicle")
    made = [{f: t.get(f) for f in trip} for t in old["transports"] if t["start"] < now and "vehicle" in t]
    assert made and all(t in [{f: n.get(f) for f in trip} for n in new["transports"]] for t in made)  # stay as made

    def key(op: dict) -> tuple:
        return op["job"], op["operation"]

    after = {key(op): op for op in new["operations"]}
    started = [op for op in old["operations"] if op["start"] < now]
    cut = [op for op in started if op["station"] == station and op["end"] > now]
    assert [(o["job"], o["operation"]) for o in cut] == [(i["job"], i["operation"]) for i in body["interrupted"]]
    blocked = {op["job"] for op in cut}
    kept = [op for op in started if op["job"] not in blocked or op["end"] <= now]
    for op in kept:  # what happened stays as it happened
        assert {f: after[key(op)][f] for f in ("station", "lane", "start", "end")} == \
               {f: op[f] for f in ("station", "lane", "start", "end")}
    assert len(body["kept"]) == len(kept)
    kept_keys = {key(op) for op in kept}
    for op in new["operations"]:
        if key(op) not in kept_keys:
            assert op["start"] >= now  # nothing new in the past
        if op["station"] == station:
            assert op["end"] <= now or op["start"] >= now + OUTAGE  # nothing on the station while it is down
    assert cut and new["makespan"] >= now + OUTAGE  # the cut work is done again after the repair


def test_bad_live_states_are_named(client, line_yaml):
    old = client.post("/v1/schedules?time_limit=60", content=line_yaml, headers=YAML).json()
    response = client.post("/v1/reschedule", json={"layout": line_yaml, "schedule": old, "now": 10,
                                                    "down": [{"station": "lathe", "start": 0, "end": 5}]})
    assert (response.status_code, response.json()["detail"]) == (422, "down[0].station: no station 'lathe'")
    response = client.post("/v1/reschedule", json={"layout": line_yaml, "schedule": old, "now": -1, "extra": 1})
    assert [e["path"] for e in response.json()["errors"]] == ["now", "extra"]
    without_vehicles = {**old, "transports": [{k: v for k, v in t.items() if k not in ("vehicle", "empty_from",
                                                "empty_start", "empty_end")} for t in old["transports"]]}
    response = client.post("/v1/reschedule", json={"layout": line_yaml, "schedule": without_vehicles, "now": 10})
    assert response.status_code == 422  # a plan without the vehicles' trips cannot say where each vehicle is
    assert response.json()["detail"].startswith("schedule: it does not fit this layout: a#0 cut->drill: no vehicle "
                                                "of the agv fleet")
    old["operations"][0]["station"] = "pack"
    response = client.post("/v1/reschedule", json={"layout": line_yaml, "schedule": old, "now": 10})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("schedule: it does not fit this layout: ")
