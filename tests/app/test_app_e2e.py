"""The planner in a real headless Chromium: open the app (the sample factory's plan and
summary tiles first, then the 3D scene; the times since the page was opened are printed and
kept in artifacts/app/first_view.json), load a sample, edit a station, see the validation
error for a bad value and fix it, reload the browser and find the edit still there, drag a
station in the plan view, click one and turn it with R, measure a distance, round-trip the
Excel workbook and import a DXF drawing, run the twin's replications and see the playback,
run a small search, see the 3D canvas of two designs side by side, and download a schedule
JSON that validates against the schema. A screenshot of each page is kept in artifacts/app/; with
FACTORY_TWIN_README_IMAGES=1 they are also copied to docs/images/ for the README."""
from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

# Playwright's assertions wait 5 s by default; a busy 2-core machine needs longer for a
# Streamlit rerun, and a longer wait costs nothing when the page is quick.
expect.set_options(timeout=30_000)

from twin.floorplan import floor_plan

from factory_app.compute import validate_schedule_doc

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "app"
README_IMAGES = REPO / "docs" / "images"
SAMPLE = "electronics_assembly"


def _shot(page, name: str) -> None:
    """The whole page: Streamlit scrolls inside its main block, so the window is made as
    tall as the content for the picture, then put back."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size
    height = page.evaluate("() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
                           " return m ? m.scrollHeight : document.body.scrollHeight; }")
    page.set_viewport_size({"width": size["width"], "height": int(min(max(size["height"], height + 40), 3000))})
    if page.locator("iframe#stpyvistaframe").count():
        page.wait_for_timeout(1200)  # let vtk.js redraw at the new size
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
    if os.environ.get("FACTORY_TWIN_README_IMAGES") == "1":  # a test run leaves the checkout clean
        README_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, README_IMAGES / f"app_{name}.png")


def _go(page, name: str) -> None:
    page.get_by_test_id("stSidebar").get_by_text(name, exact=True).click()
    page.get_by_role("heading", name=name if name != "Cells" else "Robot cells").first.wait_for()
    _idle(page)


def _idle(page, timeout: float = 120_000) -> None:
    """Wait until Streamlit has finished running the script (and stale elements are gone)."""
    page.wait_for_timeout(400)
    page.wait_for_function(
        "() => { const app = document.querySelector('[data-testid=\"stApp\"]');"
        " return app && app.getAttribute('data-test-script-state') !== 'running'; }",
        timeout=timeout)
    page.wait_for_timeout(200)


def _pick(page, label: str, option: str) -> None:
    box = page.get_by_test_id("stSelectbox").filter(has_text=label).first
    box.click()
    page.get_by_role("listbox").first.wait_for()
    page.get_by_role("option", name=option).first.click()
    _idle(page)


def _set_number(page, label: str, value: str, submit: bool = True) -> None:
    """Type into a number field; Enter sends it (outside a form), Tab only leaves it."""
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    field.press("Enter" if submit else "Tab")
    _idle(page)


def _no_errors(page, where: str) -> None:
    """No error message (the app turns a page's crash into one) and no traceback on the page."""
    errors = page.get_by_test_id("stAlertContentError")
    assert errors.count() == 0, f"{where} shows errors: {errors.all_inner_texts()}"
    assert page.get_by_test_id("stException").count() == 0, f"{where} shows a traceback"


def _canvases(page, count: int, timeout: float = 120_000) -> None:
    """Wait for `count` vtk.js canvases inside stpyvista's frames."""
    for n in range(count):
        page.frame_locator("iframe#stpyvistaframe").nth(n).locator("canvas").first.wait_for(timeout=timeout)


def _saved_layout(work: Path):
    from twin.io import layout_from_data

    data = json.loads((work / "workspaces" / SAMPLE / "workspace.json").read_text())
    return layout_from_data(data["snapshot"]["layout"])


def _saved_station(work: Path, station_id: str, before, wait: float = 60):
    """The station in the project's workspace on disk, once the app saved a change to it."""
    deadline = time.monotonic() + wait
    while True:
        station = _saved_layout(work).station(station_id)
        if station != before or time.monotonic() > deadline:
            return station
        time.sleep(0.5)


def _movable(layout):
    return [s for s in layout.stations if not s.fixed and s.position is not None]


def _free_moves(layout):
    """Drags one or two metres away, station by station."""
    for station in _movable(layout):
        for dx, dy in ((0, -1), (0, 1), (1, 0), (-1, 0), (0, -2), (0, 2), (2, 0), (-2, 0)):
            yield station, {"op": "move", "items": [f"station:{station.id}"], "dx": dx, "dy": dy}


def _turns(layout):
    for station in _movable(layout):
        yield station, {"op": "rotate", "items": [f"station:{station.id}"]}


def _px_per_metre(page) -> float:
    """The plan view's scale at its current zoom."""
    return float(page.get_by_test_id("plan-canvas").get_attribute("data-px-per-m"))


def _accepted(work: Path, physics, events):
    """The first (key, event, layout after it) of `events(layout)` (key, event) pairs that
    the layout check accepts on the saved layout (a zone that would close the only aisle
    between rows is refused by the check itself)."""
    from factory_app.editing import EditSession
    from factory_app.plan_canvas import apply_event

    layout = _saved_layout(work)
    for key, event in events(layout):
        session = EditSession.open(layout, "probe", physics, REPO / "layouts")
        if apply_event(session, event)[0]:
            return key, event, session.layout
    raise AssertionError("no gesture the check accepts")


def _upload(page, label: str, path: Path) -> None:
    """Put a file into the upload box whose label starts with `label`."""
    box = page.get_by_test_id("stFileUploader").filter(has_text=label).first
    box.locator("input[type=file]").set_input_files(str(path))


def _with_capacity(workbook: Path, station_id: str, capacity: int, out: Path) -> Path:
    """The exported workbook with one station's capacity changed, as a planner would in Excel."""
    from openpyxl import load_workbook

    book = load_workbook(workbook)
    sheet = book["stations"]
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("id")].value == station_id:
            row[header.index("capacity")].value = capacity
    book.save(out)
    return out


def _column_drawing(x0: float, y0: float, out: Path) -> Path:
    """A hall drawing in metres: a 0.3 m hazard square in the hall's corner (the drawing's
    lower-left corner goes to the floor's origin) and a 2 x 2 m column at (x0, y0), both closed
    polylines, on layers HAZARD and COLUMNS."""
    import ezdxf

    doc = ezdxf.new()
    doc.header["$INSUNITS"] = 6  # metres
    for layer, (x, y, size) in (("HAZARD", (0.0, 0.0, 0.3)), ("COLUMNS", (x0, y0, 2.0))):
        doc.layers.add(layer)
        doc.modelspace().add_lwpolyline([(x, y), (x + size, y), (x + size, y + size), (x, y + size)], close=True,
                                        dxfattribs={"layer": layer})
    doc.saveas(out)
    return out


def _zone_events(layout):
    """2 x 2 m columns on the grid, away from the floor's edges, clear of every station and zone."""
    from twin.geometry import Rect, station_rect, zone_rect

    taken = [station_rect(s).inflate(0.5) for s in layout.stations if s.position is not None]
    taken += [zone_rect(z).inflate(0.5) for z in layout.floor.keep_out]
    for x in range(2, int(layout.floor.width) - 3):
        for y in range(2, int(layout.floor.depth) - 3):
            if not any(Rect(x, y, x + 2, y + 2).overlaps(r) for r in taken):
                yield (x, y), {"op": "add_zone", "kind": "column", "x0": x, "y0": y, "x1": x + 2, "y1": y + 2}


def _conveyor_events(layout):
    placed = [s.id for s in layout.stations if s.position is not None]
    for a, b in itertools.permutations(placed, 2):
        yield (a, b), {"op": "add_conveyor", "from": f"station:{a}", "to": f"station:{b}"}


def _plan_to_px(page, layout):
    """Where a floor point is on the screen when the plan is fitted: the drawing centres the
    floor plan's bounds (docks' aprons included) at the plan view's scale."""
    box = page.get_by_test_id("plan-canvas").bounding_box()
    scale, bounds = _px_per_metre(page), floor_plan(layout).bounds
    cx, cy = (bounds.xmin + bounds.xmax) / 2, (bounds.ymin + bounds.ymax) / 2
    return lambda x, y: (box["x"] + box["width"] / 2 + (x - cx) * scale, box["y"] + box["height"] / 2 - (y - cy) * scale)


def _labels_readable(page, selected: str) -> None:
    """Every label shown is at least 10 px high and clear of the others; the selected
    station's label is among them."""
    labels = page.locator("[data-label]").evaluate_all(
        "els => els.map(e => { const b = e.getBBox(); return [e.getAttribute('data-label'),"
        " +e.getAttribute('font-size'), b.x, b.y, b.x + b.width, b.y + b.height]; })")
    assert f"station:{selected}" in [label[0] for label in labels]
    assert all(label[1] >= 10 for label in labels)
    for a, b in itertools.combinations(labels, 2):
        overlap_x = min(a[4], b[4]) - max(a[2], b[2])
        overlap_y = min(a[5], b[5]) - max(a[3], b[3])
        assert overlap_x <= 1 or overlap_y <= 1, f"labels {a[0]} and {b[0]} overlap"


def _record_first_view(times: dict[str, float]) -> None:
    """Print the first view's times (seconds since the page was opened) with the load
    average, and keep them in artifacts/app/first_view.json: a measurement for the README,
    not an assertion (a busy machine is slower)."""
    load = os.getloadavg()
    record = {"seconds": {k: round(v, 2) for k, v in times.items()}, "load_average": [round(x, 2) for x in load]}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "first_view.json").write_text(json.dumps(record, indent=1) + "\n")
    print("first view: " + ", ".join(f"{k} after {v:.1f} s" for k, v in times.items())
          + f" (load average {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f})")


def _settle(page) -> None:
    """A gesture in the plan reaches the app a moment after the mouse is released."""
    page.wait_for_timeout(1500)
    _idle(page)


@pytest.mark.timeout(600)
def test_planner_in_chromium(chromium, chromium_args, app_server, physics):
    from playwright.sync_api import sync_playwright

    url, work = app_server
    started = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=chromium_args)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
            page.set_default_timeout(60_000)
            opened = time.monotonic()
            page.goto(url)

            # first view: the sample's plan and its summary tiles; then the checks the first view
            # left for later, and the 3D scene it started in the background
            page.get_by_test_id("plan-canvas").wait_for(timeout=60_000)
            times = {"plan view": time.monotonic() - opened}
            page.get_by_test_id("stMetric").filter(has_text="Demand (units)").first.wait_for(timeout=60_000)
            times["summary tiles"] = time.monotonic() - opened
            expect(page.get_by_text("Layout is valid.")).to_be_visible(timeout=60_000)
            times["checks done"] = time.monotonic() - opened
            _no_errors(page, "Layout (first view)")
            _shot(page, "first_view")
            _go(page, "3D")
            expect(page.get_by_text("Coloured by station kind")).to_be_visible(timeout=120_000)
            _canvases(page, 1)
            times["3D scene (the 3D page opened after the first view)"] = time.monotonic() - opened
            _record_first_view(times)
            _no_errors(page, "3D (after the first view)")

            # Layout: open a sample, make a bad edit, see the error at the field, fix it
            _go(page, "Layout")
            _pick(page, "Sample factory", SAMPLE)
            page.get_by_role("button", name="Open sample").click()
            _idle(page)
            expect(page.get_by_text("Layout is valid.")).to_be_visible()
            x_field = page.get_by_label("x (m)", exact=True)
            original = x_field.input_value()
            _set_number(page, "x (m)", "999")
            expect(page.get_by_text("This edit was not applied")).to_be_visible()
            expect(page.get_by_test_id("stAlertContentError").filter(has_text="reaches outside the floor").first).to_be_visible()
            _shot(page, "layout_error")
            _set_number(page, "x (m)", original)
            expect(page.get_by_text("Layout is valid.")).to_be_visible()
            expect(page.get_by_text("This edit was not applied")).to_have_count(0)
            _shot(page, "layout")
            _no_errors(page, "Layout")

            # nothing lost: an edit survives a browser reload (the project's workspace on disk)
            _set_number(page, "capacity", "2")
            expect(page.get_by_role("button", name="↶ Undo")).to_be_enabled()
            page.reload()
            page.get_by_test_id("plan-canvas").wait_for(timeout=60_000)
            _idle(page)
            _go(page, "Layout")
            expect(page.get_by_label("capacity", exact=True)).to_have_value("2")
            expect(page.get_by_role("button", name="↶ Undo")).to_be_enabled()  # the undo history came back too

            # drag a station in the plan view to a free place: the move is saved
            station, move, after = _accepted(work, physics, _free_moves)
            scale = _px_per_metre(page)
            box = page.locator(f'[data-station="{station.id}"] rect').first.bounding_box()
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            page.mouse.move(x, y)
            page.mouse.down()
            for step in range(1, 6):
                page.mouse.move(x + move["dx"] * scale * step / 5, y - move["dy"] * scale * step / 5)
            page.mouse.up()
            expect(page.get_by_text(f"Moved station '{station.id}'")).to_be_visible()
            _idle(page)
            assert _saved_station(work, station.id, station).position == pytest.approx(after.station(station.id).position)

            # click a station: the editor beside the plan shows it; R turns it 90 degrees, saved
            station, _, _ = _accepted(work, physics, _turns)
            page.locator(f'[data-station="{station.id}"] rect').first.click()
            _settle(page)
            expect(page.get_by_label("id", exact=True)).to_have_value(station.id)
            page.keyboard.press("r")
            turned = (station.rotation + 90) % 360
            expect(page.get_by_text(f"Turned '{station.id}' to {turned}°.")).to_be_visible()
            _idle(page)
            assert _saved_station(work, station.id, station).rotation == turned
            _labels_readable(page, station.id)
            page.get_by_test_id("plan-zoom-in").click()
            page.get_by_test_id("plan-zoom-in").click()
            _labels_readable(page, station.id)
            page.get_by_test_id("plan-fit").click()

            # measure: two clicks 5 m apart read 5.00 m
            page.get_by_test_id("plan-tool-measure").click()
            box = page.get_by_test_id("plan-canvas").bounding_box()
            x, y = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5
            scale = _px_per_metre(page)  # at Fit the drawing spans the plan's bounds and 0.5 m on each side
            assert box["width"] / scale == pytest.approx(floor_plan(_saved_layout(work)).bounds.width + 1.0, abs=0.01)
            page.mouse.click(x, y)
            page.mouse.click(x + 3 * scale, y - 4 * scale)
            expect(page.get_by_test_id("plan-measure")).to_have_text("5.00 m")
            expect(page.get_by_test_id("plan-status")).to_contain_text("Δx 3.00 m, Δy 4.00 m")
            _shot(page, "plan_view")

            # draw a 2 x 2 m keep-out zone on free floor and a conveyor between two stations: saved
            (x0, y0), _, _ = _accepted(work, physics, _zone_events)
            to_px = _plan_to_px(page, _saved_layout(work))
            page.get_by_test_id("plan-tool-zone").click()
            page.mouse.move(*to_px(x0 + 0.1, y0 + 0.1))
            page.mouse.down()
            page.mouse.move(*to_px(x0 + 1.0, y0 + 1.0))
            page.mouse.move(*to_px(x0 + 1.9, y0 + 1.9))
            page.mouse.up()
            expect(page.get_by_text(re.compile(r"^Added column '"))).to_be_visible()
            _idle(page)
            zone = _saved_layout(work).floor.keep_out[-1]
            assert (zone.kind, zone.x, zone.y, zone.width, zone.depth) == ("column", x0, y0, 2, 2)
            (source, target), _, _ = _accepted(work, physics, _conveyor_events)
            page.get_by_test_id("plan-tool-conveyor").click()
            page.locator(f'[data-station="{source}"] rect').first.click()
            page.locator(f'[data-station="{target}"] rect').first.click()
            expect(page.get_by_text(f"Added conveyor '{source}_to_{target}'")).to_be_visible()
            _idle(page)
            conveyor = _saved_layout(work).transport.conveyors[-1]
            assert (conveyor.from_station, conveyor.to_station) == (source, target)
            page.get_by_test_id("plan-tool-select").click()

            # spreadsheets and drawings: the Excel workbook out, a capacity changed in it, back in;
            # a hall drawing's column (DXF) in as a keep-out zone; each saved
            page.get_by_text("Spreadsheets and drawings (Excel, CSV, DXF)").click()
            with page.expect_download() as info:
                page.get_by_role("button", name="Excel workbook").click()
            station = _movable(_saved_layout(work))[0]
            info.value.save_as(work / "exported.xlsx")
            workbook = _with_capacity(work / "exported.xlsx", station.id, station.capacity + 1, work / "edited.xlsx")
            _upload(page, "Excel workbook (sheets", workbook)
            expect(page.get_by_text(re.compile(r"^Imported stations \("))).to_be_visible()
            _idle(page)
            assert _saved_station(work, station.id, station).capacity == station.capacity + 1
            (x0, y0), _, _ = _accepted(work, physics, _zone_events)
            _upload(page, "DXF drawing", _column_drawing(x0, y0, work / "hall.dxf"))
            expect(page.get_by_text(re.compile(r"^Imported 2 keep-out zones from hall.dxf"))).to_be_visible()
            _idle(page)
            zones = {z.kind: z for z in _saved_layout(work).floor.keep_out if z.id.startswith("dxf_")}
            assert (zones["column"].x, zones["column"].y, zones["column"].width) == pytest.approx((x0, y0, 2.0))
            assert (zones["hazard"].x, zones["hazard"].y, zones["hazard"].width) == pytest.approx((0.0, 0.0, 0.3))
            _no_errors(page, "Layout (spreadsheets and drawings)")

            # observed times: an operation's empirical samples typed on the Routings tab, saved
            page.get_by_role("tab", name="Routings").click()
            page.get_by_text("Observed times of an operation (empirical shape)").click()
            page.get_by_role("textbox", name="Observed times (commas, spaces or new lines between them)").fill("41, 44.5\n39")
            page.get_by_role("button", name="Use these times").click()
            _idle(page)
            deadline = time.monotonic() + 60
            while _saved_layout(work).products[0].routing[0].variability.samples != (41.0, 44.5, 39.0):
                assert time.monotonic() < deadline, "the observed times were not saved"
                time.sleep(0.5)
            _no_errors(page, "Layout (observed times)")

            # Twin: replications in the background, KPIs with intervals and the playback
            _go(page, "Twin")
            _set_number(page, "Replications", "2", submit=False)
            page.get_by_role("button", name="Run the twin").click()
            expect(page.get_by_text("Throughput (units/h)")).to_be_visible(timeout=240_000)
            _idle(page)
            expect(page.get_by_text("Playback of replication 1")).to_be_visible()
            expect(page.get_by_text(re.compile(r"^95 % CI "))).to_have_count(5)  # every tile has its interval
            _shot(page, "twin")
            _no_errors(page, "Twin")

            # Optimise: a small search with a live progress bar, then the results
            _go(page, "Optimise")
            _set_number(page, "Candidates", "40", submit=False)
            _set_number(page, "Short list (scheduled)", "2", submit=False)
            # the least budget the page takes (0.1 CP-SAT units for the sample's 180 operations)
            # still gives each design its own CP-SAT plan
            _set_number(page, "Seconds per schedule", "0.2", submit=False)
            page.get_by_role("button", name="Run search").click()
            finished = page.get_by_role("heading", name=re.compile(r"^Run \S+-\d{8}-\d{6}"))
            # the live progress bar, unless the search is already done when the page is looked at
            expect(page.get_by_test_id("stProgress").or_(finished).first).to_be_visible()
            expect(finished).to_be_visible(timeout=240_000)
            _idle(page)
            expect(page.get_by_text("Leaderboard", exact=True)).to_be_visible()
            assert len(list(Path(work, "runs").glob("*/run.sqlite"))) == 1, "one click, one search"
            expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()
            page.get_by_role("button", name="Show best and as-is in 3D and Schedule").click()
            _idle(page)
            _shot(page, "optimise")
            _no_errors(page, "Optimise")

            # 3D: two designs side by side
            _go(page, "3D")
            page.get_by_text("Two designs side by side").click()
            _idle(page)
            expect(page.get_by_text("the detailed scene is loading")).to_have_count(0, timeout=120_000)
            _canvases(page, 2)
            _shot(page, "3d")
            _no_errors(page, "3D")

            # Schedule: the best design's Gantt chart, KPIs and the JSON download
            _go(page, "Schedule")
            _pick(page, "Design", ": best")
            expect(page.get_by_test_id("stMetric").first).to_be_visible()
            with page.expect_download() as info:
                page.get_by_role("button", name="Download schedule JSON").click()
            doc = json.loads(Path(info.value.path()).read_text())
            assert validate_schedule_doc(doc) == []
            assert doc["layout"] == SAMPLE and doc["operations"]
            _shot(page, "schedule")

            _no_errors(page, "Schedule")

            # Cells: the robot-cell reports (one summary row per cell of the sample) and a cell in 3D
            _go(page, "Cells")
            expect(page.get_by_text("Cell", exact=True).first).to_be_visible(timeout=180_000)
            _idle(page, timeout=180_000)
            summary = page.get_by_test_id("stDataFrame").first.get_by_role("grid", include_hidden=True)
            expect(summary).to_have_attribute("aria-rowcount", "4")  # the header and 3 robot cells
            _canvases(page, 1, timeout=180_000)
            page.wait_for_timeout(1500)
            _shot(page, "cells")
            _no_errors(page, "Cells")
        except BaseException:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    print(f"end-to-end test took {time.monotonic() - started:.1f} s")
    assert list(Path(work, "runs").glob("*/run.sqlite")), "the search wrote no run under the working folder"
