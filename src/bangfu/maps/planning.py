"""Planning map: chosen projects and their catchments over the poverty-density choropleth (offline folium).

The villages are classed as on every other map (:func:`bangfu.indicators.choropleth` over all villages,
the indicator's default classification); project types are labelled from :data:`bangfu.core.vocab.PROJECT_TYPE`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import folium
import geopandas as gpd

from bangfu import indicators as ind
from bangfu.core import legend as lg
from bangfu.core import styles
from bangfu.core.labels import t
from bangfu.core.vocab import PROJECT_TYPE
from bangfu.geo.proximity import to_metric
from bangfu.maps import base as maps
from bangfu.maps.legend import add_legend
from bangfu.planning.coverage import catchment_geometries
from bangfu.workspace.schema import column_labels

__all__ = ["portfolio_map"]


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
    v = ind.village_metrics(villages)
    choro = ind.choropleth(v, "poverty_density")
    fills = choro.fills(v)
    v["poverty_density"] = v["poverty_density"].round(1)
    m = maps.offline_map(v.total_bounds, basemap=basemap, tianditu_token=tianditu_token)
    cols = column_labels("villages", lang)
    fields = [maps.TooltipField("village_name", cols["village_name"]), maps.TooltipField("town_name", cols["town_name"]),
              maps.TooltipField("poverty_density", choro.indicator.title(lang))]
    frame = maps.display_frame(v, ["village_code", *[f.column for f in fields]], simplify_deg=0.0002)
    frame["_fill"] = fills
    edge = styles.VILLAGE_EDGE
    folium.GeoJson(
        maps.geojson_dict(frame),
        name=maps.esc(t("map.villages", lang)),
        style_function=lambda f: {"fillColor": f["properties"]["_fill"], "color": edge["color"],
                                  "weight": edge["weight"], "fillOpacity": styles.CHOROPLETH_OPACITY},
        tooltip=maps.tooltip(fields),
    ).add_to(m)
    extra: tuple[lg.LegendItem, ...] = ()
    catchment, project = styles.CATCHMENT, styles.SELECTED_PROJECT
    chosen = projects[projects["project_id"].astype(str).isin([str(i) for i in chosen_ids])].copy()
    if not chosen.empty:
        (metric,) = to_metric(chosen)
        buffers = catchment_geometries(metric, {**dict(distances)}).to_crs("EPSG:4326")
        chosen["type_label"] = chosen["project_type"].map(lambda k: PROJECT_TYPE.label(k, lang))
        pcols = column_labels("projects", lang)
        pfields = [maps.TooltipField("name", pcols["name"]), maps.TooltipField("type_label", pcols["project_type"]),
                   maps.TooltipField("cost_wan", pcols["cost_wan"])]
        catch = gpd.GeoDataFrame(chosen.drop(columns="geometry"), geometry=buffers.values, crs="EPSG:4326")
        folium.GeoJson(
            maps.geojson_dict(maps.display_frame(catch, ["project_id", *[f.column for f in pfields]], precision=5)),
            name=maps.esc(t("planning.map", lang)),
            style_function=lambda _f: dict(styles.CATCHMENT),
            tooltip=maps.tooltip(pfields),
        ).add_to(m)
        folium.GeoJson(
            maps.geojson_dict(maps.display_frame(chosen, ["project_id", *[f.column for f in pfields]])),
            name=maps.esc(t("planning.kpi.projects", lang)),
            style_function=lambda _f: {"color": project["color"], "weight": project["weight"]},
            marker=folium.CircleMarker(radius=project["radius"], color=project["color"], fill=True, fill_opacity=1.0),
            tooltip=maps.tooltip(pfields),
        ).add_to(m)
        extra = (lg.LegendItem("fill", t("legend.catchments", lang),  # the fill as it looks, see-through
                              styles.tint(catchment["fillColor"], 1 - catchment["fillOpacity"]), edge=catchment["color"]),
                 lg.LegendItem("dot", t("legend.selected_projects", lang), project["color"]))
    add_legend(m, choro.legend(lang, no_data=bool((choro.classes_of(v) < 0).any()), extra=extra), "bottomleft")
    return m
