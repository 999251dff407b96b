"""企业结对 — enterprise–village pairings: coverage of needy villages, gaps, editing with history."""

import streamlit as st

from bangfu import indicators as ind
from bangfu.core.vocab import PAIRING_TYPE
from bangfu.maps import themes as thememaps
from bangfu.ui.panels import pairing_tourism as pt
from bangfu.ui.shell import current
from bangfu.ui.widgets import download_buttons, kpi_row, show_map, synthetic_note
from bangfu.workspace import areas

ctx = current()
st.title(ctx.t("page.pairings") + (f" · {ctx.town_name}" if ctx.town_name else ""))
st.caption(ctx.t("pairings.intro"))
synthetic_note(ctx)

villages = ctx.layer("villages")
enterprises = ctx.layer("enterprises")
pairings = ctx.layer("pairings")

rule = pt.needy_rule_widgets(ctx)
c1, c2 = st.columns([1, 3])
with c1:
    as_of = pt.as_of_widget(ctx)
c2.markdown(f"**{ctx.t('pairings.rule_now')}**：{rule.describe(ctx.lang)}")
if not rule.enabled():
    st.warning(ctx.t("pairings.no_rule"))

table = ind.village_pairing_table(villages, pairings, enterprises, rule=rule, as_of=as_of)
county = ind.coverage(table)
# the area (sidebar town) by the one area rule: its villages and the pairings of its villages
area_villages = ctx.area_layer("villages")
in_town = areas.area_slice(ctx.area, "villages", table)
shown_cov = ind.coverage(in_town)
town_pairings = ctx.area_layer("pairings")
active = ind.active_mask(town_pairings, as_of)

kpi_row(
    [
        (ctx.t("pairings.kpi_needy"), ind.fmt_int(shown_cov.needy)),
        (ctx.t("pairings.kpi_paired"), ind.fmt_int(shown_cov.paired)),
        (ctx.t("pairings.kpi_unpaired"), ind.fmt_int(shown_cov.unpaired)),
        (ctx.t("pairings.kpi_coverage"), ind.fmt_pct(shown_cov.rate_pct)),
        (ctx.t("pairings.kpi_active"), ind.fmt_int(int(active.sum()))),
        (ctx.t("pairings.kpi_funds"), f"{town_pairings.loc[active, 'committed_wan'].sum():,.1f}"),
    ]
)

show_ended = st.toggle(ctx.t("pairings.show_inactive"), value=False, key="pairings_show_ended")
lines = ind.pairing_lines(villages, enterprises, town_pairings, as_of=as_of)
if not show_ended and len(lines):
    lines = lines[lines["active"]]
linked = set(lines["enterprise_id"]) if len(lines) else set()
shown_ent = enterprises if ctx.is_whole else enterprises[enterprises["enterprise_id"].isin(linked)]
m = thememaps.pairing_map(area_villages, in_town, lines, shown_ent,
                          lang=ctx.lang, basemap=ctx.basemap, tianditu_token=ctx.tianditu_token)
show_map(m, key="pairings_map", height=620)

tabs = st.tabs([ctx.t(k) for k in ("pairings.tab_coverage", "pairings.tab_gaps", "pairings.tab_multi",
                                    "pairings.tab_enterprises", "pairings.tab_towns", "pairings.tab_edit",
                                    "pairings.tab_history")])
vcols = ["village_name", "village_code", "town_name", "households", "poor_households", "incidence_pct",
         "is_key_village", "is_old_district", "active_pairings", "enterprises"]
with tabs[0]:
    cov_table = county.with_total(ctx.t("pairings.county"))
    st.dataframe(pt.labelled(cov_table, ctx.lang, ["town_name", "villages", "needy", "needy_paired",
                                                   "needy_unpaired", "coverage_pct"]).round(1), hide_index=True)
    st.bar_chart(county.by_town.set_index("town_name")["coverage_pct"], y_label=ctx.t("pt.col.coverage_pct"),
                 x_label="")
with tabs[1]:
    gaps = ind.unpaired_needy(in_town)
    if gaps.empty:
        st.success(ctx.t("pairings.gaps_none"))
    else:
        gap_frame = pt.labelled(gaps, ctx.lang, vcols[:8]).round(1)
        st.dataframe(gap_frame, hide_index=True)
        download_buttons(gap_frame, name=ctx.t("pairings.tab_gaps"), lang=ctx.lang, key="pairings_gaps")
with tabs[2]:
    st.dataframe(pt.labelled(ind.multiply_paired(in_town), ctx.lang, vcols).round(1), hide_index=True)
with tabs[3]:
    min_v = st.number_input(ctx.t("pairings.min_villages"), min_value=1, value=2, step=1, key="pairings_min_v")
    load = ind.enterprise_load(enterprises, town_pairings, as_of=as_of, min_villages=int(min_v))
    st.dataframe(pt.labelled(load, ctx.lang, prefer="enterprises"), hide_index=True)
with tabs[4]:
    by_town = ind.pairings_by_town(area_villages, town_pairings, as_of=as_of)
    st.dataframe(pt.labelled(by_town.drop(columns="town_code"), ctx.lang), hide_index=True)
    st.bar_chart(by_town.set_index("town_name")[["committed_wan"]].rename(columns={"committed_wan": ctx.t("pairings.kpi_funds")}),
                 x_label="")
with tabs[5]:
    names = dict(zip(enterprises["enterprise_id"], enterprises["name"]))
    vnames = dict(zip(villages["village_code"], villages["village_name"]))
    labels = {p.pairing_id: f"{p.pairing_id} · {names.get(p.enterprise_id, p.enterprise_id)} → "
              f"{vnames.get(p.village_code, p.village_code)}（{PAIRING_TYPE.label(p.pairing_type, ctx.lang)}，{p.start_date}～{p.end_date or ''}）"
              for p in town_pairings.itertuples()}
    pt.editing_tab(ctx, area_villages, enterprises, town_pairings, labels,
                   as_of=as_of)
with tabs[6]:
    pt.history_table(ctx, None)
