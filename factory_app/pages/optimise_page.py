"""Optimise: placeholder until the layout search lands."""
from __future__ import annotations

import streamlit as st


def render(state) -> None:
    st.header("Optimise")
    st.info("The layout search is not available yet.")
