"""Time the planner app's first view in headless Chromium: `streamlit run app.py` of a checkout
(this one, or another given with --checkout, e.g. an older commit unpacked with `git archive`),
a fresh browser page opened on it, and the seconds from opening the page until each marker is
on the screen. Runs one after the other, so two checkouts compare under the same load; prints
the load average with the numbers.

    .venv/bin/python benchmarks/app_first_view_bench.py [--checkout DIR] [--runs 2]
        [--marker CSS ...]

Markers are CSS selectors; `canvas3d` waits for the first vtk.js canvas of the 3D view.
Default: the plan view and the summary tiles (`[data-testid=plan-canvas]`,
`[data-testid=stMetric]`). The checkout's modules are the ones the server imports
(PYTHONPATH), its samples the ones it opens. Needs /usr/bin/chromium and playwright.
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MARKERS = ["[data-testid=plan-canvas]", "[data-testid=stMetric]"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_run(checkout: Path, markers: list[str]) -> dict[str, float]:
    """Seconds from opening the page to each marker, with a new server and working folder."""
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="first-view-"))
    port = _free_port()
    streamlit = Path(sys.executable).with_name("streamlit")
    env = {**os.environ, "FACTORY_TWIN_APP_DIR": str(work), "PYTHONPATH": str(checkout)}
    env.pop("FACTORY_TWIN_SAMPLES", None)
    with open(work / "server.log", "w") as log:
        server = subprocess.Popen([str(streamlit), "run", str(checkout / "app.py"), "--server.headless", "true",
                                   "--server.port", str(port), "--server.address", "127.0.0.1",
                                   "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
                                  cwd=work, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                        break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError(f"the server did not start: see {work / 'server.log'}") from None
                    time.sleep(0.3)
            times = {}
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
                try:
                    page = browser.new_page(viewport={"width": 1440, "height": 1000})
                    opened = time.monotonic()
                    page.goto(url)
                    for marker in markers:
                        if marker == "canvas3d":
                            page.frame_locator("iframe#stpyvistaframe").first.locator("canvas").first.wait_for(
                                timeout=180_000)
                        else:
                            page.locator(marker).first.wait_for(timeout=180_000)
                        times[marker] = time.monotonic() - opened
                finally:
                    browser.close()
            return times
        finally:
            server.kill()  # nothing of a timing run's server is kept
            server.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the checkout whose app is timed (default: this one)")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--marker", action="append", help="CSS selector, or canvas3d (repeatable)")
    args = parser.parse_args(argv)
    markers = args.marker or DEFAULT_MARKERS
    results = []
    for n in range(args.runs):
        load = os.getloadavg()[0]
        times = one_run(args.checkout.resolve(), markers)
        results.append(times)
        print(f"run {n + 1} (load average {load:.2f} before): "
              + ", ".join(f"{m} {t:.2f} s" for m, t in times.items()), flush=True)
    print(f"{args.checkout}: median of {args.runs}: "
          + ", ".join(f"{m} {statistics.median(r[m] for r in results):.2f} s" for m in markers)
          + f" (load average after {os.getloadavg()[0]:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
