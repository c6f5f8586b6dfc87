"""Load on the HTTP service (not part of the tests): `factory-twin serve` in its own process,
Locust clients validating a small layout and asking for its schedule back to back, and one
client submitting schedule jobs; requests per second, P50 and P99 latency per endpoint, failed
requests, and whether every accepted job completed. Writes benchmarks/results/service.md.

    .venv/bin/python benchmarks/service_load_bench.py [--users 8] [--seconds 60]

Needs locust (`pip install -e .[bench]`)."""
from __future__ import annotations

import argparse
import csv
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "service"))
from service_fixtures import line_layout_data  # noqa: E402  the tests' three-machine line


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_up(http: httpx.Client, server: subprocess.Popen) -> None:
    while True:
        if server.poll() is not None:
            raise SystemExit("the server did not start")
        try:
            if http.get("/v1/health").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)


def _jobs_done(http: httpx.Client, deadline: float) -> dict[str, int]:
    while True:
        jobs = http.get("/v1/jobs").json()
        states: dict[str, int] = {}
        for job in jobs:
            states[job["state"]] = states.get(job["state"], 0) + 1
        if not states.get("queued") and not states.get("running") or time.monotonic() > deadline:
            return states
        time.sleep(1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=8, help="concurrent planner clients (default 8)")
    parser.add_argument("--seconds", type=int, default=60, help="length of the run (default 60)")
    args = parser.parse_args()
    if shutil.which("locust", path=str(Path(sys.executable).parent)) is None:
        raise SystemExit("locust is not installed: pip install -e .[bench]")
    work = Path(tempfile.mkdtemp(prefix="factory-twin-load-"))
    layout = work / "line.yaml"
    layout.write_text(yaml.safe_dump(line_layout_data(), sort_keys=False), encoding="utf-8")
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
           "FACTORY_TWIN_BENCH_LAYOUT": str(layout)}
    server = subprocess.Popen([sys.executable, "-m", "optimizer.cli", "serve", "--port", str(port), "--workspace",
                               str(work / "workspace")], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
    try:
        _wait_up(http, server)
        load_before = os.getloadavg()[0]
        locust = str(Path(sys.executable).parent / "locust")
        subprocess.run([locust, "-f", str(HERE / "service_locustfile.py"), "--headless", "-u", str(args.users + 1),
                        "-r", str(args.users + 1), "-t", f"{args.seconds}s", "--host", f"http://127.0.0.1:{port}",
                        "--csv", str(work / "load"), "--only-summary", "--stop-timeout", "30"],
                       env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        load_after = os.getloadavg()[0]
        states = _jobs_done(http, time.monotonic() + 600)
        errors = sorted({job["error"] for job in http.get("/v1/jobs").json() if job["error"]})
    finally:
        http.close()
        server.terminate()
        server.wait(60)
    rows = list(csv.DictReader(open(work / "load_stats.csv", encoding="utf-8")))
    lines = [
        "# HTTP service under load",
        "",
        f"`benchmarks/service_load_bench.py --users {args.users} --seconds {args.seconds}`: `factory-twin serve` "
        f"(one process, `--max-jobs 1`) on this 2-core machine, {args.users} Locust clients with no think time "
        "each validating the three-machine line layout and asking for its schedule (CP-SAT, 1 worker) in turn, "
        f"plus one client submitting a schedule job every 2 s. Load average {load_before:.1f} at the start, "
        f"{load_after:.1f} at the end (the machine is shared).",
        "",
        "| endpoint | requests | failed | requests/s | P50 (ms) | P99 (ms) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        lines.append(f"| {row['Type']} {row['Name']} | {row['Request Count']} | {row['Failure Count']} | "
                     f"{float(row['Requests/s']):.1f} | {row['50%']} | {row['99%']} |")
    accepted = next((int(r["Request Count"]) - int(r["Failure Count"]) for r in rows
                     if r["Name"] == "/v1/jobs/schedule"), 0)
    lines += ["", f"Jobs: {accepted} accepted, states afterwards {states} "
                  f"({'none lost' if states.get('complete', 0) == accepted else 'SOME LOST'})."]
    lines += [f"- failed job: {error}" for error in errors]
    out = HERE / "results" / "service.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
