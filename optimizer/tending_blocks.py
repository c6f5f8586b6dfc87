"""Tending robots and their machines as rigid blocks for the placement generators.

A robot cell that tends machines (`RobotCell.tends`) stands beside them; the search keeps
that arrangement exactly as the layout places it. `merged` replaces each such group by one
block station (the robot's rotation, a footprint that is the group's bounding box, the
robot's ports) so every generator in `optimizer.placement` places the block like any other
station; `expanded` turns a placed block back into the robot and its machines, moved and
turned together. Flows to a machine of a group count as flows to its block. A group with a
fixed member is fixed as a whole.

This module shares no geometry with `optimizer.layout_checker`, which checks the tends of
every candidate on its own (`twin.tending`).
"""
from __future__ import annotations

from dataclasses import dataclass

from twin.errors import LayoutError, Problem
from twin.geometry import input_port_local, output_port_local, rotate, rotated_size
from twin.model import Footprint, Layout

__all__ = ["Group", "groups", "merged", "expanded"]


@dataclass(frozen=True)
class Group:
    """A robot and the machines it tends, with each machine's centre offset and rotation
    relative to the robot (in the robot's own frame); `centre` is the block's centre there."""

    robot: str
    members: tuple[tuple[str, tuple[float, float], int], ...]  # (machine id, offset, relative rotation)
    centre: tuple[float, float]
    size: tuple[float, float]
    fixed: bool


def groups(layout: Layout) -> list[Group]:
    """The tending groups of a layout, from where it places them. Raises `LayoutError` when a
    group is not placed (its arrangement is what the search keeps) or a machine is tended
    by two robots."""
    out, problems, claimed = [], [], {}
    ids = {s.id: i for i, s in enumerate(layout.stations)}
    for i, robot in enumerate(layout.stations):
        if robot.kind != "robot_cell" or robot.cell is None or not robot.cell.tends:
            continue
        machines = [layout.stations[ids[t.machine]] for t in robot.cell.tends if t.machine in ids]
        for k, tend in enumerate(robot.cell.tends):
            if tend.machine in claimed and claimed[tend.machine] != robot.id:
                problems.append(Problem(f"stations[{i}].cell.tends[{k}].machine", f"machine '{tend.machine}' is "
                                        f"also tended by '{claimed[tend.machine]}': the search cannot keep it beside both"))
            claimed[tend.machine] = robot.id
        if robot.position is None or any(m.position is None for m in machines):
            problems.append(Problem(f"stations[{i}].position", f"robot cell '{robot.id}' and the machines it tends must "
                                    "be placed: the search keeps them together as placed"))
            continue
        boxes = [(-robot.footprint.width / 2, robot.footprint.width / 2,
                  -robot.footprint.depth / 2, robot.footprint.depth / 2)]
        members = []
        for m in machines:
            offset = rotate((m.position[0] - robot.position[0], m.position[1] - robot.position[1]), -robot.rotation % 360)
            turn = (m.rotation - robot.rotation) % 360
            w, d = rotated_size(m, turn)
            boxes.append((offset[0] - w / 2, offset[0] + w / 2, offset[1] - d / 2, offset[1] + d / 2))
            members.append((m.id, (round(offset[0], 9), round(offset[1], 9)), turn))
        x0, x1 = min(b[0] for b in boxes), max(b[1] for b in boxes)
        y0, y1 = min(b[2] for b in boxes), max(b[3] for b in boxes)
        fixed = robot.fixed or any(m.fixed for m in machines)
        out.append(Group(robot.id, tuple(members), (round((x0 + x1) / 2, 9), round((y0 + y1) / 2, 9)),
                         (round(x1 - x0, 9), round(y1 - y0, 9)), fixed))
    if problems:
        raise LayoutError(problems)
    return out


_TEMPLATES: dict[tuple, tuple] = {}


def _template(layout: Layout, found: list[Group]) -> tuple:
    """The parts of a merged layout that do not depend on where blocks stand, cached so the
    generators' site cache (keyed on object identities) recognises every merged layout of
    one search."""
    # `Layout.with_placements` copies the transport, so key on its belts, not its identity
    belts = tuple((c.from_station, c.to_station, c.speed) for c in layout.transport.conveyors)
    key = (id(layout.products), id(layout.floor), belts, layout.transport.agv, tuple(found))
    if key in _TEMPLATES:
        return _TEMPLATES[key]
    leader = {m: g.robot for g in found for m, _, _ in g.members}

    def rename(sid: str) -> str:
        return leader.get(sid, sid)

    products = tuple(
        p.model_copy(update={"routing": tuple(
            op.model_copy(update={"stations": tuple(dict.fromkeys(rename(s) for s in op.stations))})
            if op.stations is not None else op for op in p.routing)})
        for p in layout.products)
    conveyors = tuple(c.model_copy(update={"from_station": rename(c.from_station), "to_station": rename(c.to_station),
                                           "route": ()})
                      for c in layout.transport.conveyors if rename(c.from_station) != rename(c.to_station))
    transport = layout.transport.model_copy(update={"conveyors": conveyors})
    blocks = {}
    for g in found:
        robot = layout.station(g.robot)
        cx, cy = g.centre
        ports = [input_port_local(robot), output_port_local(robot)]
        blocks[g.robot] = {"footprint": Footprint(width=g.size[0], depth=g.size[1]), "fixed": g.fixed,
                           "input_port": (ports[0][0] - cx, ports[0][1] - cy),
                           "output_port": (ports[1][0] - cx, ports[1][1] - cy)}
    if len(_TEMPLATES) >= 16:
        _TEMPLATES.pop(next(iter(_TEMPLATES)))
    # the originals ride along so their ids, in the key, stay theirs while the entry lives
    _TEMPLATES[key] = (products, transport, blocks, frozenset(leader), (layout.products, layout.floor))
    return _TEMPLATES[key]


def merged(layout: Layout) -> tuple[Layout, list[Group]]:
    """The layout with each tending group as one block station (the layout itself when it
    has no groups)."""
    found = groups(layout)
    if not found:
        return layout, found
    products, transport, blocks, members, _ = _template(layout, found)
    stations = []
    for s in layout.stations:
        if s.id in members:
            continue
        if s.id in blocks:
            g = next(g for g in found if g.robot == s.id)
            dx, dy = rotate(g.centre, s.rotation)
            s = s.model_copy(update={**blocks[s.id], "position": (s.position[0] + dx, s.position[1] + dy)})
        stations.append(s)
    return layout.model_copy(update={"stations": tuple(stations), "products": products, "transport": transport}), found


def expanded(layout: Layout, found: list[Group], candidate: Layout) -> Layout:
    """`layout` with the placements of a candidate of its merged layout: blocks become their
    robot and machines again, moved and turned together."""
    if not found:
        return candidate
    places: dict[str, tuple[tuple[float, float], int]] = {}
    blocks = {g.robot: g for g in found}
    for s in candidate.stations:
        if s.position is None:
            continue
        g = blocks.get(s.id)
        if g is None:
            places[s.id] = (s.position, s.rotation)
            continue
        dx, dy = rotate(g.centre, s.rotation)
        rx, ry = s.position[0] - dx, s.position[1] - dy
        places[s.id] = ((round(rx, 6), round(ry, 6)), s.rotation)
        for machine, offset, turn in g.members:
            ox, oy = rotate(offset, s.rotation)
            places[machine] = ((round(rx + ox, 6), round(ry + oy, 6)), (s.rotation + turn) % 360)
    return layout.with_placements(places)

