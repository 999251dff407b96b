"""Cached workspace reads for the app: shared caches for public layers, per-session for personal ones."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bangfu.workspace import areas, store, validate
from bangfu.geo.overlay import road_pieces as _split_roads
from bangfu.workspace.schema import get_layer


@st.cache_data(show_spinner=False, max_entries=32)
def _public_layer(path: str, version: str, name: str) -> pd.DataFrame:
    return store.read_layer(path, name)


def load_layer(path: str, version: str, name: str) -> pd.DataFrame:
    """A layer of the workspace at ``version``.

    Layers marked ``personal`` in the schema (households) are never put in ``st.cache_data``,
    which all users share; they are kept in this session's state only.
    """
    if not get_layer(name).personal:
        return _public_layer(path, version, name)
    key = ("_bangfu_personal", path, version, name)
    cache = st.session_state.setdefault("_bangfu_personal_cache", {})
    if key not in cache:
        cache.clear()  # keep one version per session
        cache[key] = store.read_layer(path, name)
    return cache[key]


@st.cache_data(show_spinner=False, max_entries=8)
def validation_summary(path: str, version: str) -> tuple[bool, str, list[str]]:
    """(ok, summary, first error lines) of the whole workspace; household values are redacted."""
    layers = store.read_workspace(path)
    report = validate.validate_workspace(layers, file=store.WORKSPACE_FILE)
    lines = []
    for p in report.errors[:20]:
        if get_layer(p.layer).personal:
            p = validate.Problem(p.layer, p.row, None, p.column, "", p.reason_zh, p.reason_en, p.hint_zh, p.severity, p.file)
        lines.append(p.line("zh"))
    return report.ok, report.summary_zh(), lines


# --------------------------------------------------------------------------- area slices


@st.cache_data(show_spinner=False, max_entries=8)
def road_pieces(path: str, version: str) -> pd.DataFrame:
    """Every road split at village borders (:func:`bangfu.geo.overlay.road_pieces`; public data, shared cache)."""
    return _split_roads(load_layer(path, version, "roads"), load_layer(path, version, "villages"))


def _layers(path: str, version: str, area: areas.Area) -> areas.AreaLayers:
    return areas.AreaLayers(lambda name: load_layer(path, version, name), area,
                            pieces=lambda: road_pieces(path, version))


@st.cache_data(show_spinner=False, max_entries=64)
def _public_area_layer(path: str, version: str, area: areas.Area, name: str) -> pd.DataFrame:
    return _layers(path, version, area).layer(name)


def area_layer(path: str, version: str, area: areas.Area, name: str) -> pd.DataFrame:
    """The rows of layer ``name`` that belong to ``area`` (:mod:`bangfu.workspace.areas`), or the road pieces
    inside it for ``"road_pieces"``. Personal layers are sliced per session, never in the shared cache."""
    if area.holds_all(load_layer(path, version, "villages")):  # the whole workspace: nothing to slice
        return road_pieces(path, version) if name == areas.PIECES else load_layer(path, version, name)
    if name == areas.PIECES or not get_layer(name).personal:
        return _public_area_layer(path, version, area, name)
    key = ("_bangfu_personal_area", path, version, area, name)
    cache = st.session_state.setdefault("_bangfu_personal_area_cache", {})
    if key not in cache:
        if len(cache) >= 4:  # a few areas of the current version per session
            cache.clear()
        cache[key] = _layers(path, version, area).layer(name)
    return cache[key]
