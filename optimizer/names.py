"""The names a user picks (objectives, placement generators, solvers, backends) as enums, with
one lookup: `Backend.parse("dask")` raises InputError "unknown backend 'dask'; valid: local,
ray". Members are strings, so they compare equal to, and key dicts like, their names."""
from __future__ import annotations

from enum import StrEnum

from twin.errors import InputError


class Name(StrEnum):
    """Base of the name enums; `kind` says what the names are ("objective", "backend", ...)."""

    def __init_subclass__(cls, kind: str = "name", **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.kind = kind

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The valid names, in the order messages and menus list them."""
        return tuple(member.value for member in cls)

    @classmethod
    def parse(cls, text: object):
        """The member called `text`; InputError listing the valid names on a miss."""
        try:
            return cls(text)
        except ValueError:
            raise InputError(f"unknown {cls.kind} {text!r}; valid: {', '.join(cls.names())}") from None


class Objective(Name, kind="objective"):
    """What the scheduler minimises."""

    MAKESPAN = "makespan"
    WEIGHTED_TARDINESS = "weighted_tardiness"


class SearchObjective(Name, kind="objective"):
    """What a layout search ranks by: annual cost (designs meeting the required rate), the
    scheduler's objectives, or throughput (of the makespan schedule)."""

    COST = "cost"
    MAKESPAN = "makespan"
    WEIGHTED_TARDINESS = "weighted_tardiness"
    THROUGHPUT = "throughput"


class GeneratorName(Name, kind="generator"):
    """Placement generators (`optimizer.placement.GENERATORS`)."""

    CPSAT = "cpsat"
    LINE = "line"
    MIXED = "mixed"
    PERTURB = "perturb"
    QAP = "qap"
    RANDOM = "random"  # random legal layouts: the baseline, not a search


class SolverName(Name, kind="solver"):
    """Schedulers (`optimizer.scheduler.SOLVERS`)."""

    CPSAT = "cpsat"
    DISPATCH = "dispatch"


class Backend(Name, kind="backend"):
    """Where a search's work runs (`optimizer.runner.make_runner`)."""

    LOCAL = "local"
    RAY = "ray"
