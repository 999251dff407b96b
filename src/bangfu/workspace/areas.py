"""Areas (the county, a town): which rows of every layer belong to an area — the app's one area filter.

Every page, the briefing and the CLI take an area's slice of a layer from here; no other module
filters by town. The rule per layer is one row of :data:`AREA_RULES` (see docs/areas.md):

========================================  ===============================================================
layer                                     belongs to an area …
========================================  ===============================================================
villages                                  by its own code (``town_code`` / ``county_code``: the first 9 / 6
                                          digits of the 12-digit village code)
roads                                     by its pieces inside the area: every road is split at village
                                          borders (:func:`bangfu.geo.overlay.road_pieces`); the area's road
                                          km are the pieces in its villages, and a road belongs to every area
                                          holding one of its pieces
households, tourism_sites, enterprises    by where they lie (:func:`bangfu.geo.overlay.locate_points`); a
                                          point outside every village keeps its recorded ``village_code``
                                          (enterprises have none: they then belong to no town)
projects, pairings                        by their village (``village_code``): a pairing is a record of one
                                          village; a project is one budget item of one village (planning's
                                          "at least k per town" counts it there; a line or polygon project
                                          cannot be split like a road's length)
road_progress, pairing_history            by their road / pairing
other tables with a ``village_code``      by that village (:meth:`AreaLayers.restrict`: a portfolio, a list)
========================================  ===============================================================

The area holding every village of the workspace (the county of a one-county workspace, the sidebar's
"全市（县）") is the whole workspace: every row belongs to it, also points outside every village.

Levels are the table :data:`LEVELS` (province, city, county, town): an area's code is the prefix of
its villages' 12-digit codes (2, 4, 6 or 9 digits); names come from the villages layer (county,
town) or the official code list shipped with the package (province, city; :func:`official_names`).
Where names repeat (seven towns are called 站前街道) :func:`area_label` adds the parents:
"站前街道 · 铁西区 · 鞍山市". See docs/areas.md.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal
from collections.abc import Callable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.errors
from numpy.typing import NDArray

from bangfu.core.errors import BangfuError
from bangfu.core.resources import SOURCES_DIR
from bangfu.geo.overlay import locate_points, road_pieces

__all__ = [
    "Level", "LEVELS", "Area", "AreaError", "whole_area", "town_area", "area_for", "town_areas",
    "official_names", "level_of", "level_areas", "area_by_code", "parents", "area_label", "area_title", "area_labels", "unit_polygons",
    "RuleKind", "Rule", "AREA_RULES", "PIECES", "get_rule", "row_villages", "village_codes", "in_area",
    "area_slice", "area_pieces", "AreaLayers",
]


# --------------------------------------------------------------------------- levels and areas


@dataclass(frozen=True)
class Level:
    """An administrative level: its code is the first ``digits`` digits of a 12-digit village code."""

    key: str
    digits: int
    code_column: str  # column of the villages layer holding the code (the prefix is used when absent)
    name_column: str


#: The levels, largest first (village, 12 digits, can be added as a row).
LEVELS: tuple[Level, ...] = (
    Level("province", 2, "province_code", "province_name"),
    Level("city", 4, "city_code", "city_name"),
    Level("county", 6, "county_code", "county_name"),
    Level("town", 9, "town_code", "town_name"),
)


@functools.cache
def official_names() -> Mapping[str, str]:
    """Code → name of every province, city, county and town of the official code list (package data)."""
    df = pd.read_csv(SOURCES_DIR / "villages_liaoning_kaiping.csv", dtype=str, keep_default_na=False)
    out: dict[str, str] = {}
    for level in LEVELS:
        if {level.code_column, level.name_column} <= set(df.columns):
            pairs = df[[level.code_column, level.name_column]].drop_duplicates(level.code_column)
            out.update(zip(pairs[level.code_column], pairs[level.name_column]))
    return MappingProxyType(out)


def level_of(code: str) -> Level:
    """The level of an area code by its number of digits (2, 4, 6 or 9)."""
    for level in LEVELS:
        if len(code) == level.digits:
            return level
    raise ValueError(f"area code {code!r} has {len(code)} digits; levels: "
                     + ", ".join(f"{lv.key} {lv.digits}" for lv in LEVELS))


def _level(key: str) -> Level:
    for level in LEVELS:
        if level.key == key:
            return level
    raise ValueError(f"unknown area level {key!r}; levels: {', '.join(lv.key for lv in LEVELS)}")


class AreaError(BangfuError, ValueError):
    """An area that the workspace does not hold (e.g. an unknown town code)."""


@dataclass(frozen=True)
class Area:
    """An area of one level: its code and name. ``code == ""`` is the whole workspace (see :func:`whole_area`)."""

    level: str
    code: str
    name: str

    def __post_init__(self) -> None:
        _level(self.level)

    @property
    def spec(self) -> Level:
        return _level(self.level)

    @property
    def town_code(self) -> str | None:
        """The town code when this is a town, else None (for APIs keyed by town)."""
        return self.code if self.level == "town" else None

    @property
    def town_name(self) -> str | None:
        return self.name if self.level == "town" else None

    def village_mask(self, villages: pd.DataFrame) -> NDArray[np.bool_]:
        """Which rows of ``villages`` (any frame with ``village_code`` or the level's code column) lie in the area."""
        if not self.code:
            return np.ones(len(villages), dtype=bool)
        spec = self.spec
        if spec.code_column in villages.columns:
            codes = villages[spec.code_column].astype(str)
        else:
            codes = villages["village_code"].astype(str).str[: spec.digits]
        return np.asarray(codes == self.code, dtype=bool)

    def holds_all(self, villages: pd.DataFrame) -> bool:
        """True when every village of ``villages`` lies in the area (the whole workspace)."""
        return bool(self.village_mask(villages).all())


def whole_area(villages: pd.DataFrame) -> Area:
    """The whole workspace as an area: its county; with several counties the smallest city or province
    holding them all (named from the official list), else code ``""`` and the county names."""
    if villages.empty:
        return Area("county", "", "")
    codes = villages["county_code"].astype(str).unique() if "county_code" in villages.columns else []
    names = villages["county_name"].astype(str).unique() if "county_name" in villages.columns else [""]
    if len(codes) == 1:
        return Area("county", str(codes[0]), str(names[0]))
    vcodes = villages["village_code"].astype(str)
    for level in ("city", "province"):
        spec = _level(level)
        prefixes = vcodes.str[: spec.digits].unique()
        if len(prefixes) == 1 and prefixes[0] in official_names():
            return Area(level, str(prefixes[0]), official_names()[prefixes[0]])
    return Area("county", "", "、".join(map(str, names)))


def level_areas(villages: pd.DataFrame, level: str) -> list[Area]:
    """Every area of ``level`` holding villages of the workspace, by code (names from the layer, else the official list)."""
    spec = _level(level)
    if villages.empty:
        return []
    codes = villages["village_code"].astype(str).str[: spec.digits]
    if spec.name_column in villages.columns:
        names = villages[spec.name_column].astype(str)
    else:
        names = codes.map(lambda c: official_names().get(c, c))
    pairs = pd.DataFrame({"code": codes, "name": names}).drop_duplicates("code").sort_values("code")
    return [Area(level, c, n) for c, n in pairs.itertuples(index=False)]


def area_by_code(villages: pd.DataFrame, code: str) -> Area:
    """The area ``code`` (2, 4, 6 or 9 digits) of the workspace; :class:`AreaError` when it holds none of its villages."""
    try:
        level = level_of(str(code))
    except ValueError:
        level = None
    found = [a for a in level_areas(villages, level.key) if a.code == str(code)] if level else []
    if not found:
        raise AreaError(
            f"工作空间中没有区划代码为 {code!r} 的地区",
            f"the workspace holds no area with code {code!r}",
            hint_zh="地区代码为村代码的前 2（省）、4（市）、6（县）或 9（镇街）位。",
            hint_en="An area code is the first 2 (province), 4 (city), 6 (county) or 9 (town) digits of a village code.",
        )
    return found[0]


def parents(area: Area, villages: pd.DataFrame) -> list[Area]:
    """The areas above ``area`` (nearest first, up to the city), each holding some village of the workspace."""
    if not area.code:
        return []
    out: list[Area] = []
    for level in reversed(LEVELS):
        if level.digits < len(area.code) and level.key in ("county", "city"):
            prefix = area.code[: level.digits]
            out.extend(a for a in level_areas(villages, level.key) if a.code == prefix)
    return out


def area_label(area: Area, villages: pd.DataFrame, *, sep: str = " · ") -> str:
    """The area's name, followed by its county and city when another area of its level has the same name
    (站前街道 · 铁西区 · 鞍山市); just the name when it is unique (see :func:`area_labels`)."""
    if not area.code:
        return area.name
    return area_labels(villages, area.level, sep=sep).get(area.code, area.name)


def area_title(area: Area, villages: pd.DataFrame) -> str:
    """The area's name for a title, led by its city and county below the whole workspace's own level:
    开平市赤水镇 (a town of a one-county workspace), 鞍山市铁东区站前街道, 鞍山市 or 辽宁省 (the whole province)."""
    whole = whole_area(villages)
    if not area.code or area.holds_all(villages):
        return whole.name if whole.code else area.name
    chain = [p for p in reversed(parents(area, villages)) if p.spec.digits >= len(whole.code)]
    return "".join([*(p.name for p in chain), area.name])


def area_labels(villages: pd.DataFrame, level: str, *, sep: str = " · ") -> dict[str, str]:
    """Code → :func:`area_label` of every area of ``level``, in one pass (a few groupbys, also for 1,406 towns)."""
    units = level_areas(villages, level)
    counts = pd.Series([a.name for a in units]).value_counts()
    spec = _level(level)
    above = [lv for lv in reversed(LEVELS) if lv.key in ("county", "city") and lv.digits < spec.digits]
    names = {lv.key: {a.code: a.name for a in level_areas(villages, lv.key)} for lv in above} if (counts > 1).any() else {}
    out: dict[str, str] = {}
    for a in units:
        if counts[a.name] > 1:
            chain = [names[lv.key].get(a.code[: lv.digits]) for lv in above]
            out[a.code] = sep.join([a.name, *(n for n in chain if n)])
        else:
            out[a.code] = a.name
    return out


def town_area(villages: pd.DataFrame, code: str) -> Area:
    """The town ``code`` of the workspace; :class:`AreaError` (listing the towns) when there is none."""
    rows = villages[villages["town_code"].astype(str) == str(code)]
    if rows.empty:
        known = ", ".join(sorted(villages["town_code"].astype(str).unique())[:20])
        raise AreaError(
            f"工作空间中没有镇街代码 {code!r}；现有镇街：{known}",
            f"unknown town_code {code!r}; towns in this workspace: {known}",
            hint_zh="镇街代码为 9 位数字（村代码的前 9 位）。",
            hint_en="A town code has 9 digits (the first 9 of its villages' codes).",
        )
    return Area("town", str(code), str(rows["town_name"].iloc[0]))


def area_for(villages: pd.DataFrame, town_code: str | None) -> Area:
    """The town ``town_code``, or the whole workspace when it is None or empty (any area code of
    :func:`area_by_code` works too: a 9-digit code is a town as before)."""
    if not town_code:
        return whole_area(villages)
    if len(str(town_code)) == 9:
        return town_area(villages, town_code)
    return area_by_code(villages, town_code)


def town_areas(villages: pd.DataFrame) -> list[Area]:
    """Every town of the workspace, by code."""
    towns = villages[["town_code", "town_name"]].astype(str).drop_duplicates("town_code").sort_values("town_code")
    return [Area("town", code, name) for code, name in towns.itertuples(index=False)]


def unit_polygons(villages: gpd.GeoDataFrame, level: str) -> gpd.GeoDataFrame:
    """The villages dissolved into the areas of ``level``: one row per area (``code``, ``name``, ``label`` with
    parents where names repeat, ``villages``) with the union of its villages' polygons — the units of a
    choropleth one level below the chosen area. A coverage union where the villages form a valid coverage
    (the province build; fast), else a plain union."""
    spec = _level(level)
    codes = villages["village_code"].astype(str).str[: spec.digits].to_numpy()
    labels = area_labels(villages, level)
    geoms = villages.geometry.values
    rows, out = [], []
    for unit in level_areas(villages, level):
        mine = geoms[codes == unit.code]
        try:
            shape = shapely.coverage_union_all(mine)
        except shapely.errors.GEOSException:
            shape = shapely.union_all(mine)
        rows.append({"code": unit.code, "name": unit.name, "label": labels[unit.code], "villages": len(mine)})
        out.append(shape)
    return gpd.GeoDataFrame(rows, geometry=out, crs=villages.crs) if rows else gpd.GeoDataFrame(
        {"code": [], "name": [], "label": [], "villages": []}, geometry=[], crs=villages.crs)


# --------------------------------------------------------------------------- rules per layer

RuleKind = Literal["code", "pieces", "location", "record", "parent"]


@dataclass(frozen=True)
class Rule:
    """How the rows of a layer belong to an area (see the module docstring)."""

    kind: RuleKind
    parent: str | None = None  # kind "parent": the layer whose rows decide …
    key: str | None = None  # … through this column


#: The rule of every workspace layer — the one place where "this town" is defined.
AREA_RULES: Mapping[str, Rule] = MappingProxyType({
    "villages": Rule("code"),
    "roads": Rule("pieces"),
    "households": Rule("location"),
    "tourism_sites": Rule("location"),
    "enterprises": Rule("location"),
    "projects": Rule("record"),
    "pairings": Rule("record"),
    "road_progress": Rule("parent", parent="roads", key="road_id"),
    "pairing_history": Rule("parent", parent="pairings", key="pairing_id"),
    "seats": Rule("location"),
})

#: Name of the derived layer "road pieces" (one row per road and village, with its length) that
#: :class:`AreaLayers` offers beside the workspace layers.
PIECES = "road_pieces"


def get_rule(layer: str) -> Rule:
    """The rule of ``layer``; the error lists the layers that have one."""
    if layer not in AREA_RULES:
        raise KeyError(f"no area rule for layer {layer!r}; layers: {', '.join(AREA_RULES)}")
    return AREA_RULES[layer]


def _recorded(frame: pd.DataFrame) -> pd.Series | None:
    return frame["village_code"] if "village_code" in frame.columns else None


def _recorded_codes(frame: pd.DataFrame) -> NDArray[np.object_]:
    """Each row's own ``village_code`` (None where missing or without the column)."""
    rec = _recorded(frame)
    if rec is None:
        return np.full(len(frame), None, dtype=object)
    return np.asarray(rec.astype(object).where(rec.notna(), None), dtype=object)


def row_villages(layer: str, frame: pd.DataFrame, villages: gpd.GeoDataFrame) -> NDArray[np.object_]:
    """The village each row of ``frame`` belongs to, by the layer's rule (kinds code, location, record).

    ``None`` where a row belongs to no village (a point outside every village without a recorded one).
    """
    kind = get_rule(layer).kind
    if kind in ("code", "record"):
        return _recorded_codes(frame)
    if kind == "location":
        return locate_points(frame, villages, recorded=_recorded(frame))
    raise ValueError(f"layer {layer!r} belongs to areas by {kind}, not by one village per row")


def village_codes(area: Area, villages: pd.DataFrame) -> set[str]:
    """The codes of the area's villages."""
    return set(villages.loc[area.village_mask(villages), "village_code"].astype(str))


def _codes_in(area: Area, codes: NDArray[np.object_], villages: pd.DataFrame) -> NDArray[np.bool_]:
    inside = village_codes(area, villages)
    return np.fromiter((c is not None and str(c) in inside for c in codes), dtype=bool, count=len(codes))


def area_pieces(area: Area, pieces: pd.DataFrame, villages: pd.DataFrame) -> pd.DataFrame:
    """The road pieces (:func:`bangfu.geo.overlay.road_pieces` of the *whole* layers) inside the area."""
    if area.holds_all(villages):
        return pieces
    return pieces[_codes_in(area, pieces["village_code"].to_numpy(dtype=object), villages)]


@dataclass(frozen=True)
class _Inputs:
    villages: gpd.GeoDataFrame
    pieces: pd.DataFrame | None
    parent: pd.DataFrame | None


def _by_code(area: Area, layer: str, frame: pd.DataFrame, inp: _Inputs) -> NDArray[np.bool_]:
    return area.village_mask(frame)


def _by_village(area: Area, layer: str, frame: pd.DataFrame, inp: _Inputs) -> NDArray[np.bool_]:
    return _codes_in(area, row_villages(layer, frame, inp.villages), inp.villages)


def _by_pieces(area: Area, layer: str, frame: pd.DataFrame, inp: _Inputs) -> NDArray[np.bool_]:
    pieces = inp.pieces if inp.pieces is not None else road_pieces(frame, inp.villages)
    ids = set(area_pieces(area, pieces, inp.villages)["road_id"].astype(str))
    return np.asarray(frame["road_id"].astype(str).isin(ids), dtype=bool)


def _by_parent(area: Area, layer: str, frame: pd.DataFrame, inp: _Inputs) -> NDArray[np.bool_]:
    rule = get_rule(layer)
    assert rule.parent is not None and rule.key is not None
    if inp.parent is None:
        raise ValueError(f"the area slice of {layer!r} needs the whole {rule.parent!r} layer (parent=)")
    parents = area_slice(area, rule.parent, inp.parent, villages=inp.villages, pieces=inp.pieces)
    return np.asarray(frame[rule.key].astype(str).isin(set(parents[rule.key].astype(str))), dtype=bool)


_MASKS: Mapping[RuleKind, Callable[[Area, str, pd.DataFrame, _Inputs], NDArray[np.bool_]]] = MappingProxyType({
    "code": _by_code,
    "location": _by_village,
    "record": _by_village,
    "pieces": _by_pieces,
    "parent": _by_parent,
})


def in_area(
    area: Area,
    layer: str,
    frame: pd.DataFrame,
    *,
    villages: gpd.GeoDataFrame | None = None,
    pieces: pd.DataFrame | None = None,
    parent: pd.DataFrame | None = None,
) -> NDArray[np.bool_]:
    """Which rows of ``frame`` (rows of ``layer``) belong to ``area`` by the layer's rule.

    ``villages`` is the *whole* village layer (needed by every rule but the villages' own;
    defaults to ``frame`` for the villages layer). ``pieces`` are the road pieces of the whole
    layers (computed from ``frame`` and ``villages`` when not given, so ``frame`` must then be the
    whole roads layer); ``parent`` is the whole parent layer of a history layer.
    """
    rule = get_rule(layer)
    if villages is None:
        if rule.kind != "code":
            raise ValueError(f"the area slice of {layer!r} needs the whole village layer (villages=)")
        villages = frame
    if area.holds_all(villages):
        return np.ones(len(frame), dtype=bool)
    return _MASKS[rule.kind](area, layer, frame, _Inputs(villages, pieces, parent))


def area_slice(
    area: Area,
    layer: str,
    frame: pd.DataFrame,
    *,
    villages: gpd.GeoDataFrame | None = None,
    pieces: pd.DataFrame | None = None,
    parent: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The rows of ``frame`` that belong to ``area`` (see :func:`in_area`); the whole frame for the whole workspace."""
    mask = in_area(area, layer, frame, villages=villages, pieces=pieces, parent=parent)
    return frame if mask.all() else frame[mask]


# --------------------------------------------------------------------------- a workspace's slice


@dataclass
class AreaLayers:
    """The slice of a workspace that belongs to an area, read lazily through ``loader`` and kept.

    ``full(name)`` is the whole layer, ``layer(name)`` the area's rows of it (and
    ``layer("road_pieces")`` the road pieces inside the area), ``restrict(name, frame)`` restricts
    another frame of that layer's shape (e.g. a portfolio of projects). ``area`` defaults to the
    whole workspace; ``pieces`` may supply the road pieces of the whole layers (e.g. from a cache).
    """

    loader: Callable[[str], pd.DataFrame]
    area: Area | None = None
    pieces: Callable[[], pd.DataFrame] | None = None
    _full: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    _area: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.area is None:
            self.area = whole_area(self.full("villages"))

    def full(self, name: str) -> pd.DataFrame:
        """The whole layer (every town); ``"road_pieces"``: the pieces of every road."""
        if name not in self._full:
            if name == PIECES:
                self._full[name] = (
                    self.pieces() if self.pieces is not None else road_pieces(self.full("roads"), self.full("villages"))
                )
            else:
                self._full[name] = self.loader(name)
        return self._full[name]

    def layer(self, name: str) -> pd.DataFrame:
        """The area's rows of layer ``name`` (by :data:`AREA_RULES`); ``"road_pieces"``: the pieces inside it."""
        if name not in self._area:
            self._area[name] = self.restrict(name, self.full(name))
        return self._area[name]

    def restrict(self, name: str, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` restricted to the area by the rule of layer ``name``; a table that is no workspace
        layer (a portfolio, a list of villages) but has a ``village_code`` belongs by that village."""
        assert self.area is not None
        villages = self.full("villages")
        if self.area.holds_all(villages):
            return frame
        if name == PIECES:
            return area_pieces(self.area, frame, villages)
        if name not in AREA_RULES and "village_code" in frame.columns:
            return frame[_codes_in(self.area, _recorded_codes(frame), villages)]
        rule = get_rule(name)
        return area_slice(
            self.area, name, frame, villages=villages,
            pieces=self.full(PIECES) if rule.kind == "pieces" or rule.parent == "roads" else None,
            parent=self.full(rule.parent) if rule.parent else None,
        )
