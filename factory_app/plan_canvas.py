"""The plan view you work in: what the small front end in `factory_app/frontend/plan_canvas.js`
draws (a custom component, Streamlit's components v2), and how one of its gestures becomes an
edit. Every gesture (a move, a turn, a copy, a delete, a drawn zone, dock or conveyor) is one
edit of the `EditSession`: one the layout check refuses is undone at once, so the last valid
layout stays and the reason is given; Undo takes an accepted one back."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from twin.floorplan import floor_plan
from twin.model import Layout
from twin.palette import COLORS, hex_colour

from factory_app.editing import EditSession
from factory_app.plan_edits import DOCK_KINDS, ZONE_KINDS, PlanEditRefused, plan_edit

FRONTEND = Path(__file__).parent / "frontend" / "plan_canvas.js"
VERBS = {"move": "Move", "place": "Placing", "rotate": "Turn", "duplicate": "Copy", "delete": "Delete", "add_zone": "New keep-out zone",
         "add_dock": "New dock", "add_conveyor": "New conveyor"}


def _rect(r) -> dict[str, float]:
    return {"xmin": r.xmin, "ymin": r.ymin, "xmax": r.xmax, "ymax": r.ymax}


def plan_data(layout: Layout, bad: set[str] = frozenset(), selected: list[str] = ()) -> dict[str, Any]:
    """What the front end draws, in metres: the floor, keep-out zones, docks with their
    aprons, conveyors, each placed station's box (rotation applied) and ports, the stations
    not on the floor yet, and the selection (item keys such as `station:weld`)."""
    plan = floor_plan(layout)
    return {
        "floor": {"width": layout.floor.width, "depth": layout.floor.depth, "colour": hex_colour(COLORS["floor"])},
        "bounds": _rect(plan.bounds),
        "grid": layout.floor.grid,
        "zones": [{"id": z.id, "kind": z.kind, **_rect(z.rect), "colour": hex_colour(z.colour)} for z in plan.zones],
        "docks": [{"id": d.id, "kind": d.kind, "x": d.position[0], "y": d.position[1], "apron": _rect(d.apron),
                   "colour": hex_colour(d.colour)} for d in plan.docks],
        "conveyors": [{"id": c.id, "points": [list(p) for p in c.points], "colour": hex_colour(c.colour)}
                      for c in plan.conveyors],
        "stations": [{"id": s.id, "x": s.centre[0], "y": s.centre[1], "w": s.rect.width, "d": s.rect.depth,
                      "colour": hex_colour(s.colour), "fixed": s.fixed, "bad": s.id in bad,
                      "in": list(s.input_port), "out": list(s.output_port)} for s in plan.stations],
        "zone_kinds": list(ZONE_KINDS),
        "dock_kinds": list(DOCK_KINDS),
        "unplaced": list(plan.unplaced),
        "selected": list(selected),
    }


def apply_event(session: EditSession, event: dict[str, Any]) -> tuple[bool, str]:
    """Apply one gesture of the plan view to the last valid layout. Returns (applied,
    message); a refused gesture leaves the last valid layout and says why."""
    if session.has_draft:
        session.undo()  # a gesture works on the last valid layout
    try:
        data, done = plan_edit(session.layout, event)
    except PlanEditRefused as exc:
        message = str(exc)
        return False, message[:1].upper() + message[1:] + "."
    if session.edit(data):
        return True, done
    reasons = "; ".join(p.message for p in session.problems) or "the layout check refused it"
    session.undo()
    return False, f"{VERBS.get(event.get('op'), 'Edit')} refused ({reasons}): the last valid layout is kept."
