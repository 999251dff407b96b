"""One village's profile for the overview page: figures, roads, tourism sites, pairings, candidate projects.

Pure (no Streamlit). Tables come back with Chinese (or English) headers from the schema and the
label table and coded values as their vocabulary labels, ready to show; values stay plain data
(Streamlit's tables render text, not HTML).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd
import shapely

from bangfu import indicators as ind
from bangfu.geo.crs import metric_crs
from bangfu.core import vocab
from bangfu.core.labels import t
from bangfu.workspace import display
from bangfu.workspace.schema import column_labels

__all__ = ["VillageProfile", "village_profile", "projects_touching"]


@dataclass(frozen=True)
class VillageProfile:
    """Figures (label, formatted value) and the village's related tables."""

    code: str
    name: str
    town: str
    flags: str
    figures: list[tuple[str, str]]
    roads: pd.DataFrame = field(default_factory=pd.DataFrame)
    sites: pd.DataFrame = field(default_factory=pd.DataFrame)
    pairings: pd.DataFrame = field(default_factory=pd.DataFrame)
    projects: pd.DataFrame = field(default_factory=pd.DataFrame)


def projects_touching(projects: gpd.GeoDataFrame, village: shapely.Geometry, code: str) -> gpd.GeoDataFrame:
    """Candidate projects registered to the village or whose geometry intersects it."""
    if projects is None or len(projects) == 0:
        return projects
    cand = projects[projects["status"].astype(str) == "candidate"]
    hit = cand["village_code"].astype(str) == code
    if village is not None and not village.is_empty:
        hit = hit | cand.geometry.intersects(village).fillna(False)
    return cand[hit]


def _headers(df: pd.DataFrame, layer: str, cols: list[str], lang: str, extra: dict[str, str] | None = None,
             vocabularies: dict[str, vocab.Vocabulary] | None = None) -> pd.DataFrame:
    labels = {**column_labels(layer, lang), **(extra or {})}
    out = pd.DataFrame(df[[c for c in cols if c in df.columns]]).reset_index(drop=True)
    out = display.label_codes(out, lang, layers=(layer,), vocabularies=vocabularies)
    return out.rename(columns={c: labels.get(c, c) for c in out.columns})


def village_profile(
    code: str,
    table: gpd.GeoDataFrame,
    *,
    roads: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
    pairings: pd.DataFrame | None = None,
    enterprises: gpd.GeoDataFrame | None = None,
    projects: gpd.GeoDataFrame | None = None,
    as_of: str,
    lang: str = "zh",
) -> VillageProfile | None:
    """The profile of village ``code`` (``table`` from :func:`bangfu.indicators.overview_villages`); None if unknown."""
    rows = table[table["village_code"].astype(str) == str(code)]
    if rows.empty:
        return None
    v = rows.iloc[0]
    old, key = (bool(v[c]) if pd.notna(v[c]) else False for c in ("is_old_district", "is_key_village"))
    flags = "、".join([vocab.VILLAGE_FLAG.label("old_district", lang)] * old
                     + [vocab.VILLAGE_FLAG.label("key_village", lang)] * key) or vocab.MISSING_LABEL
    figures = [
        (t("overview.tt.households", lang), ind.fmt_int(v["households"])),
        (t("overview.tt.poor_households", lang), ind.fmt_int(v["poor_households"])),
        (t("overview.tt.poor_population", lang), ind.fmt_int(v["poor_population"])),
        (t("overview.tt.incidence", lang), ind.fmt_pct(float(v["incidence_pct"]))),
        (t("overview.tt.density", lang), ind.fmt_num(float(v["poverty_density"]), 1)),
        (t("overview.profile.area", lang), ind.fmt_num(float(v["area_km2"]), 2)),
        (t("overview.profile.road_km", lang), ind.fmt_num(float(v["road_km"]), 1)),
        (t("overview.tt.hardening", lang), ind.fmt_pct(float(v["hardening_pct"]))),
        (t("overview.tt.pairings", lang), ind.fmt_int(v["active_pairings"])),
    ]
    out_roads = pd.DataFrame()
    if roads is not None and len(roads):
        r = roads[roads["village_code"].astype(str) == code].copy()
        if len(r):
            r["length_km"] = (r.to_crs(metric_crs(r)).length / 1000).round(2)
            out_roads = _headers(r, "roads", ["name", "road_class", "status", "length_km", "progress_pct", "planned_year"],
                                 lang, {"length_km": t("overview.profile.length_km", lang)})
    out_sites = pd.DataFrame()
    if sites is not None and len(sites):
        s = sites[sites["village_code"].astype(str) == code]
        if len(s):
            out_sites = _headers(s, "tourism_sites", ["name", "site_type", "a_level", "annual_visitors"], lang)
    out_pair = pd.DataFrame()
    if pairings is not None and len(pairings):
        p = pairings[pairings["village_code"].astype(str) == code].copy()
        if len(p):
            active = set(ind.simple_active_pairings(p, as_of)["pairing_id"])
            names = dict(zip(enterprises["enterprise_id"], enterprises["name"])) if enterprises is not None else {}
            p["enterprise"] = p["enterprise_id"].map(lambda e: names.get(e, e))
            p["state"] = p["pairing_id"].map(lambda i: "active" if i in active else "ended")
            out_pair = _headers(p, "pairings", ["enterprise", "pairing_type", "start_date", "end_date", "committed_wan", "state"],
                                lang, {"enterprise": t("overview.tt.enterprise", lang), "state": t("overview.profile.state", lang)},
                                {"state": vocab.PAIRING_ACTIVITY})
    out_proj = pd.DataFrame()
    if projects is not None and len(projects):
        j = projects_touching(projects, v.geometry, code)
        if len(j):
            out_proj = _headers(j, "projects", ["name", "project_type", "cost_wan", "village_code"], lang)
    return VillageProfile(
        code=str(code), name=str(v["village_name"]), town=str(v["town_name"]), flags=flags, figures=figures,
        roads=out_roads, sites=out_sites, pairings=out_pair, projects=out_proj,
    )
