"""Drag a station in the plan view to move it: the data the small front end in
`factory_app/frontend/plan_drag.js` draws (a custom component, Streamlit's components v2),
and what a drop does. A drop is snapped to the floor grid by the front end and applied as
one edit; a drop the layout check refuses (onto another station, off the floor, into a
keep-out zone) is undone at once, so the last valid layout stays, and its reason is given."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from twin.floorplan import floor_plan
from twin.model import Layout
from twin.palette import COLORS, hex_colour

from factory_app import tables
from factory_app.editing import EditSession

FRONTEND = Path(__file__).parent / "frontend" / "plan_drag.js"


def plan_data(layout: Layout, bad: set[str] = frozenset()) -> dict[str, Any]:
    """What the front end draws: the floor, keep-out zones and each placed station's box
    (rotation applied), in metres."""
    plan = floor_plan(layout)
    fixed = {s.id for s in layout.stations if s.fixed}
    return {
        "floor": {"width": layout.floor.width, "depth": layout.floor.depth, "colour": hex_colour(COLORS["floor"])},
        "grid": layout.floor.grid,
        "zones": [{"xmin": z.rect.xmin, "ymin": z.rect.ymin, "xmax": z.rect.xmax, "ymax": z.rect.ymax,
                   "colour": hex_colour(z.colour)} for z in plan.zones],
        "stations": [{"id": s.id, "x": s.centre[0], "y": s.centre[1], "w": s.rect.width, "d": s.rect.depth,
                      "colour": hex_colour(s.colour), "fixed": s.id in fixed, "bad": s.id in bad}
                     for s in plan.stations],
    }


def apply_drop(session: EditSession, drop: dict[str, Any]) -> tuple[bool, str]:
    """Move the dropped station to the drop's place (already on the grid). Returns (moved,
    message); a refused drop leaves the last valid layout and says why."""
    ids = [s.id for s in session.layout.stations]
    station_id = drop.get("id")
    if station_id not in ids:
        return False, f"no station '{station_id}' to move"
    index = ids.index(station_id)
    if session.layout.stations[index].fixed:
        return False, f"station '{station_id}' is fixed: it cannot be moved"
    try:
        x, y = float(drop["x"]), float(drop["y"])
    except (KeyError, TypeError, ValueError):
        return False, "the drop gave no place"
    if session.has_draft:
        session.undo()  # a drop works on the last valid layout
    data = tables.update_station(session.data, index, x=x, y=y)
    if session.edit(data, field=(index, "x")):
        return True, f"Moved '{station_id}' to ({x:g}, {y:g}) m."
    reasons = "; ".join(p.message for p in session.problems) or "the layout check refused it"
    session.undo()
    return False, f"Drop refused ({reasons}): '{station_id}' stays where it was."
