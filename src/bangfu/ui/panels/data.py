"""Panels of page 数据管理: the import steps, the export downloads and the backup restore.

All decisions are made by :mod:`bangfu.ingest.pipeline` and friends; these functions only read
widgets, call them and render results. User-supplied text is shown with ``st.text``,
``st.dataframe``, escaped map tooltips or :mod:`bangfu.ui.feedback`, never as raw Markdown/HTML.
A write (apply, restore) changes the workspace version, so every page and every session reads the
new data on its next run; no cache is cleared (see :mod:`bangfu.ui.cache`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import folium
import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from bangfu.ingest import columns as cm
from bangfu.ingest import crs_detect, examples as import_examples, guard, matching, pipeline as importers, readers
from bangfu.export import layers as layer_export
from bangfu.maps import base as maps
from bangfu.workspace import access, catalog, create, settings, store
from bangfu.ingest import encodings as enc
from bangfu.workspace.schema import LAYERS, get_layer
from bangfu.core.errors import BangfuError
from bangfu.core.labels import t
from bangfu.ui.feedback import flash, md_text, show_error
from bangfu.ui.progress import run_cancellable
from bangfu.ui.shell import Context
from bangfu.ui.widgets import download_buttons, kpi_row, show_map
from bangfu.ui.workspaces import choose

T = TypeVar("T")
UPLOAD_KEY = "data.upload"  # (file name, bytes or the file on disk): set by the uploader, the example button, or a test
#: Session key of the upload streamed to disk: (upload id, private folder, file).
STORED_KEY = "data.stored_upload"
#: Flash slot of this page's messages (import applied, backup restored); the page shows it under its title.
FLASH_SLOT = "data"
AUTO = "auto"
PREVIEW_FEATURES = 2000
#: The page's tabs, in order (label keys).
TABS: tuple[str, ...] = ("data.import", "data.export", "data.backup")
#: Session key of a restore waiting for its confirmation: (backup name, workspace version shown then).
RESTORE_PENDING = "data.restore_pending"


def tab_labels(ctx: Context) -> list[str]:
    """The labels of :data:`TABS`."""
    return [ctx.t(k) for k in TABS]


def _size(data: bytes | Path) -> int:
    return data.stat().st_size if isinstance(data, Path) else len(data)


def _token(name: str, data: bytes | Path) -> str:
    head = guard.file_head(data) if isinstance(data, Path) else data[:65536]
    return hashlib.sha1(name.encode("utf-8") + head + str(_size(data)).encode()).hexdigest()[:10]


def upload_limits(ctx: Context) -> guard.Limits:
    """The office's upload limits (an administrator's settings, then the environment, then the defaults)."""
    return guard.Limits.for_office(store.office_folder(ctx.path))


def _browser_cap_mb() -> float:
    return float(st.get_option("server.maxUploadSize"))


def _store_upload(ctx: Context, up: UploadedFile, limits: guard.Limits) -> tuple[str, Path] | None:
    """Stream the browser's upload to a private folder of this session in 1 MB chunks (never a second copy in
    memory, nothing kept in the session state but the file's path); refused with the Chinese message above the
    size limit. Once per upload: a rerun reuses the stored file."""
    stored = st.session_state.get(STORED_KEY)
    if stored is not None and stored[0] == up.file_id and stored[2].exists():
        return up.name, stored[2]
    if stored is not None:
        shutil.rmtree(stored[1], ignore_errors=True)
        st.session_state.pop(STORED_KEY, None)
    try:
        guard.check_size(up.size, limits)
        folder = Path(tempfile.mkdtemp(prefix="bangfu-upload-"))
        os.chmod(folder, 0o700)
        up.seek(0)
        try:
            path = guard.save_upload(up, up.name, folder, limits=limits, size=up.size)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
    except BangfuError as exc:
        show_error(exc, ctx.lang)
        return None
    st.session_state[STORED_KEY] = (up.file_id, folder, path)
    return up.name, path


def limits_form(ctx: Context) -> None:
    """The upload limits and, for administrators, the form that changes them (kept in the office database)."""
    limits = upload_limits(ctx)
    browser = _browser_cap_mb()
    st.caption(ctx.t("data.upload_limit").format(mb=limits.value("max_bytes"), rows=int(limits.max_rows),
                                                 browser=browser))
    if not access.can(ctx.user, "import"):
        return
    with st.expander(ctx.t("data.limits_title")):
        c1, c2 = st.columns(2)
        mb = c1.number_input(ctx.t("data.limit_mb"), min_value=1.0, value=float(limits.value("max_bytes")), step=50.0,
                             key="data.limit_mb")
        rows = c2.number_input(ctx.t("data.limit_rows"), min_value=1, value=int(limits.max_rows), step=100_000,
                               key="data.limit_rows")
        st.caption(ctx.t("data.limit_browser").format(browser=browser))
        if st.button(ctx.t("data.limit_save"), key="data.limit_save"):
            known = {spec.field: spec.zh for spec in guard.LIMIT_TABLE}
            try:
                settings.set_limit(store.office_folder(ctx.path), ctx.user, "max_bytes", float(mb), known=known)
                settings.set_limit(store.office_folder(ctx.path), ctx.user, "max_rows", float(rows), known=known)
            except BangfuError as exc:
                show_error(exc, ctx.lang)
            else:
                flash(ctx.t("data.limit_saved"), slot=FLASH_SLOT)
                st.rerun()


def _changed(ctx: Context, message_key: str) -> None:
    """After a write: say so after the rerun (which reads the new workspace version)."""
    flash(ctx.t(message_key), slot=FLASH_SLOT)
    st.rerun()


def source_picker(ctx: Context) -> tuple[str, tuple[str, bytes | Path] | None]:
    """Target layer, uploader (streamed to disk, :func:`_store_upload`) with the upload limits, and example picker;
    returns (layer, (file name, bytes or the stored file) or None)."""
    importable = [n for n, lay in LAYERS.items() if lay.importable]
    asked = st.query_params.get("layer")  # the getting-started page links here with the next layer
    if asked in importable and "data.layer" not in st.session_state:
        st.session_state["data.layer"] = asked
    layer = st.selectbox(ctx.t("data.target_layer"), importable, key="data.layer",
                         format_func=lambda n: get_layer(n).zh if ctx.lang == "zh" else get_layer(n).en)
    up = st.file_uploader(ctx.t("data.upload"), type=["gpkg", "geojson", "json", "zip", "kml", "csv", "txt", "xlsx"],
                          key="data.uploader")
    limits_form(ctx)
    if up is not None:
        stored = _store_upload(ctx, up, upload_limits(ctx))
        if stored is None:
            st.session_state.pop(UPLOAD_KEY, None)
        else:
            st.session_state[UPLOAD_KEY] = stored
    examples = import_examples.example_files(ctx.layer("villages"))
    c1, c2 = st.columns([3, 1])
    choice = c1.selectbox(ctx.t("data.example"), [""] + list(examples), key="data.example",
                          format_func=lambda k: ctx.t("data.example_none") if not k else
                          (examples[k].zh if ctx.lang == "zh" else examples[k].en))
    ex = examples.get(choice)
    c2.button(ctx.t("data.load_example"), key="data.load_example", disabled=ex is None, on_click=_load_example,
              args=(ex,) if ex else None)
    return layer, st.session_state.get(UPLOAD_KEY)


def _load_example(ex: import_examples.Example) -> None:
    """Button callback (runs before the widgets, so it may set the target layer)."""
    st.session_state[UPLOAD_KEY] = (ex.file_name, ex.data)
    st.session_state["data.layer"] = ex.layer


def _mapping_widgets(ctx: Context, layer: str, table: readers.RawTable, token: str) -> dict[str, str]:
    saved = cm.list_mappings(store.office_folder(ctx.path), layer=layer)
    names = [""] + [m.name for m in saved]
    pick = st.selectbox(ctx.t("data.saved_mapping"), names, key=f"data.saved.{token}",
                        format_func=lambda n: ctx.t("data.no_template") if not n else n)
    default = (cm.apply_saved(table.columns, next(m for m in saved if m.name == pick).columns, layer) if pick
               else cm.auto_mapping(table.columns, layer))
    options = [""] + cm.targets(layer)
    st.caption(ctx.t("data.mapping_help"))
    mapping: dict[str, str] = {}
    cols = st.columns(3)
    for i, col in enumerate(table.columns):
        value = cols[i % 3].selectbox(
            md_text(col), options, index=options.index(default.get(col, "")), key=f"data.map.{token}.{pick}.{i}",
            format_func=lambda f: ctx.t("data.skip") if not f else cm.target_label(layer, f, ctx.lang),
        )
        if value:
            mapping[col] = value
    missing = cm.unmapped_required(mapping, layer)
    if missing:
        st.caption(ctx.t("data.missing_required") + "：" + "、".join(cm.target_label(layer, f, ctx.lang) for f in missing))
    return mapping


def _preview_map(ctx: Context, rows: pd.DataFrame, layer: str) -> None:
    if not isinstance(rows, gpd.GeoDataFrame) or rows.empty:
        return
    shown = rows[rows.geometry.notna() & ~rows.geometry.is_empty].head(PREVIEW_FEATURES)
    shown = shown[shown.geometry.is_valid]
    if shown.empty:
        return
    key = get_layer(layer).key
    label_col = next((c for c in ("village_name", "name") if c in shown.columns), key)
    frame = maps.display_frame(shown, [c for c in dict.fromkeys([key, label_col]) if c in shown.columns])
    m = maps.offline_map(frame.total_bounds, basemap=ctx.basemap, tianditu_token=ctx.tianditu_token)
    villages = ctx.layer("villages")
    if layer != "villages" and not villages.empty:
        maps.add_village_outlines(m, villages, fields=[maps.TooltipField("village_name", "村名")], name=ctx.t("map.villages"),
                                  fill="#eeeeee", line="#999999")
    fields = [maps.TooltipField(c, cm.target_label(layer, c, ctx.lang)) for c in frame.columns if c != "geometry"]
    folium.GeoJson(maps.geojson_dict(frame), name=maps.esc(ctx.t("data.map_preview")),
                   marker=folium.CircleMarker(radius=5, color="#b30000", fill=True, fill_opacity=0.8),
                   style_function=lambda _f: {"color": "#b30000", "weight": 2, "fillOpacity": 0.2},
                   tooltip=maps.tooltip(fields)).add_to(m)
    show_map(m, key="data.preview_map", height=420)


def import_flow(ctx: Context, layer: str, name: str, data: bytes | Path) -> None:
    """Steps ① to ⑥ for one uploaded file (its bytes, or the upload streamed to disk)."""
    token = _token(name, data)
    limits = upload_limits(ctx)
    st.subheader(ctx.t("data.step_detect"))
    st.text(f"{ctx.t('data.file')}：{name}（{_size(data) / 1024:.0f} KB）")
    c1, c2 = st.columns(2)
    encoding = c1.selectbox(ctx.t("data.encoding"), [AUTO] + list(enc.ENCODING_CHOICES), key=f"data.encoding.{token}",
                            format_func=lambda k: ctx.t("data.encoding_auto") if k == AUTO else enc.ENCODING_CHOICES[k])
    sheet = st.session_state.get(f"data.sheet.{token}")
    try:
        table = _limited(ctx, ("read", token, encoding, sheet), importers.read_upload_limited, name, data,
                         encoding=None if encoding == AUTO else encoding, sublayer=sheet, limits=limits)
    except BangfuError as exc:
        show_error(exc, ctx.lang)
        return
    if table is None:  # cancelled
        return
    if len(table.sublayers) > 1:
        c2.selectbox(ctx.t("data.sheet"), table.sublayers, key=f"data.sheet.{token}")
    st.text(f"{ctx.t('data.encoding')}：{table.encoding.describe_zh()}")
    if table.encoding.needs_confirmation:
        st.warning(ctx.t("data.encoding_check"))
    st.caption(ctx.t("data.first_rows"))
    st.dataframe(table.frame.head(10).astype(str), hide_index=True)

    st.subheader(ctx.t("data.step_mapping"))
    mapping = _mapping_widgets(ctx, layer, table, token)

    st.subheader(ctx.t("data.step_crs"))
    c1, c2 = st.columns(2)
    crs = AUTO
    if get_layer(layer).geometry is not None:
        crs = c1.selectbox(ctx.t("data.crs"), [AUTO] + list(crs_detect.CRS_OPTIONS), key=f"data.crs.{token}",
                           format_func=lambda k: ctx.t("data.crs_auto") if k == AUTO else crs_detect.crs_label(k, ctx.lang))
    mode = c2.radio(ctx.t("data.mode"), [AUTO] + list(importers.MODES), key=f"data.mode.{token}", horizontal=False,
                    format_func=lambda k: ctx.t("data.crs_auto").split("（")[0] if k == AUTO else importers.MODES[k][0 if ctx.lang == "zh" else 1])
    options = {"layer": layer, "mapping": mapping, "crs": None if crs == AUTO else crs,
               "encoding": None if encoding == AUTO else encoding, "mode": None if mode == AUTO else mode,
               "sublayer": sheet, "data_version": store.meta_version(ctx.meta)}
    try:
        plan = _limited(ctx, ("plan", token, ctx.version, repr(sorted(options.items(), key=str))),
                        importers.prepare_import_limited, ctx.path, name, data, limits=limits, **options)
    except (BangfuError, ValueError) as exc:  # a ValueError here is unexpected: shown with its text as details
        show_error(exc, ctx.lang)
        return
    if plan is None:  # cancelled
        return
    if plan.crs:
        st.text(f"{ctx.t('data.crs_used')}：{crs_detect.crs_label(plan.crs, ctx.lang)}" + (f"（{plan.crs_note}）" if plan.crs_note else ""))
    for note in plan.notes:
        st.caption(md_text(note))
    st.caption(ctx.t("data.map_preview"))
    _preview_map(ctx, plan.rows, layer)
    _save_mapping(ctx, plan, token)
    report_and_apply(ctx, plan)


_RESULTS = "data.limited_results"


def _limited(ctx: Context, key: tuple, func: Callable[..., T], *args: object, **kwargs: object) -> T | None:
    """``func`` (a limited reader: child process, time and memory limits) with progress and 取消, its
    result kept for this session under ``key`` (one per kind of step), so reruns do not read again."""
    cache = st.session_state.setdefault(_RESULTS, {})
    kind = key[0]
    hit = cache.get(kind)
    if hit is not None and hit[0] == key:
        return hit[1]
    result = run_cancellable(ctx.lang, f"upload:{kind}:{key[1]}", func, *args, **kwargs)
    if result is not None:
        cache[kind] = (key, result)
    return result


def _save_mapping(ctx: Context, plan: importers.ImportPlan, token: str) -> None:
    c1, c2 = st.columns([3, 1])
    name = c1.text_input(ctx.t("data.mapping_name"), key=f"data.mapping_name.{token}")
    if c2.button(ctx.t("data.save_mapping"), key=f"data.save_mapping.{token}", disabled=not name.strip()):
        try:
            path = cm.save_mapping(store.office_folder(ctx.path),
                                   cm.SavedMapping(name, plan.layer, plan.mapping, plan.crs, plan.encoding))
        except BangfuError as exc:
            show_error(exc, ctx.lang)
        else:
            st.success(f"{ctx.t('data.mapping_saved')}：{md_text(path.name)}")


def report_and_apply(ctx: Context, plan: importers.ImportPlan) -> None:
    """Steps ④–⑥: the validation report, the change preview and the apply button."""
    st.subheader(ctx.t("data.step_report"))
    (st.success if plan.ok and not plan.report.warnings else st.warning if plan.ok else st.error)(plan.summary_zh())
    frame = plan.report.to_frame(ctx.lang)
    if len(frame):
        st.dataframe(frame, hide_index=True, key="data.report")
        download_buttons(frame, name=ctx.t("data.report_file"), lang=ctx.lang, key="data.report_dl")
    if plan.matches is not None and len(plan.matches):  # every village row against the official list
        matched = int(plan.matches["matched"].sum())
        with st.expander(ctx.t("data.matches").format(matched=matched, unmatched=len(plan.matches) - matched)):
            shown = matching.matches_table(plan.matches, ctx.lang)
            st.dataframe(shown, hide_index=True, key="data.matches")
            download_buttons(shown, name=ctx.t("data.matches_file"), lang=ctx.lang, key="data.matches_dl")
    st.subheader(ctx.t("data.step_change"))
    if plan.change is not None:
        c = plan.change.counts()
        kpi_row([(ctx.t(f"data.change.{k}"), f"{v:,}") for k, v in c.items()])
        if plan.change.changed_columns:
            labels = {**cm.HELPERS, **{k: (v.zh, v.en) for k, v in ((c.name, c) for c in get_layer(plan.layer).columns)}}
            st.caption(ctx.t("data.changed_columns") + "：" + "，".join(
                f"{labels.get(k, (k, k))[0 if ctx.lang == 'zh' else 1]} {n}" for k, n in plan.change.changed_columns.items()))
    st.subheader(ctx.t("data.apply"))
    if not plan.ok:
        st.error(ctx.t("data.apply_blocked"))
    may_import = access.can(ctx.user, "import")
    if not may_import:
        st.caption(ctx.t("data.import_admin_only"))
    if st.button(ctx.t("data.apply_button"), type="primary", disabled=not plan.ok or not may_import,
                 key="data.apply_button"):
        try:
            importers.apply_import(ctx.path, plan, user=ctx.user)
        except BangfuError as exc:
            show_error(exc, ctx.lang)
            return
        st.session_state.pop(UPLOAD_KEY, None)
        st.session_state.pop(_RESULTS, None)
        _changed(ctx, "data.applied")


def export_section(ctx: Context) -> None:
    """Choose a layer (or all) and a format, build the file, offer the download. The choices follow the
    signed-in user's role (no household layer without ``export_households``); the export function checks
    it again, scopes a town planner's households and records every household export in the audit trail."""
    present = layer_export.exportable_layers(ctx.path, ctx.user)
    if not present:
        st.info(ctx.t("data.export_not_allowed"))
        return
    c1, c2 = st.columns(2)
    what = c1.selectbox(ctx.t("data.export_layer"), [""] + present, key="data.export_layer",
                        format_func=lambda n: ctx.t("data.export_all") if not n else get_layer(n).zh)
    fmt = c2.selectbox(ctx.t("data.export_format"), list(layer_export.FORMATS), key="data.export_format",
                       format_func=lambda k: layer_export.FORMATS[k].zh if ctx.lang == "zh" else layer_export.FORMATS[k].en)
    if st.button(ctx.t("data.prepare_export"), key="data.prepare_export"):
        try:
            with st.spinner("…"):
                st.session_state["data.export_file"] = layer_export.export_workspace(
                    ctx.path, fmt, user=ctx.user, layers=[what] if what else None)
        except BangfuError as exc:
            show_error(exc, ctx.lang)
    ready = st.session_state.get("data.export_file")
    if ready:
        fname, blob = ready
        fname = download_name(fname, ctx.lang)
        st.download_button(f"{ctx.t('data.download')} {fname}", blob, file_name=fname, key="data.download_export",
                           mime=layer_export.FORMATS[fmt].mime, on_click="ignore")


def download_name(fname: str, lang: str) -> str:
    """An export's file name in the interface language: ``villages.xlsx`` → ``村界.xlsx``, ``bangfu_shp.zip`` →
    ``帮扶地图数据_shp.zip`` (the files inside an archive keep their stems, which GIS software reads)."""
    stem, dot, ext = fname.partition(".")
    base, rest = stem, ""
    for name in (*sorted(LAYERS, key=len, reverse=True), layer_export.DEFAULT_BASE):  # the longest name that fits
        if stem == name or stem.startswith(name + "_"):
            base, rest = name, stem[len(name):]
            break
    if base == layer_export.DEFAULT_BASE:
        local = t("data.export_all_file", lang)
    else:
        local = (get_layer(base).zh if lang == "zh" else get_layer(base).en) if base in LAYERS else base
    return f"{local}{rest}{dot}{ext}"


def backup_section(ctx: Context) -> None:
    """The rotating backups (time, user, cause, data version) and, for administrators, a restore that asks for
    confirmation naming what will be replaced (:func:`bangfu.workspace.store.restore_warning`)."""
    found = store.list_backups(ctx.path)
    if not found:
        st.info(ctx.t("data.backup_none"))
        return
    st.caption(ctx.t("data.backup_list"))
    st.dataframe(pd.DataFrame({
        ctx.t("data.backup_at"): [b.at[:19].replace("T", " ") for b in found],
        ctx.t("data.backup_user"): [b.user for b in found],
        ctx.t("data.backup_reason"): [store.describe_action(b.reason, b.target, ctx.lang) for b in found],
        ctx.t("data.backup_version"): [f"v{b.version}" for b in found],
    }), hide_index=True, key="data.backups")
    if not access.can(ctx.user, "restore"):
        st.caption(ctx.t("data.backup_admin_only"))
        return
    by_name = {b.name: b for b in found}
    pick = st.selectbox(ctx.t("data.backup_pick"), list(by_name), key="data.backup_pick",
                        format_func=lambda n: by_name[n].label(ctx.lang))
    pending = st.session_state.get(RESTORE_PENDING)
    if st.button(ctx.t("data.restore"), key="data.restore"):
        pending = st.session_state[RESTORE_PENDING] = (pick, store.meta_version(ctx.meta))
    if not pending or pending[0] not in by_name:
        return
    st.warning(md_text(store.restore_warning(ctx.path, backup=by_name[pending[0]], lang=ctx.lang)))
    c1, c2 = st.columns(2)
    if c2.button(ctx.t("data.restore_cancel"), key="data.restore_cancel"):
        st.session_state.pop(RESTORE_PENDING, None)
        st.rerun()
    if c1.button(ctx.t("data.restore_confirm"), type="primary", key="data.restore_confirm"):
        st.session_state.pop(RESTORE_PENDING, None)
        try:
            importers.restore_backup(ctx.path, user=ctx.user, backup=pending[0], expected_version=pending[1])
        except BangfuError as exc:
            show_error(exc, ctx.lang)
            return
        _changed(ctx, "data.restored")


#: The permission the new-workspace form asks for (the data-layer function checks it again).
NEW_WORKSPACE_PERMISSION = "import"


def new_workspace_form(ctx: Context) -> None:
    """新建工作空间: county code and optional name → an empty workspace ``workspaces/<code>[-<name>].gpkg`` in the
    office folder (:func:`bangfu.workspace.create.new_workspace`, which refuses a user without the right too),
    then the sidebar switches to it. Administrators only once accounts exist (everyone in demo mode)."""
    if not access.can(ctx.user, NEW_WORKSPACE_PERMISSION):
        st.caption(ctx.t("data.new_ws_admin_only"))
        return
    st.caption(ctx.t("data.new_ws_help"))
    with st.form("data.new_ws_form"):
        c1, c2 = st.columns(2)
        code = c1.text_input(ctx.t("data.new_ws_county"), max_chars=6, key="data.new_ws_county")
        name = c2.text_input(ctx.t("data.new_ws_name"), key="data.new_ws_name")
        submitted = st.form_submit_button(ctx.t("data.new_ws_create"), type="primary")
    if not submitted:
        return
    path = catalog.new_workspace_path(store.default_workspace_dir(), code.strip(), name)
    try:
        made = create.new_workspace(path, code.strip(), name.strip() or None, user=ctx.user)
    except BangfuError as exc:
        show_error(exc, ctx.lang)
        return
    choose(Path(made).stem)
    flash(ctx.t("data.new_ws_created").format(name=Path(made).name), slot=FLASH_SLOT)
    st.rerun()
