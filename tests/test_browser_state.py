"""Headless Chromium: the chosen town and language follow the user through the page links and a reload."""

from __future__ import annotations

from pathlib import Path

import pytest

from bangfu.core.labels import t
from bangfu.ui.pages import PAGES
from browser_util import ARTIFACTS, browser_page, running_app, settle

pytestmark = pytest.mark.browser

TOWN, TOWN_NAME = "440783116", "赤水镇"


def _title(page) -> str:
    return page.locator("[data-testid='stMain'] h1").first.inner_text()


def _chosen_town(page) -> str:
    box = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").first
    return box.inner_text() + " " + box.locator("input").input_value() + " " + (box.text_content() or "")


def test_town_and_language_survive_page_links_and_a_reload(tmp_path: Path):
    from playwright.sync_api import expect

    with running_app(tmp_path / "ws") as base, browser_page() as (page, log, dialogs):
        page.goto(base + "/overview", wait_until="domcontentloaded")
        settle(page)
        box = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").filter(has_text=t("sidebar.town", "zh"))
        box.locator("input").click()
        page.keyboard.type(TOWN_NAME)
        page.keyboard.press("Enter")
        expect(page.locator("[data-testid='stMain'] h1").first).to_contain_text(TOWN_NAME, timeout=60_000)
        settle(page)
        page.locator("[data-testid='stSidebar'] label").filter(has_text="English").click()
        expect(page.locator("[data-testid='stMain'] h1").first).to_contain_text(t("page.overview", "en"), timeout=60_000)
        settle(page)

        for spec in [p for p in PAGES if p.url_path in ("roads", "planning", "overview")]:
            page.locator("[data-testid='stSidebar'] a").filter(has_text=t(spec.label, "en")).first.click()
            page.wait_for_url(f"**/{spec.url_path}?*", timeout=60_000)
            expect(page.locator("[data-testid='stMain'] h1").first).to_contain_text(t(spec.label, "en"),
                                                                                    timeout=60_000)
            settle(page)
            assert TOWN_NAME in _title(page), (spec.url_path, _title(page))
            assert TOWN_NAME in _chosen_town(page)
            assert f"town={TOWN}" in page.url and "lang=en" in page.url, page.url

        page.locator("[data-testid='stSidebar'] a").filter(has_text=t("page.roads", "en")).first.click()
        page.wait_for_url("**/roads?*", timeout=60_000)
        settle(page)
        page.reload(wait_until="domcontentloaded")  # a new session: only the URL carries the choices
        settle(page)
        expect(page.locator("[data-testid='stMain'] h1").first).to_contain_text(t("page.roads", "en"), timeout=60_000)
        assert TOWN_NAME in _title(page) and TOWN_NAME in _chosen_town(page)
        page.screenshot(path=str(ARTIFACTS / "state_after_reload.png"))

        # back to the whole county: the town leaves the URL and the next page shows the county again
        box = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").first
        box.locator("input").click()
        page.keyboard.type(t("sidebar.all_towns", "en"))
        page.keyboard.press("Enter")
        expect(page.locator("[data-testid='stMain'] h1").first).not_to_contain_text(TOWN_NAME, timeout=60_000)
        settle(page)
        page.locator("[data-testid='stSidebar'] a").filter(has_text=t("page.tourism", "en")).first.click()
        page.wait_for_url("**/tourism*", timeout=60_000)
        expect(page.locator("[data-testid='stMain'] h1").first).to_contain_text(t("page.tourism", "en"), timeout=60_000)
        settle(page)
        assert TOWN_NAME not in _title(page) and "town=" not in page.url and "lang=en" in page.url, page.url
        assert not log.foreign and not dialogs
