"""The briefing's content as plain data (texts, formatted KPIs, table rows, map layers), before any rendering.

:func:`compute_content` evaluates every section of :data:`bangfu.briefing.sources.SECTIONS` for the
county or one town and formats the results; the PDF, the Word file and the app all draw from the
same :class:`BriefingContent`, so they cannot disagree.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from bangfu import indicators as ind
from bangfu.geo.crs import metric_crs
from bangfu.core import formats, vocab
from bangfu.core.labels import t
from bangfu.workspace import display
from bangfu.briefing.sources import SECTIONS, AreaData, Column, Section, SectionResult, evaluate
from bangfu.workspace import areas, derived, personal
from bangfu.workspace.areas import LEVELS, Area, unit_polygons
from bangfu.workspace.access import SUPPRESSED, Principal

__all__ = ["KpiCard", "TableBlock", "BriefingContent", "compute_content", "format_value", "area_names"]


@dataclass(frozen=True)
class KpiCard:
    """One KPI card: label, formatted value and status ("ok", "fallback", "missing", "error")."""

    key: str
    label: str
    text: str
    status: str
    value: float | None = None


@dataclass(frozen=True)
class TableBlock:
    """A briefing table: title, header, formatted rows (at most the section's ``max_rows``) and the full count."""

    key: str
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    total: int
    status: str
    widths: tuple[float, ...]
    numeric: tuple[bool, ...]
    max_rows: int
    message: str = ""
    lang: str = "zh"

    def t(self, key: str) -> str:
        return t(key, self.lang)

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.rows))


@dataclass(frozen=True)
class BriefingContent:
    """Everything a rendering needs; no further computation happens in the renderers."""

    lang: str
    area_name: str
    county_name: str
    town_code: str | None
    town_name: str | None
    title: str
    date_text: str
    date_iso: str
    as_of_text: str
    synthetic_note: str
    kpis: tuple[KpiCard, ...]
    tables: dict[str, TableBlock]
    road_km: pd.Series | None
    road_km_status: str
    villages: gpd.GeoDataFrame  # the area's villages, metric CRS, with poverty_density (outlines simplified for drawing)
    towns: gpd.GeoDataFrame  # town outlines of the area, metric CRS
    context: gpd.GeoDataFrame | None  # the other villages of the county (town briefings), metric CRS
    projects_map: gpd.GeoDataFrame  # selected projects with a rank, metric CRS
    notes: tuple[str, ...]
    footer: str
    results: dict[str, SectionResult] = field(default_factory=dict)
    density: ind.Choropleth | None = None  # poverty-density classes of the whole workspace, as on every map
    #: Which projects the briefing shows: ``"portfolio"`` (a budgeted plan from the planning page) or ``"ranking"``
    #: (the standalone ranking, no budget); the projects table's title and the map legend say so.
    projects_plan: str = "ranking"

    def kpi(self, key: str) -> KpiCard:
        for card in self.kpis:
            if card.key == key:
                return card
        raise KeyError(f"no KPI {key!r}; KPIs: {', '.join(c.key for c in self.kpis)}")

    def t(self, key: str, **kw: Any) -> str:
        text = t(key, self.lang)
        return text.format(**kw) if kw else text


#: The layer whose rows make a briefing table's counts personal.
PERSONAL = "households"
#: Columns of briefing tables that count households (suppressed below 5 for readers without household access).
HOUSEHOLD_COUNT_COLUMNS: tuple[str, ...] = ("households", "households_benefited", "hh_all", "poor_households", "hh_poor")


def format_value(value: Any, fmt: str) -> str:
    """A value as shown in the briefing: '12,345', '12.3%', '1,234.5' or text; '—' if missing."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return vocab.MISSING_LABEL
    if value == SUPPRESSED:  # a small count hidden from this reader (bangfu.workspace.personal.shown_counts)
        return SUPPRESSED
    if fmt == "int":
        return ind.fmt_int(float(value))
    if fmt == "pct":
        return ind.fmt_pct(float(value))
    if fmt == "float1":
        return f"{float(value):,.1f}"
    return str(value)


def _cut(text: str, n: int) -> str:
    return text if n <= 0 or len(text) <= n else text[: n - 1] + "…"


def area_names(villages: pd.DataFrame, town_code: str | None) -> tuple[str, str, str | None]:
    """(area name for the title, whole workspace's name, town name) of the workspace or one area (any level:
    ``town_code`` may be any area code of :func:`bangfu.workspace.areas.area_by_code`).

    An unknown ``town_code`` raises :class:`bangfu.workspace.areas.AreaError` (a ``ValueError``).
    """
    area = areas.area_for(villages, town_code)
    county = areas.whole_area(villages).name
    title = areas.area_title(area, villages)
    if area.town_name is None:
        return title, county, None
    return title, county, area.town_name


def _kpi(section: Section, result: SectionResult, lang: str) -> KpiCard:
    value = result.value if result.available else None
    return KpiCard(section.key, t(section.label, lang), format_value(value, section.fmt), result.status, value)


def _table_frame(section: Section, frame: pd.DataFrame, villages: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(frame).copy()
    if "village_code" in out.columns and "village_name" not in out.columns:
        names = villages.set_index(villages["village_code"].astype(str))["village_name"]
        out["village_name"] = out["village_code"].astype(str).map(names)
    if section.sort_by and section.sort_by in out.columns:
        out = out.sort_values(section.sort_by, ascending=False, kind="stable")
    return out


#: Result columns that hold coded values, shown as their vocabulary labels.
CODED: Mapping[str, vocab.Vocabulary] = display.coded_columns("projects", "villages", "roads", "pairings", "tourism_sites")


def _cell(row: Mapping[str, Any], col: Column, lang: str) -> str:
    for name in col.candidates:
        if name in row:
            value = row[name]
            if name in CODED:
                return _cut(CODED[name].label(value, lang), col.max_chars)
            return _cut(format_value(value, col.fmt), col.max_chars)
    return vocab.MISSING_LABEL


def _table(section: Section, result: SectionResult, villages: pd.DataFrame, lang: str) -> TableBlock:
    cols = section.columns
    header = tuple(t(c.label, lang) for c in cols)
    widths = tuple(c.width for c in cols)
    numeric = tuple(c.fmt in ("int", "float1", "pct") for c in cols)
    if section.numbered:
        header = (t("briefing.col_rank", lang),) + header
        widths = (0.55,) + widths
        numeric = (True,) + numeric
    rows: list[tuple[str, ...]] = []
    total = 0
    if result.available:
        frame = _table_frame(section, result.value, villages)
        total = len(frame)
        for i, rec in enumerate(frame.head(section.max_rows).to_dict("records"), start=1):
            cells = tuple(_cell(rec, c, lang) for c in cols)
            rows.append(((str(i),) if section.numbered else ()) + cells)
    return TableBlock(
        section.key, t(section.label, lang), header, tuple(rows), total, result.status, widths, numeric,
        section.max_rows, result.message, lang,
    )


def _projects_map(result: SectionResult, data: AreaData, crs: str, n: int) -> gpd.GeoDataFrame:
    empty = gpd.GeoDataFrame({"rank": []}, geometry=[], crs=crs)
    if not result.available:
        return empty
    top = pd.DataFrame(result.value).head(n).copy()
    top["rank"] = np.arange(1, len(top) + 1)
    if isinstance(result.value, gpd.GeoDataFrame) and result.value.crs is not None:
        geo = gpd.GeoDataFrame(top, geometry=result.value.head(n).geometry, crs=result.value.crs)
    elif "project_id" in top.columns:
        projects = data.full("projects")
        if not isinstance(projects, gpd.GeoDataFrame) or projects.empty:
            return empty
        geoms = projects.set_index("project_id").geometry
        geo = gpd.GeoDataFrame(top[["rank"]], geometry=top["project_id"].map(geoms).values, crs=projects.crs)
    else:
        return empty
    geo = geo[geo.geometry.notna() & ~geo.geometry.is_empty]
    return geo[["rank", "geometry"]].to_crs(crs)


def _drawing_geometry(gdf: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    """A copy with outlines simplified as a coverage (shared borders stay shared), for drawing only."""
    out = gdf.copy()
    if len(out) and tolerance > 0:
        try:
            out.geometry = shapely.coverage_simplify(np.asarray(out.geometry.values, dtype=object), tolerance)
        except shapely.errors.GEOSException:  # not a clean coverage: draw the original outlines
            pass
    return out


def _level_below(area: Area) -> str | None:
    """The level whose areas the map of ``area`` draws instead of villages: at a level that reads the stored tables
    (a province, a city: :func:`bangfu.workspace.derived.uses_stored`), the next level down; else None."""
    if not derived.uses_stored(area.level):
        return None
    keys = [lv.key for lv in LEVELS]
    return keys[keys.index(area.level) + 1]


#: The areas of a level as polygons, for the whole workspace (:func:`bangfu.workspace.areas.unit_polygons` of every
#: village; the app passes its shared cache of them).
Units = Callable[[str], gpd.GeoDataFrame]


def _units_of(all_villages: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, level: str, units: Units | None,
              codes: set[str]) -> gpd.GeoDataFrame:
    """The areas of ``level`` whose code is in ``codes``: rows of ``units(level)`` (the whole workspace's, dissolved
    once) when given, else ``villages`` dissolved now — the same polygons, since an area's villages all lie inside
    it."""
    if units is None:
        return unit_polygons(villages, level)
    whole = units(level)
    return whole[whole["code"].astype(str).isin(codes)].reset_index(drop=True)


def _unit_map(all_villages: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, area: Area, below: str,
              crs: str, units_of: Units | None = None) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame | None]:
    """(units coloured by poverty density from their totals, their outlines, the other areas of the area's level as
    grey context) for the map of a province or city: the villages dissolved one level below, as the overview
    draws them (:func:`bangfu.workspace.areas.unit_polygons`; ``units_of``: those of the whole workspace, dissolved
    once); the classes stay those of the villages."""
    digits = next(lv.digits for lv in LEVELS if lv.key == below)
    codes = villages["village_code"].astype(str).str[:digits]
    units = _units_of(all_villages, villages, below, units_of, set(codes)).to_crs(crs)
    sums = villages.groupby(codes.to_numpy())[["poor_households", "households"]].sum()
    units["village_code"] = units["code"]
    units["town_code"] = units["code"]
    units["poor_households"] = units["code"].map(sums["poor_households"]).fillna(0).to_numpy()
    units["households"] = units["code"].map(sums["households"]).fillna(0).to_numpy()
    units["area_km2"] = units.geometry.area / 1e6
    units["poverty_density"] = ind.safe_ratio(units["poor_households"], units["area_km2"])
    units["is_old_district"] = False
    minx, miny, maxx, maxy = units.total_bounds if len(units) else (0.0, 0.0, 0.0, 0.0)
    units = _drawing_geometry(units, max(maxx - minx, maxy - miny) / 1500)
    context = None
    if not area.holds_all(all_villages):
        others = all_villages[~area.village_mask(all_villages)]
        level_digits = next(lv.digits for lv in LEVELS if lv.key == area.level)
        other_codes = set(others["village_code"].astype(str).str[:level_digits])
        context = _drawing_geometry(_units_of(all_villages, others, area.level, units_of, other_codes).to_crs(crs),
                                    max(maxx - minx, maxy - miny) / 1500)
    return units, units[["town_code", "geometry"]], context


def _town_outlines(villages: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One outline per town, unioned from its villages (a coverage union is fast and exact for a coverage)."""
    codes, geoms = [], []
    for code, group in villages.groupby("town_code"):
        parts = np.asarray(group.geometry.values, dtype=object)
        try:
            geom = shapely.coverage_union_all(parts)
        except shapely.errors.GEOSException:
            geom = shapely.union_all(parts)
        codes.append(code)
        geoms.append(geom)
    return gpd.GeoDataFrame({"town_code": codes}, geometry=geoms, crs=villages.crs)


def _notes(sections: Sequence[Section], results: dict[str, SectionResult], lang: str) -> tuple[str, ...]:
    by_status: dict[str, list[str]] = {"fallback": [], "missing": [], "error": []}
    for section in sections:
        r = results[section.key]
        if r.status in by_status:
            by_status[r.status].append(t(section.label, lang).split("（")[0])
    sep = "、" if lang == "zh" else ", "
    notes = []
    if by_status["fallback"]:
        notes.append(t("briefing.note_fallback", lang).format(items=sep.join(by_status["fallback"])))
    if by_status["missing"]:
        notes.append(t("briefing.note_missing", lang).format(items=sep.join(by_status["missing"])))
    if by_status["error"]:
        notes.append(f"{t('briefing.error', lang)}：{sep.join(by_status['error'])}")
    return tuple(notes)


#: The projects table's title and the map legend's entry for each kind of plan (``BriefingContent.projects_plan``).
PLAN_LABELS: Mapping[str, tuple[str, str]] = {
    "portfolio": ("briefing.projects_portfolio", "legend.selected_projects"),
    "ranking": ("briefing.projects_ranking", "legend.ranked_projects"),
}


def plan_title(plan: Mapping[str, Any] | None, lang: str) -> str:
    """What the projects block shows, by name: the budgeted portfolio (with its budget, project count and cost when
    known: ``plan = {"budget": …, "projects": …, "cost": …}``) or, for ``None``, the standalone ranking."""
    if plan is None:
        return t("briefing.projects_ranking", lang)  # not a plan: the best projects one by one, no budget
    title = t("briefing.projects_portfolio", lang)
    if plan.get("budget") is not None:
        title += t("briefing.projects_portfolio_budget", lang).format(
            budget=formats.number(plan["budget"], 1), n=plan.get("projects", "—"),
            cost=formats.number(plan.get("cost"), 1))
    return title


def compute_content(
    loader: Callable[[str], pd.DataFrame],
    *,
    meta: Mapping[str, str],
    town_code: str | None = None,
    lang: str = "zh",
    date: dt.date | None = None,
    now: dt.datetime | None = None,
    overrides: Mapping[str, Any] | None = None,
    sections: Sequence[Section] = SECTIONS,
    user: Principal | None = None,
    plan: Mapping[str, Any] | None = None,
    units: Units | None = None,
) -> BriefingContent:
    """The briefing's content for the county (``town_code=None``) or one town, as ``user`` may read it.

    ``units(level)``: the whole workspace's areas of ``level`` as polygons (dissolved once; the app's shared cache),
    for the map of a province or city; without it they are dissolved from the villages here.

    ``plan``: the budgeted portfolio behind ``overrides["projects"]`` (``budget``, ``projects``, ``cost``; see
    :func:`plan_title`); the projects block is then titled as that portfolio, otherwise (no override) as the
    standalone ranking.

    ``loader(name)`` returns a workspace layer; ``meta`` is the workspace's ``bangfu_meta``
    (``as_of``, ``source``, ``synthetic_note``). ``overrides`` maps a section key to a ready value,
    e.g. ``{"projects": portfolio_frame}`` for the portfolio the planner chose on the planning page.
    Tables of household counts (:data:`HOUSEHOLD_COUNT_COLUMNS`) go through
    :func:`bangfu.workspace.personal.shown_counts` for ``user`` (``None``: as a reader without household
    access): counts of 1–4 households are shown as "<5".
    """
    now = now or formats.now_local()  # China time, as history and the audit trail (not the server clock zone)
    date = date or now.date()
    data = AreaData(loader, town_code, meta)
    all_villages = data.full("villages")
    area, county, town = area_names(all_villages, town_code)
    memo: dict[tuple[Any, ...], Any] = {}
    results: dict[str, SectionResult] = {}
    for section in sections:
        if overrides and section.key in overrides:
            value = overrides[section.key]
            if isinstance(value, pd.DataFrame) and "village_code" in value.columns:
                value = data.restrict(section.key, value)
            results[section.key] = SectionResult(section.key, "ok", value, "override")
        else:
            results[section.key] = evaluate(section, data, memo)
        value = results[section.key].value
        from_households = any(PERSONAL in (*src.layers, *src.whole) for src in section.sources)
        if section.kind == "table" and isinstance(value, pd.DataFrame) and from_households:
            results[section.key] = dataclasses.replace(results[section.key], value=personal.shown_counts(
                value, user, HOUSEHOLD_COUNT_COLUMNS, town_column="village_code"))

    villages = data.layer("villages")
    crs = metric_crs(all_villages)
    county_metrics = ind.village_metrics(all_villages)  # measured once for the county, as on every map
    assert data.area is not None
    below = _level_below(data.area)
    if below is not None:  # a province or city: its areas one level below, not thousands of villages
        metrics, towns, context = _unit_map(all_villages, villages, data.area, below, crs, units)
    else:
        metrics = county_metrics.loc[villages.index].to_crs(crs)
        # simplify outlines for drawing by about 1/1500 of the area's extent (invisible at A4 and on screen)
        minx, miny, maxx, maxy = metrics.total_bounds if len(metrics) else (0.0, 0.0, 0.0, 0.0)
        tolerance = max(maxx - minx, maxy - miny) / 1500
        metrics = _drawing_geometry(metrics, tolerance)
        towns = _town_outlines(metrics)
        context = None
        if not data.area.holds_all(all_villages):
            others = all_villages[~data.area.village_mask(all_villages)].to_crs(crs)
            context = _drawing_geometry(others, tolerance)

    kpis = tuple(_kpi(s, results[s.key], lang) for s in sections if s.kind == "kpi")
    tables = {s.key: _table(s, results[s.key], all_villages, lang) for s in sections if s.kind == "table"}
    road = results.get("road_km_by_year")
    as_of = meta.get("as_of", "")
    synthetic = ""
    if meta.get("source", "").startswith("demo"):  # the Kaiping demo or a synthetic province (demo_province)
        synthetic = meta.get("synthetic_note") or t("synthetic.note", lang)
    n_projects = next((s.max_rows for s in sections if s.key == "projects"), 10)
    projects_plan = "portfolio" if overrides and "projects" in overrides else "ranking"
    if "projects" in tables:
        tables["projects"] = dataclasses.replace(
            tables["projects"], title=plan_title((plan or {}) if projects_plan == "portfolio" else None, lang))
    return BriefingContent(
        lang=lang,
        area_name=area,
        county_name=county,
        town_code=town_code,
        town_name=town,
        title=t("briefing.title", lang).format(area=area),
        date_iso=date.isoformat(),
        date_text=date.strftime("%Y年%m月%d日") if lang == "zh" else date.isoformat(),
        as_of_text=t("briefing.as_of", lang).format(as_of=as_of) if as_of else t("briefing.as_of_unknown", lang),
        synthetic_note=synthetic,
        kpis=kpis,
        tables=tables,
        road_km=road.value if road is not None and road.available else None,
        road_km_status=road.status if road is not None else "missing",
        villages=metrics,
        towns=towns,
        context=context,
        projects_map=_projects_map(results.get("projects", SectionResult("projects", "missing")), data, crs, n_projects),
        notes=_notes(sections, results, lang),
        footer=t("briefing.footer", lang).format(
            stamp=now.strftime("%Y-%m-%d %H:%M") + (f" · v{meta['version']}" if meta.get("version") else "")
        ),
        results=results,
        density=ind.choropleth(county_metrics, "poverty_density"),
        projects_plan=projects_plan,
    )
