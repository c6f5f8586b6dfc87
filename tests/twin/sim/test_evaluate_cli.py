"""`factory-twin evaluate`: the JSON document and its schema, the table, the trace, following
a schedule, and bad input as exit code 2 with a message that names what is wrong."""
from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from optimizer.cli import main
from twin.sim.kpis import evaluation_json_schema
from twin.sim.stations import STATES


@pytest.fixture
def layout_file(tmp_path, layout_data):
    layout_data["products"][0]["routing"][0]["variability"] = {"kind": "lognormal", "cv": 0.2}
    layout_data["stations"][0].update(mtbf=3000.0, mttr=120.0)
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(layout_data))
    return path


def run_json(capsys, *argv) -> dict:
    assert main(["evaluate", *map(str, argv), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_document_follows_its_schema(layout_file, capsys, tmp_path):
    doc = run_json(capsys, layout_file, "--replications", 3, "--seed", 4, "--trace", tmp_path / "t.jsonl")
    jsonschema.validate(doc, evaluation_json_schema())
    assert (doc["layout"], doc["control"], doc["replications"], doc["horizon"]) == ("small", "fifo", 3, None)
    throughput = doc["kpis"]["throughput_per_hour"]
    assert len(throughput["per_replication"]) == 3
    assert throughput["ci95_low"] <= throughput["mean"] <= throughput["ci95_high"]
    # every lot is made: 100 + 50 units
    assert doc["kpis"]["completed_units"]["per_replication"] == [150.0] * 3
    for shares in doc["stations"].values():
        assert sum(shares[s] for s in STATES) == pytest.approx(1.0)
    assert doc["bottleneck"] in doc["stations"]
    # Little's law over a whole run (every lot made, no warm-up): WIP = throughput x lead time
    k = doc["kpis"]
    for wip, rate, lead in zip(k["wip"]["per_replication"], throughput["per_replication"],
                               k["lead_time_s"]["per_replication"]):
        assert wip == pytest.approx(rate / 3600 * lead, rel=0.01)
    rows = [json.loads(line) for line in (tmp_path / "t.jsonl").read_text().splitlines()]
    operations = [r for r in rows if r["event"] == "operation"]
    assert len(operations) == 3 * 3 + 1 * 1  # bracket: 3 lots x 3 operations; cover: 1 lot x 1
    assert all(r["start"] <= r["end"] for r in rows)
    assert {r["event"] for r in rows} >= {"operation", "trip"}
    assert main(["schema", "evaluation"]) == 0
    assert json.loads(capsys.readouterr().out) == evaluation_json_schema()


def test_table_and_worker_count(layout_file, capsys):
    one = run_json(capsys, layout_file, "--replications", 4, "--policy", "spt")
    two = run_json(capsys, layout_file, "--replications", 4, "--policy", "spt", "--workers", 2)
    assert one == two
    assert main(["evaluate", str(layout_file), "--replications", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("small: 2 replications, fifo, seed 0, until every lot is done")
    assert "throughput" in out and "cnc" in out


def test_follows_a_schedule(layout_file, tmp_path, capsys):
    schedule = tmp_path / "s.json"
    assert main(["schedule", str(layout_file), "--out", str(schedule), "--time-limit", "3", "--workers", "1"]) == 0
    capsys.readouterr()
    doc = run_json(capsys, layout_file, "--schedule", schedule, "--replications", 2)
    assert doc["control"] == "schedule"
    assert doc["kpis"]["completed_units"]["mean"] == 150


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--replications", "0"], "argument --replications: must be at least 1, got 0"),
        (["--replications", "10001"], "argument --replications: must be at most 10000, got 10001"),
        (["--horizon", "nan"], "argument --horizon: must be a finite number, got 'nan'"),
        (["--horizon", "0"], "argument --horizon: must be positive, got 0"),
        (["--warmup", "-5"], "argument --warmup: must be >= 0, got -5"),
        (["--seed", "-1"], "argument --seed: must not be negative, got -1"),
        (["--schedule", "s.json", "--policy", "edd"], "argument --policy: not allowed with argument --schedule"),
    ],
)
def test_bad_flags_are_refused_when_parsed(layout_file, capsys, argv, message):
    with pytest.raises(SystemExit) as info:
        main(["evaluate", str(layout_file), *argv])
    assert info.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].endswith(message)


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--horizon", "100", "--warmup", "100"], "error: --warmup (100 s) must end before the horizon (100 s)"),
        (["--schedule", "missing.json"], "error: missing.json: file not found"),
    ],
)
def test_bad_input(layout_file, capsys, monkeypatch, tmp_path, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(["evaluate", str(layout_file), *argv]) == 2
    assert capsys.readouterr().err.strip() == message


def test_bad_schedule_and_bad_layout(layout_file, layout_data, tmp_path, capsys):
    schedule = tmp_path / "s.json"
    schedule.write_text(json.dumps({"layout": "other", "operations": []}))
    assert main(["evaluate", str(layout_file), "--schedule", str(schedule)]) == 2
    assert capsys.readouterr().err.strip() == f"error: {schedule}: the schedule is for layout 'other', not 'small'"
    schedule.write_text("{")
    assert main(["evaluate", str(layout_file), "--schedule", str(schedule)]) == 2
    assert "invalid JSON" in capsys.readouterr().err
    layout_data["products"][0]["routing"][0]["variability"] = {"kind": "weibull"}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(layout_data))
    assert main(["evaluate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "products[0].routing[0].variability.kind: must be one of" in err and "Traceback" not in err


def test_an_unplaced_station_is_named(layout_data, tmp_path, capsys):
    del layout_data["stations"][0]["position"]
    path = tmp_path / "unplaced.yaml"
    path.write_text(yaml.safe_dump(layout_data))
    assert main(["evaluate", str(path)]) == 2
    assert capsys.readouterr().err.strip() == ("error: small: stations[0].position: station 'cnc' is not placed; "
                                               "the running twin needs every station placed (the layout search "
                                               "places the others)")
