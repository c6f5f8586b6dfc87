"""Every command's flags are range-checked when parsed: one argparse message, exit 2, and no
work started (no run folder, no schedule file)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from optimizer.cli import arguments, main

SAMPLE = Path(__file__).resolve().parents[2] / "layouts" / "food_packaging.yaml"


def _refused(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


@pytest.mark.parametrize("value, message", [
    ("nan", "argument --time-limit: must be a finite number, got 'nan'"),
    ("inf", "argument --time-limit: must be a finite number, got 'inf'"),
    ("-1", "argument --time-limit: must be positive, got -1"),
    ("0", "argument --time-limit: must be positive, got 0"),
    ("1e9", "argument --time-limit: must be at most 604800 s (a week), got 1e9"),
    ("ten", "argument --time-limit: must be a number of seconds, got 'ten'"),
])
def test_time_limits_are_finite_and_positive_in_every_command(value, message, capsys, tmp_path):
    out = str(tmp_path / "s.json")
    assert _refused(["schedule", str(SAMPLE), "--out", out, "--time-limit", value], capsys).endswith(message)
    assert _refused(["optimize", str(SAMPLE), "--time-limit", value], capsys).endswith(message)
    assert _refused(["bench", "jssp", str(SAMPLE), "--time-limit", value], capsys).endswith(message)
    assert _refused(["bench", "qap", str(SAMPLE), "--time-limit", value], capsys).endswith(message)
    assert not Path(out).exists()


@pytest.mark.parametrize("value, message", [
    (str(2**31), f"argument --seed: must be at most {2**31 - 1}, got {2**31}"),
    ("-1", "argument --seed: must not be negative, got -1"),
    ("1.5", "argument --seed: must be a whole number, got '1.5'"),
])
def test_seeds_stay_within_what_the_solvers_take(value, message, capsys, tmp_path):
    assert _refused(["schedule", str(SAMPLE), "--out", str(tmp_path / "s.json"), "--seed", value], capsys).endswith(message)
    assert _refused(["optimize", str(SAMPLE), "--seed", value], capsys).endswith(message)


def test_worker_counts_are_bounded(capsys, tmp_path):
    assert _refused(["schedule", str(SAMPLE), "--workers", "0"], capsys).endswith(
        "argument --workers: must be at least 1, got 0")
    assert _refused(["bench", "jssp", str(SAMPLE), "--workers", "5000"], capsys).endswith(
        "argument --workers: must be at most 1024, got 5000")
    # CP-SAT's workers are threads of the one process: the machine's limit, not a cluster's
    limit = arguments.local_worker_limit()
    for command in (["schedule", str(SAMPLE)], ["bench", "jssp", str(SAMPLE)]):
        assert _refused([*command, "--workers", str(limit + 1)], capsys).endswith(
            f"argument --workers: must be at most {limit} on this machine (4 per core; CP-SAT's workers are "
            f"threads of this process), got {limit + 1}")


def test_more_local_workers_than_the_machine_can_run_is_refused_before_a_run_starts(capsys, tmp_path):
    limit = arguments.local_worker_limit()
    out = tmp_path / "run"
    code = main(["optimize", str(SAMPLE), "--workers", str(limit + 1), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"--workers {limit + 1}: at most {limit} local worker processes on this machine" in err
    assert not out.exists()


def test_output_paths_are_checked_up_front(capsys, tmp_path):
    existing_file = tmp_path / "taken.txt"
    existing_file.write_text("keep me")
    assert _refused(["optimize", str(SAMPLE), "--out", str(existing_file)], capsys).endswith(
        f"argument --out: {existing_file}: exists and is not a folder")
    assert existing_file.read_text() == "keep me"
    assert _refused(["schedule", str(SAMPLE), "--out", str(tmp_path)], capsys).endswith(
        f"argument --out: {tmp_path}: is a folder; give a file name")
    long_name = tmp_path / ("x" * 300 + ".json")
    assert _refused(["schedule", str(SAMPLE), "--out", str(long_name)], capsys).endswith(
        f"argument --out: {long_name}: name too long for the file system")
    loop = tmp_path / "loop"
    os.symlink(loop, loop)
    assert _refused(["schedule", str(SAMPLE), "--out", str(loop)], capsys).endswith(
        f"argument --out: {loop}: a symbolic link loop")
    assert _refused(["render", str(SAMPLE), "--out", str(existing_file / "x.png")], capsys).endswith(
        f"argument --out: {existing_file / 'x.png'}: a part of the path is a file, not a folder")


def test_input_files_must_be_regular_files(capsys, tmp_path):
    out = str(tmp_path / "x.png")
    assert _refused(["render", str(SAMPLE), "--schedule", "/dev/urandom", "--out", out], capsys).endswith(
        "argument --schedule: /dev/urandom: not a regular file")
    assert _refused(["render", str(SAMPLE), "--schedule", str(tmp_path), "--out", out], capsys).endswith(
        f"argument --schedule: {tmp_path}: is a folder, not a file")
    assert _refused(["bench", "qap", str(tmp_path / "missing.dat")], capsys).endswith(
        f"argument FILE: {tmp_path / 'missing.dat'}: file not found")


def test_the_help_of_the_command_and_of_every_subcommand_prints(capsys):
    from optimizer.cli import COMMANDS, main

    for argv in [["--help"]] + [[name, "--help"] for name in COMMANDS]:
        with pytest.raises(SystemExit) as done:
            main(argv)
        assert done.value.code == 0, argv
    assert "95 % intervals" in capsys.readouterr().out
