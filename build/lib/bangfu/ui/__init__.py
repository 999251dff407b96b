"""Streamlit glue: the only part of bangfu that imports streamlit (sidebar, cached loaders, widgets)."""
