"""Vector tiles of the villages: every village of a workspace as one choropleth, drawn tile by tile in the browser.

A province of 16,727 villages cannot be sent as one GeoJSON (tens of MB, minutes to draw). Instead the villages are
cut into `Mapbox Vector Tiles <https://github.com/mapbox/vector-tile-spec/tree/master/2.1>`_ (MVT 2.1, protobuf)
per zoom level, written once per workspace content into a folder the app serves (``static/vtiles/<key>/z/x/y.pbf``,
:func:`write_tiles`), and drawn by our tile layer on top of the vendored Leaflet.VectorGrid (:class:`VectorTileLayer`,
``bangfu/assets/bangfu-vtiles.js``: parsed and painted in a Web Worker). Pure functions, no Streamlit:

1. :func:`tile_plan` — the zoom levels of a workspace (from the fitting zoom of its extent down two steps, up to the
   zoom at which a village is some 30 pixels wide; the browser scales the last level beyond);
2. :func:`village_tiles` — per zoom level the villages in Web-Mercator tile space simplified *as a coverage* to half
   a screen pixel (shared borders stay shared), clipped to each tile plus a small buffer and encoded by our own
   small encoder (:func:`encode_layer`: integer coordinates on a 4,096 grid, rings oriented as the spec says, tags
   de-duplicated per tile);
3. :func:`class_string` — the colour of each village is *not* in the tiles: each feature carries its index ``i``
   in the workspace's villages sorted by code, and the map sends one character per village (its class under
   :func:`bangfu.indicators.choropleth`, the same classes, colours and legend as every other map). Changing the
   indicator or the classification re-sends 17 kB, never the tiles.

Each feature carries only public per-village figures (:data:`TILE_PROPS`: index, code, name, the four choropleth
indicators, 老区 / key flags); never household rows. The folder key (:func:`tile_key`) is the workspace path, the
content token of the villages layer (:func:`bangfu.workspace.store.content_tokens`, replaced by every write of that
layer) and :data:`TILE_FORMAT`: an edit or an import of the villages makes a new folder, so tiles are never stale.
See docs/maps.md "Every village of a province: vector tiles".
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.errors
from jinja2 import Template

from bangfu.maps.base import js_json
from bangfu.maps.offline import APP_STATIC_URL, STATIC_URL, TILE_LAYER_FILE

__all__ = [
    "EXTENT", "BUFFER", "LAYER", "FULL_PROPS_ZOOM", "TILE_FORMAT", "TILE_FOLDER", "TILE_PROPS", "INDICATOR_PROPS", "TilePlan",
    "tile_plan", "lonlat_to_world", "tile_box", "encode_layer", "village_order", "tile_features", "village_tiles",
    "class_string", "tile_key", "write_tiles", "read_plan", "tiles_ready", "ensure_tiles", "prune_tiles", "tile_url", "VectorTileSpec", "VectorTileLayer",
    "VECTORGRID_JS", "TILES_JS",
]

#: Tile coordinates run 0…EXTENT across a tile (the spec's default).
EXTENT = 4096
#: Geometry kept beyond each tile edge (tile units), so no seam is drawn at a tile border.
BUFFER = 64
#: The name of the one layer of every tile.
LAYER = "villages"
#: Version of what a tile holds; part of the folder key (bump when the encoding or the properties change).
TILE_FORMAT = 2
#: The folder under ``static/`` (served at ``/app/static/vtiles``) holding one sub-folder per tile set.
TILE_FOLDER = "vtiles"
#: The vendored Leaflet.VectorGrid (bundled build, with pbf and vector-tile), served beside Leaflet.
VECTORGRID_JS = STATIC_URL + "/vectorgrid/Leaflet.VectorGrid.bundled.min.js"
#: Our own tile layer on top of it (``bangfu/assets/bangfu-vtiles.js``, ``L.bangfuTiles``): a tile parsed and drawn
#: without an object per village, one fill per class colour, in slices of a few milliseconds between frames.
TILES_JS = f"{STATIC_URL}/{TILE_LAYER_FILE}"
#: Feature property → (column of :func:`bangfu.indicators.village_metrics`, kind). Public figures only.
TILE_PROPS: dict[str, tuple[str, str]] = {
    "c": ("village_code", "text"),
    "n": ("village_name", "text"),
    "h": ("households", "uint"),
    "p": ("poor_households", "uint"),
    "q": ("poor_population", "uint"),
    "r": ("incidence_pct", "double"),
    "d": ("poverty_density", "double"),
    "o": ("is_old_district", "bool"),
    "k": ("is_key_village", "bool"),
}
#: Choropleth indicator key (:data:`bangfu.indicators.CHOROPLETH_INDICATORS`) → its tile property (the popup value).
INDICATOR_PROPS: dict[str, str] = {"poverty_density": "d", "incidence": "r", "poor_households": "p",
                                   "poor_population": "q"}
#: From this zoom on a feature carries every property of :data:`TILE_PROPS`; below it only ``i`` and ``c`` (smaller
#: tiles, but the popup then shows the code only). 0: every zoom has every property (the popup always shows the
#: name and the value; the province view at zoom 7 is about 1.9 MB of tiles instead of 1.0 MB).
FULL_PROPS_ZOOM = 0
#: Decimals the double properties keep (the tables show one).
_DOUBLE_DECIMALS = 3


# --------------------------------------------------------------------------- the pyramid


@dataclass(frozen=True)
class TilePlan:
    """The zoom levels of a tile set and the extent it covers (lon/lat)."""

    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float]

    @property
    def zooms(self) -> range:
        return range(self.min_zoom, self.max_zoom + 1)


def lonlat_to_world(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat (degrees) → Web-Mercator world coordinates in [0, 1], y growing southwards (tile order)."""
    lat = np.radians(np.clip(np.asarray(y, dtype=float), -85.05112878, 85.05112878))
    wx = (np.asarray(x, dtype=float) + 180.0) / 360.0
    wy = (1.0 - np.log(np.tan(lat) + 1.0 / np.cos(lat)) / math.pi) / 2.0
    return wx, wy


def _fit_zoom(bounds: Sequence[float], pixels: int) -> int:
    """The largest zoom at which ``bounds`` (lon/lat) fit in ``pixels`` (its longer side)."""
    wx, wy = lonlat_to_world(np.array([bounds[0], bounds[2]]), np.array([bounds[1], bounds[3]]))
    span = max(abs(float(wx[1] - wx[0])), abs(float(wy[1] - wy[0])), 1e-9)
    return int(max(0, min(18, math.floor(math.log2(pixels / 256.0 / span)))))


def tile_plan(villages: gpd.GeoDataFrame, *, pixels: int = 1200, village_px: float = 30.0, top: int = 14) -> TilePlan:
    """The zoom levels for ``villages`` (lon/lat): from two steps below the zoom that fits them all in a map of
    ``pixels`` to the zoom at which the median village is about ``village_px`` pixels wide (at most ``top``; at
    least one step above the fitting zoom). Beyond the last level the browser scales its tiles."""
    geoms = np.asarray(villages.geometry.values, dtype=object)
    bounds = tuple(float(v) for v in shapely.total_bounds(geoms))
    fit = _fit_zoom(bounds, pixels)
    b = shapely.bounds(geoms)
    wx0, wy0 = lonlat_to_world(b[:, 0], b[:, 1])
    wx1, wy1 = lonlat_to_world(b[:, 2], b[:, 3])
    size = float(np.nanmedian(np.sqrt(np.abs((wx1 - wx0) * (wy1 - wy0))))) if len(b) else 1.0
    want = math.ceil(math.log2(village_px / 256.0 / max(size, 1e-12)))
    return TilePlan(max(0, fit - 2), int(min(top, max(fit + 1, want))), bounds)  # type: ignore[arg-type]


def tile_box(z: int, x: int, y: int, buffer: float = 0.0) -> tuple[float, float, float, float]:
    """World-coordinate box of tile ``z/x/y`` grown by ``buffer`` tile units on every side."""
    n = 2.0 ** z
    b = buffer / EXTENT
    return (x - b) / n, (y - b) / n, (x + 1 + b) / n, (y + 1 + b) / n


# --------------------------------------------------------------------------- the encoder (protobuf, MVT 2.1)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


#: The varint of every small integer (tags, keys), looked up instead of encoded.
_SMALL = [_varint(i) for i in range(1 << 14)]


def _tags(values: Sequence[int]) -> bytes:
    return b"".join(_SMALL[v] if v < 16384 else _varint(v) for v in values)


def _varint_bytes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Protobuf base-128 varints of non-negative integers (< 2**35), vectorised: (all bytes, bytes per value)."""
    v = np.asarray(values, dtype=np.uint64)
    nbytes = np.ones(len(v), dtype=np.int64)
    for i in range(1, 5):
        nbytes += v >= np.uint64(1 << (7 * i))
    starts = np.cumsum(nbytes) - nbytes
    out = np.zeros(int(nbytes.sum()), dtype=np.uint8)
    for i in range(5):
        sel = nbytes > i
        if not sel.any():
            break
        byte = ((v[sel] >> np.uint64(7 * i)) & np.uint64(0x7F)).astype(np.uint8)
        more = (nbytes[sel] > i + 1).astype(np.uint8) << 7
        out[starts[sel] + i] = byte | more
    return out, nbytes


def _field(tag: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2)."""
    return _SMALL[tag << 3 | 2] + _varint(len(payload)) + payload


def _zigzag(a: np.ndarray) -> np.ndarray:
    a = a.astype(np.int64)
    return (a << 1) ^ (a >> 63)


def _geometry_streams(geoms: np.ndarray) -> tuple[bytes, np.ndarray]:
    """The MVT geometry commands (MoveTo, LineTo, ClosePath per ring) of (multi)polygons in integer tile
    coordinates, varint-encoded, all geometries in one byte string: (bytes, byte offset of each geometry's start,
    one more at the end). Vectorised over every ring of the tile.

    Each ring loses its closing point and repeated points; a ring left with fewer than three points or no area
    is dropped (a polygon whose exterior is dropped loses its holes too). Rings are oriented as the spec says:
    exterior rings positive by the surveyor's formula in tile coordinates (y down), holes negative. The cursor
    runs on from ring to ring within a geometry and starts at (0, 0) for each."""
    n_geoms = len(geoms)
    parts, pg = shapely.get_parts(geoms, return_index=True)
    poly = shapely.get_type_id(parts) == 3
    parts, pg = parts[poly], pg[poly]
    rings, rp = shapely.get_rings(parts, return_index=True)
    ext = np.ones(len(rings), dtype=bool)
    ext[1:] = rp[1:] != rp[:-1]
    coords, cr = shapely.get_coordinates(rings, return_index=True)
    coords = coords.astype(np.int64)
    keep = np.ones(len(coords), dtype=bool)
    if len(coords):
        keep[:-1] = cr[1:] == cr[:-1]  # the last point of each ring (its closing point) goes
        keep[1:] &= ~((cr[1:] == cr[:-1]) & np.all(coords[1:] == coords[:-1], axis=1))  # repeats go
    coords, cr = coords[keep], cr[keep]
    cnt = np.bincount(cr, minlength=len(rings)).astype(np.int64)
    starts = np.cumsum(cnt) - cnt
    nxt = np.arange(len(coords)) + 1
    has = cnt > 0
    nxt[(starts + cnt - 1)[has]] = starts[has]
    cross = coords[:, 0] * coords[nxt % max(len(coords), 1), 1] - coords[nxt % max(len(coords), 1), 0] * coords[:, 1]
    area2 = np.bincount(cr, weights=cross.astype(float), minlength=len(rings))
    valid = (cnt >= 3) & (area2 != 0)
    part_ok = np.zeros(len(parts), dtype=bool)
    part_ok[rp[ext]] = valid[ext]
    valid &= part_ok[rp]
    flip = valid & ((area2 > 0) != ext)
    pos = np.arange(len(coords))
    order = np.where(flip[cr], 2 * starts[cr] + cnt[cr] - 1 - pos, pos)
    pts = coords[order]
    vp = valid[cr]
    pts = pts[vp]
    ring_geom = pg[rp]
    vr = np.flatnonzero(valid)
    k = cnt[vr]
    pgeom = np.repeat(ring_geom[vr], k)
    prev = np.zeros_like(pts)
    prev[1:] = pts[:-1]
    first = np.ones(len(pts), dtype=bool)
    first[1:] = pgeom[1:] != pgeom[:-1]
    prev[first] = 0
    d = _zigzag(pts - prev)
    size = 2 * k + 3
    rstart = np.cumsum(size) - size
    out = np.empty(int(size.sum()), dtype=np.int64)
    out[rstart] = 1 | 1 << 3  # MoveTo(1)
    out[rstart + 3] = 2 | (k - 1) << 3  # LineTo(k - 1)
    out[rstart + size - 1] = 7 | 1 << 3  # ClosePath
    ring_of_pt = np.repeat(np.arange(len(vr)), k)
    j = np.arange(len(pts)) - np.repeat(np.cumsum(k) - k, k)
    at = rstart[ring_of_pt] + np.where(j == 0, 1, 4 + 2 * (j - 1))
    out[at] = d[:, 0]
    out[at + 1] = d[:, 1]
    data, nbytes = _varint_bytes(out)
    ints_per_geom = np.bincount(ring_geom[vr], weights=size, minlength=n_geoms).astype(np.int64)
    int_ends = np.cumsum(ints_per_geom)
    byte_ends = np.concatenate([[0], np.cumsum(nbytes)])
    offsets = np.concatenate([[0], byte_ends[int_ends]])
    return data.tobytes(), offsets


def _value(v: Any, kind: str) -> bytes:
    """A protobuf ``Value`` message."""
    if kind == "text":
        return _field(1, str(v).encode("utf-8"))
    if kind == "double":
        return b"\x19" + struct.pack("<d", float(v))
    if kind == "bool":
        return b"\x38" + _varint(1 if v else 0)
    return b"\x28" + _varint(int(v))


def encode_layer(name: str, features: Sequence[tuple[int, shapely.Geometry, dict[str, tuple[Any, str]]]],
                 *, extent: int = EXTENT) -> bytes:
    """One MVT tile holding one layer ``name``: features (id, polygon in integer tile coordinates, properties as
    key → (value, kind ∈ text, uint, double, bool)). Properties equal to None are left out; features whose polygon
    rounds away are dropped."""
    if not features:
        return b""
    geom_bytes, offsets = _geometry_streams(np.asarray([g for _, g, _ in features], dtype=object))
    keys: dict[str, int] = {}
    values: dict[tuple[str, Any], int] = {}
    value_bytes: list[bytes] = []
    feats: list[bytes] = []
    for n, (fid, _geom, props) in enumerate(features):
        a, b = int(offsets[n]), int(offsets[n + 1])
        if a == b:
            continue
        tags: list[int] = []
        for key, (val, kind) in props.items():
            if val is None:
                continue
            ki = keys.setdefault(key, len(keys))
            vk = (kind, val)
            vi = values.get(vk)
            if vi is None:
                vi = values[vk] = len(value_bytes)
                value_bytes.append(_value(val, kind))
            tags += (ki, vi)
        feats.append(b"\x08" + _varint(int(fid)) + _field(2, _tags(tags)) + b"\x18\x03"
                     + _field(4, geom_bytes[a:b]))
    if not feats:
        return b""
    layer = (b"\x78\x02" + _field(1, name.encode("utf-8")) + b"".join(_field(2, f) for f in feats)
             + b"".join(_field(3, k.encode("utf-8")) for k in keys) + b"".join(_field(4, v) for v in value_bytes)
             + b"\x28" + _varint(extent))
    return _field(3, layer)


# --------------------------------------------------------------------------- villages → tiles


def village_order(codes: pd.Series | Sequence[str]) -> np.ndarray:
    """Positions of the villages sorted by code: feature ``i`` of the tiles is the ``i``-th village in code order
    (the index :func:`class_string` uses)."""
    return np.argsort(np.asarray(codes, dtype=str), kind="stable")


def _props(table: pd.DataFrame) -> list[dict[str, tuple[Any, str]]]:
    cols: dict[str, tuple[np.ndarray, str]] = {}
    for key, (column, kind) in TILE_PROPS.items():
        if column not in table.columns:
            continue
        values = table[column].to_numpy()
        cols[key] = (values, kind)
    out: list[dict[str, tuple[Any, str]]] = []
    for j in range(len(table)):
        p: dict[str, tuple[Any, str]] = {}
        for key, (values, kind) in cols.items():
            v = values[j]
            if v is None or v is pd.NA or (isinstance(v, float) and not math.isfinite(v)):
                continue
            if kind == "double":
                v = round(float(v), _DOUBLE_DECIMALS)
            elif kind == "bool":
                if not bool(v):
                    continue  # flags only when set
                v = True
            elif kind == "uint":
                v = int(v)
                if v < 0:
                    continue
            p[key] = (v, kind)
        out.append(p)
    return out


def _simplified(world: np.ndarray, z: int, coverage: bool) -> np.ndarray:
    """World-coordinate villages simplified to half a screen pixel at zoom ``z`` (as a coverage when they are one)."""
    tol = 0.5 / (256.0 * 2.0 ** z)
    try:
        if coverage:
            return np.asarray(shapely.coverage_simplify(world, tol), dtype=object)
    except shapely.errors.GEOSException:
        pass
    return np.asarray(shapely.simplify(world, tol, preserve_topology=True), dtype=object)


def tile_features(table: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, list[dict[str, tuple[Any, str]]]]:
    """(world-coordinate polygons, feature ids, properties) of ``table`` (villages with
    :func:`bangfu.indicators.village_metrics` columns, lon/lat), in code order: feature id = ``i`` = the index."""
    order = village_order(table["village_code"])
    rows = table.iloc[order].reset_index(drop=True)
    geoms = np.asarray(rows.geometry.values, dtype=object)
    world = shapely.transform(geoms, lambda c: np.column_stack(lonlat_to_world(c[:, 0], c[:, 1])))
    props = _props(rows)
    for i, p in enumerate(props):
        p["i"] = (i, "uint")
    return np.asarray(world, dtype=object), np.arange(len(rows)), props


def village_tiles(table: gpd.GeoDataFrame, plan: TilePlan,
                  progress: Callable[[float], None] | None = None) -> Iterator[tuple[int, int, int, bytes]]:
    """Every non-empty tile (z, x, y, MVT bytes) of ``table``'s villages over ``plan``'s zoom levels."""
    world, ids, props = tile_features(table)
    lean = [{k: p[k] for k in ("i", "c") if k in p} for p in props]
    ok = np.asarray([g is not None and not g.is_empty for g in world], dtype=bool)
    try:
        coverage = bool(shapely.coverage_is_valid(world[ok]))
    except shapely.errors.GEOSException:
        coverage = False
    wx0, wy0, wx1, wy1 = shapely.total_bounds(world[ok]) if ok.any() else (0.0, 0.0, 0.0, 0.0)
    levels = list(plan.zooms)
    weights = np.array([4.0 ** (z - levels[0]) for z in levels])
    done = 0.0
    for z in levels:
        n = 2 ** z
        geoms = np.full(len(world), None, dtype=object)
        geoms[ok] = _simplified(world[ok], z, coverage)
        tree = shapely.STRtree(geoms)
        scale = float(n * EXTENT)
        for x in range(int(wx0 * n), min(n - 1, int(wx1 * n)) + 1):
            for y in range(int(wy0 * n), min(n - 1, int(wy1 * n)) + 1):
                box = tile_box(z, x, y, BUFFER)
                idx = tree.query(shapely.box(*box), predicate="intersects")
                if not len(idx):
                    continue
                idx = np.sort(idx)
                clipped = shapely.clip_by_rect(geoms[idx], *box)
                origin = np.array([x / n, y / n])
                local = shapely.transform(clipped, lambda c, o=origin, sc=scale: np.round((c - o) * sc))
                pz = props if z >= FULL_PROPS_ZOOM else lean
                data = encode_layer(LAYER, [(int(ids[j]), g, pz[j]) for j, g in zip(idx, local)
                                            if g is not None and not g.is_empty])
                if data:
                    yield z, x, y, data
        done += float(weights[levels.index(z)])
        if progress is not None:
            progress(done / float(weights.sum()))


def class_string(classes: np.ndarray, codes: pd.Series | Sequence[str]) -> str:
    """One character per village in code order (:func:`village_order`): ``'0' + class``, ``'/'`` for no value
    (class -1). ``classes`` are :meth:`bangfu.indicators.Choropleth.classes_of` of the villages in ``codes``' order."""
    order = village_order(codes)
    cls = np.asarray(classes, dtype=np.int64)[order]
    return bytes((48 + np.clip(cls, -1, 9)).astype(np.uint8)).decode("ascii")


# --------------------------------------------------------------------------- the folder


def tile_key(path: str, villages_token: str) -> str:
    """The folder name of a workspace's tile set: its path, the villages' content token and :data:`TILE_FORMAT`."""
    text = f"{os.path.realpath(path)}\n{villages_token}\n{TILE_FORMAT}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def write_tiles(root: Path, key: str, table: gpd.GeoDataFrame, plan: TilePlan,
                progress: Callable[[float], None] | None = None) -> Path:
    """Write the tile set ``key`` under ``root`` (``root/key/z/x/y.pbf``) unless it is there; atomic: tiles are
    written to a temporary folder renamed into place (a browser never gets half a set; two writers: one wins)."""
    final = root / key
    if final.is_dir():
        return final
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root))
    try:
        made: set[tuple[int, int]] = set()
        for z, x, y, data in village_tiles(table, plan, progress):
            if (z, x) not in made:
                (tmp / str(z) / str(x)).mkdir(parents=True, exist_ok=True)
                made.add((z, x))
            (tmp / str(z) / str(x) / f"{y}.pbf").write_bytes(data)
        (tmp / "plan.json").write_text(js_json({"min_zoom": plan.min_zoom, "max_zoom": plan.max_zoom,
                                                "bounds": list(plan.bounds)}), encoding="utf-8")
        try:
            os.rename(tmp, final)
        except OSError:
            if not final.is_dir():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def read_plan(folder: Path) -> TilePlan:
    """The plan a tile set was written with (its ``plan.json``)."""
    d = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    return TilePlan(int(d["min_zoom"]), int(d["max_zoom"]), tuple(float(v) for v in d["bounds"]))  # type: ignore[arg-type]


def tiles_ready(root: Path, key: str) -> bool:
    """Whether the tile set ``key`` is complete under ``root`` (its folder appears whole: :func:`write_tiles`)."""
    return (root / key / "plan.json").is_file()


_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def ensure_tiles(root: Path, key: str, table: Callable[[], gpd.GeoDataFrame],
                 progress: Callable[[float], None] | None = None) -> TilePlan:
    """The plan of tile set ``key``, written first if it is not there (``table()`` gives the villages with their
    indicator columns). One writer per set in this process: a second caller (another session, the start-up
    warm-up) waits for the first and then reads its plan."""
    if not tiles_ready(root, key):
        with _LOCKS_GUARD:
            lock = _LOCKS.setdefault(key, threading.Lock())
        with lock:
            if not tiles_ready(root, key):
                villages = table()
                write_tiles(root, key, villages, tile_plan(villages), progress)
    return read_plan(root / key)


def prune_tiles(root: Path, keep: Sequence[str], *, max_sets: int = 6, min_age_s: float = 600.0) -> list[str]:
    """Delete old tile sets under ``root``: all but the ``max_sets`` newest, never one in ``keep`` nor one younger
    than ``min_age_s`` (a browser may still be drawing it). Returns the deleted keys."""
    if not root.is_dir():
        return []
    sets = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    gone: list[str] = []
    now = time.time()
    for p in sets[max_sets:]:
        if p.name in keep or now - p.stat().st_mtime < min_age_s:
            continue
        shutil.rmtree(p, ignore_errors=True)
        gone.append(p.name)
    return gone


def tile_url(key: str) -> str:
    """The URL template the browser asks tiles of set ``key`` under (Streamlit's static serving)."""
    return f"{APP_STATIC_URL}/{TILE_FOLDER}/{key}/{{z}}/{{x}}/{{y}}.pbf"


# --------------------------------------------------------------------------- the map layer


@dataclass(frozen=True)
class VectorTileSpec:
    """A village tile layer on a map, as plain escaped data: where the tiles are, the class of every village
    (:func:`class_string`), the class colours, and the popup's labels."""

    url: str
    min_zoom: int
    max_zoom: int
    classes: str
    colors: tuple[str, ...]
    no_data: str
    edge: str
    opacity: float
    name: str  # the layer control's name, HTML-escaped (the control renders it as HTML)
    value_prop: str  # the tile property of the chosen indicator (INDICATOR_PROPS)
    value_label: str  # plain text (the popup sets it with textContent), e.g. 贫困密度（户/km²）
    decimals: int
    name_label: str  # plain text
    code_label: str  # plain text
    hint: str  # plain text: "click to open its town"


class VectorTileLayer(folium.map.Layer):
    """The villages drawn from vector tiles by ``L.bangfuTiles`` (:data:`TILES_JS`, extending Leaflet.VectorGrid's
    protobuf layer): each tile parsed and painted in a Web Worker on an OffscreenCanvas (on the main thread in 8 ms
    slices where there is none), one fill per class colour from the class string, borders from zoom 9 on. New tiles
    are fetched once a zoom or pan has ended (not during its animation). A click opens a popup (name, code, the indicator's value: text set
    with ``textContent``, never HTML) and returns the village to the app as streamlit-folium's
    ``last_active_drawing`` (properties ``c`` = code, ``vt`` = 1; no geometry)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var s = {{ this.spec_json }};
            var layer = L.bangfuTiles(s.url, {
                interactive: true, pane: "overlayPane",
                maxNativeZoom: s.max_zoom, minNativeZoom: s.min_zoom, maxZoom: 19,
                updateWhenZooming: false, updateWhenIdle: true,  /* tiles are parsed after a zoom or pan, not in it */
                classes: s.classes, colors: s.colors, noData: s.no_data, fillOpacity: s.opacity, edge: s.edge
            });
            layer.on("click", function (e) {
                var p = (e.layer && e.layer.properties) || {};
                e.layer.toGeoJSON = function () {
                    return {type: "Feature", properties: {c: String(p.c || ""), vt: 1}, geometry: null};
                };
                var box = document.createElement("table"), v = p[s.value_prop];
                box.className = "bangfu-tip";
                [[s.name_label, p.n], [s.code_label, p.c],
                 [s.value_label, (typeof v === "number") ? v.toLocaleString("zh-CN",
                     {minimumFractionDigits: s.decimals, maximumFractionDigits: s.decimals}) : "—"]
                ].forEach(function (row) {
                    var tr = document.createElement("tr"), th = document.createElement("th"),
                        td = document.createElement("td");
                    th.textContent = row[0]; td.textContent = (row[1] === undefined || row[1] === null) ? "—" : row[1];
                    tr.appendChild(th); tr.appendChild(td); box.appendChild(tr);
                });
                var wrap = document.createElement("div"), hint = document.createElement("div");
                hint.textContent = s.hint; hint.style.cssText = "color:#555;font-size:11px;margin-top:3px";
                wrap.appendChild(box); wrap.appendChild(hint);
                L.popup({autoPan: false}).setLatLng(e.latlng).setContent(wrap).openOn({{ this._parent.get_name() }});
            });
            return layer;
        })();
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, spec: VectorTileSpec) -> None:
        super().__init__(name=spec.name, overlay=True, control=True, show=True)
        self._name = "VectorTileLayer"
        self.spec = spec
        self.layer_name = LAYER
        self.spec_json = js_json({k: getattr(spec, k) for k in spec.__dataclass_fields__})
