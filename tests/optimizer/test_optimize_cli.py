"""`factory-twin optimize`: the run folder, flag errors, Ctrl-C, and kill -9 then --resume."""
from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from optimizer.cli import main
from optimizer.store import RunStore
from search_fixtures import write_tiny_layout

# stage 2 gets a deterministic CP-SAT budget (`optimizer.search.budget`): the candidates' schedules
# are proven optimal well within it, the as-is layout's is not and uses it all
FAST = ["--shortlist", "3", "--time-limit", "0.5", "--quiet"]


def _cli(*args: str) -> subprocess.Popen:
    """The optimize command in a child process, with SIGINT's default action: a shell without
    job control starts background commands with SIGINT ignored, and the child would inherit it."""
    return subprocess.Popen([sys.executable, "-m", "optimizer.cli", "optimize", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2],
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _screened(run_dir: Path) -> int:
    try:
        db = sqlite3.connect(f"file:{run_dir / 'run.sqlite'}?mode=ro", uri=True, timeout=5)
        try:
            return db.execute("SELECT COUNT(*) FROM candidates WHERE seq > 0").fetchone()[0]
        finally:
            db.close()
    except sqlite3.OperationalError:
        return 0  # not created yet


def _wait_for(proc: subprocess.Popen, run_dir: Path, count: int) -> None:
    deadline = time.monotonic() + 120
    while _screened(run_dir) < count:
        assert proc.poll() is None, f"the run ended early: {proc.communicate()}"
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.1)


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _keys(run_dir: Path) -> dict[int, str]:
    with RunStore.open(run_dir) as store:
        return store.screened_keys()


def test_optimize_writes_the_run_folder_and_prints_the_gain(tmp_path, capsys):
    tiny = write_tiny_layout(tmp_path)
    code = main(["optimize", str(tiny), "--candidates", "50", "--workers", "1", "--out", str(tmp_path / "run"), *FAST])
    out = capsys.readouterr().out
    assert code == 0
    assert "screened 50 candidates" in out and "scheduled 3" in out
    assert "flow distance" in out and "%" in out
    for name in ("run.sqlite", "best_layout.yaml", "best_schedule.json", "best_layout.png", "report.md"):
        assert (tmp_path / "run" / name).is_file(), name


def test_default_run_folder_is_under_runs_named_after_the_layout(tmp_path, monkeypatch, capsys):
    tiny = write_tiny_layout(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["optimize", str(tiny), "--candidates", "20", "--workers", "1", *FAST]) == 0
    runs = list((tmp_path / "runs").iterdir())
    assert len(runs) == 1 and runs[0].name.startswith("tiny-")


@pytest.mark.parametrize("args, message", [
    (["--address", "1.2.3.4:6379"], "an address is only used with the ray backend"),
    (["--generator", "nope"], "unknown generator 'nope'"),
    (["--resume", "no-such-run"], "no run database"),
])
def test_bad_flags_give_one_clear_line(tmp_path, capsys, args, message):
    tiny = write_tiny_layout(tmp_path)
    code = main(["optimize", str(tiny), "--candidates", "10", "--out", str(tmp_path / "r"), "--quiet", *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_argument_types_are_checked(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["optimize", "x.yaml", "--candidates", "0"])
    assert info.value.code == 2 and "must be at least 1" in capsys.readouterr().err


def test_resume_refuses_other_result_settings(tmp_path, capsys):
    tiny = write_tiny_layout(tmp_path)
    assert main(["optimize", str(tiny), "--candidates", "20", "--workers", "1", "--out", str(tmp_path / "r"), *FAST]) == 0
    code = main(["optimize", str(tiny), "--resume", str(tmp_path / "r"), "--seed", "7", "--quiet"])
    assert code == 2 and "--seed 7 (the run has 0)" in capsys.readouterr().err


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_or_sigterm_stops_cleanly_and_says_how_to_resume(tmp_path, stop):
    tiny = write_tiny_layout(tmp_path)
    run_dir = tmp_path / "run"
    proc = _cli(str(tiny), "--candidates", "3000", "--workers", "2", "--chunk-size", "10", "--out", str(run_dir), *FAST)
    _wait_for(proc, run_dir, 30)
    proc.send_signal(stop)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert f"--resume {run_dir}" in err and "Traceback" not in err
    assert 30 <= _screened(run_dir) < 3000
    with RunStore.open(run_dir) as store:
        assert store.get_meta("status") == "interrupted"


def test_kill_9_then_resume_matches_an_uninterrupted_run(tmp_path):
    tiny = write_tiny_layout(tmp_path)
    args = ["--candidates", "240", "--workers", "2", "--chunk-size", "10", *FAST]
    cut = tmp_path / "cut"
    proc = _cli(str(tiny), *args, "--out", str(cut))
    _wait_for(proc, cut, 80)
    workers = _children(proc.pid)
    proc.kill()
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    interrupted = _screened(cut)
    assert 80 <= interrupted < 240
    with RunStore.open(cut) as store:  # the time spent so far survives the kill
        assert store.get_meta("elapsed") > 0
    kept = _keys(cut)
    deadline = time.monotonic() + 10  # the workers die with their parent
    while any(Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
              for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()
                and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()]

    resumed = _cli(str(tiny), "--resume", str(cut), "--workers", "2", "--quiet")
    whole = _cli(str(tiny), *args, "--out", str(tmp_path / "whole"))
    for p in (resumed, whole):
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    assert _screened(cut) == _screened(tmp_path / "whole") == 240
    assert _keys(cut) == _keys(tmp_path / "whole")
    assert all(_keys(cut)[seq] == key for seq, key in kept.items())
    from optimizer.search.results import load_run

    a, b = load_run(cut), load_run(tmp_path / "whole")
    assert a.status == b.status == "complete"
    assert (a.best.key, a.best.makespan) == (b.best.key, b.best.makespan)


def test_a_run_without_any_checked_schedule_is_a_failure(tmp_path, monkeypatch, capsys):
    from optimizer.search import run as search_run
    from optimizer.store import ScheduleRecord

    tiny = write_tiny_layout(tmp_path)
    monkeypatch.setattr(search_run, "schedule_task",
                        lambda ctx, item: ScheduleRecord(seq=item[0], status="error", error="solver crashed"))
    code = main(["optimize", str(tiny), "--candidates", "20", "--workers", "1", "--out", str(tmp_path / "run"), *FAST])
    err = capsys.readouterr().err
    assert code == 3
    assert f"error: no candidate has a checked schedule; see {tmp_path / 'run' / 'report.md'}" in err
    assert (tmp_path / "run" / "report.md").exists()
    code = main(["optimize", str(tiny), "--candidates", "20", "--workers", "1", "--out", str(tmp_path / "screen"),
                 "--shortlist", "0", "--quiet"])
    assert code == 0 and "screening only (--shortlist 0)" in capsys.readouterr().out


def _simulations(run_dir: Path) -> dict[tuple[int, int], tuple]:
    """(seq, replication) -> (status, control, kpis, created) of every stored replication."""
    try:
        db = sqlite3.connect(f"file:{run_dir / 'run.sqlite'}?mode=ro", uri=True, timeout=5)
        try:
            rows = db.execute("SELECT seq, replication, status, control, kpis, created FROM simulations").fetchall()
        finally:
            db.close()
    except sqlite3.OperationalError:
        return {}  # not created yet
    return {(r[0], r[1]): r[2:] for r in rows}


def test_kill_9_in_the_simulation_stage_then_resume_loses_and_recomputes_nothing(tmp_path):
    tiny = write_tiny_layout(tmp_path)
    # 4 designs (3 and the as-is layout) x 200 replications: a few seconds of simulation
    args = ["--candidates", "40", "--workers", "2", "--simulate", "3", "--replications", "200",
            "--max-replications", "200", *FAST]
    cut = tmp_path / "cut"
    proc = _cli(str(tiny), *args, "--out", str(cut))
    deadline = time.monotonic() + 180
    while len(_simulations(cut)) < 100:
        assert proc.poll() is None, f"the run ended early: {proc.communicate()}"
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.05)
    proc.kill()
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    kept = _simulations(cut)
    assert 100 <= len(kept) < 800

    resumed = _cli(str(tiny), "--resume", str(cut), "--workers", "2", "--quiet")
    whole = _cli(str(tiny), *args, "--out", str(tmp_path / "whole"))
    for p in (resumed, whole):
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    after, reference = _simulations(cut), _simulations(tmp_path / "whole")
    assert len(after) == len(reference) == 800
    assert {k: v for k, v in kept.items()} == {k: after[k] for k in kept}  # untouched, not recomputed
    assert {k: v[:3] for k, v in after.items()} == {k: v[:3] for k, v in reference.items()}
    assert {seq for seq, _ in after} >= {0}  # the as-is layout is in the comparison
    from optimizer.search.results import load_run

    a, b = load_run(cut), load_run(tmp_path / "whole")
    assert a.decision.recommended.seq == b.decision.recommended.seq
    assert [d.seq for d in a.decision.ranking] == [d.seq for d in b.decision.ranking]


def test_a_full_disk_stops_the_run_with_how_to_resume_and_the_resume_finishes_it(tmp_path, monkeypatch, capsys):
    tiny = write_tiny_layout(tmp_path)
    run_dir = tmp_path / "run"
    real, chunks = RunStore.add_screened, []

    def fills_the_disk(store, records):
        chunks.append(1)
        if len(chunks) > 2:  # SQLite's own error when a write finds no space
            with store._transaction():
                raise sqlite3.OperationalError("database or disk is full")
        real(store, records)

    monkeypatch.setattr(RunStore, "add_screened", fills_the_disk)
    args = ["--candidates", "40", "--chunk-size", "10", "--workers", "1", *FAST]
    assert main(["optimize", str(tiny), *args, "--out", str(run_dir)]) == 1
    err = capsys.readouterr().err
    assert err == (f"error: {run_dir}: the disk is full (database or disk is full): the run stopped; the work finished "
                   f"before is kept in {run_dir / 'run.sqlite'}. Free some space, then resume the run with --resume "
                   f"{run_dir}: factory-twin optimize {tiny} --resume {run_dir}\n")
    with RunStore.open(run_dir) as store:
        assert store.get_meta("status") == "interrupted"
        kept = store.counts()["screened"]
    assert 1 <= kept < 40
    monkeypatch.setattr(RunStore, "add_screened", real)
    assert main(["optimize", str(tiny), "--resume", str(run_dir), "--quiet"]) == 0
    assert _screened(run_dir) == 40
