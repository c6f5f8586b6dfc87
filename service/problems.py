"""Problem documents (RFC 9457): every error the service returns is one of these JSON
objects, with the field path of each problem where there is one, and never a stack trace."""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from twin.errors import FactoryTwinError, InputError, LayoutError, NoFeasibleSchedule, Problem

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://factory-twin.dev/problems/"
log = logging.getLogger("factory_twin.service")


class FieldProblem(BaseModel):
    """One thing wrong with the input, where it is (`stations[3].footprint.width`,
    `query.time_limit`) and why."""

    path: str = Field(description="field path; empty when the problem is the whole input")
    message: str


class ProblemDocument(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(description="a URI naming the kind of problem")
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] = Field(default_factory=list)


class ServiceError(Exception):
    """An error the service answers with a problem document; `kind` becomes the `type` URI."""

    def __init__(self, status: int, kind: str, title: str, detail: str, errors: list[Problem] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status, self.kind, self.title, self.detail = status, kind, title, detail
        self.errors = list(errors or [])
        self.headers = headers


def invalid_request(path: str, message: str) -> ServiceError:
    """A 422 for one bad request field (`query.warmup`) that FastAPI's own checks cannot see."""
    return ServiceError(422, "invalid-request", "The request is invalid", f"{path}: {message}", [Problem(path, message)])


def _same(text: str) -> str:
    return text


def problem_response(status: int, kind: str, title: str, detail: str, errors: list[Problem] | None = None,
                     headers: dict[str, str] | None = None, redact: Callable[[str], str] = _same) -> JSONResponse:
    """`redact` takes server paths out of the texts (`Workspace.public`)."""
    doc = ProblemDocument(type=TYPE_BASE + kind, title=title, status=status, detail=redact(detail),
                          errors=[FieldProblem(path=p.path, message=redact(p.message)) for p in errors or []])
    return JSONResponse(doc.model_dump(), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def error_response(exc: BaseException, redact: Callable[[str], str] = _same) -> JSONResponse:
    """The problem document for an error raised while answering a request."""
    if isinstance(exc, ServiceError):
        return problem_response(exc.status, exc.kind, exc.title, exc.detail, exc.errors, exc.headers, redact)
    if isinstance(exc, LayoutError):
        return problem_response(422, "invalid-layout", "The layout is invalid", exc.describe(), exc.problems,
                                redact=redact)
    if isinstance(exc, NoFeasibleSchedule):
        return problem_response(422, "no-feasible-schedule", "No feasible schedule", str(exc), redact=redact)
    if isinstance(exc, InputError):
        return problem_response(422, "bad-input", "Bad input", str(exc), redact=redact)
    if isinstance(exc, FactoryTwinError):  # exit code 1 in the CLI: a failed check or lost workers
        log.error("request failed: %s", exc)
        return problem_response(500, "internal-error", "Internal error", str(exc))
    log.exception("unexpected error", exc_info=exc)
    return problem_response(500, "internal-error", "Internal error",
                            "the server failed to answer this request; its log has the details")


def _validation_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = [Problem(_validation_path(tuple(e.get("loc", ()))), str(e.get("msg", "invalid")))
                for e in exc.errors()]
    detail = "; ".join(str(p) for p in problems) or "the request is invalid"
    return problem_response(422, "invalid-request", "The request is invalid", detail, problems)


def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    titles = {404: "Not found", 405: "Method not allowed"}
    detail = exc.detail if isinstance(exc.detail, str) else titles.get(exc.status_code, "HTTP error")
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no endpoint {request.url.path}"
    return problem_response(exc.status_code, f"http-{exc.status_code}", titles.get(exc.status_code, "HTTP error"),
                            detail, headers=getattr(exc, "headers", None))


async def _any_error(request: Request, exc: Exception) -> JSONResponse:
    state = getattr(request.app.state, "service", None)
    return error_response(exc, state.workspace.public if state is not None else _same)


def install_handlers(app: FastAPI) -> None:
    """Every error becomes a problem document: ours, the model's, FastAPI's and the rest."""
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for kind in (ServiceError, FactoryTwinError, Exception):
        app.add_exception_handler(kind, _any_error)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the problem documents a route may answer with."""
    descriptions = {400: "Bad request", 401: "Missing or wrong token", 404: "Not found", 409: "Conflict",
                    413: "Request body too large", 415: "Unsupported media type", 422: "Invalid input",
                    500: "Internal error"}
    return {status: {"description": descriptions.get(status, "Error"), "model": ProblemDocument,
                     "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}}}
            for status in statuses}
