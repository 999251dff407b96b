"""The planning-document facts the demo reproduces exactly: 赤水镇's 老区 villages and target households.

Also the county itself, Kaiping's 17 老区 villages and its best-known diaolou sites. Sources are the planning documents cited in ``geodata/sources/README.md``. Where a document gives a
total but not the names (Kaiping's other ten 老区 villages, the key villages outside 赤水镇) the
names here are a synthetic choice in the hilly towns; they are marked so below.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "COUNTY_CODE", "COUNTY_NAME", "AS_OF", "CHISHUI", "CHISHUI_OLD_DISTRICT", "CHISHUI_POOR", "CHISHUI_KEY",
    "OTHER_OLD_DISTRICT", "OTHER_KEY_VILLAGES", "DIAOLOU_SITES", "village_flags",
]

#: 开平市: its 6-digit administrative code and name.
COUNTY_CODE = "440783"
COUNTY_NAME = "开平市"
#: The date the demo's figures describe (the end of the 2016–2020 poverty alleviation period).
AS_OF = "2020-12-31"

#: 赤水镇, the town the planning documents describe in figures.
CHISHUI = "440783116"
#: 赤水镇's seven 老区 villages (``<name>村委会`` in the official list).
CHISHUI_OLD_DISTRICT = ("步栏", "林屋", "三合", "长塘", "松南", "高龙", "高山")
#: 赤水镇's registered poor (低保 target group): households, people.
CHISHUI_POOR = (325, 915)
#: Of which key households with labour capacity: households, people.
CHISHUI_KEY = (71, 251)
#: The other 10 of Kaiping's 17 老区 villages: a synthetic choice in hilly towns.
OTHER_OLD_DISTRICT: dict[str, tuple[str, ...]] = {
    "440783106": ("联山", "夹水", "黎雄"),  # 大沙镇
    "440783112": ("石迳", "锦湖"),  # 金鸡镇
    "440783111": ("春山", "横石"),  # 蚬冈镇
    "440783107": ("牛山", "虎山"),  # 马冈镇
    "440783105": ("齐洞",),  # 龙胜镇
}
#: Key villages (重点帮扶村) that are not 老区 villages: synthetic.
OTHER_KEY_VILLAGES: dict[str, tuple[str, ...]] = {
    "440783106": ("西湾",),
    "440783107": ("长间", "蒲冈"),
    "440783111": ("风洞",),
    "440783112": ("五联",),
    "440783110": ("厚山",),
    "440783104": ("潭碧",),
    "440783103": ("台洞",),
}

#: Kaiping's best-known diaolou sites: name, town code, approximate WGS-84 position, A-level and
#: a plausible yearly visitor count (the builder varies it by ±15 %).
DIAOLOU_SITES: tuple[tuple[str, str, tuple[float, float], int, int], ...] = (
    ("自力村碉楼群", "440783108", (112.5513, 22.3633), 5, 420_000),
    ("立园", "440783108", (112.5665, 22.3640), 5, 380_000),
    ("马降龙碉楼群", "440783110", (112.5370, 22.2990), 5, 160_000),
    ("锦江里碉楼群", "440783111", (112.4790, 22.2840), 5, 60_000),
    ("赤坎古镇", "440783109", (112.5880, 22.3200), 4, 520_000),
)


def _rows_named(table: pd.DataFrame, town: str, names: Sequence[str]) -> list[int]:
    """Row indices of the villages called ``<name>村委会`` in ``town`` (KeyError if one is missing)."""
    out = []
    for name in names:
        hit = table.index[(table["town_code"] == town) & (table["village_name"] == f"{name}村委会")]
        if len(hit) != 1:
            raise KeyError(f"no village {name}村委会 in town {town}")
        out.append(int(hit[0]))
    return out


def village_flags(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(is_old_district, is_key_village) per row of the village table: the 赤水 facts plus the synthetic choices.

    Every 老区 village is also a key village.
    """
    old = np.zeros(len(table), dtype=bool)
    key = np.zeros(len(table), dtype=bool)
    chishui = _rows_named(table, CHISHUI, CHISHUI_OLD_DISTRICT)
    old[chishui] = True
    for town, names in OTHER_OLD_DISTRICT.items():
        old[_rows_named(table, town, names)] = True
    key |= old
    for town, names in OTHER_KEY_VILLAGES.items():
        key[_rows_named(table, town, names)] = True
    return old, key
