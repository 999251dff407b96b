"""Find towns, villages, roads, projects, enterprises and tourism sites by name, code or pinyin initials.

Pure functions, no Streamlit. :func:`build_index` turns the workspace layers into :class:`Entry` rows (each with
its geometry in lon/lat, for zooming to and highlighting it); :func:`search` ranks the entries that match a query:

* the query is compared case-insensitively after Unicode NFKC folding (full-width letters and digits match);
* an entry matches when the query is a part of its name, of its code (village code, road id…), or of the pinyin
  initials of its name (``csz`` → 赤水镇; with :mod:`pypinyin`, when it is installed);
* best first: exact name or code, then a name or code that starts with the query, then a part of the name or
  code, then the initials (starting with, then containing); ties by kind (:data:`SEARCH_KINDS`), shorter name,
  name, code.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely

from bangfu.core.vocab import PROJECT_TYPE, ROAD_STATUS, SITE_TYPE

__all__ = ["SEARCH_KINDS", "Entry", "build_index", "road_labels", "search", "find", "initials", "fold", "match_rank"]

#: What can be searched, in the order ties are listed (label key ``search.kind.<kind>``).
SEARCH_KINDS: tuple[str, ...] = ("town", "village", "road", "project", "enterprise", "site")


@dataclass(frozen=True)
class Entry:
    """One thing that can be found: its kind, code (the key of its layer), name, a line of context (town, village,
    status, length…), the pinyin initials of its name and its geometry in lon/lat (EPSG:4326)."""

    kind: str
    key: str
    name: str
    detail: str
    initials: str
    geometry: shapely.Geometry

    @property
    def ref(self) -> tuple[str, str]:
        """(kind, key): what identifies the entry across reruns."""
        return self.kind, self.key

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) in lon/lat."""
        return tuple(float(v) for v in self.geometry.bounds)  # type: ignore[return-value]


def fold(text: object) -> str:
    """Text as compared: NFKC (full-width → half-width), case-folded, outer spaces removed; '' for missing."""
    if text is None or (isinstance(text, float) and text != text) or text is pd.NA:
        return ""
    return unicodedata.normalize("NFKC", str(text)).casefold().strip()


@functools.lru_cache(maxsize=65536)
def initials(text: str) -> str:
    """The pinyin initials of the Chinese characters of ``text`` (other letters and digits kept, lower case):
    '赤水镇高山村' → 'cszgsc'; '' when :mod:`pypinyin` is not installed.

    Exactly what ``lazy_pinyin(text, style=FIRST_LETTER)`` gives (its phrase dictionary decides the reading of a
    character in a known word), computed per segment of pypinyin's own word segmentation and remembered per segment
    (:func:`_segment_initials`): the 62,000 names of a province share under 3,000 segments, so the province's search
    index is built in 2.3 s instead of 6.0 s (tests/test_map_search.py compares the two on every official Liaoning
    name and on random text)."""
    try:
        from pypinyin.seg.simpleseg import seg
    except ImportError:  # the bonus is optional: names and codes still match
        return ""
    return fold("".join(_segment_initials(s) for s in seg(str(text))))


@functools.lru_cache(maxsize=65536)
def _segment_initials(segment: str) -> str:
    """The kept initials (letters and digits) of one segment of :func:`pypinyin.seg.simpleseg.seg`."""
    from pypinyin import Style, lazy_pinyin

    parts = lazy_pinyin(segment, style=Style.FIRST_LETTER, errors=lambda chars: chars)
    return "".join(p for p in parts if p.isalnum())


def match_rank(entry: Entry, query: str) -> int | None:
    """How well ``entry`` matches the folded ``query`` (0 best), None when it does not match (see the module)."""
    if not query:
        return None
    name, code = fold(entry.name), fold(entry.key)
    if query in (name, code):
        return 0
    if name.startswith(query) or code.startswith(query):
        return 1
    if query in name or query in code:
        return 2
    if entry.initials.startswith(query):
        return 3
    if query in entry.initials:
        return 4
    return None


def search(index: Sequence[Entry], query: str, *, kinds: Iterable[str] | None = None, limit: int = 30) -> list[Entry]:
    """The entries of ``index`` matching ``query``, best first, at most ``limit``; only ``kinds`` when given."""
    q = fold(query)
    wanted = set(SEARCH_KINDS if kinds is None else kinds)
    scored = [(r, e) for e in index if e.kind in wanted and (r := match_rank(e, q)) is not None]
    scored.sort(key=lambda re: (re[0], SEARCH_KINDS.index(re[1].kind), len(re[1].name), re[1].name, re[1].key))
    return [e for _, e in scored[:limit]]


def find(index: Sequence[Entry], kind: str, key: str) -> Entry | None:
    """The entry of ``kind`` with code ``key``, or None."""
    return next((e for e in index if e.kind == kind and e.key == str(key)), None)


def _lonlat(frame: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    if frame is None or len(frame) == 0 or not isinstance(frame, gpd.GeoDataFrame):
        return None
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        return frame.to_crs("EPSG:4326")
    return frame


def _text(v: object) -> str:
    return "" if fold(v) == "" else str(v)


def _lengths_km(roads: gpd.GeoDataFrame) -> list[float]:
    from bangfu.geo.proximity import to_metric

    (metric,) = to_metric(roads)
    return [float(x) / 1000.0 for x in metric.geometry.length]


_SEP = " · "


def _entries(kind: str, keys: Iterable[object], names: Iterable[object], details: Iterable[str],
             geoms: Iterable[shapely.Geometry | None]) -> list[Entry]:
    return [Entry(kind, str(k), _text(n), d, initials(_text(n)), g)
            for k, n, d, g in zip(keys, names, details, geoms) if g is not None and not g.is_empty]


def _road_details(r: gpd.GeoDataFrame, vname: dict[str, str], lang: str) -> list[str]:
    """A road's context line: its village, status and length (km, measured in a metric CRS)."""
    return [_SEP.join(x for x in (vname.get(str(vc), ""), ROAD_STATUS.label(str(s), lang), f"{km:,.2f} km") if x)
            for vc, s, km in zip(r["village_code"], r["status"], _lengths_km(r))]


def _road_entries(roads: gpd.GeoDataFrame | None, vname: dict[str, str], lang: str) -> list[Entry]:
    r = _lonlat(roads)
    if r is None:
        return []
    return _entries("road", r["road_id"], r["name"], _road_details(r, vname, lang), r.geometry)


def road_labels(roads: gpd.GeoDataFrame, villages: pd.DataFrame, *, lang: str = "zh") -> dict[str, str]:
    """``name · village · status · length · road_id`` per road id: the roads' entries of :func:`build_index`
    as one line, for a list of roads (without building the index, its pinyin initials, of the whole workspace)."""
    r = _lonlat(roads)
    if r is None:
        return {}
    vname = dict(zip(villages["village_code"].astype(str), villages["village_name"].map(_text)))
    return {str(k): f"{_text(n)} · {d} · {k}" for k, n, d, g in zip(r["road_id"], r["name"], _road_details(r, vname, lang),
                                                                      r.geometry) if g is not None and not g.is_empty}


def build_index(
    villages: gpd.GeoDataFrame,
    *,
    roads: gpd.GeoDataFrame | None = None,
    projects: gpd.GeoDataFrame | None = None,
    enterprises: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
    lang: str = "zh",
) -> tuple[Entry, ...]:
    """Every town (dissolved from its villages), village, road, project, enterprise and tourism site as an entry.

    Context lines: a village's town; a road's village, status and length (km, measured in a metric CRS), which
    tells apart roads of the same name; a project's village and type; a site's village and type."""
    v = _lonlat(villages)
    if v is None:
        return ()
    sep = _SEP
    vname = dict(zip(v["village_code"].astype(str), v["village_name"].map(_text)))
    out: list[Entry] = []
    towns = v.dissolve(by="town_code", aggfunc="first", as_index=False)
    out += _entries("town", towns["town_code"], towns["town_name"], [_text(c) for c in towns["county_name"]]
                    if "county_name" in towns else [""] * len(towns), towns.geometry)
    out += _entries("village", v["village_code"], v["village_name"], [_text(n) for n in v["town_name"]], v.geometry)
    out += _road_entries(roads, vname, lang)
    p = _lonlat(projects)
    if p is not None:
        details = [sep.join(x for x in (vname.get(str(vc), ""), PROJECT_TYPE.label(str(ty), lang)) if x)
                   for vc, ty in zip(p["village_code"], p["project_type"])]
        out += _entries("project", p["project_id"], p["name"], details, p.geometry)
    e = _lonlat(enterprises)
    if e is not None:
        out += _entries("enterprise", e["enterprise_id"], e["name"], [_text(i) for i in e["industry"]], e.geometry)
    s = _lonlat(sites)
    if s is not None:
        details = [sep.join(x for x in (vname.get(str(vc), ""), SITE_TYPE.label(str(ty), lang)) if x)
                   for vc, ty in zip(s["village_code"], s["site_type"])]
        out += _entries("site", s["site_id"], s["name"], details, s.geometry)
    return tuple(out)
