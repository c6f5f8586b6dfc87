"""What the routes share: the settings, the workspace, the job queue and the physics context
(one per server, thread-safe: robot reach and cycle times are measured once and cached)."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

from fastapi import Request

from twin.physics import Physics

from service.jobs import JobQueue
from service.settings import ServiceSettings
from service.workspace import Workspace


@dataclass
class Service:
    settings: ServiceSettings
    workspace: Workspace
    queue: JobQueue
    physics: Physics
    # synchronous solves at once: one per core, the rest wait their turn in the thread pool
    solving: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(os.cpu_count() or 1))


def service(request: Request) -> Service:
    return request.app.state.service
