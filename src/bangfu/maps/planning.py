"""Planning map: chosen projects and their catchments over a poverty-density choropleth (offline folium)."""

from __future__ import annotations

from typing import Mapping, Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from bangfu.maps import base as maps
from bangfu.geo.proximity import to_metric
from bangfu.planning.coverage import catchment_geometries
from bangfu.planning.project_types import PROJECT_TYPE_TABLE
from bangfu.indicators import village_metrics
from bangfu.core.labels import t
from bangfu.workspace.schema import column_labels

__all__ = ["PALETTE", "density_classes", "portfolio_map"]

#: Five sequential classes, light to dark (ColorBrewer YlOrRd).
PALETTE: tuple[str, ...] = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")


def density_classes(values: pd.Series, k: int = len(PALETTE)) -> tuple[np.ndarray, list[float]]:
    """Quantile classes (0..k−1, −1 for missing) and the class upper bounds."""
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
    ok = np.isfinite(v)
    if not ok.any():
        return np.full(len(v), -1), []
    bounds = sorted(set(np.quantile(v[ok], np.linspace(0, 1, k + 1)[1:]).round(2).tolist()))
    cls = np.full(len(v), -1)
    cls[ok] = np.minimum(np.searchsorted(bounds, v[ok], side="left"), len(bounds) - 1)
    return cls, bounds


def _legend(m: folium.Map, title: str, bounds: Sequence[float]) -> None:
    rows, lo = [], 0.0
    for colour, hi in zip(PALETTE, bounds):
        rows.append(f'<div><span style="background:{colour};width:14px;height:10px;display:inline-block;margin-right:4px"></span>'
                    f"{maps.esc(f'{lo:,.1f} – {hi:,.1f}')}</div>")
        lo = hi
    html = (
        '<div style="position:absolute;bottom:24px;left:10px;z-index:9999;background:white;padding:6px 8px;'
        f'font-size:12px;border:1px solid #999;border-radius:4px"><b>{maps.esc(title)}</b>{"".join(rows)}</div>'
    )
    m.get_root().html.add_child(folium.Element(html))


def portfolio_map(
    villages: gpd.GeoDataFrame,
    projects: gpd.GeoDataFrame,
    chosen_ids: Sequence[str],
    distances: Mapping[str, float],
    *,
    lang: str = "zh",
    basemap: maps.Basemap = "none",
    tianditu_token: str = "",
) -> folium.Map:
    """Villages coloured by poverty density, chosen projects' catchments and geometries on top."""
    v = village_metrics(villages)
    v["density_class"], bounds = density_classes(v["poverty_density"])
    v["poverty_density"] = v["poverty_density"].round(1)
    m = maps.offline_map(v.total_bounds, basemap=basemap, tianditu_token=tianditu_token)
    cols = column_labels("villages", lang)
    fields = [maps.TooltipField("village_name", cols["village_name"]), maps.TooltipField("town_name", cols["town_name"]),
              maps.TooltipField("poverty_density", t("planning.legend", lang))]
    frame = maps.display_frame(v, [f.column for f in fields] + ["density_class"], simplify_deg=0.0002)
    folium.GeoJson(
        maps.geojson_dict(frame),
        name=maps.esc(t("map.villages", lang)),
        style_function=lambda f: {
            "fillColor": PALETTE[f["properties"]["density_class"]] if f["properties"]["density_class"] >= 0 else "#dddddd",
            "color": "#666666", "weight": 0.5, "fillOpacity": 0.6,
        },
        tooltip=maps.tooltip(fields),
    ).add_to(m)
    _legend(m, t("planning.legend", lang), bounds)
    chosen = projects[projects["project_id"].astype(str).isin([str(i) for i in chosen_ids])].copy()
    if not chosen.empty:
        (metric,) = to_metric(chosen)
        buffers = catchment_geometries(metric, {**dict(distances)}).to_crs("EPSG:4326")
        chosen["type_label"] = chosen["project_type"].map(
            lambda k: (PROJECT_TYPE_TABLE[k].zh if lang == "zh" else PROJECT_TYPE_TABLE[k].en) if k in PROJECT_TYPE_TABLE else k
        )
        pcols = column_labels("projects", lang)
        pfields = [maps.TooltipField("name", pcols["name"]), maps.TooltipField("type_label", pcols["project_type"]),
                   maps.TooltipField("cost_wan", pcols["cost_wan"])]
        catch = gpd.GeoDataFrame(chosen.drop(columns="geometry"), geometry=buffers.values, crs="EPSG:4326")
        folium.GeoJson(
            maps.geojson_dict(maps.display_frame(catch, [f.column for f in pfields], precision=5)),
            name=maps.esc(t("planning.map", lang)),
            style_function=lambda _f: {"fillColor": "#2171b5", "color": "#08519c", "weight": 1, "fillOpacity": 0.18},
            tooltip=maps.tooltip(pfields),
        ).add_to(m)
        folium.GeoJson(
            maps.geojson_dict(maps.display_frame(chosen, [f.column for f in pfields])),
            name=maps.esc(t("planning.kpi.projects", lang)),
            style_function=lambda _f: {"color": "#08306b", "weight": 4},
            marker=folium.CircleMarker(radius=5, color="#08306b", fill=True, fill_opacity=1.0),
            tooltip=maps.tooltip(pfields),
        ).add_to(m)
    return m
