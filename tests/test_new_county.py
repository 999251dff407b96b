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
    for pos, vcode in enumerate(OFFICIAL):
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

    # 3. roads, tourism sites, enterprises and pairings (no ids; Chinese values)
    code, out = _import(ws, _write(files, "道路.geojson", _roads_geojson()), "roads", capsys)
    assert code == 0, out
    roads = store.read_layer(ws, "roads")
    assert roads["road_id"].tolist() == ["R00001", "R00002"]
    assert roads["status"].tolist() == ["planned", "completed"]
    site_lon, site_lat = wgs84_to_gcj02(np.array([112.51, 112.55]), np.array([22.21, 22.23]))
    sites = pd.DataFrame({"名称": ["沙洲碉楼", "和安农庄"], "类型": ["碉楼村落", "民宿农家乐"],
                          "所在村代码": ["440783116240", "440783116244"], "经度": site_lon, "纬度": site_lat})
    code, out = _import(ws, _write(files, "旅游点.xlsx", xlsx_bytes(sites)), "tourism_sites", capsys, "--crs", "gcj02")
    assert code == 0, out
    assert store.read_layer(ws, "tourism_sites")["site_id"].tolist() == ["S00001", "S00002"]
    firms = pd.DataFrame({"企业名称": ["开平甲公司", "开平乙公司"], "行业": ["农业", "制造"], "是否龙头企业": ["是", "否"],
                          "经度": site_lon, "纬度": site_lat})
    code, out = _import(ws, _write(files, "企业.xlsx", xlsx_bytes(firms)), "enterprises", capsys, "--crs", "gcj02")
    assert code == 0, out
    assert store.read_layer(ws, "enterprises")["is_leading"].tolist() == [True, False]
    pairs = pd.DataFrame({"企业编号": ["E00001", "E00002", "E00009"], "村代码": ["440783116240", "440783116243",
                                                                          "440783116244"],
                          "帮扶方式": ["产业帮扶", "就业", "公益"], "开始日期": ["2025-01-01"] * 3, "帮扶资金": [10, 5, 1]})
    code, out = _import(ws, _write(files, "结对.xlsx", xlsx_bytes(pairs)), "pairings", capsys)
    assert code == cli.EXIT_REFUSED and "E00009" in out  # checked against the enterprises imported before
    code, out = _import(ws, _write(files, "结对.xlsx", xlsx_bytes(pairs.iloc[:2])), "pairings", capsys)
    assert code == 0, out
    assert store.read_layer(ws, "pairings")["pairing_type"].tolist() == ["产业", "就业"]

    # 4. projects (Chinese type names, no ids)
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


def test_unmatched_villages_are_listed_and_nothing_is_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = create.new_workspace(tmp_path / "ws.gpkg", KAIPING, user=ADMIN)
    written = [("440783116240", "沙洲村", "赤水镇"), ("440783116999", "无此村", "赤水镇"), ("", "羊路村民委员会", "赤水"),
               ("", "不存在村", "赤水镇"), ("", "沙洲村", "长沙街道"), ("", "瓦片坑", "赤水镇")]
    before = store.read_meta(ws)["version"]
    code, out = _import(ws, _write(tmp_path, "村界.zip", _village_shapefile(tmp_path, written)), "villages", capsys)
    assert code == cli.EXIT_REFUSED, out
    lines = out.splitlines()
    row = {n: next(line for line in lines if f"第 {n} 行" in line and "\t" in line) for n in range(1, 7)}
    assert "匹配（代码）→ 440783116240" in row[1]
    assert "未匹配" in row[2] and "440783116999" in row[2]
    assert "匹配（镇名+村名）→ 440783116241" in row[3]
    assert "未匹配" in row[4] and "不存在村" in row[4]
    assert "未匹配" in row[5] and "长沙街道·沙洲村" in row[5]  # the name exists, but not in that town
    assert "匹配（镇名+村名）→ 440783116242" in row[6]
    errors = [line for line in lines if line.strip().startswith("错误：")]
    assert len(errors) == 3
    assert any("官方村名录" in e and "440783116999" in e for e in errors)
    assert store.read_meta(ws)["version"] == before and store.read_layer(ws, "villages").empty


def test_a_household_in_no_village_and_a_village_of_unknown_county(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    ws = tmp_path / "平南.gpkg"
    assert cli.main(["new", "--county", PINGNAN, "--name", "平南县", "--workspace", str(ws)]) == 0
    assert "官方区划代码表不含这个县" in capsys.readouterr().out
    # no official list: codes are the office's own (format and county checked), towns from the codes
    written = [(f"450821100{200 + j}", f"测试{j}村", "大安镇") for j in range(6)]
    code, out = _import(ws, _write(tmp_path, "村界.zip", _village_shapefile(tmp_path, written)), "villages", capsys)
    assert code == 0, out
    villages = store.read_layer(ws, "villages")
    assert villages["village_code"].tolist() == [c for c, _, _ in written]
    assert set(villages["town_code"]) == {"450821100"} and set(villages["county_name"]) == {"平南县"}
    # a household outside every village is listed (a warning: the point may be right and the boundary old), and
    # one naming a village that does not exist is refused
    hh = _households(n=5)
    codes = ["450821100200"] * 4 + ["450821100299"]
    lon, lat = hh.geometry.x.to_numpy().copy(), hh.geometry.y.to_numpy().copy()
    lon[2] = ORIGIN[0] - 0.05  # west of the county's villages
    lon_g, lat_g = wgs84_to_gcj02(lon, lat)
    sheet = pd.DataFrame({"行政代码": codes, "人口": hh["members"].tolist(), "是否贫困户": "否", "重点帮扶户": "否",
                          "有劳动能力": "有", "经度": lon_g, "纬度": lat_g})
    code, out = _import(ws, _write(tmp_path, "户.xlsx", xlsx_bytes(sheet)), "households", capsys, "--crs", "gcj02")
    assert code == cli.EXIT_REFUSED, out
    lines = out.splitlines()
    assert any("警告" in line and "第3行" in line and "不在任何村" in line for line in lines), out
    errors = [line for line in lines if line.strip().startswith("错误：")]
    assert errors and all("第5行" in e and "450821100299" in e for e in errors), errors
    assert store.read_layer(ws, "households").empty
    # without the bad row the points are imported; the one outside stays a listed warning
    code, out = _import(ws, _write(tmp_path, "户2.xlsx", xlsx_bytes(sheet.iloc[:4])), "households", capsys,
                        "--crs", "gcj02")
    assert code == 0, out
    assert len(store.read_layer(ws, "households")) == 4


def test_a_code_of_another_county_is_refused_without_an_official_list(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    ws = create.new_workspace(tmp_path / "ws.gpkg", PINGNAN, "平南县", user=ADMIN)
    written = [("440783116240", "沙洲村", "赤水镇")] + [(f"450821100{200 + j}", f"测试{j}村", "大安镇") for j in range(5)]
    code, out = _import(ws, _write(tmp_path, "村界.zip", _village_shapefile(tmp_path, written)), "villages", capsys)
    assert code == cli.EXIT_REFUSED, out
    assert any("不属于本县" in line and "440783116240" in line for line in out.splitlines())


@pytest.mark.parametrize("args, message", [
    (["--county", "4407"], "6 位数字"),
    (["--county", "450821"], "--name"),
])
def test_cli_new_refuses_bad_county(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                                    message: str) -> None:
    target = tmp_path / "x" / "workspace.gpkg"
    assert cli.main(["new", *args, "--workspace", str(target)]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith("错误：") and message in err and "提示：" in err
    assert not target.exists()


def test_cli_new_refuses_an_existing_workspace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["new", "--county", KAIPING, "--workspace", str(tmp_path)]) == 0  # a folder: workspace.gpkg in it
    first = (tmp_path / store.WORKSPACE_FILE).read_bytes()
    capsys.readouterr()
    assert cli.main(["new", "--county", XINMIN, "--workspace", str(tmp_path)]) == cli.EXIT_ERROR
    assert "已存在" in capsys.readouterr().err
    assert (tmp_path / store.WORKSPACE_FILE).read_bytes() == first


# =========================================================================== the rules, one by one

from bangfu.export import layers as layer_export  # noqa: E402
from bangfu.ingest import columns as cm, matching  # noqa: E402
from bangfu.ingest import pipeline  # noqa: E402
from bangfu.core import vocab  # noqa: E402


@pytest.mark.parametrize("written, official", [
    ("沙洲村", "沙洲村委会"), ("沙洲村民委员会", "沙洲村委会"), ("沙洲", "沙洲村委会"), (" 沙洲 村委会", "沙洲村"),
    ("赤水墟社区", "赤水墟社区居委会"), ("赤水墟居委会", "赤水墟社区居委会"), ("赤水墟社区居民委员会", "赤水墟"),
])
def test_village_suffix_variants_are_the_same_village(written: str, official: str) -> None:
    assert matching.core_village(written) == matching.core_village(official)


@pytest.mark.parametrize("a, b", [("沙洲村", "沙洲墟社区居委会"), ("东山村委会", "东山墟社区居委会"), ("村", "社区")])
def test_different_villages_stay_different(a: str, b: str) -> None:
    assert matching.core_village(a) != matching.core_village(b)


@pytest.mark.parametrize("a, b", [("赤水", "赤水镇"), ("三埠街道办事处", "三埠街道"), ("三埠", "三埠街道办"), ("大沙乡", "大沙")])
def test_town_suffix_variants(a: str, b: str) -> None:
    assert matching.core_town(a) == matching.core_town(b)


def test_every_official_kaiping_village_matches_itself_by_written_variants() -> None:
    """Against the whole official list: each village found by town + name with its suffix swapped, unless its core
    name is shared within its town (then the import says so)."""
    ref = create.official_villages(KAIPING)
    index = matching.NameIndex(ref)
    cores = ref.assign(core=ref["village_name"].map(matching.core_village),
                       tcore=ref["town_name"].map(matching.core_town))
    shared = cores.duplicated(["tcore", "core"], keep=False)
    for pos, row in cores.iterrows():
        found = index.find(row["core"] + "村", row["tcore"])
        assert (found == [pos]) if not shared[pos] else len(found) > 1


@pytest.mark.parametrize("columns, layer, expected", [
    (["行政代码", "村名", "所属镇"], "villages", {"行政代码": "village_code", "所属镇": "town_name"}),
    (["区划代码(12位)", "乡镇(街道)", "村委会"], "villages", {"区划代码(12位)": "village_code", "乡镇(街道)": "town_name"}),
    (["村级代码", "镇街"], "villages", {"村级代码": "village_code", "镇街": "town_name"}),
    (["村编码"], "villages", {"村编码": "village_code"}),
    (["代码"], "villages", {"代码": "village_code"}),
    (["统计用区划代码", "所属乡镇"], "villages", {"统计用区划代码": "village_code", "所属乡镇": "town_name"}),
    (["户主", "人口", "是否贫困户", "建档立卡户", "经度", "纬度"], "households",
     {"人口": "members", "是否贫困户": "is_poor", "经度": "lon", "纬度": "lat"}),
    (["X", "Y", "行政村代码"], "households", {"X": "lon", "Y": "lat", "行政村代码": "village_code"}),
    (["项目名称", "项目类型", "投资(万元)"], "projects", {"项目名称": "name", "项目类型": "project_type", "投资(万元)": "cost_wan"}),
    (["总投资"], "projects", {"总投资": "cost_wan"}),
])
def test_office_column_names_are_recognised(columns: list[str], layer: str, expected: dict[str, str]) -> None:
    got = cm.auto_mapping(columns, layer)
    assert {c: got.get(c) for c in expected} == expected
    assert "户主" not in got  # the head's name is never imported


@pytest.mark.parametrize("text, value", [
    ("是", True), ("否", False), ("有", True), ("无", False), ("√", True), ("×", False), ("1", True), ("0", False),
    ("Y", True), ("N", False), ("true", True), ("false", False),
])
def test_chinese_yes_no_values(text: str, value: bool) -> None:
    assert vocab.YES_NO.parse(text) == ("true" if value else "false")
    frame = store.coerce("households", pd.DataFrame({"is_poor": [text]}))
    assert bool(frame["is_poor"].iloc[0]) is value


@pytest.mark.parametrize("text, code", [
    ("道路硬化", "road_hardening"), ("硬底化", "road_hardening"), ("饮水安全", "drinking_water"),
    ("饮水工程", "drinking_water"), ("桥梁", "bridge"), ("农田水利", "irrigation"), ("卫生室", "clinic"),
    ("学校", "school"), ("宽带", "broadband"),
])
def test_chinese_project_type_names(text: str, code: str) -> None:
    assert vocab.PROJECT_TYPE.parse(text) == code
    assert project_types.project_type(text).key == code


def test_generated_ids_are_deterministic_and_never_clash() -> None:
    rows = pd.DataFrame({"project_id": [None, "P00002", "", None]})
    report = pipeline.Report()
    out = matching.generate_ids("projects", "project_id", rows, set(), report)
    assert out["project_id"].tolist() == ["P00001", "P00002", "P00003", "P00004"]
    rows2 = pd.DataFrame({"project_id": [None, "P00001"]})
    out2 = matching.generate_ids("projects", "project_id", rows2, set(), pipeline.Report())
    assert out2["project_id"].tolist() == ["P00001-1", "P00001"]
    assert len(report.warnings) == 1 and "3 行没有编号" in report.warnings[0].reason_zh
    again = matching.generate_ids("projects", "project_id", rows, set(), pipeline.Report())
    assert again["project_id"].tolist() == out["project_id"].tolist()


def test_totals_in_both_files_that_disagree_are_listed() -> None:
    villages = pd.DataFrame({"village_code": ["440783116240", "440783116241"], "village_name": ["沙洲村", "羊路村"],
                             "households": [3, 2], "population": [9, 5], "poor_households": [1, 0],
                             "poor_population": [3, 0]})
    hh = pd.DataFrame({"village_code": ["440783116240"] * 3 + ["440783116241"] * 3, "members": [3, 3, 3, 2, 2, 1],
                       "is_poor": [True, False, False, False, False, False]})
    report = pipeline.Report()
    assert matching.apply_household_totals(villages, hh, report) is None  # totals given: kept, only checked
    assert [p.row for p in report.warnings] == [2]  # 羊路: 2 households in the file, 3 points
    assert "440783116241" in report.warnings[0].value


def test_the_reference_list_is_not_a_user_layer(tmp_path: Path) -> None:
    ws = create.new_workspace(tmp_path / "ws.gpkg", KAIPING, user=ADMIN)
    assert "reference_villages" not in LAYERS
    assert "reference_villages" not in layer_export.exportable_layers(ws, ADMIN)
    with pytest.raises(KeyError):
        pipeline.prepare_import(ws, "x.csv", b"a\n1\n", layer="reference_villages")


def test_villages_town_by_town_with_update_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = create.new_workspace(tmp_path / "ws.gpkg", KAIPING, user=ADMIN)
    first = _write(tmp_path, "a.zip", _village_shapefile(tmp_path / "a", WRITTEN[:3]))
    code, out = _import(ws, first, "villages", capsys)
    assert code == 0, out
    official_rest = len(create.official_villages(KAIPING)) - 3
    assert f"另有 {official_rest} 个村" in out
    gdf = gpd.read_file(f"zip://{first}", encoding="gbk")
    second = gdf.assign(行政代码=["", "", "440783116245"], 村名=["冲口", "和安村委会", "湴溪村"],
                        geometry=_squares()[3:6])
    code, out = _import(ws, _write(tmp_path, "b.zip", shapefile_zip(second, tmp_path / "b", encoding="GBK",
                                                                     keep_cpg=False)), "villages", capsys,
                        "--mode", "update")
    assert code == 0, out
    villages = store.read_layer(ws, "villages")
    assert villages["village_code"].tolist() == list(OFFICIAL)


def test_an_empty_workspace_opens_reads_and_summarises(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bangfu.workspace import areas, personal

    ws = create.new_workspace(tmp_path / "ws.gpkg", PINGNAN, "平南县", user=ADMIN)
    load = personal.loader(ws, ADMIN)
    assert all(load(n).empty for n in ("villages", "households", "roads", "projects"))
    assert areas.area_for(load("villages"), None).level == "county"
    assert cli.main(["summary", "--workspace", str(ws)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("平南县（") and "行政村（社区）\t0" in out
    assert cli.main(["rank", "--workspace", str(ws), "--budget", "10", "--out", str(tmp_path / "r.xlsx")]) == 2
    assert "没有候选项目" in capsys.readouterr().err


def test_households_joined_by_village_name_tolerate_suffix_variants(tmp_path: Path) -> None:
    from tests.factories import village_grid, workspace

    villages = village_grid(per_town=3, name="测试{j}村")
    ws = workspace(tmp_path / "ws", villages=villages)
    centres = villages.geometry.representative_point()
    sheet = pd.DataFrame({
        "村名": ["测试0村委会", "测试1", "测试2村民委员会", "测试9村"], "镇街": ["赤水", "赤水镇", "赤水镇", "赤水镇"],
        "家庭人口": [3, 2, 4, 1], "是否贫困户": ["否"] * 4, "重点帮扶户": ["否"] * 4, "有劳动能力": ["有"] * 4,
        "经度": [*centres.x, centres.x.iloc[0]], "纬度": [*centres.y, centres.y.iloc[0]],
    }).to_csv(index=False).encode("utf-8")
    plan = pipeline.prepare_import(ws, "户.csv", sheet, layer="households", crs="wgs84")
    assert plan.rows["village_code"].tolist()[:3] == villages["village_code"].tolist()
    errors = [p for p in plan.report.errors if p.row == 4]
    assert errors and "赤水镇·测试9村" in errors[0].value


def test_new_workspace_never_replaces_a_file_created_meanwhile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "ws.gpkg"
    real = store.write_gpkg

    def racing(path, layers, *, meta=None):  # another process creates the workspace while ours is being written
        target.write_bytes(b"theirs")
        real(path, layers, meta=meta)

    monkeypatch.setattr(store, "write_gpkg", racing)
    with pytest.raises(create.WorkspaceExists):
        create.new_workspace(target, KAIPING, user=ADMIN)
    assert target.read_bytes() == b"theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws.gpkg"]  # no temporary file left behind
    monkeypatch.undo()
    create.new_workspace(tmp_path / "b" / "ws.gpkg", KAIPING, user=ADMIN)
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["office.sqlite", "ws.gpkg"]


def test_the_match_list_for_display(tmp_path: Path) -> None:
    ref = create.official_villages(KAIPING)
    rows = pd.DataFrame({"village_code": ["440783116240", None, None], "village_name": ["沙洲村", "羊路", "无此村"],
                         "town_name": ["赤水镇", "赤水", None]})
    _, matches = matching.match_to_reference(rows, ref, pipeline.Report(), file="f.shp")
    zh, en = matching.matches_table(matches, "zh"), matching.matches_table(matches, "en")
    assert list(zh.columns) == ["文件", "行号", "列", "值", "结果", "官方村代码", "镇街", "官方村名"]
    assert zh["结果"].tolist() == ["匹配（代码）", "匹配（镇名+村名）", "未匹配"]
    assert en["Result"].tolist() == ["matched (code)", "matched (town and village name)", "not matched"]
    assert zh["官方村代码"].tolist() == ["440783116240", "440783116241", ""]


def test_a_boundary_file_without_flags_keeps_known_flags_else_no(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = create.new_workspace(tmp_path / "ws.gpkg", KAIPING, user=ADMIN)
    with_flags = _write(tmp_path, "a.zip", _village_shapefile(tmp_path / "a", WRITTEN[:3]))
    assert _import(ws, with_flags, "villages", capsys)[0] == 0
    gdf = gpd.read_file(f"zip://{with_flags}", encoding="gbk").drop(columns=["老区村", "重点帮扶村"])
    plain = pd.concat([gdf, gpd.GeoDataFrame({"行政代码": ["440783116243"], "村名": ["冲口村"], "所属镇": ["赤水镇"]},
                                             geometry=_squares()[3:4], crs="EPSG:4326")], ignore_index=True)
    code, out = _import(ws, _write(tmp_path, "b.zip", shapefile_zip(gpd.GeoDataFrame(plain, crs="EPSG:4326"),
                                                                     tmp_path / "b", encoding="GBK", keep_cpg=False)),
                        "villages", capsys)
    assert code == 0, out
    assert "没有“老区村”列" in out and "没有“重点帮扶村”列" in out
    villages = store.read_layer(ws, "villages")
    assert villages["village_code"].tolist() == list(OFFICIAL)[:4]
    assert villages["is_old_district"].tolist() == [True, False, False, False]  # the first three kept, 冲口 否
    assert villages["is_key_village"].tolist() == [True, False, True, False]


def test_a_table_updating_some_village_columns_never_touches_totals_or_flags(tmp_path: Path) -> None:
    from tests.factories import village_grid, workspace

    villages = village_grid(per_town=3)
    ws = workspace(tmp_path / "ws", villages=villages)
    table = pd.DataFrame({"统计用区划代码": villages["village_code"].iloc[:1], "重点帮扶村": ["否"]})
    plan = pipeline.prepare_import(ws, "t.csv", table.to_csv(index=False).encode("utf-8"), layer="villages")
    assert plan.ok and plan.mode == "update" and not plan.report.warnings
    new = plan.new_layer.set_index("village_code")
    old = villages.set_index("village_code")
    for c in (*matching.TOTALS, "is_old_district"):
        assert new[c].tolist() == old[c].tolist()
    assert new["is_key_village"].tolist() == [False, False, False]
