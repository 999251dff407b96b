"""Builders of small test workspaces: village grids, households, roads, sites, enterprises, pairings, projects, files.

Every test that needs hand-made data builds it here, in two layers:

* **Builders** (``village_grid``, ``households``, ``roads``, ``sites``, ``enterprises``, ``pairings``,
  ``projects``, ``workspace``): generic, composable, documented. A per-village or per-household value
  may be a scalar, a sequence (one value per row) or a callable (of the village's :class:`Cell`, or
  of the row number); the row builders take a list of dicts (defaults fill what a row leaves out;
  keyword arguments give every row the same value). Frames carry every schema column in schema
  dtypes where they matter (nullable integers), so ``workspace`` can validate and write them.
* **Scenes** (``village_row``, :class:`Overview`, :class:`Network`, :class:`Pairing`, :class:`Briefing`,
  :func:`planning_layers`, :func:`import_workspace`): the fixed data the tests' expected values were
  computed for. Each is a few builder calls; their numbers and geometry must not change (the tests
  assert hand-computed figures on them).

The module also holds the file encoders of the import tests (zipped Shapefiles, Excel, GeoJSON, CSV
point tables) and :func:`county_like`, a Kaiping-sized stand-in for the benchmark.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterable, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from bangfu.geo.crs import wgs84_to_bd09, wgs84_to_gcj02
from bangfu.workspace.access import Principal
from bangfu.workspace import store
from bangfu.workspace.validate import validate_workspace

WGS84 = "EPSG:4326"
UTM = "EPSG:32649"  # UTM 49N: metres around Kaiping
COUNTY_NAME = "开平市"
CHISHUI = "440783116"  # 赤水镇 in the demo
#: Hostile village names: markup that must only ever be shown as text.
HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_IMG = "<img src=x onerror=alert(1)>\"'"
HOSTILE_NAME = "<img src=x onerror=alert(1)><script>alert(1)</script>"  # both at once (the browser tests)

Value = Any  # a scalar, a sequence with one value per row, or a callable of the row (Cell or row number)


# =========================================================================== builders


@dataclass(frozen=True)
class Cell:
    """Where one village of a grid sits: running number ``j``, number ``i`` within its town, grid row and column."""

    j: int
    i: int
    town_code: str
    town_name: str
    row: int
    col: int

    @property
    def letter(self) -> str:
        """A, B, C, … by running number (the road network's village names)."""
        return chr(ord("A") + self.j)


def _pick(value: Value, key: Any, index: int) -> Any:
    """``value`` for one row: called with ``key`` if callable, indexed by ``index`` if a sequence, else itself."""
    if callable(value):
        return value(key)
    if isinstance(value, (list, tuple, np.ndarray, pd.Series, pd.Index)):
        return value[index]
    return value


def village_grid(
    towns: Mapping[str, str] | None = None,
    per_town: int | Sequence[int] = 3,
    *,
    origin: tuple[float, float] = (112.40, 22.30),
    cell: float = 0.01,
    columns: int | None = None,
    crs: str = WGS84,
    ndigits: int | None = None,
    first: int = 240,
    numbering: str = "town",
    name: str | Callable[[Cell], str] = "测试{j}村",
    households: Value = 100,
    population: Value = 300,
    poor_households: Value = 10,
    poor_population: Value = 25,
    old_district: Value = lambda c: c.j == 0,
    key_village: Value = lambda c: c.j == 0,
    collective_income_wan: Value = 5.0,
    county_name: str = COUNTY_NAME,
) -> gpd.GeoDataFrame:
    """Square villages on a grid, town after town (``towns``: code → name, in order; ``per_town`` each).

    Village ``j`` (running number) sits in grid column ``j % columns`` and row ``j // columns``
    (one row when ``columns`` is None); its square is ``cell`` wide from ``origin`` in ``crs``. The
    village code is the town code plus a three-digit number starting at ``first``, counted within
    each town (``numbering="town"``) or across the grid (``"running"``). ``name`` is a format string
    over the cell's fields (``{j}``, ``{i}``, ``{letter}``, ``{town}`` = town name, e.g.
    ``"{town:.2}{i}村"``) or a callable of the :class:`Cell`. Figures and flags are values per village.

    Corners: with ``ndigits`` every corner is rounded to that many digits; without, the near corner
    is ``origin + cell·k`` and the far one ``(origin + cell, rounded to 9 digits) + cell·k`` — the
    floating-point corners of a grid written with decimal literals (``112.41 + 0.01·k``).
    """
    towns = dict(towns or {CHISHUI: "赤水镇"})
    counts = [per_town] * len(towns) if isinstance(per_town, int) else list(per_town)
    assert len(counts) == len(towns), "one count per town"
    n = sum(counts)
    columns = columns or n
    rows, geoms = [], []
    j = 0
    for (town, tname), count in zip(towns.items(), counts):
        for i in range(count):
            c = Cell(j, i, town, tname, j // columns, j % columns)
            number = first + (i if numbering == "town" else j)
            label = name(c) if callable(name) else name.format(j=j, i=i, letter=c.letter, town=tname)
            rows.append({
                "village_code": f"{town}{number:03d}", "village_name": label, "town_code": town, "town_name": tname,
                "county_code": town[:6], "county_name": county_name,
                "households": _pick(households, c, j), "population": _pick(population, c, j),
                "poor_households": _pick(poor_households, c, j), "poor_population": _pick(poor_population, c, j),
                "is_old_district": _pick(old_district, c, j), "is_key_village": _pick(key_village, c, j),
                "collective_income_wan": _pick(collective_income_wan, c, j),
            })
            geoms.append(_square(origin, cell, c.col, c.row, ndigits))
            j += 1
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=crs)


def _square(origin: tuple[float, float], cell: float, col: int, row: int, ndigits: int | None) -> shapely.Polygon:
    x0, y0 = origin
    if ndigits is not None:
        x, y = round(x0 + cell * col, ndigits), round(y0 + cell * row, ndigits)
        return shapely.box(x, y, round(x + cell, ndigits), round(y + cell, ndigits))
    x1, y1 = round(x0 + cell, 9), round(y0 + cell, 9)
    return shapely.box(x0 + cell * col, y0 + cell * row, x1 + cell * col, y1 + cell * row)


def rename(villages: gpd.GeoDataFrame, names: Mapping[int, str]) -> gpd.GeoDataFrame:
    """A copy of ``villages`` with the villages at the given positions renamed (e.g. to a hostile name)."""
    out = villages.copy()
    for pos, text in names.items():
        out.loc[out.index[pos], "village_name"] = text
    return out


def uniform_points(rng: np.random.Generator, n: int, x: tuple[float, float], y: tuple[float, float]) -> np.ndarray:
    """``n`` points uniformly in the box ``x = (left, width)``, ``y = (bottom, height)``: all x drawn, then all y."""
    xs = x[0] + rng.random(n) * x[1]
    ys = y[0] + rng.random(n) * y[1]
    return np.column_stack([xs, ys])


def village_at(villages: gpd.GeoDataFrame, xy: np.ndarray) -> np.ndarray:
    """The code of the village holding each point (in ``villages``' CRS); the nearest village for a point in none."""
    pts = shapely.points(np.asarray(xy, dtype=float).reshape(-1, 2))
    polys = np.asarray(villages.geometry.values, dtype=object)
    codes = villages["village_code"].to_numpy(dtype=object)
    inside = shapely.contains(polys[None, :], pts[:, None])
    nearest = shapely.distance(polys[None, :], pts[:, None]).argmin(axis=1)
    return np.where(inside.any(axis=1), codes[inside.argmax(axis=1)], codes[nearest])


def households(
    xy: np.ndarray | Sequence[tuple[float, float]],
    village_code: Value,
    *,
    ids: Value = "H{k}",
    members: Value = 3,
    is_poor: Value = False,
    is_key: Value = False,
    poverty_cause: Value = None,
    has_labour: Value = True,
    crs: str = WGS84,
) -> gpd.GeoDataFrame:
    """Household points at ``xy``; each column a value per household (callables get the row number ``k``).

    ``ids`` may be a format string over ``k`` (default ``H0``, ``H1``, …).
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    ks = range(len(xy))

    def col(value: Value) -> list:
        return [_pick(value, k, k) for k in ks]

    return gpd.GeoDataFrame(
        {
            "household_id": [ids.format(k=k) if isinstance(ids, str) else _pick(ids, k, k) for k in ks],
            "village_code": col(village_code), "members": col(members), "is_poor": col(is_poor),
            "is_key": col(is_key), "poverty_cause": col(poverty_cause), "has_labour": col(has_labour),
        },
        geometry=shapely.points(xy), crs=crs,
    )


def households_in_villages(villages: gpd.GeoDataFrame, *, per_village: int = 40, seed: int = 7,
                           margin: float = 1e-4, poor_every: int = 3) -> gpd.GeoDataFrame:
    """``per_village`` random points inside each village's bounding box (``margin`` from its edge);
    every ``poor_every``-th household of a village is poor (and key, 因病). Ids ``<village>-<nnn>``."""
    rng = np.random.default_rng(seed)
    xy, codes, nums = [], [], []
    for code, g in zip(villages["village_code"], villages.geometry):
        minx, miny, maxx, maxy = g.bounds
        for j in range(per_village):
            xy.append((rng.uniform(minx + margin, maxx - margin), rng.uniform(miny + margin, maxy - margin)))
            codes.append(code)
            nums.append(j)
    poor = [j % poor_every == 0 for j in nums]
    return households(xy, codes, ids=[f"{c}-{j:03d}" for c, j in zip(codes, nums)], is_poor=poor, is_key=poor,
                      poverty_cause=["因病" if p else None for p in poor], crs=str(villages.crs))


def _rows(rows: Iterable[Mapping[str, Any]], defaults: Mapping[str, Callable[[Mapping[str, Any]], Any]],
          columns: Sequence[str]) -> dict[str, list]:
    """Column lists of ``rows``, a missing value filled by its default (a function of the row)."""
    out: dict[str, list] = {c: [] for c in columns}
    for r in rows:
        unknown = set(r) - set(columns) - {"geometry", "coords", "xy"}
        assert not unknown, f"unknown columns {unknown}"
        for c in columns:
            out[c].append(r[c] if c in r else defaults.get(c, lambda _r: None)(r))
    return out


def _geometry(r: Mapping[str, Any], kind: str) -> shapely.Geometry:
    if "geometry" in r:
        return r["geometry"]
    if kind == "line":
        return shapely.LineString(r["coords"])
    return shapely.Point(r["xy"])


def _frame(data: dict[str, list], ints: Sequence[str], geoms: list | None, crs: str) -> pd.DataFrame:
    for c in ints:
        data[c] = pd.array(data[c], dtype="Int64")
    if geoms is None:
        return pd.DataFrame(data)
    return gpd.GeoDataFrame(data, geometry=geoms, crs=crs)


def roads(rows: Iterable[Mapping[str, Any]], *, crs: str = WGS84, **common: Any) -> gpd.GeoDataFrame:
    """Roads from rows with ``road_id``, ``village_code``, ``status`` and ``coords`` (or ``geometry``).

    Defaults: name ``<road_id>路``, class 村道, no surface, years or cost; progress 100 % when
    completed, else 0 %; version 1. Years are nullable integers (as the workspace stores them).
    """
    rows = [{**common, **r} for r in rows]
    defaults = {"name": lambda r: f"{r['road_id']}路", "road_class": lambda r: "村道",
                "progress_pct": lambda r: 100.0 if r["status"] == "completed" else 0.0, "version": lambda r: 1}
    data = _rows(rows, defaults, store.get_layer("roads").column_names)
    return _frame(data, ("planned_year", "completed_year"), [_geometry(r, "line") for r in rows], crs)


def sites(rows: Iterable[Mapping[str, Any]], *, crs: str = WGS84, **common: Any) -> gpd.GeoDataFrame:
    """Tourism sites from rows with ``site_id``, ``name``, ``site_type``, ``village_code`` and ``xy`` (or ``geometry``)."""
    rows = [{**common, **r} for r in rows]
    data = _rows(rows, {}, store.get_layer("tourism_sites").column_names)
    return _frame(data, ("a_level", "annual_visitors", "poor_households_employed"),
                  [_geometry(r, "point") for r in rows], crs)


def enterprises(rows: Iterable[Mapping[str, Any]], *, crs: str = WGS84, **common: Any) -> gpd.GeoDataFrame:
    """Enterprises from rows with ``enterprise_id`` and ``xy`` (or ``geometry``); name ``示例企业<id>``,
    industry 农业, not leading, unless given."""
    rows = [{**common, **r} for r in rows]
    defaults = {"name": lambda r: f"示例企业{r['enterprise_id']}", "industry": lambda r: "农业",
                "is_leading": lambda r: False}
    data = _rows(rows, defaults, store.get_layer("enterprises").column_names)
    return _frame(data, ("employees",), [_geometry(r, "point") for r in rows], crs)


def pairings(rows: Iterable[Mapping[str, Any]], **common: Any) -> pd.DataFrame:
    """Enterprise–village pairings from rows with ``pairing_id``, ``enterprise_id``, ``village_code``;
    type 产业, start 2019-01-01, open-ended, 10 万元, version 1 unless given."""
    defaults = {"pairing_type": lambda r: "产业", "start_date": lambda r: "2019-01-01",
                "committed_wan": lambda r: 10.0, "version": lambda r: 1}
    data = _rows(({**common, **r} for r in rows), defaults, store.get_layer("pairings").column_names)
    return _frame(data, ("poor_households_employed", "version"), None, WGS84)


def projects(rows: Iterable[Mapping[str, Any]], *, crs: str = WGS84, **common: Any) -> gpd.GeoDataFrame:
    """Candidate projects from rows with ``project_id``, ``project_type``, ``cost_wan``, ``village_code``
    and ``xy``, ``coords`` (a line) or ``geometry``; name ``项目<id>``, status candidate unless given."""
    rows = [{**common, **r} for r in rows]
    defaults = {"name": lambda r: f"项目{r['project_id']}", "status": lambda r: "candidate"}
    data = _rows(rows, defaults, store.get_layer("projects").column_names)
    geoms = [_geometry(r, "line" if "coords" in r else "point") for r in rows]
    return _frame(data, (), geoms, crs)


def empty(name: str) -> pd.DataFrame:
    """An empty layer ``name`` with its schema columns (e.g. the road history of a fresh workspace)."""
    return store.empty_layer(name)


def loader(layers: Mapping[str, pd.DataFrame]) -> Callable[[str], pd.DataFrame]:
    """A layer loader over in-memory ``layers`` (an absent layer reads as empty), as the briefing takes one."""
    return lambda name: layers[name] if name in layers else store.empty_layer(name)


def workspace(where: Path, *, meta: Mapping[str, str] | None = None, check: bool = True,
              **layers: pd.DataFrame) -> Path:
    """Write ``layers`` as a workspace GeoPackage and return its path.

    ``where`` is a folder (the file is ``where/workspace.gpkg``, as the app expects) or a ``.gpkg``
    path. The layers are validated first (errors raise; ``check=False`` skips this for tests that
    want a broken file). ``meta`` defaults to ``{"source": "test"}``.
    """
    if check:
        report = validate_workspace(layers)
        assert report.ok, report.summary_zh() + "\n" + "\n".join(p.line("en") for p in report.errors[:10])
    path = Path(where) if Path(where).suffix == ".gpkg" else Path(where) / store.WORKSPACE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    store.write_workspace(path, layers, meta=dict(meta or {"source": "test"}))
    return path


# =========================================================================== scenes


def village_row(n: int = 3, *, town: str = CHISHUI) -> gpd.GeoDataFrame:
    """``n`` adjacent ~1 km squares in one town (赤水镇), lon/lat: codes ``<town>240…``, 100 households,
    10 poor, the first village 老区 and key. A valid coverage."""
    return village_grid({town: "赤水镇"}, n)


class Overview:
    """Two towns of ``n`` 1 km squares (UTM-exact areas) with every overlay, for the overview and the maps.

    Households ``100·(j+1)`` and poor ``10·(j+1)`` for village ``j``, so poverty density is 10…60
    per km²; in each town village 0 is 老区 and village 1 key. Roads: per village 600 m completed
    and 400 m unhardened (60 % hardened). Sites S1 (5A 碉楼, village 0) and S2 (``<b>农家乐</b>``,
    village 3); enterprises E1 (village 1), E2 (village 4); pairings P1 (E1–v0, active until
    2022-12-31), P2 (E1–v3, ended 2019), P3 (E2–v4, open-ended from 2020-06), P4 (E2–v1, from
    2021-06); projects J1 (point in v0), J2 (line v0→v1, recorded in v1), J3 (completed bridge).
    """

    TOWNS = {"440783116": "赤水镇", "440783117": "金鸡镇"}
    X0, Y0 = 650_000.0, 2_470_000.0
    AS_OF = "2020-12-31"

    @classmethod
    def villages(cls, n_per_town: int = 3, *, side_m: float = 1000.0) -> gpd.GeoDataFrame:
        """``2 × n_per_town`` adjacent squares of ``side_m`` metres (area exactly side²), lon/lat."""
        return village_grid(
            cls.TOWNS, n_per_town, origin=(cls.X0, cls.Y0), cell=side_m, crs=UTM, first=200, name="{town:.2}{i}村",
            households=lambda c: 100 * (c.j + 1), population=lambda c: 300 * (c.j + 1),
            poor_households=lambda c: 10 * (c.j + 1), poor_population=lambda c: 25 * (c.j + 1),
            old_district=lambda c: c.i == 0, key_village=lambda c: c.i == 1,
        ).to_crs(WGS84)

    @staticmethod
    def roads(v: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """Per village: a 600 m completed road and a 400 m unhardened one (so 60 % hardened)."""
        rows = []
        for k, (code, g) in enumerate(zip(v["village_code"], v.to_crs(UTM).geometry)):
            x0, y0 = g.bounds[0] + 100, g.bounds[1] + 100
            for status, length in (("completed", 600.0), ("unhardened", 400.0)):
                rows.append({"road_id": f"R{k}{status[0]}", "name": f"路{k}{status[0]}", "village_code": code,
                             "surface": "水泥", "status": status, "progress_pct": 100.0,
                             "coords": [(x0, y0), (x0 + length, y0)]})
                y0 += 200
        return roads(rows, crs=UTM).to_crs(WGS84)

    @staticmethod
    def sites(v: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        c = v.geometry.representative_point()
        return sites([
            {"site_id": "S1", "name": "自力村碉楼群", "site_type": "碉楼村落", "a_level": 5, "village_code": v["village_code"].iloc[0],
             "annual_visitors": 1000, "poor_households_employed": 3, "geometry": c.iloc[0]},
            {"site_id": "S2", "name": "<b>农家乐</b>", "site_type": "民宿农家乐", "village_code": v["village_code"].iloc[3],
             "annual_visitors": 50, "poor_households_employed": 1, "geometry": c.iloc[3]},
        ])

    @staticmethod
    def enterprises(v: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        c = v.geometry.representative_point()
        return enterprises([
            {"enterprise_id": "E1", "name": "开平农业公司", "industry": "农业", "is_leading": True, "employees": 50,
             "geometry": c.iloc[1]},
            {"enterprise_id": "E2", "name": "金鸡食品厂", "industry": "食品", "is_leading": False, "employees": 20,
             "geometry": c.iloc[4]},
        ])

    @staticmethod
    def pairings(v: gpd.GeoDataFrame) -> pd.DataFrame:
        """E1 pairs village 0 (active) and village 3 (ended); E2 pairs village 4 (active, open-ended)."""
        codes = list(v["village_code"])
        spec = [("P1", "E1", 0, "产业", "2019-01-01", "2022-12-31", 10.0, 2), ("P2", "E1", 3, "就业", "2018-01-01", "2019-12-31", 5.0, 1),
                ("P3", "E2", 4, "公益", "2020-06-01", None, 2.0, 0), ("P4", "E2", 1, "产业", "2021-06-01", None, 1.0, 0)]
        return pairings({"pairing_id": p, "enterprise_id": e, "village_code": codes[k], "pairing_type": t, "start_date": s,
                         "end_date": end, "committed_wan": w, "poor_households_employed": n}
                        for p, e, k, t, s, end, w, n in spec)

    @staticmethod
    def projects(v: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """One candidate inside village 0, one line crossing villages 0–1 registered to village 1, one completed."""
        b0 = v.to_crs(UTM).geometry.iloc[0].bounds
        code = v["village_code"]
        return projects([
            {"project_id": "J1", "name": "饮水工程", "project_type": "drinking_water", "cost_wan": 30.0,
             "village_code": code.iloc[0], "xy": (b0[0] + 500, b0[1] + 500)},
            {"project_id": "J2", "name": "村道硬化", "project_type": "road_hardening", "cost_wan": 80.0,
             "village_code": code.iloc[1], "coords": [(b0[0] + 800, b0[1] + 500), (b0[0] + 1300, b0[1] + 500)]},
            {"project_id": "J3", "name": "已建桥", "project_type": "bridge", "cost_wan": 50.0, "village_code": code.iloc[0],
             "status": "completed", "xy": (b0[0] + 200, b0[1] + 200)},
        ], crs=UTM).to_crs(WGS84)

    @classmethod
    def layers(cls, n_per_town: int = 3) -> dict[str, pd.DataFrame]:
        v = cls.villages(n_per_town)
        return {"villages": v, "roads": cls.roads(v), "tourism_sites": cls.sites(v), "enterprises": cls.enterprises(v),
                "pairings": cls.pairings(v), "projects": cls.projects(v)}

    @classmethod
    def workspace(cls, where: Path, n_per_town: int = 3) -> Path:
        return workspace(where, meta={"source": "test", "as_of": cls.AS_OF}, **cls.layers(n_per_town))


class Network:
    """A small hand-computable road network (metric coordinates, UTM 49N) and a workspace built from it.

    Villages A, B (town T1) and C, D (town T2) are 1 km squares side by side along x. Roads:

    ========  ==================  ====================  =========================
    road      status              where                 length per village (m)
    ========  ==================  ====================  =========================
    R1        completed 2019      y=500, x 500..1500    A 500, B 500 (crosses A|B)
    R2        under_construction  y=500, x 2200..2800   C 600
    R3        unhardened          x=100, y 100..900     A 800
    R4        planned 2021        y=800, x 1200..1800   B 600
    R5        completed 2020      x=2500, y 100..400    C 300
    R6        unhardened          y=500, x 3100..3900   D 800
    ========  ==================  ====================  =========================

    With ``extra=True``: R7 (completed, recorded in C, but 700 m of it in B: crosses the T1|T2 border
    at x=2000) and R8 (unhardened, recorded in D, leaves the county: 400 m inside D, 600 m outside).

    Households H0–H4 at (x, y, poor, village) in :attr:`HOUSEHOLDS`; with ``extra=True`` also H5
    (recorded in A, lies in C), H6 (recorded in D, outside every village), H7 (recorded in B, on the
    A|B border), H8 (recorded in D, on the A|B border).
    """

    CRS = UTM
    X0, Y0 = 500_000.0, 2_466_000.0
    T1, T2 = "440783101", "440783102"
    CODES = {"A": f"{T1}201", "B": f"{T1}202", "C": f"{T2}201", "D": f"{T2}202"}
    #: (x, y, poor, village) — distances to the roads are given in the tests that use them.
    HOUSEHOLDS = [(600, 600, True, "A"), (100, 950, False, "A"), (2500, 700, True, "C"), (2650, 250, False, "C"),
                  (3500, 900, True, "D")]
    EXTRA_HOUSEHOLDS = [(2400, 300, True, "A"), (5000, 500, True, "D"), (1000, 400, True, "B"), (1000, 600, True, "D")]

    @classmethod
    def xy(cls, x: float, y: float) -> tuple[float, float]:
        """Network coordinates (metres from the south-west corner of A) → UTM."""
        return (cls.X0 + x, cls.Y0 + y)

    @classmethod
    def villages(cls) -> gpd.GeoDataFrame:
        return village_grid({cls.T1: "一镇", cls.T2: "二镇"}, 2, origin=(cls.X0, cls.Y0), cell=1000.0, crs=cls.CRS,
                            first=201, name="{letter}村", old_district=False, key_village=False,
                            collective_income_wan=1.0)

    @classmethod
    def roads(cls, *, extra: bool = False) -> gpd.GeoDataFrame:
        spec = [  # id, village, status, planned, completed, progress, cost, line
            ("R1", "A", "completed", 2018, 2019, 100.0, 10.0, [(500, 500), (1500, 500)]),
            ("R2", "C", "under_construction", 2020, None, 40.0, 20.0, [(2200, 500), (2800, 500)]),
            ("R3", "A", "unhardened", None, None, 0.0, 30.0, [(100, 100), (100, 900)]),
            ("R4", "B", "planned", 2021, None, 0.0, 40.0, [(1200, 800), (1800, 800)]),
            ("R5", "C", "completed", 2019, 2020, 100.0, 50.0, [(2500, 100), (2500, 400)]),
            ("R6", "D", "unhardened", None, None, 0.0, 60.0, [(3100, 500), (3900, 500)]),
        ]
        names = {s[0]: f"{s[0]}路" for s in spec}
        if extra:  # copies of R1 (its name, years, progress and cost) with their own village, status and line
            spec += [("R7", "C", "completed", 2018, 2019, 100.0, 10.0, [(1300, 200), (2300, 200)]),
                     ("R8", "D", "unhardened", 2018, 2019, 100.0, 10.0, [(3600, 300), (4600, 300)])]
            names.update(R7="R1路", R8="R1路")
        return roads(
            ({"road_id": rid, "name": names[rid], "village_code": cls.CODES[v], "status": status, "planned_year": planned,
              "completed_year": done, "progress_pct": progress, "cost_wan": cost, "coords": [cls.xy(*p) for p in line]}
             for rid, v, status, planned, done, progress, cost, line in spec),
            crs=cls.CRS,
        )

    @classmethod
    def households(cls, *, extra: bool = False) -> gpd.GeoDataFrame:
        spec = cls.HOUSEHOLDS + (cls.EXTRA_HOUSEHOLDS if extra else [])
        return households([cls.xy(x, y) for x, y, _, _ in spec], [cls.CODES[v] for *_, v in spec],
                          is_poor=[p for _, _, p, _ in spec], crs=cls.CRS)

    @classmethod
    def workspace(cls, where: Path) -> Path:
        """The network (villages, households, roads, an empty road history) as a workspace in lon/lat."""
        return workspace(where, villages=cls.villages().to_crs(WGS84), households=cls.households().to_crs(WGS84),
                         roads=cls.roads().to_crs(WGS84), road_progress=empty("road_progress"))


class Pairing:
    """Two towns, six ~1 km squares in one row, for the tourism and pairing tests.

    Villages (code suffix, key, 老区, households, poor): 240 (key, 老区, 200, 30), 241 (key, 150, 5),
    242 (老区, 100, 20) in 赤水镇; 243 (120, 12), 244 (key, 80, 2), 245 (300, 0) in 塘口镇. Pairings
    as of 2020-12-31: village 0 paired twice (E1, E2), village 1 only by an ended pairing, village 3
    by E1, village 5 by a pairing that starts later. Sites S1–S4 (one named ``<b>农家乐</b>``), an
    enterprise named ``<script>x</script>旅游公司``; 40 households per village, every third poor.
    """

    TOWNS = {"440783116": "赤水镇", "440783117": "塘口镇"}
    AS_OF = "2020-12-31"

    @classmethod
    def villages(cls) -> gpd.GeoDataFrame:
        hh = [200, 150, 100, 120, 80, 300]
        poor = [30, 5, 20, 12, 2, 0]
        return village_grid(cls.TOWNS, 3, numbering="running", households=hh, population=[h * 3 for h in hh],
                            poor_households=poor, poor_population=[p * 2 for p in poor],
                            old_district=[True, False, True, False, False, False],
                            key_village=[True, True, False, False, True, False])

    @staticmethod
    def households(v: gpd.GeoDataFrame, *, seed: int = 7, per_village: int = 40) -> gpd.GeoDataFrame:
        """Random points inside each village; every third one poor."""
        return households_in_villages(v, per_village=per_village, seed=seed)

    @staticmethod
    def sites(v: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        codes = list(v["village_code"])
        data = [
            ("S1", "自力村碉楼群", "碉楼村落", 5, codes[0], 300000, 40, (112.405, 22.305)),
            ("S2", "<b>农家乐</b>", "民宿农家乐", None, codes[1], 8000, 6, (112.415, 22.302)),
            ("S3", "红色教育基地", "红色旅游", 3, codes[3], 20000, 3, (112.435, 22.308)),
            ("S4", "生态果园", "生态农业", 2, codes[5], None, None, (112.455, 22.305)),
        ]
        return sites({"site_id": a, "name": b, "site_type": c, "a_level": d, "village_code": e, "annual_visitors": f,
                      "poor_households_employed": g, "approximate_location": False, "synthetic": True, "xy": xy}
                     for a, b, c, d, e, f, g, xy in data)

    @staticmethod
    def enterprises() -> gpd.GeoDataFrame:
        return enterprises([
            {"enterprise_id": "E1", "name": "开平农业公司", "industry": "农业", "is_leading": True, "employees": 300,
             "xy": (112.402, 22.318)},
            {"enterprise_id": "E2", "name": "<script>x</script>旅游公司", "industry": "旅游", "employees": 40,
             "xy": (112.43, 22.318)},
            {"enterprise_id": "E3", "name": "塘口商贸", "industry": "商贸", "employees": 25, "xy": (112.45, 22.318)},
        ])

    @staticmethod
    def pairings(v: gpd.GeoDataFrame) -> pd.DataFrame:
        """Village 0 paired twice (E1, E2), village 1 only by an ended pairing, village 3 by E1; E1 has 2 villages."""
        c = list(v["village_code"])
        spec = [
            ("P001", "E1", c[0], "产业", "2018-01-01", None, 50.0, 10),
            ("P002", "E2", c[0], "就业", "2019-05-01", None, 20.0, 4),
            ("P003", "E2", c[1], "商贸", "2017-01-01", "2019-12-31", 10.0, 2),
            ("P004", "E1", c[3], "公益", "2020-01-01", "2022-06-30", 5.5, None),
            ("P005", "E3", c[5], "智力", "2021-03-01", None, 3.0, 1),  # starts after the as-of date
        ]
        return pairings({"pairing_id": a, "enterprise_id": b, "village_code": d, "pairing_type": t, "start_date": s,
                         "end_date": e, "committed_wan": w, "poor_households_employed": n} for a, b, d, t, s, e, w, n in spec)

    @classmethod
    def layers(cls) -> dict[str, pd.DataFrame]:
        v = cls.villages()
        return {"villages": v, "households": cls.households(v), "tourism_sites": cls.sites(v),
                "enterprises": cls.enterprises(), "pairings": cls.pairings(v)}

    @classmethod
    def workspace(cls, folder: Path) -> Path:
        """The workspace file in ``folder`` (as the app expects it)."""
        return workspace(folder, meta={"source": "test", "as_of": cls.AS_OF}, **cls.layers())


class Briefing:
    """Two towns for the briefing: 赤水镇 (four villages) and 沙塘镇 (two), 0.02° squares in rows of
    three; one village name with ``$…$`` (Markdown maths); roads of known length each inside its own
    village (R0, R1 completed in v0; R2 completed and R3 planned in v1; R4 completed in v4; R5
    unhardened in v5); three candidate projects (one named with ``$…$``); no households.
    """

    CHISHUI, SHATANG = "440783116", "440783103"
    META = {"source": "demo", "as_of": "2020-12-31", "synthetic_note": "测试用合成数据。", "version": "3"}

    @classmethod
    def villages(cls) -> gpd.GeoDataFrame:
        hh = [400, 300, 250, 500, 800, 900]
        return village_grid(
            {cls.CHISHUI: "赤水镇", cls.SHATANG: "沙塘镇"}, (4, 2), origin=(112.30, 22.40), cell=0.02, columns=3,
            ndigits=6, first=200, name=lambda c: f"{'$测$' if c.j == 2 else ''}{c.town_name[:2]}{c.i}村",
            households=hh, population=[h * 3 for h in hh], poor_households=[60, 30, 10, 5, 20, 0],
            poor_population=[150, 80, 22, 11, 45, 0], old_district=[True, True, False, False, False, False],
            key_village=[True, False, False, False, False, False], collective_income_wan=3.0,
        )

    @staticmethod
    def roads(v: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """Road i in village k, ``dx`` degrees long, 0.003° north of road i−1's row."""
        code = v["village_code"].tolist()
        spec = [(0, 0, "completed", 2018, 0.010), (1, 0, "completed", 2019, 0.015), (2, 1, "completed", 2019, 0.005),
                (3, 1, "planned", None, 0.012), (4, 4, "completed", 2020, 0.008), (5, 5, "unhardened", None, 0.004)]
        rows = []
        for i, k, status, year, dx in spec:
            x, y = 112.301 + 0.02 * (k % 3), 22.401 + 0.02 * (k // 3) + 0.003 * i
            rows.append({"road_id": f"R{i}", "name": f"路{i}", "village_code": code[k], "surface": "水泥", "status": status,
                         "planned_year": 2018, "completed_year": year, "cost_wan": 10.0,
                         "coords": [(round(x, 6), y), (round(x + dx, 6), y)]})
        return roads(rows)

    @staticmethod
    def projects(v: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        code = v["village_code"].tolist()
        spec = [("步栏村道路硬化$工程$", "road_hardening", 120.0, 0), ("三合饮水工程", "drinking_water", 80.5, 1),
                ("沙塘桥", "bridge", 300.0, 4)]
        return projects({"project_id": f"P{i}", "name": n, "project_type": tp, "cost_wan": c, "village_code": code[k],
                         "xy": (112.305 + 0.02 * (k % 3), 22.405 + 0.02 * (k // 3))}
                        for i, (n, tp, c, k) in enumerate(spec))

    @classmethod
    def layers(cls) -> dict[str, pd.DataFrame]:
        v = cls.villages()
        return {"villages": v, "roads": cls.roads(v), "projects": cls.projects(v)}

    @classmethod
    def workspace(cls, where: Path, **extra: pd.DataFrame) -> Path:
        meta = {k: v for k, v in cls.META.items() if k != "version"}
        return workspace(where, meta=meta, **{**cls.layers(), **extra})

    @classmethod
    def portfolio(cls) -> pd.DataFrame:
        """A portfolio as the planning page might leave it (no geometry; households counted)."""
        p = cls.layers()["projects"].drop(columns="geometry")
        return pd.DataFrame(p).assign(households=[500, 300, 200], poor_households=[50, 30, 20])


def planning_layers(rng: np.random.Generator, n_hh: int = 600) -> dict[str, gpd.GeoDataFrame]:
    """Three villages (the middle one key), ``n_hh`` random households, five projects, two roads.

    Projects: W1 drinking water (candidate, ``name`` with ``<script>``), R1 road hardening (approved,
    a line across the county), B1 bridge, C1 drinking water (completed), D1 irrigation (a polygon);
    roads r1 (completed, the south edge) and r2 (planned, the north edge). Draws from ``rng``:
    household x, then y, then members (1–5), then poor (30 %).
    """
    villages = village_row(3)
    villages["is_key_village"] = [False, True, False]
    b = villages.total_bounds
    xy = np.column_stack([rng.uniform(b[0], b[2], n_hh), rng.uniform(b[1], b[3], n_hh)])
    members, poor = rng.integers(1, 6, n_hh), rng.random(n_hh) < 0.3
    hh = households(xy, village_at(villages, xy), members=members, is_poor=poor)
    cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    codes = hh["village_code"].tolist()
    spec = [("W1", "饮水<script>", "drinking_water", 50.0, "candidate", shapely.Point(cx - 0.01, cy)),
            ("R1", "道路", "road_hardening", 200.0, "approved", shapely.LineString([(b[0], cy), (b[2], cy + 0.003)])),
            ("B1", "桥", "bridge", 80.0, "candidate", shapely.Point(cx + 0.012, cy + 0.004)),
            ("C1", "已建饮水", "drinking_water", 30.0, "completed", shapely.Point(cx - 0.012, cy - 0.002)),
            ("D1", "灌溉", "irrigation", 60.0, "candidate", shapely.box(cx, cy - 0.002, cx + 0.003, cy + 0.002))]
    proj = projects({"project_id": p, "name": n, "project_type": t, "cost_wan": c, "village_code": codes[k],
                     "status": s, "geometry": g} for k, (p, n, t, c, s, g) in enumerate(spec))
    rd = roads([{"road_id": "r1", "name": "路1", "village_code": villages["village_code"].iloc[0], "status": "completed",
                 "coords": [(b[0], b[1]), (b[2], b[1])]},
                {"road_id": "r2", "name": "路2", "village_code": villages["village_code"].iloc[0], "status": "planned",
                 "coords": [(b[0], b[3]), (b[2], b[3])]}])
    return {"villages": villages, "households": hh, "projects": proj, "roads": rd}


# =========================================================================== import files


def import_villages(n: int = 4) -> gpd.GeoDataFrame:
    """The import tests' villages: :func:`village_row` of ``n`` (codes ``440783116240…``)."""
    return village_row(n)


def import_households() -> gpd.GeoDataFrame:
    """Eight households spread inside the four import villages (seeded), every other one poor, all 因病."""
    xy = uniform_points(np.random.default_rng(7), 8, (112.401, 0.038), (22.301, 0.008))
    return households(xy, village_at(import_villages(), xy), ids="H{k:03d}", is_poor=lambda k: k % 2 == 0,
                      poverty_cause="因病")


def import_workspace(folder: Path) -> Path:
    """A small valid workspace (four villages + eight households) in ``folder``."""
    return workspace(folder, villages=import_villages(), households=import_households())


def site_points(n: int = 12) -> np.ndarray:
    """``n`` seeded lon/lat points inside the four import villages."""
    return uniform_points(np.random.default_rng(11), n, (112.4015, 0.037), (22.3015, 0.007))


def zip_bytes(files: Mapping[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def shapefile_zip(gdf: gpd.GeoDataFrame, tmp: Path, *, encoding: str = "UTF-8", keep_cpg: bool = True,
                  drop: tuple[str, ...] = (), stem: str = "layer") -> bytes:
    """A zipped shapefile written by GDAL (optionally GBK without .cpg, or missing parts)."""
    d = tmp / f"shp-{stem}-{encoding}-{keep_cpg}-{'-'.join(drop)}"
    d.mkdir(parents=True, exist_ok=True)
    pyogrio.write_dataframe(gdf, str(d / f"{stem}.shp"), encoding=encoding)
    files = {}
    for p in sorted(d.iterdir()):
        if (p.suffix == ".cpg" and not keep_cpg) or p.suffix in drop:
            continue
        files[p.name] = p.read_bytes()
    return zip_bytes(files)


def xlsx_bytes(df: pd.DataFrame, *, merge: str | None = None, title_row: str | None = None) -> bytes:
    """An Excel file; ``merge`` merges a header range (e.g. "A1:B1"), ``title_row`` adds a merged title above."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    if title_row:
        ws.append([title_row] + [None] * (len(df.columns) - 1))
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(df.columns))
    ws.append(list(df.columns))
    for row in df.itertuples(index=False):
        ws.append(list(row))
    if merge:
        ws.merge_cells(merge)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def points_table(points: np.ndarray, *, datum: str = "wgs84", swap: bool = False) -> pd.DataFrame:
    """Tourism-site rows with 经度/纬度 columns, optionally converted to GCJ-02/BD-09 or swapped."""
    x, y = points[:, 0], points[:, 1]
    if datum == "gcj02":
        x, y = wgs84_to_gcj02(x, y)
    elif datum == "bd09":
        x, y = wgs84_to_bd09(x, y)
    lon, lat = (y, x) if swap else (x, y)
    n = len(points)
    return pd.DataFrame({
        "景点编号": [f"S{i}" for i in range(n)], "名称": [f"景点{i}" for i in range(n)], "类型": ["古镇古村"] * n,
        "所在村代码": list(village_at(import_villages(), points)), "经度": lon, "纬度": lat,
    })


def geojson_bytes(gdf: gpd.GeoDataFrame) -> bytes:
    return json.dumps(json.loads(gdf.to_json(drop_id=True)), ensure_ascii=False).encode("utf-8")


# =========================================================================== a county-sized stand-in


def county_like(seed: int = 7) -> dict[str, pd.DataFrame]:
    """A Kaiping-sized stand-in (real boundary, names and codes; Voronoi villages; synthetic figures).

    For the benchmark when the shipped demo is not available.
    """
    from bangfu.demo.layout import TOWNS
    from bangfu.demo.sources import load_county_boundary, load_village_table, short_name

    rng = np.random.default_rng(seed)
    county = gpd.GeoSeries([load_county_boundary()], crs=WGS84).to_crs(UTM).iloc[0]
    table = load_village_table()
    codes = list(TOWNS)
    centres = gpd.GeoSeries(gpd.points_from_xy([TOWNS[c].centre[0] for c in codes],
                                               [TOWNS[c].centre[1] for c in codes]), crs=WGS84).to_crs(UTM)
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
    r_rows = []
    for i, g in enumerate(vg.geometry):
        c = g.representative_point()
        for j in range(2):
            ang = rng.uniform(0, 2 * np.pi)
            end = shapely.Point(c.x + 900 * np.cos(ang), c.y + 900 * np.sin(ang))
            line = shapely.LineString([c, end]).intersection(g)
            if line.is_empty or line.geom_type != "LineString":
                continue
            r_rows.append({"road_id": f"R{i:03d}{j}", "name": f"{vg.loc[i, 'village_name']}{j + 1}号路",
                           "village_code": vg.loc[i, "village_code"], "surface": "水泥",
                           "status": str(rng.choice(statuses, p=[0.7, 0.1, 0.1, 0.1])), "progress_pct": 100.0,
                           "geometry": line})
    pick = rng.choice(n, 20, replace=False)
    types = ["碉楼村落", "古镇古村", "生态农业", "红色旅游", "自然风光", "民宿农家乐"]
    sites_ = sites(({"site_id": f"S{i:02d}", "name": f"{vg.loc[k, 'village_name']}景点", "site_type": types[i % len(types)],
                     "a_level": 3, "village_code": vg.loc[k, "village_code"], "geometry": vg.geometry.iloc[k].representative_point()}
                    for i, k in enumerate(pick)), crs=UTM)
    epick = rng.choice(n, 25, replace=False)
    ent_ = enterprises(({"enterprise_id": f"E{i:02d}", "name": f"开平{i}号企业", "is_leading": i < 5,
                         "geometry": vg.geometry.iloc[k].representative_point()} for i, k in enumerate(epick)), crs=UTM)
    needy = np.flatnonzero(vg["is_old_district"] | vg["is_key_village"])
    pv = rng.choice(needy, int(len(needy) * 0.8), replace=False)
    pair_ = pairings({"pairing_id": f"P{i:03d}", "enterprise_id": f"E{rng.integers(25):02d}",
                      "village_code": vg.loc[k, "village_code"]} for i, k in enumerate(pv))
    proj_ = projects(({"project_id": f"J{i:02d}", "name": f"候选项目{i}", "project_type": "drinking_water", "cost_wan": 50.0,
                       "village_code": vg.loc[k, "village_code"], "geometry": vg.geometry.iloc[k].representative_point()}
                      for i, k in enumerate(pick[:10])), crs=UTM)
    return {"villages": vg.to_crs(WGS84), "roads": roads(r_rows, crs=UTM).to_crs(WGS84), "tourism_sites": sites_.to_crs(WGS84),
            "enterprises": ent_.to_crs(WGS84), "pairings": pair_, "projects": proj_.to_crs(WGS84)}


# =========================================================================== accounts and signing in

#: The password of every account the tests create.
TEST_PASSWORD = "test passphrase 1"
#: The towns of the town planner :func:`role_accounts` creates (赤水镇).
TOWN_PLANNER_TOWNS = (CHISHUI,)


def account(folder: Path, username: str, role: str, *, towns: Sequence[str] = (), password: str = TEST_PASSWORD,
            display_name: str = "", email: str = "") -> Principal:
    """Create an account in the office of a workspace folder (as the command line's administrator, audited) and
    return the principal it signs in as. Once an office has an account, the app shows nothing before sign-in."""
    from bangfu.workspace import access, accounts

    made = accounts.add_user(folder, access.cli_principal(), username, password, role, towns=towns,
                             display_name=display_name, email=email)
    return made.principal()


def role_accounts(folder: Path) -> dict[str, Principal]:
    """One account per role of :data:`bangfu.workspace.access.ROLES`, named after the role (``admin``,
    ``county_planner``, ``town_planner`` in :data:`TOWN_PLANNER_TOWNS`, ``viewer``), password :data:`TEST_PASSWORD`."""
    from bangfu.workspace.access import ROLES

    return {key: account(folder, key, key, towns=TOWN_PLANNER_TOWNS if spec.town_scoped else ())
            for key, spec in ROLES.items()}


def sign_in(at: Any, folder: Path, username: str) -> str:
    """Sign an AppTest (``streamlit.testing.v1.AppTest``, before ``at.run()``) in as ``username``: a new session in
    the folder's office, its token in the session state where the login gate looks. Returns the token."""
    from bangfu.ui.auth import SESSION_KEY
    from bangfu.workspace import accounts

    token = accounts.start_session(folder, username)
    at.session_state[SESSION_KEY] = token
    return token

def run_page(folder: Path, path: str, query: Mapping[str, str], *, user: str = "chief", timeout: float = 180) -> Any:
    """Page ``path`` (relative to the checkout, e.g. ``pages/roads.py``) run once in AppTest as ``user`` with the URL
    ``query``; asserts it ran without an exception or an error message, and returns the AppTest."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / path), default_timeout=timeout)
    sign_in(at, folder, user)
    for k, val in query.items():
        at.query_params[k] = val
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at

# =========================================================================== signed-in users


def as_user(name: str = "规划员", role: str = "county_planner", towns: Sequence[str] = ()) -> Any:
    """A signed-in principal (:class:`bangfu.workspace.access.Principal`) for data-layer calls: by default a
    county planner, who may edit and see household data everywhere; the edit history records ``name``."""
    from bangfu.workspace.access import Principal

    return Principal(name, role, towns=tuple(towns))


def role_users(town: str = CHISHUI) -> dict[str, Any]:
    """One principal per role (a town planner with the one town ``town``) and ``None`` (not signed in)."""
    return {"admin": as_user("管理员甲", "admin"), "county_planner": as_user("县规划员", "county_planner"),
            "town_planner": as_user("镇规划员", "town_planner", (town,)), "viewer": as_user("查看者", "viewer"),
            "none": None}


class Roles:
    """The scene of the role tests: :class:`Pairing`'s two towns (赤水镇 440783116: villages 0–2; 塘口镇
    440783117: villages 3–5) with households whose ids (``HHID-<village>-<nnn>``) are easy to spot in a page,
    one road per town (``RA1`` in 赤水镇, ``RB1`` in 塘口镇), two candidate projects and a few households in a
    village of their own (3 in village 5) so that small cells exist."""

    OWN, OTHER = "440783116", "440783117"

    @classmethod
    def layers(cls) -> dict[str, pd.DataFrame]:
        layers = Pairing.layers()
        v = layers["villages"]
        hh = households_in_villages(v.iloc[:5], per_village=12)
        few = households_in_villages(v.iloc[5:], per_village=3, seed=11)
        hh = pd.concat([hh, few], ignore_index=True)
        hh["household_id"] = "HHID-" + hh["household_id"].astype(str)
        layers["households"] = gpd.GeoDataFrame(hh, geometry="geometry", crs=v.crs)
        codes = list(v["village_code"])
        c0, c3 = v.geometry.iloc[0].centroid, v.geometry.iloc[3].centroid
        layers["roads"] = roads([
            {"road_id": "RA1", "village_code": codes[0], "status": "unhardened", "cost_wan": 10.0,
             "coords": [(c0.x - 0.003, c0.y), (c0.x + 0.003, c0.y)]},
            {"road_id": "RB1", "village_code": codes[3], "status": "unhardened", "cost_wan": 20.0,
             "coords": [(c3.x - 0.003, c3.y), (c3.x + 0.003, c3.y)]},
        ], crs=str(v.crs))
        layers["road_progress"] = empty("road_progress")
        layers["projects"] = projects([
            {"project_id": "PJ1", "name": "赤水饮水", "project_type": "drinking_water", "cost_wan": 50.0,
             "village_code": codes[1], "xy": (v.geometry.iloc[1].centroid.x, v.geometry.iloc[1].centroid.y)},
            {"project_id": "PJ2", "name": "塘口卫生室", "project_type": "clinic", "cost_wan": 80.0,
             "village_code": codes[5], "xy": (v.geometry.iloc[5].centroid.x, v.geometry.iloc[5].centroid.y)},
        ], crs=str(v.crs))
        return layers

    @classmethod
    def workspace(cls, folder: Path) -> Path:
        return workspace(folder, meta={"source": "test", "as_of": Pairing.AS_OF}, **cls.layers())
