"""Physics contexts for the physics tests: one that never touches a disk cache (most tests
simulate afresh), shared by the module so the robot is loaded once."""
from __future__ import annotations

import pytest

from twin.physics import Physics


@pytest.fixture(scope="module")
def uncached(tmp_path_factory):
    with Physics(tmp_path_factory.mktemp("unused_cache"), use_cache=False) as physics:
        yield physics
