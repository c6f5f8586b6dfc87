"""Robot-cell simulation: cycle times, reachability and collisions measured in PyBullet.

For each task of a robot cell, `simulate_cell`:

1. solves inverse kinematics for every waypoint (`twin.physics.ik`, seeded by the previous
   one) and checks the residual: a waypoint whose position error exceeds
   `REACH_TOLERANCE_MM` (or orientation error `ORIENT_TOLERANCE_DEG`) is unreachable, and the
   report names it and the error;
2. moves waypoint to waypoint, then back to the first (one unit = one closed cycle), along a
   straight line in joint space under a trapezoidal velocity profile that respects every
   joint's datasheet speed and acceleration limit (scaled by the task's speed/accel scale;
   acceleration derated by up to `PAYLOAD_DERATE` at rated payload while a part is held);
   the profile is tracked by PyBullet's joint motors with physics (gravity, link masses,
   the payload as a body fixed to the tool) at a fixed `TIME_STEP` (120 Hz: the motors follow
   the sampled profile to ~1 mrad, and cycle times agree with 240 Hz to within a step per
   move), and a move ends when the arm has settled on its target;
3. records contacts between the robot (and the carried part) and the fixtures, the floor or
   the robot itself, with the link, the body and the time in the cycle (every step).

Results are deterministic and cached on disk per task (`twin.physics.cache`). Each robot
model is loaded once per `Physics` context (`twin.physics.world`); every task starts from the
world's saved state, so its numbers do not depend on what the process simulated before.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterator

from twin.cell_frame import absolute_cell, fit_problems
from twin.clock import CommandClock
from twin.errors import LayoutError, Problem
from twin.model import Layout, RobotCell, RobotTask, Station
from twin.physics import settings
from twin.physics.cache import task_key
from twin.physics.context import Physics
from twin.physics.ik import solve_ik
from twin.physics.profile import scalar_profile
from twin.physics.reports import CellReport, Collision, MoveReport, TaskReport, Unreachable
from twin.physics.world import CellWorld
from twin.robots import Robot, resolve_robot

# --- one task ------------------------------------------------------------------------------------


def simulate_task(world: CellWorld, task: RobotTask, trace: list | None = None) -> TaskReport:
    """One task in a world set up for its cell: reach first, then one closed cycle. `trace`,
    when given, receives the tool centre point's position (cell frame) at every step."""
    import numpy as np

    world.restore()
    body = world.robot
    spec = body.robot.spec
    report = TaskReport(task.id, None, True, payload=task.payload, warnings=list(body.robot.warnings))
    if spec is not None and task.payload > spec.payload:
        report.overload = f"payload {task.payload:g} kg exceeds the {spec.model}'s rated {spec.payload:g} kg"
    configs = []
    seed = np.array(body.home)
    for k, wp in enumerate(task.waypoints):
        q, err, ang = solve_ik(body, wp.xyz, wp.rpy, seed)
        if err > settings.REACH_TOLERANCE_MM or ang > settings.ORIENT_TOLERANCE_DEG:
            report.unreachable.append(Unreachable(k, wp.name, round(err, 2), round(ang, 2)))
        configs.append(q)
        seed = q
    if report.unreachable:
        report.reachable = False
        return report
    _Cycle(world, task, configs, report, trace).run()
    return report


class _Cycle:
    """One closed cycle of a task: from waypoint 0 through the others and back to 0, with the
    state the steps share (time, tool path, peak speeds, the carried part, contacts seen)."""

    def __init__(self, world: CellWorld, task: RobotTask, configs: list[Any], report: TaskReport,
                 trace: list | None = None):
        import numpy as np

        self.world, self.task, self.configs, self.report, self.trace = world, task, configs, report, trace
        body = self.body = world.robot
        self.client = world.client
        spec = body.robot.spec
        n = len(body.arm_joints)
        self.vmax = np.array(body.velocity) * task.speed_scale
        self.amax_free = np.array(body.acceleration) * task.accel_scale
        rated = spec.payload if spec is not None else max(task.payload, 1.0)
        self.amax_loaded = (self.amax_free * (1.0 - settings.PAYLOAD_DERATE * min(task.payload / rated, 1.0))
                            if task.payload else self.amax_free)
        self.grip_links = [body.links[g] for g in (spec.gripper_links if spec else ()) if g in body.links] or [body.tcp]
        self.part: int | None = None
        self.t = 0.0
        self.peak = [0.0] * n
        self.path = 0.0
        self.seen: dict[tuple[str, str], Collision] = {}
        self.gains = dict(targetVelocities=[0.0] * n, positionGains=[settings.POSITION_GAIN] * n,
                          velocityGains=[settings.VELOCITY_GAIN] * n)
        self.settle_max = int(round(settings.SETTLE_MAX / settings.TIME_STEP))

    def run(self) -> None:
        body, report = self.body, self.report
        body.set_arm(self.configs[0])
        self.client.position_control(body.id, body.arm_joints, list(self.configs[0]), body.forces)
        self.prev_tcp = body.tcp_position()
        if self.trace is not None:
            self.trace.append(tuple(self.prev_tcp))
        last = 0
        try:
            for target in list(range(1, len(self.configs))) + [0]:
                report.moves.append(self._move(last, target))
                self._act(self.task.waypoints[target].action)
                last = target
        finally:
            if self.part is not None:
                self.client.remove_body(self.part)
        report.cycle_time = round(self.t, 6)
        report.path_length = round(self.path, 6)
        report.peak_joint_speeds = [round(x, 4) for x in self.peak]
        report.collisions = sorted(self.seen.values(), key=lambda c: (c.time, c.link, c.other))

    def _profile(self, d: Any) -> tuple[float, Any]:
        """The move's duration and s(t), scaled so the most limited joint sets the pace."""
        import numpy as np

        amax = self.amax_loaded if self.part is not None else self.amax_free
        big = np.abs(d) > 1e-9
        if not big.any():
            return 0.0, lambda t: 1.0
        v_s = float(np.min(self.vmax[big] / np.abs(d[big])))
        a_s = float(np.min(amax[big] / np.abs(d[big])))
        return scalar_profile(v_s, a_s)

    def _move(self, last: int, target: int) -> MoveReport:
        """Track the profile from waypoint `last` to `target`, then hold until settled."""
        import numpy as np

        step = settings.TIME_STEP
        q0, q1 = np.array(self.configs[last]), np.array(self.configs[target])
        d = q1 - q0
        total, prof = self._profile(d)
        steps = int(math.ceil(total / step - 1e-9))
        settle_steps = 0
        tracking = 0.0
        q0l, dl, q1l = q0.tolist(), d.tolist(), q1.tolist()
        name = self.task.waypoints[target].name
        for i in range(1, steps + 1 + self.settle_max):
            if i <= steps:
                s = prof(min(i * step, total))
                qt = [a + b * s for a, b in zip(q0l, dl)]
            else:
                qt = q1l
            speed, lag = self._step(qt, target)
            if i <= steps and lag > tracking:
                tracking = lag
            # from the profile's last step on, qt is the target (q1)
            if i >= steps and speed < settings.SETTLE_SPEED and lag < settings.SETTLE_POSITION:
                settle_steps = i - steps
                break
        else:
            settle_steps = self.settle_max
            self.report.warnings.append(f"move to {name} did not settle within {settings.SETTLE_MAX} s")
        duration = (steps + settle_steps) * step
        return MoveReport(target, name, round(duration, 6), round(total, 6), [round(float(x), 6) for x in d],
                          round(settle_steps * step, 6), round(tracking, 6))

    def _step(self, qt: list[float], target: int) -> tuple[float, float]:
        """One physics step towards `qt`; returns the fastest joint speed and the largest lag."""
        body, client = self.body, self.client
        client.position_control(body.id, body.arm_joints, qt, body.forces, **self.gains)
        client.step()
        self.t += settings.TIME_STEP
        speed = lag = 0.0
        peak = self.peak
        for k, state in enumerate(client.joint_states(body.id, body.arm_joints)):
            v, e = abs(state[1]), abs(state[0] - qt[k])
            if v > peak[k]:
                peak[k] = v
            if v > speed:
                speed = v
            if e > lag:
                lag = e
        tcp = body.tcp_position()
        self.path += math.dist(tcp, self.prev_tcp)
        self.prev_tcp = tcp
        if self.trace is not None:
            self.trace.append(tuple(tcp))
        self._record_contacts(target)
        return speed, lag

    def _act(self, action: str) -> None:
        """The gripper at a waypoint: grip picks the part up, release puts it down."""
        task, report = self.task, self.report
        if action == "grip" and self.part is None:
            self.t += task.gripper_close
            report.gripper_time += task.gripper_close
            self.part = self._attach_part()
        elif action == "release":
            self.t += task.gripper_open
            report.gripper_time += task.gripper_open
            if self.part is not None:
                self.client.remove_body(self.part)
                self.part = None

    def _attach_part(self) -> int | None:
        """The payload as a cube welded to the tool (none when the task carries nothing)."""
        from twin.physics.client import invert, multiply

        if self.task.payload <= 0:
            return None
        body, client = self.body, self.client
        pos, orn = body.tcp_pose()
        pid = client.box([settings.PART_SIZE / 2] * 3, pos, orn, mass=self.task.payload)
        # constraint frames are relative to the link's centre of mass, not its frame
        inertial = client.inertial_frame(body.id, body.tcp)
        frame_pos, frame_orn = multiply(*invert(*inertial), *body.tool_frame())
        client.weld(body.id, body.tcp, pid, frame_pos, frame_orn, max_force=1e5)
        for link in self.grip_links:
            client.ignore_pair(body.id, pid, link, -1)
        return pid

    def _record_contacts(self, target: int) -> None:
        # every contact in the world involves the robot or the part: fixtures and the floor are
        # static and static pairs are never tested, so one query per step finds them all
        body, part = self.body, self.part
        for c in self.client.contacts():
            depth, force = -c[8], c[9]
            if depth < settings.COLLISION_DEPTH and force < settings.COLLISION_FORCE:
                continue
            a, b, la, lb = c[1], c[2], c[3], c[4]
            if a not in (body.id, part):
                a, b, la, lb = b, a, lb, la
            if a == part and b == body.id:
                a, b, la, lb = b, a, lb, la  # reported from the robot's side
            name = "payload" if a == part else body.link_name(la)
            if b == body.id:
                other, kind = body.link_name(lb), "self"
            elif b == part:
                other, kind = "payload", "self"
            else:
                other, kind = self.world.names.get(b, (f"body {b}", "other"))
            key = (name, other)
            if key not in self.seen:
                self.seen[key] = Collision(name, other, kind, round(self.t, 4), target, round(depth * 1000, 2),
                                           round(force, 2))


# --- cells and layouts ---------------------------------------------------------------------------


def _cell_and_robot(station: Station, layout_dir: Path | str | None) -> tuple[RobotCell, Robot]:
    """The station's cell with every waypoint in the cell frame (waypoints tied to fixtures
    move with them), and its robot."""
    if station.cell is None:
        raise LayoutError(Problem(f"station {station.id}", "has no robot cell to simulate"))
    cell = absolute_cell(station.cell)
    return cell, resolve_robot(cell.robot, layout_dir, path="cell.robot")


def simulate_cell(station: Station, layout_dir: Path | str | None, physics: Physics) -> CellReport:
    """Simulate every task of a robot-cell station (cell frame; its floor place does not matter),
    reading and writing `physics`'s report cache. Raises `LayoutError` when the station has no
    cell, a waypoint names a fixture the cell lacks, or its robot cannot be resolved."""
    cell, robot = _cell_and_robot(station, layout_dir)
    cache = physics.cache
    keys = [task_key(cell, task, robot) for task in cell.tasks]
    reports: list[TaskReport | None] = [cache.read(key) if cache else None for key in keys]
    if any(r is None for r in reports):
        with physics.lock:
            world = physics.worlds.world_for(cell, robot)
            for i, task in enumerate(cell.tasks):
                if reports[i] is None:
                    reports[i] = simulate_task(world, task)
                    if cache:
                        cache.write(keys[i], reports[i])
    return CellReport(station.id, robot.name, [r for r in reports if r is not None], fit_problems(station),
                      list(robot.warnings))


def tool_paths(station: Station, layout_dir: Path | str | None, physics: Physics) -> dict[str, list[tuple[float, ...]]]:
    """Per task id, where the tool centre point went in one simulated cycle (cell frame, one
    point per physics step): the real path of the joint-space moves, not straight lines
    between waypoints. Simulated afresh (reports are cached, paths are not); a task with an
    unreachable waypoint has no path."""
    cell, robot = _cell_and_robot(station, layout_dir)
    paths: dict[str, list[tuple[float, ...]]] = {}
    with physics.lock:
        world = physics.worlds.world_for(cell, robot)
        for task in cell.tasks:
            paths[task.id] = []
            simulate_task(world, task, paths[task.id])
    return paths


def robot_cells(layout: Layout) -> Iterator[tuple[int, Station]]:
    """(index, station) of every robot-cell station that has a cell."""
    for i, station in enumerate(layout.stations):
        if station.kind == "robot_cell" and station.cell is not None:
            yield i, station


def simulate_layout(layout: Layout, layout_dir: Path | str | None, physics: Physics,
                    clock: CommandClock | None = None) -> tuple[dict[str, CellReport], list[Problem]]:
    """Reports for every robot cell, and every problem with its layout field path. A `clock`
    is stepped after each cell (and may stop the loop at its time limit)."""
    reports, problems = {}, []
    cells = list(robot_cells(layout))
    clock = clock or CommandClock()
    clock.stage("measuring robot cells in physics", total=len(cells))
    for i, station in cells:
        try:
            rep = simulate_cell(station, layout_dir, physics)
        except LayoutError as exc:
            problems += [Problem(f"stations[{i}].{p.path}" if p.path else f"stations[{i}]", p.message) for p in exc.problems]
            continue
        finally:
            clock.step(f"stations[{i}] '{station.id}'")
        reports[station.id] = rep
        problems += rep.layout_problems(f"stations[{i}]", station.cell)
    return reports, problems


def task_times(layout: Layout, layout_dir: Path | str | None, physics: Physics,
               clock: CommandClock | None = None) -> dict[tuple[str, str], float]:
    """Per-unit cycle seconds for every (robot_cell station id, task id), from physics.
    Raises `LayoutError` with one `Problem` per bad task (unreachable, colliding, overloaded);
    `clock` as for `simulate_layout`."""
    reports, problems = simulate_layout(layout, layout_dir, physics, clock)
    if problems:
        raise LayoutError(problems)
    out = {}
    for sid, rep in reports.items():
        for t in rep.tasks:
            assert t.cycle_time is not None
            out[(sid, t.task_id)] = t.cycle_time
    return out
