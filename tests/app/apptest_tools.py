"""What the AppTest tests share: the app's path, a run that fails on any exception or page
crash, and a session started on a page."""
from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    # app.py turns a page's crash into an error message, so at.exception alone never fails
    crashes = [e.value for e in at.error if "page failed" in e.value or "Could not open the sample" in e.value]
    assert not crashes, crashes
    return at


def start(page: str, project: str | None = None) -> AppTest:
    """A new browser session (with `?project=` when given) switched to `page`."""
    at = AppTest.from_file(APP, default_timeout=120)
    if project:
        at.query_params["project"] = project
    run(at)
    at.sidebar.radio(key="page").set_value(page)
    return run(at)
