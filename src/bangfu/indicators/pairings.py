"""Enterprise–village pairings: needy-village rule, active pairings, coverage and gap lists (pure, typed).

Definitions (also in ``docs/pairings_tourism.md``):

* a village is **needy** when it meets the user's :class:`NeedyRule` (key village, 老区 village,
  at least N poor households, incidence above X %; combined with "any" or "all");
* a pairing is **active** on the as-of date ``d`` when ``start_date <= d`` and its ``end_date`` is
  empty or after ``d`` (a pairing ending on ``d`` no longer counts);
* **coverage** = needy villages with at least one active pairing ÷ needy villages (a village paired
  twice counts once); NaN (shown "—") when no village is needy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal
from collections.abc import Callable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from bangfu.core.vocab import NEEDY_COMBINE, NEEDY_CRITERION
from bangfu.workspace.schema import PAIRING_TYPES
from bangfu.indicators.poverty import safe_ratio

__all__ = [
    "NeedyRule", "NEEDY_CRITERIA", "needy_mask", "resolve_as_of", "active_mask", "Coverage", "coverage",
    "coverage_by_area",
    "village_pairing_table", "unpaired_needy", "multiply_paired", "enterprise_load", "pairings_by_town",
    "pairing_lines",
]


@dataclass(frozen=True)
class NeedyRule:
    """Which villages count as needy: the enabled criteria, combined with ``any`` (or) or ``all`` (and).

    ``min_poor_households``: at least this many poor households (>=); ``min_incidence_pct``: poverty
    incidence strictly above this percentage. ``None`` switches a threshold off. With no criterion
    enabled no village is needy.
    """

    key_villages: bool = True
    old_district: bool = True  # default: key villages or 老区 villages (DESIGN.md), on every page
    min_poor_households: int | None = None
    min_incidence_pct: float | None = None
    combine: Literal["any", "all"] = "any"

    def __post_init__(self) -> None:
        if self.combine not in ("any", "all"):
            raise ValueError(f"combine must be 'any' or 'all', not {self.combine!r}")
        if self.min_poor_households is not None and self.min_poor_households < 0:
            raise ValueError(f"min_poor_households must be >= 0, not {self.min_poor_households!r}")
        if self.min_incidence_pct is not None and not 0 <= self.min_incidence_pct <= 100:
            raise ValueError(f"min_incidence_pct must be within 0..100, not {self.min_incidence_pct!r}")

    def enabled(self) -> list[str]:
        """Names of the criteria this rule uses (keys of :data:`NEEDY_CRITERIA`)."""
        return [c.name for c in NEEDY_CRITERIA if c.enabled(self)]

    def describe(self, lang: str = "zh") -> str:
        """The rule in words from the vocabularies, e.g. ``重点帮扶村 或 贫困户不少于 20 户``."""
        parts = [c.describe(self, lang) for c in NEEDY_CRITERIA if c.enabled(self)]
        if not parts:
            return "（未选择条件）" if lang == "zh" else "(no criterion)"
        if lang == "en":  # one sentence: only its first word capitalised
            parts = parts[:1] + [p[:1].lower() + p[1:] for p in parts[1:]]
        return f" {NEEDY_COMBINE.label(self.combine, lang)} ".join(parts)


def _flag(villages: pd.DataFrame, column: str) -> pd.Series:
    return villages[column].astype("boolean").fillna(False).astype(bool)


def _incidence_pct(villages: pd.DataFrame) -> pd.Series:
    return pd.Series(safe_ratio(villages["poor_households"], villages["households"]) * 100, index=villages.index)


@dataclass(frozen=True)
class NeedyCriterion:
    """One criterion of the needy rule: when it is enabled, its mask and its wording."""

    name: str
    enabled: Callable[[NeedyRule], bool]
    mask: Callable[[pd.DataFrame, NeedyRule], pd.Series]
    describe: Callable[[NeedyRule, str], str]


def _criterion(code: str, threshold: Callable[[NeedyRule, str], str] | None = None) -> Callable[[NeedyRule, str], str]:
    """The wording of a criterion: its :data:`bangfu.core.vocab.NEEDY_CRITERION` label and threshold."""
    def describe(r: NeedyRule, lang: str) -> str:
        label = NEEDY_CRITERION.label(code, lang)
        return label if threshold is None else f"{label} {threshold(r, lang)}"
    return describe


#: The criteria in the order they are described; names are the codes of :data:`bangfu.core.vocab.NEEDY_CRITERION`.
NEEDY_CRITERIA: tuple[NeedyCriterion, ...] = (
    NeedyCriterion(
        "key_villages",
        lambda r: r.key_villages,
        lambda v, r: _flag(v, "is_key_village"),
        _criterion("key_villages"),
    ),
    NeedyCriterion(
        "old_district",
        lambda r: r.old_district,
        lambda v, r: _flag(v, "is_old_district"),
        _criterion("old_district"),
    ),
    NeedyCriterion(
        "min_poor_households",
        lambda r: r.min_poor_households is not None,
        lambda v, r: pd.to_numeric(v["poor_households"], errors="coerce").fillna(0) >= (r.min_poor_households or 0),
        _criterion("min_poor_households", lambda r, lang: f"{r.min_poor_households} 户" if lang != "en" else f"{r.min_poor_households}"),
    ),
    NeedyCriterion(
        "min_incidence_pct",
        lambda r: r.min_incidence_pct is not None,
        lambda v, r: _incidence_pct(v).fillna(-1.0) > float(r.min_incidence_pct or 0.0),
        _criterion("min_incidence_pct", lambda r, lang: f"{r.min_incidence_pct:g}%"),
    ),
)


def needy_mask(villages: pd.DataFrame, rule: NeedyRule) -> pd.Series:
    """Boolean Series over ``villages``: does each village count as needy under ``rule``."""
    masks = [c.mask(villages, rule).astype(bool) for c in NEEDY_CRITERIA if c.enabled(rule)]
    if not masks:
        return pd.Series(False, index=villages.index)
    stacked = np.column_stack([m.to_numpy() for m in masks])
    out = stacked.any(axis=1) if rule.combine == "any" else stacked.all(axis=1)
    return pd.Series(out, index=villages.index)


def resolve_as_of(meta: Mapping[str, str], today: date) -> date:
    """The as-of date: the workspace's ``as_of`` meta value (ISO date) when valid, else ``today``."""
    text = str(meta.get("as_of", "") or "").strip()[:10]
    try:
        return date.fromisoformat(text)
    except ValueError:
        return today


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s.astype(object).where(s.notna(), None), format="%Y-%m-%d", errors="coerce")


def active_mask(pairings: pd.DataFrame, as_of: date) -> pd.Series:
    """Boolean Series: pairing started on or before ``as_of`` and not ended by then."""
    if pairings.empty:
        return pd.Series(False, index=pairings.index, dtype=bool)
    t = pd.Timestamp(as_of)
    start = _dates(pairings["start_date"])
    end = _dates(pairings["end_date"])
    return ((start.isna() | (start <= t)) & (end.isna() | (end > t))).astype(bool)


def _active(pairings: pd.DataFrame, as_of: date) -> pd.DataFrame:
    return pairings[active_mask(pairings, as_of)]


def village_pairing_table(
    villages: pd.DataFrame,
    pairings: pd.DataFrame,
    enterprises: pd.DataFrame,
    *,
    rule: NeedyRule,
    as_of: date,
) -> pd.DataFrame:
    """One row per village: needy flag, number of active pairings, distinct partner enterprises
    (names joined with "、"), committed funds and poor households employed of active pairings."""
    act = _active(pairings, as_of)
    names = dict(zip(enterprises["enterprise_id"], enterprises["name"])) if not enterprises.empty else {}
    grouped = act.groupby("village_code")
    per = pd.DataFrame(
        {
            "active_pairings": grouped.size(),
            "enterprises": grouped["enterprise_id"].agg(
                lambda s: "、".join(str(names.get(e, e)) for e in dict.fromkeys(s))
            ),
            "active_committed_wan": grouped["committed_wan"].sum(min_count=1),
            "active_poor_employed": grouped["poor_households_employed"].sum(min_count=1),
        }
    )
    cols = ["village_code", "village_name", "town_code", "town_name", "households", "poor_households",
            "is_key_village", "is_old_district"]
    out = pd.DataFrame(villages[cols]).copy()
    out["incidence_pct"] = _incidence_pct(villages)
    out["needy"] = needy_mask(villages, rule).to_numpy()
    out = out.join(per, on="village_code")
    out["active_pairings"] = out["active_pairings"].fillna(0).astype(int)
    out["enterprises"] = out["enterprises"].fillna("")
    out["paired"] = out["active_pairings"] > 0
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class Coverage:
    """Pairing coverage of needy villages, county-wide and per town."""

    needy: int
    paired: int
    by_town: pd.DataFrame  # town_code, town_name, villages, needy, needy_paired, needy_unpaired, coverage_pct

    @property
    def rate_pct(self) -> float:
        return float(safe_ratio(self.paired, self.needy)[0] * 100)

    @property
    def unpaired(self) -> int:
        return self.needy - self.paired

    def with_total(self, label: str) -> pd.DataFrame:
        """The per-town table with a last county row named ``label``."""
        total = {"town_code": None, "town_name": label, "villages": int(self.by_town["villages"].sum()),
                 "needy": self.needy, "needy_paired": self.paired, "needy_unpaired": self.unpaired,
                 "coverage_pct": self.rate_pct}
        return pd.concat([self.by_town, pd.DataFrame([total])], ignore_index=True)


def coverage(table: pd.DataFrame) -> Coverage:
    """Coverage from a :func:`village_pairing_table` (a village paired several times counts once)."""
    t = table.assign(needy_paired=table["needy"] & table["paired"])
    by_town = (
        t.groupby(["town_code", "town_name"], sort=True)
        .agg(villages=("village_code", "size"), needy=("needy", "sum"), needy_paired=("needy_paired", "sum"))
        .reset_index()
    )
    by_town["needy"] = by_town["needy"].astype(int)
    by_town["needy_paired"] = by_town["needy_paired"].astype(int)
    by_town["needy_unpaired"] = by_town["needy"] - by_town["needy_paired"]
    by_town["coverage_pct"] = safe_ratio(by_town["needy_paired"], by_town["needy"]) * 100
    return Coverage(needy=int(t["needy"].sum()), paired=int(t["needy_paired"].sum()), by_town=by_town)


def coverage_by_area(table: pd.DataFrame, digits: int) -> pd.DataFrame:
    """Coverage per area whose code is the first ``digits`` digits of the village codes (a city: 4, a county: 6,
    a town: 9) from a :func:`village_pairing_table`: ``area_code``, ``needy_villages``, ``needy_paired``,
    ``needy_unpaired`` and ``pairing_coverage_pct`` (NaN without a needy village), one row per area, by code."""
    t = pd.DataFrame({"area_code": table["village_code"].astype(str).str[:digits],
                      "needy": table["needy"].astype(bool), "paired": table["needy"].astype(bool)
                      & table["paired"].astype(bool)})
    g = t.groupby("area_code", sort=True)
    out = pd.DataFrame({"needy_villages": g["needy"].sum().astype("int64"),
                        "needy_paired": g["paired"].sum().astype("int64")}).reset_index()
    out["needy_unpaired"] = out["needy_villages"] - out["needy_paired"]
    out["pairing_coverage_pct"] = safe_ratio(out["needy_paired"], out["needy_villages"]) * 100
    return out


def unpaired_needy(table: pd.DataFrame) -> pd.DataFrame:
    """Needy villages without any active pairing (the follow-up list), most poor households first."""
    gaps = table[table["needy"] & ~table["paired"]]
    return gaps.sort_values(["poor_households", "village_code"], ascending=[False, True]).reset_index(drop=True)


def multiply_paired(table: pd.DataFrame, *, min_pairings: int = 2) -> pd.DataFrame:
    """Villages with at least ``min_pairings`` active pairings, most pairings first."""
    many = table[table["active_pairings"] >= min_pairings]
    return many.sort_values(["active_pairings", "village_code"], ascending=[False, True]).reset_index(drop=True)


def enterprise_load(
    enterprises: pd.DataFrame, pairings: pd.DataFrame, *, as_of: date, min_villages: int = 1
) -> pd.DataFrame:
    """Per enterprise: distinct villages with an active pairing, committed funds and poor households
    employed (active pairings), keeping enterprises with at least ``min_villages`` villages."""
    act = _active(pairings, as_of)
    g = act.groupby("enterprise_id")
    per = pd.DataFrame(
        {
            "villages": g["village_code"].nunique(),
            "committed_wan": g["committed_wan"].sum(min_count=1),
            "poor_households_employed": g["poor_households_employed"].sum(min_count=1),
        }
    )
    cols = [c for c in ("enterprise_id", "name", "industry", "is_leading") if c in enterprises.columns]
    out = pd.DataFrame(enterprises[cols]).join(per, on="enterprise_id")
    out["villages"] = out["villages"].fillna(0).astype(int)
    out = out[out["villages"] >= min_villages]
    return out.sort_values(["villages", "enterprise_id"], ascending=[False, True]).reset_index(drop=True)


def pairings_by_town(villages: pd.DataFrame, pairings: pd.DataFrame, *, as_of: date) -> pd.DataFrame:
    """Active pairings summed by town: count per pairing type, committed funds, poor households employed."""
    act = _active(pairings, as_of).merge(
        pd.DataFrame(villages[["village_code", "town_code", "town_name"]]), on="village_code", how="inner"
    )
    act["_employed"] = pd.to_numeric(act["poor_households_employed"]).fillna(0)
    towns = pd.DataFrame(villages[["town_code", "town_name"]]).drop_duplicates().set_index(["town_code", "town_name"])
    counts = act.pivot_table(index=["town_code", "town_name"], columns="pairing_type", values="pairing_id",
                             aggfunc="count", fill_value=0)
    counts = counts.reindex(columns=list(PAIRING_TYPES), fill_value=0)
    sums = act.groupby(["town_code", "town_name"]).agg(
        pairings=("pairing_id", "size"),
        committed_wan=("committed_wan", "sum"),
        poor_households_employed=("_employed", "sum"),
    )
    out = towns.join(counts).join(sums).fillna(0)
    for c in [*PAIRING_TYPES, "pairings", "poor_households_employed"]:
        out[c] = out[c].astype(int)
    out["committed_wan"] = out["committed_wan"].astype(float)
    return out.reset_index().sort_values("town_code").reset_index(drop=True)


def pairing_lines(
    villages: gpd.GeoDataFrame,
    enterprises: gpd.GeoDataFrame,
    pairings: pd.DataFrame,
    *,
    as_of: date,
) -> gpd.GeoDataFrame:
    """One line per pairing from the enterprise point to the village's representative point
    (always inside the polygon), with names, type, funds and an ``active`` flag. Pairings whose
    enterprise or village is unknown or has no geometry are left out."""
    crs = villages.crs or "EPSG:4326"
    vrow = pd.Series(np.arange(len(villages)), index=pd.Index(villages["village_code"])).groupby(level=0).last()
    erow = pd.Series(np.arange(len(enterprises)), index=pd.Index(enterprises["enterprise_id"])).groupby(level=0).last()
    vi = pairings["village_code"].map(vrow).to_numpy(dtype=float)  # NaN: unknown village
    ei = pairings["enterprise_id"].map(erow).to_numpy(dtype=float)
    known = ~(np.isnan(vi) | np.isnan(ei))
    vgeom = np.asarray(villages.geometry.values, dtype=object)
    egeom = np.asarray(enterprises.geometry.values, dtype=object)
    a = np.full(len(pairings), None, dtype=object)
    b = np.full(len(pairings), None, dtype=object)
    a[known] = egeom[ei[known].astype(np.int64)]
    b[known] = vgeom[vi[known].astype(np.int64)]
    keep = known & ~shapely.is_missing(a) & ~shapely.is_missing(b)
    keep[keep] = ~shapely.is_empty(a[keep]) & ~shapely.is_empty(b[keep])
    b[keep] = shapely.point_on_surface(b[keep])  # only the paired villages' points (always inside the polygon)
    keep[keep] = ~shapely.is_empty(b[keep])
    ends = np.stack([shapely.get_coordinates(a[keep]), shapely.get_coordinates(b[keep])], axis=1)
    geoms = list(shapely.linestrings(ends)) if len(ends) else []
    vname = dict(zip(villages["village_code"], villages["village_name"]))
    ename = dict(zip(enterprises["enterprise_id"], enterprises["name"]))
    active = active_mask(pairings, as_of).to_numpy(dtype=bool)[keep]
    records = pairings.loc[keep, ["pairing_id", "enterprise_id", "village_code", "pairing_type", "start_date",
                                  "end_date", "committed_wan", "poor_households_employed"]].to_dict("records")
    rows = pd.DataFrame([  # built from records: the columns' types as the rows give them (text, dates as text)
        {"pairing_id": r["pairing_id"], "enterprise_id": r["enterprise_id"],
         "enterprise_name": ename.get(r["enterprise_id"], ""), "village_code": r["village_code"],
         "village_name": vname.get(r["village_code"], ""), "pairing_type": r["pairing_type"],
         "start_date": r["start_date"], "end_date": r["end_date"], "committed_wan": r["committed_wan"],
         "poor_households_employed": r["poor_households_employed"], "active": bool(x)}
        for r, x in zip(records, active)
    ])
    return gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)
