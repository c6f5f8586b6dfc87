"""Shared set-up for the app tests: a small sample folder and a private working folder, so
tests never depend on (or write into) the repository's own files."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    """The app reads samples from tests/app/data and works in a temporary folder."""
    monkeypatch.setenv("FACTORY_TWIN_SAMPLES", str(DATA))
    monkeypatch.setenv("FACTORY_TWIN_APP_DIR", str(tmp_path))
    return tmp_path


# --- browser end-to-end set-up ------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = REPO / "artifacts" / "app"


def _install_chromium() -> str:
    """Install Debian's chromium package; returns what went wrong, or '' on success."""
    if shutil.which("apt-get") is None:
        return "apt-get is not available"
    prefix = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else None)
    if prefix is None:
        return "not root and no sudo"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]):
        done = subprocess.run(prefix + cmd, capture_output=True, text=True, env=env, timeout=900)
        if done.returncode != 0:
            return f"{' '.join(cmd)} failed: {done.stderr.strip()[-500:]}"
    return ""


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, installed with apt-get when it is missing."""
    if not CHROMIUM.exists():
        why = _install_chromium()
        if not CHROMIUM.exists():
            pytest.fail(f"the browser test needs {CHROMIUM} (Debian package 'chromium') and could not install it: "
                        f"{why or 'apt-get finished but the file is missing'}. Install it with "
                        "`apt-get install -y chromium` and run again.", pytrace=False)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail("the browser test needs the Python package 'playwright' (pip install -e .[dev])", pytrace=False)
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def chromium_args() -> list[str]:
    return list(CHROMIUM_ARGS)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """`streamlit run app.py` on a free local port, working in a temporary folder; stopped at
    the end. Yields (base url, working folder)."""
    work = tmp_path_factory.mktemp("app_work")
    port = _free_port()
    log = open(work / "server.log", "w")
    streamlit = Path(sys.executable).with_name("streamlit")
    cmd = [str(streamlit), "run", str(REPO / "app.py"), "--server.headless", "true", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    env = {**os.environ, "FACTORY_TWIN_APP_DIR": str(work)}
    proc = subprocess.Popen(cmd, cwd=work, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}: {(work / 'server.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("streamlit did not answer within 60 s")
            time.sleep(0.3)
        yield url, work
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
