"""Errors that the user sees: each says what is wrong and where, never a traceback."""
from __future__ import annotations

from dataclasses import dataclass


class FactoryTwinError(Exception):
    """Base of every error the command line turns into a message and an exit code."""

    exit_code = 1


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: a field path (`stations[3].footprint.width`) and why."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class LayoutError(FactoryTwinError):
    """A layout file (or edit) is invalid. Holds every problem found, not just the first."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | Problem | str, source: str | None = None):
        if isinstance(problems, str):
            problems = [Problem("", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        self.source = source
        super().__init__(self.describe())

    def describe(self) -> str:
        head = f"{self.source}: " if self.source else ""
        if len(self.problems) == 1:
            return head + str(self.problems[0])
        lines = [f"{head}{len(self.problems)} problems"] + [f"  {p}" for p in self.problems]
        return "\n".join(lines)


class InputError(FactoryTwinError):
    """Bad input that is not a layout: a benchmark file, a flag value, a missing file."""

    exit_code = 2


class NoFeasibleSchedule(FactoryTwinError):
    """The problem is well formed but no schedule satisfies it (or none was found in time)."""

    exit_code = 3
