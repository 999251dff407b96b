"""The enterprises layer and the pairings table: 40 obviously synthetic enterprises and their village pairings (百企帮百村).

As in the planning documents, every 老区 village of 赤水镇 has its own enterprise (一村一企业);
elsewhere most but deliberately not all needy villages are paired, so the pairing page has gaps
to show.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from bangfu.core import vocab
from bangfu.demo.codes import draw_code
from bangfu.demo.facts import CHISHUI
from bangfu.demo.layout import TOWNS
from bangfu.demo.spatial import to_wgs84

__all__ = ["INDUSTRIES", "PAIRING_TYPE_SHARES", "enterprises_layer", "pairings_table"]

INDUSTRIES = ("农产品加工", "乡村旅游", "电子商务", "建材", "水产养殖", "家具制造", "五金卫浴", "纺织服装", "物流", "食品饮料")
#: Pairing type → share of pairings (drawn in this order).
PAIRING_TYPE_SHARES = {"产业": 0.35, "就业": 0.25, "商贸": 0.15, "智力": 0.1, "公益": 0.15}
#: Where the first 16 enterprises sit: the city centre and its neighbours.
_CITY = ("440783001", "440783002", "440783400", "440783117")


def enterprises_layer(
    seats_xy: dict[str, tuple[float, float]], county_m: shapely.Polygon, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """40 obviously synthetic enterprises (示例企业001…) near the city centre and the town seats."""
    n = 40
    codes = list(TOWNS)
    city = list(_CITY)
    others = [c for c in codes if c not in city]
    where = [city[i % len(city)] for i in range(16)] + [others[i % len(others)] for i in range(n - 16)]
    leading = set(int(i) for i in rng.choice(n, 8, replace=False))
    inner = shapely.buffer(county_m, -200.0)
    shapely.prepare(inner)
    rows, pts = [], []
    for i in range(n):
        sx, sy = seats_xy[where[i]]
        spread = 1800.0 if where[i] in city else 900.0
        while True:
            x, y = sx + rng.normal(0, spread), sy + rng.normal(0, spread)
            if shapely.contains_xy(inner, x, y):
                break
        lead = i in leading
        rows.append(
            {
                "enterprise_id": f"E{i + 1:03d}",
                "name": f"示例企业{i + 1:03d}",
                "industry": str(rng.choice(INDUSTRIES)),
                "is_leading": lead,
                "employees": int(rng.integers(300, 2001) if lead else rng.integers(15, 301)),
            }
        )
        pts.append((x, y))
    return gpd.GeoDataFrame(rows, geometry=list(to_wgs84(shapely.points(np.asarray(pts)))), crs="EPSG:4326")


def _iso(day: np.datetime64) -> str:
    """``YYYY-MM-DD`` of a day."""
    return str(np.datetime_as_string(day, unit="D"))


def pairings_table(villages: pd.DataFrame, enterprises: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """About 55 enterprise–village pairings; most but deliberately not all needy villages are covered."""
    needy = villages.index[villages["is_key_village"] | villages["is_old_district"]].tolist()
    chishui = [r for r in needy if villages.loc[r, "town_code"] == CHISHUI and villages.loc[r, "is_old_district"]]
    others = [r for r in needy if r not in chishui]
    ent = enterprises["enterprise_id"].tolist()
    leading = enterprises.loc[enterprises["is_leading"], "enterprise_id"].tolist()
    free = [e for e in ent if e not in leading]
    order = list(rng.permutation(len(free)))
    pool = [free[i] for i in order]  # non-leading enterprises, shuffled
    big = leading[0]  # one leading enterprise pairs with several villages
    start_lo, start_hi = np.datetime64("2016-01-01"), np.datetime64("2020-06-30")
    span = int((start_hi - start_lo).astype(int))
    rows: list[dict[str, object]] = []

    def add(ent_id: str, r: int, *, ended: bool = False) -> None:
        start = start_lo + np.timedelta64(int(rng.integers(0, span)), "D")
        end = None
        if ended:
            end_day = start + np.timedelta64(int(rng.integers(365, 3 * 365)), "D")
            end_day = min(end_day, np.datetime64("2020-11-30"))
            end = _iso(end_day)
        poor = int(villages.loc[r, "poor_households"])
        rows.append(
            {
                "enterprise_id": ent_id,
                "village_code": villages.loc[r, "village_code"],
                "pairing_type": draw_code(rng, vocab.PAIRING_TYPE, PAIRING_TYPE_SHARES),
                "start_date": _iso(start),
                "end_date": end,
                "committed_wan": round(float(rng.uniform(20, 200) if ent_id in leading else rng.uniform(5, 80)), 1),
                "poor_households_employed": int(rng.integers(0, min(poor, 30) + 1)),
                "version": 1,
            }
        )

    # 赤水镇: 一村一企业 — each 老区 village its own enterprise
    chishui_ents = []
    for r in chishui:
        chishui_ents.append(pool.pop())
        add(chishui_ents[-1], r)
    # other needy villages: five stay unpaired (one of them only by an ended pairing)
    perm = [others[i] for i in rng.permutation(len(others))]
    unpaired, paired = perm[:5], perm[5:]
    add(pool.pop(), unpaired[0], ended=True)
    for j, r in enumerate(paired):
        add(big if j < 4 else leading[1 + (j - 4) % (len(leading) - 1)] if j % 3 == 0 else pool[j % len(pool)], r)
    for r in paired[-3:]:  # three needy villages with a second partner
        add(leading[-1], r)
    # the rest: ordinary villages, weighted towards the poorer ones
    rest = [r for r in villages.index if r not in needy]
    w = villages.loc[rest, "poor_households"].to_numpy(dtype=float) + 1.0
    n_rest = 55 - len(rows)
    picks = rng.choice(rest, n_rest, replace=False, p=w / w.sum())
    others_ent = [e for e in ent if e not in chishui_ents]
    for k, r in enumerate(sorted(int(p) for p in picks)):
        add(others_ent[int(rng.integers(len(others_ent)))], r, ended=k % 10 == 3)
    out = pd.DataFrame(rows)
    out = out.sort_values(["start_date", "village_code", "enterprise_id"], kind="stable").reset_index(drop=True)
    out.insert(0, "pairing_id", [f"P{i + 1:03d}" for i in range(len(out))])
    return out

