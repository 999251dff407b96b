"""Headless Chromium tour of every page: it renders, shows no error, and asks nothing of the internet."""

from __future__ import annotations

from pathlib import Path

import pytest

from bangfu.core.labels import t
from bangfu.ui.pages import PAGES
from browser_util import ARTIFACTS, browser_page, running_app, settle

pytestmark = pytest.mark.browser


def test_every_page_renders_offline_without_errors(tmp_path: Path):
    with running_app(tmp_path / "ws") as base, browser_page() as (page, log, dialogs):
        for spec in PAGES:
            page.goto(f"{base}/{spec.url_path}", wait_until="domcontentloaded")
            settle(page)  # the script run is over, maps drew their paths, images loaded
            title = page.locator("[data-testid='stMain'] h1").first.inner_text()
            assert t(spec.label, "zh") in title, (spec.path, title)
            page.screenshot(path=str(ARTIFACTS / f"page_{spec.url_path}.png"), full_page=False)
            errors = page.locator("[data-testid='stException'], [data-testid='stAlertContentError']")
            texts = [errors.nth(i).inner_text() for i in range(errors.count())]
            assert not [x for x in texts if "Traceback" in x or "Error" in x], (spec.path, texts)
            assert page.locator("[data-testid='stException']").count() == 0, (spec.path, texts)
            nav = page.locator("[data-testid='stSidebar']").inner_text()
            assert "总览地图" in nav and "领导简报" in nav and "overview" not in nav, nav
        assert not log.foreign, f"requests to non-local hosts: {sorted(set(log.foreign))[:10]}"
        assert not dialogs
