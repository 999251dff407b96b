"""Headless Chromium: the app loads, the village map is drawn, and nothing is fetched from the internet."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser_util import ARTIFACTS, browser_page, map_frame, running_app, settle

pytestmark = pytest.mark.browser


def test_overview_map_draws_offline(tmp_path: Path):
    with running_app(tmp_path / "ws") as base, browser_page() as (page, log, dialogs):
        page.goto(base + "/", wait_until="domcontentloaded")
        frame = map_frame(page)
        n_paths = frame.locator("path.leaflet-interactive").count()
        assert n_paths >= 250, f"expected the demo's villages drawn, got {n_paths} paths"
        assert frame.evaluate("typeof L !== 'undefined' && L.version") , "Leaflet did not load"
        settle(page)
        page.screenshot(path=str(ARTIFACTS / "overview_county.png"), full_page=False)
        assert "帮扶地图" in page.title(), page.title()
        assert "总览地图" in page.locator("[data-testid='stMain'] h1").first.inner_text()
        assert not log.foreign, f"requests to non-local hosts: {log.foreign[:10]}"
        assert not dialogs
