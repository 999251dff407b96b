"""乡村旅游 — tourism sites over poverty density; households reached within a distance, by town."""

import pandas as pd
import streamlit as st

from bangfu import indicators as ind
from bangfu.core.vocab import SITE_TYPE
from bangfu.maps import themes as thememaps
from bangfu.workspace.schema import SITE_TYPES
from bangfu.ui.panels import pairing_tourism as pt
from bangfu.ui.shell import current
from bangfu.ui.widgets import download_buttons, kpi_row, show_map, synthetic_note

ctx = current()
st.title(ctx.t("page.tourism") + (f" · {ctx.town_name}" if ctx.town_name else ""))
st.caption(ctx.t("tourism.intro"))
synthetic_note(ctx)

villages = ind.village_metrics(ctx.layer("villages"))
sites_all = ctx.layer("tourism_sites")
households = ctx.layer("households")
# the area (sidebar town) by the one area rule: its villages, and the sites and households lying in it
shown_villages = ind.village_metrics(ctx.area_layer("villages"))
area_sites = ctx.area_layer("tourism_sites")
area_households = ctx.area_layer("households")

c1, c2, c3 = st.columns([3, 2, 1])
present = [s for s in SITE_TYPES if s in set(sites_all["site_type"])]
types = c1.multiselect(ctx.t("tourism.types"), present, default=present, key="tourism_types",
                       placeholder=ctx.t("common.choose"), format_func=lambda s: SITE_TYPE.label(s, ctx.lang))
reach_km = c2.slider(ctx.t("tourism.reach_km"), min_value=0.5, max_value=10.0, value=ind.DEFAULT_REACH_M / 1000,
                     step=0.5, key="tourism_reach_km")
show_reach = c3.checkbox(ctx.t("tourism.show_reach"), value=False, key="tourism_show_reach")

typed_sites = ind.filter_sites(sites_all, types=types)  # reach counts sites of every town
sites = ind.filter_sites(area_sites, types=types)
with st.spinner(ctx.t("tourism.reach_title")):
    reach = ind.reach_by_town(villages, households, typed_sites, distance_m=reach_km * 1000)
    # the area's row: its own households (for the whole county, the county row of the table above)
    area_reach = reach if ctx.is_whole else \
        ind.reach_by_town(shown_villages, area_households, typed_sites, distance_m=reach_km * 1000)
row = area_reach.iloc[-1]

kpi_row(
    [
        (ctx.t("tourism.kpi_sites"), ind.fmt_int(len(sites))),
        (ctx.t("tourism.kpi_employed"), ind.fmt_int(sites["poor_households_employed"].fillna(0).sum())),
        (ctx.t("tourism.kpi_reached"), ind.fmt_int(row["reached"])),
        (ctx.t("pt.col.reached_pct"), ind.fmt_pct(row["reached_pct"])),
        (ctx.t("tourism.kpi_poor_reached"), ind.fmt_int(row["poor_reached"])),
        (ctx.t("pt.col.poor_reached_pct"), ind.fmt_pct(row["poor_reached_pct"])),
    ]
)
if households.empty:
    st.info(ctx.t("tourism.no_households"))
if sites.empty:
    st.info(ctx.t("tourism.no_sites"))

m = thememaps.tourism_map(villages, sites, lang=ctx.lang, shown_codes=shown_villages["village_code"],
                          reach_m=reach_km * 1000 if show_reach else None, basemap=ctx.basemap,
                          tianditu_token=ctx.tianditu_token)
show_map(m, key="tourism_map", height=600)

left, right = st.columns([3, 2])
with left:
    st.subheader(ctx.t("tourism.reach_title"))
    st.caption(ctx.t("tourism.reach_caption"))
    table = reach if area_reach is reach else pd.concat([area_reach.iloc[:-1], reach.iloc[[-1]]], ignore_index=True)
    table = table.assign(town_name=table["town_name"].fillna(ctx.t("tourism.county")))
    st.dataframe(pt.labelled(table, ctx.lang, ["town_name", "households", "reached", "reached_pct", "poor_households",
                                                "poor_reached", "poor_reached_pct"]).round(1), hide_index=True)
with right:
    st.subheader(ctx.t("tourism.chart_title"))
    by_type = ind.employment_by_type(sites)
    by_type["site_type"] = by_type["site_type"].map(lambda s: SITE_TYPE.label(s, ctx.lang))
    st.bar_chart(by_type.set_index("site_type")[["poor_households_employed"]]
                 .rename(columns={"poor_households_employed": ctx.t("tourism.kpi_employed")}), x_label="")

st.subheader(ctx.t("tourism.sites_title"))
detail = ind.site_table(sites, villages, reach=ind.site_reach(sites, households, distance_m=reach_km * 1000))
detail_frame = pt.labelled(detail, ctx.lang, ["name", "site_type", "a_level", "village_name", "town_name",
                                              "annual_visitors", "poor_households_employed", "households_in_reach",
                                              "poor_in_reach"], prefer="tourism_sites")
st.dataframe(detail_frame, hide_index=True)
download_buttons(detail_frame, name=ctx.t("tourism.sites_title"), lang=ctx.lang, key="tourism_sites")
