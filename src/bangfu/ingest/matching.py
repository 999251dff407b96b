"""Village matching: a file's villages to the official list (by 12-digit code, or by name within a town), totals
derived from household points, and generated ids for rows that have none.

Names are compared by their core: surrounding spaces removed and ONE administrative suffix stripped — villages
村民委员会 / 社区居民委员会 / 社区居委会 / 居民委员会 / 村委会 / 居委会 / 社区 / 村, towns 街道办事处 / 街道办 /
街道 / 镇 / 乡 — so 沙洲村, 沙洲村委会 and 沙洲村民委员会 are the same village, and 赤水 / 赤水镇 the same town.
Every match and every non-match is listed (file, row, column, value, what to do); see docs/data.md, "匹配规则".
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from bangfu.core.vocab import is_missing
from bangfu.workspace.validate import Problem, Report

__all__ = [
    "VILLAGE_SUFFIXES", "TOWN_SUFFIXES", "ID_PREFIXES", "TOTALS", "core_village", "core_town", "NameIndex",
    "match_to_reference", "fill_from_meta", "generate_ids", "household_totals", "apply_household_totals",
]

#: Suffixes stripped (the longest that fits, once) before two village names are compared.
VILLAGE_SUFFIXES: tuple[str, ...] = ("社区居民委员会", "村民委员会", "社区居委会", "居民委员会", "村委会", "居委会", "社区", "村")
#: Suffixes stripped before two town names are compared.
TOWN_SUFFIXES: tuple[str, ...] = ("街道办事处", "街道办", "街道", "镇", "乡")
#: Layer → prefix of the ids generated for rows without one (``H00001``…).
ID_PREFIXES: dict[str, str] = {
    "households": "H", "roads": "R", "tourism_sites": "S", "enterprises": "E", "pairings": "PR", "projects": "P",
}
#: Village totals and how each is derived from household points (members summed, poor ones counted).
TOTALS: tuple[str, ...] = ("households", "population", "poor_households", "poor_population")
#: Village columns filled from the official list when the file leaves them out.
OFFICIAL_FILL: tuple[str, ...] = ("village_name", "town_code", "town_name", "county_code", "county_name")
#: ... and those always taken from the official list (a village keeps the name the office gives it).
OFFICIAL_ALWAYS: tuple[str, ...] = ("town_code", "town_name", "county_code", "county_name")


def _core(text: object, suffixes: tuple[str, ...]) -> str:
    s = "".join(str(text).split())
    for suffix in suffixes:
        if s.endswith(suffix) and len(s) > len(suffix):
            return s[: -len(suffix)]
    return s


def core_village(name: object) -> str:
    """A village name without its administrative suffix (沙洲村委会 → 沙洲)."""
    return _core(name, VILLAGE_SUFFIXES)


def core_town(name: object) -> str:
    """A town name without its administrative suffix (赤水镇 → 赤水, 三埠街道办事处 → 三埠)."""
    return _core(name, TOWN_SUFFIXES)


def _problem(layer: str, pos: int | None, column: str | None, value: object, zh: str, en: str, hint: str,
             severity: str = "error", file: str | None = None) -> Problem:
    return Problem(layer, None if pos is None else pos + 1, None, column, "" if value is None else str(value)[:80],
                   zh, en, hint, severity, file)  # type: ignore[arg-type]


class NameIndex:
    """Villages looked up by (town, village) core names, or by village core name alone."""

    def __init__(self, villages: pd.DataFrame) -> None:
        self.by_pair: dict[tuple[str, str], list[int]] = {}
        self.by_name: dict[str, list[int]] = {}
        for i, (v, t) in enumerate(zip(villages["village_name"], villages["town_name"])):
            self.by_pair.setdefault((core_town(t), core_village(v)), []).append(i)
            self.by_name.setdefault(core_village(v), []).append(i)

    def find(self, name: object, town: object | None) -> list[int]:
        """Positions of the villages called ``name`` (in ``town`` when given)."""
        if town is not None and not is_missing(town) and str(town).strip():
            return self.by_pair.get((core_town(town), core_village(name)), [])
        return self.by_name.get(core_village(name), [])


def _text(v: object) -> str | None:
    return None if is_missing(v) or not str(v).strip() else str(v).strip()


def match_to_reference(rows: pd.DataFrame, reference: pd.DataFrame, report: Report, *, layer: str = "villages",
                       file: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The file's villages matched to the official list; returns (rows with codes and official columns filled,
    one row per file row: how it matched or why not).

    A row with a village code must name an official village; a row without one is matched by name within its
    town (by name alone when the file has no town column). Non-matches are errors in ``report``.
    """
    out = rows.copy()
    ref = reference.reset_index(drop=True)
    by_code = {str(c): i for i, c in enumerate(ref["village_code"])}
    names = NameIndex(ref)
    has_code = "village_code" in out.columns
    if not has_code:
        out["village_code"] = None
    for col in OFFICIAL_FILL:
        if col not in out.columns:
            out[col] = None
    listed = []
    for pos in range(len(out)):
        code = _text(out["village_code"].iloc[pos])
        name = _text(out["village_name"].iloc[pos])
        town = _text(out["town_name"].iloc[pos])
        hit: int | None = None
        if code is not None:
            column, value, how = "village_code", code, "代码"
            hit = by_code.get(code)
            if hit is None:
                report.problems.append(_problem(
                    layer, pos, column, code, "村代码不在本县的官方村名录中", "code not in the official village list",
                    "核对12位村代码（统计用区划代码）；或删去代码，按镇名+村名匹配", file=file))
        elif name is not None:
            column, value, how = "village_name", f"{town}·{name}" if town else name, "镇名+村名" if town else "村名"
            found = names.find(name, town)
            if len(found) == 1:
                hit = found[0]
            elif not found:
                report.problems.append(_problem(
                    layer, pos, column, value, "按镇名+村名在官方村名录中找不到这个村" if town else "按村名在官方村名录中找不到这个村",
                    "no official village with this name (in this town)",
                    "核对村名和镇名的写法（村/村委会/社区等后缀可省略），或填写12位村代码", file=file))
            else:
                report.problems.append(_problem(
                    layer, pos, column, value, f"官方村名录中有 {len(found)} 个同名的村", "ambiguous village name",
                    "填写镇名或12位村代码", file=file))
        else:
            column, value, how = "village_name", "", ""
            report.problems.append(_problem(layer, pos, column, None, "既没有村代码也没有村名", "no code and no name",
                                            "填写12位村代码或村名", file=file))
        if hit is not None:
            official = ref.iloc[hit]
            out.iat[pos, out.columns.get_loc("village_code")] = official["village_code"]
            for col in OFFICIAL_FILL:  # towns and county always as the official list writes them
                if col in OFFICIAL_ALWAYS or _text(out[col].iloc[pos]) is None:
                    out.iat[pos, out.columns.get_loc(col)] = official[col]
        listed.append({
            "file": file or "", "row": pos + 1, "column": column, "value": value,
            "matched": hit is not None, "how": how if hit is not None else "",
            "village_code": ref["village_code"].iloc[hit] if hit is not None else "",
            "official_name": ref["village_name"].iloc[hit] if hit is not None else "",
            "town_name": ref["town_name"].iloc[hit] if hit is not None else "",
        })
    cols = ["file", "row", "column", "value", "matched", "how", "village_code", "official_name", "town_name"]
    return out, pd.DataFrame(listed, columns=cols)


def fill_from_meta(rows: pd.DataFrame, meta: Mapping[str, str], report: Report, *, file: str | None = None
                   ) -> pd.DataFrame:
    """Villages of a county without an official list: county code and name from the workspace, town code from
    the village code; a code outside the county is an error."""
    out = rows.copy()
    county = meta.get("county_code", "")
    if "village_code" not in out.columns or not county:
        return out
    codes = out["village_code"].map(_text)
    fills = {"county_code": lambda c: c[:6], "town_code": lambda c: c[:9], "county_name": lambda c: meta.get("county_name")}
    for col, make in fills.items():
        if col not in out.columns:
            out[col] = [make(c) if c else None for c in codes]
    for pos, c in enumerate(codes):
        if c and not c.startswith(county):
            report.problems.append(_problem("villages", pos, "village_code", c, f"村代码不属于本县（{county}）",
                                            "village code of another county", f"村代码应以本县代码 {county} 开头",
                                            file=file))
    return out


def generate_ids(layer: str, key: str, rows: pd.DataFrame, taken: set[str], report: Report, *,
                 file: str | None = None) -> pd.DataFrame:
    """Rows without an id get ``<prefix><row number>`` (5 digits; never an id the file or the layer has); one
    warning says how many and which."""
    prefix = ID_PREFIXES.get(layer)
    if prefix is None:
        return rows
    out = rows.copy()
    if key not in out.columns:
        out[key] = None
    values = out[key].map(_text)
    missing = np.flatnonzero(values.isna().to_numpy())
    if not len(missing):
        return out
    used = set(taken) | {v for v in values if v}
    made = []
    for pos in missing:
        new, n = f"{prefix}{pos + 1:05d}", 0
        while new in used:
            n += 1
            new = f"{prefix}{pos + 1:05d}-{n}"
        used.add(new)
        made.append(new)
    out.loc[out.index[missing], key] = made
    span = made[0] if len(made) == 1 else f"{made[0]} … {made[-1]}"
    report.problems.append(_problem(layer, None, key, span, f"{len(made)} 行没有编号，已按行号生成编号",
                                    f"{len(made)} rows had no id; ids generated from the row numbers",
                                    "如有正式编号，请在文件中填写后重新导入（生成的编号在再次导入同一文件时不变）",
                                    "warning", file))
    return out


def household_totals(households: pd.DataFrame) -> pd.DataFrame:
    """Per village: households, population (members summed), poor households and poor population (Int64)."""
    if households.empty:
        return pd.DataFrame({c: pd.Series([], dtype="Int64") for c in TOTALS}, index=pd.Index([], name="village_code"))
    hh = pd.DataFrame({"village_code": households["village_code"].astype(str),
                       "members": pd.to_numeric(households["members"], errors="coerce").fillna(0),
                       "poor": households["is_poor"].fillna(False).astype(bool)})
    hh["poor_members"] = hh["members"].where(hh["poor"], 0)
    g = hh.groupby("village_code")
    out = pd.DataFrame({"households": g.size(), "population": g["members"].sum(), "poor_households": g["poor"].sum(),
                        "poor_population": g["poor_members"].sum()})
    return out.round().astype("Int64")


def apply_household_totals(villages: pd.DataFrame, households: pd.DataFrame, report: Report, *,
                           file: str | None = None) -> pd.DataFrame | None:
    """Villages whose totals are all 0 or missing (a boundary file without totals) get them from the household
    points: returns the new villages layer, or None when nothing changes. Villages whose file totals disagree
    with the points are listed as warnings."""
    if villages.empty:
        return None
    derived = household_totals(households)
    out = villages.copy()
    changed = False
    for pos, code in enumerate(out["village_code"].astype(str)):
        have = [out[c].iloc[pos] for c in TOTALS]
        got = [int(derived[c].get(code, 0)) if code in derived.index else 0 for c in TOTALS]
        if all(is_missing(v) or int(v) == 0 for v in have):
            if any(got):
                for c, v in zip(TOTALS, got):
                    out.iat[pos, out.columns.get_loc(c)] = v
                changed = True
            continue
        if code in derived.index and [int(0 if is_missing(v) else v) for v in have] != got:
            name = out["village_name"].iloc[pos]
            report.problems.append(_problem(
                "villages", pos, "households", f"{code} {name}：村表 {'/'.join(str(v) for v in have)}，"
                f"农户点位 {'/'.join(str(v) for v in got)}",
                "村的总户数/总人口/贫困户数/贫困人口与农户点位统计不一致",
                "village totals disagree with the household points",
                "核对村表或农户表；规划按农户点位计算受益，村表数字用于专题图", "warning", file))
    return out if changed else None
