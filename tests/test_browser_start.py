"""Headless Chromium: a new county's workspace chosen in the URL stays chosen when the user follows the page links
(other page → 开始使用 → the data page's import step with the next layer chosen)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bangfu.workspace import schema, store
from browser_util import ARTIFACTS, browser_page, running_app, settle
from factories import import_households, import_villages, workspace

pytestmark = pytest.mark.browser


def _main_text(page) -> str:
    """The main area's text once it holds the page's title."""
    return page.locator("[data-testid='stMain']").inner_text()


def test_new_workspace_leads_from_any_page_to_the_import_step(tmp_path: Path):
    folder = tmp_path / "office"
    workspace(folder, villages=import_villages(), households=import_households())
    partial = {n: store.empty_layer(n) for n, lay in schema.LAYERS.items() if not lay.optional}
    partial["villages"] = import_villages()  # villages only: the next step is households
    workspace(folder / "workspaces" / "211224.gpkg", meta={"source": "new", "county_code": "211224",
                                                           "county_name": "昌图县"}, **partial)
    with running_app(folder) as base, browser_page() as (page, log, dialogs):
        page.goto(f"{base}/roads?ws=211224", wait_until="domcontentloaded")
        settle(page)
        assert "本页需要先导入：农村道路。" in _main_text(page)
        page.locator("[data-testid='stMain'] a", has_text="去“开始使用”页").first.click()
        page.locator("[data-testid='stMain'] h1", has_text="开始使用").wait_for(timeout=90_000)
        settle(page)
        text = _main_text(page)
        assert "开始使用" in text and "下一步：导入“农户”。" in text, text[:500]
        assert "ws=211224" in page.url, page.url
        page.screenshot(path=str(ARTIFACTS / "start_new_workspace.png"), full_page=False)
        page.locator("[data-testid='stMain'] a", has_text="去“数据管理”页导入").first.click()
        page.locator("[data-testid='stMain'] h1", has_text="数据管理").wait_for(timeout=90_000)
        settle(page)
        assert "数据管理" in page.locator("[data-testid='stMain'] h1").first.inner_text()
        assert "layer=households" in page.url and "ws=211224" in page.url, page.url
        layer_box = page.locator("[data-testid='stMain'] [data-testid='stSelectbox']").first
        assert layer_box.locator("input[role='combobox']").input_value() == "农户", "the linked layer is chosen"
        picker = page.locator("[data-testid='stSidebar'] input[aria-label='当前工作空间']")
        assert picker.input_value().startswith("昌图县"), "the sidebar still names the chosen workspace"
        errors = page.locator("[data-testid='stException']")
        assert errors.count() == 0
        assert not log.foreign and not dialogs
