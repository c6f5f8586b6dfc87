"""`optimize-cell --apply`: the best cell is written back into the layout file (the file as it
was kept beside it), so the plan and the running twin of that file use the new cell's cycle.
The expected cycle comes from simulating the applied file's cell directly, not from the plan's
own task times; the plan's lot time and the twin's lead time are read from their outputs."""
from __future__ import annotations

import json

import pytest

from optimizer.cli import main
from twin.io import load_layout, save_layout
from twin.physics import Physics, simulate_cell

from planted_cell import layout_of, strip_cell

UNITS = 100  # one lot: the plan's 1 s ticks are small against its length


def optimize(capsys, *args: str) -> tuple[int, dict]:
    code = main(["optimize-cell", "--cell", "cell", "--candidates", "8", "--keep-base", "--json", *args])
    return code, json.loads(capsys.readouterr().out)


@pytest.fixture
def planted(tmp_path):
    return save_layout(layout_of(strip_cell(0.3, 0.77), UNITS), tmp_path / "planted.yaml")


def test_apply_writes_the_best_cell_into_the_file_and_keeps_the_old_one(planted, tmp_path, capsys):
    before_text = planted.read_text()
    code, summary = optimize(capsys, str(planted), "--apply", "--cache-dir", str(tmp_path / "cache"))
    assert code == 0 and summary["best"] < summary["before"]
    backup = tmp_path / "planted.bak.yaml"
    assert summary["applied"] == str(planted) and summary["backup"] == str(backup)
    assert backup.read_text() == before_text  # byte for byte, comments and all
    assert load_layout(backup) == layout_of(strip_cell(0.3, 0.77), UNITS)
    applied = load_layout(planted)
    assert applied.station("cell").cell.fixtures != strip_cell(0.3, 0.77).cell.fixtures
    assert applied.products == load_layout(backup).products  # only the cell changed
    with Physics(tmp_path / "other-cache", use_cache=False) as physics:
        assert simulate_cell(applied.station("cell"), None, physics).tasks[0].cycle_time == summary["best"]


def test_the_plan_and_the_twin_of_the_applied_file_use_the_new_cycle(planted, tmp_path, capsys):
    code, summary = optimize(capsys, str(planted), "--apply", "--cache-dir", str(tmp_path / "cache"))
    assert code == 0
    with Physics(tmp_path / "fresh", use_cache=False) as physics:  # its own simulation of the file's cell
        cycle = simulate_cell(load_layout(planted).station("cell"), None, physics).tasks[0].cycle_time
        old = simulate_cell(strip_cell(0.3, 0.77), None, physics).tasks[0].cycle_time
    assert cycle == summary["best"] and cycle < old - 0.1
    assert main(["schedule", str(planted), "--out", str(tmp_path / "s.json"), "--time-limit", "20"]) == 0
    plan = json.loads((tmp_path / "s.json").read_text())
    (op,) = plan["operations"]
    assert op["station"] == "cell" and op["time_source"] == "physics"
    # the lot's length in whole ticks: the units' physics cycles, rounded up to the next tick
    assert UNITS * cycle <= op["end"] - op["start"] < UNITS * cycle + plan["tick"] + 1e-6
    capsys.readouterr()
    assert main(["evaluate", str(planted), "--replications", "1", "--json"]) == 0
    twin = json.loads(capsys.readouterr().out)
    # one station, one lot, fixed times: the lot's lead time is its units' cycles
    assert twin["kpis"]["lead_time_s"]["mean"] == pytest.approx(UNITS * cycle, abs=1e-4)


def test_apply_leaves_the_file_alone_when_nothing_beats_the_given_cell(tmp_path, capsys):
    # the feeder and the nest side by side near the arm already: seed 0's one candidate is no better
    source = save_layout(layout_of(strip_cell(0.45, 0.67)), tmp_path / "close.yaml")
    text = source.read_text()
    code = main(["optimize-cell", str(source), "--cell", "cell", "--candidates", "1", "--seed", "0", "--keep-base",
                 "--apply", "--cache-dir", str(tmp_path / "cache")])
    out = capsys.readouterr().out
    assert code == 0 and out.splitlines()[-1] == f"{source} unchanged: no arrangement beats the given one"
    assert source.read_text() == text and not (tmp_path / "close.bak.yaml").exists()


def test_apply_and_out_are_one_or_the_other(planted, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["optimize-cell", str(planted), "--cell", "cell", "--apply", "--out", str(planted.with_name("x.yaml"))])
    assert exc.value.code == 2
    assert "argument --out: not allowed with argument --apply" in capsys.readouterr().err


def test_apply_refuses_a_file_that_changed_during_the_search(planted, tmp_path, capsys, monkeypatch):
    import optimizer.cell_search as cell_search

    search = cell_search.optimize_cell

    def edited_meanwhile(*args, **kwargs):
        result = search(*args, **kwargs)
        planted.write_text(planted.read_text() + "# edited in another window\n")
        return result

    monkeypatch.setattr(cell_search, "optimize_cell", edited_meanwhile)
    code = main(["optimize-cell", str(planted), "--cell", "cell", "--candidates", "4", "--keep-base", "--apply",
                 "--cache-dir", str(tmp_path / "cache")])
    assert code == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {planted}: changed while optimize-cell ran; not applied (run it again, or use --out)")
    assert planted.read_text().endswith("# edited in another window\n")
    assert not (tmp_path / "planted.bak.yaml").exists()


def test_the_json_summary_says_when_the_file_is_left_alone(tmp_path, capsys):
    source = save_layout(layout_of(strip_cell(0.45, 0.67)), tmp_path / "close.yaml")
    code, summary = optimize(capsys, str(source), "--candidates", "1", "--apply", "--cache-dir", str(tmp_path / "c"))
    assert code == 0 and summary["applied"] is None and "backup" not in summary
