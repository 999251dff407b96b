"""The town layout every synthetic layer grows from: approximate town centres, seats, areas and poverty.

Positions are WGS-84 and plausible rather than surveyed; the village tessellation, households,
roads, tourism sites, enterprises and projects all read them from here.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["TownSpec", "TOWNS", "URBAN_TOWNS", "is_seat_type", "town_seat_rows"]


@dataclass(frozen=True)
class TownSpec:
    """Approximate layout of one town-level unit (positions WGS-84, synthetic but plausible)."""

    centre: tuple[float, float]  # where its territory grows from
    seat: tuple[float, float]  # the town seat (镇墟/街道中心)
    area_km2: float  # rough target area before scaling to the county
    poverty: float  # base share of registered poor households
    hilly: bool


#: Town code → layout, in the order of the official code list (the order matters to the builder).
TOWNS: dict[str, TownSpec] = {
    "440783001": TownSpec((112.690, 22.345), (112.693, 22.372), 62, 0.006, False),  # 三埠街道
    "440783002": TownSpec((112.640, 22.400), (112.668, 22.379), 75, 0.008, False),  # 长沙街道
    "440783103": TownSpec((112.610, 22.465), (112.600, 22.470), 68, 0.022, False),  # 沙塘镇
    "440783104": TownSpec((112.540, 22.530), (112.550, 22.530), 85, 0.025, False),  # 苍城镇
    "440783105": TownSpec((112.640, 22.590), (112.640, 22.580), 110, 0.028, False),  # 龙胜镇
    "440783106": TownSpec((112.450, 22.590), (112.430, 22.600), 215, 0.046, True),  # 大沙镇
    "440783107": TownSpec((112.570, 22.080), (112.570, 22.120), 160, 0.038, True),  # 马冈镇
    "440783108": TownSpec((112.540, 22.390), (112.545, 22.375), 70, 0.024, False),  # 塘口镇
    "440783109": TownSpec((112.610, 22.310), (112.590, 22.315), 70, 0.022, False),  # 赤坎镇
    "440783110": TownSpec((112.535, 22.305), (112.535, 22.300), 75, 0.028, False),  # 百合镇
    "440783111": TownSpec((112.480, 22.255), (112.500, 22.240), 85, 0.040, True),  # 蚬冈镇
    "440783112": TownSpec((112.440, 22.160), (112.450, 22.160), 130, 0.045, True),  # 金鸡镇
    "440783115": TownSpec((112.720, 22.510), (112.710, 22.500), 95, 0.020, False),  # 月山镇
    "440783116": TownSpec((112.310, 22.450), (112.310, 22.460), 150, 0.043, True),  # 赤水镇
    "440783117": TownSpec((112.770, 22.460), (112.765, 22.458), 95, 0.015, False),  # 水口镇
    "440783400": TownSpec((112.728, 22.410), (112.725, 22.410), 15, 0.005, False),  # 翠山湖新区
}
#: 三埠街道, 长沙街道: the city centre.
URBAN_TOWNS = ("440783001", "440783002")


def is_seat_type(name: str) -> bool:
    """A 墟/社区 unit (the town seat is the first of these); not the 虚拟社区 of 翠山湖新区."""
    return ("社区" in name or "墟" in name) and "虚拟" not in name


def town_seat_rows(table: pd.DataFrame) -> dict[str, int]:
    """Town code → row of its seat unit in the village table: the first 墟/社区 unit, else the first unit."""
    out: dict[str, int] = {}
    for code in TOWNS:
        rows = table.index[table["town_code"] == code]
        seat = [r for r in rows if is_seat_type(table.loc[r, "village_name"])]
        out[code] = int((seat or list(rows))[0])
    return out
