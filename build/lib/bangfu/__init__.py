"""Bangfu Atlas (帮扶地图): targeted poverty alleviation on a map — the analysis package.

Everything here is pure Python without Streamlit; only :mod:`bangfu.ui` imports streamlit.
"""

__version__ = "0.1.0"
