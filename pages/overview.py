"""总览地图 — the county map of villages with their key totals."""

import streamlit as st

from bangfu import indicators as ind
from bangfu import maps
from bangfu.labels import column_labels
from bangfu.ui.context import current
from bangfu.ui.widgets import kpi_row, show_map, synthetic_note

ctx = current()
st.title(ctx.t("page.overview") + (f" · {ctx.town_name}" if ctx.town_name else ""))
st.caption(ctx.t("home.intro"))
synthetic_note(ctx)

villages = ind.village_metrics(ctx.layer("villages"))
tot = ind.totals(villages, town_code=ctx.town_code)
kpi_row(
    [
        (ctx.t("kpi.villages"), ind.fmt_int(tot.villages)),
        (ctx.t("kpi.households"), ind.fmt_int(tot.households)),
        (ctx.t("kpi.poor_households"), ind.fmt_int(tot.poor_households)),
        (ctx.t("kpi.poor_population"), ind.fmt_int(tot.poor_population)),
        (ctx.t("kpi.incidence"), ind.fmt_pct(tot.incidence_pct)),
        (ctx.t("kpi.old_district"), ind.fmt_int(tot.old_district_villages)),
    ]
)

shown = villages if ctx.town_code is None else villages[villages["town_code"] == ctx.town_code]
m = maps.offline_map(shown.total_bounds, basemap=ctx.basemap, tianditu_token=ctx.tianditu_token)
cols = column_labels("villages", ctx.lang)
fields = [
    maps.TooltipField(c, cols[c]) for c in ("village_name", "village_code", "town_name", "households", "poor_households")
]
maps.add_village_outlines(m, shown, fields=fields, name=ctx.t("map.villages"))
show_map(m, key="overview_map")
st.caption(ctx.t("home.map_caption"))
