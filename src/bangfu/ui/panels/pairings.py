"""Panels of page 企业结对: needy-village rule, KPIs, pairing map, the tabs, add and edit forms with history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from collections.abc import Callable, Sequence

import folium
import pandas as pd
import streamlit as st

from bangfu import indicators as ind
from bangfu.core.errors import BangfuError
from bangfu.core import formats
from bangfu.core.vocab import PAIRING_TYPE, is_missing
from bangfu.editing import engine as edits
from bangfu.editing import pairings as pairing_edits
from bangfu.indicators.pairings import NeedyRule, resolve_as_of
from bangfu.maps import themes as thememaps
from bangfu.maps import units as mu
from bangfu.ui.panels import overview
from bangfu.ui.feedback import flash, show_error, show_flash
from bangfu.ui.shell import Context
from bangfu.indicators.search import Entry
from bangfu.ui.widgets import download_buttons, editor_notice, kpi_row, page_pick, pick_table
from bangfu.workspace import areas, display
from bangfu.workspace.schema import PAIRING_TYPES, column_labels

#: Flash slot of the editing tab (pairing added or saved), shown at the top of the tab.
FLASH_SLOT = "pairings"
#: Widget keys of the pairing map, the search box and the unpaired villages' table.
MAP_KEY, SEARCH_KEY, GAPS_KEY = "pairings_map", "pairings_search", "pairings_gaps_table"


def map_key(ctx: Context) -> str:
    """The widget key of the map: :data:`MAP_KEY` for a map of villages, one per area for a map of the areas one
    level below (a new area is a new map, whose last click is not the one that led to it)."""
    return MAP_KEY if mu.theme_level(ctx.area) is None else f"{MAP_KEY}.{ctx.area.code}"


def drill_down(ctx: Context) -> Callable[[], None] | None:
    """The map's click callback at a province or a city: a click on an area opens it (as the overview's map)."""
    return None if mu.theme_level(ctx.area) is None else overview.area_drill(map_key(ctx))
#: The page's tabs (labels ``pairings.tab_<key>``), in order.
TABS: tuple[str, ...] = ("coverage", "gaps", "multi", "enterprises", "towns", "edit", "history")
#: Village columns of the gap and multiple-pairing tables.
VILLAGE_COLUMNS: tuple[str, ...] = ("village_name", "village_code", "town_name", "households", "poor_households",
                                    "incidence_pct", "is_key_village", "is_old_district", "active_pairings",
                                    "enterprises")
_LAYERS = ("villages", "enterprises", "pairings", "pairing_history")
DATE_MIN, DATE_MAX = date(2000, 1, 1), date(2100, 12, 31)


def labelled(
    df: pd.DataFrame, lang: str, columns: Sequence[str] | None = None, *, prefer: str = "villages"
) -> pd.DataFrame:
    """The chosen columns with coded values and yes/no as labels, headed by ``pt.col.*`` labels, else the
    schema labels of ``prefer`` first, then the other pairing layers (:func:`bangfu.workspace.display.labelled`)."""
    return display.labelled(df, lang, columns=columns, layers=(prefer, *_LAYERS), prefix="pt.col.")


def needy_rule_widgets(ctx: Context) -> NeedyRule:
    """The needy-village rule form (in an expander); returns the rule."""
    with st.expander(ctx.t("pairings.rule"), expanded=True):
        c1, c2, c3, c4 = st.columns([1, 1, 1.3, 1.3])
        key = c1.checkbox(ctx.t("pairings.rule_key"), value=True, key="pr_key")
        old = c2.checkbox(ctx.t("pairings.rule_old"), value=True, key="pr_old")
        use_poor = c3.checkbox(ctx.t("pairings.rule_min_poor"), value=False, key="pr_use_poor")
        n_poor = c3.number_input(ctx.t("pairings.rule_min_poor_n"), min_value=0, value=20, step=5, key="pr_n_poor",
                                 disabled=not use_poor)
        use_inc = c4.checkbox(ctx.t("pairings.rule_incidence"), value=False, key="pr_use_inc")
        x_inc = c4.number_input(ctx.t("pairings.rule_incidence_x"), min_value=0.0, max_value=100.0, value=10.0,
                                step=1.0, key="pr_x_inc", disabled=not use_inc)
        combine = st.radio(ctx.t("pairings.rule_combine"), ["any", "all"], horizontal=True, key="pr_combine",
                           format_func=lambda c: ctx.t(f"pairings.combine_{c}"))
    rule = NeedyRule(key_villages=key, old_district=old, min_poor_households=int(n_poor) if use_poor else None,
                     min_incidence_pct=float(x_inc) if use_inc else None, combine=combine)  # type: ignore[arg-type]
    return rule


def as_of_widget(ctx: Context) -> date:
    """The as-of date: workspace meta ``as_of`` or today, adjustable."""
    default = resolve_as_of(ctx.meta, date.today())
    return st.date_input(ctx.t("pairings.as_of"), value=default, min_value=DATE_MIN, max_value=DATE_MAX,
                         key="pairings_as_of")


def rule_section(ctx: Context) -> tuple[NeedyRule, date]:
    """The needy-village rule form, the as-of date and the rule in words (a warning when no criterion is on)."""
    rule = needy_rule_widgets(ctx)
    c1, c2 = st.columns([1, 3])
    with c1:
        as_of = as_of_widget(ctx)
    c2.markdown(f"**{ctx.t('pairings.rule_now')}**：{rule.describe(ctx.lang)}")
    if not rule.enabled():
        st.warning(ctx.t("pairings.no_rule"))
    return rule, as_of


@dataclass(frozen=True)
class AreaView:
    """The pairing figures of the whole county and of the current area (the one area rule)."""

    as_of: date
    villages: pd.DataFrame  # whole layers
    enterprises: pd.DataFrame
    table: pd.DataFrame  # :func:`bangfu.indicators.village_pairing_table` of every village
    county: ind.Coverage
    area_villages: pd.DataFrame  # the area's villages, their rows of ``table``, the pairings of its villages
    in_area: pd.DataFrame
    pairings: pd.DataFrame

    @property
    def active(self) -> pd.Series:
        """Which of the area's pairings are active on the as-of date."""
        return ind.active_mask(self.pairings, self.as_of)


def area_view(ctx: Context, rule: NeedyRule, as_of: date) -> AreaView:
    """The needy villages by ``rule`` and their pairings on ``as_of``, for the county and the current area."""
    villages, enterprises = ctx.layer("villages"), ctx.layer("enterprises")
    table = ind.village_pairing_table(villages, ctx.layer("pairings"), enterprises, rule=rule, as_of=as_of)
    return AreaView(as_of, villages, enterprises, table, ind.coverage(table), ctx.area_layer("villages"),
                    areas.area_slice(ctx.area, "villages", table), ctx.area_layer("pairings"))


def kpi_section(ctx: Context, view: AreaView) -> None:
    """The area's needy, paired and unpaired villages, coverage, active pairings and their committed funds."""
    cov = ind.coverage(view.in_area)
    active = view.active
    kpi_row(
        [
            (ctx.t("pairings.kpi_needy"), ind.fmt_int(cov.needy)),
            (ctx.t("pairings.kpi_paired"), ind.fmt_int(cov.paired)),
            (ctx.t("pairings.kpi_unpaired"), ind.fmt_int(cov.unpaired)),
            (ctx.t("pairings.kpi_coverage"), ind.fmt_pct(cov.rate_pct)),
            (ctx.t("pairings.kpi_active"), ind.fmt_int(int(active.sum()))),
            (ctx.t("pairings.kpi_funds"), f"{view.pairings.loc[active, 'committed_wan'].sum():,.1f}"),
        ]
    )


def lines_toggle(ctx: Context) -> bool:
    """At county level, whether to draw every pairing line (off: only those of the town, village or enterprise
    found or clicked, so the county map is not a tangle); a town's lines are always drawn."""
    if not ctx.is_whole:
        return True
    on = st.toggle(ctx.t("pairings.all_lines"), value=False, key="pairings_all_lines")
    if not on:
        st.caption(ctx.t("pairings.lines_hint"))
    return on


def _lines_of(lines: pd.DataFrame, villages: pd.DataFrame, focus: Entry | None) -> pd.DataFrame:
    """The pairing lines (or pairings) of the found or clicked thing: an enterprise's, a village's, a town's
    villages'."""
    if focus is None or lines.empty:
        return lines.iloc[:0]
    town_of = dict(zip(villages["village_code"].astype(str), villages["town_code"].astype(str)))
    codes = lines["village_code"].astype(str)
    keep = {"enterprise": lines["enterprise_id"].astype(str) == focus.key, "village": codes == focus.key,
            "town": codes.map(town_of) == focus.key}.get(focus.kind)
    return lines[keep] if keep is not None else lines.iloc[:0]


def current_pick(ctx: Context, view: AreaView, found: tuple[str, str] | None) -> tuple[Entry | None, bool]:
    """What the map highlights (found, clicked on the map, or ticked in the unpaired list) and whether it zooms to
    it; a village or an enterprise picked so is put into the add-pairing form (once: the form can change it)."""
    refs = [("village", str(c)) for c in ind.unpaired_needy(view.in_area)["village_code"]]
    entry, fit = page_pick(ctx, "pairings", found=found, map_key=map_key(ctx), table_key=GAPS_KEY,
                            table_refs=refs)
    form_key = {"village": "pa_village", "enterprise": "pa_ent"}.get(entry.kind) if entry is not None else None
    if entry is not None and form_key and st.session_state.get("pairings.picked") != entry.ref:
        st.session_state["pairings.picked"] = entry.ref
        st.session_state[form_key] = entry.key
    return entry, fit


def area_map(ctx: Context, view: AreaView, *, show_ended: bool, focus: Entry | None = None,
             all_lines: bool = True) -> folium.Map:
    """The area's villages by pairing status, pairing lines (ended ones too if asked; at county level only those
    of ``focus`` unless ``all_lines``) and the enterprises: every enterprise for the county, those linked to the
    area's villages for a town."""
    pairings = view.pairings if all_lines else _lines_of(view.pairings, view.villages, focus)  # those drawn only
    lines = ind.pairing_lines(view.villages, view.enterprises, pairings, as_of=view.as_of)
    if not show_ended and len(lines):
        lines = lines[lines["active"]]
    linked = set(lines["enterprise_id"]) if len(lines) else set()
    shown_ent = view.enterprises if ctx.is_whole else view.enterprises[view.enterprises["enterprise_id"].isin(linked)]
    level = mu.theme_level(ctx.area)
    if level is not None:  # a province or a city: its areas one level below, coloured by their gaps
        units = overview.units_map_data(ctx, view.as_of.isoformat(), level, mu.UnitOptions(lang=ctx.lang),
                                        adjust=lambda summary: _gap_units(summary, view.table, level))
        return thememaps.pairing_units_map(units, lines, shown_ent, lang=ctx.lang, basemap=ctx.basemap,
                                           tianditu_token=ctx.tianditu_token)
    return thememaps.pairing_map(view.area_villages, view.in_area, lines, shown_ent,
                                 lang=ctx.lang, basemap=ctx.basemap, tianditu_token=ctx.tianditu_token)


def _gap_units(summary: pd.DataFrame, table: pd.DataFrame, level: str) -> tuple[pd.DataFrame, ind.Choropleth]:
    """The unit table with the page's coverage (its needy rule and date) per area, and the classes of its gaps."""
    digits = next(lv.digits for lv in areas.LEVELS if lv.key == level)
    cov = ind.coverage_by_area(table, digits).set_index("area_code")
    codes = summary["area_code"].astype(str)
    for column in ("needy_villages", "needy_paired", "needy_unpaired", "pairing_coverage_pct"):
        summary[column] = codes.map(cov[column]).to_numpy()
    return summary, thememaps.gap_choropleth(summary)


def map_caption(ctx: Context) -> None:
    """What the map of a province or a city shows (its areas one level below, coloured by gaps); nothing below."""
    level = mu.theme_level(ctx.area)
    if level is not None:
        st.caption(ctx.t("pairings.units_caption").format(level=ctx.t(f"sidebar.level.{level}")))


def tab_labels(ctx: Context) -> list[str]:
    """The labels of :data:`TABS`."""
    return [ctx.t(f"pairings.tab_{k}") for k in TABS]


def coverage_tab(ctx: Context, view: AreaView) -> None:
    """Coverage of needy villages per town and the county (always the whole county), table and chart."""
    cov_table = view.county.with_total(ctx.t("pairings.county"))
    st.dataframe(labelled(cov_table, ctx.lang, ["town_name", "villages", "needy", "needy_paired",
                                                "needy_unpaired", "coverage_pct"]).round(1), hide_index=True)
    st.bar_chart(view.county.by_town.set_index("town_name")["coverage_pct"], y_label=ctx.t("pt.col.coverage_pct"),
                 x_label="")


def gaps_tab(ctx: Context, view: AreaView) -> None:
    """The area's needy villages without an active pairing (most poor households first), with downloads."""
    gaps = ind.unpaired_needy(view.in_area)
    if gaps.empty:
        st.success(ctx.t("pairings.gaps_none"))
        return
    gap_frame = labelled(gaps, ctx.lang, VILLAGE_COLUMNS[:8]).round(1)
    pick_table(ctx, gap_frame, key=GAPS_KEY)  # a ticked village: on the map and in the add-pairing form
    download_buttons(gap_frame, name=ctx.t("pairings.tab_gaps"), lang=ctx.lang, key="pairings_gaps")


def multi_tab(ctx: Context, view: AreaView) -> None:
    """The area's villages with several active pairings."""
    st.dataframe(labelled(ind.multiply_paired(view.in_area), ctx.lang, VILLAGE_COLUMNS).round(1), hide_index=True)


def enterprises_tab(ctx: Context, view: AreaView) -> None:
    """Enterprises paired (actively) with at least N of the area's villages."""
    min_v = st.number_input(ctx.t("pairings.min_villages"), min_value=1, value=2, step=1, key="pairings_min_v")
    load = ind.enterprise_load(view.enterprises, view.pairings, as_of=view.as_of, min_villages=int(min_v))
    st.dataframe(labelled(load, ctx.lang, prefer="enterprises"), hide_index=True)


def towns_tab(ctx: Context, view: AreaView) -> None:
    """Active pairings by town: counts per type, committed funds (table and chart)."""
    by_town = ind.pairings_by_town(view.area_villages, view.pairings, as_of=view.as_of)
    st.dataframe(labelled(by_town.drop(columns="town_code"), ctx.lang), hide_index=True)
    st.bar_chart(by_town.set_index("town_name")[["committed_wan"]].rename(columns={"committed_wan": ctx.t("pairings.kpi_funds")}),
                 x_label="")


def pairing_labels(view: AreaView, lang: str) -> dict[str, str]:
    """Pairing id → "id · enterprise → village（type，start～end）" for the area's pairings."""
    names = dict(zip(view.enterprises["enterprise_id"], view.enterprises["name"]))
    vnames = dict(zip(view.villages["village_code"], view.villages["village_name"]))
    return {p.pairing_id: f"{p.pairing_id} · {names.get(p.enterprise_id, p.enterprise_id)} → "
            f"{vnames.get(p.village_code, p.village_code)}（{PAIRING_TYPE.label(p.pairing_type, lang)}，"
            f"{formats.local_date(p.start_date)}～{'' if is_missing(p.end_date) else formats.local_date(p.end_date)}）"
            for p in view.pairings.itertuples()}


def add_form(ctx: Context, villages: pd.DataFrame, enterprises: pd.DataFrame, *, as_of: date,
             needy: pd.DataFrame | None = None) -> None:
    """The add-a-pairing form; writes through :func:`bangfu.editing.pairings.add_pairing`. The villages list starts
    with the unpaired needy villages of ``needy`` (a :func:`bangfu.indicators.village_pairing_table`, most poor
    households first: the villages the form exists for); a village or enterprise picked on the map, found, or
    ticked in the unpaired list is preselected."""
    if villages.empty or enterprises.empty:
        st.info(ctx.t("pairings.no_enterprises"))
        return
    ent = dict(zip(enterprises["enterprise_id"], enterprises["name"]))
    unpaired = [str(c) for c in ind.unpaired_needy(needy)["village_code"]] if needy is not None else []
    mark = ctx.t("pairings.unpaired_mark")
    names = {str(c): f"{n}（{tn}）" for c, n, tn in zip(villages["village_code"], villages["village_name"],
                                                      villages["town_name"])}
    first = [c for c in unpaired if c in names]  # the unpaired needy villages first, marked
    vil = {**{c: f"{names[c]} · {mark}" for c in first}, **{c: n for c, n in names.items() if c not in set(first)}}
    if st.session_state.get("pa_village") not in vil:
        st.session_state.pop("pa_village", None)
    if st.session_state.get("pa_ent") not in ent:
        st.session_state.pop("pa_ent", None)
    cols = column_labels("pairings", ctx.lang)
    with st.form("pairing_add", clear_on_submit=False):
        st.markdown(f"**{ctx.t('pairings.add')}**")
        c1, c2, c3 = st.columns(3)
        eid = c1.selectbox(cols["enterprise_id"], list(ent), format_func=lambda e: f"{ent[e]}（{e}）", key="pa_ent")
        vcode = c2.selectbox(cols["village_code"], list(vil), format_func=vil.__getitem__, key="pa_village")
        ptype = c3.selectbox(cols["pairing_type"], PAIRING_TYPES, key="pa_type",
                             format_func=lambda c: PAIRING_TYPE.label(c, ctx.lang))
        c4, c5, c6 = st.columns(3)
        start = c4.date_input(cols["start_date"], value=as_of, min_value=DATE_MIN, max_value=DATE_MAX, key="pa_start")
        funds = c5.number_input(cols["committed_wan"], value=0.0, step=1.0, key="pa_funds")
        employed = c6.number_input(cols["poor_households_employed"], min_value=0, value=0, step=1, key="pa_employed")
        if st.form_submit_button(ctx.t("pairings.add_submit"), type="primary", key="pa_submit"):
            new = pairing_edits.NewPairing(eid, vcode, ptype, start, float(funds), int(employed))
            try:
                pid = pairing_edits.add_pairing(ctx.path, new, user=ctx.user)
            except BangfuError as exc:
                show_error(exc, ctx.lang)
            else:
                flash(f"{ctx.t('pairings.added')}：{pid}", slot=FLASH_SLOT)
                st.rerun()


def edit_form(ctx: Context, pairings: pd.DataFrame, labels: dict[str, str]) -> str | None:
    """End a pairing or edit its figures, versioned against concurrent editors; returns the chosen id.

    The version the user starts from is kept in the session: if someone else saves first, the
    save is refused with their values (:class:`bangfu.editing.engine.ConflictError`) instead of overwriting.
    """
    if pairings.empty:
        return None
    ids = list(pairings["pairing_id"])
    pid = st.selectbox(ctx.t("pairings.pick"), ids, format_func=lambda p: labels.get(p, p), key="pe_pick")
    row = pairings.set_index("pairing_id").loc[pid]
    base = st.session_state.get("pe_base")
    if base is None or base["pairing_id"] != pid:
        base = {"pairing_id": pid, **{k: row[k] for k in row.index}}
        st.session_state["pe_base"] = base
    cols = column_labels("pairings", ctx.lang)
    suffix = f"{pid}_{base['version']}"
    with st.form("pairing_edit"):
        st.markdown(f"**{ctx.t('pairings.edit')}** · {ctx.t('pairings.based_on')} {base['version']}")
        c1, c2, c3 = st.columns(3)
        ptype = c1.selectbox(cols["pairing_type"], PAIRING_TYPES, index=list(PAIRING_TYPES).index(base["pairing_type"])
                             if base["pairing_type"] in PAIRING_TYPES else 0, key=f"pe_type_{suffix}",
                             format_func=lambda c: PAIRING_TYPE.label(c, ctx.lang))
        start0, end0 = pairing_edits.parse_date(base["start_date"]), pairing_edits.parse_date(base["end_date"])
        start = c2.date_input(cols["start_date"], value=start0 or date.today(), min_value=DATE_MIN,
                              max_value=DATE_MAX, key=f"pe_start_{suffix}")
        end_set = c3.checkbox(ctx.t("pairings.has_end"), value=end0 is not None, key=f"pe_has_end_{suffix}")
        end = c3.date_input(cols["end_date"], value=end0 or date.today(), min_value=DATE_MIN,
                            max_value=DATE_MAX, key=f"pe_end_{suffix}")
        c4, c5 = st.columns(2)
        funds = c4.number_input(cols["committed_wan"], value=float(base["committed_wan"] or 0.0), step=1.0,
                                key=f"pe_funds_{suffix}")
        emp0 = base["poor_households_employed"]
        employed = c5.number_input(cols["poor_households_employed"], min_value=0,
                                   value=0 if pd.isna(emp0) else int(emp0), step=1, key=f"pe_emp_{suffix}")
        submitted = st.form_submit_button(ctx.t("pairings.edit_submit"), type="primary", key="pe_submit")
    conflict = False
    if submitted:
        wanted = {"pairing_type": ptype, "start_date": start.isoformat(),
                  "end_date": end.isoformat() if end_set else None, "committed_wan": float(funds),
                  "poor_households_employed": int(employed)}
        changes = edits.changed_fields(base, wanted)
        if not changes:
            st.info(ctx.t("pairings.no_change"))
            return pid
        try:
            version = pairing_edits.edit_pairing(ctx.path, pid, changes, expected_version=int(base["version"]),
                                                 user=ctx.user)
        except BangfuError as exc:
            show_error(exc, ctx.lang)
            conflict = isinstance(exc, pairing_edits.ConflictError)
        else:
            st.session_state.pop("pe_base", None)
            flash(f"{ctx.t('pairings.saved')} {version}（{pid}）", slot=FLASH_SLOT)
            st.rerun()
    if (conflict or int(row["version"]) != int(base["version"])) and st.button(ctx.t("pairings.reload"), key="pe_reload"):
        st.session_state.pop("pe_base", None)
        st.rerun()
    return pid


def editing_tab(ctx: Context, view: AreaView) -> None:
    """The whole 新增/修改结对 tab: who edits (the signed-in user), add form (the area's villages), edit form
    (the area's pairings), and the chosen pairing's history. The data layer refuses a pairing outside the
    towns the user may edit."""
    show_flash(FLASH_SLOT)
    if not editor_notice(ctx):
        return
    add_form(ctx, view.area_villages, view.enterprises, as_of=view.as_of, needy=view.in_area)
    pid = edit_form(ctx, view.pairings, pairing_labels(view, ctx.lang))
    if pid is not None:
        history_table(ctx, pid)


def history_table(ctx: Context, pairing_id: str | None) -> None:
    """Edit history (one pairing, or all when ``None``), newest first."""
    hist = pairing_edits.pairing_history_display(ctx.path, pairing_id, lang=ctx.lang)
    if hist.empty:
        st.caption(ctx.t("pairings.history_empty"))
        return
    shown = labelled(hist, ctx.lang, ["pairing_id", "changed_at", "editor", "action", "field", "old", "new"],
                     prefer="pairing_history")
    st.dataframe(shown, hide_index=True)
