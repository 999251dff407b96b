"""Overlay of layers on the village polygons: roads split at village borders, points located in villages.

This is the geometry behind "which village (and so which town or county) does a row belong to"
(:mod:`bangfu.workspace.areas` states the rule per layer). Pure geometry, no workspace knowledge
beyond the column names it is given.

* :func:`road_pieces` — one row per (road, village) piece with its length in km. A part outside
  every village polygon stays with the road's own ``village_code``; a road lying exactly on a shared
  border is not counted twice (its pieces are scaled back to the road's length).
* :func:`locate_points` — the village whose polygon holds each point. A point on a border between
  villages (or a vertex shared by several) goes to its recorded village when that is one of them,
  else to the lowest code; a point outside every polygon, or without geometry, keeps its recorded
  village (or none).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from bangfu.geo.crs import metric_crs

__all__ = ["PIECE_COLUMNS", "road_pieces", "locate_points"]

#: Columns of :func:`road_pieces`, in order.
PIECE_COLUMNS: tuple[str, ...] = ("road_id", "village_code", "status", "road_class", "completed_year", "length_km")


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column, or all-missing when a hand-made or imported frame lacks that optional column."""
    return frame[name] if name in frame.columns else pd.Series([None] * len(frame), index=frame.index, dtype=object)


def _empty_pieces() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype="float64" if c == "length_km" else object) for c in PIECE_COLUMNS})


def road_pieces(roads: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, *, crs: str | None = None) -> pd.DataFrame:
    """One row per (road, village) piece with its length in km, measured in ``crs`` (default: the UTM
    zone of the villages).

    Columns: :data:`PIECE_COLUMNS` (``village_code`` is the piece's village). The pieces of a road
    add up to its full length. Pass the *whole* village layer: a road is split among every village it
    runs through, whatever its own ``village_code`` says.
    """
    if roads.empty:
        return _empty_pieces()
    crs = crs or metric_crs(villages if not villages.empty else roads)
    rg = np.asarray(roads.to_crs(crs).geometry.values, dtype=object)
    vg = np.asarray(villages.to_crs(crs).geometry.values, dtype=object) if not villages.empty else np.array([], object)
    total = shapely.length(rg)
    if len(vg):
        ri, vi = shapely.STRtree(vg).query(rg, predicate="intersects")
        piece_len = shapely.length(shapely.intersection(rg[ri], vg[vi]))
    else:
        ri = vi = np.zeros(0, dtype=np.int64)
        piece_len = np.zeros(0)
    inside = np.bincount(ri, weights=piece_len, minlength=len(rg))
    # a road on a shared border intersects both villages: scale its pieces back to its length
    scale = np.where(inside > total + 1e-6, total / np.where(inside > 0, inside, 1), 1.0)
    piece_len = piece_len * scale[ri]
    rest = np.clip(total - np.minimum(inside, total), 0, None)
    outside = np.flatnonzero(rest > 1e-6)
    road_idx = np.concatenate([ri, outside])
    lengths = np.concatenate([piece_len, rest[outside]])
    vcodes = np.concatenate(
        [villages["village_code"].to_numpy(dtype=object)[vi], roads["village_code"].to_numpy(dtype=object)[outside]]
    )
    keep = lengths > 0
    r = roads.iloc[road_idx[keep]]
    return pd.DataFrame(
        {
            "road_id": r["road_id"].to_numpy(dtype=object),
            "village_code": vcodes[keep],
            "status": r["status"].to_numpy(dtype=object),
            "road_class": _column(r, "road_class").to_numpy(dtype=object),
            "completed_year": pd.array(pd.to_numeric(_column(r, "completed_year"), errors="coerce"), dtype="Int64"),
            "length_km": lengths[keep] / 1000.0,
        }
    )


def _anchor_points(geoms: NDArray[np.object_]) -> NDArray[np.object_]:
    """Each geometry as a point: points stay, anything else gives a point on its surface; missing stays missing."""
    out = np.array(geoms, dtype=object, copy=True)
    present = ~shapely.is_missing(out)
    present[present] = ~shapely.is_empty(out[present])
    out[~present] = None
    other = present.copy()
    other[present] = shapely.get_type_id(out[present]) != 0
    if other.any():
        out[other] = shapely.point_on_surface(out[other])
    return out


def locate_points(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    villages: gpd.GeoDataFrame,
    *,
    recorded: pd.Series | None = None,
) -> NDArray[np.object_]:
    """The ``village_code`` of the village polygon holding each point (array aligned with ``points``).

    A point on a shared border (or vertex) belongs to its ``recorded`` village when that village is
    one of those touching it, else to the touching village with the lowest code. A point outside
    every polygon, or without geometry, gets its ``recorded`` code (``None`` when not given).
    Non-point geometries are represented by a point on their surface.

    Fast path: most points lie in their recorded village, which is checked first with prepared
    polygons; only the rest go through an STR-tree query.
    """
    geo = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    n = len(geo)
    rec = (
        np.full(n, None, dtype=object)
        if recorded is None
        else pd.Series(recorded).astype(object).where(pd.Series(recorded).notna(), None).to_numpy(dtype=object)
    )
    if n == 0:
        return np.zeros(0, dtype=object)
    if villages.empty:
        return rec.copy()
    if geo.crs is not None and villages.crs is not None and not geo.crs.equals(villages.crs):
        geo = geo.to_crs(villages.crs)
    pts = _anchor_points(np.asarray(geo.values, dtype=object))
    vg = np.array(villages.geometry.values, dtype=object, copy=True)
    shapely.prepare(vg)
    codes = villages["village_code"].astype(object).to_numpy(dtype=object)
    position = {str(c): i for i, c in enumerate(codes)}
    out = rec.copy()
    has = ~shapely.is_missing(pts)
    # 1. points strictly inside their recorded village
    rec_idx = np.array([position.get(str(c), -1) if c is not None else -1 for c in rec], dtype=np.int64)
    settled = np.zeros(n, dtype=bool)
    check = np.flatnonzero(has & (rec_idx >= 0))
    if len(check):
        settled[check] = shapely.contains(vg[rec_idx[check]], pts[check])
    # 2. every other point: all villages it touches
    rest = np.flatnonzero(has & ~settled)
    if len(rest):
        pi, vi = shapely.STRtree(vg).query(pts[rest], predicate="intersects")
        if len(pi):
            frame = pd.DataFrame({"p": rest[pi], "code": codes[vi].astype(str)})
            frame["own"] = frame["code"].to_numpy() == np.array([str(rec[p]) for p in frame["p"]], dtype=object)
            frame = frame.sort_values(["p", "own", "code"], ascending=[True, False, True], kind="stable")
            first = frame.drop_duplicates("p")
            out[first["p"].to_numpy()] = codes[[position[c] for c in first["code"]]]
    return out
