"""Streamlit glue shared by the pages: the session's AppState, cached computations, error
messages instead of tracebacks, and the interactive 3D view."""
from __future__ import annotations

import json
import threading
import traceback
from collections import OrderedDict
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import streamlit as st

from twin.errors import FactoryTwinError, LayoutError
from twin.io import parse_layout
from twin.physics import Physics

from factory_app.compute import layout_key
from factory_app.state import AppState, Design

STATE_KEY = "factory_twin"


@st.cache_resource(show_spinner=False)
def app_physics() -> Physics:
    """The app's physics context: one per server process, shared by every session (its
    simulations take turns on its lock)."""
    return Physics()


def app_state() -> AppState:
    if STATE_KEY not in st.session_state:
        st.session_state[STATE_KEY] = AppState(app_physics())
    return st.session_state[STATE_KEY]


OPEN_A_LAYOUT = "Open a layout on the Layout page first."


def pick_design(designs: dict[str, Design], label: str, key: str, default: int = 0) -> Design | None:
    """A select box over `designs` (`AppState.all_designs()`, read once per rerun); None, with
    a hint, when there is none."""
    if not designs:
        st.info(OPEN_A_LAYOUT)
        return None
    names = list(designs)
    name = st.selectbox(label, names, index=min(default, len(names) - 1), key=key)
    return designs[name]


def job_progress(job: Any, stop_label: str, key: str) -> Any:
    """A background job's progress bar and Stop button while it runs; its current view
    (`factory_app.jobs.JobView`), for the page to show how it ended."""
    view = job.view()
    if not view.done:
        st.progress(view.fraction, text=view.text)
        if st.button(stop_label, key=key):
            job.stop()
    return view


def show_error(exc: BaseException, what: str = "") -> None:
    """An error as a message: a layout error lists its problems, anything else one line."""
    head = f"{what}: " if what else ""
    if isinstance(exc, LayoutError):
        lines = [str(p) for p in exc.problems]
        source = f" ({exc.source})" if exc.source else ""
        st.error(head + (lines[0] + source if len(lines) == 1 else f"{len(lines)} problems{source}:\n\n- " + "\n- ".join(lines)))
    elif isinstance(exc, FactoryTwinError):
        st.error(head + str(exc))
    else:
        st.error(f"{head}{type(exc).__name__}: {exc}")
        with st.expander("details for a bug report"):
            st.code("".join(traceback.format_exception_only(type(exc), exc)))


@contextmanager
def reported(what: str = "") -> Iterator[None]:
    """Run a block; any exception becomes a message on the page, never a traceback."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - every error is shown; st.rerun/st.stop are BaseExceptions
        show_error(exc, what)


# --- cached computations (by value, shared across sessions) ----------------------------------


@st.cache_data(show_spinner=False, max_entries=64)
def cached_schedule(layout_text: str, layout_dir: str | None, time_limit: float, objective: str) -> tuple[dict, list[str]]:
    from factory_app.compute import schedule_layout

    result = schedule_layout(layout_text, layout_dir, app_physics(), time_limit=time_limit, objective=objective)
    return result.doc, result.check


@st.cache_data(show_spinner=False, max_entries=32)
def cached_cell_reports(layout_text: str, layout_dir: str | None) -> list:
    from factory_app.compute import cell_reports

    return cell_reports(layout_text, layout_dir, app_physics())


def run_stamp(db: Path) -> tuple[int, int, int, int]:
    """When a run database last changed: mtime and size of `run.sqlite` and of its WAL file
    (in WAL mode the commits land in the WAL first, so the main file alone can look unchanged)."""
    out: list[int] = []
    for path in (db, db.with_name(db.name + "-wal")):
        try:
            info = path.stat()
            out += [info.st_mtime_ns, info.st_size]
        except OSError:
            out += [0, 0]
    return tuple(out)  # type: ignore[return-value]


def cached_run(run_dir: Path):
    """`optimizer.search.results.load_run`, read again only when the run's database changed."""
    from optimizer.store import DB_NAME

    return _load_run(str(run_dir), run_stamp(Path(run_dir) / DB_NAME))


def cached_run_list(root: Path) -> list:
    """`optimizer.search.results.list_runs`, read again only when a run database under `root` changed
    (or one was added or removed)."""
    from optimizer.store import DB_NAME

    stamps = tuple((str(db), run_stamp(db)) for db in sorted(root.glob(f"*/{DB_NAME}"))) if root.is_dir() else ()
    return _list_runs(str(root), stamps)


def cached_screened(run_dir: Path) -> list:
    """`factory_app.leaderboard.screened_candidates`, read again only when the run's database changed."""
    from optimizer.store import DB_NAME

    return _screened(str(run_dir), run_stamp(Path(run_dir) / DB_NAME))


@st.cache_data(show_spinner=False, max_entries=8)
def _screened(run_dir: str, stamp: tuple) -> list:  # stamp: part of the cache key only
    from factory_app.leaderboard import screened_candidates

    return screened_candidates(run_dir)


@st.cache_data(show_spinner=False, max_entries=16)
def _load_run(run_dir: str, stamp: tuple) -> Any:  # stamp: part of the cache key only
    from optimizer.search.results import load_run

    return load_run(run_dir)


@st.cache_data(show_spinner=False, max_entries=8)
def _list_runs(root: str, stamps: tuple) -> list:  # stamps: part of the cache key only
    from optimizer.search.results import list_runs

    return list_runs(root)


@st.cache_resource(show_spinner=False, max_entries=8)
def cached_layout_plotter(layout_text: str, layout_dir: str | None, doc_text: str | None):
    from factory_app.scene3d import layout_plotter

    layout = parse_layout(layout_text, "<app>", fmt="json")
    doc = json.loads(doc_text) if doc_text else None
    return layout_plotter(layout, app_physics(), Path(layout_dir) if layout_dir else None, doc)


@st.cache_resource(show_spinner=False, max_entries=8)
def cached_cell_plotter(layout_text: str, layout_dir: str | None, station_id: str):
    from factory_app.scene3d import cell_plotter

    layout = parse_layout(layout_text, "<app>", fmt="json")
    return cell_plotter(layout.station(station_id), Path(layout_dir) if layout_dir else None, app_physics())


@st.cache_data(show_spinner=False, max_entries=16)
def _png(kind: str, *args: Any) -> bytes:
    from factory_app.scene3d import png_bytes

    plotter = cached_layout_plotter(*args) if kind == "layout" else cached_cell_plotter(*args)
    return png_bytes(plotter)


_SCENES: "OrderedDict[tuple, Future]" = OrderedDict()  # (kind, args) -> its export in the worker, newest last
_MAX_SCENES = 16
_POOL_LOCK = threading.Lock()
_POOL: Any = None


def scene_future(kind: str, *args: Any) -> Future:
    """The vtk.js page of a scene (layout: (text, dir, doc); cell: (text, dir, station);
    quick: the plain boxes of a layout), exported once per scene in the worker process:
    started now, or the one already started (building and exporting take seconds). Calling it
    does not wait, so the first view can start the 3D scene and go on drawing."""
    key = (kind, args)
    with _POOL_LOCK:
        future = _SCENES.get(key)
        if future is not None and not (future.done() and future.exception() is not None):
            _SCENES.move_to_end(key)
            return future
        from factory_app.scene3d import scene_html

        future = _pool().submit(scene_html, kind, *args)
        _SCENES[key] = future
        while len(_SCENES) > _MAX_SCENES:
            _SCENES.popitem(last=False)
        return future


def prefetch_scene(design: Design) -> None:
    """Start the 3D scene of `design` as the 3D page first shows it (coloured by its schedule
    when it has one) without waiting for it."""
    doc = design.schedule_doc
    scene_future("layout", layout_key(design.layout), str(design.layout_dir) if design.layout_dir else None,
                 json.dumps(doc, sort_keys=True) if doc else None)


def _scene_html(kind: str, *args: Any) -> str:
    """The exported page; a worker process that died is replaced once."""
    from concurrent.futures.process import BrokenProcessPool

    global _POOL
    for attempt in range(2):
        try:
            return scene_future(kind, *args).result(timeout=600)
        except BrokenProcessPool:
            with _POOL_LOCK:
                _POOL = None
                _SCENES.pop((kind, args), None)
            if attempt:
                raise
    raise RuntimeError("unreachable")


def _scene_ready(kind: str, args: tuple) -> bool:
    future = _SCENES.get((kind, args))
    return future is not None and future.done() and future.exception() is None


def _pool() -> Any:
    """One long-lived spawned worker process (call with `_POOL_LOCK` held). trame's exporter
    needs a main thread, and forking the multi-threaded server (what stpyvista does) can hang
    the child; a spawned worker also keeps robot meshes read once."""
    global _POOL
    if _POOL is None:
        import atexit
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from factory_app.scene3d import start_worker

        _POOL = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                    initializer=start_worker)
        atexit.register(_POOL.shutdown, wait=False, cancel_futures=True)
    return _POOL


def _component(html: str, key: str, height: int) -> None:
    import stpyvista as stpv

    stpv._stpv_component(key=key, data={"_html": html, "backend": "trame", "height": height, "width": "stretch",
                                        "use_container_width": True})


def show_3d(kind: str, args: tuple, key: str, height: int = 560) -> None:
    """The interactive view (stpyvista, trame backend: vtk.js in the browser).

    The exported page is kept (`scene_future`), so reruns cost nothing. The first time a
    factory is shown, a plain box model appears within a second or two and is replaced by the
    detailed scene (robots, conveyors, flows) when that is ready; a scene started before (the
    first view starts the open layout's, `prefetch_scene`) is waited for with a spinner. When stpyvista's internals differ from
    what this expects the public `stpyvista()` call is used, and when the component cannot
    run at all a still image is shown with a note."""
    try:
        import stpyvista as stpv

        try:
            quick = st.empty()
            if kind == "layout" and (kind, args) not in _SCENES:  # nothing started yet: plain boxes first
                with quick.container():
                    _component(_scene_html("quick", args[0], None, args[2]), f"{key}_quick", height)
                    st.caption("Quick view — the detailed scene is loading…")
                html = _scene_html(kind, *args)
            elif _scene_ready(kind, args):
                html = _scene_html(kind, *args)
            else:  # started before (the first view starts its layout's scene): wait for it
                with quick.container(), st.spinner("The 3D scene is loading…"):
                    html = _scene_html(kind, *args)
            quick.empty()
            _component(html, key, height)
        except (AttributeError, ImportError, TypeError):
            plotter = cached_layout_plotter(*args) if kind == "layout" else cached_cell_plotter(*args)
            stpv.stpyvista(plotter, backend="trame", key=key)
    except Exception as exc:  # noqa: BLE001 - fall back to a picture, say why
        st.image(_png(kind, *args), width="stretch")
        st.caption(f"Still image: the interactive 3D view is not available here ({type(exc).__name__}: {exc}).")
