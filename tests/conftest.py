"""Shared fixtures: small hand-built layers and a throwaway workspace."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterator

import geopandas as gpd
import pytest
import shapely

ROOT = Path(__file__).resolve().parents[1]
# Import this checkout's package even when another checkout is installed in editable mode.
sys.path.insert(0, str(ROOT / "src"))
DEMO = ROOT / "geodata" / "kaiping_demo.gpkg"


def village_frame(n: int = 3, *, town: str = "440783116") -> gpd.GeoDataFrame:
    """``n`` adjacent 1 km-ish square villages in one town, all valid."""
    rows = []
    for i in range(n):
        rows.append(
            {
                "village_code": f"{town}{240 + i:03d}",
                "village_name": f"测试{i}村",
                "town_code": town,
                "town_name": "赤水镇",
                "county_code": town[:6],
                "county_name": "开平市",
                "households": 100,
                "population": 300,
                "poor_households": 10,
                "poor_population": 25,
                "is_old_district": i == 0,
                "is_key_village": i == 0,
                "collective_income_wan": 5.0,
            }
        )
    geoms = [shapely.box(112.40 + 0.01 * i, 22.30, 112.41 + 0.01 * i, 22.31) for i in range(n)]
    return gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")


@pytest.fixture
def villages() -> gpd.GeoDataFrame:
    return village_frame()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A private copy of the demo workspace."""
    from bangfu.workspace import store

    if not DEMO.exists():
        pytest.fail("geodata/kaiping_demo.gpkg is missing: run `python -m bangfu.demo build`")
    return store.ensure_workspace(tmp_path / "ws", demo=DEMO)


@pytest.fixture(autouse=True)
def _isolated_workspace_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never let a test touch the user's real workspace folder."""
    if "BANGFU_WORKSPACE" not in os.environ or not os.environ["BANGFU_WORKSPACE"].startswith("/tmp"):
        monkeypatch.setenv("BANGFU_WORKSPACE", str(tmp_path_factory.mktemp("default-ws")))


_REAL_MAIN = sys.modules.get("__main__")


@pytest.fixture(autouse=True)
def _restore_main_module() -> Iterator[None]:
    """AppTest leaves the app script as ``sys.modules['__main__']``; a later ``spawn`` child would
    then re-run that script. Put pytest's own main module back after every test."""
    yield
    if _REAL_MAIN is not None and sys.modules.get("__main__") is not _REAL_MAIN:
        sys.modules["__main__"] = _REAL_MAIN
