"""Coordinate systems of imported files: the options a user may declare, detection, and sanity checks.

Conversions themselves live in :mod:`bangfu.geo.crs` (GCJ-02/BD-09) and PROJ (EPSG codes). This
module decides *which* conversion applies: the CRS a file declares (``.prj``, GeoPackage, GeoJSON
``crs``), a guess from the coordinate ranges (lon/lat, CGCS2000 Gauss–Krüger 3° zones with or
without the zone prefix), and two checks: coordinates given as (lat, lon), and points that fall
outside the county or sit ~300–600 m off as GCJ-02/BD-09 coordinates do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from bangfu.geo.crs import convert_gdf, convert_geometry, in_china


@dataclass(frozen=True)
class CrsOption:
    """A coordinate system the user can declare: an EPSG code (PROJ) or a custom datum (GCJ-02/BD-09)."""

    key: str
    zh: str
    en: str
    epsg: int | None = None
    custom: str | None = None  # "gcj02" / "bd09"


def _gk_options() -> list[CrsOption]:
    out = []
    for code in range(4513, 4534):  # 3° zones 25–45 with the zone number prefixed to the easting
        zone = code - 4513 + 25
        out.append(CrsOption(f"epsg:{code}", f"CGCS2000 高斯-克吕格3度带 第{zone}带（坐标带带号，中央经线{zone * 3}°E）",
                             f"CGCS2000 / 3-degree GK zone {zone}", epsg=code))
    for code in range(4534, 4555):  # same zones, easting without the prefix
        cm = 75 + (code - 4534) * 3
        out.append(CrsOption(f"epsg:{code}", f"CGCS2000 高斯-克吕格3度带 中央经线{cm}°E（坐标不带带号）",
                             f"CGCS2000 / 3-degree GK CM {cm}E", epsg=code))
    return out


CRS_OPTIONS: dict[str, CrsOption] = {
    o.key: o
    for o in [
        CrsOption("wgs84", "WGS-84 经纬度（GPS、天地图，EPSG:4326）", "WGS-84 lon/lat (EPSG:4326)", epsg=4326),
        CrsOption("cgcs2000", "CGCS2000 经纬度（国家2000，EPSG:4490）", "CGCS2000 lon/lat (EPSG:4490)", epsg=4490),
        CrsOption("gcj02", "GCJ-02 火星坐标（高德、腾讯地图）", "GCJ-02 (Amap, Tencent)", custom="gcj02"),
        CrsOption("bd09", "BD-09 百度坐标（百度地图）", "BD-09 (Baidu)", custom="bd09"),
        *_gk_options(),
    ]
}

_ALIASES = {"4326": "wgs84", "epsg:4326": "wgs84", "wgs-84": "wgs84", "gps": "wgs84", "4490": "cgcs2000",
            "epsg:4490": "cgcs2000", "cgcs": "cgcs2000", "gcj": "gcj02", "gcj-02": "gcj02", "amap": "gcj02",
            "bd": "bd09", "bd-09": "bd09", "baidu": "bd09"}


def parse_crs(text: str) -> str:
    """A user-declared CRS name → option key (ValueError listing the allowed ones)."""
    key = text.strip().lower().replace(" ", "")
    key = _ALIASES.get(key, key)
    if key.isdigit():
        key = f"epsg:{key}"
    if key in CRS_OPTIONS:
        return key
    raise ValueError(
        f"unknown coordinate system {text!r}; allowed: wgs84 (4326), cgcs2000 (4490), gcj02, bd09, "
        "EPSG:4513–4554 (CGCS2000 Gauss–Krüger 3° zones)"
    )


def crs_label(key: str, lang: str = "zh") -> str:
    """Label of an option key, or of a file-declared CRS (``file:EPSG:32649``)."""
    if key.startswith("file:"):
        return ("文件声明：" if lang == "zh" else "declared by the file: ") + key[5:]
    o = CRS_OPTIONS[key]
    return o.zh if lang == "zh" else o.en


def file_crs_key(crs: Any) -> str | None:
    """Key for a CRS a file declares (``None`` when it declares none)."""
    if crs is None:
        return None
    c = pyproj.CRS.from_user_input(crs)
    epsg = c.to_epsg()
    if epsg == 4326:
        return "wgs84"
    if epsg == 4490:
        return "cgcs2000"
    if epsg is not None and 4513 <= epsg <= 4554:
        return f"epsg:{epsg}"
    return "file:" + (f"EPSG:{epsg}" if epsg else c.to_string())


def to_wgs84(gdf: gpd.GeoDataFrame, key: str) -> gpd.GeoDataFrame:
    """The frame's geometry in EPSG:4326 from the declared or detected CRS ``key``."""
    if key.startswith("file:"):
        return gdf.set_crs(key[5:], allow_override=True).to_crs("EPSG:4326")
    o = CRS_OPTIONS[key]
    if o.custom:
        return convert_gdf(gdf.set_crs("EPSG:4326", allow_override=True), o.custom, "wgs84")  # type: ignore[arg-type]
    out = gdf.set_crs(f"EPSG:{o.epsg}", allow_override=True)
    return out if o.epsg == 4326 else out.to_crs("EPSG:4326")


@dataclass(frozen=True)
class CrsGuess:
    """A CRS guessed from coordinate ranges (``key`` None when unknown) and why."""

    key: str | None
    reason_zh: str


def guess_from_bounds(bounds: tuple[float, float, float, float], *, reference_lon: float | None = None) -> CrsGuess:
    """Guess the CRS of coordinates with no declaration: lon/lat, or a CGCS2000 3° Gauss–Krüger zone."""
    minx, miny, maxx, maxy = bounds
    if -180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90:
        return CrsGuess("wgs84", "坐标是经纬度；如果来自高德/腾讯请选 GCJ-02，来自百度请选 BD-09")
    if -90 <= minx and maxx <= 90 and -180 <= miny and maxy <= 180:
        return CrsGuess("wgs84", "坐标像是经纬度，但顺序可能是（纬度，经度）")
    if 1e6 <= miny and maxy <= 6.5e6:
        if 25e6 <= minx and maxx < 46e6 and int(minx // 1e6) == int(maxx // 1e6):
            zone = int(minx // 1e6)
            return CrsGuess(f"epsg:{4513 + zone - 25}", f"坐标是带带号的3度带平面坐标（第{zone}带）")
        if 0 < minx and maxx < 1e6:
            if reference_lon is not None:
                cm = int(round(reference_lon / 3.0) * 3)
                if 75 <= cm <= 135:
                    return CrsGuess(f"epsg:{4534 + (cm - 75) // 3}",
                                    f"坐标是不带带号的平面坐标，按本县位置推断为中央经线{cm}°E的3度带，请核对")
            return CrsGuess(None, "坐标是不带带号的平面坐标，无法判断中央经线，请选择坐标系")
    return CrsGuess(None, "无法从坐标范围判断坐标系，请选择")


# --------------------------------------------------------------------------- sanity checks


def _sample_points(geoms: np.ndarray, limit: int = 5000) -> np.ndarray:
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    g = geoms[ok]
    if len(g) > limit:
        g = g[:: int(np.ceil(len(g) / limit))]
    return shapely.point_on_surface(g) if len(g) else g


def looks_swapped(geoms: np.ndarray) -> bool:
    """True when most coordinates read as (lat, lon): they fall in China only after swapping x and y."""
    pts = _sample_points(np.asarray(geoms, dtype=object), 2000)
    if not len(pts):
        return False
    x, y = shapely.get_x(pts), shapely.get_y(pts)
    as_is = in_china(x, y).mean()
    swapped = in_china(y, x).mean()
    return bool(swapped > 0.5 and as_is < 0.5)


@dataclass(frozen=True)
class OffsetDiagnosis:
    """Share of sample points inside a village as declared and after each datum conversion."""

    inside: dict[str, float]
    outside_county: int
    sampled: int
    suggestion: str | None  # "gcj02" / "bd09" when that conversion fits markedly better

    def message_zh(self) -> str | None:
        if self.suggestion is None:
            return None
        name = {"gcj02": "GCJ-02（高德/腾讯）", "bd09": "BD-09（百度）"}[self.suggestion]
        return (
            f"坐标疑似为 {name} 坐标：按当前坐标系只有 {self.inside['declared']:.0%} 的点落在村界内，"
            f"按 {name} 转换后有 {self.inside[self.suggestion]:.0%}。请在“坐标系”中选择 {name}。"
        )


def offset_diagnosis(
    geoms_wgs84: np.ndarray,
    villages: gpd.GeoDataFrame,
    *,
    declared: str,
    min_gain: float = 0.2,
) -> OffsetDiagnosis:
    """Compare how many points fall inside villages as declared vs. as if they were GCJ-02 or BD-09.

    ``geoms_wgs84`` is the import already converted with the declared CRS. If re-reading the
    (declared-as-WGS-84) coordinates as GCJ-02 or BD-09 raises the share inside villages by at
    least ``min_gain``, or by half of that while fixing at least half of the misses, that datum
    is suggested. Also counts points outside
    the county (the villages' bounding box grown by about 2 km).
    """
    pts = _sample_points(np.asarray(geoms_wgs84, dtype=object))
    inside: dict[str, float] = {}
    if not len(pts) or villages is None or villages.empty:
        return OffsetDiagnosis({"declared": float("nan")}, 0, len(pts), None)
    tree = shapely.STRtree(villages.geometry.values)

    def share(p: np.ndarray) -> float:
        hit, _ = tree.query(p, predicate="intersects")
        return float(len(np.unique(hit)) / len(p))

    inside["declared"] = share(pts)
    suggestion = None
    if declared in ("wgs84", "cgcs2000") or declared.startswith("epsg:"):
        for alt in ("gcj02", "bd09"):
            inside[alt] = share(convert_geometry(pts, alt, "wgs84"))
        best = max(("gcj02", "bd09"), key=lambda k: inside[k])
        gain = inside[best] - inside["declared"]
        halved = (1 - inside[best]) <= 0.5 * (1 - inside["declared"])  # at least half of the misses fixed
        if gain >= min_gain or (gain >= min_gain / 2 and halved):
            suggestion = best
    minx, miny, maxx, maxy = villages.total_bounds
    pad = 0.02
    x, y = shapely.get_x(pts), shapely.get_y(pts)
    outside = int(((x < minx - pad) | (x > maxx + pad) | (y < miny - pad) | (y > maxy + pad)).sum())
    return OffsetDiagnosis(inside, outside, len(pts), suggestion)


# --------------------------------------------------------------------------- declared CRS vs coordinate values


def _lonlat_range(bounds: tuple[float, float, float, float]) -> bool:
    minx, miny, maxx, maxy = bounds
    return -180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90


#: Eastings a 3° Gauss–Krüger zone can hold (false easting 500 km; China reaches at most ~200 km from a
#: central meridian at its southern edge, so 200–800 km leaves a generous margin).
GK_EASTING = (200_000.0, 800_000.0)
GK_NORTHING = (0.0, 7_000_000.0)


def _gk_zone(key: str) -> tuple[int | None, int] | None:
    """(zone number when the easting carries it, central meridian) of a CGCS2000 GK option key, else None."""
    o = CRS_OPTIONS.get(key)
    if o is None or o.epsg is None or not 4513 <= o.epsg <= 4554:
        return None
    if o.epsg <= 4533:
        zone = o.epsg - 4513 + 25
        return zone, zone * 3
    return None, 75 + (o.epsg - 4534) * 3


@dataclass(frozen=True)
class CrsConflict:
    """A declared CRS that the coordinate values contradict: the message, a suggestion and the values."""

    message_zh: str
    message_en: str
    hint_zh: str
    value: str


def crs_conflict(key: str, bounds: tuple[float, float, float, float] | None, *,
                 reference_lon: float | None = None) -> CrsConflict | None:
    """Check the declared CRS ``key`` against the coordinate ``bounds`` (as in the file); None when they agree.

    * a projected CRS (EPSG:3857, a Gauss–Krüger zone, UTM…) with every coordinate within lon/lat
      ranges: the values are degrees, so the declaration is wrong (suggest EPSG:4490/4326);
    * a CGCS2000 Gauss–Krüger zone whose easting range (with or without the zone prefix) the
      coordinates leave: another zone, or the prefix added/missing (suggest what the values fit).
    Geographic declarations with projected values are reported by the import itself.
    """
    if bounds is None or not all(np.isfinite(bounds)):
        return None
    value = f"{bounds[0]:.6g},{bounds[1]:.6g} … {bounds[2]:.6g},{bounds[3]:.6g}"
    label = crs_label(key)
    geographic = key in ("wgs84", "cgcs2000", "gcj02", "bd09")
    if key.startswith("file:"):
        try:
            geographic = bool(pyproj.CRS.from_user_input(key[5:]).is_geographic)
        except pyproj.exceptions.CRSError:
            return None
    if not geographic and _lonlat_range(bounds):
        return CrsConflict(
            f"声明的坐标系是投影（平面）坐标（{label}），但所有坐标值都在经纬度范围内：坐标实际是经纬度，"
            "按声明转换会把位置移到几千公里之外。",
            f"the declared CRS ({label}) is projected but every coordinate is within lon/lat ranges",
            "把坐标系改为 CGCS2000 经纬度（EPSG:4490）或 WGS-84（EPSG:4326），或修正文件的 .prj。", value)
    zone = _gk_zone(key)
    if zone is None:
        return None
    number, cm = zone
    offset = (number or 0) * 1_000_000.0
    lo, hi = offset + GK_EASTING[0], offset + GK_EASTING[1]
    if lo <= bounds[0] and bounds[2] <= hi and GK_NORTHING[0] <= bounds[1] and bounds[3] <= GK_NORTHING[1]:
        return None
    fit = guess_from_bounds(bounds, reference_lon=reference_lon)
    better = f"坐标值更像：{crs_label(fit.key)}。" if fit.key and fit.key != key else ""
    return CrsConflict(
        f"坐标值不在声明的坐标系（{label}）的范围内：东坐标应在 {lo:,.0f}–{hi:,.0f} 米之间"
        f"（中央经线 {cm}°E{'，带带号' if number else '，不带带号'}）。{better}",
        f"coordinates outside the easting range of {label}",
        "核对坐标系：带号（东坐标前两位）与投影带是否一致，是否多了或少了带号。", value)
