"""Run every benchmark in turn (not part of the tests); each writes benchmarks/results/*.md."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ["jssp_bench.py", "jssp_heldout_bench.py", "fjsp_bench.py", "fjspt_bench.py", "qap_bench.py",
           "cells_bench.py", "scene_bench.py", "search_bench.py", "broken_inputs.py", "sim_bench.py",
           "make_run_bench.py"]


def main() -> int:
    failed = []
    for script in SCRIPTS:
        print(f"== {script}", flush=True)
        if subprocess.call([sys.executable, str(HERE / script)], cwd=HERE.parent) != 0:
            failed.append(script)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
