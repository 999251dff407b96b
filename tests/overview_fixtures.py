"""Small hand-built layers for the overview tests: a grid of villages in two towns with every overlay."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

TOWNS = {"440783116": "赤水镇", "440783117": "金鸡镇"}
# UTM 49N box corners of 1 km squares near Kaiping; built in metres so areas are known exactly.
UTM = "EPSG:32649"
X0, Y0 = 650_000.0, 2_470_000.0


def villages(n_per_town: int = 3, *, side_m: float = 1000.0) -> gpd.GeoDataFrame:
    """``2 × n_per_town`` adjacent squares of ``side_m`` metres (area exactly side²)."""
    rows, geoms = [], []
    for t_i, (town, tname) in enumerate(TOWNS.items()):
        for i in range(n_per_town):
            j = t_i * n_per_town + i
            rows.append({
                "village_code": f"{town}{200 + i:03d}",
                "village_name": f"{tname[:2]}{i}村",
                "town_code": town,
                "town_name": tname,
                "county_code": town[:6],
                "county_name": "开平市",
                "households": 100 * (j + 1),
                "population": 300 * (j + 1),
                "poor_households": 10 * (j + 1),
                "poor_population": 25 * (j + 1),
                "is_old_district": i == 0,
                "is_key_village": i == 1,
                "collective_income_wan": 5.0,
            })
            geoms.append(shapely.box(X0 + j * side_m, Y0, X0 + (j + 1) * side_m, Y0 + side_m))
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=UTM).to_crs("EPSG:4326")


def roads(v: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Per village: a 600 m completed road and a 400 m unhardened one (so 60 % hardened)."""
    m = v.to_crs(UTM)
    rows, geoms = [], []
    for k, (code, g) in enumerate(zip(m["village_code"], m.geometry)):
        x0, y0 = g.bounds[0] + 100, g.bounds[1] + 100
        for status, length in (("completed", 600.0), ("unhardened", 400.0)):
            rows.append({"road_id": f"R{k}{status[0]}", "name": f"路{k}{status[0]}", "village_code": code,
                         "road_class": "村道", "surface": "水泥", "status": status, "progress_pct": 100.0, "version": 1})
            geoms.append(shapely.LineString([(x0, y0), (x0 + length, y0)]))
            y0 += 200
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=UTM).to_crs("EPSG:4326")


def sites(v: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    c = v.geometry.representative_point()
    return gpd.GeoDataFrame({
        "site_id": ["S1", "S2"], "name": ["自力村碉楼群", "<b>农家乐</b>"], "site_type": ["碉楼村落", "民宿农家乐"],
        "a_level": pd.array([5, None], dtype="Int64"), "village_code": [v["village_code"].iloc[0], v["village_code"].iloc[3]],
        "annual_visitors": pd.array([1000, 50], dtype="Int64"), "poor_households_employed": pd.array([3, 1], dtype="Int64"),
    }, geometry=[c.iloc[0], c.iloc[3]], crs="EPSG:4326")


def enterprises(v: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    c = v.geometry.representative_point()
    return gpd.GeoDataFrame({
        "enterprise_id": ["E1", "E2"], "name": ["开平农业公司", "金鸡食品厂"], "industry": ["农业", "食品"],
        "is_leading": [True, False], "employees": pd.array([50, 20], dtype="Int64"),
    }, geometry=[c.iloc[1], c.iloc[4]], crs="EPSG:4326")


def pairings(v: gpd.GeoDataFrame) -> pd.DataFrame:
    """E1 pairs village 0 (active) and village 3 (ended); E2 pairs village 4 (active, open-ended)."""
    codes = list(v["village_code"])
    return pd.DataFrame({
        "pairing_id": ["P1", "P2", "P3", "P4"],
        "enterprise_id": ["E1", "E1", "E2", "E2"],
        "village_code": [codes[0], codes[3], codes[4], codes[1]],
        "pairing_type": ["产业", "就业", "公益", "产业"],
        "start_date": ["2019-01-01", "2018-01-01", "2020-06-01", "2021-06-01"],
        "end_date": ["2022-12-31", "2019-12-31", None, None],
        "committed_wan": [10.0, 5.0, 2.0, 1.0],
        "poor_households_employed": pd.array([2, 1, 0, 0], dtype="Int64"),
        "version": [1, 1, 1, 1],
    })


def projects(v: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One candidate inside village 0, one line crossing villages 0–1 registered to village 1, one completed."""
    m = v.to_crs(UTM)
    b0 = m.geometry.iloc[0].bounds
    geoms = [
        shapely.Point(b0[0] + 500, b0[1] + 500),
        shapely.LineString([(b0[0] + 800, b0[1] + 500), (b0[0] + 1300, b0[1] + 500)]),
        shapely.Point(b0[0] + 200, b0[1] + 200),
    ]
    return gpd.GeoDataFrame({
        "project_id": ["J1", "J2", "J3"], "name": ["饮水工程", "村道硬化", "已建桥"],
        "project_type": ["drinking_water", "road_hardening", "bridge"], "cost_wan": [30.0, 80.0, 50.0],
        "village_code": [v["village_code"].iloc[0], v["village_code"].iloc[1], v["village_code"].iloc[0]],
        "status": ["candidate", "candidate", "completed"],
    }, geometry=geoms, crs=UTM).to_crs("EPSG:4326")


def layers(n_per_town: int = 3) -> dict[str, pd.DataFrame]:
    v = villages(n_per_town)
    return {"villages": v, "roads": roads(v), "tourism_sites": sites(v), "enterprises": enterprises(v),
            "pairings": pairings(v), "projects": projects(v)}


def county_like(seed: int = 7) -> dict[str, pd.DataFrame]:
    """A Kaiping-sized stand-in (real boundary, names and codes; Voronoi villages; synthetic figures).

    For browser tests and the benchmark when the shipped demo is not available.
    """
    import numpy as np

    from bangfu.demo.layout import TOWNS
    from bangfu.demo.sources import load_county_boundary, load_village_table, short_name

    rng = np.random.default_rng(seed)
    county = gpd.GeoSeries([load_county_boundary()], crs="EPSG:4326").to_crs(UTM).iloc[0]
    table = load_village_table()
    codes = list(TOWNS)
    centres = gpd.GeoSeries(gpd.points_from_xy([TOWNS[c].centre[0] for c in codes],
                                               [TOWNS[c].centre[1] for c in codes]), crs="EPSG:4326").to_crs(UTM)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(list(centres)), extend_to=county.buffer(5000))
    town_poly = {}
    for c, p in zip(codes, centres):
        cell = next(g for g in cells.geoms if g.contains(p))
        town_poly[c] = cell.intersection(county)
    pts: list[shapely.Point] = []
    order = []
    for c in codes:
        sub = table[table["town_code"] == c]
        poly = town_poly[c]
        minx, miny, maxx, maxy = poly.bounds
        k = 0
        while k < len(sub):
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if poly.contains(shapely.Point(x, y)):
                pts.append(shapely.Point(x, y))
                k += 1
        order.extend(sub.index)
    vor = shapely.voronoi_polygons(shapely.MultiPoint(pts), extend_to=county.buffer(5000))
    cells_by_pt = {}
    for cell in vor.geoms:
        hit = [i for i, p in enumerate(pts) if cell.contains(p)]
        cells_by_pt[hit[0]] = cell
    geoms = []
    for i in range(len(pts)):
        part = shapely.set_precision(cells_by_pt[i].intersection(county), 1.0)
        if part.geom_type == "GeometryCollection":
            part = shapely.MultiPolygon([g for g in part.geoms if g.geom_type == "Polygon"])
        if part.geom_type == "MultiPolygon":  # keep the piece holding the seed
            part = max(part.geoms, key=lambda g: g.area)
        geoms.append(part)
    v = table.loc[order].reset_index(drop=True)
    v["village_name"] = v["village_name"].map(short_name)
    n = len(v)
    west = np.array([g.centroid.x for g in geoms])
    west = (west.max() - west) / (west.max() - west.min())
    v["households"] = rng.integers(150, 900, n)
    v["population"] = (v["households"] * rng.uniform(2.8, 3.6, n)).astype(int)
    share = np.clip(rng.gamma(2.0, 0.01 + 0.03 * west), 0, 0.3)
    v["poor_households"] = np.minimum((v["households"] * share).astype(int), v["households"])
    v["poor_population"] = np.minimum((v["poor_households"] * rng.uniform(2.0, 3.0, n)).astype(int), v["population"])
    v["poor_population"] = np.maximum(v["poor_population"], v["poor_households"])
    v["is_old_district"] = rng.random(n) < 0.12 + 0.2 * west
    v["is_key_village"] = rng.random(n) < 0.08 + 0.15 * west
    v["collective_income_wan"] = rng.uniform(2, 50, n).round(1)
    vg = gpd.GeoDataFrame(v, geometry=geoms, crs=UTM)

    statuses = np.array(["completed", "under_construction", "planned", "unhardened"])
    r_rows, r_geoms = [], []
    for i, g in enumerate(vg.geometry):
        c = g.representative_point()
        for j in range(2):
            ang = rng.uniform(0, 2 * np.pi)
            end = shapely.Point(c.x + 900 * np.cos(ang), c.y + 900 * np.sin(ang))
            line = shapely.LineString([c, end]).intersection(g)
            if line.is_empty or line.geom_type != "LineString":
                continue
            r_rows.append({"road_id": f"R{i:03d}{j}", "name": f"{vg.loc[i, 'village_name']}{j + 1}号路",
                           "village_code": vg.loc[i, "village_code"], "road_class": "村道", "surface": "水泥",
                           "status": str(rng.choice(statuses, p=[0.7, 0.1, 0.1, 0.1])), "progress_pct": 100.0,
                           "version": 1})
            r_geoms.append(line)
    roads_ = gpd.GeoDataFrame(r_rows, geometry=r_geoms, crs=UTM)
    pick = rng.choice(n, 20, replace=False)
    types = ["碉楼村落", "古镇古村", "生态农业", "红色旅游", "自然风光", "民宿农家乐"]
    sites_ = gpd.GeoDataFrame({
        "site_id": [f"S{i:02d}" for i in range(20)], "name": [f"{vg.loc[k, 'village_name']}景点" for k in pick],
        "site_type": [types[i % len(types)] for i in range(20)], "a_level": pd.array([3] * 20, dtype="Int64"),
        "village_code": vg.loc[pick, "village_code"].values,
    }, geometry=[vg.geometry.iloc[k].representative_point() for k in pick], crs=UTM)
    epick = rng.choice(n, 25, replace=False)
    ent_ = gpd.GeoDataFrame({
        "enterprise_id": [f"E{i:02d}" for i in range(25)], "name": [f"开平{i}号企业" for i in range(25)],
        "industry": ["农业"] * 25, "is_leading": [i < 5 for i in range(25)],
    }, geometry=[vg.geometry.iloc[k].representative_point() for k in epick], crs=UTM)
    needy = np.flatnonzero(vg["is_old_district"] | vg["is_key_village"])
    pv = rng.choice(needy, int(len(needy) * 0.8), replace=False)
    pair_ = pd.DataFrame({
        "pairing_id": [f"P{i:03d}" for i in range(len(pv))], "enterprise_id": [f"E{rng.integers(25):02d}" for _ in pv],
        "village_code": vg.loc[pv, "village_code"].values, "pairing_type": "产业", "start_date": "2019-01-01",
        "end_date": None, "committed_wan": 10.0, "version": 1,
    })
    proj_ = gpd.GeoDataFrame({
        "project_id": [f"J{i:02d}" for i in range(10)], "name": [f"候选项目{i}" for i in range(10)],
        "project_type": "drinking_water", "cost_wan": 50.0, "village_code": vg.loc[pick[:10], "village_code"].values,
        "status": "candidate",
    }, geometry=[vg.geometry.iloc[k].representative_point() for k in pick[:10]], crs=UTM)
    return {"villages": vg.to_crs("EPSG:4326"), "roads": roads_.to_crs("EPSG:4326"),
            "tourism_sites": sites_.to_crs("EPSG:4326"), "enterprises": ent_.to_crs("EPSG:4326"),
            "pairings": pair_, "projects": proj_.to_crs("EPSG:4326")}
