"""The factory-twin planner in the browser (`streamlit run app.py`).

Page modules (`factory_app.pages`) hold the Streamlit calls; everything they decide is in
plain modules here (editing, tables, uploads, charts, compute, jobs) so it is unit-tested
without a browser.
"""
