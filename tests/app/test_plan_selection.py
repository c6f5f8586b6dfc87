"""The plan view and the station editor share one selection (Streamlit's AppTest on the Layout
page with tests/app/data/mini.yaml: stations cut, weld, check). AppTest cannot click inside the
custom component, so the component's events are handed to the page's own handler, as the
component would; the Chromium test clicks for real."""
from __future__ import annotations

from factory_app.pages.plan_view import PRIMARY, SELECTION, handle_event
from factory_app.ui import STATE_KEY

from apptest_tools import run as _run, start as _start


class _State(dict):
    """What the handler writes into: AppTest's session state, seen as a mapping."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def __setitem__(self, key, value):
        self.at.session_state[key] = value

    def get(self, key, default=None):
        return self.at.session_state[key] if key in self.at.session_state else default


def _editor_pick(at) -> str:
    session = at.session_state[STATE_KEY].session
    return at.selectbox(key=f"station_pick_{session.revision}").value


def test_a_station_clicked_in_the_plan_is_the_one_the_editor_shows(app_env):
    at = _start("Layout")
    assert _editor_pick(at) == "0: cut" and at.session_state[SELECTION] == ["station:cut"]
    session = at.session_state[STATE_KEY].session
    handle_event(session, {"op": "select", "items": ["station:check"], "primary": "station:check"}, _State(at))
    _run(at)
    assert _editor_pick(at) == "2: check"
    assert at.session_state[SELECTION] == ["station:check"]
    assert next(t for t in at.text_input if t.label == "id").value == "check"


def test_a_station_picked_in_the_editor_is_the_one_selected_in_the_plan(app_env):
    at = _start("Layout")
    session = at.session_state[STATE_KEY].session
    at.selectbox(key=f"station_pick_{session.revision}").set_value("1: weld")
    _run(at)
    assert at.session_state[SELECTION] == ["station:weld"] and at.session_state[PRIMARY] == "weld"


def test_a_shift_click_group_keeps_the_editor_on_the_station_clicked_last(app_env):
    at = _start("Layout")
    session = at.session_state[STATE_KEY].session
    handle_event(session, {"op": "select", "items": ["station:cut", "station:weld"], "primary": "station:weld"},
                 _State(at))
    _run(at)
    assert at.session_state[SELECTION] == ["station:cut", "station:weld"] and _editor_pick(at) == "1: weld"


def test_a_copy_made_in_the_plan_is_selected_and_shown_in_the_editor(app_env):
    at = _start("Layout")
    session = at.session_state[STATE_KEY].session
    applied, message = handle_event(session, {"op": "duplicate", "items": ["station:weld"]}, _State(at))
    assert applied and message.startswith("Added 'weld_2'")
    _run(at)
    assert _editor_pick(at) == "3: weld_2" and at.session_state[SELECTION] == ["station:weld_2"]
    assert session.undo()
    _run(at)
    assert _editor_pick(at) == "2: check" and at.session_state[SELECTION] == ["station:check"]  # the copy is gone


def test_a_station_added_in_the_editor_is_selected_in_the_plan_and_placed_with_a_click(app_env):
    at = _start("Layout")
    session = at.session_state[STATE_KEY].session
    next(b for b in at.button if b.label == "Add a station").click()
    _run(at)
    assert at.session_state[SELECTION] == ["station:S4"] and session.layout.station("S4").position is None
    applied, message = handle_event(session, {"op": "place", "items": ["station:S4"], "x": 10.2, "y": 9.4}, _State(at))
    assert (applied, message) == (True, "Placed 'S4' at (10, 9) m.")
    _run(at)
    assert _editor_pick(at) == "3: S4" and at.session_state[SELECTION] == ["station:S4"]
    assert [n.value for n in at.number_input if n.label in ("x (m)", "y (m)")] == [10, 9]
