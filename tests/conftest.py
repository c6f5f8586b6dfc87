"""Test-wide settings: on CI, hypothesis explores a fixed set of examples so that a red run
can be reproduced exactly; locally it keeps exploring new ones."""
from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
