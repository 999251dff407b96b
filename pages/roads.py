"""道路硬化 — road hardening: map by status, progress against a target, access share, safe editing."""

import streamlit as st

from bangfu import indicators as ind
from bangfu.maps import base as maps
from bangfu.workspace.schema import column_labels
from bangfu.maps.roads import road_map
from bangfu.ui.feedback import show_flash
from bangfu.ui.panels import roads as rp
from bangfu.ui.shell import current
from bangfu.ui.widgets import kpi_row, show_map, synthetic_note

ctx = current()
st.title(ctx.t("page.roads") + (f" · {ctx.town_name}" if ctx.town_name else ""))
st.caption(ctx.t("roads.intro"))
synthetic_note(ctx)
show_flash(rp.FLASH_SLOT)

road_layer = ctx.layer("roads")
if road_layer.empty:
    st.info(ctx.t("roads.no_roads"))
    st.stop()

f = rp.filters(ctx, road_layer)
# the area (sidebar town) by the one area rule: roads with a piece inside it, the pieces inside it
shown_villages = ctx.area_layer("villages")
area_roads = ctx.area_layer("roads")
stat_roads = ind.filter_roads(area_roads, classes=f["classes"])
pieces = ctx.area_layer("road_pieces")
pieces = pieces[pieces["road_id"].isin(stat_roads["road_id"])]
rates = ind.village_progress(pieces, shown_villages)
total_km, hardened_km, rate_pct = ind.area_road_figures(pieces, shown_villages)

st.session_state.setdefault("roads.distance", 2.0)
access, poor_access = rp.area_access(ctx, st.session_state["roads.distance"])
kpi_row(
    [
        (ctx.t("roads.kpi.total_km"), ind.fmt_km(total_km)),
        (ctx.t("roads.kpi.hardened_km"), ind.fmt_km(hardened_km)),
        (ctx.t("kpi.hardening_rate"), ind.fmt_pct(rate_pct)),
        (ctx.t("roads.kpi.unreached"), ind.fmt_int(int((~rates["reached"]).sum()))),
        (ctx.t("roads.kpi.access"), ind.fmt_pct(access)),
        (ctx.t("roads.kpi.poor_access"), ind.fmt_pct(poor_access)),
    ]
)

map_roads = ind.filter_roads(area_roads, **f)
vlabels = column_labels("villages", ctx.lang)
with_rate = shown_villages.merge(rates[["village_code", "rate_pct"]], on="village_code", how="left")
fields = [maps.TooltipField(c, vlabels[c]) for c in ("village_name", "village_code", "town_name")]
fields.append(maps.TooltipField("rate_pct", ctx.t("roads.col.rate_pct")))
m = road_map(map_roads, with_rate, lang=ctx.lang, basemap=ctx.basemap, tianditu_token=ctx.tianditu_token,
             village_fields=fields)
show_map(m, key="roads_map", height=560)
st.caption(ctx.t("roads.map.caption"))

tabs = st.tabs([ctx.t(f"roads.tab.{k}") for k in ("progress", "access", "edit", "bulk", "history")])
with tabs[0]:
    rp.progress_panel(ctx, pieces, shown_villages)
with tabs[1]:
    st.number_input(ctx.t("roads.access.distance"), 0.5, 10.0, step=0.5, key="roads.distance")
    rp.access_panel(ctx, st.session_state["roads.distance"])
with tabs[2]:
    editor = rp.editor_name(ctx)
    rp.edit_panel(ctx, stat_roads if len(stat_roads) else road_layer, editor)
with tabs[3]:
    rp.bulk_panel(ctx, editor)
with tabs[4]:
    rp.recent_history(ctx)
