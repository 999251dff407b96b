"""Headless Chromium: a tab stays open after a download or a button inside it, and a road's "saved" message shows
next to the form that saved it (not at the top of the page)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bangfu.core.labels import t
from browser_util import ARTIFACTS, browser_page, running_app, settle

pytestmark = pytest.mark.browser


def _tab(page, label: str):
    return page.locator("[data-testid='stMain'] [role='tab']").filter(has_text=label).first


def _open_tab(page, label: str) -> None:
    from playwright.sync_api import expect

    _tab(page, label).click()
    expect(_tab(page, label)).to_have_attribute("aria-selected", "true", timeout=60_000)
    settle(page)


def test_tabs_stay_after_download_and_buttons_and_messages_stay_near(tmp_path: Path):
    from playwright.sync_api import expect

    with running_app(tmp_path / "ws") as base, browser_page() as (page, log, dialogs):
        page.goto(base + "/planning", wait_until="domcontentloaded")
        settle(page)
        portfolio = t("planning.portfolio", "zh")
        _open_tab(page, portfolio)
        with page.expect_download(timeout=60_000) as download:
            page.get_by_role("button", name=t("planning.download", "zh")).click()
        assert download.value.suggested_filename.endswith(".xlsx")
        settle(page)
        expect(_tab(page, portfolio)).to_have_attribute("aria-selected", "true")

        scenarios = t("planning.scenarios", "zh")
        _open_tab(page, scenarios)
        page.get_by_role("button", name=t("planning.save_a", "zh")).click()  # a button inside the tab: a rerun
        expect(page.locator("[data-testid='stMain']").get_by_text(t("planning.setting", "zh")).first).to_be_visible(
            timeout=60_000)
        settle(page)
        expect(_tab(page, scenarios)).to_have_attribute("aria-selected", "true")

        # roads: save an edit in the 修改道路 tab; the tab stays and the message is beside the form, in view
        page.locator("[data-testid='stSidebar'] a").filter(has_text=t("page.roads", "zh")).first.click()
        page.wait_for_url("**/roads*", timeout=60_000)
        settle(page)
        edit = t("roads.tab.edit", "zh")
        _open_tab(page, edit)
        cost = page.get_by_label("投资(万元)")
        cost.scroll_into_view_if_needed()
        old = float(cost.input_value())
        cost.click()
        cost.press("Control+A")
        cost.press_sequentially(f"{old + 1:.2f}")
        cost.press("Tab")
        page.get_by_role("button", name=t("roads.edit.submit", "zh")).click()
        message = page.locator("[data-testid='stMain'] [data-testid='stAlertContentSuccess']").filter(has_text="已保存")
        expect(message).to_be_visible(timeout=60_000)
        settle(page)
        expect(_tab(page, edit)).to_have_attribute("aria-selected", "true")
        in_tab = page.locator("[role='tabpanel'] [data-testid='stAlertContentSuccess']").filter(has_text="已保存")
        assert in_tab.count() == 1  # inside the edit tab …
        form = page.locator("[data-testid='stMain'] [data-testid='stForm']").first.bounding_box()
        box = message.bounding_box()
        assert form is not None and box is not None and 0 <= box["y"] - (form["y"] + form["height"]) < 200  # … under the form
        page.screenshot(path=str(ARTIFACTS / "roads_saved_message.png"))
        assert not log.foreign and not dialogs
