"""Headless Chromium on the small synthetic province: the overview at province level draws its map, names 辽宁省,
heads the table of its cities, and ``?area=<county>`` opens that county (kept in the URL, in the title)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bangfu.workspace import store
from browser_util import ARTIFACTS, browser_page, map_frame, running_app, settle

pytestmark = pytest.mark.browser


def test_province_view(tmp_path: Path, province_gpkg: Path):
    folder = tmp_path / "ws"
    store.ensure_workspace(folder, demo=province_gpkg)
    with running_app(folder) as base, browser_page() as (page, log, dialogs):
        page.goto(f"{base}/overview", wait_until="domcontentloaded")
        settle(page)
        title = page.locator("[data-testid='stMain'] h1").first.inner_text()
        assert "总览地图" in title and "辽宁省" in title, title
        map_frame(page)  # the map drew its village paths
        main = page.locator("[data-testid='stMain']").inner_text()
        assert "辽宁省 · 市" in main, main[-300:]  # the table of the level below (its rows are drawn on a canvas)
        page.screenshot(path=str(ARTIFACTS / "province_overview.png"), full_page=False)
        page.goto(f"{base}/overview?area=210202", wait_until="domcontentloaded")
        settle(page)
        title = page.locator("[data-testid='stMain'] h1").first.inner_text()
        assert "中山区" in title, title
        assert "area=210202" in page.url
        assert page.locator("[data-testid='stException']").count() == 0
        assert not log.foreign, f"requests to non-local hosts: {sorted(set(log.foreign))[:10]}"
        assert not dialogs
