"""Tourism and pairing pages at a province or a city (issue 15 items 2–3): their maps draw the areas one level below
(not villages), with the figures of those areas computed here independently (plain loops over the villages); the
search index is not built by showing a page; the overview's road km from the stored table equal the road pieces';
pairing lines and coverage per area against brute force."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from bangfu import indicators as ind
from bangfu.maps.overview import embedded_geojson
from bangfu.workspace import store
from factories import run_page, sign_in

ROOT = Path(__file__).resolve().parents[1]
#: level → (URL parameters, the area's code prefix, digits of the units one level below).
LEVELS = {"province": ({}, "", 4), "city": ({"area": "2101"}, "2101", 6)}


def _run_page(folder: Path, page: str, query: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> tuple[AppTest, list]:
    maps: list = []
    monkeypatch.setattr("bangfu.ui.widgets.st_folium", lambda m, **kw: maps.append(m) or {})
    at = run_page(folder, f"pages/{page}.py", query)
    assert maps, "no map shown"
    return at, maps


def _layers(folder: Path) -> dict[str, pd.DataFrame]:
    path = folder / store.WORKSPACE_FILE
    return {n: store.read_layer(path, n) for n in ("villages", "tourism_sites", "enterprises", "pairings")}


def _features(m) -> list[dict]:
    return [f for data in embedded_geojson(m) for f in data.get("features", [])]


def _units(m) -> dict[str, dict]:
    return {f["properties"]["u"]: f for f in _features(m) if "u" in f.get("properties", {})}


@pytest.mark.parametrize("level", list(LEVELS))
def test_tourism_map_draws_the_areas_below_and_the_sites(province_ws: Path, level: str,
                                                         monkeypatch: pytest.MonkeyPatch):
    query, prefix, digits = LEVELS[level]
    _at, maps = _run_page(province_ws, "tourism", query, monkeypatch)
    layers = _layers(province_ws)
    v = layers["villages"]
    codes = v["village_code"].astype(str)
    inside = codes[codes.str.startswith(prefix)]
    units = _units(maps[-1])
    assert set(units) == set(inside.str[:digits])  # every area one level below, and only those
    feats = _features(maps[-1])
    assert not any("village_code" in f["properties"] or "c" in f["properties"] for f in feats)  # no village
    sites = layers["tourism_sites"]
    shown = {f["properties"]["site_id"] for f in feats if "site_id" in f["properties"]}
    assert shown == set(sites.loc[sites["village_code"].astype(str).str.startswith(prefix), "site_id"].astype(str))
    # the poverty density of each area: its poor households over its km² (summed over its villages, brute force)
    metrics = ind.village_metrics(v)
    for code, f in units.items():
        rows = metrics[codes.str[:digits] == code]
        density = rows["poor_households"].sum() / rows["area_km2"].sum()
        assert float(f["properties"]["d"]) == pytest.approx(density, abs=0.051)  # sent rounded to 0.1


@pytest.mark.parametrize("level", list(LEVELS))
def test_pairing_map_colours_the_areas_below_by_their_gaps(province_ws: Path, level: str,
                                                           monkeypatch: pytest.MonkeyPatch):
    query, prefix, digits = LEVELS[level]
    _at, maps = _run_page(province_ws, "pairings", query, monkeypatch)
    layers = _layers(province_ws)
    v = layers["villages"]
    as_of = ind.resolve_as_of(store.read_meta(province_ws / store.WORKSPACE_FILE), date.today())
    needy = ind.needy_mask(v, ind.NeedyRule()).to_numpy()  # the page's default rule
    active = layers["pairings"][ind.active_mask(layers["pairings"], as_of)]
    paired = v["village_code"].isin(set(active["village_code"])).to_numpy()
    gaps: dict[str, int] = {}
    cover: dict[str, list[int]] = {}
    for code, n, p in zip(v["village_code"].astype(str), needy, paired):  # brute force, village by village
        key = code[:digits]
        gaps[key] = gaps.get(key, 0) + int(n and not p)
        cover.setdefault(key, [0, 0])
        cover[key][0] += int(n)
        cover[key][1] += int(n and p)
    units = _units(maps[-1])
    assert set(units) == {k for k in gaps if k.startswith(prefix)}
    assert not any("village_code" in f["properties"] for f in _features(maps[-1]))
    for code, f in units.items():
        needy_n, paired_n = cover[code]
        expected = None if needy_n == 0 else f"{paired_n / needy_n * 100:.1f}%"
        assert f["properties"]["g"] == expected, code  # the page's coverage, not the overview's
    # the fills follow the gaps: more gaps never a lighter class (classes of every area of the level)
    fills = {code: _fill(maps[-1], f) for code, f in units.items()}
    ranked = sorted(units, key=lambda c: gaps[c])
    order = _class_order(fills, ranked)
    assert order == sorted(order)
    enterprises = {f["properties"]["enterprise_id"] for f in _features(maps[-1]) if "enterprise_id" in f["properties"]}
    if level == "province":
        assert enterprises == set(layers["enterprises"]["enterprise_id"].astype(str))


def _fill(m, feature: dict) -> str:
    from bangfu.maps.overview import CompactGeoJson

    for child in m._children.values():
        if isinstance(child, CompactGeoJson) and feature in child.data["features"]:
            return str(json.loads(child.styles_json)[feature["properties"]["s"]]["fillColor"])
    raise AssertionError("feature not drawn")


def _class_order(fills: dict[str, str], ranked: list[str]) -> list[int]:
    """The rank of each fill colour along the areas sorted by gaps (the first colour seen is 0, …)."""
    seen: list[str] = []
    out = []
    for code in ranked:
        if fills[code] not in seen:
            seen.append(fills[code])
        out.append(seen.index(fills[code]))
    return out


def test_county_pages_still_draw_villages(province_ws: Path, monkeypatch: pytest.MonkeyPatch):
    for page in ("tourism", "pairings"):
        _at, maps = _run_page(province_ws, page, {"area": "210102"}, monkeypatch)
        assert not _units(maps[-1])
        assert any("village_code" in f["properties"] for f in _features(maps[-1]))


def test_no_page_builds_the_search_index_until_something_is_typed(province_ws: Path,
                                                                    monkeypatch: pytest.MonkeyPatch):
    def refuse(*_a, **_k):
        raise AssertionError("the search index was built")

    monkeypatch.setattr("bangfu.ui.widgets.build_index", refuse)
    for page in ("tourism", "pairings", "roads", "overview"):
        _run_page(province_ws, page, {}, monkeypatch) if page != "roads" else _run_roads(province_ws)
    monkeypatch.undo()
    at, _maps = _run_page(province_ws, "tourism", {}, monkeypatch)
    sites = _layers(province_ws)["tourism_sites"]
    at.text_input(key="tourism_search_q").input(str(sites["site_id"].iloc[0])).run()  # now it is built
    assert not at.exception
    assert any(str(sites["site_id"].iloc[0]) in str(o) for o in at.selectbox(key="tourism_search_hit").options)


def _run_roads(folder: Path) -> None:
    at = AppTest.from_file(str(ROOT / "pages" / "roads.py"), default_timeout=180)
    sign_in(at, folder, "chief")
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def test_overview_road_km_from_the_stored_table_equal_the_road_pieces(province_ws: Path):
    from bangfu.indicators import stored as stored_ind
    from bangfu.workspace import derived

    path = province_ws / store.WORKSPACE_FILE
    v, roads, pairings = (store.read_layer(path, n) for n in ("villages", "roads", "pairings"))
    pieces = stored_ind.road_pieces_table(derived.table(path, "village_roads")["table"])
    computed = ind.overview_villages(v, roads=roads, pairings=pairings, as_of="2024-06-30")
    stored = ind.overview_villages(v, roads=roads, pairings=pairings, as_of="2024-06-30", road_pieces=pieces)
    assert (computed["road_km"] > 0).any()
    for c in ("road_km", "hardened_km", "hardening_pct"):
        np.testing.assert_allclose(stored[c].to_numpy(), computed[c].to_numpy(), rtol=1e-9, atol=1e-9)
    pd.testing.assert_frame_equal(pd.DataFrame(stored.drop(columns=["road_km", "hardened_km", "hardening_pct"])),
                                  pd.DataFrame(computed.drop(columns=["road_km", "hardened_km", "hardening_pct"])))


def test_coverage_by_area_equals_a_count_village_by_village(province_ws: Path):
    layers = _layers(province_ws)
    v = layers["villages"]
    table = ind.village_pairing_table(v, layers["pairings"], layers["enterprises"], rule=ind.NeedyRule(),
                                      as_of=date(2024, 6, 30))
    for digits in (4, 6, 9):
        got = ind.coverage_by_area(table, digits).set_index("area_code")
        expect: dict[str, list[int]] = {}
        for code, n, p in zip(table["village_code"].astype(str), table["needy"], table["paired"]):
            e = expect.setdefault(code[:digits], [0, 0])
            e[0] += int(n)
            e[1] += int(n and p)
        assert sorted(got.index) == sorted(expect)
        for code, (n, p) in expect.items():
            assert got.loc[code, ["needy_villages", "needy_paired", "needy_unpaired"]].tolist() == [n, p, n - p]
            if n:
                assert got.loc[code, "pairing_coverage_pct"] == pytest.approx(p / n * 100)
            else:
                assert np.isnan(got.loc[code, "pairing_coverage_pct"])
    towns = ind.coverage(table).by_town.set_index("town_code")  # the town level is the coverage tab's
    nine = ind.coverage_by_area(table, 9).set_index("area_code")
    assert (nine.loc[towns.index, "needy_unpaired"].to_numpy() == towns["needy_unpaired"].to_numpy()).all()


def test_pairing_lines_leave_out_what_has_no_place(province_ws: Path):
    layers = _layers(province_ws)
    v, e, p = layers["villages"], layers["enterprises"].copy(), layers["pairings"].copy()
    e.loc[e.index[0], "geometry"] = None  # an enterprise without a location
    p.loc[p.index[0], "village_code"] = "999999999999"  # an unknown village
    lines = ind.pairing_lines(v, e, p, as_of=date(2024, 6, 30))
    ent = dict(zip(e["enterprise_id"], e.geometry))
    poly = dict(zip(v["village_code"], v.geometry))
    expected = [r.pairing_id for r in p.itertuples() if ent.get(r.enterprise_id) is not None
                and r.village_code in poly]
    assert list(lines["pairing_id"]) == expected
    for row in lines.itertuples():
        assert shapely.get_point(row.geometry, 0).equals(ent[row.enterprise_id])
        assert poly[row.village_code].contains(shapely.get_point(row.geometry, -1))


def test_the_first_page_does_not_import_mapclassify():
    code = ("import sys; import bangfu.ui.panels.overview, bangfu.ui.panels.tourism, bangfu.ui.panels.pairings; "
            "from bangfu.indicators import classify; import numpy as np; "
            "classify(np.arange(50.0), method='fisher_jenks', k=5); "
            "print('mapclassify' in sys.modules, 'scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}, check=True)
    assert out.stdout.split() == ["False", "False"]
