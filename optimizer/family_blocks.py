"""Changeovers on a lane as family blocks: the CP-SAT model of sequence-dependent set-ups.

A lane's operations, in time order, fall into maximal runs of one product family; a changeover
is due only where one run ends and a run of another family begins (within a family there is
none). So instead of a successor circuit over the operations (quadratic in them: on the
lights-out sample, 185 lots on 31 lanes, over a million arc literals and minutes to build),
each lane gets a few *blocks* per family, each a time window `[start, end]` that holds the
operations of one run: an operation on the lane belongs to exactly one block of its family and
lies inside it, and a small circuit over the blocks orders them with the changeover between
consecutive blocks (`start_next >= end_prev + changeover(prev family, next family)`). The
lane's own NoOverlap (or the station's, on a single lane) keeps the operations of a block apart;
on a batch machine its units' Cumulative does, so a block's operations may share a batch (only
one family's may).
A present block holds at least one operation, so consecutive operations of different blocks
are exactly consecutive blocks and the set-ups need no triangle inequality.

Exact with enough blocks: a lane holds at most `min(n_f, n_others + 1)` runs of a family f
with n_f operations that may use the station and n_others of the other families
(`exact_runs`); with that many the model contains every schedule. Where that model would be
large (beyond `EXACT_SIZE` literals over all lanes, the largest stations first), a family gets
`max(MIN_RUNS, its runs on a lane of the reference schedule)` blocks per lane instead (the warm start's, so the model always
contains it): a restriction, whose optimum is a schedule but whose bound is no bound; the
caller then reports no proof from it (`Runs.restricted`).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Mapping

from ortools.sat.python import cp_model

from optimizer.problem import SchedulingProblem

Key = tuple[int, int]  # (job index, operation index)
Placed = Mapping[Key, tuple[str, int, int]]  # (station, lane, start) of each operation
# Up to this many block-membership and block-arc literals over all lanes the model is exact;
# above, the blocks per family are capped (the lights-out sample's exact model would hold
# about 3.6 million, the other samples' a few thousand).
EXACT_SIZE = 20_000
# Blocks per family and lane when capped: two let a lane switch to a family and back.
MIN_RUNS = 2


@dataclass(frozen=True)
class Runs:
    """Blocks per family on each lane of each station with changeovers, and whether that is
    fewer than some schedule could need (then the model is a restriction)."""

    per_station: dict[str, dict[str, int]]
    restricted: bool


@dataclass
class Block:
    """A time window on a lane that holds one run of `family`, when `present`."""

    family: str
    start: cp_model.IntVar
    end: cp_model.IntVar
    present: cp_model.IntVar


@dataclass
class LaneBlocks:
    """The blocks of one lane: `member[(key, b)]` puts operation `key` into block b; `arcs` is
    the block circuit (node 0 the lane's start and end, node b + 1 block b)."""

    station: str
    lane: int
    blocks: list[Block]
    member: dict[tuple[Key, int], object] = field(default_factory=dict)  # literal, or True
    arcs: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)


def _family(problem: SchedulingProblem, key: Key) -> str:
    return problem.jobs[key[0]].family


def exact_runs(problem: SchedulingProblem, keys: list[Key]) -> dict[str, int]:
    """The most runs of each family one lane can hold when `keys` may use it: a family's runs
    are separated by runs of other families, so min(its operations, the others' + 1)."""
    count: dict[str, int] = defaultdict(int)
    for key in keys:
        count[_family(problem, key)] += 1
    return {f: min(n, len(keys) - n + 1) for f, n in count.items()}


def reference_runs(problem: SchedulingProblem, placed: Placed, station: str) -> dict[str, int]:
    """The most runs of each family on any lane of `station` in a schedule."""
    lanes: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for key, (s, lane, start) in placed.items():
        if s == station and problem.jobs[key[0]].operations[key[1]].duration_on(station):
            lanes[lane].append((start, _family(problem, key)))
    most: dict[str, int] = defaultdict(int)
    for items in lanes.values():
        runs: dict[str, int] = defaultdict(int)
        previous = None
        for _, family in sorted(items):
            if family != previous:
                runs[family] += 1
            previous = family
        for family, n in runs.items():
            most[family] = max(most[family], n)
    return dict(most)


def _size(problem: SchedulingProblem, keys: list[Key], runs: dict[str, int]) -> int:
    """Literals of one lane: memberships plus block arcs."""
    blocks = sum(runs.values())
    return sum(runs[_family(problem, key)] for key in keys) + blocks * blocks


def plan_runs(problem: SchedulingProblem, members: Mapping[str, list[Key]], reference: Placed | None,
              campaigns: bool = False) -> Runs:
    """Blocks per family for each station in `members` (the operations that may use it): exact
    on the stations of smallest exact model as long as they stay within EXACT_SIZE together,
    on the others capped at MIN_RUNS or the `reference` schedule's runs, whichever is more.
    With `campaigns`, every station is capped at the reference's runs, at least one: each family
    runs as one campaign per lane unless the reference splits it, a restriction the scheduler
    searches first (`scheduler._campaign_phase`)."""
    exact = {s: exact_runs(problem, keys) for s, keys in members.items()}
    size = {s: problem.capacities[s] * _size(problem, keys, exact[s]) for s, keys in members.items()}
    per_station: dict[str, dict[str, int]] = {}
    total = 0
    for s in sorted(members, key=lambda s: (size[s], s)):
        total += size[s]
        if total <= EXACT_SIZE and not campaigns:
            per_station[s] = exact[s]
            continue
        seen = reference_runs(problem, reference, s) if reference is not None else {}
        fewest = 1 if campaigns else MIN_RUNS
        per_station[s] = {f: min(n, max(fewest, seen.get(f, 0))) for f, n in exact[s].items()}
    return Runs(per_station, per_station != exact)


def constrain_lane(model: cp_model.CpModel, problem: SchedulingProblem, station: str, lane: int, keys: list[Key],
                   on_lane: Mapping[Key, object], start: Mapping[Key, cp_model.IntVar], end: Mapping[Key, object],
                   horizon: int, runs: Mapping[str, int], check_clock: Callable[[], None] = lambda: None) -> LaneBlocks:
    """The blocks of one lane of `station` and their circuit. `on_lane[key]` is the literal
    (or True) of operation `key` running on this lane; `start`/`end` its times."""
    blocks: list[Block] = []
    of_family: dict[str, list[int]] = defaultdict(list)
    for family in sorted(runs):
        for i in range(runs[family]):
            name = f"{station}_{lane}_{family}_{i}"
            b = Block(family, model.NewIntVar(0, horizon, f"bs_{name}"), model.NewIntVar(0, horizon, f"be_{name}"),
                      model.NewBoolVar(f"bp_{name}"))
            model.Add(b.end >= b.start)
            of_family[family].append(len(blocks))
            blocks.append(b)
    out = LaneBlocks(station, lane, blocks)
    held: dict[int, list[object]] = defaultdict(list)
    for key in keys:
        check_clock()
        mine = of_family[_family(problem, key)]
        if len(mine) == 1:
            literals = [on_lane[key]]
        else:
            literals = [model.NewBoolVar(f"in_{station}_{lane}_{key}_{b}") for b in mine]
            present = on_lane[key]
            model.Add(sum(literals) == (1 if present is True else present))
        for b, lit in zip(mine, literals):
            out.member[(key, b)] = lit
            held[b].append(lit)
            for ct in (model.Add(start[key] >= blocks[b].start), model.Add(end[key] <= blocks[b].end)):
                if lit is not True:
                    ct.OnlyEnforceIf(lit)
            if lit is True:
                model.Add(blocks[b].present == 1)
            else:
                model.AddImplication(lit, blocks[b].present)
    for b, block in enumerate(blocks):
        # a present block holds an operation: consecutive blocks then meet at consecutive operations
        if any(lit is True for lit in held[b]):
            continue
        model.AddBoolOr([block.present.Not(), *held[b]])
    for family, mine in of_family.items():  # a family's blocks in their order (no symmetric copies)
        for a, b in zip(mine, mine[1:]):
            model.AddImplication(blocks[b].present, blocks[a].present)
            model.Add(blocks[b].start >= blocks[a].end).OnlyEnforceIf(blocks[b].present)
    empty = model.NewBoolVar(f"empty_{station}_{lane}")
    arcs: list[tuple[int, int, object]] = [(0, 0, empty)]
    out.arcs[(0, 0)] = empty
    for b, block in enumerate(blocks):
        arcs.append((b + 1, b + 1, block.present.Not()))
        model.AddImplication(block.present, empty.Not())
        for pair in ((0, b + 1), (b + 1, 0)):
            lit = model.NewBoolVar(f"barc_{station}_{lane}_{pair}")
            arcs.append((*pair, lit))
            out.arcs[pair] = lit
    for a, before in enumerate(blocks):
        for b, after in enumerate(blocks):
            if before.family == after.family:  # one family's blocks never meet: they would be one block
                continue
            lit = model.NewBoolVar(f"barc_{station}_{lane}_{a}_{b}")
            setup = problem.changeover_ticks(station, before.family, after.family)
            model.Add(after.start >= before.end + setup).OnlyEnforceIf(lit)
            arcs.append((a + 1, b + 1, lit))
            out.arcs[(a + 1, b + 1)] = lit
    model.AddCircuit(arcs)
    return out


def hint_lane(model: cp_model.CpModel, problem: SchedulingProblem, lane_blocks: LaneBlocks, placed: Placed) -> None:
    """Hint a schedule's runs on this lane as its blocks (run i of a family in block i of it); a
    run beyond the family's blocks and all after it are left unhinted."""
    station, lane, blocks = lane_blocks.station, lane_blocks.lane, lane_blocks.blocks
    keys = {key for key, _ in lane_blocks.member}
    sequence = sorted((placed[key][2], key) for key in keys if placed[key][:2] == (station, lane))
    of_family: dict[str, list[int]] = defaultdict(list)
    for b, block in enumerate(blocks):
        of_family[block.family].append(b)
    used: dict[str, int] = defaultdict(int)
    runs: list[tuple[int, list[Key]]] = []  # (block, its operations)
    previous = None
    for _, key in sequence:
        family = _family(problem, key)
        if family != previous:
            if used[family] >= len(of_family[family]):
                break
            runs.append((of_family[family][used[family]], []))
            used[family] += 1
        runs[-1][1].append(key)
        previous = family
    complete = sum(len(ops) for _, ops in runs) == len(sequence)
    chosen_blocks = {b for b, _ in runs}
    for b, block in enumerate(blocks):
        model.AddHint(block.present, b in chosen_blocks)
        if b not in chosen_blocks:  # an absent block's window is free: an empty one at 0
            model.AddHint(block.start, 0)
            model.AddHint(block.end, 0)
    for b, ops in runs:
        model.AddHint(blocks[b].start, min(placed[key][2] for key in ops))
        model.AddHint(blocks[b].end, max(placed[key][2] + problem.jobs[key[0]].operations[key[1]].duration_on(station)
                                          for key in ops))
    in_block = {key: b for b, ops in runs for key in ops}
    for (key, b), lit in lane_blocks.member.items():
        if len(of_family[_family(problem, key)]) == 1:
            continue  # the lane's own literal, hinted with the lanes
        if key in in_block or placed[key][:2] != (station, lane):
            model.AddHint(lit, in_block.get(key) == b)
    if complete:
        path = [0] + [b + 1 for b, _ in runs] + [0]
        chosen = set(zip(path, path[1:])) if runs else {(0, 0)}
        for pair, lit in lane_blocks.arcs.items():
            model.AddHint(lit, pair in chosen)
