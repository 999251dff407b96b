"""Leadership briefing (pure): sections by name, road sections, one-page PDF with CJK font, Word file, town vs county."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import subprocess
import warnings
from pathlib import Path

import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import pypdf
import pytest
from docx import Document

from bangfu import briefing
from bangfu import indicators as ind
from bangfu.briefing import content as bc
from bangfu.briefing import adapters, figures, fonts, sources
from bangfu.geo.crs import haversine_m
from bangfu.workspace import areas, derived
from factories import UTM, Briefing, households_in_villages, loader

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
DATE = dt.date(2025, 11, 23)


def _build(town: str | None = None, **kw) -> briefing.Briefing:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        b = briefing.build_briefing(loader(Briefing.layers()), meta=Briefing.META, town_code=town, date=DATE, **kw)
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert not missing, f"glyphs drawn without a font (boxes in the PDF): {missing[:3]}"
    return b


PROGRESS: list[float] = []


@pytest.fixture(scope="module")
def county() -> briefing.Briefing:
    return _build(progress=lambda f, msg: PROGRESS.append(f))


@pytest.fixture(scope="module")
def town() -> briefing.Briefing:
    return _build(Briefing.CHISHUI, overrides={"projects": Briefing.portfolio()})


def _pdf_text(pdf: bytes) -> str:
    return pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def _docx_text(data: bytes) -> tuple[str, list[list[list[str]]]]:
    doc = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in doc.paragraphs)
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    return text + "\n" + "\n".join(c for t in tables for r in t for c in r), tables


def _expected_kpis(town: str | None) -> dict[str, str]:
    """KPI texts from bangfu.indicators and a haversine oracle for the road share, independent of the briefing."""
    v = Briefing.layers()["villages"]
    tot = ind.totals(ind.village_metrics(v if town is None else v[v["town_code"] == town]))
    roads = Briefing.layers()["roads"]
    codes = set(v["village_code"] if town is None else v.loc[v["town_code"] == town, "village_code"])
    roads = roads[roads["village_code"].isin(codes)]
    km = np.array([haversine_m(*g.coords[0], *g.coords[-1]) for g in roads.geometry])
    share = km[(roads["status"] == "completed").to_numpy()].sum() / km.sum() * 100
    return {
        "villages": ind.fmt_int(tot.villages),
        "households": ind.fmt_int(tot.households),
        "poor_households": ind.fmt_int(tot.poor_households),
        "poor_population": ind.fmt_int(tot.poor_population),
        "incidence": ind.fmt_pct(tot.incidence_pct),
        "old_district": ind.fmt_int(tot.old_district_villages),
        "hardening_rate": ind.fmt_pct(share),
    }


# --------------------------------------------------------------------------- sources by name


# Sources used by the tests of the section machinery (named "test_briefing:...").
def raises_type_error(villages: pd.DataFrame) -> float:
    raise TypeError("unexpected signature")


def share_one_and_a_half(villages: pd.DataFrame) -> float:
    return 1.5


def quarter(villages: pd.DataFrame) -> float:
    return 0.25


def test_resolve_by_name():
    assert sources.resolve("bangfu.indicators:totals") is ind.totals
    assert sources.resolve("bangfu.no_such_module:anything") is None
    assert sources.resolve("bangfu.indicators:no_such_function") is None
    with pytest.raises(ValueError, match="module:function"):
        sources.resolve("bangfu.indicators.totals")


def test_sources_are_tried_in_order_and_errors_recorded():
    section = sources.Section(
        "x", "kpi", "kpi.villages",
        (
            sources.Source("bangfu.not_built_yet:rate"),
            sources.Source("test_briefing:raises_type_error"),
            sources.Source("test_briefing:share_one_and_a_half", scale=100),  # 150 % is implausible
            sources.Source("test_briefing:quarter", scale=100, fallback=True),
        ),
        fmt="pct", bounds=(0, 100),
    )
    r = sources.evaluate(section, sources.AreaData(loader(Briefing.layers())))
    assert r.status == "fallback" and r.value == 25.0 and r.source == "test_briefing:quarter"
    assert "not available yet" in r.message and "TypeError" in r.message and "plausible range" in r.message


def test_missing_and_failing_sections_do_not_raise():
    data = sources.AreaData(loader(Briefing.layers()))
    missing = sources.Section("m", "table", "briefing.unpaired", (sources.Source("bangfu.indicators:not_there_yet"),))
    failing = sources.Section("f", "series", "briefing.road_km", (sources.Source("test_briefing:raises_type_error"),))
    assert sources.evaluate(missing, data).status == "missing"
    assert sources.evaluate(failing, data).status == "error"


def test_every_declared_source_is_well_formed():
    for section in sources.SECTIONS:
        assert section.sources, section.key
        for s in section.sources:
            assert s.module.startswith("bangfu.") and s.function, s
            stored = tuple(derived.PREFIX + d.name for d in derived.DERIVED)  # tables stored beside the workspace
            known = (*Briefing.layers(), "households", "pairings", "tourism_sites", "enterprises", "seats", areas.PIECES,
                     *stored)
            assert all(name in known for name in s.layers + s.whole)


def test_area_restriction():
    data = sources.AreaData(loader(Briefing.layers()), Briefing.CHISHUI)
    assert set(data.layer("villages")["town_code"]) == {Briefing.CHISHUI}
    assert set(data.layer("roads")["road_id"]) == {"R0", "R1", "R2", "R3"}
    assert set(data.layer(areas.PIECES)["road_id"]) == {"R0", "R1", "R2", "R3"}
    assert len(data.full("roads")) == 6


# --------------------------------------------------------------------------- road sections


def test_completed_road_km_by_year_matches_haversine():
    roads, villages = Briefing.layers()["roads"], Briefing.layers()["villages"]
    got = adapters.road_km_completed_by_year(ind.road_pieces(roads, villages))
    done = roads[roads["status"] == "completed"]
    km = pd.Series([haversine_m(*g.coords[0], *g.coords[-1]) / 1000 for g in done.geometry], index=done.index)
    expected = km.groupby(done["completed_year"].astype(int)).sum()
    assert list(got.index) == [2018, 2019, 2020]
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=2e-3)  # UTM scale vs sphere


def test_completed_km_share_edge_cases():
    roads, villages = Briefing.layers()["roads"], Briefing.layers()["villages"]
    pieces = ind.road_pieces(roads, villages)
    assert np.isnan(adapters.road_hardening_share(pieces.iloc[0:0], villages))
    assert adapters.road_hardening_share(pieces[pieces["status"] == "completed"], villages) == pytest.approx(1.0)
    assert adapters.road_km_completed_by_year(pieces[pieces["status"] != "completed"]).empty


# --------------------------------------------------------------------------- the access share


def _access_oracle(households: pd.DataFrame, roads: pd.DataFrame, town: str | None) -> float:
    """% of the area's households within 2 km of a completed road anywhere in the county, by geopandas'
    nearest distance in UTM 49N (the area's households: those recorded in its villages)."""
    hh = households.to_crs(UTM)
    done = roads[roads["status"] == "completed"].to_crs(UTM)
    d = gpd.sjoin_nearest(hh[["geometry"]], done[["geometry"]], distance_col="d")["d"].groupby(level=0).min()
    assert (abs(d - 2000.0) > 0.01).all(), "a household sits on the 2 km edge: the oracle would be ambiguous"
    mine = hh["village_code"].str[:9] == town if town else pd.Series(True, index=hh.index)
    return float((d[mine] <= 2000.0).mean() * 100)


@pytest.mark.parametrize("town", [None, Briefing.CHISHUI, Briefing.SHATANG])
def test_access_share_is_the_share_within_2_km_of_a_hardened_road(town):
    layers = Briefing.layers()
    hh = households_in_villages(layers["villages"], per_village=25, seed=4)
    content = bc.compute_content(loader({**layers, "households": hh}), meta=Briefing.META, town_code=town, date=DATE)
    card = content.kpi("access_share")
    expected = _access_oracle(hh, layers["roads"], town)
    assert 5 < expected < 95, expected  # neither none nor all: the figure tells roads apart
    assert card.status == "ok" and card.value == pytest.approx(expected, abs=1e-9)
    assert card.text == ind.fmt_pct(expected)


# --------------------------------------------------------------------------- drawing helpers


def _density_classes(values: pd.Series) -> ind.Classes:
    """The briefing map's classification of these values (the default one of poverty density)."""
    return ind.choropleth(pd.DataFrame({"poverty_density": values}), "poverty_density").classes


def test_density_classes_match_mapclassify():
    values = pd.Series([0.5, 3.0, np.nan, 7.0, 1.0, 12.0, 2.0, 40.0])
    c = _density_classes(values)
    finite = values.dropna().to_numpy()
    spec = ind.choropleth_indicator("poverty_density")
    q = getattr(mapclassify, ind.class_method(spec.method).classifier)(finite, k=spec.k)
    assert c.bounds == tuple(q.bins) and list(c.index[values.notna().to_numpy()]) == list(q.yb)
    assert c.index[2] == -1
    one = _density_classes(pd.Series([4.0, 4.0, np.nan]))
    assert one.bounds == (4.0,) and list(one.index) == [0, 0, -1]
    assert _density_classes(pd.Series([np.nan])).bounds == ()


def test_town_map_uses_the_county_classes(county, town):
    """A town briefing colours its villages with the county-wide classes (as every map of the app)."""
    assert town.content.density is not None
    assert town.content.density.classes.bounds == county.content.density.classes.bounds
    county_cls = dict(zip(county.content.villages["village_code"], county.content.density.classes_of(county.content.villages)))
    town_cls = dict(zip(town.content.villages["village_code"], town.content.density.classes_of(town.content.villages)))
    assert town_cls and all(town_cls[c] == county_cls[c] for c in town_cls)


def test_wrap_text_respects_width():
    lines = figures.wrap_text("示例数据：" * 20 + "abc" * 10, 30)
    assert all(sum(figures._char_width(ch) for ch in line) <= 30 for line in lines)
    assert "".join(lines) == "示例数据：" * 20 + "abc" * 10


# --------------------------------------------------------------------------- the PDF


@pytest.mark.parametrize("which", ["county", "town"])
def test_pdf_is_one_page_with_area_and_kpis(which, county, town):
    b, code = (county, None) if which == "county" else (town, Briefing.CHISHUI)
    reader = pypdf.PdfReader(io.BytesIO(b.pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 portrait in points
    text = _pdf_text(b.pdf)
    area = "开平市" if code is None else "开平市赤水镇"
    assert f"{area}帮扶工作简报" in text
    assert "数据截至 2020-12-31" in text and "测试用合成数据" in text
    for key, value in _expected_kpis(code).items():
        assert value in text, (key, value)
        assert b.content.kpi(key).text == value


def test_pdf_embeds_the_cjk_font(county):
    reader = pypdf.PdfReader(io.BytesIO(county.pdf))
    fonts_used = {str(f.get_object()["/BaseFont"]) for f in reader.pages[0]["/Resources"]["/Font"].values()}
    assert fonts_used and all("NotoSansCJK" in name for name in fonts_used), fonts_used
    for f in reader.pages[0]["/Resources"]["/Font"].values():
        descendant = f.get_object()["/DescendantFonts"][0].get_object()
        descriptor = descendant["/FontDescriptor"].get_object()
        assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), "font not embedded"


def test_not_yet_built_sections_say_so(county):
    text = _pdf_text(county.pdf)
    unavailable = [k for k, r in county.content.results.items() if r.status == "missing"]
    assert not unavailable and "尚未完成" not in text  # every section is built: none says otherwise
    sections = tuple(
        dataclasses.replace(s, sources=(sources.Source("bangfu.not_built_yet:fn"),)) if s.key == "unpaired" else s
        for s in sources.SECTIONS
    )
    content = bc.compute_content(loader(Briefing.layers()), meta=Briefing.META, date=DATE, sections=sections)
    assert content.tables["unpaired"].status == "missing"
    assert "本节所需功能尚未完成" in _pdf_text(briefing.render(content).pdf)


def test_pdf_renders_to_png(tmp_path, town):
    pdf = tmp_path / "town.pdf"
    pdf.write_bytes(town.pdf)
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / "briefing_town"
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", str(pdf), str(out)], check=True, capture_output=True)
    from PIL import Image

    img = np.asarray(Image.open(str(out) + ".png").convert("RGB"))
    assert img.shape[0] > img.shape[1]  # portrait
    reds = ((img[..., 0] > 150) & (img[..., 1] < 60) & (img[..., 2] < 70)).sum()
    assert reds > 500, "the accent rule, KPI bars and map colours should be drawn"


def test_town_briefing_differs_from_county(county, town):
    assert county.content.kpi("villages").text == "6" and town.content.kpi("villages").text == "4"
    assert county.content.kpi("poor_households").text != town.content.kpi("poor_households").text
    assert town.content.area_name == "开平市赤水镇" and town.content.context is not None
    assert len(town.content.villages) == 4 and set(town.content.villages["town_code"]) == {Briefing.CHISHUI}


def test_portfolio_override_is_restricted_to_the_area(town):
    table = town.content.tables["projects"]
    assert table.status == "ok" and table.total == 2  # the 沙塘镇 bridge is not in 赤水镇
    assert table.rows[0] == ("1", "步栏村道路硬化$工程$", "道路硬化", "赤水0村", "120.0", "500", "50")
    assert list(town.content.projects_map["rank"]) == [1, 2]
    text = _pdf_text(town.pdf)
    assert "步栏村道路硬化$工程$" in text and "三合饮水工程" in text and "沙塘桥" not in text


# --------------------------------------------------------------------------- Word and PNG


def test_docx_has_the_same_kpis_and_rows(town):
    text, tables = _docx_text(town.docx)
    assert "开平市赤水镇帮扶工作简报" in text and "数据截至 2020-12-31" in text
    for value in _expected_kpis(Briefing.CHISHUI).values():
        assert value in text
    rows = [tuple(r) for t in tables for r in t]
    for row in town.content.tables["projects"].rows:
        assert row in rows
    doc = Document(io.BytesIO(town.docx))
    assert len(doc.inline_shapes) >= 2  # map and road chart


def test_map_png(county):
    assert county.map_png[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image

    img = Image.open(io.BytesIO(county.map_png))
    assert img.width > 1000 and img.height > 800
    assert county.preview_png[:8] == b"\x89PNG\r\n\x1a\n"


def test_file_names(town):
    assert town.file_stem() == "领导简报_开平市赤水镇_2025-11-23"


def test_no_cjk_font_gives_a_chinese_message(monkeypatch):
    monkeypatch.setattr(fonts, "_installed", lambda: set())
    monkeypatch.setattr(fonts, "KNOWN_FILES", ())
    with pytest.raises(fonts.NoCJKFontError) as info:
        briefing.build_briefing(loader(Briefing.layers()), meta=Briefing.META)
    assert "fonts-noto-cjk" in info.value.message("zh") and "中文字体" in str(info.value)


def test_progress_is_reported_in_order(county):
    assert PROGRESS == sorted(PROGRESS) and PROGRESS[-1] == 1.0 and len(PROGRESS) >= 4  # data, figures, page, done (the files follow on first use)


def test_english_briefing():
    c = bc.compute_content(loader(Briefing.layers()), meta=Briefing.META, lang="en", date=DATE)
    assert c.title == "开平市: poverty alleviation briefing" and c.kpi("villages").label == "Villages"
    assert c.date_text == "2025-11-23" and c.as_of_text == "Data as of 2020-12-31"


# --------------------------------------------------------------------------- the Kaiping demo


@pytest.fixture(scope="module")
def demo_town() -> tuple[briefing.Briefing, dict]:
    from bangfu.workspace import store

    demo = Path(__file__).resolve().parents[1] / "geodata" / "kaiping_demo.gpkg"
    if not demo.exists():
        pytest.fail("geodata/kaiping_demo.gpkg is missing: run `python -m bangfu.demo build`")
    b = briefing.build_from_workspace(demo, town_code="440783116", date=DATE)
    county = ind.totals(ind.village_metrics(store.read_layer(demo, "villages")))
    access = _access_oracle(store.read_layer(demo, "households"), store.read_layer(demo, "roads"), "440783116")
    return b, {"county_villages": ind.fmt_int(county.villages), "county_poor": ind.fmt_int(county.poor_households),
               "access": access}


def test_demo_chishui_seed_facts(demo_town):
    b, county = demo_town
    assert len(pypdf.PdfReader(io.BytesIO(b.pdf)).pages) == 1
    expected = {"villages": "19", "poor_households": "325", "poor_population": "915", "old_district": "7"}
    text = _pdf_text(b.pdf)
    docx_text, _ = _docx_text(b.docx)
    assert "开平市赤水镇帮扶工作简报" in text and "示例数据" in text
    for key, value in expected.items():
        assert b.content.kpi(key).text == value
        assert value in text and value in docx_text
    assert county["county_villages"] == "270" and county["county_poor"] != "325"
    # the landed pairing, tourism and planning modules are connected through the adapters
    for key in ("pairing_coverage", "tourism_reach", "access_share"):
        assert b.content.kpi(key).status == "ok", b.content.results[key].message
    assert b.content.kpi("access_share").value == pytest.approx(county["access"], abs=1e-9)
    assert b.content.kpi("access_share").text == ind.fmt_pct(county["access"]) and county["access"] < 100
    projects = b.content.tables["projects"]
    assert projects.status == "ok" and 0 < len(projects.rows) <= 10
    assert all(row[1] in text for row in projects.rows[:3])


# --------------------------------------------------------------------------- which plan the projects block shows


def _legend_labels(content: bc.BriefingContent) -> list[str]:
    assert content.density is not None
    return [item.label for item in figures.map_legend(content, content.density, has_nodata=False).items]


def test_projects_block_names_the_plan_it_shows(county, town):
    # no portfolio computed: the standalone ranking, called so; the legend does not call its projects 入选项目
    assert county.content.projects_plan == "ranking"
    assert county.content.tables["projects"].title.startswith("单项目排名")
    assert "单项目排名前10" in _legend_labels(county.content) and "入选项目" not in _legend_labels(county.content)
    assert "单项目排名" in _pdf_text(county.pdf)
    # a portfolio from the planning page without its facts: named a portfolio, legend 入选项目
    assert town.content.projects_plan == "portfolio" and town.content.tables["projects"].title.startswith("预算内项目组合")
    assert "入选项目" in _legend_labels(town.content) and "单项目排名前10" not in _legend_labels(town.content)
    # with its budget, project count and cost: all three are named, in both languages
    for lang, words in (("zh", ("预算 300 万元", "2 个项目", "投资 170 万元")), ("en", ("budget 300", "2 projects", "costing 170"))):
        content = bc.compute_content(loader(Briefing.layers()), meta=Briefing.META, town_code=Briefing.CHISHUI,
                                     date=DATE, lang=lang, overrides={"projects": Briefing.portfolio()},
                                     plan={"budget": 300.0, "projects": 2, "cost": 170.0})
        title = content.tables["projects"].title
        assert all(w in title for w in words), title


def test_portfolio_facts_are_those_of_the_briefed_portfolio():
    from bangfu.planning import run as planning_run
    from factories import planning_layers

    res = planning_run.run(planning_layers(np.random.default_rng(11), n_hh=300), planning_run.PlanOptions(budget=300))
    facts = adapters.portfolio_facts(res)
    table = adapters.portfolio_table(res)
    assert facts["budget"] == 300.0 and facts["projects"] == len(table) == len(res.exact.chosen)
    assert facts["cost"] == pytest.approx(float(table["cost_wan"].sum())) and facts["cost"] <= 300.0
