"""The JSON bodies the service answers with, besides the CLI's own documents (layout,
schedule, evaluation: see `service.schemas`) and problem documents."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from service.problems import FieldProblem


class ValidationReport(BaseModel):
    """What `factory-twin validate` says: valid, or every problem with its field path."""

    valid: bool
    layout: str | None = Field(None, description="the layout's name, when it could be read")
    stations: int | None = None
    placed: int | None = Field(None, description="stations with a position")
    products: int | None = None
    lots: int | None = None
    problems: list[FieldProblem]


class SearchProgress(BaseModel):
    """A search's counts, read from its run database."""

    run_status: str = Field(description="running, interrupted or complete, as the run database says")
    candidates: int
    screened: int
    valid: int
    shortlist: int
    scheduled: int
    schedule_ok: int
    simulated_replications: int
    elapsed_seconds: float


class JobStatus(BaseModel):
    id: str
    kind: Literal["schedule", "evaluate", "search"]
    state: Literal["queued", "running", "complete", "failed", "cancelled", "interrupted"]
    position: int | None = Field(None, description="place in the queue (1: next to start) while queued")
    layout: str = Field(description="the layout's name")
    params: dict[str, Any]
    created: str
    started: str | None = None
    finished: str | None = None
    error: str | None = Field(None, description="why a failed job failed, in the CLI's words")
    progress: SearchProgress | None = None
    links: dict[str, str] = Field(description="where to read the job and its results")


class RunInfo(BaseModel):
    """A search run in the workspace (started by the service or by the app)."""

    id: str
    layout: str
    started: str
    status: str
    candidates: int
    screened: int
    scheduled: int
    baseline_makespan: float | None
    best_makespan: float | None
    baseline_flow: float | None
    best_flow: float | None


class RunResult(BaseModel):
    """A run's result so far: its counts, the best design and the running twin's verdict."""

    run: RunInfo
    best_seq: int | None = Field(None, description="the best candidate's number (0 is the as-is layout)")
    best_solver: str | None = None
    verdict: list[str] = Field(description="the recommendation, as the CLI prints it")
    links: dict[str, str]
