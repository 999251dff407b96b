"""Headless Chromium: an error box reads exactly as written (Markdown escapes invisible), a flash shows once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bangfu.workspace import store
from browser_util import APP_IDLE, ARTIFACTS, browser_page, running_app

pytestmark = pytest.mark.browser


def test_workspace_error_reads_as_written_and_restore_flashes_once(tmp_path: Path):
    folder = tmp_path / "ws"
    folder.mkdir()
    (folder / store.WORKSPACE_FILE).write_bytes(b"[x](http://evil.example) not a geopackage" * 10)
    with running_app(folder) as base, browser_page() as (page, log, _dialogs):
        page.goto(f"{base}/overview", wait_until="domcontentloaded")
        box = page.locator("[data-testid='stAlertContentError']").first
        box.wait_for(timeout=90_000)
        page.screenshot(path=str(ARTIFACTS / "feedback_workspace_error.png"))
        text = " ".join(box.inner_text().split())
        expected = (f"工作空间无法打开：工作空间文件已损坏或不是 GeoPackage：{store.WORKSPACE_FILE} "
                    f"建议：{store.RESTORE_HINT_ZH}")
        assert text == expected, text  # no backslash, no lost "." or "-": the escaping is invisible
        assert page.locator("[data-testid='stException']").count() == 0

        page.get_by_role("button", name="恢复示例数据").click()
        confirm = page.get_by_role("button", name="确认恢复示例数据")
        confirm.wait_for(timeout=90_000)  # an administrator is asked first; the unusable file is kept aside
        assert "另存" in page.locator("[data-testid='stAlertContentWarning']").first.inner_text()
        confirm.click()
        ok = page.locator("[data-testid='stAlertContentSuccess']").first
        ok.wait_for(timeout=90_000)
        assert ok.inner_text().strip() == "已恢复开平市示例数据。"
        page.wait_for_selector("[data-testid='stMain'] h1", timeout=90_000)
        assert store.open_workspace(folder / store.WORKSPACE_FILE).meta["source"] == "demo"

        # another run in the same session (the sidebar link to another page): the flash was shown once
        page.locator("[data-testid='stSidebar'] a", has_text="企业结对").click()
        page.wait_for_selector("[data-testid='stMain'] h1:has-text('企业结对')", timeout=90_000)
        page.locator(APP_IDLE).wait_for(state="attached", timeout=90_000)  # that page's run is over
        assert not [t for t in page.locator("[data-testid='stAlertContentSuccess']").all_inner_texts()
                    if "已恢复" in t]
        assert not log.foreign
