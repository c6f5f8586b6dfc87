"""Stations as the simulation runs them: lanes that fail on operating time, a finite input
buffer, a finite output buffer that blocks a lane after service, work that pauses while its
operator is off shift, and the lane state shares (busy, setup, idle, starved, blocked, down,
unmanned: a lot in hand but no operator free or on shift)."""
from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from twin.sim.accounting import ActivePeriods, Occupancy
from twin.sim.factory import StationSpec
from twin.sim.randomness import Sampler, stream
from twin.shifts import EPSILON, Calendar

STATES = ("busy", "setup", "idle", "starved", "blocked", "down", "unmanned")
ACTIVE = ("busy", "setup", "down")


class Slots:
    """Counted places (a buffer) handed out in request order; `None` capacity: no limit."""

    def __init__(self, env: simpy.Environment, capacity: int | None):
        self.env = env
        self.capacity = math.inf if capacity is None else capacity
        self.used = 0
        self.waiting: deque[simpy.Event] = deque()
        self.watchers: list[simpy.Event] = []

    def try_take(self) -> bool:
        if self.used < self.capacity and not self.waiting:
            self.used += 1
            return True
        return False

    def request(self) -> simpy.Event:
        """An event that fires once a place is this caller's."""
        event = self.env.event()
        if self.try_take():
            event.succeed()
        else:
            self.waiting.append(event)
        return event

    def watch(self) -> simpy.Event:
        """An event that fires at the next release (for callers that choose among buffers)."""
        event = self.env.event()
        self.watchers.append(event)
        return event

    def release(self) -> None:
        self.used -= 1
        while self.waiting and self.used < self.capacity:
            self.used += 1
            self.waiting.popleft().succeed()
        watchers, self.watchers = self.watchers, []
        for event in watchers:
            event.succeed()


class InputQueue:
    """The lots in a station's input buffer: by a dispatching rule's key (smallest first),
    or, when the station follows a plan (`key` None), by (lot id, operation id)."""

    def __init__(self, key: Callable[[Any], tuple] | None):
        self.key = key
        self.heap: list[tuple[tuple, Any]] = []
        self.planned: dict[tuple[str, str], Any] = {}

    def __len__(self) -> int:
        return len(self.heap) + len(self.planned)

    def push(self, lot: Any) -> None:
        if self.key is None:
            self.planned[(lot.id, lot.operation.id)] = lot
        else:
            heapq.heappush(self.heap, (self.key(lot), lot))

    def pop_next(self) -> Any:
        return heapq.heappop(self.heap)[1]

    def take(self, wanted: Callable[[Any], bool]) -> list[Any]:
        """Remove the queued lots that `wanted` accepts, asked one by one in the rule's order."""
        taken = [lot for _, lot in sorted(self.heap, key=lambda item: item[0]) if wanted(lot)]
        if taken:
            chosen = {id(lot) for lot in taken}
            self.heap = [item for item in self.heap if id(item[1]) not in chosen]
            heapq.heapify(self.heap)
        return taken

    def pop(self, lot_id: str, operation_id: str) -> Any | None:
        return self.planned.pop((lot_id, operation_id), None)


@dataclass
class Lane:
    index: int
    state: str = "idle"
    family: str | None = None  # family of the last lot, for changeovers
    uptime_left: float = math.inf  # operating seconds to the next failure
    rng: np.random.Generator | None = None  # this lane's failure stream


@dataclass
class StationRuntime:
    """One station's live state in one replication."""

    spec: StationSpec
    env: simpy.Environment
    warmup: float
    process_rng: np.random.Generator
    queue: InputQueue  # lots in the input buffer
    inputs: Slots = field(init=False)
    outputs: Slots = field(init=False)
    backlog: float = 0.0  # mean seconds of work queued, incoming or in process
    demand: int = 0  # lots in the factory that may still need this station
    failures: list[tuple[int, float, float]] = field(default_factory=list)  # (lane, down, up)
    timeline: list[tuple[float, int, str]] | None = None  # (time, lane, new state) when traced
    _arrival: simpy.Event | None = None

    def __post_init__(self) -> None:
        self.inputs = Slots(self.env, self.spec.input_buffer)
        self.outputs = Slots(self.env, self.spec.output_buffer)
        self.lanes = [Lane(k) for k in range(self.spec.capacity)]
        self.occupancy = Occupancy(STATES, "idle", self.spec.capacity, self.warmup)
        self.active = ActivePeriods(self.warmup)
        self.uptime: Sampler | None = None
        self.repair: Sampler | None = None

    def start_timeline(self) -> None:
        """Record every lane's state changes from now on (a traced replication's playback)."""
        self.timeline = [(self.env.now, lane.index, lane.state) for lane in self.lanes]

    def setup_failures(self, seed: int, replication: int) -> None:
        """Each lane's failure stream and first operating time to failure (with MTBF/MTTR)."""
        spec = self.spec
        if spec.mtbf is None or spec.mttr is None:
            return
        self.uptime = Sampler(spec.breakdowns.uptime, spec.mtbf)
        self.repair = Sampler(spec.breakdowns.repair, spec.mttr)
        for lane in self.lanes:
            lane.rng = stream(seed, replication, "station", spec.id, "failures", str(lane.index))
            lane.uptime_left = self.uptime.draw(lane.rng)

    # --- states ---------------------------------------------------------------------------

    def free_state(self) -> str:
        return "starved" if self.demand > 0 else "idle"

    def set_state(self, lane: Lane, state: str) -> None:
        now = self.env.now
        self.occupancy.move(now, lane.state, state)
        lane.state = state
        if self.timeline is not None:
            self.timeline.append((now, lane.index, state))
        self.active.update(now, all(l.state in ACTIVE for l in self.lanes))

    def add_demand(self, delta: int) -> None:
        """A lot that may need this station entered (+1) or no longer needs it (-1)."""
        before = self.free_state()
        self.demand += delta
        after = self.free_state()
        if before != after:
            free = [lane for lane in self.lanes if lane.state == before]
            self.occupancy.move(self.env.now, before, after, len(free))
            for lane in free:
                lane.state = after
                if self.timeline is not None:
                    self.timeline.append((self.env.now, lane.index, after))

    # --- the queue ------------------------------------------------------------------------

    def arrival(self) -> simpy.Event:
        """Fires when the next lot enters the input buffer."""
        if self._arrival is None:
            self._arrival = self.env.event()
        return self._arrival

    def enqueue(self, lot: Any) -> None:
        self.queue.push(lot)
        event, self._arrival = self._arrival, None
        if event is not None:
            event.succeed()

    # --- work -----------------------------------------------------------------------------

    def work(self, lane: Lane, seconds: float, calendar: Calendar | None = None, state: str = "busy"):
        """Process for `seconds` of operating time in `state`; a failure stops the lane for a
        repair and the work resumes where it stopped (breakdowns count operating time, set-ups
        never fail). With an operator's `calendar`, the work also pauses (unmanned) whenever
        the operator is off shift."""
        remaining = seconds
        fails = state == "busy"
        while remaining > 0:
            run = min(remaining, lane.uptime_left if fails else math.inf)
            if calendar is not None:
                stretch_end = calendar.stretch_end(self.env.now)
                if stretch_end is None or stretch_end - self.env.now <= EPSILON:
                    self.set_state(lane, "unmanned")
                    yield self.env.timeout(calendar.next_fit(self.env.now + EPSILON, 0.0) - self.env.now)
                    self.set_state(lane, state)
                    continue
                run = min(run, stretch_end - self.env.now)
            if run > 0:
                yield self.env.timeout(run)
            remaining -= run
            if not fails:
                continue
            lane.uptime_left -= run
            if lane.uptime_left <= 0 and self.repair is not None:
                down = self.env.now
                self.set_state(lane, "down")
                yield self.env.timeout(self.repair.draw(lane.rng))
                self.failures.append((lane.index, down, self.env.now))
                self.set_state(lane, state)
                lane.uptime_left = self.uptime.draw(lane.rng)
