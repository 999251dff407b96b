"""Reusable page pieces: the page header, KPI cards, the synthetic-data note, the offline map component, the search
box and the picks (search, map click, table row) that zoom to and highlight a thing on a map, downloads, page links
and the one notice of a page whose data is missing (:func:`require_layers`)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from streamlit.errors import StreamlitAPIException

from bangfu.export import tables as exports
from bangfu.indicators.search import SEARCH_KINDS, Entry, build_index, initials, search
from bangfu.maps.base import focus_layer
from bangfu.core.labels import LABELS, t
from bangfu.workspace import access
from bangfu.workspace import status as ws_status
from bangfu.workspace.schema import get_layer
from bangfu.core.text import safe_filename
from bangfu.ui import cache
from bangfu.ui.cache import load_layer, shared
from bangfu.ui.feedback import md_text
from bangfu.ui.pages import page
from bangfu.ui.shell import Context


def page_header(ctx: Context, title: str, intro: str) -> None:
    """A page's title (label ``title``, with the chosen area's name — its parents too where the name repeats —
    or the province's / city's name for a workspace of several counties), its one-line introduction (label
    ``intro``) and the synthetic-data note; then, on a workspace that is not complete, what the page is missing
    (:func:`require_layers`, which stops the page) or the next import step (:func:`workspace_notice`)."""
    named = not ctx.is_whole or ctx.area.level in ("province", "city")
    st.title(ctx.t(title) + (f" · {md_text(ctx.area_label)}" if named and ctx.area.name else ""))  # escaped
    st.caption(ctx.t(intro))
    synthetic_note(ctx)
    require_layers(ctx, page(title).needs)
    workspace_notice(ctx)


def page_link(ctx: Context, url_path: str, label: str, *, query_params: dict[str, str] | None = None) -> None:
    """A link to the page ``url_path`` (:data:`bangfu.ui.pages.PAGES`) labelled ``label``; as plain text where
    Streamlit knows no other pages (a page file run on its own, as in AppTest)."""
    spec = page(url_path)
    try:
        st.page_link(spec.path, label=label, icon=spec.icon, query_params=query_params)
    except StreamlitAPIException:
        st.caption(f"→ {label}")


def layer_names(names: Sequence[str], lang: str) -> str:
    """Layer names in ``lang``, joined (``行政村、候选项目``)."""
    return ("、" if lang == "zh" else ", ").join(get_layer(n).zh if lang == "zh" else get_layer(n).en for n in names)


def require_layers(ctx: Context, needs: Sequence[str]) -> None:
    """The one check of a page on a partial workspace: if a layer of ``needs`` has no rows, say which layers to
    import (in import order), link to the getting-started page, and stop the page."""
    missing = ws_status.missing(cache.layer_counts(ctx.path, ctx.version), needs)
    if not missing:
        return
    st.info(ctx.t("missing.layers").format(layers=layer_names(missing, ctx.lang)))
    page_link(ctx, "start", ctx.t("missing.go"))
    st.stop()


def workspace_notice(ctx: Context) -> None:
    """On a workspace that is not complete: the next layer to import, with a link to the getting-started page."""
    step = ws_status.next_step(ws_status.workspace_status(cache.layer_counts(ctx.path, ctx.version)))
    if step is None:
        return
    st.info(ctx.t("start.notice").format(layer=layer_names([step], ctx.lang)))
    page_link(ctx, "start", ctx.t("start.notice_link"))


def synthetic_note(ctx: Context) -> None:
    """The visible note saying which figures are synthetic (demo workspaces only)."""
    if ctx.is_demo:  # the Kaiping demo's note, or a synthetic province's own (its meta, escaped)
        own = ctx.meta.get("synthetic_note", "") if ctx.meta.get("source") != "demo" else ""
        st.caption("ⓘ " + (md_text(own) if own else t("synthetic.note", ctx.lang)))


def kpi_row(items: Sequence[tuple[str, str]]) -> None:
    """A row of metric cards: (label, formatted value)."""
    cols = st.columns(len(items))
    for col, (label, value) in zip(cols, items):
        col.metric(label, value)


def show_map(
    m: folium.Map,
    *,
    key: str,
    height: int = 600,
    returned_objects: Sequence[str] = (),
    focus: Entry | None = None,
    fit: bool = True,
    on_change: Callable[[], None] | None = None,
) -> dict:
    """Render a folium map; only ``returned_objects`` trigger reruns (pan/zoom do not).

    ``focus``: a found or picked thing, highlighted (and, when ``fit``, zoomed to) on the map already shown: it is
    sent as streamlit-folium's dynamic feature group, so the map is not built anew and keeps its view, its layer
    choices and its click state. ``on_change``: called before the rerun a click causes (the map's value is then in
    ``st.session_state[key]``; a callback may choose the area the sidebar shows)."""
    group = focus_layer(focus.geometry, fit=fit) if focus is not None else None
    return st_folium(m, key=key, height=height, use_container_width=True, returned_objects=list(returned_objects),
                     feature_group_to_add=group, on_change=on_change) or {}


Ref = tuple[str, str]  # (kind, key) of an indicators.search.Entry


@shared(max_entries=4, resource=True)  # read-only frozen entries: shared by reference, not unpickled on every run
def _search_index(path: str, version: str, lang: str) -> tuple[Entry, ...]:
    return build_index(load_layer(path, version, "villages"), roads=load_layer(path, version, "roads"),
                       projects=load_layer(path, version, "projects"),
                       enterprises=load_layer(path, version, "enterprises"),
                       sites=load_layer(path, version, "tourism_sites"), lang=lang)


def search_index(ctx: Context) -> tuple[Entry, ...]:
    """Everything the search box finds in the workspace (public layers only; cached per workspace version). Built
    the first time something is typed into a search box (:func:`search_box`), never by showing a page: on a
    province it is tens of seconds of pure Python (the pinyin initials of some 62,000 names)."""
    with st.spinner(ctx.t("search.building")):
        return _search_index(ctx.path, ctx.version, ctx.lang)


def find_entry(ctx: Context, ref: Ref | None) -> Entry | None:
    """The search entry of ``ref`` (kind, key), or None. A village is made from its row of the villages layer (what
    the index holds for it) without building the whole index: a click on a village map or an open profile does not
    wait for the index of every road and project (tens of seconds on a province)."""
    if ref is None:
        return None
    if ref[0] == "village":
        return _village_entry(ctx, str(ref[1]))
    return next((e for e in search_index(ctx) if e.ref == tuple(ref)), None)


def _village_entry(ctx: Context, code: str) -> Entry | None:
    return village_entry(ctx.layer("villages"), code)


def village_entry(villages: pd.DataFrame, code: str) -> Entry | None:
    """The search entry of village ``code`` made from its row of ``villages`` (what
    :func:`bangfu.indicators.search.build_index` makes of it: name, town as context, lon/lat geometry), None when
    there is none."""
    rows = villages[villages["village_code"].astype(str) == code]
    if rows.empty or rows.geometry.iloc[0] is None or rows.geometry.iloc[0].is_empty:
        return None
    if rows.crs is not None and not rows.crs.equals("EPSG:4326"):
        rows = rows.to_crs("EPSG:4326")
    row = rows.iloc[0]
    name = "" if pd.isna(row["village_name"]) else str(row["village_name"])
    town = "" if "town_name" not in rows or pd.isna(row["town_name"]) else str(row["town_name"])
    return Entry("village", code, name, town, initials(name), row.geometry)


def entry_label(ctx: Context, entry: Entry) -> str:
    """'村 · 高山村委会 · 赤水镇 · 440783116255': kind, name, context and code of a search result."""
    return " · ".join(x for x in (ctx.t(f"search.kind.{entry.kind}"), entry.name, entry.detail, entry.key) if x)


def search_box(ctx: Context, index: Sequence[Entry] | Callable[[], Sequence[Entry]] | None = None, *, key: str,
               kinds: Sequence[str] = SEARCH_KINDS) -> Ref | None:
    """The search box of a map page (name, code or pinyin initials, :func:`bangfu.indicators.search.search`) and
    the list of what it found; returns the chosen result (the best one until another is picked), None without
    a query or a match. ``index`` may be a function giving it, or None for the workspace's (:func:`search_index`):
    it is then built only once something is typed (a province's index takes tens of seconds to build the first
    time; the first page need not wait for it)."""
    c1, c2 = st.columns([2, 3])
    query = c1.text_input(ctx.t("search.label"), key=f"{key}_q", placeholder=ctx.t("search.placeholder"))
    if not query.strip():
        return None
    if index is None:
        index = search_index(ctx)
    elif callable(index):
        index = index()
    hits = {e.ref: e for e in search(index, query, kinds=kinds)}
    if not hits:
        c2.caption(ctx.t("search.none").format(q=md_text(query.strip())))  # what was typed: never Markdown
        return None
    return c2.selectbox(ctx.t("search.results").format(n=len(hits)), list(hits),
                        format_func=lambda r: entry_label(ctx, hits[r]), key=f"{key}_hit")


#: A clicked map feature's property → the search kind its value is the code of (first present wins).
FEATURE_KEYS: tuple[tuple[str, str], ...] = (
    ("road_id", "road"), ("project_id", "project"), ("site_id", "site"), ("enterprise_id", "enterprise"),
    ("village_code", "village"), ("c", "village"),
)


def feature_ref(props: Mapping[str, Any]) -> Ref | None:
    """The search ref of a clicked feature from its properties (:data:`FEATURE_KEYS`), None when it has none."""
    return next(((kind, str(props[k])) for k, kind in FEATURE_KEYS if props.get(k)), None)


def map_click(key: str, ref_of: Callable[[Mapping[str, Any]], Ref | None] = feature_ref) -> Ref | None:
    """What was last clicked on the map of ``key`` (its feature's properties, as :func:`show_map` returned them on
    the previous run), as a ref by ``ref_of``; read before the map is drawn so the click can be highlighted."""
    state = st.session_state.get(key) or {}
    props = ((state.get("last_active_drawing") or {}).get("properties")) if isinstance(state, Mapping) else None
    return ref_of(props) if props else None


def table_pick(key: str, refs: Sequence[Ref]) -> Ref | None:
    """The row ticked in the table of ``key`` (:func:`pick_table`) as a ref (``refs[i]`` is row ``i``'s)."""
    state = st.session_state.get(key)
    try:
        rows = list(state["selection"]["rows"]) if state is not None else []
    except (KeyError, TypeError):
        rows = []
    return refs[rows[0]] if rows and rows[0] < len(refs) else None


def pick_table(ctx: Context, df: pd.DataFrame, *, key: str) -> None:
    """A table whose rows can be ticked (one at a time) to show the row on the page's map (:func:`table_pick`)."""
    st.dataframe(df, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row", key=key)
    st.caption(ctx.t("search.table_hint"))


def latest_pick(key: str, sources: Mapping[str, Hashable | None]) -> tuple[str, Any] | None:
    """(source, value) of the thing most recently chosen on a page among several ways of choosing it (search box,
    map click, table row…): a source counts when its value changed since the page's last run, so the last action
    wins; kept in the session under ``key``. None before anything was chosen."""
    seen = st.session_state.setdefault(f"{key}.seen", {})
    for source, value in sources.items():
        if value is not None and seen.get(source) != value:
            st.session_state[f"{key}.pick"] = (source, value)
        seen[source] = value
    return st.session_state.get(f"{key}.pick")


def page_pick(ctx: Context, key: str, *, found: Ref | None, map_key: str, table_key: str | None = None,
              table_refs: Sequence[Ref] = ()) -> tuple[Entry | None, bool]:
    """The thing last chosen on a map page by its search box (``found``), a click on its map (``map_key``) or a
    ticked row of its table (``table_key``, rows' refs ``table_refs``), and whether to zoom to it
    (:func:`picked_entry`)."""
    sources = {"search": found, "map": map_click(map_key)}
    if table_key is not None:
        sources["table"] = table_pick(table_key, table_refs)
    return picked_entry(ctx, key, sources)


def picked_entry(ctx: Context, key: str, sources: Mapping[str, Ref | None]) -> tuple[Entry | None, bool]:
    """The search entry last chosen by any of ``sources`` (:func:`latest_pick`) and whether to zoom to it: a
    thing found or ticked in a table is zoomed to, a thing clicked on the map is only highlighted."""
    pick = latest_pick(key, sources)
    if pick is None:
        return None, False
    source, ref = pick
    return find_entry(ctx, ref), source != "map"


def kept_tabs(labels: Sequence[str], *, key: str) -> Sequence:
    """``st.tabs`` that stay on the chosen tab after a button, a form or a rerun (the choice is kept in session state
    under ``key``; without it Streamlit redraws the tabs and shows the first one)."""
    return st.tabs(list(labels), key=key, on_change="rerun")


def download_buttons(df: pd.DataFrame, *, name: str, lang: str, key: str, deferred: bool = False) -> None:
    """CSV (UTF-8 with BOM, opens in Excel) and Excel downloads of a table with its current headers, values as
    people read them (:func:`bangfu.core.formats.readable`). ``name``: the file name, or a key whose label
    ``common.file.<name>`` gives it in the interface language. ``deferred``: the files are written when the button
    is clicked, not on every run of the page (a table of a province's 16,727 villages takes seconds to write)."""
    name = safe_filename(t(f"common.file.{name}", lang) if f"common.file.{name}" in LABELS else name)  # may hold a town name
    c1, c2 = st.columns(2)
    csv: Any = (lambda: exports.to_csv_bytes(df, lang)) if deferred else exports.to_csv_bytes(df, lang)
    xlsx: Any = (lambda: exports.to_xlsx_bytes({name[:31]: df}, lang)) if deferred else None
    c1.download_button(
        t("common.download_csv", lang), csv, file_name=f"{name}.csv", mime="text/csv", key=f"{key}_csv",
        on_click="ignore",  # a download does not rerun the page (which would lose the open tab and scroll)
    )
    c2.download_button(
        t("common.download_xlsx", lang),
        xlsx if deferred else exports.to_xlsx_bytes({name[:31]: df}, lang),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
        on_click="ignore",
    )


def editor_notice(ctx: Context) -> bool:
    """Who will be recorded as the editor (the signed-in account, never a text box) and, for a town planner,
    which towns they may edit; returns whether the role may edit at all (the data layer checks every row)."""
    user = ctx.user
    role = user.role_spec.label(ctx.lang)
    if not access.can(user, "edit"):
        st.caption(ctx.t("common.cannot_edit").format(role=role))
        return False
    st.caption(ctx.t("common.editor_is").format(name=user.name, role=role))
    if user.role_spec.town_scoped:
        st.caption(ctx.t("common.edit_towns").format(towns="、".join(user.towns) or "—"))
    return True


def suppression_note(ctx: Context) -> None:
    """Under a table of household counts: say that counts of fewer than 5 households are shown as "<5" (for a
    reader without household access, who gets them suppressed by the data layer)."""
    if not access.can(ctx.user, "view_households") or ctx.user.role_spec.town_scoped:
        st.caption(ctx.t("common.suppressed_note"))
