"""The application factory: `create_app(settings)` builds the FastAPI application with its
gates (token, body size), its routes, problem documents for every error, and an OpenAPI
document that carries the CLI's JSON Schemas."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from twin.physics import Physics

from service import routes_jobs, routes_layouts, routes_reschedule, routes_runs
from service.jobs import JobQueue
from service.problems import install_handlers
from service.schemas import components
from service.security import BodyLimit, TokenGate
from service.settings import ServiceSettings
from service.state import Service
from service.workspace import Workspace

TITLE = "factory-twin"
VERSION = "1"


def create_app(settings: ServiceSettings) -> FastAPI:
    settings = settings.check().prepare()
    workspace = Workspace(settings.workspace)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        physics = Physics()
        queue = JobQueue(workspace, settings.max_jobs, settings.address)
        app.state.service = Service(settings, workspace, queue, physics)
        queue.start()
        try:
            yield
        finally:
            queue.close()
            physics.close()

    app = FastAPI(title=TITLE, version=VERSION, lifespan=lifespan,
                  description="Validate and schedule factory layouts, evaluate them in the running twin, search for "
                              "better ones, and reschedule from the shop floor's live state.")
    install_handlers(app)
    for module in (routes_layouts, routes_reschedule, routes_jobs, routes_runs):
        app.include_router(module.router)

    @app.get("/v1/health", tags=["service"], summary="Whether the server answers, and its job slots")
    def health() -> dict[str, Any]:
        return {"status": "ok", "max_jobs": settings.max_jobs}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            doc.setdefault("components", {}).setdefault("schemas", {}).update(components())
            if settings.token:
                doc["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
                doc["security"] = [{"bearer": []}]
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    # outermost first: the token is checked before a byte of the body is read
    app.add_middleware(BodyLimit, max_bytes=settings.body_limit)
    app.add_middleware(TokenGate, token=settings.token)
    return app
