"""Search runs in the workspace (the service's search jobs and the app's runs alike): the
list, and each run's best layout, schedule, report and picture, readable while it runs."""
from __future__ import annotations

from pathlib import Path as FilePath
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse, PlainTextResponse

from twin.errors import InputError
from twin.io import dump_layout

from optimizer.store import DB_NAME

from service.models import RunInfo, RunResult
from service.problems import ServiceError, problem_responses
from service.runs import LockTable, is_locked, run_state
from service.schemas import json_response
from service.state import service
from service.workspace import ID_PATTERN

if TYPE_CHECKING:
    from optimizer.search.results import SearchResult

router = APIRouter(prefix="/v1/runs", tags=["runs"], responses=problem_responses(401, 413, 500))
RunId = Annotated[str, Path(pattern=ID_PATTERN, description="a run folder's name (a search job's id)")]


def results() -> Any:
    """`optimizer.search.results`, imported on first use: it loads SciPy (the running twin's
    statistics), which took 3 of a server's 5 s start on the loaded test machine."""
    from optimizer.search import results as module

    return module


def _info(summary: Any, held: bool, after: LockTable | None = None) -> RunInfo:
    """The API's view of a run summary (`optimizer.search.results.RunSummary`): named by the
    run's id, never by its server path; `after`: the lock table read after the summary."""
    return RunInfo(**{**vars(summary), "id": summary.run_dir.name, "layout": summary.layout_name,
                      "status": run_state(summary.run_dir, summary.status, held, after)})


def _load(request: Request, run_id: str) -> tuple[SearchResult, bool]:
    """The run as stored, and whether a process held it before it was read."""
    folder = service(request).workspace.run_dir(run_id)
    if not (folder / DB_NAME).is_file():
        raise ServiceError(404, "not-found", "Not found", f"{run_id} is not a search run (yet)")
    held = is_locked(folder)
    try:
        return results().load_run(folder), held
    except InputError as exc:
        raise ServiceError(409, "unreadable-run", "The run cannot be read", str(exc).replace(str(folder), run_id))


@router.get("", summary="Every search run in the workspace, newest first")
def runs(request: Request) -> list[RunInfo]:
    root = service(request).workspace.runs
    before = LockTable()  # the kernel's lock table, read twice per list rather than twice per run
    held = {db.parent.name for db in root.glob(f"*/{DB_NAME}") if before.holds(db.parent)}
    summaries = results().list_runs(root)
    after = LockTable()
    return [_info(s, s.run_dir.name in held, after) for s in summaries]


@router.get("/{run_id}", responses=problem_responses(404, 409, 422), summary="A run's counts, best design and verdict")
def run_result(request: Request, run_id: RunId) -> RunResult:
    from optimizer.report import verdict_text  # here, not at the top: see `results`

    result, held = _load(request, run_id)
    base = f"/v1/runs/{run_id}"
    return RunResult(run=_info(results().summarize(result), held), best_seq=result.best.seq if result.best else None,
                     best_solver=result.best.solver if result.best else None,
                     verdict=verdict_text(result) if result.best else [],
                     links={"layout": f"{base}/layout", "schedule": f"{base}/schedule", "report": f"{base}/report",
                            "picture": f"{base}/picture"})


@router.get("/{run_id}/layout", response_class=PlainTextResponse, summary="The best layout so far, as a layout file (YAML)",
            responses={200: {"content": {"application/x-yaml": {"schema": {"type": "string"}}}},
                       **problem_responses(404, 409, 422)})
def best_layout(request: Request, run_id: RunId) -> PlainTextResponse:
    layout = _load(request, run_id)[0].best_layout()
    if layout is None:
        raise ServiceError(404, "no-result-yet", "No result yet", f"run {run_id} has no scheduled design yet")
    return PlainTextResponse(dump_layout(layout), media_type="application/x-yaml")


@router.get("/{run_id}/schedule", summary="The best layout's checked schedule so far",
            responses={**json_response("Schedule", "the schedule document"), **problem_responses(404, 409, 422)})
def best_schedule(request: Request, run_id: RunId) -> Any:
    result = _load(request, run_id)[0]
    doc = result.schedule_doc(result.best.seq) if result.best else None
    if doc is None:
        raise ServiceError(404, "no-result-yet", "No result yet", f"run {run_id} has no checked schedule yet")
    return doc


def _file(request: Request, run_id: str, name: str) -> FilePath:
    path = service(request).workspace.run_dir(run_id) / name
    if not path.is_file():
        raise ServiceError(404, "no-result-yet", "No result yet", f"run {run_id} has no {name}: it is written when "
                           "the run completes")
    return path


@router.get("/{run_id}/report", response_class=PlainTextResponse, summary="The run's report (Markdown), once complete",
            responses={200: {"content": {"text/markdown": {"schema": {"type": "string"}}}},
                       **problem_responses(404, 422)})
def report(request: Request, run_id: RunId) -> PlainTextResponse:
    path = _file(request, run_id, "report.md")
    text = service(request).workspace.public(path.read_text(encoding="utf-8"))
    return PlainTextResponse(text, media_type="text/markdown")


@router.get("/{run_id}/picture", response_class=FileResponse, summary="A picture of the best layout (PNG), once complete",
            responses={200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}},
                       **problem_responses(404, 422)})
def picture(request: Request, run_id: RunId) -> FileResponse:
    return FileResponse(_file(request, run_id, "best_layout.png"), media_type="image/png")
