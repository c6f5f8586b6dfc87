"""Rescheduling from the live state: the layout, the schedule being carried out, the time now
and the stations that are down give a new schedule that keeps what already happened
(`optimizer.replan`), checked by the independent checker before it is returned."""
from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from twin.io import layout_from_data, problems_from_validation
from twin.physics import task_times
from twin.readers import parse_document, uploaded_text
from twin.validate import validate_layout

from optimizer.problem import layout_problem
from optimizer.replan import Outage, reschedule
from optimizer.schedule_json import WrongSchedule, schedule_from_json, schedule_to_json

from service.problems import ServiceError, problem_responses
from service.settings import MAX_SYNC_SECONDS
from service.state import Service, service
from service.uploads import SOURCE

router = APIRouter(prefix="/v1", tags=["reschedule"], responses=problem_responses(401, 413, 500))
YEAR = 366 * 24 * 3600.0


class Down(BaseModel):
    """A station out of use, in seconds from the schedule's start."""

    model_config = ConfigDict(extra="forbid")
    station: str = Field(min_length=1, max_length=200)
    start: float = Field(ge=0, le=YEAR, allow_inf_nan=False)
    end: float = Field(ge=0, le=YEAR, allow_inf_nan=False)


class LiveState(BaseModel):
    """The live state: what runs (the schedule being carried out, read as done up to `now`)
    and what is down."""

    model_config = ConfigDict(extra="forbid")
    layout: dict[str, Any] | str = Field(description="the layout, as a JSON object or as YAML/JSON text")
    schedule: dict[str, Any] = Field(description="the schedule being carried out (the schedule document)")
    now: float = Field(ge=0, le=YEAR, allow_inf_nan=False, description="seconds from the schedule's start")
    down: list[Down] = Field(default_factory=list, max_length=1000)


class OperationRef(BaseModel):
    job: str
    operation: str
    station: str


class Rescheduled(BaseModel):
    schedule: dict[str, Any] = Field(description="the new schedule document, kept work included")
    kept: list[OperationRef] = Field(description="operations that ran (or run) as planned and stay as they are")
    interrupted: list[OperationRef] = Field(description="operations an outage cut short; they start again")


REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": False, "required": ["layout", "schedule", "now"],
            "properties": {
                "layout": {"oneOf": [{"$ref": "#/components/schemas/Layout"}, {"type": "string"}]},
                "schedule": {"$ref": "#/components/schemas/Schedule"},
                "now": {"type": "number", "minimum": 0, "maximum": YEAR},
                "down": {"type": "array", "maxItems": 1000, "items": {
                    "type": "object", "additionalProperties": False, "required": ["station", "start", "end"],
                    "properties": {"station": {"type": "string", "minLength": 1, "maxLength": 200},
                                   "start": {"type": "number", "minimum": 0, "maximum": YEAR},
                                   "end": {"type": "number", "minimum": 0, "maximum": YEAR}}}},
            }}}},
    }
}
RESPONSE = {200: {"description": "the new schedule", "model": Rescheduled}}


def _read_state(body: bytes) -> LiveState:
    text = uploaded_text(body, "request")
    # bounded, keys given twice refused; a request's lists are not a layout's (its inline layout's
    # lists are counted by layout_from_data)
    data = parse_document(text, "request", "json", layout=False)
    try:
        return LiveState.model_validate(data)
    except ValidationError as exc:
        problems = problems_from_validation(exc)
        raise ServiceError(422, "invalid-request", "The request is invalid", "; ".join(map(str, problems)),
                           problems) from None


def _reschedule(svc: Service, body: bytes, time_limit: float, workers: int, seed: int) -> Rescheduled:
    state = _read_state(body)
    if isinstance(state.layout, str):
        data = parse_document(state.layout, SOURCE, "yaml")
    else:
        data = state.layout
    layout = validate_layout(layout_from_data(data, SOURCE), svc.workspace.layouts, svc.physics, source=SOURCE)
    with svc.solving:
        problem = layout_problem(layout, task_times(layout, svc.workspace.layouts, svc.physics))
        current = schedule_from_json(state.schedule)
        outages = [Outage(d.station, d.start, d.end) for d in state.down]
        replan = reschedule(problem, current, state.now, outages, time_limit=time_limit, workers=workers, seed=seed,
                            objective=current.objective)
    if replan.check:  # never hand out a schedule the checker refuses
        raise WrongSchedule("the new schedule failed the independent check: " + "; ".join(replan.check[:5]))

    def refs(keys) -> list[OperationRef]:
        out = []
        for j, k in keys:
            job = problem.jobs[j]
            station = next(a.station for a in replan.schedule.assignments
                           if a.job == job.id and a.operation == job.operations[k].id)
            out.append(OperationRef(job=job.id, operation=job.operations[k].id, station=station))
        return out

    doc = schedule_to_json(problem, replan.schedule, layout.name)
    if not all(math.isfinite(v) for v in (doc["makespan"], doc["objective_value"])):
        raise WrongSchedule("the new schedule holds a number that is not finite")
    return Rescheduled(schedule=doc, kept=refs(replan.kept), interrupted=refs(replan.interrupted))


@router.post("/reschedule", openapi_extra=REQUEST_BODY, responses={**RESPONSE, **problem_responses(422)},
             summary="A new schedule from the live state: keeps what happened, works around stations that are down")
async def reschedule_live(
    request: Request,
    time_limit: float = Query(10.0, gt=0, le=MAX_SYNC_SECONDS, description="CP-SAT seconds"),
    workers: int = Query(1, ge=1, le=8, description="CP-SAT search workers"),
    seed: int = Query(0, ge=0, le=2**31 - 1),
) -> Rescheduled:
    body = await request.body()
    return await run_in_threadpool(_reschedule, service(request), body, time_limit, workers, seed)
