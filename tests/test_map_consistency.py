"""One classification, palette and legend everywhere: every map and the briefing figure give each village the
class and colour an independent mapclassify call gives, coded values look the same on every map, and every
legend is the one component's.

Oracles: ``mapclassify.FisherJenks`` on the whole workspace's poverty densities (the default classification),
ColorBrewer's schemes as shipped by ``branca`` (folium's own dependency), the vocabulary table.
"""

from __future__ import annotations

from pathlib import Path

import mapclassify
import numpy as np
import pandas as pd
import pytest
from branca.utilities import color_brewer
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from bangfu import indicators as ind
from bangfu.briefing import content as bc
from bangfu.briefing import figures
from bangfu.core import legend as lg
from bangfu.core import styles
from bangfu.core.vocab import PAIRING_STATE, PAIRING_TYPE, ROAD_STATUS, SITE_TYPE, VILLAGE_FLAG
from bangfu.maps import base, legend as ml
from bangfu.maps import overview as om
from bangfu.maps import planning as pm
from bangfu.maps import roads as rm
from bangfu.maps import themes
from bangfu.workspace import store
from factories import Overview

AS_OF = "2020-12-31"
DEFAULT = ind.choropleth_indicator("poverty_density")


# --------------------------------------------------------------------------- workspaces


def _small(tmp_path: Path) -> Path:
    """A hand-made workspace: two towns of three villages (densities 10…60 per km²), every overlay."""
    return Overview.workspace(tmp_path / "small")


@pytest.fixture(params=["small", "kaiping"])
def ws(request, tmp_path) -> Path:
    if request.param == "small":
        return _small(tmp_path)
    return request.getfixturevalue("demo_workspace")


def _layers(path: Path) -> dict[str, pd.DataFrame]:
    names = ("villages", "roads", "tourism_sites", "enterprises", "pairings", "projects")
    return {n: store.read_layer(path, n) for n in names}


def _expected(villages: pd.DataFrame) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Village code → colour by an independent classification of the whole workspace, and the legend
    rows (colour, class label) it implies."""
    v = ind.village_metrics(villages)
    y = v["poverty_density"].to_numpy(dtype=float)
    ok = np.isfinite(y)
    k = min(DEFAULT.k, len(np.unique(y[ok])))
    assert DEFAULT.method == "fisher_jenks" and k >= 3, "the oracle below is Fisher–Jenks with 3 or more classes"
    fj = mapclassify.FisherJenks(y[ok], k=k)
    colours = color_brewer(DEFAULT.palette, k + 1)[1:]
    fill = np.full(len(y), styles.NO_DATA, dtype=object)
    fill[ok] = [colours[c] for c in fj.yb]
    lows = [float(y[ok].min()), *fj.bins[:-1]]
    rows = [(colours[i], f"{lo:,.1f} – {hi:,.1f}") for i, (lo, hi) in enumerate(zip(lows, fj.bins))]
    return dict(zip(v["village_code"].astype(str), fill)), rows


def _a_town(villages: pd.DataFrame) -> str:
    return str(villages["town_code"].value_counts().index[0])


def _folium_fills(m) -> dict[str, str]:
    """Village code → fill colour as the map's own style function gives it to Leaflet."""
    out: dict[str, str] = {}
    for child in m._children.values():
        data = getattr(child, "data", None)
        if not isinstance(data, dict) or not hasattr(child, "style_function"):
            continue
        for f in data.get("features", []):
            code = f["properties"].get("village_code")
            style = child.style_function(f)
            if code is not None and "fillColor" in style:
                out[str(code)] = style["fillColor"]
    return out


def _legends(m) -> list[ml.LegendControl]:
    return [c for c in m._children.values() if isinstance(c, ml.LegendControl)]


def _assert_legends_from_the_component(m) -> str:
    """Every legend box of ``m`` is a LegendControl whose HTML is the renderer's output of its models."""
    html = base.map_html(m)
    controls = _legends(m)
    assert controls, "no legend"
    for c in controls:
        assert c.html == ml.legend_html(c.legends, c.layers)
        assert base.js_json(c.html) in html
    assert html.count("bangfu-legend") == len(controls), "a legend drawn by something else"
    return "".join(c.html for c in controls)


def _assert_class_rows(legend_html: str, rows: list[tuple[str, str]]) -> None:
    """The classes' rows appear in order with the oracle's colours and labels."""
    pos = 0
    for colour, label in rows:
        row = f'<span class="sw" style="background:{colour}"></span>{label}'
        found = legend_html.find(row, pos)
        assert found >= 0, (row, legend_html)
        pos = found


# --------------------------------------------------------------------------- palettes


@pytest.mark.parametrize("palette", sorted(styles.SEQUENTIAL))
@pytest.mark.parametrize("k", range(styles.MIN_CLASSES, styles.MAX_CLASSES + 1))
def test_class_colours_are_colorbrewer(palette, k):
    got = styles.class_colors(palette, k)
    assert list(got) == color_brewer(palette, k + 1)[1:]
    assert styles.NO_DATA not in got and styles.FILTERED_OUT not in got


def test_every_indicator_has_a_palette_and_a_default_classification():
    for spec in ind.CHOROPLETH_INDICATORS:
        assert spec.palette in styles.SEQUENTIAL
        assert spec.method in {m.key for m in ind.CLASS_METHODS}
        assert styles.MIN_CLASSES <= spec.k <= styles.MAX_CLASSES
    assert om.MapOptions().method == DEFAULT.method and om.MapOptions().k == DEFAULT.k


# --------------------------------------------------------------------------- the same class everywhere


def test_every_map_and_the_briefing_give_each_village_the_same_colour(ws):
    L = _layers(ws)
    villages = L["villages"]
    expected, rows = _expected(villages)
    town = _a_town(villages)
    metrics = ind.village_metrics(villages)
    table = ind.overview_villages(villages, roads=L["roads"], pairings=L["pairings"], as_of=AS_OF)
    active = ind.simple_active_pairings(L["pairings"], AS_OF)
    in_town = set(villages.loc[villages["town_code"] == town, "village_code"].astype(str))
    seen: dict[str, dict[str, str]] = {}

    # overview, county and town view (default options)
    for key, t_code in (("overview", None), ("overview town", town)):
        data = om.prepare_overview(table, options=om.MapOptions(town_code=t_code), roads=L["roads"],
                                   sites=L["tourism_sites"], enterprises=L["enterprises"], active_pairings=active)
        seen[key] = {c: s["fillColor"] for c, s in data.village_styles.items()}
        html = _assert_legends_from_the_component(om.build_overview_map(data))
        _assert_class_rows(html, rows)
    # tourism, county and one town
    for key, shown in (("tourism", None), ("tourism town", in_town)):
        m = themes.tourism_map(metrics, L["tourism_sites"], lang="zh", shown_codes=shown)
        seen[key] = _folium_fills(m)
        _assert_class_rows(_assert_legends_from_the_component(m), rows)
    assert set(seen["tourism town"]) == in_town
    # planning results map
    m = pm.portfolio_map(villages, L["projects"], list(L["projects"]["project_id"][:1]), {"road_hardening": 2000.0})
    seen["planning"] = _folium_fills(m)
    _assert_class_rows(_assert_legends_from_the_component(m), rows)
    # briefing figure, county and one town: the colours of the drawn village polygons
    load = lambda name: store.read_layer(ws, name)  # noqa: E731 (a one-line loader)
    for key, t_code in (("briefing", None), ("briefing town", town)):
        content = bc.compute_content(load, meta={"as_of": AS_OF}, town_code=t_code, sections=())
        fig = Figure(figsize=(6, 6))
        legend = figures.draw_map(fig.add_axes((0, 0, 1, 1)), content)
        parts = content.villages.geometry.apply(lambda g: len(getattr(g, "geoms", [g]))).to_numpy()
        faces = [to_hex(c) for c in fig.axes[0].collections[0].get_facecolor()]
        codes = np.repeat(content.villages["village_code"].astype(str).to_numpy(), parts)
        assert len(faces) == len(codes)
        seen[key] = dict(zip(codes, faces))
        assert [(i.color, i.label) for i in legend.items if i.kind == "fill"][:len(rows)] == rows
        drawn = fig.axes[0].get_legend()
        assert [t.get_text() for t in drawn.get_texts()] == legend.labels and drawn.get_title().get_text() == legend.title

    for key, fills in seen.items():
        assert fills, key
        wrong = {c: (f, expected[c]) for c, f in fills.items() if f != expected[c]}
        assert not wrong, f"{key}: {len(wrong)} villages in another class/colour, e.g. {list(wrong.items())[:3]}"
    assert set(seen["overview"]) == set(seen["planning"]) == set(expected)
    assert set(seen["briefing town"]) == in_town


def test_classes_of_a_subset_are_the_whole_workspace_classes(tmp_path):
    """The tourism map of one town (and the briefing of one town) does not reclassify the town alone."""
    villages = _layers(_small(tmp_path))["villages"]
    metrics = ind.village_metrics(villages)
    whole = ind.choropleth(metrics)
    town = metrics[metrics["town_code"] == _a_town(villages)]
    alone = ind.choropleth(town)
    assert alone.classes.bounds != whole.classes.bounds  # the bug: a town's own classes differ
    assert list(whole.classes_of(town)) == list(whole.classes.index[town.index])


# --------------------------------------------------------------------------- coded values


def _road_page_styles(m) -> dict[str, dict]:
    out = {}
    for child in m._children.values():
        data = getattr(child, "data", None)
        if isinstance(data, dict) and hasattr(child, "style_function"):
            for f in data.get("features", []):
                if "status" in f["properties"]:
                    out.setdefault(f["properties"]["status"], child.style_function(f))
    return out


def _is_dark(colour: str) -> bool:
    r, g, b = (int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.12


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_road_status_looks_the_same_on_overview_and_road_page(demo_workspace, lang):
    L = _layers(demo_workspace)
    table = ind.overview_villages(L["villages"], roads=L["roads"], pairings=L["pairings"], as_of=AS_OF)
    data = om.prepare_overview(table, options=om.MapOptions(lang=lang), roads=L["roads"])
    roads_layer = data.layer("roads")
    overview = {}
    for f in roads_layer.data["features"]:
        overview.setdefault(roads_layer.style_labels[f["properties"]["s"]], roads_layer.styles[f["properties"]["s"]])
    page = _road_page_styles(rm.road_map(L["roads"], L["villages"], lang=lang))
    assert set(page) == set(ROAD_STATUS.codes) and len(overview) == len(ROAD_STATUS)
    for code in ROAD_STATUS.codes:
        term = ROAD_STATUS.term(code)
        o, p = overview[term.label(lang)], page[code]
        assert o["color"] == p["color"] == term.color, code
        assert o.get("dashArray", "") == (p.get("dashArray") or "") == term.dash, code
        assert not _is_dark(term.color), f"{code} is drawn nearly black, the colour of borders"
    for border in (styles.TOWN_BORDER, styles.COUNTY_BORDER, styles.SELECTED_TOWN_BORDER):
        assert border["color"] not in ROAD_STATUS.colors().values()
    # one legend, the vocabulary's labels (计划硬化 / Planned, 未硬化 / Not hardened)
    status = ml.legend_html(rm.status_legend(lang))
    assert status in ml.legend_html(data.overlay_legend)
    assert status in _assert_legends_from_the_component(rm.road_map(L["roads"], L["villages"], lang=lang))
    for code, zh, en in (("planned", "计划硬化", "Planned"), ("unhardened", "未硬化", "Not hardened")):
        assert ROAD_STATUS.label(code, lang) == (zh if lang == "zh" else en)
        assert f">{ROAD_STATUS.label(code, lang)}</div>" in status


def test_coded_values_take_the_vocabulary_colours_on_every_map(tmp_path):
    L = _layers(_small(tmp_path))
    table = ind.overview_villages(L["villages"], roads=L["roads"], pairings=L["pairings"], as_of=AS_OF)
    active = ind.simple_active_pairings(L["pairings"], AS_OF)
    data = om.prepare_overview(table, options=om.MapOptions(), roads=L["roads"], sites=L["tourism_sites"],
                               enterprises=L["enterprises"], active_pairings=active)
    tourism = data.layer("tourism")
    for label, style in zip(tourism.style_labels, tourism.styles):
        assert style["fillColor"] == SITE_TYPE.color(label)
    pairs = data.layer("pairings")
    for label, style in zip(pairs.style_labels, pairs.styles):
        assert style["color"] == PAIRING_TYPE.color(PAIRING_TYPE.parse(label))
    for key, code in (("old", "old_district"), ("key", "key_village")):
        style = data.layer(key).styles[0]
        assert style["color"] == VILLAGE_FLAG.color(code) and style.get("dashArray", "") == VILLAGE_FLAG.term(code).dash
    # the tourism page's site circles: the same colour per type
    m = themes.tourism_map(ind.village_metrics(L["villages"]), L["tourism_sites"], lang="en")
    circles = [c for c in m._children.values() if getattr(c, "data", None) and c.data["features"]
               and c.data["features"][0]["geometry"]["type"] == "Point"]
    assert circles
    for f in circles[0].data["features"]:
        code = SITE_TYPE.parse(f["properties"]["site_type"])  # shown as the English label
        assert circles[0].style_function(f)["fillColor"] == SITE_TYPE.color(code)


def test_pairing_map_states_and_lines_from_the_vocabulary(tmp_path):
    L = _layers(_small(tmp_path))
    v = L["villages"]
    status = ind.village_pairing_table(v, L["pairings"], L["enterprises"], rule=ind.NeedyRule(), as_of=AS_OF)
    lines = ind.pairing_lines(v, L["enterprises"], L["pairings"], as_of=AS_OF)
    m = themes.pairing_map(v, status, lines, L["enterprises"], lang="zh")
    html = _assert_legends_from_the_component(m)
    states = themes.pairing_state(status.set_index("village_code").loc[v["village_code"], "needy"].reset_index(drop=True),
                                  status.set_index("village_code").loc[v["village_code"], "paired"].reset_index(drop=True))
    drawn = {}
    for child in m._children.values():
        data = getattr(child, "data", None)
        if isinstance(data, dict) and data.get("features") and "_status" in data["features"][0]["properties"]:
            for f in data["features"]:
                drawn[f["properties"]["village_code"]] = child.style_function(f)
    for code, state in zip(v["village_code"], states):
        term = PAIRING_STATE.term(state)
        assert drawn[code]["color"] == term.color and drawn[code]["weight"] == term.weight
    for term in PAIRING_STATE:
        assert f">{term.zh}</div>" in html


# --------------------------------------------------------------------------- the legend component


def test_legend_html_escapes_and_draws_every_kind():
    hostile = "<img src=x onerror=alert(1)>"
    legend = lg.Legend(hostile, (
        lg.LegendItem("fill", hostile, "#fff\" onclick=\"x"), lg.LegendItem("outline", "a", "#123456", "7 6", 2.2),
        lg.LegendItem("line", "b", "#654321", "2 4"), lg.LegendItem("dot", "c", "#abcdef", edge="#ffffff"),
        lg.note_item(hostile),
    ))
    html = ml.legend_html(legend)
    assert "<img" not in html and 'onclick="x' not in html and html.count("&lt;img") == 3
    assert 'stroke-dasharray="7 6"' in html and 'stroke-dasharray="2 4"' in html and "<circle" in html
    with pytest.raises(ValueError, match="kind"):
        ml.item_html(lg.LegendItem("blob", "x"))  # type: ignore[arg-type]


def test_vocab_legend_lists_present_codes_in_vocabulary_order_and_unknown_ones_last():
    legend = lg.vocab_legend(ROAD_STATUS, "en", codes=["unhardened", "completed", "gravel?", None, "completed"])
    assert legend.labels == ["Hardened", "Not hardened", "gravel?"]
    assert legend.items[-1].color == styles.UNKNOWN and legend.title == ROAD_STATUS.name("en")
    assert [i.color for i in legend.items[:2]] == [ROAD_STATUS.color("completed"), ROAD_STATUS.color("unhardened")]


def test_class_labels_are_formatted_the_same_everywhere():
    c = ind.choropleth(pd.DataFrame({"poor_households": [0, 5, 12, 1200, 3400, np.nan]}), "poor_households",
                       method="equal_interval", k=3)
    legend = c.legend("zh")
    assert [i.label for i in legend.items if i.kind == "fill"] == ["0 – 1,133", "1,133 – 2,267", "2,267 – 3,400"]
    assert legend.items[-1].kind == "note" and legend.items[-1].label == "等间距法"
    assert c.legend("en", part=True).items[-1].label == "Equal interval; classes county-wide"
    assert c.fills(pd.Series([np.nan]))[0] == styles.NO_DATA
