"""Streamlit panels, one module per page: widgets and rendering around bangfu calls."""
