"""Synchronous endpoints: the JSON Schemas, validating a layout, and scheduling one within a
time limit (longer work is a job: `routes_jobs`)."""
from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from twin.errors import LayoutError
from twin.model import Layout
from twin.validate import all_problems

from optimizer.names import Objective, SolverName
from optimizer.planning import ScheduleOptions, schedule_layout
from optimizer.schedule_json import WrongSchedule

from service.models import ValidationReport
from service.problems import FieldProblem, problem_responses
from service.schemas import DOCUMENTS, cli_schema, json_response
from service.settings import MAX_SYNC_SECONDS
from service.state import Service, service
from service.uploads import LAYOUT_BODY, SOURCE, parse_upload, read_upload

router = APIRouter(prefix="/v1", responses=problem_responses(401, 413, 500))
ObjectiveName = Literal[tuple(Objective.names())]  # type: ignore[valid-type]
Solver = Literal[tuple(SolverName.names())]  # type: ignore[valid-type]


@router.get("/schemas/{kind}", summary="A JSON Schema, as `factory-twin schema KIND` prints it",
            responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}},
                       **problem_responses(422)})
def get_schema(kind: Literal[DOCUMENTS]) -> dict[str, Any]:  # type: ignore[valid-type]
    return cli_schema(kind)


def _report(svc: Service, layout: Layout | None, problems: list) -> ValidationReport:
    found = [FieldProblem(path=p.path, message=svc.workspace.public(p.message)) for p in problems]
    if layout is None:
        return ValidationReport(valid=False, problems=found)
    return ValidationReport(
        valid=not found, layout=layout.name, stations=len(layout.stations),
        placed=sum(s.position is not None for s in layout.stations), products=len(layout.products),
        lots=sum(len(p.lots) for p in layout.products), problems=found)


def _validate(svc: Service, upload) -> ValidationReport:
    try:
        layout = parse_upload(upload)
    except LayoutError as exc:
        return _report(svc, None, exc.problems)
    return _report(svc, layout, all_problems(layout, svc.workspace.layouts, svc.physics))


@router.post("/layouts/validate", response_model=ValidationReport, openapi_extra=LAYOUT_BODY,
             summary="Every problem in a layout with its field path (`factory-twin validate`)",
             responses=problem_responses(415))
async def validate(request: Request) -> ValidationReport:
    upload = await read_upload(request)
    return await run_in_threadpool(_validate, service(request), upload)


def _schedule(svc: Service, upload, options: ScheduleOptions) -> dict[str, Any]:
    layout = parse_upload(upload)
    with svc.solving:
        result = schedule_layout(layout, svc.workspace.layouts, svc.physics, options, source=SOURCE)
    if result.check:  # a solver bug: never hand out a wrong schedule
        raise WrongSchedule("the schedule failed the independent check: " + "; ".join(result.check))
    return result.to_json()


@router.post("/schedules", openapi_extra=LAYOUT_BODY,
             summary="A checked CP-SAT schedule of a layout (`factory-twin schedule`), within the time limit",
             responses={**json_response("Schedule", "the schedule document"), **problem_responses(415, 422)})
async def schedule(
    request: Request,
    time_limit: float = Query(10.0, gt=0, le=MAX_SYNC_SECONDS, description="CP-SAT seconds; longer: a schedule job"),
    workers: int = Query(1, ge=1, le=8, description="CP-SAT search workers"),
    seed: int = Query(0, ge=0, le=2**31 - 1),
    objective: ObjectiveName = Query("makespan"),
    solver: Solver = Query("cpsat"),
) -> Any:
    upload = await read_upload(request)
    options = ScheduleOptions(time_limit=time_limit, workers=workers, seed=seed, objective=objective, solver=solver)
    return await run_in_threadpool(_schedule, service(request), upload, options)
