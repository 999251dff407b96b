"""The one layer loader and cache policy of the app: every cached read and derived table is keyed by workspace version.

Policy (every cache in the app goes through this module; a test checks that no other module calls
``st.cache_data`` or ``st.cache_resource``):

1. **Keys start with the workspace ``path`` and ``version``** — the token of
   :func:`bangfu.workspace.store.workspace_version` (meta version + file identity). Every write
   changes it: an edit runs in one transaction that bumps the meta version, an import or a restore
   swaps in a new file. So the next run of any session reads the new data at once, and nothing is
   ever invalidated by hand: ``st.cache_data.clear()`` would wipe the caches of every user of the
   server, and is not used anywhere. Entries of old versions simply age out (``max_entries``);
   another session still on the old version keeps its cached data until its next run.
2. **Tables are cached for the whole workspace, never per town**: the town (or any other view
   filter) is not a key; pages filter the cached table. :func:`shared` refuses a function with a
   ``town``/``town_code``/``area`` parameter. The one shared exception is a finished *view*, the
   overview's map data, whose options (indicator, classes, language, town) change its styling; the
   briefing (this session only) is keyed by its town because the town is its subject. A computation that
   cannot be done for the whole workspace and filtered — the roads page's network of an area, whose whole-province
   version takes 20–60 s and gigabytes — is declared ``shared(..., per_area=True)`` and may take ``area``: it
   computes only the area's part (with the whole workspace's figures for it, tested against the whole).
3. **Public data is shared** between sessions: :func:`shared` wraps ``st.cache_data`` (pickled
   copies) or, with ``resource=True``, ``st.cache_resource`` for objects that cannot be pickled
   (prepared geometries, spatial indexes) — shared by reference, so callers must not mutate them. Tables with
   geometry read on every run (the layers, the overview's village table) are ``copied=True``: kept as objects and
   handed out as a copy of their own (``DataFrame.copy()``: own column arrays, the immutable shapely geometries
   shared) — what a pickled copy gives, about ten times faster (a province's roads: 50 ms instead of 0.5 s of
   unpickling on every run of every page; docs/benchmarks.md).
4. **Personal data never enters a shared cache.** Layers marked ``personal`` in the schema
   (households) and anything derived from them are kept by :func:`session_value` in this session's
   own state, one entry per name, replaced when the version changes, and keyed by the signed-in user.
   They are read through :mod:`bangfu.workspace.personal` as that user: the rows
   (:func:`load_layer`, :func:`area_layer`) only for roles with household access (a town planner's own
   towns), the rows without ids for server-side aggregates (:func:`aggregate_layer`) for every role
   that may view; what a page shows of such aggregates goes through
   :func:`bangfu.workspace.personal.shown_counts`. An area smaller than the workspace reads only its own
   candidates from the file (:func:`area_candidates`: the spatial index and the code prefix), never the whole
   personal layer, and keeps that slice in the session.
5. Validation summaries of the whole workspace are shared, so household values are redacted. The validation is
   stored per layer beside the workspace (:mod:`bangfu.workspace.checked`) and reused while the data is unchanged.
6. Aggregates derived once per workspace content (:mod:`bangfu.workspace.derived`: households, road km, access per
   village, catchment groups per project — counts, no household rows) are stored beside the workspace and shared
   (:func:`derived_table`); the first use after a change computes the missing table with a progress bar.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, TypeVar
from collections.abc import Callable, Hashable

import geopandas as gpd
import pandas as pd
import streamlit as st

from bangfu.workspace import areas, personal, store, validate
from bangfu.workspace import checked as ws_checked
from bangfu.workspace import derived as ws_derived
from bangfu.workspace import status as ws_status
from bangfu.workspace.access import Principal
from bangfu.geo import overlay
from bangfu.workspace.schema import get_layer

__all__ = ["shared", "session_value", "load_layer", "aggregate_layer", "area_aggregate_layer", "validation_summary", "layer_status", "layer_counts",
           "unit_polygons", "derived_table", "derived_ready", "households_near", "grown_bounds",
           "SHARED", "FILTER_PARAMS"]

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

#: Parameters that name a view filter: never part of a shared table's key (rule 2).
FILTER_PARAMS = frozenset({"town", "town_code", "area", "area_code"})
#: Every function cached by :func:`shared`: qualified name → "data" or "resource".
SHARED: dict[str, str] = {}
_SESSION_KEY = "_bangfu_session_cache"


def shared(*, max_entries: int, resource: bool = False, per_area: bool = False, copied: bool = False
           ) -> Callable[[F], F]:
    """Cache a function of public data in the cache all sessions share, keyed by all its arguments.

    The function's first two parameters must be ``path`` and ``version`` (rule 1) and none may be
    a view filter (rule 2; ``per_area=True`` allows ``area`` for a computation of an area's own part, not a
    filter of a whole table); the decorator raises ``TypeError`` otherwise. ``copied=True``: a function returning a
    table, kept as an object (``st.cache_resource``) and returned as a copy of its own on every call (rule 3).
    """

    def decorate(fn: F) -> F:
        names = list(inspect.signature(fn).parameters)
        if names[:2] != ["path", "version"]:
            raise TypeError(f"{fn.__qualname__}: a shared cache's first parameters must be (path, version), not {names[:2]}")
        filters = FILTER_PARAMS.intersection(names) - ({"area"} if per_area else set())
        if filters:
            raise TypeError(f"{fn.__qualname__}: {', '.join(sorted(filters))} only filters; cache the whole workspace")
        SHARED[f"{fn.__module__}.{fn.__qualname__}"] = "copied" if copied else "resource" if resource else "data"
        if copied:
            kept = st.cache_resource(show_spinner=False, max_entries=max_entries)(fn)

            @functools.wraps(fn)
            def fresh(*args: Any, **kwargs: Any) -> Any:
                value = kept(*args, **kwargs)
                return value.copy() if isinstance(value, pd.DataFrame) else value

            fresh.clear = kept.clear  # type: ignore[attr-defined]  # as st.cache_* functions have
            return fresh  # type: ignore[return-value]
        if resource:
            return st.cache_resource(show_spinner=False, max_entries=max_entries)(fn)  # type: ignore[return-value]
        return st.cache_data(show_spinner=False, max_entries=max_entries)(fn)  # type: ignore[return-value]

    return decorate


def session_value(
    name: str, path: str, version: str, compute: Callable[[], T], *, key: Hashable = (), refresh: bool = False
) -> T:
    """A value kept in this session's state only (rule 4), recomputed when path, version or ``key``
    change (or ``refresh`` is true).

    One entry per ``name``: a new version replaces the old entry instead of adding one.
    """
    memo: dict[str, tuple[tuple[str, str, Hashable], Any]] = st.session_state.setdefault(_SESSION_KEY, {})
    wanted = (path, version, key)
    hit = memo.get(name)
    if hit is None or hit[0] != wanted or refresh:
        hit = (wanted, compute())
        memo[name] = hit
    return hit[1]


@shared(max_entries=32, copied=True)
def _public_layer(path: str, version: str, name: str) -> pd.DataFrame:
    return store.read_layer(path, name)


def _user_key(user: Principal | None) -> Hashable:
    return None if user is None else (user.username, user.role, user.towns)


def _personal_stored(path: str, version: str, name: str) -> pd.DataFrame:
    """The whole personal layer as stored, in this session's state only (never returned unguarded)."""
    return session_value(f"personal.{name}", path, version, lambda: store.read_layer(path, name))


def load_layer(path: str, version: str, name: str, user: Principal | None = None) -> pd.DataFrame:
    """A layer of the workspace at ``version``: shared cache for public layers; personal ones (households)
    as ``user`` may see their rows (:func:`bangfu.workspace.personal.scope_rows`: refused without household
    access, a town planner's own towns), kept in this session only."""
    if not get_layer(name).personal:
        return _public_layer(path, version, name)
    personal.require_rows(user, name)
    return session_value(f"layer.{name}", path, version, key=_user_key(user), compute=lambda: personal.scope_rows(
        name, _personal_stored(path, version, name), user, _public_layer(path, version, "villages")))


def aggregate_layer(path: str, version: str, name: str, user: Principal | None) -> pd.DataFrame:
    """Every row of a layer without its ids (:func:`bangfu.workspace.personal.without_ids` for personal
    layers), for aggregates computed on the server; any role that may view. Never shown as rows."""
    if not get_layer(name).personal:
        return _public_layer(path, version, name)
    personal.require_aggregates(user, name)
    return session_value(f"aggregate.{name}", path, version,
                         lambda: personal.without_ids(name, _personal_stored(path, version, name)))


@shared(max_entries=8)
def _checked(path: str, version: str) -> tuple[bool, str, list[str], tuple[ws_status.LayerStatus, ...]]:
    """One validation of the whole workspace: (ok, summary, first error lines with household values redacted,
    each layer's rows and problem counts)."""
    checked = ws_checked.check_workspace(path, file=store.WORKSPACE_FILE)  # stored per layer, reused by content
    report = checked.report
    lines = []
    for p in report.errors[:20]:
        if get_layer(p.layer).personal:
            p = validate.Problem(p.layer, p.row, None, p.column, "", p.reason_zh, p.reason_en, p.hint_zh, p.severity, p.file)
        lines.append(p.line("zh"))
    counts = {name: checked.rows.get(name, 0) for name in ws_status.IMPORT_ORDER}
    return report.ok, report.summary_zh(), lines, ws_status.workspace_status(counts, report)


@shared(max_entries=8)
def validation_summary(path: str, version: str) -> tuple[bool, str, list[str]]:
    """(ok, summary, first error lines) of the whole workspace; household values are redacted."""
    ok, summary, lines, _ = _checked(path, version)
    return ok, summary, lines


def layer_status(path: str, version: str) -> tuple[ws_status.LayerStatus, ...]:
    """Rows and problem counts of every layer of the import order (:mod:`bangfu.workspace.status`); counts only,
    the same for every role."""
    return _checked(path, version)[3]


@shared(max_entries=32)
def layer_counts(path: str, version: str) -> dict[str, int]:
    """Rows per layer of the import order (counts only: read without loading a layer)."""
    return ws_status.layer_counts(path)


# --------------------------------------------------------------------------- area slices


@shared(max_entries=8)
def road_pieces(path: str, version: str) -> pd.DataFrame:
    """Every road split at village borders (:func:`bangfu.geo.overlay.road_pieces`; public data, shared cache)."""
    return overlay.road_pieces(load_layer(path, version, "roads"), load_layer(path, version, "villages"))


@shared(max_entries=8)
def unit_polygons(path: str, version: str, level: str) -> gpd.GeoDataFrame:
    """The villages dissolved into the areas of ``level`` (:func:`bangfu.workspace.areas.unit_polygons`), once per
    workspace version and level (public data, shared cache): the units of a choropleth of the level below."""
    return areas.unit_polygons(load_layer(path, version, "villages"), level)


def _layers(path: str, version: str, area: areas.Area, load: Callable[[str], pd.DataFrame]) -> areas.AreaLayers:
    return areas.AreaLayers(load, area, pieces=lambda: road_pieces(path, version))


def area_layer(path: str, version: str, area: areas.Area, name: str, user: Principal | None = None) -> pd.DataFrame:
    """The rows of layer ``name`` that belong to ``area`` (:mod:`bangfu.workspace.areas`), or the road pieces
    inside it for ``"road_pieces"``.

    The area only filters (rule 2): the whole layer and the road pieces come from the shared caches and
    the slice is taken on every call (a mask, or locating a layer's few points). Personal layers are
    sliced in this session only (rule 4), as ``user`` may see them (:func:`load_layer`).
    """
    def load(n: str) -> pd.DataFrame:
        return load_layer(path, version, n, user)

    if area.holds_all(load_layer(path, version, "villages")):  # the whole workspace: nothing to slice
        return road_pieces(path, version) if name == areas.PIECES else load(name)
    if name == areas.PIECES or not get_layer(name).personal:
        return _layers(path, version, area, load).layer(name)
    personal.require_rows(user, name)

    def rows() -> pd.DataFrame:  # only the area's candidates are read (never the whole personal layer)
        candidates = personal.scope_rows(name, area_candidates(path, version, area, name), user,
                                         load_layer(path, version, "villages"))
        return _layers(path, version, area, lambda n: candidates if n == name else load(n)).layer(name)

    return session_value(f"area.{name}", path, version, rows, key=(area, _user_key(user)))


def area_candidates(path: str, version: str, area: areas.Area, name: str) -> pd.DataFrame:
    """The rows of ``name`` that may lie in ``area``, read from the file by the area's bounds (spatial index) and
    code prefix (:func:`bangfu.workspace.store.read_candidates`); not cached — the callers keep their slice in
    the session (personal layers, rule 4)."""
    villages = load_layer(path, version, "villages")
    inside = villages[area.village_mask(villages)]
    bbox = tuple(float(b) for b in inside.total_bounds) if len(inside) else None
    return store.read_candidates(path, name, bbox=bbox, code_prefix=area.code or None)  # type: ignore[arg-type]


def area_aggregate_layer(path: str, version: str, area: areas.Area, name: str, user: Principal | None) -> pd.DataFrame:
    """The rows of ``name`` in ``area`` without ids, for server-side aggregates (:func:`aggregate_layer`)."""
    def load(n: str) -> pd.DataFrame:
        return aggregate_layer(path, version, n, user)

    if area.holds_all(load_layer(path, version, "villages")):
        return load(name)
    if not get_layer(name).personal:
        return area_layer(path, version, area, name)
    personal.require_aggregates(user, name)

    def rows() -> pd.DataFrame:  # only the area's candidates are read (never the whole personal layer)
        candidates = personal.without_ids(name, area_candidates(path, version, area, name))
        return _layers(path, version, area, lambda n: candidates if n == name else load(n)).layer(name)

    return session_value(f"area_aggregate.{name}", path, version, rows, key=area)


# --------------------------------------------------------------------------- stored aggregates (rule 6)


@shared(max_entries=16)
def _derived(path: str, version: str, name: str) -> dict[str, pd.DataFrame]:
    return ws_derived.table(path, name)


def derived_ready(path: str, name: str) -> bool:
    """True when the derived table ``name`` is stored for the workspace's current content (no computation needed)."""
    return ws_derived.is_stored(path, name)


def derived_table(path: str, version: str, name: str, *, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """The parts of derived table ``name`` (:mod:`bangfu.workspace.derived`) for the workspace at ``version``:
    shared by every session (aggregates only); read from beside the workspace, or computed once (a progress bar
    says so) and stored for every later session, server and CLI run."""
    from bangfu.core.labels import t

    bar = None
    if not derived_ready(path, name):
        bar = st.progress(0.1, t("derived.computing", lang).format(name=t(f"derived.table.{name}", lang)))
    try:
        return _derived(path, version, name)
    finally:
        if bar is not None:
            bar.empty()


def grown_bounds(frame: pd.DataFrame, metres: float) -> tuple[float, float, float, float] | None:
    """The bounds (EPSG:4326) of ``frame`` grown by ``metres`` on every side (a degree of latitude is 110.5 km at
    the least; a degree of longitude is measured at the bounds' latitude furthest from the equator), None when
    empty."""
    import math

    if frame is None or len(frame) == 0:
        return None
    minx, miny, maxx, maxy = (float(b) for b in gpd.GeoSeries(frame.geometry).to_crs("EPSG:4326").total_bounds)
    dy = metres / 110_500.0
    lat = min(max(abs(miny), abs(maxy)) + dy, 89.0)
    dx = metres / (111_320.0 * math.cos(math.radians(lat)))
    return (minx - dx, miny - dy, maxx + dx, maxy + dy)


def households_near(path: str, version: str, projects: pd.DataFrame, metres: float,
                    user: Principal | None) -> pd.DataFrame:
    """The households (without ids, for server-side aggregates) that may lie within ``metres`` of ``projects``:
    read from the file by the projects' bounds grown by ``metres`` (spatial index,
    :func:`bangfu.workspace.store.read_candidates`), never the whole layer for a smaller area; kept in this session
    only (rule 4). A superset: the catchments themselves pick the households within reach."""
    personal.require_aggregates(user, "households")
    bbox = grown_bounds(projects, metres)
    if bbox is None:
        return personal.without_ids("households", store.empty_layer("households"))
    key = tuple(round(b, 6) for b in bbox)
    return session_value("households_near", path, version, key=key, compute=lambda: personal.without_ids(
        "households", store.read_candidates(path, "households", bbox=bbox, code_prefix=None)))
