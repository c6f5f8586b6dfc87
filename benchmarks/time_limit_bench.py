"""Is `schedule --time-limit` a bound on the whole command? Wall time of the command on the
electronics sample with its demand scaled (more lots), for several limits, each in its own
process, next to the limit; also how long one dispatching-rule schedule takes at each size.

    .venv/bin/python benchmarks/time_limit_bench.py [--scales 1,5,25] [--limits 2,5,10] [--out FILE]

Writes benchmarks/results/time_limit.md (or `--out`). The command's clock starts when `main`
does, so the parser's imports count and only the interpreter's own start-up (a few hundredths
of a second) comes before it; the command keeps back `EXIT_SECONDS` for the interpreter's exit.
`--help` wall time (start-up, the parser's imports and the exit) is shown for scale.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "layouts" / "electronics_assembly.yaml"


def scaled_layout(folder: Path, scale: int) -> tuple[Path, int]:
    """The sample with every product's demand times `scale`; returns the file and its lot count."""
    data = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    lots = 0
    for product in data["products"]:
        product["demand"] *= scale
        lots += -(-product["demand"] // product["lot_size"])
    path = folder / f"electronics_x{scale}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path, lots


def run(args: list[str], cwd: Path) -> tuple[float, int, str]:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "optimizer.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    last = (proc.stdout.strip().splitlines() or proc.stderr.strip().splitlines() or [""])[0]
    return time.perf_counter() - started, proc.returncode, last[:110]


def dispatch_seconds(path: Path) -> tuple[int, float]:
    """(operations, seconds of one 'mwkr' list schedule) in this process."""
    from twin.io import load_layout
    from twin.physics import Physics, task_times

    from optimizer.dispatch import list_schedule
    from optimizer.problem import layout_problem

    layout = load_layout(path)
    with Physics() as physics:
        problem = layout_problem(layout, task_times(layout, SAMPLE.parent, physics))
    started = time.perf_counter()
    list_schedule(problem, "mwkr")
    return problem.n_operations, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,5,25")
    parser.add_argument("--limits", default="2,5,10")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "time_limit.md"))
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    limits = [float(s) for s in args.limits.split(",")]
    load = os.getloadavg()[0]
    lines = ["# schedule --time-limit as a bound on the whole command\n",
             f"`.venv/bin/python benchmarks/time_limit_bench.py --scales {args.scales} --limits {args.limits}` "
             f"(load average {load:.1f} on {os.cpu_count()} cores at the start).\n"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for item in SAMPLE.parent.iterdir():  # robot files next to the layout
            if item.is_dir():
                (folder / item.name).symlink_to(item)
        startup, _, _ = run(["schedule", "--help"], folder)
        lines += [f"Interpreter start-up, the parser's imports and exit (`schedule --help`): {startup:.1f} s.\n",
                  "| lots | operations | one dispatching rule (s) | --time-limit (s) | wall (s) | exit | first line |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for scale in scales:
            path, lots = scaled_layout(folder, scale)
            ops, rule = dispatch_seconds(path)
            for limit in limits:
                wall, code, first = run(["schedule", path.name, "--time-limit", f"{limit:g}", "--out", "s.json"], folder)
                lines.append(f"| {lots} | {ops} | {rule:.2f} | {limit:g} | {wall:.1f} | {code} | {first} |")
                print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    out = Path(args.out)
    out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
