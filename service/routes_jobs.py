"""Jobs: start a schedule, an evaluation in the running twin, or a layout search (with the
CLI's options); read a job's state, queue position and progress; cancel and resume it; fetch
what a schedule or an evaluation job made (a search's results are under `routes_runs`)."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from twin.errors import InputError, LayoutError
from twin.physics import task_times
from twin.validate import search_input_problems, validate_layout

from optimizer.cli.arguments import MAX_SECONDS, MAX_SEED, local_worker_limit
from optimizer.names import Backend, GeneratorName, SearchObjective
from optimizer.problem import layout_problem
from optimizer.schedule import check_schedule
from optimizer.schedule_json import schedule_from_json
from optimizer.search.config import SearchConfig

from service.jobs import JobRecord
from service.models import JobStatus
from service.problems import ServiceError, invalid_request, problem_responses
from service.routes_layouts import ObjectiveName, Solver
from service.runs import search_progress
from service.schemas import json_response
from service.state import Service, service
from service.uploads import LAYOUT_BODY, SOURCE, Upload, parse_upload, read_upload
from service.workspace import ID_PATTERN, read_json

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], responses=problem_responses(401, 413, 500))
JobId = Annotated[str, Path(pattern=ID_PATTERN, description="a job's id, as its start returned it")]
MAX_YEAR = 366 * 24 * 3600.0
WORKERS = local_worker_limit()
Generator = Literal[tuple(GeneratorName.names())]  # type: ignore[valid-type]
SearchObjectiveName = Literal[tuple(SearchObjective.names())]  # type: ignore[valid-type]
BackendName = Literal[tuple(Backend.names())]  # type: ignore[valid-type]
ACCEPTED = {202: {"description": "the job, queued", "model": JobStatus}}


def job_status(svc: Service, record: JobRecord) -> JobStatus:
    base = f"/v1/jobs/{record.id}"
    links = {"self": base, "cancel": f"{base}/cancel", "resume": f"{base}/resume"}
    progress = None
    if record.kind == "search":
        progress = search_progress(svc.workspace.runs / record.id)
        run = f"/v1/runs/{record.id}"
        links.update(run=run, layout=f"{run}/layout", schedule=f"{run}/schedule", report=f"{run}/report",
                     picture=f"{run}/picture")
    else:
        links["result"] = f"{base}/{'schedule' if record.kind == 'schedule' else 'evaluation'}"
    return JobStatus(id=record.id, kind=record.kind, state=record.state, position=svc.queue.position(record.id),
                     layout=record.layout_name, params=record.params, created=record.created, started=record.started,
                     finished=record.finished, error=record.error, progress=progress, links=links)


def _submit(svc: Service, kind: str, upload: Upload, params: dict[str, Any], response: Response) -> JobStatus:
    layout = parse_upload(upload)
    if kind == "search":  # what `optimize` refuses up front; the as-is placement may be invalid
        problems = search_input_problems(layout)
        if problems:
            raise LayoutError(problems, SOURCE)
    else:
        validate_layout(layout, svc.workspace.layouts, svc.physics, source=SOURCE)
    if params.get("schedule_file"):
        _check_fit(svc, layout, params)
    layout_file = svc.workspace.store_layout(upload.text, upload.fmt)
    record = svc.queue.submit(kind, layout_file, layout.name, params)
    response.headers["Location"] = f"/v1/jobs/{record.id}"
    return job_status(svc, record)


@router.post("/schedule", status_code=202, openapi_extra=LAYOUT_BODY, responses={**ACCEPTED, **problem_responses(415, 422)},
             summary="Schedule a layout as a job (`factory-twin schedule`)")
async def start_schedule(
    request: Request, response: Response,
    time_limit: float = Query(10.0, gt=0, le=MAX_SECONDS, description="CP-SAT seconds"),
    workers: int = Query(2, ge=1, le=WORKERS, description="CP-SAT search workers"),
    seed: int = Query(0, ge=0, le=MAX_SEED),
    objective: ObjectiveName = Query("makespan"),
    solver: Solver = Query("cpsat"),
) -> JobStatus:
    upload = await read_upload(request)
    params = {"time_limit": time_limit, "workers": workers, "seed": seed, "objective": objective, "solver": solver}
    return await run_in_threadpool(_submit, service(request), "schedule", upload, params, response)


def _schedule_file(svc: Service, source: str) -> str:
    """The schedule a job or run made, as a path relative to the workspace."""
    try:
        folder = svc.workspace.run_dir(source)
    except ServiceError:
        folder = None
    for name in ("schedule.json", "best_schedule.json"):
        if folder is not None and (folder / name).is_file():
            return f"runs/{source}/{name}"
    raise invalid_request("query.schedule_from", f"job or run {source!r} has no finished schedule")


def _check_fit(svc: Service, layout: Any, params: dict[str, Any]) -> None:
    """The twin follows a schedule only on the layout it was made for (the same stations, the
    same transport times): the independent checker decides, as for a re-plan. A search run's
    schedule is its best layout's, not the as-is one's."""
    problem = layout_problem(layout, task_times(layout, svc.workspace.layouts, svc.physics))
    try:
        errors = check_schedule(problem, schedule_from_json(read_json(svc.workspace.root / params["schedule_file"])))
    except (InputError, KeyError, ValueError, TypeError) as exc:  # a schedule of other jobs and stations
        errors = [str(exc)]
    if errors:
        source = params["schedule_from"]
        hint = f" (a search run's schedule is its best layout's: GET /v1/runs/{source}/layout)" \
            if params["schedule_file"].endswith("best_schedule.json") else ""
        raise invalid_request("query.schedule_from", f"the schedule of {source} does not fit this layout{hint}: "
                              + "; ".join(errors[:3]))


@router.post("/evaluate", status_code=202, openapi_extra=LAYOUT_BODY, responses={**ACCEPTED, **problem_responses(415, 422)},
             summary="Simulate a layout in the running twin as a job (`factory-twin evaluate`)")
async def start_evaluation(
    request: Request, response: Response,
    schedule_from: str | None = Query(None, pattern=ID_PATTERN, description="follow the schedule of this finished "
                                      "schedule job or search run (default: the dispatching rule `policy`)"),
    policy: Literal["fifo", "edd", "spt"] = Query("fifo"),
    replications: int = Query(10, ge=1, le=10_000),
    horizon: float | None = Query(None, gt=0, le=MAX_YEAR, description="simulated seconds (default: until every lot is done)"),
    warmup: float = Query(0.0, ge=0, le=MAX_YEAR),
    seed: int = Query(0, ge=0, le=MAX_SEED),
    workers: int = Query(1, ge=1, le=WORKERS, description="worker processes"),
) -> JobStatus:
    svc = service(request)
    upload = await read_upload(request)
    if horizon is not None and warmup >= horizon:
        raise invalid_request("query.warmup", f"must end before the horizon ({horizon:g} s), got {warmup:g}")
    params: dict[str, Any] = {"policy": policy, "replications": replications, "horizon": horizon, "warmup": warmup,
                              "seed": seed, "workers": workers, "schedule_from": schedule_from}
    if schedule_from:
        params["schedule_file"] = _schedule_file(svc, schedule_from)
    return await run_in_threadpool(_submit, svc, "evaluate", upload, params, response)


@router.post("/search", status_code=202, openapi_extra=LAYOUT_BODY, responses={**ACCEPTED, **problem_responses(415, 422)},
             summary="Search for better layouts as a job (`factory-twin optimize`); omitted options: the CLI's defaults")
async def start_search(
    request: Request, response: Response,
    candidates: int | None = Query(None, ge=1, le=1_000_000),
    shortlist: int | None = Query(None, ge=0, le=100_000),
    time_limit: float | None = Query(None, gt=0, le=MAX_SECONDS, description="CP-SAT seconds per schedule"),
    simulate: int | None = Query(None, ge=0, le=100_000),
    replications: int | None = Query(None, ge=0, le=10_000),
    max_replications: int | None = Query(None, ge=0, le=10_000),
    seed: int | None = Query(None, ge=0, le=MAX_SEED),
    generator: Generator | None = Query(None),
    objective: SearchObjectiveName | None = Query(None),
    workers: int = Query(SearchConfig.workers, ge=1, le=WORKERS),
    backend: BackendName | None = Query(None, description="local processes or Ray (default: the server's --backend; "
                                        "Ray runs on the server's --address, else a local Ray per job)"),
    chunk_size: int = Query(SearchConfig.chunk_size, ge=1, le=10_000, description="candidates per screening task"),
) -> JobStatus:
    upload = await read_upload(request)
    svc = service(request)
    backend = backend or svc.settings.backend
    given = {"candidates": candidates, "shortlist": shortlist, "time_limit": time_limit, "simulate": simulate,
             "replications": replications, "max_replications": max_replications, "seed": seed,
             "generator": generator, "objective": objective}
    given = {k: v for k, v in given.items() if v is not None}
    SearchConfig(**given, workers=workers, backend=backend, chunk_size=chunk_size).check()  # 422 before a job exists
    params = {**given, "workers": workers, "backend": backend, "chunk_size": chunk_size}
    return await run_in_threadpool(_submit, svc, "search", upload, params, response)


@router.get("", summary="Every job in the workspace, oldest first (queued, running and finished)")
def list_jobs(request: Request) -> list[JobStatus]:
    svc = service(request)
    return [job_status(svc, record) for record in svc.queue.all()]


@router.get("/{job_id}", responses=problem_responses(404, 422), summary="A job's state, queue position and progress")
def get_job(request: Request, job_id: JobId) -> JobStatus:
    svc = service(request)
    return job_status(svc, svc.queue.get(job_id))


@router.post("/{job_id}/cancel", responses=problem_responses(404, 409, 422),
             summary="Cancel a queued or running job (a search keeps its finished work and can be resumed)")
def cancel_job(request: Request, job_id: JobId) -> JobStatus:
    svc = service(request)
    return job_status(svc, svc.queue.cancel(job_id))


@router.post("/{job_id}/resume", status_code=202, responses={**ACCEPTED, **problem_responses(404, 409, 422)},
             summary="Queue a cancelled, interrupted or failed job again (a search continues where it stopped)")
def resume_job(request: Request, job_id: JobId) -> JobStatus:
    svc = service(request)
    return job_status(svc, svc.queue.resume(job_id))


def _result(svc: Service, job_id: str, kind: str, name: str) -> Any:
    record = svc.queue.get(job_id)
    if record.kind != kind:
        raise ServiceError(404, "not-found", "Not found", f"job {job_id} is a {record.kind} job, not a {kind} job")
    if record.state != "complete":
        raise ServiceError(409, "not-complete", "The job is not complete", f"job {job_id} is {record.state}")
    return read_json(svc.workspace.runs / job_id / name)


@router.get("/{job_id}/schedule", responses={**json_response("Schedule", "the schedule document"),
                                             **problem_responses(404, 409, 422)},
            summary="The checked schedule a schedule job made")
def job_schedule(request: Request, job_id: JobId) -> Any:
    return _result(service(request), job_id, "schedule", "schedule.json")


@router.get("/{job_id}/evaluation", responses={**json_response("Evaluation", "the evaluation document"),
                                               **problem_responses(404, 409, 422)},
            summary="The KPIs an evaluation job measured in the running twin")
def job_evaluation(request: Request, job_id: JobId) -> Any:
    return _result(service(request), job_id, "evaluate", "evaluation.json")
