"""Schema table and validators: each rule, on a hand-built bad layer, yields the right report line."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from bangfu.workspace import schema
from bangfu.workspace.validate import MAX_PER_KIND, validate_layer, validate_workspace
from factories import enterprises, households, pairings, roads, village_row


def _only(report, **kw):
    hits = [p for p in report.problems if all(getattr(p, k) == v for k, v in kw.items())]
    assert hits, f"expected a problem with {kw}; got:\n" + "\n".join(p.line("en") for p in report.problems)
    return hits


def test_schema_declares_every_design_layer():
    assert set(schema.LAYERS) == {
        "villages", "households", "roads", "road_progress", "tourism_sites", "enterprises", "pairings",
        "pairing_history", "projects", "seats",
    }
    assert [n for n, lay in schema.LAYERS.items() if lay.optional] == ["seats"]
    for row in schema.schema_table():
        assert row.zh and row.en and row.dtype in {"str", "int", "float", "bool", "date", "datetime"}
    assert schema.HOUSEHOLDS.personal and not schema.VILLAGES.personal
    refs = {(r.layer, r.column, r.target_layer) for r in schema.references()}
    assert ("pairings", "enterprise_id", "enterprises") in refs
    assert ("households", "village_code", "villages") in refs


def test_good_villages_pass(villages):
    report = validate_layer("villages", villages)
    assert report.ok, [p.line("en") for p in report.problems]
    assert report.summary_zh().startswith("数据检查通过")


@pytest.mark.parametrize(
    "column,value,reason",
    [
        ("village_code", "44078311624", "does not match"),
        ("village_code", None, "required value missing"),
        ("households", "很多", "not a valid int"),
        ("households", 12.5, "not a valid int"),
        ("households", -1, "below minimum"),
        ("is_old_district", "maybe", "not a valid bool"),
        ("collective_income_wan", -3.0, "below minimum"),
    ],
)
def test_each_column_rule_reported(villages, column, value, reason):
    bad = villages.astype({column: object})
    bad.loc[1, column] = value
    report = validate_layer("villages", bad, file="村.xlsx")
    hit = [p for p in report.errors if p.column == column and reason in p.reason_en]
    assert hit, [p.line("en") for p in report.problems]
    p = hit[0]
    assert p.row == 2 and p.file == "村.xlsx" and p.layer == "villages"
    assert p.reason_zh and p.line("zh").startswith("村.xlsx")


def test_duplicate_code_reports_both_rows(villages):
    bad = villages.copy()
    bad.loc[2, "village_code"] = bad.loc[0, "village_code"]
    hits = _only(validate_layer("villages", bad), column="village_code", reason_en="duplicate value")
    assert sorted(p.row for p in hits) == [1, 3]


def test_poor_above_total_is_a_row_rule(villages):
    bad = villages.copy()
    bad.loc[0, "poor_households"] = 500
    hit = _only(validate_layer("villages", bad), column="poor_households,households")[0]
    assert hit.reason_zh == "贫困户数不能大于总户数" and hit.value == "500 / 100" and hit.row_id == bad.loc[0, "village_code"]


def test_missing_required_column(villages):
    report = validate_layer("villages", villages.drop(columns=["town_name"]))
    _only(report, column="town_name", row=None)
    assert not report.ok


def test_village_code_must_sit_in_its_town(villages):
    bad = villages.copy()
    bad.loc[0, "town_code"] = "440783117"
    _only(validate_layer("villages", bad), column="town_code")


def test_overlapping_villages_and_invalid_polygon(villages):
    bad = villages.copy()
    bad.loc[1, "geometry"] = shapely.box(112.405, 22.30, 112.425, 22.31)  # overlaps both neighbours
    hits = _only(validate_layer("villages", bad), reason_en="overlaps another village")
    assert len(hits) == 2
    bow = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    bad2 = villages.copy()
    bad2.loc[2, "geometry"] = bow
    _only(validate_layer("villages", bad2), reason_en="invalid geometry", row=3)


def test_wrong_geometry_type(villages):
    bad = villages.copy()
    bad.loc[0, "geometry"] = shapely.Point(112.4, 22.3)
    _only(validate_layer("villages", bad), reason_en="wrong geometry type", row=1)


def _households(villages, **over):
    """H1 (poor, key, 因病) in village 0 and H2 in village 1; ``over`` replaces whole columns."""
    hh = households([(112.405, 22.305), (112.415, 22.305)], list(villages.village_code[:2]), ids=["H1", "H2"],
                    members=[3, 4], is_poor=[True, False], is_key=[True, False], poverty_cause=["因病", None])
    return hh.assign(**over)


def test_households_rules(villages):
    ok = _households(villages)
    assert validate_workspace({"villages": villages, "households": ok}).ok
    r = validate_workspace({"villages": villages, "households": _households(villages, village_code=["440783116999", villages.village_code[1]])})
    _only(r, layer="households", column="village_code", reason_en="refers to an unknown villages.village_code")
    r = validate_workspace({"villages": villages, "households": _households(villages, is_poor=[False, False])})
    _only(r, layer="households", column="is_key,is_poor")
    r = validate_workspace({"villages": villages, "households": _households(villages, poverty_cause=["懒", None])})
    _only(r, layer="households", column="poverty_cause", reason_en="not an allowed value")


def test_point_outside_villages_is_a_warning(villages):
    hh = _households(villages)
    hh.loc[1, "geometry"] = shapely.Point(113.5, 23.0)
    r = validate_workspace({"villages": villages, "households": hh})
    hit = _only(r, layer="households", reason_en="outside every village")[0]
    assert hit.severity == "warning" and r.ok


def test_pairing_dates_and_refs(villages):
    ent = enterprises([{"enterprise_id": "E1", "name": "示例企业001", "employees": 10, "xy": (112.4, 22.3)}])
    pairs = pairings([
        {"pairing_id": "P1", "enterprise_id": "E1", "village_code": villages.village_code[0], "start_date": "2020-05-01",
         "end_date": "2019-01-01", "committed_wan": 10.0},
        {"pairing_id": "P2", "enterprise_id": "E9", "village_code": villages.village_code[0], "pairing_type": "就业",
         "start_date": "2020-13-01", "committed_wan": 5.0},
    ])
    r = validate_workspace({"villages": villages, "enterprises": ent, "pairings": pairs})
    _only(r, layer="pairings", column="end_date,start_date", row=1)
    _only(r, layer="pairings", column="enterprise_id", row=2)
    _only(r, layer="pairings", column="start_date", row=2, reason_en="not a valid date")


def test_road_choices_and_progress(villages):
    rd = roads([{"road_id": "R1", "name": "测试路", "village_code": villages.village_code[0], "road_class": "高速",
                 "surface": "水泥", "status": "completed", "planned_year": 2020, "completed_year": 2019, "progress_pct": 120.0,
                 "cost_wan": 10.0, "coords": [(112.40, 22.30), (112.41, 22.31)]}])
    r = validate_layer("roads", rd, layers={"villages": villages})
    _only(r, column="road_class", reason_en="not an allowed value")
    _only(r, column="progress_pct", reason_en="above maximum 100")
    _only(r, column="completed_year,planned_year")


def test_report_frame_has_chinese_headers(villages):
    bad = villages.copy()
    bad.loc[0, "households"] = -5
    df = validate_layer("villages", bad).to_frame()
    assert list(df.columns[:4]) == ["级别", "文件", "图层", "行号"]
    assert df.iloc[0]["图层"] == "行政村"


def test_many_problems_are_capped_but_counted():
    v = village_row(1)
    big = pd.concat([v] * 500, ignore_index=True)
    big["households"] = -1
    big["village_code"] = [f"440783116{i:03d}" for i in range(500)]
    big = gpd.GeoDataFrame(big, geometry="geometry", crs="EPSG:4326")
    r = validate_layer("villages", big.iloc[:, :].copy())
    assert not r.ok
    shown = [p for p in r.errors if p.column == "households" and p.reason_en.startswith("below minimum")]
    assert [p.row for p in shown] == list(range(1, MAX_PER_KIND + 1))  # the first ones, one line each
    counted = {k: n for k, n in r.truncated.items() if k.startswith("error:villages:households:below minimum")}
    assert list(counted.values()) == [500 - MAX_PER_KIND]  # the rest counted, not lost
