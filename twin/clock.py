"""Where a long command's time goes: named stages, progress within a stage with an estimate of
the time left, and an optional wall-clock limit checked at every step.

A command builds one `CommandClock` at its edge and passes it to the work that can take long
(reading a big file, validating, measuring robot cells, simulating replications). That work
calls `stage(...)` when it starts something new and `step(...)` after each unit of it, so:

- a time limit bounds the whole command, not only the solver: `step` and `check` raise
  `TimeLimitReached` (exit code 3) naming the stage it was in and the seconds each stage took;
- long but legal work never looks like a hang: `progress_line()` says at any moment what is
  being done, how much of it and about how long is left (the command line prints it on
  stderr from a timer, `optimizer.cli.progress`).

Without a limit a clock costs a `time.monotonic()` call per step.
"""
from __future__ import annotations

from time import monotonic

from twin.errors import NoFeasibleSchedule


class TimeLimitReached(NoFeasibleSchedule):
    """The command's time limit ran out before it had an answer; the message says where the
    time went. A kind of `NoFeasibleSchedule`: no schedule was found within the limit."""


class CommandClock:
    """Stages and steps of one command (see the module docstring). `started` is a
    `time.monotonic()` value (default now); `time_limit` wall seconds from it, or None."""

    def __init__(self, time_limit: float | None = None, started: float | None = None, first_stage: str = "starting up"):
        self.time_limit = time_limit
        self.started = monotonic() if started is None else started
        self.stages: list[tuple[str, float]] = [(first_stage, self.started)]  # (name, began)
        self.total: int | None = None
        self.done = 0

    @property
    def current(self) -> str:
        return self.stages[-1][0]

    def elapsed(self) -> float:
        return monotonic() - self.started

    def left(self) -> float | None:
        """Seconds left of the limit (None without one)."""
        return None if self.time_limit is None else self.time_limit - self.elapsed()

    def stage(self, name: str, total: int | None = None) -> None:
        """Begin a stage of `total` steps (None: not counted). It does not check the limit:
        work that has an answer (a solver's schedule) still finishes its last stage."""
        self.total, self.done = total, 0
        self.stages.append((name, monotonic()))

    def step(self, detail: str = "", done: int | None = None) -> None:
        """One more step of the stage done (or `done` in all); `detail` says which, for the
        message if the limit has run out."""
        self.done = self.done + 1 if done is None else done
        self.check(detail)

    def advance(self, done: int) -> None:
        """Progress without a look at the limit: for work that is bounded otherwise and whose
        end is worth reaching (reading a file, whose size has a limit, tells a broken file from
        a good one)."""
        self.done = done

    def estimate(self) -> float | None:
        """Seconds left in the stage at the pace of its steps so far (None before the first
        step or when the stage is not counted)."""
        total, done, began = self.total, self.done, self.stages[-1][1]
        if not total or not done:
            return None
        return (monotonic() - began) / done * max(0, total - done)

    def progress_line(self) -> str:
        """`STAGE: D of T done, about S s left (E s elapsed)`; a stage that is not counted
        gives the time left of the limit, if any, as its bound."""
        stage, total, done = self.current, self.total, self.done
        estimate, left = self.estimate(), self.left()
        parts = [f"{done:,} of {total:,} done"] if total else []
        if estimate is not None:
            parts.append(f"about {estimate:.0f} s left")
        elif left is not None:
            parts.append(f"at most {max(0.0, left):.0f} s left (the time limit)")
        return f"{stage}{': ' + ', '.join(parts) if parts else ''} ({self.elapsed():.0f} s elapsed)"

    def check(self, detail: str = "") -> None:
        """Raise TimeLimitReached when the limit has run out."""
        left = self.left()
        if left is not None and left <= 0:
            raise TimeLimitReached(self.overrun(detail))

    def spent(self) -> list[tuple[str, float]]:
        """(stage, seconds) for every stage so far, the current one up to now."""
        ends = [began for _, began in self.stages[1:]] + [monotonic()]
        return [(name, end - began) for (name, began), end in zip(self.stages, ends)]

    def overrun(self, detail: str = "") -> str:
        """The message for a limit that ran out in the current stage."""
        where = f" ({detail})" if detail else ""
        if self.total:
            where += f", {self.done:,} of {self.total:,} done"
        went = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.spent() if seconds >= 0.05)
        return (f"the time limit of {self.time_limit:g} s ran out while {self.current}{where}; the time went to: "
                f"{went}; give a longer time limit (robot-cell measurements are cached, so the next run starts faster)")
