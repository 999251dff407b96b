"""The login gate in a real browser: nothing of the workspace before sign-in, a Chinese refusal, sign-in with the
tests' helper (``browser_util.sign_in``), sign-out."""

from __future__ import annotations

from pathlib import Path

import pytest

from bangfu.core.labels import t
from bangfu.workspace import store
from browser_util import APP_IDLE, MAP_IFRAME, browser_page, running_app, settle, sign_in
from factories import role_accounts

pytestmark = pytest.mark.browser


def test_login_gate_in_the_browser(tmp_path: Path):
    folder = tmp_path / "ws"
    store.ensure_workspace(folder)
    role_accounts(folder)
    from playwright.sync_api import expect

    with running_app(folder) as base, browser_page() as (page, log, dialogs):
        page.goto(f"{base}/overview", wait_until="domcontentloaded")
        page.get_by_label("用户名").wait_for()
        page.locator(APP_IDLE).wait_for(state="attached")
        body = page.locator("body").inner_text()
        assert t("auth.title", "zh") in body
        assert "赤水镇" not in body and "总览地图" not in body  # no town list, no page links
        assert page.locator(MAP_IFRAME).count() == 0 and page.locator("[data-testid='stMetric']").count() == 0

        page.get_by_label("用户名").fill("admin")
        page.get_by_label("密码").fill("wrong password")
        page.get_by_role("button", name="登录", exact=True).click()
        page.get_by_text("用户名或密码错误").wait_for()
        expect(page.locator(MAP_IFRAME)).to_have_count(0)

        sign_in(page, base, "viewer", path="/overview")
        settle(page)
        assert page.locator(MAP_IFRAME).count() >= 1
        sidebar = page.locator("[data-testid='stSidebar']").inner_text()
        assert "当前用户：viewer（查看者）" in sidebar and "总览地图" in sidebar
        assert t("page.audit", "zh") not in sidebar  # the audit page is not offered to a viewer

        page.locator("[data-testid='stSidebar']").get_by_role("button", name=t("auth.logout", "zh")).click()
        page.get_by_label("密码").wait_for()
        # the signed-in page's elements leave the DOM when the sign-out run ends (retried until then)
        expect(page.locator(MAP_IFRAME)).to_have_count(0, timeout=60_000)
        expect(page.locator("[data-testid='stMetric']")).to_have_count(0)

        sign_in(page, base, "admin", path="/audit")
        assert t("page.audit", "zh") in page.locator("[data-testid='stMain'] h1").first.inner_text()
        page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=60_000)  # drawn after the title
        assert not log.foreign and not dialogs
