"""Test-wide settings: on CI, hypothesis explores a fixed set of examples so that a red run
can be reproduced exactly; locally it keeps exploring new ones. And the session's physics context."""
from __future__ import annotations

import os

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def physics():
    """The physics context of the test session (the default disk cache, like the commands)."""
    from twin.physics import Physics

    with Physics() as context:
        yield context
