"""Headless Chromium on a workspace whose town is named ``![x](http://evil.example/a.png)`` (and whose villages, sites,
enterprises, projects and roads carry links, ``<img>`` tags and control characters): every page, with that town
chosen, shows the name as typed and asks no host but localhost for anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from bangfu.core.resources import DEMO_PATH
from bangfu.ui.feedback import WORD_JOINER
from bangfu.ui.pages import PAGES
from browser_util import ARTIFACTS, browser_page, running_app, settle
from hostile_names import MD_IMAGE, hostile_workspace

pytestmark = pytest.mark.browser


def test_markdown_image_in_a_town_name_fetches_nothing(tmp_path: Path):
    ws, town = hostile_workspace(tmp_path / "ws", DEMO_PATH)
    with running_app(ws.parent) as base, browser_page() as (page, log, dialogs):
        for spec in PAGES:
            page.goto(f"{base}/{spec.url_path}?town={town}", wait_until="domcontentloaded")
            settle(page)
            main = page.locator("[data-testid='stMain']")
            assert page.locator("[data-testid='stException']").count() == 0, spec.path
            assert main.locator("img[src*='evil'], a[href*='//evil']").count() == 0, spec.path
            if spec.area:  # the title names the chosen town
                title = main.locator("h1").first.inner_text().replace(WORD_JOINER, "")
                assert MD_IMAGE in title, (spec.path, title)  # shown as typed, not as an image
            page.screenshot(path=str(ARTIFACTS / f"hostile_{spec.url_path}.png"), full_page=False)
        assert not log.foreign, f"requests to non-local hosts: {sorted(set(log.foreign))[:10]}"
        assert not dialogs
