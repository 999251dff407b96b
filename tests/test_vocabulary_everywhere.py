"""Every place that shows a coded value shows the vocabulary's label, in Chinese and in English.

A data-driven walk over :data:`PLACES`: each row names a place (a page, an export, a CLI command, the
briefing…), says how to collect what it shows (:class:`Shown`: tables with their headers, widget
options, free text, texts that list a vocabulary's allowed values, legends) and which vocabularies
must be seen there (so that a place that stops showing them fails instead of passing silently).
A new place is one more row.

What is checked, in the active language (oracle: :mod:`bangfu.core.vocab`, not the code under test):

* a cell under a coded header (a schema column label of a coded column, or one of :data:`EXTRA_HEADERS`)
  is a label of that header's vocabulary (or ``—``); a widget with such a label offers only labels;
* the old and new values of an edit history are labels of the edited field's vocabulary;
* no cell anywhere is a raw boolean (True/False): yes/no columns show 是/否 (Yes/No);
* none of the known stray spellings appears (计划 alone as a status, Unhardened, 饮水工程 or 卫生室
  as a type, 批量修改 …);
* a text that lists the allowed values of a vocabulary lists exactly its labels;
* a legend (kind ``legend``, the maps' rows) shows each term's label with the term's colour.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable, Iterable

import pandas as pd
import pytest

from factories import as_user
from docx import Document
from streamlit.testing.v1 import AppTest

from bangfu.core import vocab
from bangfu.core.labels import t
from bangfu.core.vocab import MISSING_LABEL, Vocabulary
from bangfu.workspace import store
from bangfu.workspace.schema import LAYERS, get_layer

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "geodata" / "kaiping_demo.gpkg"
LANGS = ("zh", "en")
TIMEOUT = 300


# --------------------------------------------------------------------------- what a place shows


@dataclass
class Shown:
    """What one place shows a person, as plain data."""

    tables: list[pd.DataFrame] = field(default_factory=list)  # headers as shown, cells as shown
    options: list[tuple[str, list[str]]] = field(default_factory=list)  # (widget label, option texts)
    texts: list[str] = field(default_factory=list)  # titles, captions, messages, CLI output, Word paragraphs
    lists: list[tuple[Vocabulary, str]] = field(default_factory=list)  # a text that lists a vocabulary's values
    legends: list[tuple[Vocabulary, list[tuple[str, str]]]] = field(default_factory=list)  # (vocab, [(label, colour)])
    raw_headers: set[str] = field(default_factory=set)  # columns of stored text (history old/new in a layer export)


@dataclass(frozen=True)
class Place:
    """One row of the walk: where, how to collect what it shows, which vocabularies must be seen there."""

    name: str
    kind: str  # "page", "export", "cli", "briefing", "message", "legend"
    collect: Callable[[Workspace, str], Shown]
    expects: tuple[str, ...] = ()
    langs: tuple[str, ...] = LANGS


#: Headers (label keys) of derived columns that hold coded values, besides the schema's coded columns.
EXTRA_HEADERS: dict[str, Vocabulary] = {
    "overview.profile.state": vocab.PAIRING_ACTIVITY,
    "briefing.col_type": vocab.PROJECT_TYPE,
    "planning.col.project_type": vocab.PROJECT_TYPE,
    "roads.filter.status": vocab.ROAD_STATUS,
    "roads.filter.class": vocab.ROAD_CLASS,
    "tourism.types": vocab.SITE_TYPE,
    "briefing.col_status": vocab.SECTION_STATUS,
}

#: Spellings that must not be shown as a value (exact cell) or anywhere (substring).
STRAY_CELLS: frozenset[str] = frozenset({
    "计划", "Unhardened", "饮水工程", "卫生室", "Clinic", "批量修改", "新建", "bulk", "True", "False", "true", "false",
    "yes", "completed", "under_construction", "unhardened", "road_hardening", "drinking_water", "candidate",
})
STRAY_TEXT: tuple[str, ...] = ("Unhardened", "批量修改", "计划(km)", "“计划”")


def coded_headers(lang: str) -> dict[str, set[Vocabulary]]:
    """Shown header → the vocabularies its cells may come from (yes/no columns are checked by value)."""
    out: dict[str, set[Vocabulary]] = defaultdict(set)
    for layer in LAYERS.values():
        for col in layer.columns:
            voc = col.vocabulary
            if voc is not None and voc is not vocab.YES_NO:
                out[col.zh if lang == "zh" else col.en].add(voc)
    for key, voc in EXTRA_HEADERS.items():
        out[t(key, lang)].add(voc)
    return out


def _field_vocabularies(lang: str) -> dict[str, Vocabulary]:
    """Shown field label (of an edit history) → the vocabulary of its values."""
    out = {}
    for name in ("roads", "pairings"):
        lay = get_layer(name)
        for col in lay.columns:
            if col.vocabulary is not None:
                out[col.zh if lang == "zh" else col.en] = col.vocabulary
    return out


def _is_bool(v: object) -> bool:
    return isinstance(v, bool) or type(v).__name__ in ("bool", "bool_")


def violations(shown: Shown, lang: str, seen: set[str]) -> list[str]:
    """Every way ``shown`` breaks the vocabulary; adds the keys of the vocabularies it showed to ``seen``."""
    headers = coded_headers(lang)
    fields = _field_vocabularies(lang)
    field_header, old_header, new_header = (get_layer("road_progress").labels(lang)[c] for c in ("field", "old", "new"))
    bad: list[str] = []
    yes_no = set(vocab.YES_NO.labels(lang).values())

    def cell_ok(value: object, vocs: Iterable[Vocabulary]) -> bool:
        vocs = list(vocs)
        if vocab.is_missing(value) or value == MISSING_LABEL:
            return True
        hit = [v for v in vocs if v.is_label(value, lang)]
        seen.update(v.key for v in hit)
        return bool(hit)

    for table in shown.tables:
        cols = [str(c) for c in table.columns]
        for text in cols:
            bad += [f"header {text!r} contains {s!r}" for s in STRAY_TEXT if s in text]
        for j, header in enumerate(cols):
            values = table.iloc[:, j].tolist()
            if header in headers:
                bad += [f"{header}: {v!r} is not a {'/'.join(x.key for x in headers[header])} label ({lang})"
                        for v in values if not cell_ok(v, headers[header])]
            present = [v for v in values if not vocab.is_missing(v)]
            if present and all(isinstance(v, str) and v in yes_no | {MISSING_LABEL} for v in present):
                seen.add(vocab.YES_NO.key)
            for v in values:
                if _is_bool(v):
                    bad.append(f"{header}: raw boolean {v!r}")
                elif header in shown.raw_headers:
                    continue
                elif isinstance(v, str) and (v in STRAY_CELLS or any(s in v for s in STRAY_TEXT)):
                    bad.append(f"{header}: stray spelling {v!r}")
        if field_header in cols and old_header not in shown.raw_headers:  # a shown history: old/new are labels
            for _, row in table.iterrows():
                voc = fields.get(str(row[field_header]))
                if voc is None:
                    continue
                for h in (old_header, new_header):
                    if h in cols and not cell_ok(row[h], [voc]):
                        bad.append(f"history {row[field_header]}: {row[h]!r} is not a {voc.key} label ({lang})")
    for label, options in shown.options:
        if label in headers:
            bad += [f"widget {label!r}: option {o!r} is not a label ({lang})" for o in options if not cell_ok(o, headers[label])]
        bad += [f"widget {label!r}: stray option {o!r}" for o in options if o in STRAY_CELLS]
    for text in shown.texts:
        bad += [f"text contains {s!r}: {text[:80]!r}" for s in STRAY_TEXT if s in text]
    for voc, text in shown.lists:
        missing = [lbl for lbl in voc.labels(lang).values() if lbl not in text]
        raw = [c for c in voc.codes if lang == "zh" and c not in voc.labels(lang).values() and re.search(rf"\b{re.escape(c)}\b", text)]
        bad += [f"list of {voc.key} lacks {missing} / shows codes {raw}: {text[:120]!r}"] if missing or raw else []
        seen.add(voc.key) if not missing else None
    for voc, items in shown.legends:
        for label, colour in items:
            code = next((term.code for term in voc if term.label(lang) == label), None)
            if code is None:
                bad.append(f"legend of {voc.key}: {label!r} is not a label ({lang})")
            elif colour.lower() != voc.color(code).lower():
                bad.append(f"legend of {voc.key}: {label!r} drawn {colour}, vocabulary says {voc.color(code)}")
            else:
                seen.add(voc.key)
    return bad


# --------------------------------------------------------------------------- the workspace walked


@dataclass(frozen=True)
class Workspace:
    """A private copy of the demo with edits (so histories show every action) and a rich village."""

    folder: Path
    path: Path
    village: str  # a village with roads, tourism sites, pairings and candidate projects

    def layer(self, name: str) -> pd.DataFrame:
        return store.read_layer(self.path, name)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    from bangfu.editing import pairings as pairing_edits
    from bangfu.editing import roads

    folder = tmp_path_factory.mktemp("vocab_ws")
    path = store.ensure_workspace(folder, demo=DEMO)
    layers = {n: store.read_layer(path, n) for n in ("roads", "tourism_sites", "pairings", "projects")}
    rich = (set(layers["roads"]["village_code"]) & set(layers["tourism_sites"]["village_code"])
            & set(layers["pairings"]["village_code"])
            & set(layers["projects"].loc[layers["projects"]["status"] == "candidate", "village_code"]))
    assert rich, "the demo has no village with roads, sites, pairings and candidate projects"
    r = layers["roads"].set_index("road_id")
    building = r.index[r["status"] == "under_construction"].tolist()
    planned = r.index[r["status"] == "planned"].tolist()
    surface = next(c for c in vocab.ROAD_SURFACE.codes if c != r.loc["R0001", "surface"])
    roads.edit_road(path, "R0001", {"surface": surface}, expected_version=None, user=as_user("甲"))
    roads.edit_road(path, building[0], {"progress_pct": 80.0}, expected_version=None, user=as_user("甲"))
    roads.edit_road(path, planned[0], {"status": "under_construction", "progress_pct": 10.0}, expected_version=None,
                    user=as_user("甲"))
    sheet = pd.DataFrame({"道路编号": [building[1], planned[1]], "硬化状态": ["在建", "未开工"], "进度(%)": [50, 0]})
    done = roads.bulk_apply(path, roads.parse_bulk(sheet), user=as_user("乙"), dry_run=False)
    assert done.ok, done.problems
    roads.undo_road(path, building[0], user=as_user("甲"))
    first = layers["pairings"].sort_values("pairing_id").iloc[0]
    other = next(p for p in vocab.PAIRING_TYPE.codes if p != first["pairing_type"])
    pairing_edits.edit_pairing(path, first["pairing_id"], {"pairing_type": other}, expected_version=int(first["version"]),
                               user=as_user("丙"))
    return Workspace(folder, path, sorted(rich)[0])


# --------------------------------------------------------------------------- collectors


def _page(path: str, *, session: dict | None = None, **query: str) -> Callable[[Workspace, str], Shown]:
    def collect(w: Workspace, lang: str) -> Shown:
        at = AppTest.from_file(str(ROOT / path), default_timeout=TIMEOUT)
        at.query_params["lang"] = lang
        for k, v in query.items():
            at.query_params[k] = v
        for k, v in (session or {}).items():
            at.session_state[k] = v(w) if callable(v) else v
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        shown = Shown()
        shown.tables = [pd.DataFrame(d.value) for d in at.dataframe] + [pd.DataFrame(x.value) for x in at.table]
        for kind in ("selectbox", "multiselect", "radio"):
            shown.options += [(w_.label, list(w_.options)) for w_ in getattr(at, kind)]
        for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info", "warning", "error", "success"):
            shown.texts += [str(e.value) for e in getattr(at, kind)]
        shown.texts += [f"{m.label} {m.value}" for m in at.metric]
        return shown

    return collect


def _read_xlsx(data: bytes) -> list[pd.DataFrame]:
    return list(pd.read_excel(io.BytesIO(data), sheet_name=None, dtype=object).values())


def _layer_excel(w: Workspace, lang: str) -> Shown:
    from bangfu.export import layers as layer_export

    names = ["villages", "households", "roads", "road_progress", "tourism_sites", "pairings", "pairing_history", "projects"]
    layers = {n: w.layer(n) for n in names}
    hh = layers["households"]  # a sample keeps the workbook small: poor households (with a cause) and others
    layers["households"] = pd.concat([hh[hh["poverty_cause"].notna()].head(100), hh[hh["poverty_cause"].isna()].head(100)])
    layers["villages"] = layers["villages"].head(40)
    _, data = layer_export.export_layers(layers, names, "xlsx")
    history = get_layer("road_progress").labels("zh")
    return Shown(tables=_read_xlsx(data), raw_headers={history["old"], history["new"]})  # undo replays stored text


def _table_download(w: Workspace, lang: str) -> Shown:
    from bangfu import indicators as ind
    from bangfu.export import tables as exports

    table = ind.overview_villages(w.layer("villages"), roads=w.layer("roads"), pairings=w.layer("pairings"),
                                  as_of="2020-12-31").drop(columns="geometry")
    shown = ind.display_table(table[["village_name", "is_old_district", "is_key_village", "households"]], lang=lang)
    csv = pd.read_csv(io.BytesIO(exports.to_csv_bytes(shown)), encoding="utf-8-sig", dtype=object)
    return Shown(tables=[csv, *_read_xlsx(exports.to_xlsx_bytes({"t": shown}))])


def _plan(w: Workspace, lang: str):
    from bangfu.planning import run as planning_run

    layers = {n: w.layer(n) for n in ("villages", "households", "roads", "projects")}
    return planning_run.run(layers, planning_run.PlanOptions(budget=500, time_limit=5), lang=lang)


def _planning_excel(w: Workspace, lang: str) -> Shown:
    from bangfu.planning import run as planning_run

    return Shown(tables=_read_xlsx(planning_run.excel_bytes(_plan(w, lang), lang)))


def _road_template(w: Workspace, lang: str) -> Shown:
    from bangfu.editing import roads

    return Shown(tables=[roads.bulk_template(lang)])


def _histories(w: Workspace, lang: str) -> Shown:
    from bangfu.editing import pairings as pairing_edits
    from bangfu.editing import roads

    def headed(df: pd.DataFrame, layer: str) -> pd.DataFrame:
        return df.rename(columns=get_layer(layer).labels(lang))

    return Shown(tables=[headed(roads.road_history(w.path, lang=lang), "road_progress"),
                         headed(pairing_edits.pairing_history_display(w.path, lang=lang), "pairing_history")])


def _edit_messages(w: Workspace, lang: str) -> Shown:
    """Messages of refused edits and bulk sheets (the road page and the CLI show them as they are)."""
    from bangfu.editing import engine as edits
    from bangfu.editing import roads

    shown = Shown()
    parsed = roads.parse_bulk(pd.DataFrame({"道路编号": ["R0001"], "硬化状态": ["差不多好了"], "路面": ["玻璃"]}))
    shown.texts += parsed.problems
    if lang == "zh":  # bulk-sheet problems are written in Chinese only
        shown.lists += [(vocab.ROAD_STATUS, p) for p in parsed.problems if "硬化状态" in p]
        shown.lists += [(vocab.ROAD_SURFACE, p) for p in parsed.problems if "路面" in p]
        assert len(shown.lists) == 2, parsed.problems
    for changes in ({"status": "planned", "progress_pct": 0, "planned_year": None},
                    {"status": "completed", "progress_pct": 50}):
        with pytest.raises(edits.RejectedError) as info:
            roads.edit_road(w.path, "R0001", changes, expected_version=None, user=as_user("甲"), year=2025)
        shown.texts.append(info.value.message_zh if lang == "zh" else info.value.message_en)
    road = roads.road_row(w.path, "R0001")
    with pytest.raises(edits.ConflictError) as info:
        roads.edit_road(w.path, "R0001", {"progress_pct": 1}, expected_version=int(road["version"]) - 1, user=as_user("甲"))
    text = info.value.message_zh if lang == "zh" else info.value.message_en
    shown.texts.append(text)
    status = f"{get_layer('roads').labels(lang)['status']}={vocab.ROAD_STATUS.label(road['status'], lang)}"
    assert status in text, text  # the conflict quotes the other editor's status by its label
    seen_rules = [t("roads.edit.rules", lang)]
    shown.texts += seen_rules
    shown.lists.append((vocab.ROAD_STATUS, seen_rules[0]))
    return shown


def _import_report(w: Workspace, lang: str) -> Shown:
    """``python -m bangfu import`` of a road sheet with an unknown status: the report lists the labels."""
    from bangfu.cli.commands import main as cli_main

    roads = w.layer("roads").head(3).copy()
    roads["status"] = ["已完工", "硬化中", "计划中"]  # a synonym, an unknown spelling, a synonym
    src = w.folder / "roads.geojson"
    roads.to_file(src, driver="GeoJSON")
    copy = w.folder / "cli_copy"
    ws_copy = store.ensure_workspace(copy, demo=w.path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        cli_main(["import", str(src), "--workspace", str(ws_copy), "--layer", "roads", "--dry-run"])
    text = out.getvalue()
    lines = [ln for ln in text.splitlines() if "硬化中" in ln]
    assert lines, text
    return Shown(texts=[text], lists=[(vocab.ROAD_STATUS, ln) for ln in lines])


def _cli_rank(w: Workspace, lang: str) -> Shown:
    from bangfu.cli.commands import main as cli_main

    out_file = w.folder / "rank.xlsx"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli_main(["rank", "--workspace", str(w.path), "--budget", "500", "--time-limit", "5",
                         "--distance", "饮水工程=1500", "--out", str(out_file)])
    assert code == 0
    return Shown(tables=_read_xlsx(out_file.read_bytes()), texts=[out.getvalue()])


def _briefing(w: Workspace, lang: str) -> Shown:
    from bangfu.briefing import content as bc
    from bangfu.briefing.docx_export import docx_bytes

    content = bc.compute_content(lambda n: w.layer(n), meta=store.read_meta(w.path), lang=lang)
    tables = [pd.DataFrame(list(b.rows), columns=list(b.header)) for b in content.tables.values()]
    png = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (4, 4), "white").save(png, format="PNG")
    doc = Document(io.BytesIO(docx_bytes(content, map_png=png.getvalue(), chart_png=None)))
    word = [pd.DataFrame([[c.text for c in r.cells] for r in tb.rows[1:]], columns=[c.text for c in tb.rows[0].cells])
            for tb in doc.tables if len(tb.rows) > 1]
    texts = [p.text for p in doc.paragraphs] + [content.title, *content.notes]
    return Shown(tables=tables + word, texts=texts)


def _needy_rule(w: Workspace, lang: str) -> Shown:
    from bangfu import indicators as ind

    rule = ind.NeedyRule(min_poor_households=20, min_incidence_pct=5.0, combine="all")
    text = rule.describe(lang)
    shown = Shown(texts=[text])
    for code in vocab.NEEDY_CRITERION.codes:  # every criterion is worded by its label, joined by the combine word
        assert vocab.NEEDY_CRITERION.label(code, lang).lower() in text.lower(), (code, text)
    assert f" {vocab.NEEDY_COMBINE.label('all', lang)} " in text, text
    return shown


def _overview_village(w: Workspace) -> str:
    return w.village


#: The places that show coded values. ``expects``: vocabulary keys that must be seen there.
PLACES: tuple[Place, ...] = (
    Place("home", "page", _page("app.py")),
    Place("overview + village profile", "page", _page("pages/overview.py", session={"ov_village": _overview_village}),
          ("road_status", "road_class", "site_type", "a_level", "pairing_type", "pairing_activity", "project_type")),
    Place("overview, one town", "page", _page("pages/overview.py", town="440783116"), ("yes_no",)),
    Place("planning page", "page", _page("pages/planning.py"), ("project_type",)),
    Place("roads page", "page", _page("pages/roads.py"),
          ("road_status", "road_class", "road_surface", "edit_action", "yes_no")),
    Place("tourism page", "page", _page("pages/tourism.py"), ("site_type", "a_level")),
    Place("pairings page", "page", _page("pages/pairings.py"), ("pairing_type", "edit_action", "yes_no")),
    Place("data page", "page", _page("pages/data.py")),
    Place("briefing page", "page", _page("pages/briefing.py")),
    Place("layer export to Excel", "export", _layer_excel,
          ("road_status", "road_class", "road_surface", "project_type", "project_status", "pairing_type", "site_type",
           "a_level", "edit_action", "poverty_cause", "yes_no"), langs=("zh",)),
    Place("table download (CSV, Excel)", "export", _table_download, ("yes_no",)),
    Place("planning Excel", "export", _planning_excel, ("project_type",)),
    Place("road bulk-update template", "export", _road_template, ("road_status",)),
    Place("edit histories", "message", _histories, ("road_status", "road_surface", "pairing_type", "edit_action")),
    Place("edit messages", "message", _edit_messages, ("road_status",)),
    Place("needy rule wording", "message", _needy_rule),
    Place("CLI import report", "cli", _import_report, ("road_status",), langs=("zh",)),
    Place("CLI rank", "cli", _cli_rank, ("project_type",), langs=("zh",)),
    Place("briefing content and Word", "briefing", _briefing, ("project_type",)),
)

#: Map legends (kind ``legend``): rows the maps' owner adds, e.g.
#: ``Place("roads map legend", "legend", collect_road_legend, ("road_status",))`` where the collector returns
#: ``Shown(legends=[(vocab.ROAD_STATUS, [(label, colour), ...])])`` read from the rendered map.
LEGENDS: tuple[Place, ...] = ()


@pytest.mark.parametrize(("place", "lang"), [pytest.param(p, lang, id=f"{p.name}-{lang}")
                                             for p in PLACES + LEGENDS for lang in p.langs])
def test_every_place_shows_vocabulary_labels(place: Place, lang: str, ws: Workspace, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("BANGFU_WORKSPACE", str(ws.folder))
    seen: set[str] = set()
    bad = violations(place.collect(ws, lang), lang, seen)
    assert not bad, f"{place.name} ({lang}):\n" + "\n".join(bad[:40])
    assert set(place.expects) <= seen, f"{place.name} ({lang}) did not show {sorted(set(place.expects) - seen)}"


# --------------------------------------------------------------------------- the walker itself


def test_the_walker_catches_every_kind_of_stray_value():
    """Each check fires on a made-up place that breaks it (so the walk above cannot pass vacuously)."""
    zh, en = (lambda key: get_layer("roads").labels("zh")[key]), (lambda key: get_layer("roads").labels("en")[key])
    cases = [
        (Shown(tables=[pd.DataFrame({zh("status"): ["已硬化", "计划"]})]), "zh"),  # old spelling of planned
        (Shown(tables=[pd.DataFrame({en("status"): ["Hardened", "已硬化"]})]), "en"),  # Chinese in English
        (Shown(tables=[pd.DataFrame({en("status"): ["completed"]})]), "en"),  # raw code
        (Shown(tables=[pd.DataFrame({"x": [True, False]})]), "zh"),  # raw booleans
        (Shown(tables=[pd.DataFrame({"项目类型": ["饮水工程"]})]), "zh"),  # briefing's old type label
        (Shown(tables=[pd.DataFrame({"操作": ["批量修改"]})]), "zh"),  # the other bulk word
        (Shown(tables=[pd.DataFrame({"未硬化(km)": [1.0], "Unhardened (km)": [2.0]})]), "en"),
        (Shown(tables=[pd.DataFrame({"字段": ["硬化状态"], "原值": ["completed"], "新值": ["已硬化"]})]), "zh"),
        (Shown(options=[("硬化状态", ["已硬化", "planned"])]), "zh"),
        (Shown(texts=["状态为“计划”时必须填写计划年份"]), "zh"),
        (Shown(lists=[(vocab.ROAD_STATUS, "可选：completed、在建")]), "zh"),
        (Shown(legends=[(vocab.ROAD_STATUS, [("已硬化", "#000000")])]), "zh"),  # black completed roads
        (Shown(legends=[(vocab.ROAD_STATUS, [("完工", vocab.ROAD_STATUS.color("completed"))])]), "zh"),
    ]
    for shown, lang in cases:
        assert violations(shown, lang, set()), shown
    good = Shown(tables=[pd.DataFrame({zh("status"): ["已硬化", MISSING_LABEL], "老区村": ["是", "否"]})],
                 legends=[(vocab.ROAD_STATUS, [(term.zh, term.color) for term in vocab.ROAD_STATUS])],
                 lists=[(vocab.ROAD_STATUS, "可选：" + vocab.ROAD_STATUS.choices_text())])
    seen: set[str] = set()
    assert violations(good, "zh", seen) == []
    assert seen == {"road_status", "yes_no"}
