"""The tourism sites layer: Kaiping's real diaolou sites at approximate positions plus synthetic example sites."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from bangfu.core import vocab
from bangfu.demo.codes import code, draw_code
from bangfu.demo.facts import DIAOLOU_SITES
from bangfu.demo.layout import TOWNS, is_seat_type
from bangfu.demo.spatial import lonlat_to_metric, point_inside, sample_inside, to_wgs84

__all__ = ["EXAMPLE_SITE_TYPES", "tourism_sites_layer"]

DIAOLOU_VILLAGE, HISTORIC_TOWN = code(vocab.SITE_TYPE, "碉楼村落"), code(vocab.SITE_TYPE, "古镇古村")
#: Site type → share of the synthetic example sites (drawn in this order).
EXAMPLE_SITE_TYPES = {
    "碉楼村落": 0.1, "古镇古村": 0.15, "生态农业": 0.3, "红色旅游": 0.1, "自然风光": 0.2, "民宿农家乐": 0.15,
}
#: The diaolou belt (塘口镇, 赤坎镇, 百合镇): more example sites than in other plain towns.
_DIAOLOU_BELT = ("440783108", "440783109", "440783110")


def tourism_sites_layer(
    table: pd.DataFrame, polys_m: np.ndarray, poor_hh: np.ndarray, rng: np.random.Generator
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """The real diaolou sites (approximate positions, synthetic figures) plus synthetic example sites."""
    rows, pts = [], []
    tree = shapely.STRtree(polys_m)
    towns = table["town_code"].to_numpy()
    for name, town, (lon, lat), level, visitors in DIAOLOU_SITES:
        x, y = lonlat_to_metric(lon, lat)
        hit = [int(i) for i in tree.query(shapely.Point(x, y), predicate="within") if towns[i] == town]
        if hit:
            v = hit[0]
        else:  # nearest village of the right town
            cand = np.flatnonzero(towns == town)
            v = int(cand[int(np.argmin(shapely.distance(polys_m[cand], shapely.Point(x, y))))])
        x, y = point_inside(polys_m[v], x, y, 60.0)
        rows.append(
            {
                "name": name,
                "site_type": HISTORIC_TOWN if name.endswith("古镇") else DIAOLOU_VILLAGE,
                "a_level": level,
                "village_code": table.loc[v, "village_code"],
                "annual_visitors": int(visitors * rng.uniform(0.85, 1.15) // 100 * 100),
                "poor_households_employed": int(rng.integers(min(12, int(poor_hh[v])), max(min(40, int(poor_hh[v])), 12) + 1)),
                "approximate_location": True,
                "synthetic": False,
            }
        )
        pts.append((x, y))
    # synthetic example sites: more in the hilly west and the diaolou belt
    weight = np.array([3.0 if TOWNS[t].hilly else (2.0 if t in _DIAOLOU_BELT else 1.0) for t in towns])
    weight *= np.array([0.2 if is_seat_type(n) else 1.0 for n in table["village_name"]])
    chosen = rng.choice(len(table), 20, replace=False, p=weight / weight.sum())
    for k, v in enumerate(sorted(int(c) for c in chosen)):
        core = shapely.buffer(polys_m[v], -100.0)
        xy = sample_inside(core if not core.is_empty else polys_m[v], 1, rng)[0]
        st = draw_code(rng, vocab.SITE_TYPE, EXAMPLE_SITE_TYPES)
        rows.append(
            {
                "name": f"示例景点{k + 1:02d}",
                "site_type": st,
                "a_level": int(rng.choice([0, 0, 1, 2, 2, 3, 3, 4])),
                "village_code": table.loc[v, "village_code"],
                "annual_visitors": int(rng.integers(30, 1500) * 100),
                "poor_households_employed": int(rng.integers(0, min(int(poor_hh[v]), 15) + 1)),
                "approximate_location": False,
                "synthetic": True,
            }
        )
        pts.append((float(xy[0]), float(xy[1])))
    for k, r in enumerate(rows):
        r["site_id"] = f"S{k + 1:03d}"
    geoms_m = shapely.points(np.asarray(pts))
    gdf = gpd.GeoDataFrame(rows, geometry=list(to_wgs84(geoms_m)), crs="EPSG:4326")
    return gdf[["site_id", *[c for c in gdf.columns if c not in ("site_id", "geometry")], "geometry"]], geoms_m

