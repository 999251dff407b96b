"""Widgets of the 乡村旅游 and 企业结对 pages: labelled tables, the needy-rule form, pairing edit forms, history."""

from __future__ import annotations

from datetime import date
from typing import Any, Sequence

import pandas as pd
import streamlit as st

from bangfu.editing import pairings as pairing_edits
from bangfu.indicators.pairings import NeedyRule, resolve_as_of
from bangfu.core.labels import LABELS, t
from bangfu.core.vocab import PAIRING_TYPE
from bangfu.workspace import display
from bangfu.workspace.schema import column_labels
from bangfu.workspace.schema import PAIRING_TYPES
from bangfu.core.errors import BangfuError
from bangfu.ui.feedback import flash, show_error, show_flash
from bangfu.ui.shell import Context

#: Flash slot of the editing tab (pairing added or saved), shown at the top of the tab.
FLASH_SLOT = "pairings"
_LAYERS = ("villages", "tourism_sites", "enterprises", "pairings", "pairing_history")
DATE_MIN, DATE_MAX = date(2000, 1, 1), date(2100, 12, 31)


def labelled(
    df: pd.DataFrame, lang: str, columns: Sequence[str] | None = None, *, prefer: str = "villages"
) -> pd.DataFrame:
    """A copy with the chosen columns, coded values and yes/no as labels (:func:`bangfu.workspace.display.label_codes`),
    headed by their labels (schema labels of ``prefer`` first, then the other layers, then ``pt.col.*`` labels)."""
    cols = [c for c in (columns or df.columns) if c in df.columns and c != "geometry"]
    names: dict[str, str] = {}
    for layer in (prefer, *_LAYERS):
        for k, v in column_labels(layer, lang).items():
            names.setdefault(k, v)
    for c in cols:
        if f"pt.col.{c}" in LABELS:
            names[c] = t(f"pt.col.{c}", lang)
    out = display.label_codes(pd.DataFrame(df[cols]), lang, layers=(prefer, *_LAYERS))
    return out.rename(columns={c: names.get(c, c) for c in cols})


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


def _iso(v: Any) -> date | None:
    try:
        return date.fromisoformat(str(v)[:10]) if v not in (None, "") and not pd.isna(v) else None
    except ValueError:
        return None


def add_form(ctx: Context, villages: pd.DataFrame, enterprises: pd.DataFrame, *, editor: str, as_of: date) -> None:
    """The add-a-pairing form; writes through :func:`bangfu.editing.pairings.add_pairing`."""
    if villages.empty or enterprises.empty:
        st.info(ctx.t("pairings.no_enterprises"))
        return
    ent = dict(zip(enterprises["enterprise_id"], enterprises["name"]))
    vil = {c: f"{n}（{tn}）" for c, n, tn in zip(villages["village_code"], villages["village_name"], villages["town_name"])}
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
                pid = pairing_edits.add_pairing(ctx.path, new, editor=editor)
            except BangfuError as exc:
                show_error(exc, ctx.lang)
            else:
                flash(f"{ctx.t('pairings.added')}：{pid}", slot=FLASH_SLOT)
                st.rerun()


def edit_form(ctx: Context, pairings: pd.DataFrame, labels: dict[str, str], *, editor: str) -> str | None:
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
        start = c2.date_input(cols["start_date"], value=_iso(base["start_date"]) or date.today(), min_value=DATE_MIN,
                              max_value=DATE_MAX, key=f"pe_start_{suffix}")
        end_set = c3.checkbox(ctx.t("pairings.has_end"), value=_iso(base["end_date"]) is not None,
                              key=f"pe_has_end_{suffix}")
        end = c3.date_input(cols["end_date"], value=_iso(base["end_date"]) or date.today(), min_value=DATE_MIN,
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
        changes = {k: v for k, v in wanted.items() if not _same(base[k], v)}
        if not changes:
            st.info(ctx.t("pairings.no_change"))
            return pid
        try:
            version = pairing_edits.edit_pairing(ctx.path, pid, changes, expected_version=int(base["version"]),
                                                 editor=editor)
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


def _same(old: Any, new: Any) -> bool:
    if old is None or (not isinstance(old, str) and pd.isna(old)):
        return new is None
    if isinstance(new, float) or isinstance(new, int):
        try:
            return float(old) == float(new)
        except (TypeError, ValueError):
            return False
    return str(old) == str(new)


def editing_tab(ctx: Context, villages: pd.DataFrame, enterprises: pd.DataFrame, pairings: pd.DataFrame,
                labels: dict[str, str], *, as_of: date) -> None:
    """The whole 新增/修改结对 tab: editor name, add form, edit form, and the chosen pairing's history."""
    show_flash(FLASH_SLOT)
    editor = st.text_input(ctx.t("pairings.editor"), key="pairings_editor")
    add_form(ctx, villages, enterprises, editor=editor, as_of=as_of)
    pid = edit_form(ctx, pairings, labels, editor=editor)
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
