"""A new county from scratch: ``new_workspace`` / ``python -m bangfu new``, then imports layer by layer."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bangfu.workspace import access, audit, create, store
from bangfu.workspace.schema import LAYERS
from bangfu.workspace.validate import validate_workspace

ADMIN = access.cli_principal()
KAIPING = "440783"
#: A Liaoning county (新民市) of the shipped list, and a county it does not cover.
XINMIN = "210181"
PINGNAN = "450821"


def _official_oracle(code: str) -> pd.DataFrame:
    """The county's rows of the shipped CSV, read independently of bangfu.workspace.create."""
    import csv

    with open(create.OFFICIAL_CODES, encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["county_code"] == code]
    return pd.DataFrame(rows)


def test_new_workspace_known_county_is_empty_valid_and_carries_the_official_list(tmp_path: Path) -> None:
    path = create.new_workspace(tmp_path / "kaiping" / "sub" / "workspace.gpkg", KAIPING, user=ADMIN)
    assert path.exists()
    info = store.open_workspace(path)
    assert info.meta["county_code"] == KAIPING
    assert info.meta["county_name"] == "开平市"
    assert info.meta["source"] == "new"
    assert info.meta["version"] == "1"
    for name in LAYERS:
        assert name in info.layers
        assert len(store.read_layer(path, name)) == 0
    assert not validate_workspace(store.read_workspace(path)).problems
    ref = create.read_reference(path)
    oracle = _official_oracle(KAIPING)
    assert len(ref) == len(oracle) > 100
    assert sorted(ref["village_code"]) == sorted(oracle["village_code"])
    got = dict(zip(ref["village_code"], ref["village_name"]))
    assert got == dict(zip(oracle["village_code"], oracle["village_name"]))
    assert set(ref["town_code"]) == set(oracle["town_code"])
    rows = audit.entries(path.parent, user=ADMIN, action="new_workspace")
    assert list(rows["target"]) == [KAIPING]


def test_new_workspace_liaoning_county_and_unknown_county_with_name(tmp_path: Path) -> None:
    p1 = create.new_workspace(tmp_path / "xm.gpkg", XINMIN, user=ADMIN)
    assert len(create.read_reference(p1)) == len(_official_oracle(XINMIN)) > 0
    p2 = create.new_workspace(tmp_path / "pn.gpkg", PINGNAN, "平南县", user=ADMIN)
    meta = store.read_meta(p2)
    assert (meta["county_code"], meta["county_name"]) == (PINGNAN, "平南县")
    assert create.read_reference(p2).empty
    store.check_workspace_file(p2)


@pytest.mark.parametrize("code", ["44078", "4407830", "abcdef", "", "44 783"])
def test_new_workspace_refuses_a_code_that_is_not_6_digits(tmp_path: Path, code: str) -> None:
    with pytest.raises(create.CountyCodeError) as exc:
        create.new_workspace(tmp_path / "x.gpkg", code, "某县", user=ADMIN)
    assert "6 位数字" in exc.value.message_zh and exc.value.hint_zh
    assert not (tmp_path / "x.gpkg").exists()


def test_new_workspace_refuses_unknown_county_without_name_and_an_existing_file(tmp_path: Path) -> None:
    with pytest.raises(create.UnknownCounty) as exc:
        create.new_workspace(tmp_path / "x.gpkg", PINGNAN, user=ADMIN)
    assert "--name" in exc.value.message_zh
    assert not (tmp_path / "x.gpkg").exists()
    existing = tmp_path / "y.gpkg"
    existing.write_bytes(b"keep me")
    with pytest.raises(create.WorkspaceExists):
        create.new_workspace(existing, KAIPING, user=ADMIN)
    assert existing.read_bytes() == b"keep me"


def test_new_workspace_is_admin_only(tmp_path: Path) -> None:
    viewer = access.Principal("v", "viewer")
    with pytest.raises(access.AccessDenied):
        create.new_workspace(tmp_path / "x.gpkg", KAIPING, user=viewer)
    assert not (tmp_path / "x.gpkg").exists()


# =========================================================================== a county from scratch, via the CLI

import subprocess  # noqa: E402
import sys  # noqa: E402

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import shapely  # noqa: E402

from bangfu.cli import commands as cli  # noqa: E402
from bangfu.geo.crs import wgs84_to_gcj02  # noqa: E402
from bangfu.planning.project_types import default_distances  # noqa: E402
from bangfu.planning import project_types  # noqa: E402

from tests.factories import shapefile_zip, xlsx_bytes  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CHISHUI = "440783116"
#: Six real villages of 赤水镇 (official code → official name), laid out on a 3 × 2 grid.
OFFICIAL = {
    "440783116240": "沙洲村委会", "440783116241": "羊路村委会", "440783116242": "瓦片坑村委会",
    "440783116243": "冲口村委会", "440783116244": "和安村委会", "440783116245": "湴溪村委会",
}
#: How the office wrote each village in its shapefile: (code or "", name, town) — suffix variants, some without code.
WRITTEN = [
    ("440783116240", "沙洲村", "赤水镇"),
    ("", "羊路村民委员会", "赤水"),
    ("", "瓦片坑", "赤水镇"),
    ("440783116243", "冲口村委会", "赤水镇"),
    ("", "和安村", "赤水"),
    ("", "湴溪村委会", "赤水镇"),
]
CELL = 0.02
ORIGIN = (112.50, 22.20)


def _squares() -> list[shapely.Polygon]:
    return [shapely.box(ORIGIN[0] + CELL * (j % 3), ORIGIN[1] + CELL * (j // 3),
                        ORIGIN[0] + CELL * (j % 3 + 1), ORIGIN[1] + CELL * (j // 3 + 1)) for j in range(6)]


def _village_shapefile(tmp: Path, written: list[tuple[str, str, str]] = WRITTEN) -> bytes:
    """Village polygons as offices send them: GBK dBASE without .cpg, 行政代码 partly empty, 老区/重点 as 是/否, √/×."""
    gdf = gpd.GeoDataFrame({
        "行政代码": [c for c, _, _ in written], "村名": [n for _, n, _ in written], "所属镇": [t for _, _, t in written],
        "老区村": ["是", "否", "否", "是", "否", "否"][: len(written)],
        "重点帮扶村": ["√", "×", "√", "×", "×", "×"][: len(written)],
    }, geometry=_squares()[: len(written)], crs="EPSG:4326")
    return shapefile_zip(gdf, tmp, encoding="GBK", keep_cpg=False, stem="村界")


def _households(seed: int = 3, n: int = 240) -> gpd.GeoDataFrame:
    """True (WGS-84) household points, well inside the squares, and their attributes."""
    rng = np.random.default_rng(seed)
    j = rng.integers(0, 6, n)
    x = ORIGIN[0] + CELL * (j % 3) + CELL * rng.uniform(0.1, 0.9, n)
    y = ORIGIN[1] + CELL * (j // 3) + CELL * rng.uniform(0.1, 0.9, n)
    poor = rng.random(n) < 0.3
    labour = rng.random(n) < 0.6
    return gpd.GeoDataFrame({
        "members": rng.integers(1, 7, n), "is_poor": poor, "has_labour": labour, "is_key": poor & labour,
    }, geometry=shapely.points(x, y), crs="EPSG:4326")


def _household_sheet(hh: gpd.GeoDataFrame, codes: list[str]) -> bytes:
    """The 建档立卡 sheet: Chinese headers, Amap (GCJ-02) coordinates, no household ids, 是/否 √/× 有/无."""
    lon, lat = wgs84_to_gcj02(hh.geometry.x.to_numpy(), hh.geometry.y.to_numpy())
    return xlsx_bytes(pd.DataFrame({
        "户主": [f"户主{i}" for i in range(len(hh))], "行政代码": codes, "人口": hh["members"].tolist(),
        "是否贫困户": ["是" if v else "否" for v in hh["is_poor"]],
        "重点帮扶户": ["√" if v else "×" for v in hh["is_key"]],
        "有劳动能力": ["有" if v else "无" for v in hh["has_labour"]],
        "经度": lon, "纬度": lat,
    }))


PROJECT_ROWS = [  # (name, Chinese type name as offices write it, cost, village index, x, y within the grid)
    ("沙洲村道硬化", "道路硬化", 120.0, 0, 0.3, 0.5),
    ("羊路饮水", "饮水工程", 80.0, 1, 0.5, 0.5),
    ("瓦片坑桥", "桥梁", 60.0, 2, 0.4, 0.6),
    ("冲口卫生室", "卫生室", 30.0, 3, 0.5, 0.5),
    ("和安小学", "学校", 150.0, 4, 0.5, 0.4),
    ("湴溪宽带", "宽带", 20.0, 5, 0.6, 0.5),
    ("沙洲硬底化", "硬底化", 90.0, 0, 0.8, 0.2),
]


def _project_points() -> np.ndarray:
    return np.array([(ORIGIN[0] + CELL * (j % 3 + fx), ORIGIN[1] + CELL * (j // 3 + fy))
                     for _, _, _, j, fx, fy in PROJECT_ROWS])


def _project_sheet() -> bytes:
    pts = _project_points()
    lon, lat = wgs84_to_gcj02(pts[:, 0], pts[:, 1])
    codes = list(OFFICIAL)
    return xlsx_bytes(pd.DataFrame({
        "项目名称": [r[0] for r in PROJECT_ROWS], "项目类型": [r[1] for r in PROJECT_ROWS],
        "投资(万元)": [r[2] for r in PROJECT_ROWS], "行政村代码": [codes[r[3]] for r in PROJECT_ROWS],
        "状态": ["候选"] * len(PROJECT_ROWS), "经度": lon, "纬度": lat,
    }))


def _roads_geojson() -> bytes:
    """Two village roads (no ids) with Chinese property names."""
    import json

    feats = [
        {"type": "Feature", "properties": {"道路名称": "沙洲路", "所属村代码": "440783116240", "道路等级": "村道",
                                           "硬化状态": "计划硬化", "进度": 0},
         "geometry": {"type": "LineString", "coordinates": [[112.502, 22.205], [112.518, 22.215]]}},
        {"type": "Feature", "properties": {"道路名称": "冲口路", "所属村代码": "440783116243", "道路等级": "村道",
                                           "硬化状态": "已硬化", "进度": 100},
         "geometry": {"type": "LineString", "coordinates": [[112.503, 22.225], [112.517, 22.235]]}},
    ]
    return json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False).encode("utf-8")


def _import(ws: Path, f: Path, layer: str, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = cli.main(["import", str(f), "--layer", layer, "--workspace", str(ws), *extra])
    out = capsys.readouterr()
    return code, out.out + out.err


def _write(folder: Path, name: str, data: bytes) -> Path:
    p = folder / name
    p.write_bytes(data)
    return p


def test_a_county_from_scratch_through_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = tmp_path / "开平" / "workspace.gpkg"
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-m", "bangfu", "new", "--county", KAIPING, "--workspace", str(ws)],
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "开平市" in r.stdout and ws.exists()

    # 1. villages: GBK shapefile without .cpg, codes for some, names with suffix variants for the others
    files = tmp_path / "files"
    files.mkdir()
    code, out = _import(ws, _write(files, "村界.zip", _village_shapefile(tmp_path)), "villages", capsys)
    assert code == 0, out
    for pos, (vcode, name) in enumerate(OFFICIAL.items()):
        assert f"第 {pos + 1} 行" in out and vcode in out  # every match listed
    villages = store.read_layer(ws, "villages")
    assert dict(zip(villages["village_code"], villages["village_name"])) == {
        c: n for c, (_, n, _) in zip(OFFICIAL, WRITTEN)}  # the office's own spelling kept, the official code found
    assert set(villages["town_code"]) == {CHISHUI} and set(villages["town_name"]) == {"赤水镇"}  # official
    assert set(villages["county_name"]) == {"开平市"} and set(villages["county_code"]) == {KAIPING}
    assert villages["is_old_district"].tolist() == [True, False, False, True, False, False]
    assert villages["is_key_village"].tolist() == [True, False, True, False, False, False]
    assert (villages["households"] == 0).all()  # no totals in the file: derived once households arrive

    # 2. households: Excel, Chinese headers, GCJ-02 points, no ids; totals derived from the points
    hh = _households()
    squares = gpd.GeoDataFrame({"village_code": list(OFFICIAL)}, geometry=_squares(), crs="EPSG:4326")
    joined = gpd.sjoin(hh, squares, predicate="within", how="left")  # the independent oracle
    assert joined["village_code"].notna().all()
    code, out = _import(ws, _write(files, "建档立卡户.xlsx", _household_sheet(hh, joined["village_code"].tolist())),
                        "households", capsys, "--crs", "gcj02")
    assert code == 0, out
    assert "没有编号" in out
    got = store.read_layer(ws, "households")
    assert len(got) == len(hh) and got["household_id"].is_unique
    assert got["household_id"].tolist() == [f"H{i + 1:05d}" for i in range(len(hh))]
    back = np.hypot(got.geometry.x.to_numpy() - hh.geometry.x.to_numpy(), got.geometry.y.to_numpy() - hh.geometry.y.to_numpy())
    assert back.max() < 1e-5  # GCJ-02 converted back to WGS-84 (within a metre)
    villages = store.read_layer(ws, "villages").set_index("village_code")
    g = joined.assign(poor_members=joined["members"].where(joined["is_poor"], 0)).groupby("village_code")
    assert villages["households"].to_dict() == g.size().to_dict()
    assert villages["population"].to_dict() == g["members"].sum().to_dict()
    assert villages["poor_households"].to_dict() == g["is_poor"].sum().to_dict()
    assert villages["poor_population"].to_dict() == g["poor_members"].sum().to_dict()

    # 3. roads and 4. projects (Chinese type names, no ids)
    code, out = _import(ws, _write(files, "道路.geojson", _roads_geojson()), "roads", capsys)
    assert code == 0, out
    roads = store.read_layer(ws, "roads")
    assert roads["road_id"].tolist() == ["R00001", "R00002"]
    assert roads["status"].tolist() == ["planned", "completed"]
    code, out = _import(ws, _write(files, "项目库.xlsx", _project_sheet()), "projects", capsys, "--crs", "gcj02")
    assert code == 0, out
    projects = store.read_layer(ws, "projects")
    assert projects["project_id"].tolist() == [f"P{i + 1:05d}" for i in range(len(PROJECT_ROWS))]
    assert projects["project_type"].tolist() == [project_types.project_type(r[1]).key for r in PROJECT_ROWS]
    assert projects["project_type"].tolist() == ["road_hardening", "drinking_water", "bridge", "clinic", "school",
                                                 "broadband", "road_hardening"]
    assert not validate_workspace(store.read_workspace(ws)).errors

    # 5. planning counts against brute force: households within each type's service distance (metres, UTM 49N)
    xlsx = tmp_path / "rank.xlsx"
    assert cli.main(["rank", "--workspace", str(ws), "--budget", "300", "--out", str(xlsx)]) == 0
    capsys.readouterr()
    ranking = pd.read_excel(xlsx, sheet_name="单项目排名")
    hh_m = hh.to_crs("EPSG:32649")
    pts_m = gpd.GeoSeries(shapely.points(_project_points()), crs="EPSG:4326").to_crs("EPSG:32649")
    dist = default_distances()
    by_id = ranking.set_index("项目编号")
    for i, (pid, ptype) in enumerate(zip(projects["project_id"], projects["project_type"])):
        d = hh_m.distance(pts_m.iloc[i]).to_numpy()
        assert not (np.abs(d - dist[ptype]) < 1.0).any()  # no household on the edge: the oracle is unambiguous
        inside = d <= dist[ptype]
        assert by_id.loc[pid, "受益农户(户)"] == inside.sum(), pid
        assert by_id.loc[pid, "受益贫困户(户)"] == (inside & hh["is_poor"].to_numpy()).sum(), pid
