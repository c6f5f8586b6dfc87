"""The benchmarks' markdown tables: a re-run keeps the earlier runs the README cites."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.tables import write_markdown  # noqa: E402


def test_a_rerun_keeps_the_earlier_runs_one_level_down(tmp_path, capsys):
    out = tmp_path / "results.md"
    write_markdown(out, "Title", "first intro", ["| a |", "| 1 |"], ["first footer"], keep_earlier="Earlier runs")
    assert out.read_text() == "# Title\n\nfirst intro\n\n| a |\n| 1 |\n\nfirst footer\n"
    write_markdown(out, "Title", "second intro", ["| a |", "| 2 |"], ["second footer"], keep_earlier="Earlier runs")
    assert out.read_text() == ("# Title\n\nsecond intro\n\n| a |\n| 2 |\n\nsecond footer\n\n## Earlier runs\n\n"
                               "first intro\n\n| a |\n| 1 |\n\nfirst footer\n")
    write_markdown(out, "Title", "third", ["| 3 |"], [], keep_earlier="Earlier runs")
    assert "## Earlier runs\n\nsecond intro" in out.read_text()
    assert "### Earlier runs\n\nfirst intro" in out.read_text()  # the older heading one level down


def test_without_keep_earlier_a_rerun_replaces_the_file(tmp_path, capsys):
    out = tmp_path / "results.md"
    write_markdown(out, "Title", "first", ["| 1 |"], [])
    write_markdown(out, "Title", "second", ["| 2 |"], [])
    assert out.read_text() == "# Title\n\nsecond\n\n| 2 |\n"
