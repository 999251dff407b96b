"""Headless Chromium tour of every page: it renders, shows no error, and asks nothing of the internet."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bangfu.ui.pages import PAGES
from browser_util import ARTIFACTS, browser_page, running_app

pytestmark = pytest.mark.browser


def _settle(page, timeout_s: float = 90.0) -> None:
    """Wait until Streamlit has finished running the script (no running indicator) for a moment."""
    deadline = time.time() + timeout_s
    page.wait_for_selector("[data-testid='stMain'] h1", timeout=int(timeout_s * 1000))
    quiet = 0
    while time.time() < deadline:
        running = page.locator("[data-testid='stStatusWidget']").count()
        quiet = quiet + 1 if running == 0 else 0
        if quiet >= 4:
            return
        page.wait_for_timeout(500)
    raise AssertionError("the page kept running for too long")


def test_every_page_renders_offline_without_errors(tmp_path: Path):
    with running_app(tmp_path / "ws") as base, browser_page() as (page, log, dialogs):
        for spec in PAGES:
            page.goto(f"{base}/{spec.url_path}", wait_until="domcontentloaded")
            _settle(page)
            page.wait_for_timeout(2500)  # let maps and charts draw
            page.screenshot(path=str(ARTIFACTS / f"page_{spec.url_path}.png"), full_page=False)
            errors = page.locator("[data-testid='stException'], [data-testid='stAlertContentError']")
            texts = [errors.nth(i).inner_text() for i in range(errors.count())]
            assert not [t for t in texts if "Traceback" in t or "Error" in t], (spec.path, texts)
            assert page.locator("[data-testid='stException']").count() == 0, (spec.path, texts)
            nav = page.locator("[data-testid='stSidebar']").inner_text()
            assert "总览地图" in nav and "领导简报" in nav and "overview" not in nav, nav
        assert not log.foreign, f"requests to non-local hosts: {sorted(set(log.foreign))[:10]}"
        assert not dialogs
