"""Serve the application with uvicorn (what `factory-twin serve` runs)."""
from __future__ import annotations

import logging

from service.settings import ServiceSettings


def serve(settings: ServiceSettings) -> int:
    import uvicorn

    from service.app import create_app

    app = create_app(settings)  # refuses unsafe settings before anything listens
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # one process: the job queue, its children and the physics context live in it
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", access_log=False,
                timeout_graceful_shutdown=30)
    return 0
